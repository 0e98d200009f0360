"""The active-set core for one problem without costs or turnover (B = 1): lean and fast.

The same primal-dual active-set method as :mod:`tailorfolio.kernel._activeset` (guess →
reduced KKT solve → check → switch every violated constraint; one change per step, the
largest violation, once the count of violations stops falling), written for a single
problem over index lists: no batch padding, no dictionaries of masks, one small dense
``numpy.linalg.solve`` per step. Only variables' bounds and the rows enter (``κ = 0``,
no turnover cap); the caller re-checks the answer with the batched path's own KKT check
(:func:`~tailorfolio.kernel._activeset.kkt_check`) and falls back to the batched path when
this one fails or stalls, so exactness is never traded for speed.

When the primal-dual steps stall (they can cycle on low-risk-aversion problems whose first
faces are far from the answer), :func:`dual_active_set_solve` finds the face instead: the
dual active-set method of Goldfarb & Idnani (Math. Programming 27, 1983), which starts at
the equality-constrained minimum, adds one violated constraint at a time and drops the
constraint whose multiplier would turn negative; the dual objective rises strictly at every
step, so it cannot cycle. It needs P positive definite (checked by a Cholesky factor).
"""

from __future__ import annotations

import numpy as np

from tailorfolio.kernel._activeset import (
    AT_LOWER,
    AT_UPPER,
    FREE,
    PINNED,
    ROW_HI,
    ROW_LO,
    ROW_OFF,
    ActiveSet,
)
from tailorfolio.kernel._standard import StandardForm


def eligible(sf: StandardForm) -> bool:
    """One problem, no cost kinks, no turnover cap: the lean loop applies."""
    return (sf.size == 1 and not sf.kappa.any() and not np.isfinite(sf.tau).any()
            and sf.risk_weight[0] > 0)


def single_active_set_solve(sf: StandardForm, act: ActiveSet, max_iter: int, tol: float,
                            full_steps: int = 5, stall: int = 1, stop_on_stall: bool = False
                            ) -> tuple[ActiveSet, int] | None:
    """Iterate from ``act`` until no constraint is violated (to ``tol``); return the final
    active set and the number of KKT solves, or None when ``max_iter`` is reached (or,
    with ``stop_on_stall``, when the count of violations stops falling for ``stall`` steps).

    The caller solves the returned face once more with the batched code and runs the full
    KKT check on it (the certificate); this loop only finds the face.
    """
    P, A = sf.P, sf.A
    q, lo, up = sf.q[0], sf.lower[0], sf.upper[0]
    rlo, rhi = sf.row_lo[0], sf.row_hi[0]
    n, r = sf.n, sf.n_rows
    pinned = up - lo <= PINNED
    with np.errstate(invalid="ignore"):
        eq = np.isfinite(rlo) & (np.abs(rhi - rlo) <= 1e-14 * (1.0 + np.abs(rlo)))
    var = act.var[0].copy()
    var[pinned] = AT_LOWER
    row = act.row[0].copy()
    row[eq] = ROW_LO
    best, since = np.iinfo(np.int64).max, 0
    for it in range(1, max_iter + 1):
        free = var == FREE
        fi = np.flatnonzero(free)
        w = np.where(var == AT_UPPER, up, np.where(var == AT_LOWER, lo, 0.0))
        on = np.flatnonzero(row != ROW_OFF)
        f, k = len(fi), len(on)
        rhs = np.empty(f + k)
        rhs[:f] = -(q[fi] + P[fi] @ w)
        Aon = A[on]
        bound = np.where(row[on] == ROW_HI, rhi[on], rlo[on])
        rhs[f:] = bound - Aon @ w
        M = np.zeros((f + k, f + k))
        M[:f, :f] = P[np.ix_(fi, fi)]
        AF = Aon[:, fi]
        M[f:, :f] = AF
        M[:f, f:] = AF.T
        try:
            x = np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:
            x = np.linalg.lstsq(M, rhs, rcond=None)[0]
        if not np.isfinite(x).all():
            return None
        w[fi] = x[:f]
        nu = np.zeros(r)
        nu[on] = x[f:]
        g = P @ w + q + A.T @ nu
        aw = A @ w
        # violations with their amounts (> tol)
        below = free & (w < lo - tol)
        above = free & (w > up + tol)
        wants_up = (var == AT_LOWER) & ~pinned & (g < -tol)
        wants_down = (var == AT_UPPER) & (g > tol)
        off = row == ROW_OFF
        with np.errstate(invalid="ignore"):
            row_low = off & (aw < rlo - tol)
            row_high = off & (aw > rhi + tol)
        bad_lo = (row == ROW_LO) & ~eq & (nu > tol)
        bad_hi = (row == ROW_HI) & ~eq & (nu < -tol)
        count = int(below.sum() + above.sum() + wants_up.sum() + wants_down.sum()
                    + row_low.sum() + row_high.sum() + bad_lo.sum() + bad_hi.sum())
        if count == 0:
            out = ActiveSet(var[None, :], np.zeros((1, n)), row[None, :],
                            np.zeros(1, dtype=bool))
            return out, it
        if count < best:
            best, since = count, 0
        else:
            since += 1
        if stop_on_stall and since >= stall:
            return None
        if it >= full_steps and since >= stall:  # one change: the largest violation
            with np.errstate(invalid="ignore"):
                amounts = [np.where(below, lo - w, -1.0), np.where(above, w - up, -1.0),
                           np.where(wants_up, -g, -1.0), np.where(wants_down, g, -1.0),
                           np.where(row_low, rlo - aw, -1.0), np.where(row_high, aw - rhi, -1.0),
                           np.where(bad_lo, nu, -1.0), np.where(bad_hi, -nu, -1.0)]
            tops = [float(a.max(initial=-1.0)) for a in amounts]
            kind = int(np.argmax(tops))
            j = int(np.argmax(amounts[kind]))
            masks_var = [below, above, wants_up, wants_down]
            masks_row = [row_low, row_high, bad_lo, bad_hi]
            sel_v = [np.zeros(n, dtype=bool) for _ in masks_var]
            sel_r = [np.zeros(r, dtype=bool) for _ in masks_row]
            if kind < 4:
                sel_v[kind][j] = True
            else:
                sel_r[kind - 4][j] = True
            below, above, wants_up, wants_down = sel_v
            row_low, row_high, bad_lo, bad_hi = sel_r
        var[wants_up | wants_down] = FREE
        var[below] = AT_LOWER
        var[above] = AT_UPPER
        row[row_low] = ROW_LO
        row[row_high] = ROW_HI
        row[bad_lo | bad_hi] = ROW_OFF
        row[eq] = ROW_LO
    return None


