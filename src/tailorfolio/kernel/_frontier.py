"""The efficient frontier as one exact parametric path (the critical line, generalised).

Every frontier of tailorfolio — the optimizer's, the fleet's, the ESG-efficient one, the
plan's and the report's — is the solution path of

    minimise ½ wᵀΣw − t μᵀw
    subject to Ew = e,  c_lo ≤ Cw ≤ c_hi,  l ≤ w ≤ u

as t runs from 0 (minimum variance) to ∞ (the maximum-return corner of the constraints, and
among its portfolios the least risky one). On a fixed active set (free variables F, the other
variables at a bound, the equality rows and the active inequality rows A) the KKT system

    Σ_FF w_F + A_Fᵀν = t μ_F − Σ_FX w_X,    A_F w_F = b − A_X w_X

is linear in t, so w(t) = w₀ + t w₁ and ν(t) = ν₀ + t ν₁ exactly, until a *breakpoint*: a free
weight reaches a bound, an inactive row reaches its limit, or the multiplier of an active
bound or row reaches zero. The path is therefore piecewise linear in t, and also in the
expected return μᵀw(t), which is nondecreasing in t. This is Markowitz's critical line
algorithm (Markowitz 1956, "The optimization of a quadratic function subject to linear
constraints", *Naval Research Logistics Quarterly* 3, 111–133; in the form of Niedermayer &
Niedermayer 2010, "Applying Markowitz's critical line algorithm", in *Handbook of Portfolio
Construction*, 383–400) with general linear equality and two-sided inequality rows in place of
the budget row alone, and a parametric active-set QP in the sense of Best (1996), "An
algorithm for the solution of the parametric quadratic programming problem", *Applied
Mathematics and Parallel Computing*, 57–76.

Computation:

* t = 0: the kernel's exact minimum-variance solve (:func:`tailorfolio.kernel.solve`) gives
  the first active set; when it does not certify one, a primal active-set QP (Nocedal &
  Wright, *Numerical Optimization*, 2nd ed., Algorithm 16.3) from a feasible point found by a
  linear program (HiGHS), exact on its final active set. No feasible point: :class:`~tailorfolio.errors.InfeasibleError` (callers that
  hold a :class:`~tailorfolio.optimize.ConstraintSet` name the conflict with
  :func:`tailorfolio.optimize._diagnose.explain_infeasible`).
* breakpoints: one ratio test over every bound, row and multiplier, then one change of the
  active set; ties are taken one at a time (zero-length steps). The inverse of Σ on the free
  variables is updated by a rank-one Schur complement per change (O(|F|²), never O(n³)), and
  re-factorised whenever a breakpoint's stationarity residual drifts above
  :data:`REFACTOR_RESIDUAL`.
* every breakpoint is verified against its KKT conditions (:class:`PathResiduals`); any point
  between two breakpoints is their exact convex combination, and so are its multipliers, so
  the conditions hold there too (they are affine in t on a segment).
* a singular Σ (more assets than observations) gets the ridge :data:`RIDGE` (relative to the
  mean variance), as the optimizer's Cholesky factor does.

The problem is solved in scaled units (Σ divided by its mean variance, every row by its
largest coefficient); the weights are unchanged and t is reported in those units.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
import numpy as np

from tailorfolio.errors import InfeasibleError, ParameterError, SolverError, UnboundedError
from tailorfolio.kernel._activeset import ActiveSet
from tailorfolio.kernel._solve import solve as kernel_solve
from tailorfolio.kernel._standard import (
    EQUALITY_TOLERANCE,
    ConstraintSet,
    StandardForm,
    from_constraint_set,
)
from tailorfolio.typing import FloatArray

FREE, AT_LOWER, AT_UPPER = 0, 1, 2
ROW_OFF, ROW_LO, ROW_HI = 0, 1, 2

RIDGE = 1e-10
"""Ridge added to the scaled Σ (mean variance 1) when it is not positive definite."""
REFACTOR_RESIDUAL = 1e-11
"""Stationarity residual at a breakpoint above which Σ_FF⁻¹ is recomputed from scratch."""
KKT_TOLERANCE = 1e-9
"""Largest KKT residual (scaled units) accepted at a breakpoint."""
FEASIBILITY_TOLERANCE = 1e-9
"""How far the linear program's starting point may sit outside a bound or row."""
DIRECTION_NOISE = 1e-11
"""A segment direction below this (relative to Σ_FF⁻¹μ_F) is rounding: set to zero."""
DEGENERATE_STEP = 1e-9
"""How far past a cycling tie (relative to t) the active-set method is asked for the set."""
_RATE_TINY = 1e-14
_MAX_BREAKPOINTS_PER_ASSET = 40


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class PathProblem:
    """``min ½ wᵀPw − t μᵀw`` s.t. ``Ew = e, c_lo ≤ Cw ≤ c_hi, l ≤ w ≤ u`` (scaled).

    Build it with :func:`path_problem` (which scales and normalises); ``scale`` is the
    number Σ was divided by.
    """

    P: FloatArray
    mu: FloatArray
    lower: FloatArray
    upper: FloatArray
    E: FloatArray
    e: FloatArray
    C: FloatArray
    c_lo: FloatArray
    c_hi: FloatArray
    scale: float = 1.0
    ridge: float = 0.0

    @property
    def n(self) -> int:
        return len(self.mu)

    @cached_property
    def p_max(self) -> float:
        return float(np.abs(self.P).max(initial=0.0))

    @cached_property
    def mu_max(self) -> float:
        return float(np.abs(self.mu).max(initial=0.0))


def _normalise(a: FloatArray, *bs: FloatArray) -> tuple[FloatArray, ...]:
    if a.shape[0] == 0:
        return (a, *bs)
    norm = np.abs(a).max(axis=1)
    norm[norm == 0] = 1.0
    return (a / norm[:, None], *(b / norm for b in bs))


