"""The maximum-Sharpe portfolio at any ESG floor, solved by the kernel and warm-started.

Each floor f is one kernel solve (:func:`tailorfolio.kernel.max_sharpe`: the homogenised
tangency problem of Cornuéjols & Tütüncü in x = (y, κ), w = y/κ, with the floor as the row
(s₀ − f·m)ᵀy ≥ 0; s₀ the scores with missing ones as 0, m = 1 under ``worst``/``exclude`` and
the scored-asset indicator under ``ignore``). Neighbouring floors share almost all their
active constraints, so each solve starts from the previous one's active set. With a
volatility ceiling the tangency portfolio is kept when it satisfies it; otherwise the best
Sharpe ratio is the highest return at the ceiling (the kernel's exact ceiling search).

:meth:`EsgSharpeSweep.best_score` (the highest reachable floor) is a linear program, with a
second-order cone under a ceiling: it stays a Clarabel solve.
"""

from __future__ import annotations

import clarabel
import numpy as np
import scipy.sparse as sp

from dataclasses import replace

from tailorfolio.kernel import KernelSolution, from_constraint_set, max_sharpe
from tailorfolio.kernel import solve as kernel_solve
from tailorfolio.optimize._constraints import ConstraintSet, MissingScorePolicy
from tailorfolio.optimize._problem import _group_matrix, cholesky_factor
from tailorfolio.typing import FloatArray

_OK = ("Solved", "AlmostSolved")


class EsgSharpeSweep:
    """Maximum Sharpe ratio under ``constraints`` at any ESG floor, re-solved in place.

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
        Annual covariance, positive definite.
    constraints : ConstraintSet
        Bounds, class bounds, exclusions and volatility ceiling are compiled in; its own
        floor and tilt are ignored (the floor is the sweep's parameter). Needs scores.
    excess_return : ndarray of shape (n,)
        μ − r_f, annual decimals.
    """

    def __init__(self, covariance: FloatArray, constraints: ConstraintSet,
                 excess_return: FloatArray):
        n = constraints.n_assets
        self.n = n
        self.cs = constraints
        cov = np.asarray(covariance, dtype=float)
        self._cov = cov
        self._excess = np.asarray(excess_return, float)
        self._active = None
        self._best: float | None = None
        scores = constraints.esg_scores
        if scores is None:
            raise ValueError("EsgSharpeSweep needs ESG scores")
        missing = np.isnan(scores)
        self._s0 = np.nan_to_num(scores, nan=0.0)
        self._m = ((~missing).astype(float)
                   if constraints.missing_score_policy is MissingScorePolicy.IGNORE
                   else np.ones(n))
        g, glo, ghi = _group_matrix(constraints)
        k = g.shape[0]
        lo = np.asarray(constraints.lower, float)[:, None]
        hi = np.asarray(constraints.upper, float)[:, None]
        eq = np.vstack([
            np.concatenate([np.asarray(excess_return, float), [0.0]])[None, :],
            np.concatenate([np.ones(n), [-1.0]])[None, :],
        ])
        # the homogenised rows of the best-score LP (the ESG row is a zero placeholder there)
        self._esg_row = 2 + 2 * n + 2 * k
        placeholder = np.concatenate([np.ones(n), [0.0]])[None, :]
        ineq = np.vstack([
            np.hstack([-np.eye(n), lo]),
            np.hstack([np.eye(n), -hi]),
            np.hstack([-g, glo.reshape(k, 1)]),
            np.hstack([g, -ghi.reshape(k, 1)]),
            placeholder,
            np.concatenate([np.zeros(n), [-1.0]])[None, :],
        ])
        blocks = [eq, ineq]
        cones = [clarabel.ZeroConeT(2), clarabel.NonnegativeConeT(ineq.shape[0])]
        b_parts = [np.array([1.0, 0.0]), np.zeros(ineq.shape[0])]
        if constraints.max_volatility is not None:
            f = cholesky_factor(cov)
            soc = np.vstack([np.concatenate([np.zeros(n), [-constraints.max_volatility]]),
                             np.hstack([-f, np.zeros((n, 1))])])
            blocks.append(soc)
            cones.append(clarabel.SecondOrderConeT(n + 1))
            b_parts.append(np.zeros(n + 1))
        self._score_parts = (ineq, blocks[2:], cones[1:], b_parts[1:])
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        self._settings = settings
        self.solves = 0

    def best_score(self) -> float | None:
        """The highest portfolio score reachable under the compiled constraints (the floor's
        measure: s·w, or the scored part's average under ``ignore``), or None if infeasible.

        The same homogenised rows with ``m·y = 1`` in place of the Sharpe normalisation make
        both cases one LP (Charnes–Cooper for the ratio): maximise s₀·y.
        """
        ineq, extra_blocks, extra_cones, extra_b = self._score_parts
        n = self.n
        ineq = ineq.copy()
        ineq[self._esg_row - 2] = 0.0  # no floor
        eq = np.vstack([np.concatenate([self._m, [0.0]])[None, :],
                        np.concatenate([np.ones(n), [-1.0]])[None, :]])
        a = sp.csc_matrix(np.vstack([eq, ineq, *extra_blocks]))
        b = np.concatenate([[1.0, 0.0], *extra_b])
        cones = [clarabel.ZeroConeT(2), *extra_cones]
        p = sp.csc_matrix((n + 1, n + 1))
        q = np.concatenate([-self._s0, [0.0]])
        sol = clarabel.DefaultSolver(p, q, a, b, cones, self._settings).solve()
        if str(sol.status) not in _OK:
            return None
        return float(self._s0 @ np.asarray(sol.x, dtype=float)[:n])

    def solve(self, floor: float | None) -> tuple[str, FloatArray | None]:
        """Re-solve with ESG floor ``floor`` (None: no floor).

        Returns
        -------
        status : str
            ``optimal``, ``infeasible`` or ``failed``.
        weights : ndarray of shape (n,) or None
        """
        self.solves += 1
        cs = replace(self.cs, min_esg_score=None if floor is None else float(floor),
                     max_volatility=None)
        sf = from_constraint_set(cs, self._cov)
        sol, _ = max_sharpe(sf, self._excess, active=self._active)
        if not sol.ok[0]:
            return self._failure(floor), None
        self._active = sol.active
        w = sol.w[0]
        cap = self.cs.max_volatility
        if cap is not None and float(np.sqrt(w @ self._cov @ w)) > cap * (1 + 1e-12):
            capped: KernelSolution = kernel_solve(from_constraint_set(
                cs, self._cov, expected_return=self._excess, risk_aversion=0.0,
                max_volatility=cap))
            if not capped.ok[0]:
                return ("infeasible" if capped.infeasible[0] else self._failure(floor)), None
            w = capped.w[0]
        return "optimal", w / w.sum()

    def _failure(self, floor: float | None) -> str:
        """``infeasible`` when the floor is above the best reachable score, else ``failed``."""
        if floor is None:
            return "failed"
        if self._best is None:
            self._best = self.best_score()
        best = self._best
        return "infeasible" if best is None or float(floor) > best + 1e-9 else "failed"