def dual_active_set_solve(sf: StandardForm, max_steps: int, tol: float = 1e-12
                          ) -> tuple[ActiveSet, int] | None:
    """Goldfarb–Idnani from the equality-constrained minimum; the final active set and the
    number of steps, or None (P not positive definite, infeasible, or ``max_steps``).

    Inequalities are written ``c_iᵀw ≥ d_i`` (lower bounds, −upper bounds, row lower sides,
    −row upper sides; infinite ones dropped); equality rows and pinned variables are always
    active. With H = P⁻¹ and N the active constraints' rows (equalities first), the step
    for adding constraint p is z = H c_p − (NH)ᵀy with y = S⁻¹ (NH) c_p, S = N H Nᵀ: z
    raises c_pᵀw inside the active set, y is how the active multipliers change. NH and
    S⁻¹ are updated by one row and column per step (bordered inverse on adding, its
    Schur-complement downdate on dropping), so a step costs a few k × n products.
    """
    P, A = sf.P, sf.A
    q, lo, up = sf.q[0], sf.lower[0], sf.upper[0]
    rlo, rhi = sf.row_lo[0], sf.row_hi[0]
    n, r = sf.n, sf.n_rows
    try:
        L = np.linalg.cholesky(P)
    except np.linalg.LinAlgError:
        return None
    if float(np.diag(L).min()) <= 1e-7 * float(np.diag(L).max()):
        return None  # nearly singular: H would be inaccurate
    H = np.linalg.inv(P)
    H = 0.5 * (H + H.T)
    pinned = up - lo <= PINNED
    with np.errstate(invalid="ignore"):
        eq = np.isfinite(rlo) & (np.abs(rhi - rlo) <= 1e-14 * (1.0 + np.abs(rlo)))
    eye = np.eye(n)
    E = np.vstack([A[eq], eye[pinned]])
    e = np.concatenate([rlo[eq], lo[pinned]])
    parts = [(eye, lo, 0, np.arange(n), np.isfinite(lo) & ~pinned),
             (-eye, -up, 1, np.arange(n), np.isfinite(up) & ~pinned),
             (A, rlo, 2, np.arange(r), np.isfinite(rlo) & ~eq),
             (-A, -rhi, 3, np.arange(r), np.isfinite(rhi) & ~eq)]
    C = np.vstack([c[m] for c, _, _, _, m in parts])
    d = np.concatenate([b[m] for _, b, _, _, m in parts])
    kind = np.concatenate([np.full(int(m.sum()), k) for _, _, k, _, m in parts])
    index = np.concatenate([i[m] for _, _, _, i, m in parts])
    CH = C @ H  # (m, n): row i is H c_i
    ne = len(e)
    kmax = ne + min(len(C), n) + 1
    NH_buf = np.zeros((kmax, n))  # rows 0..k−1: N H
    Si_buf = np.zeros((kmax, kmax))  # leading k × k: (N H Nᵀ)⁻¹, bordered updates
    NH_buf[:ne] = E @ H
    k = ne
    if ne:
        try:
            Si_buf[:ne, :ne] = np.linalg.inv(NH_buf[:ne] @ E.T)
        except np.linalg.LinAlgError:
            return None
    # equality-constrained minimum: w = −Hq − (EH)ᵀv, E w = e
    x = -H @ q
    if ne:
        x = x - NH_buf[:ne].T @ (Si_buf[:ne, :ne] @ (E @ x - e))
    active: list[int] = []
    u = np.zeros(0)  # multipliers (≥ 0) of the active inequalities
    steps = 1
    while steps < max_steps:
        s = C @ x - d
        if not len(s):
            break
        p = int(np.argmin(s))
        if s[p] >= -tol:
            break
        u_p = 0.0
        cp, hc = C[p], CH[p]
        chc = float(cp @ hc)
        while True:
            steps += 1
            if steps > max_steps:
                return None
            if k:
                NH = NH_buf[:k]
                col = NH @ cp
                y_all = Si_buf[:k, :k] @ col
                z = hc - NH.T @ y_all
                y = y_all[ne:]
            else:
                y_all, z, y = np.zeros(0), hc, np.zeros(0)
            cz = float(cp @ z)
            t2 = -float(cp @ x - d[p]) / cz if cz > 1e-13 * (1.0 + chc) else np.inf
            pos = np.flatnonzero(y > 1e-14)
            if len(pos):
                ratios = u[pos] / y[pos]
                jb = int(pos[np.argmin(ratios)])
                t1 = float(ratios.min())
            else:
                jb, t1 = -1, np.inf
            if not (np.isfinite(t1) or np.isfinite(t2)):
                return None  # the constraints are infeasible
            t = min(t1, t2)
            if np.isfinite(t2):
                x = x + t * z
            u = np.maximum(u - t * y, 0.0)
            u_p += t
            if t2 <= t1:  # add p
                if k >= kmax:
                    return None
                active.append(p)
                u = np.append(u, u_p)
                # bordered inverse: Schur complement cz = c_pᵀHc_p − colᵀS⁻¹col > 0
                Si_buf[:k, :k] += np.outer(y_all, y_all) / cz
                Si_buf[:k, k] = -y_all / cz
                Si_buf[k, :k] = -y_all / cz
                Si_buf[k, k] = 1.0 / cz
                NH_buf[k] = hc
                k += 1
                break
            # drop the blocking constraint jb (row ne + jb of N)
            del active[jb]
            u = np.delete(u, jb)
            i = ne + jb
            NH_buf[i:k - 1] = NH_buf[i + 1:k]
            g = Si_buf[i, i]
            ei = np.delete(Si_buf[:k, i], i)
            rest = np.delete(np.delete(Si_buf[:k, :k], i, axis=0), i, axis=1)
            Si_buf[:k - 1, :k - 1] = rest - np.outer(ei, ei) / g
            k -= 1
    else:
        return None
    var = np.full(n, FREE, dtype=np.int8)
    var[pinned] = AT_LOWER
    row = np.full(r, ROW_OFF, dtype=np.int8)
    row[eq] = ROW_LO
    for c in active:
        kd, ix = kind[c], index[c]
        if kd == 0:
            var[ix] = AT_LOWER
        elif kd == 1:
            var[ix] = AT_UPPER
        elif kd == 2:
            row[ix] = ROW_LO
        else:
            row[ix] = ROW_HI
    return ActiveSet(var[None, :], np.zeros((1, n)), row[None, :],
                     np.zeros(1, dtype=bool)), steps
