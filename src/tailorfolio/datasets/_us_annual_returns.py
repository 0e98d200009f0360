"""The project's table of published US annual returns, 1928–2024 (Damodaran).

Every figure is transcribed from Aswath Damodaran, "Historical Returns on Stocks, Bonds,
Bills, Real Estate and Gold: 1928–2024" (``histretSP.xls``, sheet "Returns by year",
January 2025 edition, NYU Stern), published freely for educational use. The file and its
column definitions are in ``datasets/data/us_annual_returns_1928_2024.{csv,md}``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

US_ANNUAL_RETURNS_SOURCE = (
    "Aswath Damodaran, Historical Returns on Stocks, Bonds, Bills, Real Estate and Gold: "
    "1928-2024 (histretSP.xls, 'Returns by year', January 2025 edition), NYU Stern, "
    "https://pages.stern.nyu.edu/~adamodar/New_Home_Page/datafile/histret.html"
)
"""Citation for :func:`us_annual_returns`."""

US_SERIES = ("sp500_total_return", "us_small_cap_bottom_decile", "tbill_3m", "tbond_10y",
             "baa_corp_bond", "real_estate", "gold", "cpi_inflation")
"""Columns of :func:`us_annual_returns`, in file order."""


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    path = resources.files("tailorfolio.datasets") / "data" / "us_annual_returns_1928_2024.csv"
    with path.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, index_col="year")
    frame.index = frame.index.astype(int)
    return frame.astype(float)


def us_annual_returns() -> pd.DataFrame:
    """US annual total returns and CPI inflation, 1928–2024, decimals.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (int, 1928–2024, 97 rows); columns :data:`US_SERIES`, each an annual
        total return (``cpi_inflation``: annual CPI change) as a decimal. A copy: callers may
        modify it.

    Notes
    -----
    Source: :data:`US_ANNUAL_RETURNS_SOURCE`. ``real_estate`` is a house-price index, not
    REITs; gold prices were fixed before 1971.
    """
    return _load().copy()
