"""The exact active-set QP core, batched: guess → KKT solve → check → primal-dual update.

For every problem of a :class:`~tailorfolio.kernel._standard.StandardForm` (with the risk
term's weight 1: ``min ½wᵀPw + qᵀw + Σκ_j|w_j − w0_j|`` under the bounds, rows and turnover
cap) guess which bounds, kinks (``w_j = w0_j`` where a cost applies), rows and turnover cap
are active; solve the resulting equality-constrained QP exactly (one small dense KKT system
per problem over the free variables only, all solved in one batched ``numpy.linalg.solve``);
then check every KKT condition. Problems whose guess was wrong get a primal-dual active-set
update (Hintermüller, Ito & Kunisch, SIAM J. Optim. 13(3), 2003: add violated constraints,
release constraints whose multipliers have the wrong sign) and are solved again. Full steps
(every violation switched at once) are taken while they make progress; a problem whose count
of violations stops falling switches to one change per step (the largest violation), which
cannot cycle the same way. What passes the check is optimal to the precision of a direct
linear solve.

KKT conditions with multipliers ν (rows; ν ≤ 0 at a lower side, ≥ 0 at an upper side, free
for an equality) and λ ≥ 0 (turnover): with r = Pw + q + Aᵀν,

* free ``j`` (strictly inside its bounds, on side s_j of w0_j): r_j + (κ_j + λ) s_j = 0;
* ``j`` at a bound or at w0_j: −r_j ∈ ∂h_j(w_j), the subdifferential of
  h_j = (κ_j + λ)|w_j − w0_j| + indicator[l_j, u_j].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import warnings

import numpy as np
import scipy.linalg

from tailorfolio.kernel._standard import StandardForm
from tailorfolio.typing import FloatArray

FREE, AT_LOWER, AT_UPPER, AT_KINK = 0, 1, 2, 3
ROW_OFF, ROW_LO, ROW_HI = 0, 1, 2
KKT_TOLERANCE = 1e-9
"""Largest KKT violation (scaled units, O(1) data) accepted as optimal."""
REGULARIZATION = 1e-12
PINNED = 1e-12
"""A variable whose bounds are this close is fixed (an excluded asset)."""
SHARED_FACE_MIN = 256
"""Batches at least this large factorize each distinct face matrix once (the investors of
one universe share few: about one matrix per eight on the hard fleet book)."""
SHARED_FACE_SHARE = 0.5
"""The distinct matrices must be at most this share of the batch for that to be used."""


@dataclass
class ActiveSet:
    """Per problem: state of each variable, sign of each free one's trade, rows, turnover."""

    var: np.ndarray  # (B, n) int8: FREE / AT_LOWER / AT_UPPER / AT_KINK
    sign: np.ndarray  # (B, n) float: side of w0 for free variables (0 when no cost applies)
    row: np.ndarray  # (B, R) int8: ROW_OFF / ROW_LO / ROW_HI
    turnover: np.ndarray  # (B,) bool

    def take(self, idx) -> ActiveSet:
        return ActiveSet(self.var[idx].copy(), self.sign[idx].copy(), self.row[idx].copy(),
                         self.turnover[idx].copy())

    def copy(self) -> ActiveSet:
        return self.take(slice(None))

    def put(self, idx, other: ActiveSet) -> None:
        self.var[idx], self.sign[idx] = other.var, other.sign
        self.row[idx], self.turnover[idx] = other.row, other.turnover

    @staticmethod
    def concat(parts: list[ActiveSet]) -> ActiveSet:
        cat = np.concatenate
        return ActiveSet(cat([p.var for p in parts]), cat([p.sign for p in parts]),
                         cat([p.row for p in parts]), cat([p.turnover for p in parts]))


@dataclass
class ActiveSetOutcome:
    """Solutions, multipliers and KKT residuals for a batch.

    Attributes
    ----------
    w : ndarray (B, n)
    nu : ndarray (B, R)
        Row multipliers (scaled units).
    lam : ndarray (B,)
        Turnover multiplier.
    ok : ndarray (B,) bool
        Every KKT condition holds to the tolerance.
    primal_residual, dual_residual, complementarity : ndarray (B,)
        Largest constraint violation (weight units), largest stationarity / multiplier-sign
        violation and largest |multiplier × slack| (scaled units).
    iterations : ndarray (B,)
    active : ActiveSet
        The last active set of each problem (the optimal one where ``ok``).
    """

    w: FloatArray
    nu: FloatArray
    lam: FloatArray
    ok: np.ndarray
    primal_residual: FloatArray
    dual_residual: FloatArray
    complementarity: FloatArray
    iterations: np.ndarray
    active: ActiveSet


