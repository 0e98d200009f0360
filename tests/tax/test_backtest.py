"""The harvesting backtest on a synthetic dip: harvests happen, the ledger applies wash sales."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.tax import MarginalRates
from tailorfolio.tax._backtest import harvest_backtest


def test_dip_is_harvested_and_tax_saving_reinvested():
    days = pd.bdate_range("2021-01-04", "2023-12-29")
    t = np.arange(len(days))
    a = 100 * (1 - 0.25 * np.sin(np.pi * t / len(t)))  # falls 25 % and recovers
    b = a * (1 + 0.01 * np.sin(t / 7))                  # a close substitute
    prices = pd.DataFrame({"A": a, "B": b}, index=days)
    r = harvest_backtest(prices, [(1.0, ["A", "B"])], MarginalRates(0.24, 0.15, 0.0, 0.05))
    assert r.n_harvests >= 1 and r.harvested_losses > 0
    assert r.tax_savings_reinvested > 0
    hold_only = harvest_backtest(prices, [(1.0, ["A"])], MarginalRates(0.24, 0.15, 0.0, 0.05))
    assert hold_only.n_harvests == 0
    assert hold_only.after_tax_value_harvest == hold_only.after_tax_value_hold


def _substitutes_model():
    """Two funds driven by one market factor (substitutes), plus a small own risk each."""
    from tailorfolio.simulate._core import FactorModel, GaussianFactors

    loadings = np.array([[0.045, 0.045, 0.0], [0.006, 0.0, 0.0], [0.0, 0.006, 0.0]])
    return FactorModel(("A", "B"), GaussianFactors(np.array([0.005, 0.005, 0.002]),
                                                   loadings))


def test_simulated_backtest_takes_its_paths_from_the_core():
    from tailorfolio.simulate._core import price_paths
    from tailorfolio.tax._backtest import harvest_backtest_simulated, simulated_price_table

    model = _substitutes_model()
    rates = MarginalRates(0.24, 0.15, 0.0, 0.05)
    res = harvest_backtest_simulated(model, [(1.0, ["A", "B"])], rates, years=5, n_paths=6,
                                     seed=2)
    assert len(res.paths) == 6 and sum(r.n_harvests for r in res.paths) >= 1
    mean, se = res.mean_gain()
    assert np.isfinite(mean) and se >= 0
    # Each path is the core's path: replaying its table gives the same backtest.
    table = simulated_price_table(price_paths(model, 60, n_paths=6, seed=2)[:, :-1, 3],
                                  model.tickers, pd.Timestamp("2026-01-01").date())
    one = harvest_backtest(table, [(1.0, ["A", "B"])], rates, check_every_days=1)
    assert one == res.paths[3]
    # Buy-and-hold alone never harvests, on any path.
    hold = harvest_backtest_simulated(model, [(1.0, ["A"])], rates, years=5, n_paths=3)
    assert all(r.n_harvests == 0 for r in hold.paths)
