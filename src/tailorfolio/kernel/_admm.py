"""Batched ADMM (operator splitting) over a whole batch of problems with one factorization.

The splitting is OSQP's (Stellato et al., "OSQP: an operator splitting solver for quadratic
programs", Math. Prog. Comp. 2020): with ``z_box = w`` and ``z_row = A w``,

    x̃ = K⁻¹ (σx − q + ρ z_box − y_box + Aᵀ(ρ D z_row − y_row)),   K = P + σI + ρ(I + AᵀDA)
    z  = prox(α x̃ + (1 − α) z + y/ρ)
    y += ρ (α x̃ + (1 − α) z_old − z)

where ``D`` gives the budget (an equality) a 10³ larger step. Because P and A are shared,
``K⁻¹`` is computed once per step size ρ for the whole batch and every iteration is a dense
(B × n)·(n × n) product. Step sizes adapt per investor on a fixed ladder of ρ values (so the
factorizations are still shared: at most :data:`RHO_LADDER` of them). The box block's prox
includes the linear cost κ|w − w0| (a soft threshold around w0) and the turnover cap
‖w − w0‖₁ ≤ τ (a bisection on its multiplier), so costs need no extra variables.

The result is only moderately accurate; it is a warm start for big batches: its point
becomes an active-set guess (:func:`tailorfolio.kernel.guess_active_set`) that the exact
core (:mod:`tailorfolio.kernel._activeset`) finishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.kernel._standard import EQUALITY_ROW, StandardForm
from tailorfolio.typing import FloatArray

SIGMA = 1e-6
ALPHA = 1.6
EQUALITY_RHO_FACTOR = 1e3
RHO_LADDER = np.array([1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0])
"""Admissible step sizes; each investor uses one, so at most this many factorizations."""
RHO_START = 4  # index of 0.1
ADMM_BLOCK_ROWS = 4096
"""Rows iterated together (see :meth:`BatchedAdmm.iterate`)."""
NEWTON_STEPS = 2
"""Newton steps on the turnover prox's multiplier from its previous value (then checked)."""
NEWTON_MATCH = 1e-13
"""|T(λ) − τ| / (1 + τ) below which a Newton multiplier is taken as exact."""


@dataclass
class AdmmState:
    """Iterates for the batch (rows follow the standard form)."""

    x: FloatArray
    z_box: FloatArray
    z_row: FloatArray
    y_box: FloatArray
    y_row: FloatArray
    level: np.ndarray  # ρ ladder index per investor
    turnover_multiplier: np.ndarray | None = None
    """(B,) ρ × the turnover prox's last λ (NaN: none yet), the next call's warm start."""

    def take(self, idx) -> AdmmState:
        lam = None if self.turnover_multiplier is None else self.turnover_multiplier[idx]
        return AdmmState(self.x[idx], self.z_box[idx], self.z_row[idx], self.y_box[idx],
                         self.y_row[idx], self.level[idx], lam)