def path_problem(covariance: FloatArray, expected_return: FloatArray, lower: FloatArray,
                 upper: FloatArray, *, eq_rows: FloatArray | None = None,
                 eq_rhs: FloatArray | None = None, rows: FloatArray | None = None,
                 row_lo: FloatArray | None = None, row_hi: FloatArray | None = None
                 ) -> PathProblem:
    """The frontier problem from plain arrays (the budget row is *not* implied).

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
        Symmetric positive semidefinite (a ridge is added if it is not definite).
    expected_return : ndarray of shape (n,)
    lower, upper : ndarray of shape (n,)
        Finite or infinite bounds.
    eq_rows, eq_rhs : ndarray of shape (m_e, n) and (m_e,)
        Equality rows (e.g. the budget ``1ᵀw = 1``).
    rows, row_lo, row_hi : ndarray of shape (m, n), (m,), (m,)
        Two-sided inequality rows; ±inf for a missing side. Rows with equal sides become
        equalities; rows with no finite side are dropped.
    """
    cov = np.asarray(covariance, dtype=float)
    n = cov.shape[0]
    cov = (cov + cov.T) / 2
    d = float(np.mean(np.diag(cov))) if n else 1.0
    scale = d if np.isfinite(d) and d > 0 else 1.0
    p = cov / scale
    ridge = 0.0
    try:
        np.linalg.cholesky(p)
    except np.linalg.LinAlgError:
        ridge = RIDGE
        p = p + ridge * np.eye(n)
    e_rows = np.zeros((0, n)) if eq_rows is None else np.asarray(eq_rows, float).reshape(-1, n)
    e_rhs = np.zeros(0) if eq_rhs is None else np.asarray(eq_rhs, float).reshape(-1)
    c = np.zeros((0, n)) if rows is None else np.asarray(rows, float).reshape(-1, n)
    lo = np.full(len(c), -np.inf) if row_lo is None else np.asarray(row_lo, float).reshape(-1)
    hi = np.full(len(c), np.inf) if row_hi is None else np.asarray(row_hi, float).reshape(-1)
    same = np.isfinite(lo) & np.isfinite(hi) & (np.abs(hi - lo) <= 1e-14)
    keep = ~same & (np.isfinite(lo) | np.isfinite(hi))
    e_rows = np.vstack([e_rows, c[same]])
    e_rhs = np.concatenate([e_rhs, hi[same]])
    e_rows, e_rhs = _normalise(e_rows, e_rhs)
    c, lo, hi = _normalise(c[keep], lo[keep], hi[keep])
    return PathProblem(p, np.asarray(expected_return, float).copy(),
                       np.asarray(lower, float).copy(), np.asarray(upper, float).copy(),
                       e_rows, e_rhs, c, lo, hi, float(scale), ridge)


def standard_form_problem(sf: StandardForm, expected_return: FloatArray, i: int = 0
                          ) -> tuple[PathProblem, np.ndarray]:
    """The frontier problem of problem ``i`` of a kernel :class:`StandardForm` (its bounds and
    rows; its objective, costs and ceiling are not read), with the return vector
    ``expected_return`` (any units: t absorbs them).

    Returns
    -------
    PathProblem
    rows : ndarray of int
        For each inequality row of the path problem, its row index in ``sf``.
    """
    lo, hi = sf.row_lo[i], sf.row_hi[i]
    # both sides finite and equal (a one-sided row is never an equality)
    eq = (np.isfinite(lo) & np.isfinite(hi)
          & (np.abs(hi - lo) <= EQUALITY_TOLERANCE * (1.0 + np.abs(lo))))
    ineq = ~eq & (np.isfinite(lo) | np.isfinite(hi))
    p = sf.P
    ridge = 0.0
    try:
        np.linalg.cholesky(p)
    except np.linalg.LinAlgError:
        ridge = RIDGE
        p = p + ridge * np.eye(sf.n)
    prob = PathProblem(p, np.asarray(expected_return, float).copy(), sf.lower[i].copy(),
                       sf.upper[i].copy(), sf.A[eq], lo[eq].copy(), sf.A[ineq],
                       lo[ineq].copy(), hi[ineq].copy(), float(sf.variance_scale), ridge)
    return prob, np.flatnonzero(ineq)


def _kernel_start(sf: StandardForm, prob: PathProblem, rows: np.ndarray,
                  active: ActiveSet | None = None) -> tuple[_WorkingSet, FloatArray] | None:
    """The minimum-variance point and its active set from the kernel's exact solver (None
    when it does not certify one: the path's own active-set method then decides)."""
    if active is not None and active.row.shape[1] != sf.n_rows:
        active = None
    sol = kernel_solve(sf.take(np.array([0])), active=active)
    if not bool(sol.ok[0]) or np.any(sol.active.var[0] > AT_UPPER):
        return None
    ws = _WorkingSet(sol.active.var[0].astype(np.int8).copy(),
                     sol.active.row[0][rows].astype(np.int8).copy())
    ws.refactor(prob.P)
    return ws, sol.w[0].copy()


# --------------------------------------------------------------------------- active sets


@dataclass
class _WorkingSet:
    """Which bounds and rows are active, and Σ_FF⁻¹ over the free variables in ``free``."""

    var: np.ndarray  # int8 (n,): FREE / AT_LOWER / AT_UPPER
    row: np.ndarray  # int8 (m,): ROW_OFF / ROW_LO / ROW_HI
    free: list[int] = field(default_factory=list)
    inv: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    def copy(self) -> _WorkingSet:
        return _WorkingSet(self.var.copy(), self.row.copy(), list(self.free), self.inv.copy())

    def refactor(self, p: FloatArray) -> None:
        self.free = [int(j) for j in np.flatnonzero(self.var == FREE)]
        f = np.asarray(self.free, dtype=int)
        self.inv = np.linalg.inv(p[np.ix_(f, f)]) if len(f) else np.zeros((0, 0))

    def release(self, j: int, p: FloatArray) -> None:
        """Variable ``j`` becomes free (bordered inverse)."""
        f = np.asarray(self.free, dtype=int)
        b = p[f, j]
        sb = self.inv @ b
        c = float(p[j, j] - b @ sb)
        if not c > 1e-13 * float(p[j, j]):
            self.var[j] = FREE
            self.refactor(p)
            return
        k = len(f)
        new = np.empty((k + 1, k + 1))
        new[:k, :k] = self.inv + np.outer(sb, sb) / c
        new[:k, k] = new[k, :k] = -sb / c
        new[k, k] = 1.0 / c
        self.inv = new
        self.free.append(j)
        self.var[j] = FREE

    def fix(self, j: int, side: int) -> None:
        """Variable ``j`` goes to a bound (Schur complement of its row of the inverse)."""
        pos = self.free.index(j)
        s = self.inv
        col = np.delete(s[:, pos], pos)
        piv = float(s[pos, pos])
        keep = np.delete(np.delete(s, pos, axis=0), pos, axis=1)
        self.inv = keep - np.outer(col, col) / piv
        del self.free[pos]
        self.var[j] = side


