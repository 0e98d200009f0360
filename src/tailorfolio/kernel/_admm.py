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


@dataclass
class AdmmState:
    """Iterates for the batch (rows follow the standard form)."""

    x: FloatArray
    z_box: FloatArray
    z_row: FloatArray
    y_box: FloatArray
    y_row: FloatArray
    level: np.ndarray  # ρ ladder index per investor

    def take(self, idx) -> AdmmState:
        return AdmmState(self.x[idx], self.z_box[idx], self.z_row[idx], self.y_box[idx],
                         self.y_row[idx], self.level[idx])


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

    def start(self, sf: StandardForm, x0: FloatArray | None = None) -> AdmmState:
        """A cold (or warm, from ``x0``) start: feasible-looking box point, zero duals."""
        b, n = sf.size, sf.n
        if x0 is None:
            width = np.maximum(sf.upper - sf.lower, 0.0)
            room = 1.0 - sf.lower.sum(axis=1, keepdims=True)
            tot = width.sum(axis=1, keepdims=True)
            x0 = sf.lower + width * np.divide(room, tot, out=np.zeros_like(room), where=tot > 0)
        z_row = np.clip(x0 @ self.A.T, sf.row_lo, sf.row_hi)
        return AdmmState(x0.copy(), np.clip(x0, sf.lower, sf.upper), z_row,
                         np.zeros((b, n)), np.zeros((b, self.A.shape[0])),
                         np.full(b, RHO_START, dtype=np.int64))

    def iterate(self, sf: StandardForm, st: AdmmState, n_iter: int) -> None:
        """Run ``n_iter`` iterations in place, then adapt each investor's ρ."""
        A, d = self.A, self.row_factor
        levels = np.unique(st.level)
        rho = RHO_LADDER[st.level][:, None]
        rho_row = rho * d[None, :]
        for _ in range(n_iter):
            rhs = (SIGMA * st.x - sf.q + rho * st.z_box - st.y_box
                   + (rho_row * st.z_row - st.y_row) @ A)
            if len(levels) == 1:
                xt = rhs @ self.inverse(int(levels[0]))
            else:
                xt = np.empty_like(rhs)
                for lev in levels:
                    m = st.level == lev
                    xt[m] = rhs[m] @ self.inverse(int(lev))
            zt_row = xt @ A.T
            st.x = ALPHA * xt + (1 - ALPHA) * st.x
            vb = ALPHA * xt + (1 - ALPHA) * st.z_box
            z_box = prox_box(vb + st.y_box / rho, sf, rho)
            st.y_box += rho * (vb - z_box)
            st.z_box = z_box
            vr = ALPHA * zt_row + (1 - ALPHA) * st.z_row
            z_row = np.clip(vr + st.y_row / rho_row, sf.row_lo, sf.row_hi)
            st.y_row += rho_row * (vr - z_row)
            st.z_row = z_row
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
    b, n = v.shape
    up_dir = v >= w0
    a = np.abs(v - w0) - t
    f = np.maximum(lo - w0, 0.0) + np.maximum(w0 - up, 0.0)
    g = np.where(up_dir, np.maximum(lo - w0, 0.0), np.maximum(w0 - up, 0.0))
    c = np.where(up_dir, np.maximum(up - np.maximum(w0, lo), 0.0),
                 np.maximum(np.minimum(w0, up) - lo, 0.0))
    x = a - g
    y = np.concatenate([x, x - c], axis=1)
    sg = np.concatenate([np.ones((b, n)), -np.ones((b, n))], axis=1)
    order = np.argsort(-y, axis=1)
    ys = np.take_along_axis(y, order, axis=1)
    ss = np.take_along_axis(sg, order, axis=1)
    cum_c = np.cumsum(ss * ys, axis=1)
    cum_n = np.cumsum(ss, axis=1)
    big_f = f.sum(axis=1)
    tt = big_f[:, None] + cum_c - ys * cum_n  # T at each breakpoint, non-decreasing in k
    k = (tt <= tau[:, None]).sum(axis=1)  # breakpoints (from the largest λ) with T <= τ
    rows = np.arange(b)
    kk = np.maximum(k - 1, 0)
    nn = cum_n[rows, kk]
    lam = np.where(nn > 0, (big_f + cum_c[rows, kk] - tau) / np.where(nn > 0, nn, 1.0),
                   ys[rows, kk])
    lam = np.where(k == 0, ys[:, 0], lam)
    lam = np.maximum(lam, 0.0)
    return _soft_box(v, w0, t + lam[:, None], lo, up)


def _soft_box(v: FloatArray, w0: FloatArray, t: FloatArray, lo: FloatArray, up: FloatArray
              ) -> FloatArray:
    dv = v - w0
    return np.clip(w0 + np.sign(dv) * np.maximum(np.abs(dv) - t, 0.0), lo, up)