class BatchedAdmm:
    """ADMM iterations for every investor of a :class:`StandardForm` at once.

    Parameters
    ----------
    P, A : ndarray
        The shared matrices of the standard form (factorizations are cached per ρ).
    """

    def __init__(self, P: FloatArray, A: FloatArray):
        self.P = P
        self.A = A
        n, r = P.shape[0], A.shape[0]
        d = np.ones(r)
        d[EQUALITY_ROW] = EQUALITY_RHO_FACTOR
        self.row_factor = d
        self._AtDA = A.T @ (d[:, None] * A)
        self._eye = np.eye(n)
        self._inverse: dict[int, FloatArray] = {}

    def inverse(self, level: int) -> FloatArray:
        """K⁻¹ for ladder index ``level`` (computed once, by Cholesky)."""
        if level not in self._inverse:
            rho = RHO_LADDER[level]
            k = self.P + SIGMA * self._eye + rho * (self._eye + self._AtDA)
            c = np.linalg.cholesky(k)
            ci = np.linalg.solve(c, self._eye)
            self._inverse[level] = ci.T @ ci
        return self._inverse[level]

    def start(self, sf: StandardForm, x0: FloatArray | None = None,
              rho: float | None = None) -> AdmmState:
        """A cold (or warm, from ``x0``) start: feasible-looking box point, zero duals;
        every investor's step size the rung of :data:`RHO_LADDER` nearest ``rho`` (default
        the rung :data:`RHO_START`)."""
        b, n = sf.size, sf.n
        if x0 is None:
            width = np.maximum(sf.upper - sf.lower, 0.0)
            room = 1.0 - sf.lower.sum(axis=1, keepdims=True)
            tot = width.sum(axis=1, keepdims=True)
            x0 = sf.lower + width * np.divide(room, tot, out=np.zeros_like(room), where=tot > 0)
        z_row = np.clip(x0 @ self.A.T, sf.row_lo, sf.row_hi)
        return AdmmState(x0.copy(), np.clip(x0, sf.lower, sf.upper), z_row,
                         np.zeros((b, n)), np.zeros((b, self.A.shape[0])),
                         np.full(b, RHO_START if rho is None else int(np.abs(
                             np.log(RHO_LADDER) - np.log(rho)).argmin()), dtype=np.int64))

    def iterate(self, sf: StandardForm, st: AdmmState, n_iter: int) -> None:
        """Run ``n_iter`` iterations in place, then adapt each investor's ρ.

        Within a call every investor keeps its ρ, so what depends only on ρ and the data
        (κ/ρ, the capped investors' data) is computed once, and the batch is put in order
        of ρ level (turnover-capped investors last) so that each level's K⁻¹ multiplies
        contiguous rows.
        """
        A, d = self.A, self.row_factor
        b = sf.size
        # by ρ level, the turnover-capped investors last: blocks of uncapped rows skip the
        # capped prox, and the capped rows pay its per-call cost in as few blocks as can be
        capped_in = np.isfinite(sf.tau)
        order = np.lexsort((st.level, capped_in))
        permuted = bool((order != np.arange(b)).any())
        if permuted:
            level = st.level[order]
            q, w0, lo, up = sf.q[order], sf.w0[order], sf.lower[order], sf.upper[order]
            kappa, row_lo, row_hi, tau = (sf.kappa[order], sf.row_lo[order], sf.row_hi[order],
                                          sf.tau[order])
            x, z_box, z_row = st.x[order], st.z_box[order], st.z_row[order]
            y_box, y_row = st.y_box[order], st.y_row[order]
        else:
            level = st.level
            q, w0, lo, up = sf.q, sf.w0, sf.lower, sf.upper
            kappa, row_lo, row_hi, tau = sf.kappa, sf.row_lo, sf.row_hi, sf.tau
            x, z_box, z_row = st.x, st.z_box, st.z_row  # read only (blocks copy)
            y_box, y_row = st.y_box, st.y_row
        # full-shape step sizes: same-shape products are faster than (B, 1) broadcasts
        rho = np.repeat(RHO_LADDER[level][:, None], sf.n, axis=1)
        inv_rho = 1.0 / rho
        rho_row = RHO_LADDER[level][:, None] * d[None, :]
        inv_rho_row = 1.0 / rho_row
        thr = kappa * inv_rho
        capped_all = np.isfinite(tau)
        if st.turnover_multiplier is None:
            st.turnover_multiplier = np.full(b, np.nan)
        lam0 = st.turnover_multiplier[order] if permuted else st.turnover_multiplier
        lam_out = lam0.copy()
        out = [np.empty_like(a) for a in (x, z_box, z_row, y_box, y_row)]
        # investors are independent: each block of rows runs all n_iter iterations while
        # its arrays stay in cache (the iterations are memory-bound passes over (B, n)
        # arrays; measured on a 16,667-investor chunk of the hard book: ~20 % less CPU than
        # one block; the iterates agree to the rounding of the matrix products)
        first_capped = int(b - capped_in.sum())
        starts = [*range(0, first_capped, ADMM_BLOCK_ROWS),
                  *range(first_capped, b, ADMM_BLOCK_ROWS)]
        for a0 in starts:
            sl = slice(a0, min(first_capped if a0 < first_capped else b,
                               a0 + ADMM_BLOCK_ROWS))
            lv = level[sl]
            cuts = np.flatnonzero(np.diff(lv)) + 1
            starts, ends = np.r_[0, cuts], np.r_[cuts, len(lv)]
            inverses = [(self.inverse(int(lv[a])), slice(int(a), int(e)))
                        for a, e in zip(starts, ends)]
            capped = np.flatnonzero(capped_all[sl])
            cap = (_CappedProx(w0[sl], thr[sl], lo[sl], up[sl], tau[sl], capped,
                               lam0[sl][capped] * inv_rho[sl][capped, 0])
                   if len(capped) else None)
            res = _iterate_block(A, inverses, cap, n_iter, q[sl], w0[sl], thr[sl], lo[sl],
                                 up[sl], row_lo[sl], row_hi[sl], rho[sl], inv_rho[sl],
                                 rho_row[sl], inv_rho_row[sl], x[sl], z_box[sl], z_row[sl],
                                 y_box[sl], y_row[sl])
            for o, r in zip(out, res):
                o[sl] = r
            if cap is not None:
                lam_out[a0 + capped] = cap.lam * rho[sl][capped, 0]
        x, z_box, z_row, y_box, y_row = out
        if permuted:
            for name, val in (("x", x), ("z_box", z_box), ("z_row", z_row), ("y_box", y_box),
                              ("y_row", y_row)):
                out = np.empty_like(val)
                out[order] = val
                setattr(st, name, out)
        else:
            st.x, st.z_box, st.z_row, st.y_box, st.y_row = x, z_box, z_row, y_box, y_row
        st.turnover_multiplier[order] = np.where(capped_all, lam_out, np.nan)
        self._adapt(sf, st)

    def residuals(self, sf: StandardForm, st: AdmmState) -> tuple[FloatArray, FloatArray]:
        """Primal ‖Mx − z‖∞ and dual ‖Px + q + Mᵀy‖∞ per investor."""
        ax = st.x @ self.A.T
        prim = np.maximum(np.abs(st.x - st.z_box).max(axis=1),
                          np.abs(ax - st.z_row).max(axis=1, initial=0.0))
        dual = np.abs(st.x @ self.P + sf.q + st.y_box + st.y_row @ self.A).max(axis=1)
        return prim, dual

    def _adapt(self, sf: StandardForm, st: AdmmState) -> None:
        ax = st.x @ self.A.T
        px = st.x @ self.P
        aty = st.y_row @ self.A
        prim = np.maximum(np.abs(st.x - st.z_box).max(axis=1),
                          np.abs(ax - st.z_row).max(axis=1, initial=0.0))
        dual = np.abs(px + sf.q + st.y_box + aty).max(axis=1)
        p_norm = np.maximum(np.abs(st.x).max(axis=1), np.abs(st.z_box).max(axis=1)) + 1e-12
        d_norm = np.maximum.reduce([np.abs(px).max(axis=1), np.abs(sf.q).max(axis=1),
                                    np.abs(st.y_box + aty).max(axis=1)]) + 1e-12
        ratio = np.sqrt((prim / p_norm + 1e-14) / (dual / d_norm + 1e-14))
        target = RHO_LADDER[st.level] * ratio
        new = np.abs(np.log(RHO_LADDER)[None, :] - np.log(target)[:, None]).argmin(axis=1)
        # move at most one rung at a time unless the ratio is far off (avoid oscillation)
        change = (ratio > 5) | (ratio < 0.2)
        st.level = np.where(change, new, st.level)