def _cost_active(sf: StandardForm) -> np.ndarray:
    """(B, n) True where |w_j − w0_j| enters the problem (a cost or a turnover cap)."""
    return (sf.kappa > 0) | np.isfinite(sf.tau)[:, None]


def _pinned(sf: StandardForm) -> np.ndarray:
    return sf.upper - sf.lower <= PINNED


def cold_active_set(sf: StandardForm) -> ActiveSet:
    """Every variable free (except pinned ones), only the equality rows active."""
    var = np.where(_pinned(sf), AT_LOWER, FREE).astype(np.int8)
    rows = np.where(sf.equality_rows(), ROW_LO, ROW_OFF).astype(np.int8)
    return ActiveSet(var, np.zeros((sf.size, sf.n)), rows, np.zeros(sf.size, dtype=bool))


def guess_active_set(sf: StandardForm, z_box: FloatArray, z_row: FloatArray | None = None,
                     tol: float = 1e-7) -> ActiveSet:
    """The active set suggested by an approximate point (ADMM's projected iterates, a
    projected-gradient point, a neighbour's solution)."""
    lo, up, w0 = sf.lower, sf.upper, sf.w0
    if z_row is None:
        z_row = z_box @ sf.A.T
    costly = _cost_active(sf)
    var = np.full(z_box.shape, FREE, dtype=np.int8)
    at_kink = costly & (np.abs(z_box - w0) <= tol)
    var[at_kink] = AT_KINK
    var[z_box >= up - tol] = AT_UPPER
    var[z_box <= lo + tol] = AT_LOWER
    var[_pinned(sf)] = AT_LOWER
    sign = np.where(costly, np.sign(z_box - w0), 0.0)
    row = np.full(z_row.shape, ROW_OFF, dtype=np.int8)
    scale_r = 1.0 + np.abs(z_row)
    with np.errstate(invalid="ignore"):
        row[z_row >= sf.row_hi - tol * scale_r] = ROW_HI
        row[z_row <= sf.row_lo + tol * scale_r] = ROW_LO
    row[sf.equality_rows()] = ROW_LO
    turn = np.isfinite(sf.tau) & (np.abs(z_box - w0).sum(axis=1) >= sf.tau - tol)
    return ActiveSet(var, sign, row, turn)


def _fixed_values(sf: StandardForm, var: np.ndarray) -> FloatArray:
    return np.where(var == AT_LOWER, sf.lower, np.where(
        var == AT_UPPER, sf.upper, np.where(var == AT_KINK, sf.w0, 0.0)))


