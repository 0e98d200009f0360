"""One compiled maximum-Sharpe problem whose ESG floor is re-set between solves.

The homogenised tangency problem (Cornuéjols & Tütüncü; the form used by
:func:`tailorfolio.optimize._qp.max_sharpe_qp`), in variables x = (y, κ), w = y/κ:

    minimise yᵀΣy
    s.t.     (μ − r_f)ᵀy = 1,  1ᵀy = κ,  κl ≤ y ≤ κu,  κg_lo ≤ Gy ≤ κg_hi,
             (s₀ − f·m)ᵀy ≥ 0,           (the ESG floor f)
             ‖F y‖ ≤ σ_max κ             (only when a volatility ceiling is set; FᵀF = Σ)

with s₀ the scores (missing as 0) and m = 1 (``worst``/``exclude``: then fᵀ1y = fκ, i.e.
s·w ≥ f) or m = the scored-asset indicator (``ignore``: the floor applies to the scored part).
The floor enters only the coefficients of one row of the constraint matrix, so the Clarabel
solver is built once and each new floor is a data update of that row (Clarabel's
``update(A=...)`` with an unchanged sparsity pattern) followed by a solve.
"""

from __future__ import annotations

import clarabel
import numpy as np
import scipy.sparse as sp

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
        # ESG row: −(s₀ − f·m)ᵀy ≤ 0; built with a placeholder that is non-zero everywhere so
        # the sparsity pattern holds a slot for every coefficient any floor can need.
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
        a = sp.csc_matrix(np.vstack(blocks))
        a.sort_indices()
        # positions in a.data of the ESG row's coefficients (one per y column)
        self._slots = np.empty(n, dtype=np.int64)
        for j in range(n):
            rows = a.indices[a.indptr[j]:a.indptr[j + 1]]
            hit = np.nonzero(rows == self._esg_row)[0]
            self._slots[j] = a.indptr[j] + hit[0]
        self._data = a.data.copy()
        p = sp.block_diag([sp.triu(sp.csc_matrix(cov)), sp.csc_matrix((1, 1))]).tocsc()
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        self._settings = settings
        self._solver = clarabel.DefaultSolver(p, np.zeros(n + 1), a, np.concatenate(b_parts),
                                              cones, settings)
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
            ``optimal``, ``optimal_inaccurate``, ``infeasible`` or ``failed``.
        weights : ndarray of shape (n,) or None
        """
        coef = np.zeros(self.n) if floor is None else -(self._s0 - float(floor) * self._m)
        self._data[self._slots] = coef
        self._solver.update(A=self._data)
        sol = self._solver.solve()
        self.solves += 1
        status = str(sol.status)
        if status not in _OK:
            return ("infeasible" if "Infeasible" in status else "failed"), None
        x = np.asarray(sol.x, dtype=float)
        if x[-1] <= 0:
            return "failed", None
        w = np.clip(x[:self.n] / x[-1], self.cs.lower, self.cs.upper)
        return ("optimal" if status == "Solved" else "optimal_inaccurate"), w / w.sum()
