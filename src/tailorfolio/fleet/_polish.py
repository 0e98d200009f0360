"""Exact active-set polish and KKT verification, batched.

From an approximate ADMM point, guess for every investor which bounds, kinks (``w_j = w0_j``
where a cost applies), rows and turnover cap are active; solve the resulting equality-
constrained QP exactly (one small dense KKT system per investor, all solved in one batched
``numpy.linalg.solve``); then check every KKT condition. Investors whose guess was wrong get a
primal-dual active-set update (Hintermüller, Ito & Kunisch, SIAM J. Optim. 13(3), 2003: add
violated constraints, release constraints whose multipliers have the wrong sign) and are
solved again. What passes the check is optimal to the precision of a direct linear solve.

KKT conditions of ``min ½wᵀPw + qᵀw + Σκ_j|w_j − w0_j|  s.t. l ≤ w ≤ u, lo ≤ Aw ≤ hi,
‖w − w0‖₁ ≤ τ`` with multipliers ν (rows, ν ≤ 0 at a lower side, ≥ 0 at an upper side) and
λ ≥ 0 (turnover): with r = Pw + q + Aᵀν,

* free ``j`` (strictly inside its bounds, on side s_j of w0_j): r_j + (κ_j + λ) s_j = 0;
* ``j`` at a bound or at w0_j: −r_j ∈ ∂h_j(w_j), the subdifferential of
  h_j = (κ_j + λ)|w_j − w0_j| + indicator[l_j, u_j].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.fleet._standard import EQUALITY_ROW, StandardForm
from tailorfolio.typing import FloatArray

FREE, AT_LOWER, AT_UPPER, AT_KINK = 0, 1, 2, 3
ROW_OFF, ROW_LO, ROW_HI = 0, 1, 2
KKT_TOLERANCE = 1e-9
"""Largest KKT violation (scaled units, O(1) data) accepted as optimal."""
REGULARIZATION = 1e-12


@dataclass
class ActiveSet:
    """Per investor: state of each asset, sign of each free asset's trade, row and turnover."""

    var: np.ndarray  # (B, n) int: FREE / AT_LOWER / AT_UPPER / AT_KINK
    sign: np.ndarray  # (B, n) float: side of w0 for free assets (0 when no cost applies)
    row: np.ndarray  # (B, R) int: ROW_OFF / ROW_LO / ROW_HI
    turnover: np.ndarray  # (B,) bool


@dataclass
class PolishOutcome:
    """Solutions and KKT residuals for a batch.

    Attributes
    ----------
    w : ndarray (B, n)
    ok : ndarray (B,) bool
        Every KKT condition holds to :data:`KKT_TOLERANCE`.
    primal_residual : ndarray (B,)
        Largest constraint violation, weight units.
    dual_residual : ndarray (B,)
        Largest stationarity / multiplier-sign violation, scaled units.
    iterations : ndarray (B,)
        Active-set iterations used.
    active : ActiveSet
        The last active set of each investor (the optimal one where ``ok``).
    """

    w: FloatArray
    ok: np.ndarray
    primal_residual: FloatArray
    dual_residual: FloatArray
    iterations: np.ndarray
    active: ActiveSet | None = None


def _cost_active(sf: StandardForm) -> np.ndarray:
    """(B, n) True where |w_j − w0_j| enters the problem (a cost or a turnover cap)."""
    return (sf.kappa > 0) | np.isfinite(sf.tau)[:, None]


def guess_active_set(sf: StandardForm, z_box: FloatArray, z_row: FloatArray,
                     tol: float = 1e-7) -> ActiveSet:
    """The active set suggested by ADMM's projected iterates."""
    lo, up, w0 = sf.lower, sf.upper, sf.w0
    costly = _cost_active(sf)
    var = np.full(z_box.shape, FREE, dtype=np.int8)
    at_kink = costly & (np.abs(z_box - w0) <= tol)
    var[at_kink] = AT_KINK
    var[z_box >= up - tol] = AT_UPPER
    var[z_box <= lo + tol] = AT_LOWER
    var[up - lo <= tol] = AT_LOWER
    sign = np.where(costly, np.sign(z_box - w0), 0.0)
    row = np.full(z_row.shape, ROW_OFF, dtype=np.int8)
    scale_r = 1.0 + np.abs(z_row)
    row[z_row >= sf.row_hi - tol * scale_r] = ROW_HI
    row[z_row <= sf.row_lo + tol * scale_r] = ROW_LO
    row[:, EQUALITY_ROW] = ROW_LO
    turn = np.isfinite(sf.tau) & (np.abs(z_box - w0).sum(axis=1) >= sf.tau - tol)
    return ActiveSet(var, sign, row, turn)


