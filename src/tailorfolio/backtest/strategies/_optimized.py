"""Estimated-moment strategies using the foundation's PortfolioOptimizer.

Mean-variance at a risk level uses the trailing sample mean and a Ledoit–Wolf covariance with
the risk aversion γ of that level (``risk.LEVEL_TABLE``); minimum variance uses Ledoit–Wolf
(Ledoit & Wolf 2004). Both are long-only and fully invested, optionally with a weight cap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.errors import ParameterError
from tailorfolio.estimate._covariance import CovarianceEstimator
from tailorfolio.optimize._constraints import unconstrained
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.optimize._result import Objective
from tailorfolio.risk._scoring import LEVEL_TABLE


def _constraints(tickers: list[str], max_weight: float | None):
    cs = unconstrained(tickers)
    if max_weight is not None:
        from dataclasses import replace

        cs = replace(cs, upper=np.minimum(cs.upper, max_weight), max_weight_per_asset=max_weight)
    return cs


def estimate_moments(window: pd.DataFrame, periods_per_year: int
                     ) -> tuple[pd.Series, pd.DataFrame]:
    """Annualised sample mean and Ledoit–Wolf covariance of a return window."""
    mu = window.mean() * periods_per_year
    cov = CovarianceEstimator(method="ledoit_wolf",
                              periods_per_year=periods_per_year).fit(window).covariance_
    return mu, cov


class MeanVariance(Strategy):
    """Max utility μᵀw − γ/2 wᵀΣw with trailing estimates, at a tailorfolio risk level.

    Parameters
    ----------
    risk_level : int
        1–10; sets γ from ``risk.LEVEL_TABLE`` (ignored when ``risk_aversion`` is given).
    risk_aversion : float, optional
    window : int
        Estimation window, periods.
    max_weight : float, optional
        Cap per asset.
    """

    def __init__(self, *, risk_level: int = 5, risk_aversion: float | None = None,
                 window: int = 120, max_weight: float | None = None) -> None:
        if risk_aversion is None and risk_level not in LEVEL_TABLE:
            raise ParameterError(f"risk_level must be 1–10. Got {risk_level}.",
                                 field="risk_level", value=risk_level)
        self.risk_level = risk_level
        self.risk_aversion = risk_aversion
        self.window = window
        self.max_weight = max_weight
        self.name = (f"mean-variance γ={risk_aversion:g}" if risk_aversion is not None
                     else f"mean-variance risk {risk_level}")
        self.min_history = window
        self._optimizer = PortfolioOptimizer()

    @property
    def gamma(self) -> float:
        """The risk aversion used."""
        return (self.risk_aversion if self.risk_aversion is not None
                else LEVEL_TABLE[self.risk_level][0])

    def target_weights(self, history: HistoryView) -> np.ndarray:
        mu, cov = estimate_moments(history.window(self.window), history.periods_per_year)
        res = self._optimizer.optimize(mu, cov, _constraints(history.tickers, self.max_weight),
                                       objective=Objective.MAX_UTILITY,
                                       risk_aversion=self.gamma)
        return res.weights.reindex(history.tickers).to_numpy(float)


class MinimumVariance(Strategy):
    """Long-only minimum variance with a Ledoit–Wolf covariance.

    Parameters
    ----------
    window : int
    max_weight : float, optional
    """

    def __init__(self, *, window: int = 120, max_weight: float | None = None) -> None:
        self.window = window
        self.max_weight = max_weight
        self.name = "min variance (Ledoit–Wolf)"
        self.min_history = window
        self._optimizer = PortfolioOptimizer()

    def target_weights(self, history: HistoryView) -> np.ndarray:
        win = history.window(self.window)
        cov = CovarianceEstimator(method="ledoit_wolf",
                                  periods_per_year=history.periods_per_year).fit(win).covariance_
        res = self._optimizer.optimize(cov.iloc[:, 0] * 0.0, cov,
                                       _constraints(history.tickers, self.max_weight),
                                       objective=Objective.MIN_VARIANCE)
        return res.weights.reindex(history.tickers).to_numpy(float)
