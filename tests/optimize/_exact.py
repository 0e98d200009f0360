"""Independent exact solutions of small quadratic programs, for the precision tests.

Written from the textbook, sharing no code with :mod:`tailorfolio.optimize`:

* :func:`primal_active_set` — the primal active-set method (Nocedal & Wright, *Numerical
  Optimization*, 2nd ed., Algorithm 16.3) for ``min ½xᵀPx + qᵀx`` s.t. ``Ax = b``,
  ``lower ≤ x ≤ upper`` from a feasible start; every step is a direct linear solve, so the
  answer is exact to rounding and its zero weights are exactly the bounds.
* :func:`enumerate_faces` — brute force for tiny problems: solve the equality-constrained QP
  of every face (each variable free / at its lower / at its upper bound, each row inactive /
  at its lower / at its upper side) and keep the feasible solution with the lowest objective.
"""

from __future__ import annotations

import itertools

import numpy as np


def _eqp(p, g, a, free):
    """Step of the equality QP on the free variables: min ½sᵀPs + gᵀs, As = 0, s_fixed = 0."""
    nf = int(free.sum())
    af = a[:, free]
    m = af.shape[0]
    k = np.block([[p[np.ix_(free, free)], af.T], [af, np.zeros((m, m))]])
    rhs = np.concatenate([-g[free], np.zeros(m)])
    sol = np.linalg.lstsq(k, rhs, rcond=None)[0]
    s = np.zeros(len(g))
    s[free] = sol[:nf]
    return s, sol[nf:]


def primal_active_set(p, q, a, b, lower, upper, x0, max_iter=500, tol=1e-13):
    """Exact minimiser from the feasible point ``x0`` (bounds only as inequalities)."""
    x = np.asarray(x0, dtype=float).copy()
    n = len(x)
    assert np.allclose(a @ x, b) and np.all(x >= lower - 1e-15) and np.all(x <= upper + 1e-15)
    side = np.zeros(n, dtype=int)  # 0 free, -1 at lower, +1 at upper
    side[x <= lower] = -1
    side[x >= upper] = 1
    x = np.where(side == -1, lower, np.where(side == 1, upper, x))
    for _ in range(max_iter):
        g = p @ x + q
        free = side == 0
        s, lam = _eqp(p, g, a, free)
        if np.abs(s).max() <= tol * max(1.0, np.abs(x).max()):
            # _eqp's λ solves P s + Aᵀλ = −g; at s = 0 the working bounds' multipliers are
            # r = g + Aᵀλ (≥ 0 at a lower bound, ≤ 0 at an upper bound)
            r = g + a.T @ lam
            mult = np.where(side == -1, r, np.where(side == 1, -r, np.inf))
            j = int(np.argmin(mult))
            if mult[j] >= -tol * max(1.0, np.abs(g).max()):
                return x
            side[j] = 0
            continue
        step = 1.0
        block = -1
        for i in np.flatnonzero(free):
            if s[i] < 0 and np.isfinite(lower[i]):
                t = (lower[i] - x[i]) / s[i]
            elif s[i] > 0 and np.isfinite(upper[i]):
                t = (upper[i] - x[i]) / s[i]
            else:
                continue
            if t < step:
                step, block = t, i
        x = x + step * s
        if block >= 0:
            side[block] = -1 if s[block] < 0 else 1
            x[block] = lower[block] if s[block] < 0 else upper[block]
    raise RuntimeError("active-set method did not converge")


