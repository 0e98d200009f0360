"""Euclidean projection onto {l ≤ w ≤ u, Σw = b}, batched and exact (one sort per problem).

f(θ) = Σ_j clip(v_j − θ, l_j, u_j) is piecewise linear and non-increasing in θ with
breakpoints v − u (asset j starts moving) and v − l (it stops); its values at the sorted
breakpoints follow from two cumulative sums, and θ* with f(θ*) = b by interpolation on the
bracketing segment. The kernel's cold start projects the unconstrained solution with it.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.typing import FloatArray


def project_box_budget(v: FloatArray, lo: FloatArray, up: FloatArray, total: FloatArray
                       ) -> FloatArray:
    """argmin ‖w − v‖ s.t. lo ≤ w ≤ up, Σw = total, per row of ``v`` (B, n); finite bounds.

    Rows whose bounds cannot meet ``total`` get the nearest end (all lower or all upper).
    """
    b, n = v.shape
    bp = np.concatenate([v - up, v - lo], axis=1)  # (B, 2n)
    ds = np.concatenate([-np.ones((b, n)), np.ones((b, n))], axis=1)
    order = np.argsort(bp, axis=1, kind="stable")
    th = np.take_along_axis(bp, order, axis=1)
    slope = np.cumsum(np.take_along_axis(ds, order, axis=1), axis=1)  # slope after each
    gaps = np.diff(th, axis=1)
    f = up.sum(axis=1, keepdims=True) + np.concatenate(
        [np.zeros((b, 1)), np.cumsum(slope[:, :-1] * gaps, axis=1)], axis=1)  # f at th
    tot = np.asarray(total, float).reshape(b, 1)
    k = np.clip((f >= tot).sum(axis=1) - 1, 0, 2 * n - 1)  # last breakpoint with f ≥ b
    rows = np.arange(b)
    fk, tk, sk = f[rows, k], th[rows, k], slope[rows, k]
    theta = np.where(sk < 0, tk + (fk - tot[:, 0]) / np.where(sk < 0, -sk, 1.0), tk)
    return np.clip(v - theta[:, None], lo, up)


def project_box_budget_one(v: FloatArray, lo: FloatArray, up: FloatArray, total: float
                           ) -> FloatArray:
    """:func:`project_box_budget` for one vector ``v`` (n,): f evaluated at every sorted
    breakpoint at once (2n × n, small for one problem), then the same interpolation."""
    bp = np.concatenate([v - up, v - lo])
    bp.sort()
    # (clip as maximum then minimum: the same values, without np.clip's Python layers)
    f = np.minimum(np.maximum(v[None, :] - bp[:, None], lo), up).sum(axis=1)  # non-increasing
    k = min(max(int((f >= total).sum()) - 1, 0), len(bp) - 1)
    theta = bp[k]
    if k + 1 < len(bp) and f[k] > f[k + 1] and f[k] > total:
        theta += (f[k] - total) / (f[k] - f[k + 1]) * (bp[k + 1] - bp[k])
    return np.minimum(np.maximum(v - theta, lo), up)