@dataclass(frozen=True)
class _Segment:
    """The face's solution as affine functions of t (all full length)."""

    w0: FloatArray
    w1: FloatArray
    nu0: FloatArray  # eq multipliers then inequality-row multipliers (zero when off)
    nu1: FloatArray
    g0: FloatArray  # ∇ of the Lagrangian, Pw − tμ + Aᵀν (zero on free variables)
    g1: FloatArray


def _fixed_values(prob: PathProblem, var: np.ndarray) -> FloatArray:
    return np.where(var == AT_UPPER, prob.upper, np.where(var == AT_LOWER, prob.lower, 0.0))


def _segment(prob: PathProblem, ws: _WorkingSet) -> _Segment:
    n, me = prob.n, prob.E.shape[0]
    f = np.asarray(ws.free, dtype=int)
    act = np.flatnonzero(ws.row != ROW_OFF)
    a = np.vstack([prob.E, prob.C[act]]) if len(act) else prob.E
    b = np.concatenate([prob.e, np.where(ws.row[act] == ROW_LO, prob.c_lo[act],
                                         prob.c_hi[act])])
    wfix = _fixed_values(prob, ws.var)
    r = b - a @ wfix
    a_f = a[:, f]
    g = np.column_stack([-(prob.P @ wfix)[f], prob.mu[f]])
    sg = ws.inv @ g
    sa = ws.inv @ a_f.T
    m = a_f @ sa
    rhs = a_f @ sg
    rhs[:, 0] -= r
    if m.shape[0]:
        try:
            nu = np.linalg.solve(m, rhs)
            if not np.all(np.isfinite(nu)):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            nu = np.linalg.lstsq(m, rhs, rcond=None)[0]
        wf = sg - sa @ nu
    else:
        nu = np.zeros((0, 2))
        wf = sg
    if len(f) and float(np.abs(wf[:, 1]).max()) <= DIRECTION_NOISE * (
            1.0 + float(np.abs(sg[:, 1]).max())):
        # the direction is cancellation noise of Σ_FF⁻¹μ against its projection: the face
        # fixes every free weight (the maximum-return end); noise would be amplified by t
        wf[:, 1] = 0.0
    w0, w1 = wfix.copy(), np.zeros(n)
    w0[f], w1[f] = wf[:, 0], wf[:, 1]
    nu_full = np.zeros((me + prob.C.shape[0], 2))
    nu_full[:me] = nu[:me]
    nu_full[me + act] = nu[me:]
    grad = prob.P @ np.column_stack([w0, w1]) + a.T @ nu
    grad[:, 1] -= prob.mu
    grad[f] = 0.0  # exactly zero by construction (its residual is checked separately)
    return _Segment(w0, w1, nu_full[:, 0], nu_full[:, 1], grad[:, 0], grad[:, 1])


def _stationarity(prob: PathProblem, ws: _WorkingSet, seg: _Segment, t: float) -> float:
    """|Pw − tμ + Aᵀν| on the free variables at t (exact arithmetic gives 0)."""
    f = np.asarray(ws.free, dtype=int)
    if not len(f):
        return 0.0
    w = seg.w0 + t * seg.w1
    nu = seg.nu0 + t * seg.nu1
    a_t_nu = prob.E.T @ nu[:prob.E.shape[0]] + prob.C.T @ nu[prob.E.shape[0]:]
    grad = (prob.P @ w)[f] - t * prob.mu[f] + a_t_nu[f]
    return float(np.abs(grad).max()) / _dual_scale(prob, t)


def _dual_scale(prob: PathProblem, t: float) -> float:
    return max(1.0, prob.p_max, t * prob.mu_max)


def _conditions(prob: PathProblem, ws: _WorkingSet, seg: _Segment
                ) -> tuple[FloatArray, FloatArray, np.ndarray, np.ndarray]:
    """Every quantity that must stay ≥ 0 on the face, as q₀ + t q₁ (q₁ = 0 where it does not
    apply), with what crossing it means: (kind, index). Kinds: 0 free var hits lower, 1 hits
    upper, 2 row hits lo, 3 row hits hi, 4 row multiplier vanishes, 5 bound multiplier
    vanishes. Laid out as six blocks of length n, n, m, m, m, n."""
    n, m, me = prob.n, prob.C.shape[0], prob.E.shape[0]
    free = ws.var == FREE
    pinned = prob.upper - prob.lower <= 1e-14
    off = ws.row == ROW_OFF
    cw0, cw1 = prob.C @ seg.w0, prob.C @ seg.w1
    nu0, nu1 = seg.nu0[me:], seg.nu1[me:]
    low = free & np.isfinite(prob.lower)
    up = free & np.isfinite(prob.upper)
    rlo = off & np.isfinite(prob.c_lo)
    rhi = off & np.isfinite(prob.c_hi)
    sign_r = np.where(ws.row == ROW_LO, -1.0, np.where(ws.row == ROW_HI, 1.0, 0.0))
    sign_b = np.where(pinned, 0.0, np.where(ws.var == AT_LOWER, 1.0,
                                            np.where(ws.var == AT_UPPER, -1.0, 0.0)))
    with np.errstate(invalid="ignore"):
        q0 = np.concatenate([
            np.where(low, seg.w0 - prob.lower, 1.0), np.where(up, prob.upper - seg.w0, 1.0),
            np.where(rlo, cw0 - prob.c_lo, 1.0), np.where(rhi, prob.c_hi - cw0, 1.0),
            sign_r * nu0, sign_b * seg.g0])
    q1 = np.concatenate([
        np.where(low, seg.w1, 0.0), np.where(up, -seg.w1, 0.0),
        np.where(rlo, cw1, 0.0), np.where(rhi, -cw1, 0.0), sign_r * nu1, sign_b * seg.g1])
    kind = np.repeat(np.arange(6, dtype=np.int8), [n, n, m, m, m, n])
    idx = np.concatenate([np.arange(n), np.arange(n), np.arange(m), np.arange(m),
                          np.arange(m), np.arange(n)])
    return q0, q1, kind, idx


def _apply(prob: PathProblem, ws: _WorkingSet, kind: int, idx: int) -> None:
    if kind == 0:
        ws.fix(idx, AT_LOWER)
    elif kind == 1:
        ws.fix(idx, AT_UPPER)
    elif kind == 2:
        ws.row[idx] = ROW_LO
    elif kind == 3:
        ws.row[idx] = ROW_HI
    elif kind == 4:
        ws.row[idx] = ROW_OFF
    else:
        ws.release(idx, prob.P)


# --------------------------------------------------------------------------- residuals


