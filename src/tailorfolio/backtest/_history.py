"""What a strategy may see at a decision date: the past, and nothing else.

The engine builds a :class:`HistoryView` for every decision date *t* from data truncated at
*t* (the returns of periods ending on or before *t*). Asking it for anything later raises
:class:`~tailorfolio.errors.LookAheadError`, so look-ahead is impossible through the view; a
strategy that smuggles future data in by other means (a reference kept in its constructor) is
caught by :func:`~tailorfolio.backtest.check_no_lookahead`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tailorfolio.errors import LookAheadError
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class HistoryView:
    """Data known at the close of ``date``.

    Attributes
    ----------
    date : Timestamp
        The decision date (end of the last observed period).
    returns : DataFrame of shape (n_past, n_assets)
        Simple returns of every period ending on or before ``date``, decimals.
    risk_free : Series of shape (n_past,)
        Risk-free return of the same periods.
    predictors : DataFrame
        Market-level predictor series up to ``date`` (may be empty).
    current_weights : ndarray of shape (n_assets,)
        The portfolio's drifted weights at ``date`` before trading.
    periods_per_year : int
    broad_class : dict of str to str
        ``equity``/``bond``/``cash`` per asset.
    """

    date: pd.Timestamp
    returns: pd.DataFrame
    risk_free: pd.Series
    predictors: pd.DataFrame
    current_weights: FloatArray
    periods_per_year: int
    broad_class: dict[str, str] = field(default_factory=dict)

    @property
    def tickers(self) -> list[str]:
        """Asset names in column order."""
        return list(self.returns.columns)

    @property
    def n_periods(self) -> int:
        """Number of observed periods."""
        return len(self.returns)

    def window(self, n_periods: int | None) -> pd.DataFrame:
        """The last ``n_periods`` returns (all of them when ``None``)."""
        return self.returns if n_periods is None else self.returns.iloc[-n_periods:]

    def returns_at(self, when: pd.Timestamp | str) -> pd.Series:
        """Returns of the period ending at ``when``; later dates raise LookAheadError."""
        when = pd.Timestamp(when)
        if when > self.date:
            raise LookAheadError(
                f"A strategy asked for returns of {when.date()} at decision date "
                f"{self.date.date()}.", field="date", value=str(when.date()),
                expected=f"<= {self.date.date()}",
                fix="use only data up to the decision date",
            )
        return self.returns.loc[when]


def make_history(date: pd.Timestamp, returns: pd.DataFrame, risk_free: pd.Series,
                 predictors: pd.DataFrame, current_weights: np.ndarray,
                 periods_per_year: int, broad_class: dict[str, str]) -> HistoryView:
    """Cut every input at ``date`` (inclusive) and wrap it in a :class:`HistoryView`."""
    past = returns.loc[:date].copy()
    preds = predictors.loc[:date].copy() if len(predictors) else predictors
    w = np.array(current_weights, dtype=float)
    w.setflags(write=False)
    return HistoryView(date, past, risk_free.loc[:date].copy(), preds, w, periods_per_year,
                       dict(broad_class))
