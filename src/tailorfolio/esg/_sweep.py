"""The maximum Sharpe ratio at any ESG floor, through the kernel's one frontier builder.

For each floor f the constraint set (with the floor row ``(s − f·m)ᵀw ≥ 0``; m = 1 under
``worst``/``exclude``, the scored-asset indicator under ``ignore``) compiles to the kernel's
standard form (:func:`tailorfolio.kernel.from_constraint_set`), its exact frontier path is
traced from the minimum-variance end (:func:`tailorfolio.kernel.standard_form_frontier`,
warm-started from the previous floor's active set) up to the first breakpoint past the best
Sharpe ratio, cut at the volatility ceiling, and the maximum-Sharpe portfolio is read off
the path exactly (on each segment the ratio's stationary point solves a linear equation).

:meth:`EsgSharpeSweep.best_score` is the one linear program (a second-order-cone program
under a volatility ceiling) for the highest score the other constraints allow, in the
homogenised rows x = (y, κ), w = y/κ (Charnes–Cooper for the ``ignore`` ratio):

    maximise s₀ᵀy  s.t.  mᵀy = 1,  1ᵀy = κ,  κl ≤ y ≤ κu,  κg_lo ≤ Gy ≤ κg_hi,  ‖F y‖ ≤ σ_max κ.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tailorfolio.errors import InfeasibleError
from tailorfolio.kernel import ActiveSet, from_constraint_set, standard_form_frontier
from tailorfolio.kernel._standard import cholesky_factor
from tailorfolio.optimize._constraints import ConstraintSet, MissingScorePolicy
from tailorfolio.typing import FloatArray


class EsgSharpeSweep:
    """Maximum Sharpe ratio under ``constraints`` at any ESG floor.

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
        Annual covariance, positive semidefinite.
    constraints : ConstraintSet
        Bounds, class bounds, exclusions and volatility ceiling apply to every floor; its
        own floor and tilt are ignored (the floor is the sweep's parameter). Needs scores.
    excess_return : ndarray of shape (n,)
        μ − r_f, annual decimals.
    """

    def __init__(self, covariance: FloatArray, constraints: ConstraintSet,
                 excess_return: FloatArray):
        if constraints.esg_scores is None:
            raise ValueError("EsgSharpeSweep needs ESG scores")
        self.n = constraints.n_assets
        self.cs = dataclasses.replace(constraints, min_esg_score=None, esg_tilt=0.0)
        self.cov = np.asarray(covariance, dtype=float)
        self.excess = np.asarray(excess_return, dtype=float)
        scores = constraints.esg_scores
        missing = np.isnan(scores)
        self._s0 = np.nan_to_num(scores, nan=0.0)
        self._m = ((~missing).astype(float)
                   if constraints.missing_score_policy is MissingScorePolicy.IGNORE
                   else np.ones(self.n))
        self._active: ActiveSet | None = None
        self.solves = 0

    def solve(self, floor: float | None) -> tuple[str, FloatArray | None]:
        """The maximum-Sharpe portfolio with ESG floor ``floor`` (None: no floor).

        Returns
        -------
        status : str
            ``optimal``, or ``infeasible`` (no portfolio meets the floor and the other
            constraints, or none has an expected return above the risk-free rate).
        weights : ndarray of shape (n,) or None
        """
        self.solves += 1
        cs = dataclasses.replace(self.cs, min_esg_score=None if floor is None else float(floor))
        sf = from_constraint_set(cs, self.cov)
        try:
            path = standard_form_frontier(sf, self.excess, active=self._active,
                                          stop_past_max_sharpe=0.0)
            path = path.truncated(cs.max_volatility)
        except InfeasibleError:
            return "infeasible", None
        self._active = path.start_active
        _, w = path.max_sharpe(0.0)
        if not float(self.excess @ w) > 0:
            return "infeasible", None
        return "optimal", w

    def best_score(self) -> float | None:
        """The highest portfolio score reachable under the constraints (the floor's measure:
        s·w, or the scored part's average under ``ignore``), or None if infeasible."""
        from tailorfolio.optimize._diagnose import best_esg_score

        cs = self.cs
        return best_esg_score(cs, cholesky_factor(self.cov)
                              if cs.max_volatility is not None else None)
