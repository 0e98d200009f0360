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
