"""Long US history mapped onto a universe, for the bootstrap and historical-window models.

The project's table of Damodaran's US annual returns (1928–2024) has seven series; each asset
of a universe is given the series closest to its asset class (:data:`HISTORY_PROXY`). The
mapping is a proxy, stated in every result that uses it: e.g. international equity replays
US stocks and high-yield bonds replay Baa corporates.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.datasets import US_ANNUAL_RETURNS_SOURCE, us_annual_returns
from tailorfolio.market._universe import Universe
from tailorfolio.simulate._returns import BootstrapModel, HistoricalWindowsModel
from tailorfolio.typing import FloatArray

HISTORY_PROXY: dict[str, str] = {
    "us_equity": "sp500_total_return",
    "us_small_cap_equity": "us_small_cap_bottom_decile",
    "developed_ex_us_equity": "sp500_total_return",
    "emerging_equity": "sp500_total_return",
    "us_reit": "sp500_total_return",
    "commodities": "gold",
    "us_aggregate_bond": "tbond_10y",
    "us_treasury_short": "tbill_3m",
    "us_treasury_intermediate": "tbond_10y",
    "us_tips": "tbond_10y",
    "us_ig_credit": "baa_corp_bond",
    "us_high_yield": "baa_corp_bond",
    "us_municipal": "tbond_10y",
    "global_ex_us_bond": "tbond_10y",
    "em_sovereign_bond": "baa_corp_bond",
    "us_cash": "tbill_3m",
}
"""Historical series replayed for each asset class."""

PROXY_BY_BROAD_CLASS = {"equity": "sp500_total_return", "bond": "tbond_10y",
                        "real_asset": "gold", "cash": "tbill_3m"}
"""Fallback for asset classes not in :data:`HISTORY_PROXY`."""


def us_history_for(universe: Universe) -> tuple[FloatArray, FloatArray, list[int], dict[str, str]]:
    """Annual log returns of each universe asset's proxy series, 1928–2024.

    Returns
    -------
    log_returns : ndarray (97, n_assets)
    log_inflation : ndarray (97,)
    years : list of int
    proxies : dict of ticker to series name
    """
    table = us_annual_returns()
    proxies = {a.ticker: HISTORY_PROXY.get(a.asset_class, PROXY_BY_BROAD_CLASS[a.broad_class])
               for a in universe}
    simple = table[[proxies[t] for t in universe.tickers]].to_numpy(float)
    return (np.log1p(simple), np.log1p(table["cpi_inflation"].to_numpy(float)),
            list(table.index), proxies)


def us_bootstrap_model(universe: Universe, mean_block_length: float = 5.0) -> BootstrapModel:
    """Stationary block bootstrap of the 1928–2024 US annual history (mean block 5 years)."""
    r, i, _, _ = us_history_for(universe)
    return BootstrapModel(tuple(universe.tickers), r, i, periods_per_year=1,
                          mean_block_length=mean_block_length,
                          name=f"bootstrap (US 1928-2024, mean block {mean_block_length:g} y)")


def us_historical_model(universe: Universe, wrap: bool = False) -> HistoricalWindowsModel:
    """Every sequential window of the 1928–2024 US annual history."""
    r, i, years, _ = us_history_for(universe)
    return HistoricalWindowsModel(tuple(universe.tickers), r, i, periods_per_year=1,
                                  start_labels=tuple(years), wrap=wrap,
                                  name="historical windows (US 1928-2024)")


HISTORY_SOURCE = US_ANNUAL_RETURNS_SOURCE