@dataclass(frozen=True)
class PathResiduals:
    """KKT residuals of a point of the path (scaled units, as :class:`~tailorfolio.kernel.KKTReport`).

    primal: largest bound or row violation (weights); dual: largest stationarity or
    multiplier-sign violation relative to max(1, max|P|, t·max|μ|); complementarity: largest
    |multiplier × slack|, same scale.
    """

    primal: float
    dual: float
    complementarity: float

    @property
    def max_residual(self) -> float:
        return max(self.primal, self.dual, self.complementarity)


def _residuals(prob: PathProblem, ws_var: np.ndarray, ws_row: np.ndarray, w: FloatArray,
               nu: FloatArray, g: FloatArray, t: float, stationarity: float = 0.0
               ) -> PathResiduals:
    me = prob.E.shape[0]
    cw = prob.C @ w
    primal = max(0.0, float(np.abs(prob.E @ w - prob.e).max(initial=0.0)),
                 float((prob.lower - w).max(initial=0.0)),
                 float((w - prob.upper).max(initial=0.0)),
                 float((prob.c_lo - cw).max(initial=0.0)),
                 float((cw - prob.c_hi).max(initial=0.0)))
    sc = _dual_scale(prob, t)
    pinned = prob.upper - prob.lower <= 1e-14
    nu_r = nu[me:]
    sign = np.concatenate([
        np.where((ws_var == AT_LOWER) & ~pinned, -g, 0.0),
        np.where(ws_var == AT_UPPER, g, 0.0),
        np.where(ws_row == ROW_LO, nu_r, 0.0),
        np.where(ws_row == ROW_HI, -nu_r, 0.0),
    ])
    dual = max(stationarity, float(sign.max(initial=0.0)) / sc)
    with np.errstate(invalid="ignore"):
        slack = np.concatenate([
            np.where((ws_var == AT_LOWER) & ~pinned, g * (w - prob.lower), 0.0),
            np.where(ws_var == AT_UPPER, g * (w - prob.upper), 0.0),
            np.where(ws_row == ROW_LO, nu_r * (cw - prob.c_lo), 0.0),
            np.where(ws_row == ROW_HI, nu_r * (cw - prob.c_hi), 0.0),
        ])
    comp = float(np.abs(np.nan_to_num(slack)).max(initial=0.0)) / sc
    return PathResiduals(primal, dual, comp)


