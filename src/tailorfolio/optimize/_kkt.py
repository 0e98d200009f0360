"""Exact active-set polish and KKT verification for the optimizer's problems.

An interior-point solver stops at a point that is optimal to its own tolerances, which are
absolute: on daily-unit data (variances ~1e-4, objectives ~1e-8) that leaves the minimum
variance ~1e-6 off in relative terms and weights of 1e-5 on assets that should hold nothing.
The optimizer therefore (1) solves a *scaled* problem (Σ and μ divided by one scalar, which
leaves the weights unchanged), then (2) polishes the solver's point on its active set: it
guesses which bounds and rows are active, solves the equality-constrained KKT system of that
face exactly (one dense linear solve), and (3) checks every KKT condition. A wrong guess is
corrected by primal-dual active-set steps (Hintermüller, Ito & Kunisch, SIAM J. Optim. 13(3),
2003: pin variables that cross a bound, release those whose multiplier has the wrong sign);
the same idea as the fleet solver's batched polish (:mod:`tailorfolio.fleet._polish`).

The problems, in the scaled units, are all of the form

    minimise ½ xᵀ(cΣ)x − μᵀx   subject to   Ex = e,  Gx ≤ h,  l ≤ x ≤ u   [,  xᵀΣx ≤ σ²]

with c = γ fixed (a quadratic program), or, when the volatility ceiling σ binds, c = γ + 2ρ
with ρ ≥ 0 the ceiling's multiplier. On a fixed face the solution is affine in t = 1/c,
x(t) = x₁ + t·x₂ (two right-hand sides of one KKT matrix), so the ceiling ``x(t)ᵀΣx(t) = σ²``
is a quadratic equation in t, solved exactly: the polish keeps the cone constraint active.

KKT conditions checked (Lagrangian ½xᵀPx + qᵀx + yᵀ(Ex − e) + zᵀ(Gx − h) − αᵀ(x − l) + βᵀ(x − u)):

* primal: |Ex − e|, (Gx − h)₊, (l − x)₊, (x − u)₊ and the ceiling's excess;
* dual: |Px + q + Eᵀy + Gᵀz − α + β| and the negative parts of z, α, β, ρ;
* complementarity: |z·(h − Gx)|, |α·(x − l)|, |β·(u − x)|, |ρ·(σ² − xᵀΣx)|.

The dual residual is relative to max(1, max|P|, max|q|); the others are absolute in the
scaled problem's units (weights, so O(1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._problem import _group_matrix
from tailorfolio.typing import FloatArray

DEFAULT_KKT_TOLERANCE = 1e-9
"""Largest KKT residual (primal, dual or complementarity, scaled units) accepted as exact."""
GUESS_TOLERANCE = 1e-7
"""A bound or row within this of the solver's point is guessed active."""
LOOSE_GUESS_TOLERANCE = 1e-4
"""The second guess, for solver points far from their face (an LP's interior-point answer)."""
FREE, AT_LOWER, AT_UPPER = 0, 1, 2


@dataclass(frozen=True)
class KKTResiduals:
    """How exactly a result satisfies its optimality conditions.

    Attributes
    ----------
    primal : float
        Largest constraint violation (weights, scaled problem).
    dual : float
        Largest stationarity or multiplier-sign violation, relative to the problem's scale.
    complementarity : float
        Largest |multiplier × slack| over the inequality constraints.
    tolerance : float
        The tolerance the optimizer was asked to meet (``PortfolioOptimizer(kkt_tolerance=…)``).
    polished : bool
        The weights are the exact solution of the identified active set (not the solver's
        raw point).
    iterations : int
        Active-set solves used.
    scale : float
        The scalar Σ (and μ) was divided by before solving.
    """

    primal: float
    dual: float
    complementarity: float
    tolerance: float
    polished: bool
    iterations: int = 0
    scale: float = 1.0

    @property
    def max_residual(self) -> float:
        return max(self.primal, self.dual, self.complementarity)

    @property
    def satisfied(self) -> bool:
        """Every KKT condition holds to ``tolerance``."""
        return self.max_residual <= self.tolerance