def kkt_systems(sf: StandardForm, act: ActiveSet, matrices_of: np.ndarray | None = None
                ) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray, np.ndarray, int]:
    """The batched reduced KKT matrices and right-hand sides of the active sets.

    Returns M (B, d, d), rhs_const (B, d), rhs_linear (B, d) with ``rhs = rhs_const +
    rhs_linear`` for the problem as posed and ``rhs_const + t·rhs_linear`` when the linear
    part (q, κ) is multiplied by t; and the gather ``order`` (B, f), ``live`` (B, f), f.
    Only free variables are unknowns (gathered to the front, padded with identity rows).
    With ``matrices_of`` (indices), M holds only those problems' matrices (K, d, d).
    """
    b, n, r = sf.size, sf.n, sf.n_rows
    free_b = act.var == FREE
    vfix = _fixed_values(sf, act.var)
    nfree = free_b.sum(axis=1)
    f = max(int(nfree.max(initial=0)), 1)
    if b == 1:
        order = np.concatenate([np.flatnonzero(free_b[0]), np.flatnonzero(~free_b[0])])[None, :f]
    else:
        order = np.argsort(~free_b, axis=1, kind="stable")[:, :f]
    live = np.arange(f)[None, :] < nfree[:, None]
    livef = live.astype(float)
    s = np.take_along_axis(act.sign, order, axis=1) * livef
    rows_on = (act.row != ROW_OFF).astype(float)
    turn = act.turnover.astype(float)
    dim = f + r + 1
    if matrices_of is None:
        mo, ml, mr, mt, ms = order, livef, rows_on, turn, s
    else:
        k = matrices_of
        mo, ml, mr, mt, ms = order[k], livef[k], rows_on[k], turn[k], s[k]
    bm = mo.shape[0]
    M = np.zeros((bm, dim, dim))
    if bm == 1:
        o = mo[0]
        M[0, :f, :f] = sf.P[np.ix_(o, o)] * np.outer(ml[0], ml[0])
    else:
        M[:, :f, :f] = sf.P[mo[:, :, None], mo[:, None, :]] * (ml[:, :, None] * ml[:, None, :])
    idx = np.arange(f)
    M[:, idx, idx] += 1.0 - ml
    at = sf.A.T[mo] * ml[:, :, None] * mr[:, None, :]  # (B, f, R)
    M[:, :f, f:f + r] = at
    M[:, f:f + r, :f] = at.transpose(0, 2, 1)
    ridx = np.arange(f, f + r)
    M[:, ridx, ridx] = np.where(mr > 0, -REGULARIZATION, 1.0)
    tcol = ms * mt[:, None]
    M[:, :f, f + r] = tcol
    M[:, f + r, :f] = tcol
    M[:, f + r, f + r] = np.where(mt > 0, -REGULARIZATION, 1.0)

    rc = np.zeros((b, dim))
    rl = np.zeros((b, dim))
    rc[:, :f] = -livef * np.take_along_axis(vfix @ sf.P, order, axis=1)
    rl[:, :f] = -livef * (np.take_along_axis(sf.q, order, axis=1)
                          + np.take_along_axis(sf.kappa, order, axis=1) * s)
    bound = np.where(act.row == ROW_HI, sf.row_hi, sf.row_lo)
    bound = np.where(rows_on > 0, bound, 0.0)
    rc[:, f:f + r] = rows_on * (bound - vfix @ sf.A.T)
    fixed_turn = ((~free_b) * np.abs(vfix - sf.w0)).sum(axis=1)
    tau = np.where(np.isfinite(sf.tau), sf.tau, 0.0)
    w0_free = np.take_along_axis(sf.w0, order, axis=1)
    rc[:, f + r] = turn * (tau - fixed_turn + (s * w0_free).sum(axis=1))
    return M, rc, rl, order, live, f


def _reg_mask(act: ActiveSet, f: int) -> np.ndarray:
    b, r = act.row.shape
    mask = np.zeros((b, f + r + 1))
    mask[:, f:f + r] = act.row != ROW_OFF
    mask[:, f + r] = act.turnover
    return mask


def face_keys(act: ActiveSet) -> np.ndarray:
    """Per problem, a key naming its reduced KKT matrix: the matrix of :func:`kkt_systems`
    depends only on which variables are free, which rows are on, whether the turnover cap
    is, and (then) the free variables' sides. (B,) integers where those bits fit in 63,
    else (B, bytes) packed bits."""
    n = act.var.shape[1]
    r = act.row.shape[1]
    free = act.var == FREE
    turn = act.turnover[:, None]
    bits = np.concatenate([free, free & turn & (act.sign > 0), free & turn & (act.sign < 0),
                           act.row != ROW_OFF, turn], axis=1)
    if 3 * n + r + 1 > 63:
        return np.packbits(bits, axis=1)
    return bits.astype(np.int64) @ (np.int64(1) << np.arange(bits.shape[1], dtype=np.int64))


def _shared_faces(act: ActiveSet) -> tuple[np.ndarray, np.ndarray] | None:
    """(one problem per distinct face matrix, each problem's face) for a large batch whose
    problems share few (:func:`face_keys`); None when that does not pay."""
    b = act.var.shape[0]
    if b < SHARED_FACE_MIN:
        return None
    keys = face_keys(act)
    _, rep, which = np.unique(keys, return_index=True, return_inverse=True,
                              axis=0 if keys.ndim == 2 else None)
    if len(rep) > SHARED_FACE_SHARE * b:
        return None
    return rep, which.reshape(-1)