def _fixed_values(sf: StandardForm, var: np.ndarray) -> FloatArray:
    return np.select([var == AT_LOWER, var == AT_UPPER, var == AT_KINK],
                     [sf.lower, sf.upper, sf.w0], 0.0)


def solve_active_set(sf: StandardForm, act: ActiveSet
                     ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Solve each investor's equality-constrained QP; return w (B,n), ν (B,R), λ (B,).

    Only the free assets are unknowns: they are gathered to the front (padded to the
    batch's largest free count with identity rows), so each system has size
    ``n_free + R + 1`` rather than ``n + R + 1``.
    """
    b, n, r = sf.size, sf.n, sf.n_rows
    free_b = act.var == FREE
    vfix = _fixed_values(sf, act.var)
    nfree = free_b.sum(axis=1)
    f = max(int(nfree.max(initial=0)), 1)
    order = np.argsort(~free_b, axis=1, kind="stable")[:, :f]  # free assets first
    live = np.arange(f)[None, :] < nfree[:, None]  # (B, f) real (not padding) slots
    livef = live.astype(float)
    s = np.take_along_axis(act.sign, order, axis=1) * livef
    rows_on = (act.row != ROW_OFF).astype(float)
    turn = act.turnover.astype(float)
    dim = f + r + 1
    M = np.zeros((b, dim, dim))
    M[:, :f, :f] = sf.P[order[:, :, None], order[:, None, :]] * (livef[:, :, None]
                                                                  * livef[:, None, :])
    idx = np.arange(f)
    M[:, idx, idx] += 1.0 - livef
    at = sf.A.T[order] * livef[:, :, None] * rows_on[:, None, :]  # (B, f, R)
    M[:, :f, f:f + r] = at
    M[:, f:f + r, :f] = at.transpose(0, 2, 1)
    ridx = np.arange(f, f + r)
    M[:, ridx, ridx] = np.where(rows_on > 0, -REGULARIZATION, 1.0)
    tcol = s * turn[:, None]
    M[:, :f, f + r] = tcol
    M[:, f + r, :f] = tcol
    M[:, f + r, f + r] = np.where(turn > 0, -REGULARIZATION, 1.0)

    rhs = np.zeros((b, dim))
    g_fixed = -sf.q - vfix @ sf.P
    rhs[:, :f] = livef * (np.take_along_axis(g_fixed, order, axis=1)
                          - np.take_along_axis(sf.kappa, order, axis=1) * s)
    bound = np.where(act.row == ROW_HI, sf.row_hi, sf.row_lo)
    bound = np.where(rows_on > 0, bound, 0.0)
    rhs[:, f:f + r] = rows_on * (bound - vfix @ sf.A.T)
    fixed_turn = ((~free_b) * np.abs(vfix - sf.w0)).sum(axis=1)
    tau = np.where(np.isfinite(sf.tau), sf.tau, 0.0)
    w0_free = np.take_along_axis(sf.w0, order, axis=1)
    rhs[:, f + r] = turn * (tau - fixed_turn + (s * w0_free).sum(axis=1))
    try:
        sol = np.linalg.solve(M, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        sol = np.stack([np.linalg.lstsq(M[i], rhs[i], rcond=None)[0] for i in range(b)])
    w = vfix.copy()
    bi, fi = np.nonzero(live)
    w[bi, order[bi, fi]] = sol[bi, fi]
    return w, sol[:, f:f + r] * rows_on, sol[:, f + r] * turn


def kkt_check(sf: StandardForm, act: ActiveSet, w: FloatArray, nu: FloatArray,
              lam: FloatArray
              ) -> tuple[FloatArray, FloatArray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Primal and dual KKT violations per investor; masks of each kind of violation and
    the amount by which each entry violates it."""
    lo, up, w0 = sf.lower, sf.upper, sf.w0
    free = act.var == FREE
    costly = _cost_active(sf)
    # ---- primal
    below = free & (w < lo - KKT_TOLERANCE)
    above = free & (w > up + KKT_TOLERANCE)
    wrong_side = free & costly & (act.sign != 0) & (act.sign * (w - w0) < -KKT_TOLERANCE)
    aw = w @ sf.A.T
    row_off = act.row == ROW_OFF
    row_low = row_off & (aw < sf.row_lo - KKT_TOLERANCE)
    row_high = row_off & (aw > sf.row_hi + KKT_TOLERANCE)
    turnover = np.abs(w - w0).sum(axis=1)
    tau = sf.tau
    turn_viol = (~act.turnover) & np.isfinite(tau) & (turnover > tau + KKT_TOLERANCE)
    box_v = np.maximum(lo - w, w - up).max(axis=1)
    row_v = np.maximum(sf.row_lo - aw, aw - sf.row_hi).max(axis=1, initial=0.0)
    turn_v = np.where(np.isfinite(tau), turnover - tau, -np.inf)
    side_v = np.where(free & costly & (act.sign != 0), -act.sign * (w - w0), 0.0).max(axis=1)
    primal = np.maximum.reduce([box_v, row_v, turn_v, side_v, np.zeros(sf.size)])
    # ---- dual
    kappa = sf.kappa + lam[:, None] * act.turnover[:, None]
    r = w @ sf.P + sf.q + nu @ sf.A
    stat = np.where(free, np.abs(r + kappa * act.sign), 0.0)
    # subdifferential bounds for fixed assets at value v
    v = w
    left = np.where(v <= w0 + 0.0, -kappa, kappa)  # left slope of the cost part
    right = np.where(v >= w0 - 0.0, kappa, -kappa)
    at_kink = act.var == AT_KINK
    left = np.where(at_kink, -kappa, left)
    right = np.where(at_kink, kappa, right)
    at_low = act.var == AT_LOWER
    at_up = act.var == AT_UPPER
    pinned = at_low & (up - lo <= KKT_TOLERANCE)
    a = np.where(at_low, -np.inf, left)
    bnd = np.where(at_up | pinned, np.inf, right)
    fixed = ~free
    wants_up = fixed & (r + bnd < -KKT_TOLERANCE)
    wants_down = fixed & (r + a > KKT_TOLERANCE)
    fix_v = np.where(fixed, np.maximum(np.maximum(-(r + bnd), r + a), 0.0), 0.0)
    eq = np.zeros(sf.n_rows, dtype=bool)
    eq[EQUALITY_ROW] = True
    two_sided = np.isclose(sf.row_lo, sf.row_hi)
    row_free_sign = eq[None, :] | two_sided
    bad_lo = (act.row == ROW_LO) & ~row_free_sign & (nu > KKT_TOLERANCE)
    bad_hi = (act.row == ROW_HI) & ~row_free_sign & (nu < -KKT_TOLERANCE)
    row_dual = np.where(act.row == ROW_LO, np.maximum(nu, 0), np.maximum(-nu, 0))
    row_dual = np.where((act.row == ROW_OFF) | row_free_sign, 0.0, row_dual)
    bad_turn = act.turnover & (lam < -KKT_TOLERANCE)
    dual = np.maximum.reduce([stat.max(axis=1), fix_v.max(axis=1),
                              row_dual.max(axis=1, initial=0.0),
                              np.where(act.turnover, np.maximum(-lam, 0), 0.0)])
    masks = dict(below=below, above=above, wrong_side=wrong_side, row_low=row_low,
                 row_high=row_high, turn_viol=turn_viol, wants_up=wants_up,
                 wants_down=wants_down, bad_lo=bad_lo, bad_hi=bad_hi, bad_turn=bad_turn)
    amounts = dict(below=lo - w, above=w - up, wrong_side=-act.sign * (w - w0),
                   row_low=sf.row_lo - aw, row_high=aw - sf.row_hi, turn_viol=turnover - tau,
                   wants_up=-(r + bnd), wants_down=r + a, bad_lo=nu, bad_hi=-nu,
                   bad_turn=-lam)
    return primal, dual, masks, amounts


def single_change(m: dict[str, np.ndarray], amounts: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
    """Keep only each investor's largest violation (a cautious step that cannot cycle the
    way simultaneous switches of the full primal-dual active-set step can)."""
    keys = list(m)
    best = []
    for k in keys:
        a = np.where(m[k], np.abs(amounts[k]), -1.0)
        best.append(a.reshape(a.shape[0], -1).max(axis=1))
    best_key = np.argmax(np.column_stack(best), axis=1)
    out: dict[str, np.ndarray] = {}
    for ki, k in enumerate(keys):
        mk = m[k] & (best_key == ki).reshape((-1,) + (1,) * (m[k].ndim - 1))
        if mk.ndim == 2:
            a = np.where(mk, np.abs(amounts[k]), -1.0)
            top = a.argmax(axis=1)
            one = np.zeros_like(mk)
            rows = np.flatnonzero(mk.any(axis=1))
            one[rows, top[rows]] = True
            mk = one
        out[k] = mk
    return out


def update_active_set(sf: StandardForm, act: ActiveSet, w: FloatArray, m: dict[str, np.ndarray]
                      ) -> None:
    """One primal-dual active-set step (in place) for the investors that failed the check."""
    var, sign = act.var, act.sign
    vfix = _fixed_values(sf, var)
    costly = _cost_active(sf)
    # release fixed assets that want to move
    up_sign = np.where(vfix >= sf.w0, 1.0, -1.0)
    down_sign = np.where(vfix <= sf.w0, -1.0, 1.0)
    sign[m["wants_up"]] = up_sign[m["wants_up"]]
    sign[m["wants_down"]] = down_sign[m["wants_down"]]
    var[m["wants_up"] | m["wants_down"]] = FREE
    sign[~costly] = 0.0
    # pin free assets that crossed a bound or w0
    var[m["wrong_side"]] = AT_KINK
    var[m["below"]] = AT_LOWER
    var[m["above"]] = AT_UPPER
    kink = var == AT_KINK
    var[kink & (sf.w0 < sf.lower)] = AT_LOWER
    var[kink & (sf.w0 > sf.upper)] = AT_UPPER
    act.row[m["row_low"]] = ROW_LO
    act.row[m["row_high"]] = ROW_HI
    act.row[m["bad_lo"] | m["bad_hi"]] = ROW_OFF
    act.row[:, EQUALITY_ROW] = ROW_LO
    act.turnover[m["turn_viol"]] = True
    act.turnover[m["bad_turn"]] = False


def polish(sf: StandardForm, act: ActiveSet, max_iter: int = 12, full_steps: int = 3
           ) -> PolishOutcome:
    """Active-set iterations from ``act`` until the KKT check passes (or ``max_iter``).

    The first ``full_steps`` iterations switch every violated constraint at once (fast from
    a good guess); later ones switch only the largest violation per investor.
    """
    b, n = sf.size, sf.n
    w_out = np.zeros((b, n))
    ok = np.zeros(b, dtype=bool)
    prim_out = np.full(b, np.inf)
    dual_out = np.full(b, np.inf)
    iters = np.zeros(b, dtype=np.int64)
    todo = np.arange(b)
    final = ActiveSet(act.var.copy(), act.sign.copy(), act.row.copy(), act.turnover.copy())
    cur_sf, cur = sf, act
    for it in range(1, max_iter + 1):
        final.var[todo], final.sign[todo] = cur.var, cur.sign
        final.row[todo], final.turnover[todo] = cur.row, cur.turnover
        w, nu, lam = solve_active_set(cur_sf, cur)
        prim, dual, masks, amounts = kkt_check(cur_sf, cur, w, nu, lam)
        good = (prim <= KKT_TOLERANCE) & (dual <= KKT_TOLERANCE)
        w_out[todo] = w
        prim_out[todo] = prim
        dual_out[todo] = dual
        iters[todo] = it
        ok[todo[good]] = True
        if good.all():
            break
        bad = ~good
        todo = todo[bad]
        cur_sf = cur_sf.take(bad)
        cur = ActiveSet(cur.var[bad], cur.sign[bad], cur.row[bad], cur.turnover[bad])
        sub = {k: v[bad] for k, v in masks.items()}
        if it >= full_steps:
            sub = single_change(sub, {k: v[bad] for k, v in amounts.items()})
        update_active_set(cur_sf, cur, w[bad], sub)
    return PolishOutcome(w_out, ok, prim_out, dual_out, iters, final)