def _residuals_many(prob: PathProblem, var: np.ndarray, row: np.ndarray, w: FloatArray,
                    nu: FloatArray, g: FloatArray, t: FloatArray
                    ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`_residuals` (with the free variables' stationarity) for k points at once:
    ``var`` (k, n), ``row`` (k, m), ``w`` (k, n), ``nu`` (k, m_e + m), ``g`` (k, n),
    ``t`` (k,)."""
    me = prob.E.shape[0]
    cw = w @ prob.C.T
    zero = np.zeros(len(w))
    primal = np.maximum.reduce([
        zero, np.abs(w @ prob.E.T - prob.e).max(axis=1, initial=0.0),
        (prob.lower - w).max(axis=1, initial=0.0), (w - prob.upper).max(axis=1, initial=0.0),
        (prob.c_lo - cw).max(axis=1, initial=0.0), (cw - prob.c_hi).max(axis=1, initial=0.0)])
    sc = np.maximum(max(1.0, prob.p_max), t * prob.mu_max)
    pinned = prob.upper - prob.lower <= 1e-14
    lo_b = (var == AT_LOWER) & ~pinned
    up_b = var == AT_UPPER
    nu_r = nu[:, me:]
    r_lo, r_hi = row == ROW_LO, row == ROW_HI
    a_t_nu = nu[:, :me] @ prob.E + nu_r @ prob.C
    grad = w @ prob.P - t[:, None] * prob.mu + a_t_nu
    stat = np.where(var == FREE, np.abs(grad), 0.0).max(axis=1, initial=0.0)
    sign = np.maximum.reduce([
        np.where(lo_b, -g, 0.0).max(axis=1, initial=0.0),
        np.where(up_b, g, 0.0).max(axis=1, initial=0.0),
        np.where(r_lo, nu_r, 0.0).max(axis=1, initial=0.0),
        np.where(r_hi, -nu_r, 0.0).max(axis=1, initial=0.0)])
    dual = np.maximum(stat, sign) / sc
    with np.errstate(invalid="ignore"):
        comp = np.maximum.reduce([
            np.abs(np.where(lo_b, g * (w - prob.lower), 0.0)).max(axis=1, initial=0.0),
            np.abs(np.where(up_b, g * (w - prob.upper), 0.0)).max(axis=1, initial=0.0),
            np.abs(np.nan_to_num(np.where(r_lo, nu_r * (cw - prob.c_lo), 0.0))).max(
                axis=1, initial=0.0),
            np.abs(np.nan_to_num(np.where(r_hi, nu_r * (cw - prob.c_hi), 0.0))).max(
                axis=1, initial=0.0)]) / sc
    return primal, dual, comp


# --------------------------------------------------------------------------- t = 0


def _greedy_point(prob: PathProblem) -> FloatArray | None:
    """With the budget as the only equality: lower bounds, then the rest of the budget to
    the least risky assets with room. None when that misses a constraint."""
    if prob.E.shape[0] != 1 or not np.all(prob.E[0] == prob.E[0, 0]) or prob.E[0, 0] <= 0:
        return None
    if not (np.all(np.isfinite(prob.lower)) and np.all(np.isfinite(prob.upper))):
        return None
    total = float(prob.e[0] / prob.E[0, 0])
    w = prob.lower.copy()
    rest = total - float(w.sum())
    if rest < 0:
        return None
    for j in np.argsort(np.diag(prob.P), kind="stable"):
        if rest <= 0:
            break
        add = min(float(prob.upper[j] - w[j]), rest)
        w[j] += add
        rest -= add
    if rest > FEASIBILITY_TOLERANCE:
        return None
    cw = prob.C @ w
    tol = FEASIBILITY_TOLERANCE
    if np.any(cw < prob.c_lo - tol) or np.any(cw > prob.c_hi + tol):
        return None
    return w


def _feasible_point(prob: PathProblem) -> FloatArray:
    """A feasible point of the constraints (HiGHS), or InfeasibleError."""
    quick = _greedy_point(prob)
    if quick is not None:
        return quick
    a_ub, b_ub = [], []
    fin_hi, fin_lo = np.isfinite(prob.c_hi), np.isfinite(prob.c_lo)
    if fin_hi.any():
        a_ub.append(prob.C[fin_hi])
        b_ub.append(prob.c_hi[fin_hi])
    if fin_lo.any():
        a_ub.append(-prob.C[fin_lo])
        b_ub.append(-prob.c_lo[fin_lo])
    bounds = [(None if not np.isfinite(lo) else lo, None if not np.isfinite(hi) else hi)
              for lo, hi in zip(prob.lower, prob.upper)]
    if np.any(prob.lower > prob.upper):
        raise InfeasibleError("A lower weight bound is above its upper bound.",
                              field="constraints", fix="relax the conflicting bounds")
    # a vertex that favours low-variance assets: near the minimum-variance portfolio
    from scipy.optimize import linprog  # ~0.5 s to import: only when a start is needed

    res = linprog(np.diag(prob.P).copy(), A_ub=np.vstack(a_ub) if a_ub else None,
                  b_ub=np.concatenate(b_ub) if b_ub else None,
                  A_eq=prob.E if prob.E.shape[0] else None,
                  b_eq=prob.e if prob.E.shape[0] else None, bounds=bounds, method="highs")
    if res.status == 2:
        raise InfeasibleError("The constraints admit no portfolio.", field="constraints",
                              fix="relax the conflicting constraints")
    if res.status != 0 or res.x is None:
        raise SolverError(f"The linear program for a feasible start failed: {res.message}",
                          field="constraints", fix="check the constraints for extreme values")
    return np.clip(np.asarray(res.x, dtype=float), prob.lower, prob.upper)


def _start_set(prob: PathProblem, w: FloatArray) -> _WorkingSet:
    """The linear program's vertex as a working set: the variables at a bound fixed there,
    then as few of them freed again as make the equality rows independent on the free
    variables (a working set must be of full row rank)."""
    tol = FEASIBILITY_TOLERANCE
    pinned = prob.upper - prob.lower <= 1e-14
    var = np.full(prob.n, FREE, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        var[np.isfinite(prob.lower) & (w <= prob.lower + tol)] = AT_LOWER
        var[np.isfinite(prob.upper) & (w >= prob.upper - tol) & (var == FREE)] = AT_UPPER
    var[pinned] = AT_LOWER
    me = prob.E.shape[0]
    if me:
        free = var == FREE
        rank = np.linalg.matrix_rank(prob.E[:, free]) if free.any() else 0
        order = np.argsort(-np.abs(prob.E).sum(axis=0))
        for j in order:
            if rank >= me:
                break
            if var[j] == FREE or pinned[j]:
                continue
            free[j] = True
            new_rank = np.linalg.matrix_rank(prob.E[:, free])
            if new_rank > rank:
                var[j], rank = FREE, new_rank
            else:
                free[j] = False
    ws = _WorkingSet(var, np.zeros(prob.C.shape[0], dtype=np.int8))
    ws.refactor(prob.P)
    return ws


def solve_at(prob: PathProblem, t: float, ws: _WorkingSet | None = None,
             w: FloatArray | None = None, max_iter: int | None = None
             ) -> tuple[_WorkingSet, _Segment, FloatArray]:
    """The exact solution at one t by a primal active-set method from a feasible ``w``
    whose working set ``ws`` it satisfies (default: a linear program's point, every
    variable free)."""
    if ws is None or w is None:
        w = _feasible_point(prob)
        ws = _start_set(prob, w)
        w = np.where(ws.var == AT_LOWER, prob.lower,
                     np.where(ws.var == AT_UPPER, prob.upper, w))
    else:
        ws = ws.copy()
    n, me = prob.n, prob.E.shape[0]
    limit = max_iter or 20 * (n + prob.C.shape[0]) + 50
    sc = _dual_scale(prob, t)
    for _ in range(limit):
        seg = _segment(prob, ws)
        target = seg.w0 + t * seg.w1
        step = target - w
        if float(np.abs(step).max(initial=0.0)) <= 1e-13 * (1 + float(np.abs(w).max())):
            w = target
            g = seg.g0 + t * seg.g1
            nu = (seg.nu0 + t * seg.nu1)[me:]
            pinned = prob.upper - prob.lower <= 1e-14
            viol = np.concatenate([
                np.where((ws.var == AT_LOWER) & ~pinned, -g, -np.inf),
                np.where(ws.var == AT_UPPER, g, -np.inf),
                np.where(ws.row == ROW_LO, nu, -np.inf),
                np.where(ws.row == ROW_HI, -nu, -np.inf),
            ])
            k = int(np.argmax(viol)) if len(viol) else 0
            if not len(viol) or viol[k] <= 1e-13 * sc:
                return ws, seg, w
            if k < 2 * n:
                ws.release(k % n, prob.P)
            else:
                ws.row[(k - 2 * n) % prob.C.shape[0]] = ROW_OFF
            continue
        # ratio test along the step
        free = ws.var == FREE
        off = ws.row == ROW_OFF
        cw, cs = prob.C @ w, prob.C @ step
        with np.errstate(divide="ignore", invalid="ignore"):
            cand = np.concatenate([
                np.where(free & (step < -_RATE_TINY), (prob.lower - w) / step, np.inf),
                np.where(free & (step > _RATE_TINY), (prob.upper - w) / step, np.inf),
                np.where(off & (cs < -_RATE_TINY), (prob.c_lo - cw) / cs, np.inf),
                np.where(off & (cs > _RATE_TINY), (prob.c_hi - cw) / cs, np.inf),
            ])
        cand = np.nan_to_num(cand, nan=np.inf)
        k = int(np.argmin(cand)) if len(cand) else 0
        alpha = 1.0 if not len(cand) else float(np.clip(cand[k], 0.0, np.inf))
        if alpha >= 1.0:
            w = target
            continue
        w = w + alpha * step
        m = prob.C.shape[0]
        if k < n:
            ws.fix(k, AT_LOWER)
            w[k] = prob.lower[k]
        elif k < 2 * n:
            ws.fix(k - n, AT_UPPER)
            w[k - n] = prob.upper[k - n]
        elif k < 2 * n + m:
            ws.row[k - 2 * n] = ROW_LO
        else:
            ws.row[k - 2 * n - m] = ROW_HI
    raise SolverError("The active-set method did not settle (cycling on degenerate "
                      "constraints).", field="constraints",
                      fix="report this problem; loosening a redundant constraint avoids it")


# --------------------------------------------------------------------------- the path


@dataclass(frozen=True)
class FrontierPath:
    """The exact efficient frontier as breakpoints and the segments between them.

    Attributes
    ----------
    t : ndarray of shape (k,)
        Breakpoints of the parameter (scaled units), increasing from 0; the last one is the
        maximum-return end (the path is constant after it) or the truncation point.
    weights : ndarray of shape (k, n)
        The optimal portfolio at each breakpoint.
    direction : ndarray of shape (k, n)
        dw/dt on [t_i, t_{i+1}] (zero after the last).
    nu, nu_rate : ndarray of shape (k, m_e + m)
        Row multipliers at t_i and their derivative on the segment.
    grad, grad_rate : ndarray of shape (k, n)
        Gradient of the Lagrangian (the bound multipliers with sign) and its derivative.
    var, row : ndarray of shape (k, n) and (k, m), int8
        Each segment's active set.
    residuals : tuple of PathResiduals
        Each breakpoint's KKT residuals (on the segment that starts there).
    expected_return : ndarray of shape (k,)
        μᵀw at each breakpoint (μ as given, unscaled).
    variance : ndarray of shape (k,)
        wᵀΣw at each breakpoint (Σ as given, unscaled; without the ridge).
    problem : PathProblem
    truncated_at_ceiling : bool
        Cut at a volatility ceiling below the maximum-return end.
    start_active : kernel ActiveSet, optional
        The minimum-variance end's active set in the kernel's row order (a warm start for a
        neighbouring problem).
    """

    t: FloatArray
    weights: FloatArray
    direction: FloatArray
    nu: FloatArray
    nu_rate: FloatArray
    grad: FloatArray
    grad_rate: FloatArray
    var: np.ndarray
    row: np.ndarray
    residuals: tuple[PathResiduals, ...]
    problem: PathProblem
    truncated_at_ceiling: bool = False
    start_active: ActiveSet | None = None

    @property
    def n_breakpoints(self) -> int:
        return len(self.t)

    @property
    def expected_return(self) -> FloatArray:
        return self.weights @ self.problem.mu

    @property
    def variance(self) -> FloatArray:
        return self.variance_of(self.weights)

    def variance_of(self, w: FloatArray) -> FloatArray:
        p = self.problem
        core = p.P - p.ridge * np.eye(p.n) if p.ridge else p.P
        return np.maximum(np.einsum("ij,jk,ik->i", w, core, w), 0.0) * p.scale

    @property
    def max_residual(self) -> float:
        return max((r.max_residual for r in self.residuals), default=0.0)

    # ---------------------------------------------------------------- points

    def at(self, t: FloatArray) -> tuple[FloatArray, np.ndarray]:
        """Weights at parameters ``t`` (shape (k,)) and each one's segment index."""
        t = np.asarray(t, dtype=float)
        seg = np.clip(np.searchsorted(self.t, t, side="right") - 1, 0, len(self.t) - 1)
        dt = np.maximum(t - self.t[seg], 0.0)
        last = seg == len(self.t) - 1
        dt = np.where(last, 0.0, dt)
        return self.weights[seg] + dt[:, None] * self.direction[seg], seg

    def t_at_return(self, target: FloatArray) -> FloatArray:
        """The parameter at which the path's expected return is ``target`` (clipped to the
        path's range)."""
        r = self.expected_return
        target = np.clip(np.asarray(target, dtype=float), r[0], r[-1])
        seg = np.clip(np.searchsorted(r, target, side="right") - 1, 0, len(r) - 1)
        rate = self.direction[seg] @ self.problem.mu
        with np.errstate(divide="ignore", invalid="ignore"):
            dt = np.where(rate > 0, (target - r[seg]) / rate, 0.0)
        nxt = np.minimum(seg + 1, len(r) - 1)
        return np.minimum(self.t[seg] + dt, np.where(seg + 1 < len(r), self.t[nxt], np.inf))

    def at_returns(self, target: FloatArray) -> FloatArray:
        """Minimum-variance weights at each expected return ``target`` (shape (k, n))."""
        return self.at(self.t_at_return(target))[0]

    def t_at_volatility(self, target: FloatArray) -> FloatArray:
        """The parameter at which the path's volatility is ``target`` (clipped)."""
        v2 = np.asarray(target, dtype=float) ** 2 / self.problem.scale
        out = np.empty(len(v2))
        var = self.variance / self.problem.scale
        for k, goal in enumerate(v2):
            out[k] = self._t_at_scaled_variance(float(goal), var)
        return out

    def _t_at_scaled_variance(self, goal: float, var: FloatArray) -> float:
        if goal <= var[0]:
            return float(self.t[0])
        if goal >= var[-1]:
            return float(self.t[-1])
        i = int(np.searchsorted(var, goal, side="right") - 1)
        i = min(i, len(var) - 2)
        p = self.problem
        core = p.P - p.ridge * np.eye(p.n) if p.ridge else p.P
        w, d = self.weights[i], self.direction[i]
        a2, a1, a0 = float(d @ core @ d), float(2 * w @ core @ d), float(w @ core @ w) - goal
        if a2 <= 0:
            dt = -a0 / a1 if a1 > 0 else 0.0
        else:
            dt = (-a1 + np.sqrt(max(a1 * a1 - 4 * a2 * a0, 0.0))) / (2 * a2)
        return float(np.clip(self.t[i] + dt, self.t[i], self.t[i + 1]))

    def evenly_spaced(self, n_points: int, by: str = "return") -> FloatArray:
        """Parameters of ``n_points`` points evenly spaced in expected return (default) or
        volatility from the minimum-variance end to the top of the path."""
        if by == "return":
            r = self.expected_return
            return self.t_at_return(np.linspace(r[0], r[-1], n_points))
        if by == "volatility":
            v = np.sqrt(self.variance)
            return self.t_at_volatility(np.linspace(v[0], v[-1], n_points))
        raise ParameterError(f"by must be 'return' or 'volatility'. Got {by!r}.", field="by",
                             value=by, expected="'return' or 'volatility'", fix="by='return'")

    def residuals_at(self, t: FloatArray) -> tuple[PathResiduals, ...]:
        """KKT residuals at parameters ``t`` (multipliers interpolated on their segment),
        all points at once."""
        w, seg = self.at(t)
        t = np.asarray(t, dtype=float)
        last = seg == len(self.t) - 1
        dt = np.where(last, 0.0, np.maximum(t - self.t[seg], 0.0))
        tt = self.t[seg] + dt
        nu = self.nu[seg] + dt[:, None] * self.nu_rate[seg]
        g = self.grad[seg] + dt[:, None] * self.grad_rate[seg]
        primal, dual, comp = _residuals_many(self.problem, self.var[seg], self.row[seg], w,
                                             nu, g, tt)
        return tuple(PathResiduals(float(a), float(b), float(c))
                     for a, b, c in zip(primal, dual, comp))

    def max_sharpe(self, risk_free_rate: float = 0.0) -> tuple[float, FloatArray]:
        """The parameter and weights of the highest Sharpe ratio on the path (exact: on
        each segment the ratio's stationary point solves a linear equation)."""
        p = self.problem
        core = p.P - p.ridge * np.eye(p.n) if p.ridge else p.P
        best_t, best_s = float(self.t[0]), -np.inf
        rf = float(risk_free_rate)
        for i in range(len(self.t)):
            w, d = self.weights[i], self.direction[i]
            cand = [float(self.t[i])]
            if i + 1 < len(self.t):
                ra, rd = float(p.mu @ w) - rf, float(p.mu @ d)
                va, vad, vd = float(w @ core @ w), float(w @ core @ d), float(d @ core @ d)
                den = rd * vad - ra * vd
                if abs(den) > 0:
                    tau = -(rd * va - ra * vad) / den
                    if 0 < tau < self.t[i + 1] - self.t[i]:
                        cand.append(float(self.t[i] + tau))
            for tc in cand:
                x = w + (tc - self.t[i]) * d if i + 1 < len(self.t) else w
                v = float(x @ core @ x)
                s = (float(p.mu @ x) - rf) / np.sqrt(v) if v > 0 else -np.inf
                if s > best_s:
                    best_s, best_t = s, tc
        return best_t, self.at(np.array([best_t]))[0][0]

    def truncated(self, max_volatility: float | None) -> FrontierPath:
        """The path up to the volatility ``max_volatility`` (annual, as Σ's units).

        Raises
        ------
        InfeasibleError
            When even the minimum-variance portfolio is above the ceiling.
        """
        if max_volatility is None:
            return self
        var = self.variance / self.problem.scale
        goal = float(max_volatility) ** 2 / self.problem.scale
        if goal >= var[-1]:
            return self
        if goal < var[0] * (1 - 1e-12):
            raise InfeasibleError(
                f"The volatility ceiling {max_volatility:.2%} is below the lowest volatility "
                f"the other constraints allow ({np.sqrt(var[0] * self.problem.scale):.2%}).",
                field="max_volatility", value=max_volatility,
                expected=f"at least {np.sqrt(var[0] * self.problem.scale):.2%}",
                fix="raise the volatility ceiling or loosen the other constraints")
        tc = self._t_at_scaled_variance(goal, var)
        i = int(np.clip(np.searchsorted(self.t, tc, side="right") - 1, 0, len(self.t) - 1))
        dt = tc - float(self.t[i])
        keep = slice(0, i + 1)
        w_end = self.weights[i] + dt * self.direction[i]
        nu_end = self.nu[i] + dt * self.nu_rate[i]
        g_end = self.grad[i] + dt * self.grad_rate[i]
        stat = _free_stationarity(self.problem, self.var[i], w_end, nu_end, tc)
        res_end = _residuals(self.problem, self.var[i], self.row[i], w_end, nu_end, g_end, tc,
                             stat)
        z = np.zeros((1, self.problem.n))
        return FrontierPath(
            np.append(self.t[keep], tc), np.vstack([self.weights[keep], w_end]),
            np.vstack([self.direction[keep], z]), np.vstack([self.nu[keep], nu_end]),
            np.vstack([self.nu_rate[keep], np.zeros_like(nu_end)]),
            np.vstack([self.grad[keep], g_end]), np.vstack([self.grad_rate[keep], z]),
            np.vstack([self.var[keep], self.var[i]]), np.vstack([self.row[keep], self.row[i]]),
            (*self.residuals[keep], res_end), self.problem, True, self.start_active)


def _free_stationarity(prob: PathProblem, var: np.ndarray, w: FloatArray, nu: FloatArray,
                       t: float) -> float:
    f = var == FREE
    if not f.any():
        return 0.0
    me = prob.E.shape[0]
    a_t_nu = prob.E.T @ nu[:me] + prob.C.T @ nu[me:]
    grad = prob.P[f] @ w - t * prob.mu[f] + a_t_nu[f]
    return float(np.abs(grad).max()) / _dual_scale(prob, t)


def trace_frontier(prob: PathProblem, *, t_max: float = np.inf,
                   start: tuple[_WorkingSet, FloatArray] | None = None,
                   stop_past_max_sharpe: float | None = None) -> FrontierPath:
    """The exact solution path from t = 0 to the maximum-return end (or ``t_max``).

    Parameters
    ----------
    prob : PathProblem
    t_max : float
        Stop at this parameter (scaled units).
    start : (working set, weights), optional
        A warm start for the t = 0 solve (e.g. a neighbouring problem's).
    stop_past_max_sharpe : float, optional
        A risk-free rate (μ's units): stop at the first breakpoint whose Sharpe ratio is
        below the previous one's. The ratio is quasi-concave along the frontier (σ is convex
        in the expected return), so the path then holds the maximum-Sharpe portfolio.

    Raises
    ------
    InfeasibleError
        No portfolio satisfies the constraints.
    UnboundedError
        The expected return is unbounded (a side of a bound is missing).
    SolverError
        A breakpoint misses its KKT check even after a fresh factorisation.
    """
    if start is not None:
        ws, seg, w = solve_at(prob, 0.0, start[0], start[1])
    else:
        ws, seg, w = solve_at(prob, 0.0)
    t = 0.0
    ts, ws_w, dirs, nus, nurs, grads, grs, vars_, rows, res = ([] for _ in range(10))
    sharpe: list[tuple[float, float]] = []
    seen: set[bytes] = set()
    limit = _MAX_BREAKPOINTS_PER_ASSET * (prob.n + prob.C.shape[0]) + 100
    for _ in range(limit):
        stat = _stationarity(prob, ws, seg, t)
        if stat > REFACTOR_RESIDUAL:
            ws.refactor(prob.P)
            seg = _segment(prob, ws)
            stat = _stationarity(prob, ws, seg, t)
        w = seg.w0 + t * seg.w1
        nu = seg.nu0 + t * seg.nu1
        g = seg.g0 + t * seg.g1
        r = _residuals(prob, ws.var, ws.row, w, nu, g, t, stat)
        if ts and r.max_residual > KKT_TOLERANCE:
            break  # end at the last verified breakpoint rather than report a wrong one
        ts.append(t)
        ws_w.append(w)
        dirs.append(seg.w1)
        nus.append(nu)
        nurs.append(seg.nu1)
        grads.append(g)
        grs.append(seg.g1)
        vars_.append(ws.var.copy())
        rows.append(ws.row.copy())
        res.append(r)
        if stop_past_max_sharpe is not None and (not sharpe or t > sharpe[-1][0]):
            # one value per distinct t (ties give zero-length steps), and a fall beyond
            # rounding: the ratio is quasi-concave, so once it falls it keeps falling
            v = float(w @ prob.P @ w)
            ratio = ((float(prob.mu @ w) - stop_past_max_sharpe) / np.sqrt(v) if v > 0
                     else -np.inf)
            if sharpe and ratio < sharpe[-1][1] - 1e-9 * abs(sharpe[-1][1]):
                break
            sharpe.append((t, max(ratio, sharpe[-1][1]) if sharpe else ratio))
        q0, q1, kind, idx = _conditions(prob, ws, seg)
        moving = q1 < -_RATE_TINY * (1.0 + np.abs(q0))
        if not moving.any():
            if float(np.abs(seg.w1).max(initial=0.0)) > 1e-9 and np.isinf(t_max):
                raise UnboundedError(
                    "The expected return is unbounded under these constraints: a weight "
                    "bound is missing.", field="constraints",
                    fix="give every asset finite weight bounds")
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            hit = np.where(moving, -q0 / q1, np.inf)
        k = int(np.argmin(hit))
        t_next = max(float(hit[k]), t)
        if t_next >= t_max:
            break
        if t_next > t:
            seen.clear()
        w_next = seg.w0 + t_next * seg.w1
        _apply(prob, ws, int(kind[k]), int(idx[k]))
        t = t_next
        key = ws.var.tobytes() + ws.row.tobytes()
        if key in seen:
            # degenerate ties cycling at one t: let the active-set method pick the set that
            # holds just past t (the path is continuous, so it is the next segment's)
            ws, seg, _ = solve_at(prob, t + DEGENERATE_STEP * max(1.0, t), ws, w_next)
            seen.clear()
            continue
        seen.add(key)
        seg = _segment(prob, ws)
    else:
        raise SolverError("The frontier path did not reach its end (too many breakpoints).",
                          field="constraints", fix="report this problem")
    if np.isfinite(t_max) and t_max > t:
        # close the path at t_max on the current segment
        dt = t_max - t
        z = np.zeros(prob.n)
        w_end = ws_w[-1] + dt * dirs[-1]
        nu_end = nus[-1] + dt * nurs[-1]
        g_end = grads[-1] + dt * grs[-1]
        stat = _free_stationarity(prob, vars_[-1], w_end, nu_end, t_max)
        ts.append(t_max)
        ws_w.append(w_end)
        dirs.append(z)
        nus.append(nu_end)
        nurs.append(np.zeros_like(nu_end))
        grads.append(g_end)
        grs.append(z)
        vars_.append(vars_[-1])
        rows.append(rows[-1])
        res.append(_residuals(prob, vars_[-1], rows[-1], w_end, nu_end, g_end, t_max, stat))
    else:
        dirs[-1] = np.zeros(prob.n)
    path = FrontierPath(np.asarray(ts), np.vstack(ws_w), np.vstack(dirs), np.vstack(nus),
                        np.vstack(nurs), np.vstack(grads), np.vstack(grs),
                        np.vstack(vars_).astype(np.int8), np.vstack(rows).astype(np.int8)
                        if rows and len(rows[0]) else np.zeros((len(ts), 0), dtype=np.int8),
                        tuple(res), prob)
    return _dedupe(path)


def _dedupe(path: FrontierPath) -> FrontierPath:
    """Merge zero-length segments (ties taken one at a time) into their successor."""
    t = path.t
    keep = np.ones(len(t), dtype=bool)
    keep[:-1] = t[1:] > t[:-1]
    if keep.all():
        return path
    idx = np.flatnonzero(keep)
    return FrontierPath(t[idx], path.weights[idx], path.direction[idx], path.nu[idx],
                        path.nu_rate[idx], path.grad[idx], path.grad_rate[idx],
                        path.var[idx], path.row[idx],
                        tuple(path.residuals[i] for i in idx), path.problem,
                        path.truncated_at_ceiling, path.start_active)


def standard_form_frontier(sf: StandardForm, expected_return: FloatArray, i: int = 0,
                           *, t_max: float = np.inf, active: ActiveSet | None = None,
                           stop_past_max_sharpe: float | None = None) -> FrontierPath:
    """The exact frontier path of problem ``i`` of ``sf`` (its ceiling not applied: see
    :meth:`FrontierPath.truncated`), started from the kernel's minimum-variance solve
    (warm from ``active``, e.g. a neighbouring problem's :attr:`FrontierPath.start_active`).
    """
    prob, rows = standard_form_problem(sf, expected_return, i)
    one = sf.take(np.array([i]))
    start = _kernel_start(one, prob, rows, active)
    path = trace_frontier(prob, t_max=t_max, start=start,
                          stop_past_max_sharpe=stop_past_max_sharpe)
    row = np.zeros((1, sf.n_rows), dtype=np.int8)
    lo, hi = one.row_lo[0], one.row_hi[0]
    row[0, np.isfinite(lo) & (np.abs(hi - lo) <= EQUALITY_TOLERANCE * (1 + np.abs(lo)))] = ROW_LO
    row[0, rows] = path.row[0]
    return replace(path, start_active=ActiveSet(path.var[:1].copy(), np.zeros((1, sf.n)), row,
                                                np.zeros(1, dtype=bool)))


def constraint_set_frontier(covariance: FloatArray, expected_return: FloatArray,
                            constraints: ConstraintSet) -> FrontierPath:
    """The exact frontier path of a :class:`~tailorfolio.optimize.ConstraintSet` (budget,
    bounds, class bounds, ESG floor: :func:`~tailorfolio.kernel.from_constraint_set`), cut
    at its volatility ceiling.

    Parameters
    ----------
    covariance : ndarray of shape (n, n)
    expected_return : ndarray of shape (n,)
    constraints : ConstraintSet

    Raises
    ------
    InfeasibleError
        No portfolio satisfies the constraints, or the ceiling is below the minimum
        variance (callers name the conflict with ``explain_infeasible``).
    """
    sf = from_constraint_set(constraints, covariance)
    path = standard_form_frontier(sf, expected_return)
    return path.truncated(constraints.max_volatility)


__all__ = ["FrontierPath", "PathProblem", "PathResiduals", "constraint_set_frontier",
           "path_problem", "solve_at", "standard_form_frontier", "standard_form_problem",
           "trace_frontier"]