def _shared_face_solve(Mu: FloatArray, which: np.ndarray, rhs: FloatArray,
                       reg_mask: np.ndarray | None) -> FloatArray | None:
    """:func:`_batched_solve` for problems sharing the distinct face matrices ``Mu`` (K, d,
    d) (problem i's is ``Mu[which[i]]``): each is factorized (inverted) once and applied to
    its problems' right-hand sides; None when one is singular (the caller then solves
    problem by problem)."""
    try:
        inv = np.linalg.inv(Mu)
    except np.linalg.LinAlgError:
        return None
    G = np.take(inv, which, axis=0)  # (take: faster than fancy indexing on axis 0)
    x = G @ rhs
    # one step of refinement on the residual of the exact system M + REGULARIZATION·mask
    # (the regularization's effect, as in :func:`_batched_solve`, and the inverse's rounding)
    resid = rhs - np.take(Mu, which, axis=0) @ x
    if reg_mask is not None:
        resid -= REGULARIZATION * reg_mask[:, :, None] * x
    x += G @ resid
    return x if np.isfinite(x).all() else None


def _solve_systems(sf: StandardForm, act: ActiveSet,
                   rhs_of: Callable[[FloatArray, FloatArray], FloatArray]
                   ) -> tuple[FloatArray, np.ndarray, np.ndarray, int]:
    """The reduced KKT systems of ``act`` solved for the right-hand sides ``rhs_of(rc, rl)``
    (B, d, k): each distinct face matrix built and factorized once where the batch shares
    them, else one per problem. Returns (solution, order, live, f)."""
    faces = _shared_faces(act)
    if faces is not None:
        rep, which = faces
        Mu, rc, rl, order, live, f = kkt_systems(sf, act, rep)
        rhs = rhs_of(rc, rl)
        mask = _reg_mask(act, f)
        x = _shared_face_solve(Mu, which, rhs, mask)
        if x is not None:
            return x, order, live, f
        return _batched_solve(np.take(Mu, which, axis=0), rhs, mask), order, live, f
    M, rc, rl, order, live, f = kkt_systems(sf, act)
    return _batched_solve(M, rhs_of(rc, rl), _reg_mask(act, f)), order, live, f


def _batched_solve(M: FloatArray, rhs: FloatArray, reg_mask: np.ndarray | None = None
                   ) -> FloatArray:
    """Solve M x = rhs (rhs (B, d, k)); least squares where a system is singular.

    ``reg_mask`` (B, d) marks the diagonal entries that carry the −:data:`REGULARIZATION`
    of active rows; one step of iterative refinement then removes its effect (the exact
    system has 0 there), so active rows hold to rounding rather than to 1e-12·|ν|.
    """
    try:
        if M.shape[0] == 1:
            with warnings.catch_warnings():  # a singular face: handled below
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                lu = scipy.linalg.lu_factor(M[0], check_finite=False)
            x = scipy.linalg.lu_solve(lu, rhs[0], check_finite=False)
            if reg_mask is not None and np.isfinite(x).all():
                x = x + scipy.linalg.lu_solve(lu, -REGULARIZATION * reg_mask[0][:, None] * x,
                                              check_finite=False)
            if not np.isfinite(x).all():
                raise np.linalg.LinAlgError("singular")
            return x[None]
        x = np.linalg.solve(M, rhs)
        if reg_mask is not None:
            x = x + np.linalg.solve(M, -REGULARIZATION * reg_mask[:, :, None] * x)
        return x
    except (np.linalg.LinAlgError, ValueError):
        out = np.empty_like(rhs)
        for i in range(M.shape[0]):
            try:
                out[i] = np.linalg.solve(M[i], rhs[i])
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(M[i], rhs[i], rcond=None)[0]
        return out


