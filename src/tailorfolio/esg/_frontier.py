"""The ESG-efficient frontier (Pedersen, Fitzgibbons & Pomorski 2021).

Pedersen, L. H., Fitzgibbons, S. & Pomorski, L. (2021), "Responsible investing: the
ESG-efficient frontier", *Journal of Financial Economics* 142(2), 572–597: for each level of
portfolio ESG score, the highest Sharpe ratio attainable. Below the ESG score of the
maximum-Sharpe (tangency) portfolio a floor does not bind and the curve is flat; above it the
best Sharpe ratio can only fall as the floor rises, and the drop is the cost of the ESG
preference in the paper's sense.

Computation: the tangency portfolio and every floor above it are maximum-Sharpe points of the
kernel's one exact frontier path (:class:`~tailorfolio.esg._sweep.EsgSharpeSweep` over
:func:`tailorfolio.kernel.standard_form_frontier`), one path per floor warm-started from the
previous floor's active set, under every other constraint of the investor (bounds, class
limits, exclusions, volatility ceiling).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from tailorfolio.errors import ParameterError
from tailorfolio.esg._sweep import EsgSharpeSweep
from tailorfolio.optimize._constraints import ConstraintSet, MissingScorePolicy
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.optimize._result import Objective
from tailorfolio.typing import FloatArray

FLOOR_MARGIN = 1e-4
"""The top point's floor sits this far (score points) below the best achievable score."""


SOLVER_NOISE = 1e-8
"""Weights below this are treated as zero when measuring a portfolio's score."""
MIN_SCORED_WEIGHT = 1e-6
"""Under the ``ignore`` policy, a portfolio with less scored weight than this has no score."""


def floor_measure(constraints: ConstraintSet, weights: FloatArray) -> float:
    """The portfolio score the floor constrains, under the constraint set's missing policy.

    ``worst``/``exclude``: Σ wᵢsᵢ with missing scores as 0. ``ignore``: the weighted score of
    the scored holdings only.
    """
    s = constraints.esg_scores
    if s is None:
        return float("nan")
    w = np.asarray(weights, dtype=float)
    missing = np.isnan(s)
    if constraints.missing_score_policy is MissingScorePolicy.IGNORE:
        # Weights below SOLVER_NOISE are the solver's rounding, not holdings: dividing by a
        # scored weight of 1e-9 would turn that noise into a score. With (almost) no scored
        # holdings the floor is vacuous and the score undefined (NaN).
        scored = ~missing & (w > SOLVER_NOISE)
        covered = float(w[scored].sum())
        if covered < MIN_SCORED_WEIGHT:
            return float("nan")
        return float(w[scored] @ s[scored] / covered)
    return float(w @ np.nan_to_num(s, nan=0.0))


@dataclass(frozen=True)
class EsgFrontier:
    """Best Sharpe ratio at each ESG floor.

    Attributes
    ----------
    floors : ndarray of shape (n_points,)
        Floors imposed, on 0–100.
    scores : ndarray of shape (n_points,)
        Score of each point's portfolio (≥ its floor, within solver accuracy).
    expected_return, volatility, sharpe : ndarray of shape (n_points,)
        Annual, decimals.
    weights : DataFrame of shape (n_points, n_assets)
    tangency_score, tangency_sharpe : float
        The unconstrained (no floor) maximum-Sharpe portfolio's score and Sharpe ratio.
    max_score : float
        The highest score reachable under the other constraints.
    risk_free_rate : float
    """

    floors: FloatArray
    scores: FloatArray
    expected_return: FloatArray
    volatility: FloatArray
    sharpe: FloatArray
    weights: pd.DataFrame
    tangency_score: float
    tangency_sharpe: float
    max_score: float
    risk_free_rate: float

    def sharpe_at(self, score: float) -> float:
        """Best Sharpe ratio with a floor of ``score`` (linear interpolation; flat below the
        tangency's score; NaN above the best achievable)."""
        if score <= self.tangency_score:
            return self.tangency_sharpe
        if score > self.max_score + 1e-6:
            return float("nan")
        return float(np.interp(score, self.floors, self.sharpe))

    def to_frame(self) -> pd.DataFrame:
        """One row per point: floor, score, return, volatility, Sharpe, then weights."""
        head = pd.DataFrame({
            "esg_floor": self.floors, "esg_score": self.scores,
            "expected_return": self.expected_return, "volatility": self.volatility,
            "sharpe": self.sharpe,
        })
        return pd.concat([head, self.weights.reset_index(drop=True)], axis=1)


