"""Opt-in extension of the bundled universe with ESG-screened fund alternatives.

Broad index funds hold every activity their index contains (a total-market fund holds oil
producers and tobacco makers), so any activity exclusion removes the whole equity side of the
default universe. Real ESG investors use screened funds instead; ``data/screened_funds.csv``
lists three (ESGV, VSGX, VCEB) with the exclusions their issuers describe.

Capital-market assumptions for them are a **tailorfolio modelling assumption**, stated here:
each screened fund is its parent mix ``b`` of default-universe funds (``parent_mix``) plus
independent tracking noise with annual tracking error ``TE`` (``tracking_error``), so

    μ_new = b·μ,   Cov(new, X) = b·Σ[:, X],   Var(new) = bᵀΣb + TE².

Their ESG scores follow the same illustrative rule as the default funds
(:mod:`tailorfolio.esg._illustrative`): they hold none of the screened activities, and VSGX has
an emerging-market share of 25 %. None of this is vendor data.
"""

from __future__ import annotations

import io
from dataclasses import replace
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError
from tailorfolio.esg._illustrative import ILLUSTRATIVE_SOURCE, illustrative_pillar_scores
from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._defaults import asset_from_row
from tailorfolio.market._market import Market
from tailorfolio.market._universe import Asset, Universe

SCREENED_FUNDS_FILE = "screened_funds.csv"
PARENT_MIX_SOURCE = "tailorfolio assumption: parent mix"
"""Start of the assumption source :func:`with_esg_funds` records for each fund it adds (so a
market says which of its funds tailorfolio added)."""


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    text = resources.files("tailorfolio.esg").joinpath("data", SCREENED_FUNDS_FILE).read_text(
        "utf-8")
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def screened_funds_table() -> pd.DataFrame:
    """The bundled screened-fund table (one row per fund, with its parent mix), as a copy."""
    return _table().copy()


def _parent_mix(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(";"):
        t, w = part.split(":")
        out[t.strip().upper()] = float(w)
    return out


def _asset(row: pd.Series) -> Asset:
    e, s, g, total = illustrative_pillar_scores(
        tuple(x for x in str(row.get("activities") or "").split(";") if x),
        float(row["emerging_share"]))
    r = row.copy()
    r["esg_e"], r["esg_s"], r["esg_g"], r["esg_score"] = e, s, g, total
    return asset_from_row(r)


@lru_cache(maxsize=1)
def screened_assets() -> tuple[Asset, ...]:
    """The screened funds as assets (metadata and illustrative ESG scores, no market data):
    enough to test exclusions against them without building a market."""
    return tuple(_asset(row) for _, row in _table().iterrows())


def screened_tickers() -> tuple[str, ...]:
    """Tickers of the bundled screened funds, in table order."""
    return tuple(str(t) for t in _table()["ticker"])


def parent_mix(ticker: str) -> dict[str, float]:
    """The default-universe funds (ticker → weight) a screened fund is modelled on."""
    table = _table()
    row = table[table["ticker"] == ticker]
    return _parent_mix(str(row["parent_mix"].iloc[0])) if len(row) else {}


def added_by_tailorfolio(market: Market) -> tuple[str, ...]:
    """The screened funds in ``market`` that :func:`with_esg_funds` added (by their recorded
    assumption source; a user's own universe listing ESGV is not among them)."""
    src = market.assumptions.sources
    return tuple(t for t in screened_tickers()
                 if t in market.universe and str(src.get(t, "")).startswith(PARENT_MIX_SOURCE))


def with_esg_funds(market: Market, tickers: tuple[str, ...] | None = None) -> Market:
    """``market`` plus the screened funds (already present ones are left as they are).

    Parameters
    ----------
    market : Market
        Must contain every parent fund of the screened funds (the bundled default does).
    tickers : tuple of str, optional
        Only these screened funds (default: all of them).

    Raises
    ------
    DataError
        When a parent fund is missing from ``market``.
    """
    table = _table()
    new_rows = table[~table["ticker"].isin(market.tickers)]
    if tickers is not None:
        new_rows = new_rows[new_rows["ticker"].isin(tickers)]
    if new_rows.empty:
        return market
    a = market.assumptions
    tickers = market.tickers
    cov = a.covariance.to_numpy()
    mu = a.expected_return.to_numpy()
    pos = {t: i for i, t in enumerate(tickers)}
    b_rows, te, assets, sources = [], [], [], {}
    for _, row in new_rows.iterrows():
        mix = _parent_mix(str(row["parent_mix"]))
        missing = [t for t in mix if t not in pos]
        if missing:
            raise DataError(
                f"The screened fund {row['ticker']} is modelled on {missing}, which the market "
                "does not contain.", field="preferences.esg_fund_alternatives",
                value=missing, fix="use the bundled default market, or add the parents",
            )
        b = np.zeros(len(tickers))
        for t, w in mix.items():
            b[pos[t]] = w
        b_rows.append(b)
        te.append(float(row["tracking_error"]))
        assets.append(_asset(row))
        sources[str(row["ticker"])] = (
            f"{PARENT_MIX_SOURCE} {row['parent_mix']} + tracking error "
            f"{float(row['tracking_error']):.1%} (see tailorfolio.esg._funds)")
    bmat = np.vstack(b_rows)
    k = len(b_rows)
    cross = bmat @ cov  # (k, n)
    inner = bmat @ cov @ bmat.T + np.diag(np.square(te))  # (k, k)
    full = np.block([[cov, cross.T], [cross, inner]])
    all_tickers = tickers + [x.ticker for x in assets]
    vol = np.sqrt(np.diag(full))
    corr = full / np.outer(vol, vol)
    np.fill_diagonal(corr, 1.0)
    mu_all = np.concatenate([mu, bmat @ mu])
    new_sources = dict(a.sources)
    new_sources.update(sources)
    new_sources.setdefault("esg", ILLUSTRATIVE_SOURCE)
    assumptions = CapitalMarketAssumptions(
        expected_return=pd.Series(mu_all, index=all_tickers),
        volatility=pd.Series(vol, index=all_tickers),
        correlation=pd.DataFrame(corr, index=all_tickers, columns=all_tickers),
        risk_free_rate=a.risk_free_rate,
        inflation=a.inflation,
        inflation_volatility=a.inflation_volatility,
        sources=new_sources,
        name=a.name + f" + {k} ESG-screened funds (tailorfolio parent-mix assumption)",
        repair=a.repair,
    )
    universe = Universe(market.universe.assets + tuple(assets),
                        name=market.universe.name + " + ESG-screened funds")
    prices = dict(market.last_prices)
    prices.update({str(r["ticker"]): float(r["reference_price"]) for _, r in new_rows.iterrows()})
    return replace(market, universe=universe, assumptions=assumptions, prices=None,
                   last_prices=prices)
