"""Sector and activity tags for the 20 stocks of skfolio's bundled S&P 500 prices.

``data/sp500_sample_universe.csv``: GICS sectors and sub-industries from the public-domain
(ODC-PDDL-1.0) S&P 500 constituents table of the ``datasets/s-and-p-500-companies`` project
(scraped from Wikipedia, 2026-08 snapshot); Range Resources (RRC), no longer in the index, is
classified by its public GICS classification (Energy, Oil & Gas Exploration & Production).
Activity tags are a tailorfolio rule applied to the sub-industry: oil, gas and coal
sub-industries → ``fossil_fuels``; Aerospace & Defense → ``weapons``; Tobacco → ``tobacco``;
Casinos & Gaming → ``gambling``; Brewers, Distillers & Vintners → ``alcohol``.
No ESG scores are bundled for these stocks: bring your own (``esg_scores_from_frame``).
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

from tailorfolio.market._defaults import asset_from_row
from tailorfolio.market._universe import Universe


def sp500_sample_universe() -> Universe:
    """Metadata (sectors, activity tags; no scores) for skfolio's 20 S&P 500 stocks."""
    text = resources.files("tailorfolio.esg").joinpath("data", "sp500_sample_universe.csv"
                                                       ).read_text("utf-8")
    df = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
    df = df.astype(object).where(pd.notna(df), None)
    return Universe(tuple(asset_from_row(r) for _, r in df.iterrows()),
                    name="S&P 500 sample (skfolio's 20 stocks)")
