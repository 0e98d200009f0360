"""Robert Shiller's monthly S&P 500 valuation and interest-rate series (public domain).

Source: Shiller, *Irrational Exuberance* data (http://www.econ.yale.edu/~shiller/data.htm) as
tidied by the ``datasets/s-and-p-500`` project, licence ODC-PDDL-1.0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.datasets._french import _read_package_csv

SHILLER_FILE = "shiller_sp500_monthly_1871_2026.csv"
FUNDAMENTALS_LAG_MONTHS = 3
"""Dividends and earnings are published with a delay; predictors built from them are shifted
by this many months so a forecast made at a month end only uses figures known then (the
convention of Welch & Goyal 2008 for annual-report data is similar)."""


def load_shiller() -> pd.DataFrame:
    """The Shiller monthly table, indexed by month end, zeros after the last full row as NaN.

    Returns
    -------
    DataFrame
        Columns ``SP500, Dividend, Earnings, Consumer Price Index, Long Interest Rate, Real
        Price, Real Dividend, Real Earnings, PE10`` (rates in percent, as published).
    """
    raw = _read_package_csv(SHILLER_FILE)
    idx = pd.DatetimeIndex(pd.to_datetime(raw["Date"]) + pd.offsets.MonthEnd(0), name="date")
    frame = raw.drop(columns=["Date"]).astype(float)
    frame.index = idx
    return frame.mask(frame == 0.0)


def valuation_predictors() -> pd.DataFrame:
    """Market-level predictors known at each month end (Welch & Goyal 2008 style).

    Returns
    -------
    DataFrame
        ``log_dividend_yield`` (log D12/P), ``log_earnings_yield`` (log E12/P) and
        ``log_cape_yield`` (−log PE10), each lagged :data:`FUNDAMENTALS_LAG_MONTHS`; and
        ``long_yield`` (GS10, decimal, monthly average known at the month end).
    """
    s = load_shiller()
    lagged = s.shift(FUNDAMENTALS_LAG_MONTHS)
    out = pd.DataFrame(index=s.index)
    out["log_dividend_yield"] = np.log(lagged["Dividend"] / lagged["SP500"])
    out["log_earnings_yield"] = np.log(lagged["Earnings"] / lagged["SP500"])
    out["log_cape_yield"] = -np.log(lagged["PE10"])
    out["long_yield"] = s["Long Interest Rate"] / 100.0
    return out
