"""A direct Clarabel quadratic program for the linearly constrained mean-variance family.

The cvxpy problems in ``_problem.py`` carry every constraint a plan can need (including the
second-order-cone volatility ceiling). Frontiers and other sweeps under purely linear
constraints need none of that, and re-solving through cvxpy costs more than the solve itself.
:class:`LinearMeanVarianceQP` builds Clarabel's data once,

    minimise ½ wᵀ(γΣ)w − μ_effᵀw
    subject to 1ᵀw = 1, l ≤ w ≤ u, g_lo ≤ Gw ≤ g_hi, e·w ≥ 0, μᵀw ≥ r_min,

and updates only the vectors (q, b) between solves (Clarabel's data-update interface), so a
50-point frontier is 50 interior-point solves with no modelling overhead.

Clarabel sees a *scaled* problem (Σ and the linear term divided by Σ's mean variance, the
return-floor row by its largest entry), which leaves the weights unchanged but makes its
absolute tolerances mean the same on daily and annual data; its point is then polished on the
active set and its KKT conditions checked (:mod:`tailorfolio.optimize._kkt`).
"""

from __future__ import annotations

import clarabel
import numpy as np
import scipy.sparse as sp

from dataclasses import dataclass

from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._kkt import (
    DEFAULT_KKT_TOLERANCE,
    KKTResiduals,
    ScaledQP,
    evaluate,
    max_sharpe_homogeneous_qp,
    mean_variance_qp,
    polish,
    problem_scale,
)
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


@dataclass(frozen=True)
class QPSolution:
    """A solve's status, weights (None unless optimal) and KKT residuals (None likewise)."""

    status: str
    weights: FloatArray | None
    kkt: KKTResiduals | None = None


def finish(qp: ScaledQP, x: FloatArray, tolerance: float, do_polish: bool = True,
           at_lower: np.ndarray | None = None, at_upper: np.ndarray | None = None
           ) -> tuple[FloatArray, KKTResiduals]:
    """Polish the solver's point ``x`` of ``qp``; the raw point (clipped) when no face passes."""
    done = (polish(qp, x, tolerance, at_lower=at_lower, at_upper=at_upper) if do_polish
            else None)
    if done is not None:
        return done.x, done.residuals
    x = np.clip(x, qp.lower, qp.upper)
    return x, evaluate(qp, x, tolerance)