def _unpack(sf: StandardForm, act: ActiveSet, sol: FloatArray, order: np.ndarray,
            live: np.ndarray, f: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    r = sf.n_rows
    rows_on = (act.row != ROW_OFF).astype(float)
    w = _fixed_values(sf, act.var)
    bi, fi = np.nonzero(live)
    w[bi, order[bi, fi]] = sol[bi, fi]
    return w, sol[:, f:f + r] * rows_on, sol[:, f + r] * act.turnover


def solve_active_set(sf: StandardForm, act: ActiveSet
                     ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Solve each problem's equality-constrained QP; return w (B,n), ν (B,R), λ (B,)."""
    sol, order, live, f = _solve_systems(sf, act, lambda rc, rl: (rc + rl)[:, :, None])
    return _unpack(sf, act, sol[:, :, 0], order, live, f)


def solve_active_set_affine(sf: StandardForm, act: ActiveSet
                            ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray,
                                       FloatArray, FloatArray]:
    """On fixed faces the solution is affine in the linear factor t: w(t) = w_c + t·w_l.

    Returns (w_c, ν_c, λ_c, w_l, ν_l, λ_l) from one factorization (two right-hand sides).
    """
    sol, order, live, f = _solve_systems(sf, act, lambda rc, rl: np.stack([rc, rl], axis=2))
    wc, nc, lc = _unpack(sf, act, sol[:, :, 0], order, live, f)
    wl, nl, ll = _unpack(sf, act, sol[:, :, 1], order, live, f)
    wl -= _fixed_values(sf, act.var)  # the fixed values belong to the constant part only
    return wc, nc, lc, wl, nl, ll


def kkt_check(sf: StandardForm, act: ActiveSet, w: FloatArray, nu: FloatArray,
              lam: FloatArray, tol: float = KKT_TOLERANCE
              ) -> tuple[FloatArray, FloatArray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Primal and dual KKT violations per problem; masks of each kind of violation and
    the amount by which each entry violates it."""
    lo, up, w0 = sf.lower, sf.upper, sf.w0
    free = act.var == FREE
    costly = _cost_active(sf)
    free_costly = free & costly
    signed = act.sign != 0
    tau = sf.tau
    capped = np.isfinite(tau)
    row_off = act.row == ROW_OFF
    row_at_lo = act.row == ROW_LO
    with np.errstate(invalid="ignore"):
        below = free & (w < lo - tol)
        above = free & (w > up + tol)
        dw = w - w0
        adw = np.abs(dw)
        side = act.sign * dw
        # a free variable whose cost the system left out (sign 0: a cold start, a guess
        # exactly at its kink) is only right at its kink; elsewhere the cost's slope is owed
        unsigned = free_costly & (act.sign == 0) & (adw > tol)
        wrong_side = free_costly & ((signed & (side < -tol)) | unsigned)
        aw = w @ sf.A.T
        row_low = row_off & (aw < sf.row_lo - tol)
        row_high = row_off & (aw > sf.row_hi + tol)
        turnover = adw.sum(axis=1)
        turn_viol = (~act.turnover) & capped & (turnover > tau + tol)
        lo_w, w_up = lo - w, w - up
        box_v = np.maximum(lo_w, w_up).max(axis=1)
        rlo_aw, aw_rhi = sf.row_lo - aw, aw - sf.row_hi
        row_v = np.maximum(rlo_aw, aw_rhi).max(axis=1, initial=0.0)
        over_tau = turnover - tau
        turn_v = np.where(capped, over_tau, -np.inf)
        side_v = np.where(free_costly & signed, -side, 0.0).max(axis=1)
        side_v = np.maximum(side_v, np.where(unsigned, adw, 0.0).max(axis=1))
    primal = np.maximum.reduce([box_v, row_v, turn_v, side_v, np.zeros(sf.size)])
    # ---- dual
    kappa = sf.kappa + lam[:, None] * act.turnover[:, None]
    r = w @ sf.P + sf.q + nu @ sf.A
    stat = np.where(free, np.abs(r + kappa * act.sign), 0.0)
    neg_kappa = -kappa
    at_kink = act.var == AT_KINK
    left = np.where((w <= w0) | at_kink, neg_kappa, kappa)  # left slope of the cost part
    right = np.where((w >= w0) | at_kink, kappa, neg_kappa)
    at_low = act.var == AT_LOWER
    at_up = act.var == AT_UPPER
    pinned = at_low & _pinned(sf)
    a = np.where(at_low, -np.inf, left)
    bnd = np.where(at_up | pinned, np.inf, right)
    fixed = ~free
    with np.errstate(invalid="ignore"):
        r_bnd = r + bnd
        r_a = r + a
        wants_up = fixed & (r_bnd < -tol)
        wants_down = fixed & (r_a > tol)
        neg_r_bnd = -r_bnd
        fix_v = np.where(fixed, np.maximum(np.maximum(neg_r_bnd, r_a), 0.0), 0.0)
    row_free_sign = sf.equality_rows()
    bad_lo = row_at_lo & ~row_free_sign & (nu > tol)
    bad_hi = (act.row == ROW_HI) & ~row_free_sign & (nu < -tol)
    neg_nu = -nu
    row_dual = np.where(row_off | row_free_sign, 0.0,
                        np.where(row_at_lo, np.maximum(nu, 0), np.maximum(neg_nu, 0)))
    neg_lam = -lam
    bad_turn = act.turnover & (lam < -tol)
    dual = np.maximum.reduce([stat.max(axis=1), fix_v.max(axis=1),
                              row_dual.max(axis=1, initial=0.0),
                              np.where(act.turnover, np.maximum(neg_lam, 0), 0.0)])
    masks = dict(below=below, above=above, wrong_side=wrong_side, row_low=row_low,
                 row_high=row_high, turn_viol=turn_viol, wants_up=wants_up,
                 wants_down=wants_down, bad_lo=bad_lo, bad_hi=bad_hi, bad_turn=bad_turn)
    amounts = dict(below=lo_w, above=w_up, wrong_side=np.where(unsigned, adw, -side),
                   row_low=rlo_aw, row_high=aw_rhi, turn_viol=over_tau,
                   wants_up=neg_r_bnd, wants_down=r_a, bad_lo=nu, bad_hi=neg_nu,
                   bad_turn=neg_lam)
    return primal, dual, masks, amounts


def complementarity(sf: StandardForm, act: ActiveSet, w: FloatArray, nu: FloatArray,
                    lam: FloatArray) -> FloatArray:
    """Largest |multiplier × slack| per problem (rows, turnover, fixed variables)."""
    aw = w @ sf.A.T
    bound = np.where(act.row == ROW_HI, sf.row_hi, sf.row_lo)
    with np.errstate(invalid="ignore"):
        row_c = np.where((act.row != ROW_OFF) & ~sf.equality_rows(),
                         np.abs(nu) * np.abs(aw - bound), 0.0)
    turn_c = np.where(act.turnover, np.abs(lam) * np.abs(
        np.abs(w - sf.w0).sum(axis=1) - np.where(np.isfinite(sf.tau), sf.tau, 0.0)), 0.0)
    fixed = act.var != FREE
    r = w @ sf.P + sf.q + nu @ sf.A
    var_c = np.where(fixed, np.abs(r) * np.abs(w - _fixed_values(sf, act.var)), 0.0)
    return np.maximum.reduce([row_c.max(axis=1, initial=0.0), turn_c,
                              var_c.max(axis=1, initial=0.0)])


def _violation_count(masks: dict[str, np.ndarray]) -> np.ndarray:
    return sum(m.reshape(m.shape[0], -1).sum(axis=1) for m in masks.values())


def single_change(m: dict[str, np.ndarray], amounts: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
    """Keep only each problem's largest violation (a cautious step that cannot cycle the
    way simultaneous switches of the full primal-dual active-set step can).

    Every kind's entries side by side, one argmax per problem: the first entry, in the
    order of the kinds and then of the entries, of the largest |amount| among the
    violations (ties to the first kind, then the first entry)."""
    keys = list(m)
    b = m[keys[0]].shape[0]
    flat = [m[k].reshape(b, -1) for k in keys]
    widths = np.cumsum([0] + [x.shape[1] for x in flat])
    a = np.where(np.concatenate(flat, axis=1),
                 np.abs(np.concatenate([amounts[k].reshape(b, -1) for k in keys], axis=1)),
                 -1.0)
    top = a.argmax(axis=1)
    rows = np.arange(b)
    hit = ~(a[rows, top] < 0)  # a violation (NaN counts, as in a max)
    one = np.zeros(a.shape, dtype=bool)
    one[rows[hit], top[hit]] = True
    return {k: one[:, widths[i]:widths[i + 1]].reshape(m[k].shape)
            for i, k in enumerate(keys)}


def update_active_set(sf: StandardForm, act: ActiveSet, m: dict[str, np.ndarray]) -> None:
    """One primal-dual active-set step (in place) for the problems that failed the check."""
    var, sign = act.var, act.sign
    vfix = _fixed_values(sf, var)
    costly = _cost_active(sf)
    up_sign = np.where(vfix >= sf.w0, 1.0, -1.0)
    down_sign = np.where(vfix <= sf.w0, -1.0, 1.0)
    sign[m["wants_up"]] = up_sign[m["wants_up"]]
    sign[m["wants_down"]] = down_sign[m["wants_down"]]
    var[m["wants_up"] | m["wants_down"]] = FREE
    sign[~costly] = 0.0
    var[m["wrong_side"]] = AT_KINK
    var[m["below"]] = AT_LOWER
    var[m["above"]] = AT_UPPER
    kink = var == AT_KINK
    var[kink & (sf.w0 < sf.lower)] = AT_LOWER
    var[kink & (sf.w0 > sf.upper)] = AT_UPPER
    act.row[m["row_low"]] = ROW_LO
    act.row[m["row_high"]] = ROW_HI
    act.row[m["bad_lo"] | m["bad_hi"]] = ROW_OFF
    act.row[sf.equality_rows()] = ROW_LO
    act.turnover[m["turn_viol"]] = True
    act.turnover[m["bad_turn"]] = False


def active_set_solve(sf: StandardForm, act: ActiveSet | None = None, max_iter: int = 12,
                     full_steps: int = 3, tol: float = KKT_TOLERANCE,
                     stall: int = 3, adaptive: bool = True, stop_on_stall: bool = False
                     ) -> ActiveSetOutcome:
    """Active-set iterations from ``act`` (default: the cold set) until the KKT check
    passes or ``max_iter``.

    The first ``full_steps`` iterations switch every violated constraint at once. After
    that, with ``adaptive`` a problem keeps taking full steps while its count of violations
    falls (at most ``stall`` iterations without a new minimum); without it (or once stalled)
    it switches one constraint per step (its largest violation). With ``stop_on_stall`` a
    stalled problem is left unsettled instead (for the caller to restart it from a better
    guess).
    """
    if act is None:
        act = cold_active_set(sf)
    b, n, r = sf.size, sf.n, sf.n_rows
    w_out = np.zeros((b, n))
    nu_out = np.zeros((b, r))
    lam_out = np.zeros(b)
    ok = np.zeros(b, dtype=bool)
    prim_out = np.full(b, np.inf)
    dual_out = np.full(b, np.inf)
    comp_out = np.full(b, np.inf)
    iters = np.zeros(b, dtype=np.int64)
    todo = np.arange(b)
    final = act.copy()
    best_count = np.full(b, np.iinfo(np.int64).max)
    since_best = np.zeros(b, dtype=np.int64)
    cur_sf, cur = sf, act.copy()
    for it in range(1, max_iter + 1):
        final.put(todo, cur)
        w, nu, lam = solve_active_set(cur_sf, cur)
        prim, dual, masks, amounts = kkt_check(cur_sf, cur, w, nu, lam, tol)
        good = (prim <= tol) & (dual <= tol)
        w_out[todo], nu_out[todo], lam_out[todo] = w, nu, lam
        prim_out[todo] = prim
        dual_out[todo] = dual
        iters[todo] = it
        if good.any():
            g = todo[good]
            ok[g] = True
            sub = cur.take(good)
            comp_out[g] = complementarity(cur_sf.take(good), sub, w[good], nu[good], lam[good])
        if good.all() or it == max_iter:
            break
        bad = ~good
        count = _violation_count(masks)[bad]
        todo = todo[bad]
        improved = count < best_count[todo]
        best_count[todo] = np.where(improved, count, best_count[todo])
        since_best[todo] = np.where(improved, 0, since_best[todo] + 1)
        if bad.all():  # nobody settled: the same problems step again (no copies)
            sub, amounts_bad = masks, amounts
        else:
            cur_sf = cur_sf.take(bad)
            cur = cur.take(bad)
            sub = {k: v[bad] for k, v in masks.items()}
            amounts_bad = {k: v[bad] for k, v in amounts.items()}
        if adaptive:
            cautious = (it >= full_steps) & (since_best[todo] >= stall)
        else:
            cautious = np.full(len(todo), it >= full_steps)
        if stop_on_stall and cautious.any():
            keep = ~cautious
            if not keep.any():
                break
            todo, cur_sf, cur, cautious = todo[keep], cur_sf.take(keep), cur.take(keep), \
                cautious[keep]
            sub = {k: v[keep] for k, v in sub.items()}
            amounts_bad = {k: v[keep] for k, v in amounts_bad.items()}
        if cautious.all():
            sub = single_change(sub, amounts_bad)
        elif cautious.any():
            one = single_change({k: v[cautious] for k, v in sub.items()},
                                {k: v[cautious] for k, v in amounts_bad.items()})
            for k in sub:
                sub[k][cautious] = one[k]
        update_active_set(cur_sf, cur, sub)
    # residuals of the unsettled ones too (their last point)
    left = ~ok & np.isinf(comp_out)
    if left.any():
        comp_out[left] = 0.0
    return ActiveSetOutcome(w_out, nu_out, lam_out, ok, prim_out, dual_out, comp_out, iters,
                            final)