def esg_frontier(expected_return: pd.Series, covariance: pd.DataFrame,
                 constraints: ConstraintSet, *, n_points: int = 15,
                 risk_free_rate: float = 0.0,
                 optimizer: PortfolioOptimizer | None = None,
                 floors: FloatArray | None = None) -> EsgFrontier:
    """The ESG-efficient frontier under ``constraints`` (its own floor and tilt ignored).

    Parameters
    ----------
    expected_return : Series of shape (n_assets,)
        Annual arithmetic expected returns, decimals.
    covariance : DataFrame of shape (n_assets, n_assets)
    constraints : ConstraintSet
        The investor's constraints; exclusions, bounds and the volatility ceiling apply to
        every point. Needs ESG scores.
    n_points : int
        Floors evenly spaced from the tangency portfolio's score to the best achievable.
    floors : ndarray, optional
        Explicit floors instead (e.g. another frontier's, to compare two constraint sets);
        floors at or below the tangency's score give the tangency, floors above the best
        achievable score give NaN points.
    risk_free_rate : float
    optimizer : PortfolioOptimizer, optional
        Used only to diagnose a problem without a tangency portfolio.

    Raises
    ------
    ParameterError
        Without ESG scores or with fewer than 2 points.
    InfeasibleError
        When the constraints other than the floor are infeasible, or no feasible portfolio
        beats the risk-free rate.
    """
    if n_points < 2:
        raise ParameterError(f"n_points must be >= 2. Got {n_points}.", field="n_points",
                             value=n_points, fix="use e.g. 15")
    s = constraints.esg_scores
    if s is None or np.isnan(s).all():
        raise ParameterError(
            "The universe has no ESG scores, so there is no ESG-efficient frontier.",
            field="universe.esg_score", expected="scores for at least one asset",
            fix="load scores with --esg-scores FILE",
        )
    free = replace(constraints, min_esg_score=None, esg_tilt=0.0)
    mu = expected_return.reindex(free.tickers).to_numpy(dtype=float)
    cov = covariance.loc[free.tickers, free.tickers].to_numpy(dtype=float)
    sweep = EsgSharpeSweep(cov, free, mu - risk_free_rate)
    status, tan_w = sweep.solve(None)
    if tan_w is None:
        # let the optimizer diagnose (infeasible constraints, no asset above r_f...) and raise
        opt = optimizer or PortfolioOptimizer()
        tan_w = opt.optimize(expected_return, covariance, free, objective=Objective.MAX_SHARPE,
                             risk_free_rate=risk_free_rate).weights.to_numpy()
    tan_sharpe = float((tan_w @ mu - risk_free_rate) / np.sqrt(tan_w @ cov @ tan_w))
    s0 = floor_measure(free, tan_w)
    s_max = sweep.best_score()
    if s_max is None:
        s_max = s0
    if not np.isfinite(s0):
        # 'ignore' with no scored weight in the tangency portfolio: every floor is vacuous
        s0 = float(s_max) if np.isfinite(s_max) else 0.0
        s_max = s0
    top = max(s0, s_max - FLOOR_MARGIN)
    if floors is None:
        floors = np.linspace(s0, top, n_points)
    floors = np.asarray(floors, dtype=float)
    n_points = len(floors)
    rows = np.full((n_points, len(free.tickers)), np.nan)
    rets, vols, shs, scs = (np.full(n_points, np.nan) for _ in range(4))
    for k, fl in enumerate(floors):
        if fl > top + FLOOR_MARGIN:
            continue
        if fl <= s0:
            w = tan_w
        else:
            status, w_k = sweep.solve(float(fl))
            if w_k is None:
                continue
            w = w_k
        rows[k] = w
        rets[k] = float(w @ mu)
        vols[k] = float(np.sqrt(max(w @ cov @ w, 0.0)))
        shs[k] = (rets[k] - risk_free_rate) / vols[k]
        scs[k] = floor_measure(free, w)
    return EsgFrontier(
        floors=floors, scores=scs, expected_return=rets, volatility=vols, sharpe=shs,
        weights=pd.DataFrame(rows, columns=free.tickers), tangency_score=s0,
        tangency_sharpe=tan_sharpe, max_score=float(s_max),
        risk_free_rate=risk_free_rate,
    )