class LinearMeanVarianceQP:
    """Clarabel QP for one covariance and one linear constraint set, re-solvable.

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
        Annual covariance, positive definite.
    constraints : ConstraintSet
        Its volatility ceiling, if any, is ignored (linear constraints only).
    kkt_tolerance : float
        KKT residual the polished answer must meet (see :mod:`tailorfolio.optimize._kkt`).
    polish : bool
        Polish Clarabel's point on its active set (the default); off, the raw point is
        returned with its residuals.
    """

    def __init__(self, covariance: FloatArray, constraints: ConstraintSet, *,
                 kkt_tolerance: float = DEFAULT_KKT_TOLERANCE, polish: bool = True):
        n = constraints.n_assets
        self.n = n
        self.cs = constraints
        self.cov = np.asarray(covariance, dtype=float)
        self.scale = problem_scale(self.cov)
        self.cov_scaled = self.cov / self.scale
        self.kkt_tolerance = kkt_tolerance
        self.polish = polish
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
        p = (sp.triu(sp.csc_matrix(gamma * self.cov_scaled)).tocsc() if gamma > 0
             else sp.csc_matrix((self.n, self.n)))
        a = self._a_dense.copy()
        a[-1] = -mu_row / self._row_norm(mu_row)
        self._solver = clarabel.DefaultSolver(p, np.zeros(self.n), sp.csc_matrix(a), self._b,
                                              self._cones, self._settings)
        self._gamma = gamma
        self._mu_row = mu_row.copy()

    @staticmethod
    def _row_norm(row: FloatArray) -> float:
        m = float(np.abs(row).max(initial=0.0))
        return m if m > 0 else 1.0

    def solve(self, *, gamma: float, linear: FloatArray, min_return: float | None = None,
              mu: FloatArray | None = None) -> tuple[str, FloatArray | None]:
        """:meth:`solve_full` without the residuals: ``(status, weights)``."""
        out = self.solve_full(gamma=gamma, linear=linear, min_return=min_return, mu=mu)
        return out.status, out.weights

    def solve_full(self, *, gamma: float, linear: FloatArray, min_return: float | None = None,
                   mu: FloatArray | None = None) -> QPSolution:
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
        QPSolution
            ``status`` is ``optimal``, ``optimal_inaccurate``, ``infeasible``, ``unbounded``
            or ``failed``; ``weights`` (shape (n,)) and ``kkt`` are None unless optimal.
        """
        mu_row = np.zeros(self.n) if mu is None else np.asarray(mu, dtype=float)
        if (self._solver is None or self._gamma != gamma
                or not np.array_equal(self._mu_row, mu_row)):
            self._build(gamma, mu_row)
        assert self._solver is not None
        b = self._b.copy()
        norm = self._row_norm(mu_row)
        b[-1] = -(INACTIVE_RETURN if min_return is None else float(min_return) / norm)
        linear_s = np.asarray(linear, dtype=float) / self.scale
        self._solver.update(q=-linear_s, b=b)
        sol = self._solver.solve()
        status = _STATUS.get(str(sol.status), "failed")
        if status not in ("optimal", "optimal_inaccurate"):
            return QPSolution(status, None)
        qp = mean_variance_qp(
            self.cov_scaled, linear_s, gamma, self.cs, return_row=mu_row / norm,
            min_return=None if min_return is None else float(min_return) / norm,
            scale=self.scale)
        z, sl = np.asarray(sol.z, dtype=float), np.asarray(sol.s, dtype=float)
        n = self.n
        w, kkt = finish(qp, np.asarray(sol.x, dtype=float), self.kkt_tolerance, self.polish,
                        at_lower=z[1:n + 1] > sl[1:n + 1],
                        at_upper=z[n + 1:2 * n + 1] > sl[n + 1:2 * n + 1])
        if kkt.polished and status == "optimal_inaccurate" and kkt.satisfied:
            status = "optimal"  # the exact face solve supersedes the solver's accuracy
        return QPSolution(status, w / w.sum(), kkt)


def max_sharpe_qp(covariance: FloatArray, constraints: ConstraintSet, excess_return: FloatArray
                  ) -> tuple[str, FloatArray | None]:
    """:func:`max_sharpe_qp_full` without the residuals: ``(status, weights)``."""
    out = max_sharpe_qp_full(covariance, constraints, excess_return)
    return out.status, out.weights


def max_sharpe_qp_full(covariance: FloatArray, constraints: ConstraintSet,
                       excess_return: FloatArray, *,
                       kkt_tolerance: float = DEFAULT_KKT_TOLERANCE, polish: bool = True
                       ) -> QPSolution:
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
    QPSolution
        Σ is divided by its mean variance and the excess return by its largest magnitude
        before solving (w = y/κ is unchanged); the point is polished in (y, κ).
    """
    n = constraints.n_assets
    scale = problem_scale(np.asarray(covariance, dtype=float))
    cov = np.asarray(covariance, dtype=float) / scale
    excess = np.asarray(excess_return, float)
    excess = excess / max(float(np.abs(excess).max(initial=0.0)), 1e-300)
    g, glo, ghi = _group_matrix(constraints)
    e = constraints.esg_coefficients()
    lo = np.asarray(constraints.lower, float)[:, None]
    hi = np.asarray(constraints.upper, float)[:, None]
    k = g.shape[0]
    eq = np.vstack([
        np.concatenate([excess, [0.0]])[None, :],
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
        return QPSolution(status, None)
    qp = max_sharpe_homogeneous_qp(cov, excess, constraints, scale=scale)
    z, sl = np.asarray(sol.z, dtype=float), np.asarray(sol.s, dtype=float)
    zero_floor = np.asarray(constraints.lower, float) <= 0  # κl − y ≤ 0 is then y ≥ 0
    at_lower = np.concatenate([(z[2:n + 2] > sl[2:n + 2]) & zero_floor, [False]])
    x, kkt = finish(qp, np.asarray(sol.x, dtype=float), kkt_tolerance, polish,
                    at_lower=at_lower)
    if x[-1] <= 0:
        return QPSolution("failed", None)
    if kkt.polished and status == "optimal_inaccurate" and kkt.satisfied:
        status = "optimal"
    w = np.clip(x[:n] / x[-1], constraints.lower, constraints.upper)
    return QPSolution(status, w / w.sum(), kkt)
