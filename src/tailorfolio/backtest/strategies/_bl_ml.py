"""Black–Litterman with machine-learning views whose confidence is their measured skill.

At each decision date: the prior is the equilibrium of the 1/N portfolio, π = γΣw_{1/N}
(so that, with no views, max-utility returns exactly 1/N); the forecaster (refitted every
``refit_every`` decisions on the past only) predicts next-period excess returns; the
strategy scores its own earlier forecasts against what happened and turns their pooled
out-of-sample combination weight β into view variances (:func:`tailorfolio.ml.forecast_views`).
A model with no out-of-sample skill (β = 0) leaves the portfolio at 1/N. The optimizer uses
the posterior mean with the prior covariance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.backtest.strategies._optimized import _constraints
from tailorfolio.estimate._black_litterman import black_litterman
from tailorfolio.estimate._covariance import CovarianceEstimator
from tailorfolio.ml._features import excess_over_mean_target, feature_panel
from tailorfolio.ml._forecaster import ModelKind, ReturnForecaster
from tailorfolio.ml._views import forecast_views
from tailorfolio.ml._walk_forward import combination_weight
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.optimize._result import Objective


class BlackLittermanML(Strategy):
    """Black–Litterman portfolio with views from a walk-forward ML forecaster.

    Parameters
    ----------
    model : ModelKind
    risk_aversion : float
        γ of the prior and of the optimizer.
    window : int
        Covariance window, periods.
    min_train : int
        Periods of history before the first forecast.
    min_scored : int
        Out-of-sample forecast dates needed before views are used.
    refit_every : int
    tau : float
    max_weight : float, optional
    """

    def __init__(self, *, model: ModelKind | str = ModelKind.RIDGE, risk_aversion: float = 3.0,
                 window: int = 120, min_train: int = 120, min_scored: int = 36,
                 refit_every: int = 12, tau: float = 0.05, max_weight: float | None = None,
                 random_state: int = 0) -> None:
        self.model = ModelKind(model).value
        self.risk_aversion = risk_aversion
        self.window = window
        self.min_train = min_train
        self.min_scored = min_scored
        self.refit_every = refit_every
        self.tau = tau
        self.max_weight = max_weight
        self.random_state = random_state
        self.name = f"Black–Litterman + ML ({self.model})"
        self.min_history = max(window, min_train)
        self._optimizer = PortfolioOptimizer()
        self._forecaster: ReturnForecaster | None = None
        self._calls = 0
        self._pending: list[tuple[pd.Timestamp, pd.Series, pd.Series]] = []
        self._scored: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.diagnostics_: dict = {"beta": [], "n_views": []}

    def _score_past(self, history: HistoryView) -> None:
        rf = history.risk_free
        still = []
        for made, fc, bm in self._pending:
            later = history.returns.index[history.returns.index > made]
            if len(later) == 0:
                still.append((made, fc, bm))
                continue
            nxt = later[0]
            real = (history.returns.loc[nxt] - rf.loc[nxt]).reindex(fc.index).to_numpy()
            self._scored.append((real, fc.to_numpy(), bm.to_numpy()))
        self._pending = still

    def target_weights(self, history: HistoryView) -> np.ndarray:
        tickers = history.tickers
        n = len(tickers)
        self._score_past(history)
        panel = feature_panel(history.returns, history.predictors)
        target, bench = excess_over_mean_target(history.returns, history.risk_free)
        dates = panel.index.get_level_values("date")
        if self._forecaster is None or self._calls % self.refit_every == 0:
            train = dates < history.date
            self._forecaster = ReturnForecaster(
                model=self.model, random_state=self.random_state
            ).fit(panel[train], target.reindex(panel.index)[train])
        self._calls += 1
        ppy = history.periods_per_year
        cov = CovarianceEstimator(method="ledoit_wolf", periods_per_year=ppy).fit(
            history.window(self.window)).covariance_
        w_eq = pd.Series(1.0 / n, index=tickers)
        prior = self.risk_aversion * (cov @ w_eq)
        views = []
        beta = 0.0
        if history.date in dates:
            x_now = panel.xs(history.date, level="date", drop_level=False)
            assets = x_now.index.get_level_values("asset")
            m_now = bench.xs(history.date, level="date").reindex(assets)
            fc = pd.Series(self._forecaster.predict(x_now).to_numpy() + m_now.to_numpy(),
                           index=assets)
            if len(self._scored) >= self.min_scored:
                real, f, b = (np.concatenate(parts) for parts in zip(*self._scored))
                beta = combination_weight(real, f, b)
            self._pending.append((history.date, fc, m_now))
            views = forecast_views(fc * ppy, cov, beta, tau=self.tau)
        self.diagnostics_["beta"].append(beta)
        self.diagnostics_["n_views"].append(len(views))
        if not views:
            if self.max_weight is None or self.max_weight >= 1.0 / n:
                return w_eq.to_numpy()
        mu = black_litterman(prior, cov, views, tau=self.tau).expected_return
        res = self._optimizer.optimize(mu, cov, _constraints(tickers, self.max_weight),
                                       objective=Objective.MAX_UTILITY,
                                       risk_aversion=self.risk_aversion)
        return res.weights.reindex(tickers).to_numpy(float)
