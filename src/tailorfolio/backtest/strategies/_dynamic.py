"""Dynamic strategies: regime-switching allocation and glide paths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.dynamic._glide import GlidePath
from tailorfolio.dynamic._regimes import RegimeModel, mixture, regime_conditional_moments
from tailorfolio.errors import ParameterError
from tailorfolio.optimize._constraints import unconstrained
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.optimize._result import Objective


class RegimeSwitching(Strategy):
    """Mean-variance on next-period regime-mixture moments, with a switching penalty.

    At each decision the HMM (refitted every ``refit_every`` decisions on all past returns of
    the non-cash assets) gives filtered regime probabilities up to the decision date;
    multiplied by the transition matrix they give next period's regime probabilities, which
    weight the regime-conditional means and covariances of every asset (probability-weighted
    sample moments, :func:`~tailorfolio.dynamic.regime_conditional_moments`). The allocation
    maximises μᵀw − γ/2 wᵀΣw − κ‖w − w_current‖₁, so a change of regime only moves the portfolio when its expected benefit exceeds the penalty κ
    (``switching_penalty_bps``) — this damps churn from flickering probabilities.

    Parameters
    ----------
    n_regimes : int
    risk_aversion : float
    switching_penalty_bps : float
        κ per unit of weight traded, basis points.
    min_history : int
    refit_every : int
    random_state : int
    """

    def __init__(self, *, n_regimes: int = 2, risk_aversion: float = 3.0,
                 switching_penalty_bps: float = 50.0, min_history: int = 120,
                 refit_every: int = 12, random_state: int = 0) -> None:
        self.n_regimes = n_regimes
        self.risk_aversion = risk_aversion
        self.switching_penalty_bps = switching_penalty_bps
        self.min_history = min_history
        self.refit_every = refit_every
        self.random_state = random_state
        self.name = f"regime switching ({n_regimes} HMM states)"
        self._model: RegimeModel | None = None
        self._calls = 0
        self._optimizer = PortfolioOptimizer(with_costs=True)
        self.diagnostics_: dict = {"turbulent_probability": []}

    def target_weights(self, history: HistoryView) -> np.ndarray:
        risky = [t for t in history.tickers if history.broad_class.get(t, "equity") != "cash"]
        ppy = history.periods_per_year
        if self._model is None or self._calls % self.refit_every == 0:
            self._model = RegimeModel(n_regimes=self.n_regimes, periods_per_year=ppy,
                                      random_state=self.random_state).fit(history.returns[risky])
        self._calls += 1
        filt = self._model.filtered_probabilities(history.returns[risky])
        nxt = self._model.predicted_probabilities(filt.iloc[-1].to_numpy())
        self.diagnostics_["turbulent_probability"].append(float(nxt[-1]))
        moments = regime_conditional_moments(history.returns, filt, ppy, self._model.transmat_)
        mu, cov = mixture(moments, nxt, ppy)
        cov = cov + np.eye(len(cov)) * 1e-8
        rf = float(history.risk_free.iloc[-12:].mean() * history.periods_per_year)
        current = history.current_weights
        cur = (pd.Series(current, index=history.tickers) if current.sum() > 0.5 else None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not DPP.*")
            res = self._optimizer.optimize(
                mu - rf, cov, unconstrained(history.tickers), objective=Objective.MAX_UTILITY,
                risk_aversion=self.risk_aversion, current_weights=cur,
                cost_rate=self.switching_penalty_bps / 10_000.0 if cur is not None else 0.0)
        return res.weights.reindex(history.tickers).to_numpy(float)


class GlidePathStrategy(Strategy):
    """Equity share from a :class:`GlidePath` by years to ``goal_date``.

    The equity sleeve is equal-weighted over the dataset's ``equity`` assets, the safe sleeve
    over its ``bond`` assets (``cash`` if there are none).

    Parameters
    ----------
    goal_date : date
    glide_path : GlidePath
    label : str
    """

    def __init__(self, goal_date: str | pd.Timestamp, glide_path: GlidePath | None = None, *,
                 label: str = "glide path") -> None:
        self.goal_date = pd.Timestamp(goal_date)
        self.glide_path = glide_path or GlidePath.retirement()
        self.name = label
        self.min_history = 1

    def sleeves(self, history: HistoryView) -> tuple[np.ndarray, np.ndarray]:
        """Equity and safe sleeve weights over ``history.tickers``."""
        cls = np.array([history.broad_class.get(t, "equity") for t in history.tickers])
        eq = (cls == "equity").astype(float)
        safe = (cls == "bond").astype(float)
        if safe.sum() == 0:
            safe = (cls == "cash").astype(float)
        if eq.sum() == 0 or safe.sum() == 0:
            raise ParameterError("A glide path needs equity and bond (or cash) assets.",
                                 field="broad_class", value=dict(history.broad_class))
        return eq / eq.sum(), safe / safe.sum()

    def target_weights(self, history: HistoryView) -> np.ndarray:
        years = (self.goal_date - history.date).days / 365.25
        share = float(self.glide_path.equity_share(years))
        eq, safe = self.sleeves(history)
        return share * eq + (1.0 - share) * safe