@dataclass
class ScaledQP:
    """``min ½ xᵀ(cΣ)x − μᵀx`` s.t. ``Ex = e, Gx ≤ h, l ≤ x ≤ u`` (see the module docstring).

    ``gamma`` is c for a plain QP (the lower limit of c when ``cap2`` is set); ``cap2`` is
    the squared volatility ceiling in scaled units, or None.
    """

    sigma: FloatArray
    mu: FloatArray
    gamma: float
    E: FloatArray
    e: FloatArray
    G: FloatArray
    h: FloatArray
    lower: FloatArray
    upper: FloatArray
    cap2: float | None = None
    scale: float = 1.0

    @property
    def n(self) -> int:
        return len(self.mu)


@dataclass
class Polished:
    """A polished point with its multipliers and residuals."""

    x: FloatArray
    residuals: KKTResiduals
    c: float


def problem_scale(covariance: FloatArray) -> float:
    """The scalar Σ is divided by: its mean variance (1 when Σ is zero)."""
    d = float(np.mean(np.diag(covariance))) if len(covariance) else 1.0
    return d if np.isfinite(d) and d > 0 else 1.0


def _normalise_rows(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    if a.shape[0] == 0:
        return a, b
    norm = np.abs(a).max(axis=1)
    norm[norm == 0] = 1.0
    return a / norm[:, None], b / norm


def make_qp(sigma: FloatArray, mu: FloatArray, gamma: float, E: FloatArray, e: FloatArray,
            G: FloatArray, h: FloatArray, lower: FloatArray, upper: FloatArray,
            cap2: float | None = None, scale: float = 1.0) -> ScaledQP:
    """A :class:`ScaledQP` with every row normalised to unit max-norm."""
    n = len(mu)
    E, e = _normalise_rows(np.asarray(E, float).reshape(-1, n), np.asarray(e, float))
    G, h = _normalise_rows(np.asarray(G, float).reshape(-1, n), np.asarray(h, float))
    return ScaledQP(np.asarray(sigma, float), np.asarray(mu, float), float(gamma), E, e, G, h,
                    np.asarray(lower, float), np.asarray(upper, float), cap2, scale)


# --------------------------------------------------------------------------- active sets


def _guess(qp: ScaledQP, x0: FloatArray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    var = np.full(qp.n, FREE, dtype=np.int8)
    with np.errstate(invalid="ignore"):  # infinite bounds never count as active
        var[np.isfinite(qp.upper) & (x0 >= qp.upper - tol * (1 + np.abs(qp.upper)))] = AT_UPPER
        var[np.isfinite(qp.lower) & (x0 <= qp.lower + tol * (1 + np.abs(qp.lower)))] = AT_LOWER
    var[qp.upper - qp.lower <= 1e-14] = AT_LOWER  # pinned (e.g. an excluded asset)
    rows = (qp.h - qp.G @ x0) <= tol * (1 + np.abs(qp.h))
    return var, rows


def _fixed_values(qp: ScaledQP, var: np.ndarray) -> FloatArray:
    return np.where(var == AT_UPPER, qp.upper, np.where(var == AT_LOWER, qp.lower, 0.0))


def _solve(k: FloatArray, rhs: FloatArray) -> FloatArray:
    try:
        sol = np.linalg.solve(k, rhs)
        err = float(np.abs(k @ sol - rhs).max(initial=0.0))
        if np.isfinite(err) and err <= 1e-10 * (1.0 + float(np.abs(rhs).max(initial=0.0))):
            return sol
    except np.linalg.LinAlgError:
        pass
    # Dependent active rows (e.g. an asset cap equal to its class cap): the minimum-norm
    # solution of the consistent system is still exact.
    return np.linalg.lstsq(k, rhs, rcond=None)[0]


def _face(qp: ScaledQP, var: np.ndarray, rows: np.ndarray
          ) -> tuple[FloatArray, FloatArray, FloatArray, float] | None:
    """Exact solution of the face (var, rows): x, y (E), z (active G rows), c."""
    free = var == FREE
    xf = _fixed_values(qp, var)
    ga = qp.G[rows]
    a = np.vstack([qp.E, ga])
    b = np.concatenate([qp.e, qp.h[rows]])
    nf, m = int(free.sum()), a.shape[0]
    k = np.zeros((nf + m, nf + m))
    s_ff = qp.sigma[np.ix_(free, free)]
    a_f = a[:, free]
    k[nf:, :nf] = a_f
    k[:nf, nf:] = a_f.T
    # constant part (the fixed variables and the rows' right-hand sides) and μ part
    r_const = np.concatenate([-qp.sigma[free] @ xf, b - a @ xf])
    r_mu = np.concatenate([qp.mu[free], np.zeros(m)])
    if qp.cap2 is None:
        c = qp.gamma
        k[:nf, :nf] = c * s_ff
        r_const[:nf] *= c
        sol = _solve(k, r_const + r_mu)
    else:
        # Σ_FF x + Aᵀ ν = t μ_F − Σ_FX x_X with t = 1/c and ν = t·(multipliers).
        k[:nf, :nf] = s_ff
        both = _solve(k, np.column_stack([r_const, r_mu]))
        s1, s2 = both[:, 0], both[:, 1]
        x1, x2 = xf.copy(), np.zeros(qp.n)
        x1[free], x2[free] = s1[:nf], s2[:nf]
        q2 = float(x2 @ qp.sigma @ x2)
        q1 = float(2 * x1 @ qp.sigma @ x2)
        q0 = float(x1 @ qp.sigma @ x1) - qp.cap2
        disc = q1 * q1 - 4 * q2 * q0
        if q2 <= 0 or disc < 0:
            return None  # this face cannot reach the ceiling
        t = (-q1 + np.sqrt(disc)) / (2 * q2)  # the higher-return root
        if t <= 0:
            return None
        c = 1.0 / t
        sol = (s1 + t * s2) * c  # multipliers back to the problem with P = cΣ
        sol[:nf] = s1[:nf] + t * s2[:nf]
    x = xf.copy()
    x[free] = sol[:nf]
    me = qp.E.shape[0]
    return x, sol[nf:nf + me], sol[nf + me:], c


def residuals(qp: ScaledQP, x: FloatArray, var: np.ndarray, rows: np.ndarray, y: FloatArray,
              z_active: FloatArray, c: float, tolerance: float, polished: bool,
              iterations: int) -> tuple[KKTResiduals, dict[str, FloatArray]]:
    """The KKT residuals of (x, y, z, c) on the face (var, rows), and each violation."""
    p_scale = max(1.0, c * float(np.abs(qp.sigma).max(initial=0.0)),
                  float(np.abs(qp.mu).max(initial=0.0)))
    z = np.zeros(len(qp.h))
    z[rows] = z_active
    grad = c * (qp.sigma @ x) - qp.mu + qp.E.T @ y + qp.G.T @ z
    free = var == FREE
    alpha = np.where(var == AT_LOWER, grad, 0.0)  # x − l ≥ 0 multipliers
    beta = np.where(var == AT_UPPER, -grad, 0.0)  # u − x ≥ 0 multipliers
    pinned = qp.upper - qp.lower <= 1e-14
    alpha = np.where(pinned, 0.0, alpha)  # a pinned variable's multiplier has either sign
    gx = qp.G @ x
    slack_lo = np.where(var == AT_LOWER, x - np.where(var == AT_LOWER, qp.lower, 0.0), 0.0)
    slack_up = np.where(var == AT_UPPER, np.where(var == AT_UPPER, qp.upper, 0.0) - x, 0.0)
    viol = {
        "below": np.where(free, qp.lower - x, -np.inf),
        "above": np.where(free, x - qp.upper, -np.inf),
        "row": np.where(rows, -np.inf, gx - qp.h),
        "neg_z": np.where(rows, -z, -np.inf),
        "neg_alpha": np.where((var == AT_LOWER) & ~pinned, -alpha / p_scale, -np.inf),
        "neg_beta": np.where(var == AT_UPPER, -beta / p_scale, -np.inf),
        # a free variable whose stationarity fails: the face problem is singular (an LP-like
        # face with more free variables than active rows) and the variable must be pinned
        "stationarity": np.where(free, np.abs(grad) / p_scale, -np.inf),
    }
    primal = max(0.0,
                 float(np.abs(qp.E @ x - qp.e).max(initial=0.0)),
                 float((gx - qp.h).max(initial=0.0)),
                 float((qp.lower - x).max(initial=0.0)),
                 float((x - qp.upper).max(initial=0.0)))
    rho = 0.0
    if qp.cap2 is not None:
        primal = max(primal, float(x @ qp.sigma @ x) - qp.cap2)
        rho = (c - qp.gamma) / 2
    stat = float(np.abs(np.where(free, grad, 0.0)).max(initial=0.0)) / p_scale
    dual = max(0.0, stat, float((-z).max(initial=0.0)) / p_scale,
               float(np.where(pinned, 0.0, -alpha).max(initial=0.0)) / p_scale,
               float((-beta).max(initial=0.0)) / p_scale, -rho / p_scale)
    comp = max(0.0,
               float(np.abs(z * (qp.h - gx)).max(initial=0.0)) / p_scale,
               float(np.abs(alpha * slack_lo).max(initial=0.0)) / p_scale,
               float(np.abs(beta * slack_up).max(initial=0.0)) / p_scale)
    if qp.cap2 is not None:
        comp = max(comp, abs(rho * (qp.cap2 - float(x @ qp.sigma @ x))) / p_scale)
    res = KKTResiduals(float(primal), float(dual), float(comp), float(tolerance), polished,
                       iterations, float(qp.scale))
    return res, viol


def _sign_constrained_multipliers(qp: ScaledQP, x: FloatArray, var: np.ndarray,
                                  rows: np.ndarray) -> tuple[FloatArray, FloatArray, float]:
    """Multipliers of a degenerate face (more active constraints than free variables, e.g. a
    vertex), where the face solve's minimum-norm choice may have the wrong signs: the
    nonnegative least-squares fit of the stationarity condition over every coordinate,
    with y free (split in ±), z, α, β ≥ 0, and 2ρ ≥ 0 when the ceiling is active."""
    n = qp.n
    eye = np.eye(n)
    lower = (var == AT_LOWER) & (qp.upper - qp.lower > 1e-14)
    upper = var == AT_UPPER
    pinned = (var == AT_LOWER) & ~lower
    cols = [qp.E.T, -qp.E.T, qp.G[rows].T, -eye[:, lower], eye[:, upper], eye[:, pinned],
            -eye[:, pinned]]
    if qp.cap2 is not None:
        cols.append((qp.sigma @ x)[:, None])
    a = np.hstack(cols)
    g0 = qp.gamma * (qp.sigma @ x) - qp.mu
    v, _ = nnls(a, -g0, maxiter=50 * a.shape[1])
    me, mg = qp.E.shape[0], int(rows.sum())
    y = v[:me] - v[me:2 * me]
    z = v[2 * me:2 * me + mg]
    c = qp.gamma + (float(v[-1]) if qp.cap2 is not None else 0.0)
    return y, z, c


def polish(qp: ScaledQP, x0: FloatArray, tolerance: float = DEFAULT_KKT_TOLERANCE,
           max_iter: int = 40, full_steps: int = 3, at_lower: np.ndarray | None = None,
           at_upper: np.ndarray | None = None) -> Polished | None:
    """Polish ``x0`` on its active set until every KKT condition holds to ``tolerance``.

    ``at_lower`` / ``at_upper`` (boolean, shape (n,)) add the solver's own verdict on which
    bounds are active (an interior-point dual larger than its slack), which usually makes the
    first guess right. Returns None when no face passes the check within ``max_iter``
    active-set solves (the caller keeps the solver's point and says so).
    """
    for guess_tol in (GUESS_TOLERANCE, LOOSE_GUESS_TOLERANCE):
        done = _polish_from(qp, np.asarray(x0, float), tolerance, max_iter, full_steps,
                            at_lower, at_upper, guess_tol)
        if done is not None:
            return done
    return None


def _polish_from(qp: ScaledQP, x0: FloatArray, tolerance: float, max_iter: int,
                 full_steps: int, at_lower: np.ndarray | None, at_upper: np.ndarray | None,
                 guess_tol: float) -> Polished | None:
    var, rows = _guess(qp, x0, guess_tol)
    if at_lower is not None:
        var[(var == FREE) & at_lower & np.isfinite(qp.lower)] = AT_LOWER
    if at_upper is not None:
        var[(var == FREE) & at_upper & np.isfinite(qp.upper)] = AT_UPPER
    seen: set[bytes] = set()
    for it in range(1, max_iter + 1):
        key = var.tobytes() + rows.tobytes()
        if key in seen:
            break  # cycling
        seen.add(key)
        face = _face(qp, var, rows)
        if face is None:
            if (var == FREE).any():
                return None
            x = _fixed_values(qp, var)  # a vertex on the ceiling: ρ comes from the fit below
            y, z, c = np.zeros(qp.E.shape[0]), np.zeros(int(rows.sum())), qp.gamma
        else:
            x, y, z, c = face
        res, viol = residuals(qp, x, var, rows, y, z, c, tolerance, True, it)
        if not res.satisfied and res.primal <= tolerance:
            # primal feasible but the multipliers fail: they may just not be unique
            y2, z2, c2 = _sign_constrained_multipliers(qp, x, var, rows)
            res2, viol2 = residuals(qp, x, var, rows, y2, z2, c2, tolerance, True, it)
            if res2.satisfied or res2.dual < res.dual:
                res, viol, c = res2, viol2, c2
        if res.satisfied:
            x = np.where(var == AT_LOWER, qp.lower, np.where(var == AT_UPPER, qp.upper, x))
            return Polished(x, res, c)
        bad = {k: v > tolerance for k, v in viol.items()}
        if it > full_steps:  # one change at a time from here on (cannot cycle the same way)
            best_k = max(viol, key=lambda k: float(viol[k].max(initial=-np.inf)))
            one = np.zeros_like(bad[best_k])
            one[int(np.argmax(viol[best_k]))] = True
            bad = {k: (one if k == best_k else np.zeros_like(v)) for k, v in bad.items()}
        var = var.copy()
        rows = rows.copy()
        var[bad["below"]] = AT_LOWER
        var[bad["above"]] = AT_UPPER
        var[bad["neg_alpha"] | bad["neg_beta"]] = FREE
        pin = bad["stationarity"] & ~bad["below"] & ~bad["above"]
        if pin.any():  # to the bound the solver's point is nearer to
            near_up = (qp.upper - x0) < (x0 - qp.lower)
            var[pin & near_up] = AT_UPPER
            var[pin & ~near_up] = AT_LOWER
        rows[bad["row"]] = True
        rows[bad["neg_z"]] = False
    return None


def evaluate(qp: ScaledQP, x: FloatArray, tolerance: float) -> KKTResiduals:
    """Residuals of an unpolished point: multipliers fitted by least squares on its guessed
    active set (what a caller reports when :func:`polish` found no exact face)."""
    var, rows = _guess(qp, x, GUESS_TOLERANCE)
    free = var == FREE
    cols = [qp.E.T, qp.G[rows].T]
    base = -qp.mu.copy()
    c = qp.gamma
    if qp.cap2 is not None:
        cols.append((qp.sigma @ x)[:, None])  # 2ρΣx, ρ fitted too
    base = base + qp.gamma * (qp.sigma @ x)
    a = np.hstack(cols)
    me, mg = qp.E.shape[0], int(rows.sum())
    sol = (np.linalg.lstsq(a[free], -base[free], rcond=None)[0] if free.any()
           else np.zeros(a.shape[1]))
    if qp.cap2 is not None:
        c = qp.gamma + float(sol[-1])
    res, _ = residuals(qp, x, var, rows, sol[:me], sol[me:me + mg], c, tolerance, False, 0)
    return res


# --------------------------------------------------------------------------- problem builders


def _nontrivial_groups(cs: ConstraintSet) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Group rows that can bind (a minimum above 0 or a maximum below 1)."""
    g, lo, hi = _group_matrix(cs)
    return g, np.where(lo > 0, lo, -np.inf), np.where(hi < 1, hi, np.inf)


def mean_variance_qp(sigma: FloatArray, mu: FloatArray, gamma: float, cs: ConstraintSet, *,
                     return_row: FloatArray | None = None, min_return: float | None = None,
                     cap2: float | None = None, scale: float = 1.0) -> ScaledQP:
    """The w-space problem of ``cs`` (budget, bounds, nontrivial class bounds, ESG floor, an
    optional return floor ``return_rowᵀw ≥ min_return`` and volatility ceiling)."""
    n = cs.n_assets
    g, glo, ghi = _nontrivial_groups(cs)
    eq_rows = [np.ones((1, n))]
    eq_rhs = [np.ones(1)]
    same = np.isfinite(glo) & np.isfinite(ghi) & (np.abs(glo - ghi) <= 1e-14)
    if same.any():
        eq_rows.append(g[same])
        eq_rhs.append(ghi[same])
    rows, rhs = [g[np.isfinite(ghi) & ~same], -g[np.isfinite(glo) & ~same]], [
        ghi[np.isfinite(ghi) & ~same], -glo[np.isfinite(glo) & ~same]]
    esg = cs.esg_coefficients()
    if np.any(esg != 0):
        rows.append(-esg[None, :])
        rhs.append(np.zeros(1))
    if min_return is not None and return_row is not None:
        rows.append(-np.asarray(return_row, float)[None, :])
        rhs.append(np.array([-float(min_return)]))
    return make_qp(sigma, mu, gamma, np.vstack(eq_rows), np.concatenate(eq_rhs),
                   np.vstack(rows), np.concatenate(rhs), np.asarray(cs.lower, float),
                   np.asarray(cs.upper, float), cap2, scale)


def max_sharpe_homogeneous_qp(sigma: FloatArray, excess: FloatArray, cs: ConstraintSet, *,
                              scale: float = 1.0) -> ScaledQP:
    """The homogenised tangency problem in x = (y, κ): min ½yᵀΣy s.t. excessᵀy = 1,
    1ᵀy = κ, κl ≤ y ≤ κu, κg_lo ≤ Gy ≤ κg_hi, e·y ≥ 0, κ ≥ 0 (w = y/κ)."""
    n = cs.n_assets
    lo = np.asarray(cs.lower, float)
    up = np.asarray(cs.upper, float)
    s = np.zeros((n + 1, n + 1))
    s[:n, :n] = sigma
    eq = np.zeros((2, n + 1))
    eq[0, :n] = excess
    eq[1, :n], eq[1, n] = 1.0, -1.0
    rows: list[FloatArray] = []
    lower = np.concatenate([np.zeros(n), [0.0]])
    upper = np.full(n + 1, np.inf)
    for i in range(n):
        if lo[i] > 0:  # κ l_i − y_i ≤ 0
            r = np.zeros(n + 1)
            r[i], r[n] = -1.0, lo[i]
            rows.append(r)
        if up[i] <= 0:
            upper[i] = 0.0
        elif up[i] < 1:  # y_i − κ u_i ≤ 0
            r = np.zeros(n + 1)
            r[i], r[n] = 1.0, -up[i]
            rows.append(r)
    g, glo, ghi = _nontrivial_groups(cs)
    for k in range(g.shape[0]):
        if np.isfinite(ghi[k]):
            rows.append(np.concatenate([g[k], [-ghi[k]]]))
        if np.isfinite(glo[k]):
            rows.append(np.concatenate([-g[k], [glo[k]]]))
    esg = cs.esg_coefficients()
    if np.any(esg != 0):
        rows.append(np.concatenate([-esg, [0.0]]))
    gm = np.vstack(rows) if rows else np.zeros((0, n + 1))
    return make_qp(s, np.zeros(n + 1), 1.0, eq, np.array([1.0, 0.0]), gm,
                   np.zeros(gm.shape[0]), lower, upper, None, scale)
