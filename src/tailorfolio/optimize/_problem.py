"""Compiled, parameterised mean-variance problems: built once per universe, re-solved often.

One :class:`MeanVarianceProblem` serves maximum utility, minimum variance, target volatility,
target return and every frontier point, because all are instances of

    maximise   μ_eff·w − ‖F_γ w‖² − c·|w − w₀|
    subject to Σw = 1,  l ≤ w ≤ u,  g_lo ≤ G w ≤ g_hi,  e·w ≥ 0,
               ‖F w‖ ≤ σ_max,  μ·w ≥ r_min,  ‖w − w₀‖₁ ≤ τ

with F the Cholesky factor of Σ (FᵀF = Σ) and F_γ = √(γ/2)·F. Setting μ_eff = 0 and γ = 2 gives
minimum variance; γ = 0 with σ_max = target gives the maximum return at a volatility; and so on.
Only parameter values change between solves, so cvxpy canonicalises the problem once (DPP).

:class:`MaxSharpeProblem` is the homogenised tangency problem (Cornuéjols & Tütüncü):
minimise ‖F y‖² s.t. (μ − r_f)·y = 1, Σy = κ, κl ≤ y ≤ κu, …, then w = y/κ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.typing import FloatArray

if TYPE_CHECKING:  # cvxpy (and the scipy.stats it pulls in) loads only when a
    import cvxpy as cp  # function below solves, not on import (the plan makes no solve)

INACTIVE_VOLATILITY = 10.0
"""A volatility ceiling (1000 %/yr) that never binds; used when no ceiling is set."""
INACTIVE_RETURN = -10.0
"""A return floor that never binds."""


def cholesky_factor(covariance: FloatArray) -> FloatArray:
    """Upper-triangular F with FᵀF = covariance (adds a tiny ridge if needed).

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
        Symmetric positive (semi)definite.
    """
    cov = np.asarray(covariance, dtype=np.float64)
    cov = (cov + cov.T) / 2
    try:
        return np.linalg.cholesky(cov).T
    except np.linalg.LinAlgError:
        ridge = 1e-10 * max(1.0, float(np.trace(cov)) / len(cov))
        return np.linalg.cholesky(cov + ridge * np.eye(len(cov))).T


def _group_matrix(constraints: ConstraintSet) -> tuple[FloatArray, FloatArray, FloatArray]:
    if constraints.groups:
        g = np.vstack([grp.members for grp in constraints.groups])
        lo = np.array([grp.min for grp in constraints.groups])
        hi = np.array([grp.max for grp in constraints.groups])
    else:
        g = np.zeros((1, constraints.n_assets))
        lo, hi = np.zeros(1), np.ones(1)
    return g, lo, hi


class _ConstraintParameters:
    """The cvxpy Parameters every compiled problem shares, and loading them from a
    :class:`ConstraintSet` (bounds, class bounds, ESG floor coefficients, volatility ceiling)."""

    def __init__(self, n_assets: int, group_matrix: FloatArray):
        import cvxpy as cp

        n = n_assets
        self.n_assets = n
        self.group_matrix = np.asarray(group_matrix, dtype=float)
        k = self.group_matrix.shape[0]
        self.f = cp.Parameter((n, n), name="F")
        self.lower = cp.Parameter(n, name="lower")
        self.upper = cp.Parameter(n, name="upper")
        self.group_lo = cp.Parameter(k, name="group_lo")
        self.group_hi = cp.Parameter(k, name="group_hi")
        self.esg = cp.Parameter(n, name="esg_coefficients")
        self.vol_cap = cp.Parameter(nonneg=True, name="vol_cap")

    def load_constraints(self, constraints: ConstraintSet) -> None:
        """Set the shared parameters from ``constraints``."""
        _, lo, hi = _group_matrix(constraints)
        self.lower.value = np.asarray(constraints.lower, dtype=float)
        self.upper.value = np.asarray(constraints.upper, dtype=float)
        self.group_lo.value = lo
        self.group_hi.value = hi
        self.esg.value = constraints.esg_coefficients()
        cap = constraints.max_volatility
        self.vol_cap.value = INACTIVE_VOLATILITY if cap is None else float(cap)


class MeanVarianceProblem(_ConstraintParameters):
    """The parameterised problem for one universe and one group structure.

    Parameters
    ----------
    n_assets : int
    group_matrix : ndarray of shape (n_groups, n_assets)
        Membership of each class group (a constant of the compiled problem).
    with_costs : bool
        Include linear transaction costs and a turnover limit against current weights
        (adds 2n auxiliary terms; off by default).
    """

    def __init__(self, n_assets: int, group_matrix: FloatArray, *, with_costs: bool = False):
        import cvxpy as cp

        super().__init__(n_assets, group_matrix)
        n = n_assets
        self.with_costs = with_costs
        self.w = cp.Variable(n, name="w")
        self.mu = cp.Parameter(n, name="mu_eff")
        self.f_gamma = cp.Parameter((n, n), name="F_gamma")
        self.mu_plain = cp.Parameter(n, name="mu")
        self.min_return = cp.Parameter(name="min_return")
        w = self.w
        objective = self.mu @ w - cp.sum_squares(self.f_gamma @ w)
        cons = [
            cp.sum(w) == 1,
            w >= self.lower,
            w <= self.upper,
            self.group_matrix @ w >= self.group_lo,
            self.group_matrix @ w <= self.group_hi,
            self.esg @ w >= 0,
            cp.norm(self.f @ w, 2) <= self.vol_cap,
            self.mu_plain @ w >= self.min_return,
        ]
        if with_costs:
            self.w0 = cp.Parameter(n, name="w_current")
            self.cost = cp.Parameter(n, nonneg=True, name="cost_rate")
            self.turnover_cap = cp.Parameter(nonneg=True, name="turnover_cap")
            # |w − w₀| through an auxiliary variable so that cost @ |trade| stays DPP
            # (a parameter times a variable) and the problem compiles once.
            trade = w - self.w0
            self.trade_size = cp.Variable(n, nonneg=True, name="trade_size")
            objective = objective - self.cost @ self.trade_size
            cons += [self.trade_size >= trade, self.trade_size >= -trade,
                     cp.sum(self.trade_size) <= self.turnover_cap]
        self.constraints = cons
        self.problem = cp.Problem(cp.Maximize(objective), cons)
        self._named = {
            "budget": cons[0], "lower": cons[1], "upper": cons[2], "group_lo": cons[3],
            "group_hi": cons[4], "esg": cons[5], "volatility": cons[6], "min_return": cons[7],
        }

    def set_constraints(self, constraints: ConstraintSet) -> None:
        """Load bounds, groups, ESG floor and volatility ceiling from ``constraints``."""
        self.load_constraints(constraints)
        self.min_return.value = INACTIVE_RETURN
        if self.with_costs:
            self.w0.value = np.zeros(self.n_assets)
            self.cost.value = np.zeros(self.n_assets)
            self.turnover_cap.value = 2.0

    def set_objective(self, mu: FloatArray, factor: FloatArray, *, risk_aversion: float,
                      return_weight: float = 1.0) -> None:
        """Set μ·``return_weight`` − (γ/2)‖F w‖² as the objective (γ = ``risk_aversion``)."""
        self.mu.value = np.asarray(mu, dtype=float) * return_weight
        self.mu_plain.value = np.asarray(mu, dtype=float)
        self.f.value = factor
        self.f_gamma.value = np.sqrt(max(risk_aversion, 0.0) / 2.0) * factor

    def set_costs(self, current_weights: FloatArray, cost_rate: FloatArray | float,
                  turnover_cap: float | None = None) -> None:
        """Linear cost ``cost_rate`` (decimal per unit traded) against ``current_weights``."""
        if not self.with_costs:
            raise RuntimeError("problem compiled without costs")
        self.w0.value = np.asarray(current_weights, dtype=float)
        self.cost.value = np.broadcast_to(np.asarray(cost_rate, dtype=float),
                                          (self.n_assets,)).copy()
        self.turnover_cap.value = 2.0 if turnover_cap is None else float(turnover_cap)

    def weights(self) -> FloatArray:
        """The solution, clipped to the bounds' numerical noise and renormalised."""
        w = np.asarray(self.w.value, dtype=float)
        w = np.clip(w, self.lower.value, self.upper.value)
        return w / w.sum()