def _iterate_block(A: FloatArray, inverses: list[tuple[FloatArray, slice]],
                   cap: _CappedProx | None, n_iter: int, q, w0, thr, lo, up, row_lo, row_hi,
                   rho, inv_rho, rho_row, inv_rho_row, x, z_box, z_row, y_box, y_row
                   ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """``n_iter`` ADMM iterations on one block of rows (:meth:`BatchedAdmm.iterate`); the
    inputs are not modified, the new (x, z_box, z_row, y_box, y_row) are returned."""
    x, y_box, y_row = x.copy(), y_box.copy(), y_row.copy()
    xt = np.empty_like(x)
    for _ in range(n_iter):
        rhs = (rho_row * z_row - y_row) @ A
        rhs += SIGMA * x
        rhs -= q
        rhs += np.multiply(rho, z_box, out=xt)
        rhs -= y_box
        for inv, sl in inverses:
            np.matmul(rhs[sl], inv, out=xt[sl])
        zt_row = xt @ A.T
        axt = ALPHA * xt
        x *= 1 - ALPHA
        x += axt
        vb = axt
        vb += (1 - ALPHA) * z_box
        v = y_box * inv_rho
        v += vb
        z_box = _soft_box_fast(v, w0, thr, lo, up)
        if cap is not None:
            cap.apply(v, z_box)
        vb -= z_box
        vb *= rho
        y_box += vb
        vr = ALPHA * zt_row
        vr += (1 - ALPHA) * z_row
        z_row = np.minimum(np.maximum(vr + y_row * inv_rho_row, row_lo), row_hi)
        vr -= z_row
        vr *= rho_row
        y_row += vr
    return x, z_box, z_row, y_box, y_row


def prox_box(v: FloatArray, sf: StandardForm, rho: FloatArray) -> FloatArray:
    """argmin_z κ|z − w0| + (ρ/2)(z − v)² over l ≤ z ≤ u and ‖z − w0‖₁ ≤ τ (per investor)."""
    z = _soft_box(v, sf.w0, sf.kappa / rho, sf.lower, sf.upper)
    if not np.isfinite(sf.tau).any():
        return z
    over = np.abs(z - sf.w0).sum(axis=1) > sf.tau
    if over.any():
        idx = np.flatnonzero(over)
        z[idx] = _turnover_prox(v[idx], sf.w0[idx], sf.kappa[idx] / rho[idx], sf.lower[idx],
                                sf.upper[idx], sf.tau[idx])
    return z


def _turnover_prox(v: FloatArray, w0: FloatArray, t: FloatArray, lo: FloatArray,
                   up: FloatArray, tau: FloatArray) -> FloatArray:
    """Box-and-cost prox with the extra threshold λ ≥ 0 that makes ‖z − w0‖₁ = τ.

    Moving asset j from w0_j by a soft-thresholded step s = max(a_j − λ, 0) (a_j = |v_j −
    w0_j| − t_j) and clipping gives |z_j − w0_j| = f_j + clip(s − g_j, 0, c_j), with f_j the
    distance from w0_j to [l_j, u_j], g_j the part of the step spent reaching the box and c_j
    the room inside it. So T(λ) = F + Σ_j [max(x_j − λ, 0) − max(x_j − c_j − λ, 0)] with
    x_j = a_j − g_j: piecewise linear and non-increasing, its value at all 2n breakpoints
    follows from one sort and two cumulative sums, and λ* solves T(λ*) = τ exactly.
    """
    x, c, big_f = _turnover_pieces(v, w0, t, lo, up)
    lam = _turnover_lambda(x, c, big_f, tau)
    return _soft_box(v, w0, t + lam[:, None], lo, up)


def _turnover_pieces(v: FloatArray, w0: FloatArray, t: FloatArray, lo: FloatArray,
                     up: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(x, c, F) of :func:`_turnover_prox`: T(λ) = F + Σ_j clip(x_j − λ, 0, c_j)."""
    up_dir = v >= w0
    a = np.abs(v - w0) - t
    f = np.maximum(lo - w0, 0.0) + np.maximum(w0 - up, 0.0)
    g = np.where(up_dir, np.maximum(lo - w0, 0.0), np.maximum(w0 - up, 0.0))
    c = np.where(up_dir, np.maximum(up - np.maximum(w0, lo), 0.0),
                 np.maximum(np.minimum(w0, up) - lo, 0.0))
    return a - g, c, f.sum(axis=1)


def _turnover_lambda(x: FloatArray, c: FloatArray, big_f: FloatArray, tau: FloatArray
                     ) -> FloatArray:
    """λ* ≥ 0 with T(λ*) = τ, exactly, from the sorted breakpoints."""
    b, n = x.shape
    y = np.concatenate([x, x - c], axis=1)
    sg = np.concatenate([np.ones((b, n)), -np.ones((b, n))], axis=1)
    order = np.argsort(-y, axis=1)
    ys = np.take_along_axis(y, order, axis=1)
    ss = np.take_along_axis(sg, order, axis=1)
    cum_c = np.cumsum(ss * ys, axis=1)
    cum_n = np.cumsum(ss, axis=1)
    tt = big_f[:, None] + cum_c - ys * cum_n  # T at each breakpoint, non-decreasing in k
    k = (tt <= tau[:, None]).sum(axis=1)  # breakpoints (from the largest λ) with T <= τ
    rows = np.arange(b)
    kk = np.maximum(k - 1, 0)
    nn = cum_n[rows, kk]
    lam = np.where(nn > 0, (big_f + cum_c[rows, kk] - tau) / np.where(nn > 0, nn, 1.0),
                   ys[rows, kk])
    lam = np.where(k == 0, ys[:, 0], lam)
    return np.maximum(lam, 0.0)


def _turnover_value(x: FloatArray, c: FloatArray, big_f: FloatArray, lam: FloatArray
                    ) -> tuple[FloatArray, np.ndarray]:
    """T(λ) and the number of pieces sloping there (T's slope is minus that)."""
    r = x - lam[:, None]
    return big_f + np.minimum(np.maximum(r, 0.0), c).sum(axis=1), ((r > 0) & (r < c)).sum(1)


def _soft_box(v: FloatArray, w0: FloatArray, t: FloatArray, lo: FloatArray, up: FloatArray
              ) -> FloatArray:
    dv = v - w0
    return np.clip(w0 + np.sign(dv) * np.maximum(np.abs(dv) - t, 0.0), lo, up)


def _soft_box_fast(v: FloatArray, w0: FloatArray, t: FloatArray, lo: FloatArray,
                   up: FloatArray) -> FloatArray:
    """:func:`_soft_box` in four passes: v minus its clip to [w0 − t, w0 + t] is the soft
    threshold around w0, then the box."""
    z = np.subtract(v, w0)
    np.minimum(z, t, out=z)
    np.maximum(z, -t, out=z)
    np.subtract(v, z, out=z)
    np.maximum(z, lo, out=z)
    np.minimum(z, up, out=z)
    return z


class _CappedProx:
    """The turnover-capped investors' part of :func:`prox_box`, their data gathered once."""

    def __init__(self, w0: FloatArray, t: FloatArray, lo: FloatArray, up: FloatArray,
                 tau: FloatArray, idx: np.ndarray, lam: FloatArray):
        self.idx = idx
        self.w0, self.t, self.lo, self.up, self.tau = w0[idx], t[idx], lo[idx], up[idx], \
            tau[idx]
        self.lam = lam.copy()

    def apply(self, v: FloatArray, z: FloatArray) -> None:
        """Replace, in ``z``, the capped investors' rows that break their cap.

        λ* moves little from one iteration to the next, so Newton steps on T from the last
        λ* usually land on it (T is linear between breakpoints); a row whose T(λ) misses τ
        after them takes the exact sort of :func:`_turnover_lambda`.
        """
        i = self.idx
        over = np.abs(z[i] - self.w0).sum(axis=1) > self.tau
        if not over.any():
            return
        k = np.flatnonzero(over)
        vk, w0, t, tau = v[i[k]], self.w0[k], self.t[k], self.tau[k]
        lo, up = self.lo[k], self.up[k]
        x, c, big_f = _turnover_pieces(vk, w0, t, lo, up)
        lam = self.lam[k]
        fresh = ~np.isfinite(lam)
        lam = np.where(fresh, 0.0, lam)
        for _ in range(NEWTON_STEPS):
            val, slope = _turnover_value(x, c, big_f, lam)
            lam = np.where(slope > 0, np.maximum(lam + (val - tau) / np.maximum(slope, 1),
                                                 0.0), lam)
        val, _ = _turnover_value(x, c, big_f, lam)
        miss = fresh | ~(np.abs(val - tau) <= NEWTON_MATCH * (1.0 + tau))
        if miss.any():
            lam[miss] = _turnover_lambda(x[miss], c[miss], big_f[miss], tau[miss])
        self.lam[k] = lam
        z[i[k]] = _soft_box(vk, w0, t + lam[:, None], lo, up)