def enumerate_faces(p, q, a_eq, b_eq, lower, upper, g_rows, g_lo, g_hi, tol=1e-12):
    """Brute-force exact minimiser: the best feasible face solution; None if infeasible."""
    n = len(q)
    best, best_val = None, np.inf
    for var in itertools.product((0, 1, 2), repeat=n):
        var = np.array(var)
        if np.any((var == 2) & (upper == lower)):
            continue
        for rows in itertools.product((0, 1, 2), repeat=len(g_rows)):
            fixed = var != 0
            xf = np.where(var == 1, lower, np.where(var == 2, upper, 0.0))
            ra = [a_eq] + [g_rows[k:k + 1] for k, r in enumerate(rows) if r]
            rb = [b_eq] + [np.array([g_lo[k] if r == 1 else g_hi[k]])
                           for k, r in enumerate(rows) if r]
            a = np.vstack(ra)
            bb = np.concatenate(rb)
            free = ~fixed
            nf, m = int(free.sum()), a.shape[0]
            k = np.block([[p[np.ix_(free, free)], a[:, free].T],
                          [a[:, free], np.zeros((m, m))]])
            rhs = np.concatenate([-q[free] - p[free] @ xf, bb - a @ xf])
            sol, *_ = np.linalg.lstsq(k, rhs, rcond=None)
            if not np.allclose(k @ sol, rhs, atol=1e-10):
                continue
            x = xf.copy()
            x[free] = sol[:nf]
            gx = g_rows @ x
            if (np.abs(a_eq @ x - b_eq).max() > tol or np.any(x < lower - tol)
                    or np.any(x > upper + tol) or np.any(gx < g_lo - tol)
                    or np.any(gx > g_hi + tol)):
                continue
            val = 0.5 * x @ p @ x + q @ x
            if val < best_val:
                best, best_val = x, val
    return best


def enumerate_active_sets(p, q, a_eq, b_eq, g, h, tol=1e-11):
    """Brute force over every subset of the inequality rows ``Gx ≤ h`` taken as equalities:
    the feasible stationary point with the lowest objective (None if none is feasible).
    Exponential in the number of rows — for tiny problems only."""
    n, m = len(q), len(h)
    best, best_val = None, np.inf
    for mask in itertools.product((False, True), repeat=m):
        act = np.array(mask, dtype=bool)
        a = np.vstack([a_eq, g[act]])
        b = np.concatenate([b_eq, h[act]])
        if a.shape[0] > n:
            continue
        k = np.block([[p, a.T], [a, np.zeros((a.shape[0], a.shape[0]))]])
        rhs = np.concatenate([-q, b])
        sol, *_ = np.linalg.lstsq(k, rhs, rcond=None)
        if not np.allclose(k @ sol, rhs, atol=1e-10):
            continue
        x = sol[:n]
        slack = tol * (1.0 + np.abs(x).max())  # relative: y = w/κ can be large
        if np.abs(a_eq @ x - b_eq).max() > slack or np.any(g @ x > h + slack):
            continue
        val = 0.5 * x @ p @ x + q @ x
        if val < best_val:
            best, best_val = x, val
    return best


def max_sharpe_by_enumeration(cov, excess, lower, upper, members, g_lo, g_hi):
    """The tangency portfolio under bounds and one class row, from the homogenised problem
    min ½yᵀΣy s.t. excessᵀy = 1, 1ᵀy = κ, κl ≤ y ≤ κu, κg_lo ≤ mᵀy ≤ κg_hi, κ ≥ 0."""
    n = len(excess)
    excess = excess / np.abs(excess).max()  # w = y/κ is unchanged; y stays O(1)
    p = np.zeros((n + 1, n + 1))
    p[:n, :n] = cov / np.abs(cov).max()
    a_eq = np.vstack([np.r_[excess, 0.0], np.r_[np.ones(n), -1.0]])
    rows = []
    for i in range(n):
        r = np.zeros(n + 1)
        r[i], r[n] = -1.0, lower[i]  # κ l_i − y_i ≤ 0
        rows.append(r)
        r = np.zeros(n + 1)
        r[i], r[n] = 1.0, -upper[i]  # y_i − κ u_i ≤ 0
        rows.append(r)
    rows.append(np.r_[members, -g_hi])
    rows.append(np.r_[-members, g_lo])
    rows.append(np.r_[np.zeros(n), -1.0])  # κ ≥ 0
    x = enumerate_active_sets(p, np.zeros(n + 1), a_eq, np.array([1.0, 0.0]), np.vstack(rows),
                              np.zeros(len(rows)))
    return None if x is None or x[n] <= 0 else x[:n] / x[n]