class MaxSharpeProblem(_ConstraintParameters):
    """Homogenised maximum-Sharpe problem for one universe (see module docstring)."""

    def __init__(self, n_assets: int, group_matrix: FloatArray):
        import cvxpy as cp

        super().__init__(n_assets, group_matrix)
        self.y = cp.Variable(n_assets, name="y")
        self.kappa = cp.Variable(nonneg=True, name="kappa")
        self.excess = cp.Parameter(n_assets, name="excess_return")
        y, kap = self.y, self.kappa
        cons = [
            self.excess @ y == 1,
            cp.sum(y) == kap,
            y >= cp.multiply(self.lower, kap),
            y <= cp.multiply(self.upper, kap),
            self.group_matrix @ y >= self.group_lo * kap,
            self.group_matrix @ y <= self.group_hi * kap,
            self.esg @ y >= 0,
            cp.norm(self.f @ y, 2) <= self.vol_cap * kap,
        ]
        self.problem = cp.Problem(cp.Minimize(cp.sum_squares(self.f @ y)), cons)

    def set(self, constraints: ConstraintSet, mu: FloatArray, factor: FloatArray,
            risk_free_rate: float) -> None:
        self.load_constraints(constraints)
        self.excess.value = np.asarray(mu, dtype=float) - risk_free_rate
        self.f.value = factor

    def weights(self) -> FloatArray:
        kap = float(self.kappa.value)
        w = np.asarray(self.y.value, dtype=float) / kap
        w = np.clip(w, self.lower.value, self.upper.value)
        return w / w.sum()
