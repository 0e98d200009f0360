"""A direct Clarabel quadratic program for the linearly constrained mean-variance family.

The cvxpy problems in ``_problem.py`` carry every constraint a plan can need (including the
second-order-cone volatility ceiling). Frontiers and other sweeps under purely linear
constraints need none of that, and re-solving through cvxpy costs more than the solve itself.
:class:`LinearMeanVarianceQP` builds Clarabel's data once,

    minimise ½ wᵀ(γΣ)w − μ_effᵀw
    subject to 1ᵀw = 1, l ≤ w ≤ u, g_lo ≤ Gw ≤ g_hi, e·w ≥ 0, μᵀw ≥ r_min,

and updates only the vectors (q, b) between solves (Clarabel's data-update interface), so a
50-point frontier is 50 interior-point solves with no modelling overhead.
"""

from __future__ import annotations

import clarabel
import numpy as np
import scipy.sparse as sp

from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._problem import INACTIVE_RETURN, _group_matrix
from tailorfolio.typing import FloatArray

_STATUS = {
    "Solved": "optimal",
    "AlmostSolved": "optimal_inaccurate",
    "PrimalInfeasible": "infeasible",
    "AlmostPrimalInfeasible": "infeasible",
    "DualInfeasible": "unbounded",
    "AlmostDualInfeasible": "unbounded",
}


class LinearMeanVarianceQP:
    """Clarabel QP for one covariance and one linear constraint set, re-solvable.

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
        Annual covariance, positive definite.
    constraints : ConstraintSet
        Its volatility ceiling, if any, is ignored (linear constraints only).
    """

    def __init__(self, covariance: FloatArray, constraints: ConstraintSet):
        n = constraints.n_assets
        self.n = n
        self.cs = constraints
        self.cov = np.asarray(covariance, dtype=float)
        g, glo, ghi = _group_matrix(constraints)
        e = constraints.esg_coefficients()
        rows = [
            np.ones((1, n)),  # budget (zero cone)
            -np.eye(n), np.eye(n),  # bounds
            -g, g,  # groups
            -e[None, :],  # ESG floor
            np.zeros((1, n)),  # return floor (filled per solve)
        ]
        self._a_dense = np.vstack(rows)
        self._b = np.concatenate([
            [1.0], -np.asarray(constraints.lower, float), np.asarray(constraints.upper, float),
            -glo, ghi, [0.0], [-INACTIVE_RETURN],  # μᵀw ≥ r ⇔ −μᵀw + s = −r, s ≥ 0
        ])
        self._cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(len(self._b) - 1)]
        self._settings = clarabel.DefaultSettings()
        self._settings.verbose = False
        self._solver: clarabel.DefaultSolver | None = None
        self._gamma: float | None = None
        self._mu_row: FloatArray | None = None

    def _build(self, gamma: float, mu_row: FloatArray) -> None:
        p = sp.triu(sp.csc_matrix(gamma * self.cov)).tocsc() if gamma > 0 else sp.csc_matrix(
            (self.n, self.n))
        a = self._a_dense.copy()
        a[-1] = -mu_row
        self._solver = clarabel.DefaultSolver(p, np.zeros(self.n), sp.csc_matrix(a), self._b,
                                              self._cones, self._settings)
        self._gamma = gamma
        self._mu_row = mu_row.copy()

    def solve(self, *, gamma: float, linear: FloatArray, min_return: float | None = None,
              mu: FloatArray | None = None) -> tuple[str, FloatArray | None]:
        """Minimise ½γ wᵀΣw − linearᵀw under the constraints (and μᵀw ≥ ``min_return``).

        Parameters
        ----------
        gamma : float
            Risk-aversion scale of the quadratic term (0 gives an LP).
        linear : ndarray of shape (n,)
            The linear reward (μ, or zeros for minimum variance).
        min_return : float, optional
            Return floor; ``mu`` gives the return vector it applies to.

        Returns
        -------
        status : str
            ``optimal``, ``optimal_inaccurate``, ``infeasible``, ``unbounded`` or ``failed``.
        weights : ndarray of shape (n,) or None
        """
        mu_row = np.zeros(self.n) if mu is None else np.asarray(mu, dtype=float)
        if (self._solver is None or self._gamma != gamma
                or not np.array_equal(self._mu_row, mu_row)):
            self._build(gamma, mu_row)
        assert self._solver is not None
        b = self._b.copy()
        b[-1] = -(INACTIVE_RETURN if min_return is None else float(min_return))
        self._solver.update(q=-np.asarray(linear, dtype=float), b=b)
        sol = self._solver.solve()
        status = _STATUS.get(str(sol.status), "failed")
        if status not in ("optimal", "optimal_inaccurate"):
            return status, None
        w = np.clip(np.asarray(sol.x, dtype=float), self.cs.lower, self.cs.upper)
        return status, w / w.sum()


def max_sharpe_qp(covariance: FloatArray, constraints: ConstraintSet, excess_return: FloatArray
                  ) -> tuple[str, FloatArray | None]:
    """Maximum Sharpe ratio under linear constraints as one Clarabel QP.

    The homogenised form (variables y and κ ≥ 0, w = y/κ):

        minimise yᵀΣy  s.t. (μ − r_f)ᵀy = 1, 1ᵀy = κ, κl ≤ y ≤ κu, κg_lo ≤ Gy ≤ κg_hi, e·y ≥ 0.

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
    constraints : ConstraintSet
        Linear constraints only (a volatility ceiling is ignored here).
    excess_return : ndarray of shape (n,)
        μ − r_f, annual decimals.

    Returns
    -------
    status : str
    weights : ndarray of shape (n,) or None
    """
    n = constraints.n_assets
    cov = np.asarray(covariance, dtype=float)
    g, glo, ghi = _group_matrix(constraints)
    e = constraints.esg_coefficients()
    lo = np.asarray(constraints.lower, float)[:, None]
    hi = np.asarray(constraints.upper, float)[:, None]
    k = g.shape[0]
    eq = np.vstack([
        np.concatenate([np.asarray(excess_return, float), [0.0]])[None, :],
        np.concatenate([np.ones(n), [-1.0]])[None, :],
    ])
    ineq = np.vstack([
        np.hstack([-np.eye(n), lo]),  # κl − y ≤ 0
        np.hstack([np.eye(n), -hi]),  # y − κu ≤ 0
        np.hstack([-g, glo.reshape(k, 1)]),
        np.hstack([g, -ghi.reshape(k, 1)]),
        np.concatenate([-e, [0.0]])[None, :],
        np.concatenate([np.zeros(n), [-1.0]])[None, :],  # κ ≥ 0
    ])
    a = sp.csc_matrix(np.vstack([eq, ineq]))
    b = np.concatenate([[1.0, 0.0], np.zeros(ineq.shape[0])])
    p = sp.block_diag([sp.triu(sp.csc_matrix(cov)), sp.csc_matrix((1, 1))]).tocsc()
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    cones = [clarabel.ZeroConeT(2), clarabel.NonnegativeConeT(ineq.shape[0])]
    sol = clarabel.DefaultSolver(p, np.zeros(n + 1), a, b, cones, settings).solve()
    status = _STATUS.get(str(sol.status), "failed")
    if status not in ("optimal", "optimal_inaccurate"):
        return status, None
    x = np.asarray(sol.x, dtype=float)
    if x[-1] <= 0:
        return "failed", None
    w = np.clip(x[:n] / x[-1], constraints.lower, constraints.upper)
    return status, w / w.sum()
