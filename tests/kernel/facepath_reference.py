"""Reference definitions of a face's line and conditions, for the kernel's tests.

The face walk (:mod:`tailorfolio.kernel._facepath`) runs on ``_Walk``'s one-vector form:
the face's answer held as flat vectors updated in place, every optimality condition in one
vector V with its limits. These are the same quantities written out one by one — the
face's affine answer in t from one KKT solve (:func:`face_affine`), its conditions stacked
as ``c_a + t·c_b ≥ 0`` (:func:`face_conditions`), the ratio test (:func:`next_breakpoint`)
and a corner's interval of optimality (:func:`corner_interval`) — which the tests check
the walk against (``test_face_codes.py``, ``test_facepath.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from tailorfolio.kernel._activeset import AT_LOWER, AT_UPPER, FREE, ROW_HI, ROW_LO, ROW_OFF
from tailorfolio.kernel._facepath import FaceLine
from tailorfolio.kernel._single import _Problem, face_unknowns
from tailorfolio.typing import FloatArray

_gesv = lapack.dgesv


def face_affine(pb: _Problem, var: np.ndarray, row: np.ndarray, q: FloatArray,
                state: tuple[FloatArray, FloatArray] | None = None) -> FaceLine | None:
    """The face ``(var, row)``'s answer as an affine function of t (module docstring), from
    one dense KKT solve over the free variables and active rows with two right-hand sides
    (LAPACK gesv directly: the small system's cost is the call's overhead); None when the
    face's system is singular or the answer not finite. ``state``: the face's fixed values
    (n,; 0 on free variables) and its active rows' sides (R,), kept by a walk
    (:func:`face_state`) instead of derived here. The walks themselves run on
    :class:`_Walk`; this and :func:`face_conditions` / :func:`next_breakpoint` are the
    definitions its one-vector form is tested against (``tests/kernel/test_face_codes.py``)."""
    n = pb.n
    K = pb.kkt_matrix()
    idx, f = face_unknowns(pb, var, row)
    if state is None:
        state = face_state(pb, var, row)
    X = np.zeros((n + pb.r, 2))  # [W; N] stacked: one product gives G below
    w = X[:n, 0]
    w[:] = state[0]
    K_face = K[idx]
    M = K_face[:, idx]  # symmetric: gesv may read it transposed
    rhs = np.zeros((2, len(idx)))  # transposed: rhs.T is the Fortran-ordered (f + k, 2)
    np.negative(K_face[:, :n] @ w, out=rhs[0])  # −(P_F w; A_on w)
    rhs[0, f:] += state[1][idx[f:] - n]  # + the active rows' sides
    np.negative(q[idx[:f]], out=rhs[1, :f])
    if len(idx):
        _, _, x, info = _gesv(M, rhs.T, overwrite_a=1, overwrite_b=1)
    else:  # every variable fixed, no active row: nothing to solve
        x, info = rhs.T, 0
    if info != 0 or np.count_nonzero(np.isfinite(x)) != x.size:
        return None
    X[idx] = x
    KX = K @ X  # (P W + Aᵀ N; A W): the reduced gradient and the rows' values
    G = KX[:n]
    G[:, 1] += q
    return FaceLine(X[:n], X[n:], G, KX[n:])


def face_state(pb: _Problem, var: np.ndarray, row: np.ndarray
               ) -> tuple[FloatArray, FloatArray]:
    """The face's fixed values (each fixed variable's bound, 0 where free) and each row's
    active side (its lower side where off: only read on active rows), for
    :func:`face_affine`."""
    w = np.where(var == AT_UPPER, pb.up, pb.lo)
    w[var == FREE] = 0.0
    return w, np.where(row == ROW_HI, pb.rhi, pb.rlo)


# The conditions of face_conditions that apply, and the signs, looked up by one code per
# variable (its state FREE/AT_LOWER/AT_UPPER/AT_KINK + 4 when pinned) and per row (its
# state ROW_OFF/ROW_LO/ROW_HI + 3 when an equality): one numpy call each instead of a
# dozen masks per face.
_VARIABLE_APPLIES = np.zeros((3, 8), dtype=bool)
_VARIABLE_APPLIES[0:2, [FREE, 4 + FREE]] = True  # a free variable inside its bounds
_VARIABLE_APPLIES[2, [AT_LOWER, AT_UPPER, 4 + AT_UPPER]] = True  # a fixed one's gradient
_GRADIENT_SIGN = np.full(8, -1.0)
_GRADIENT_SIGN[AT_LOWER] = 1.0  # at its lower bound (not pinned): g ≥ 0; else −g ≥ 0
_ROW_APPLIES = np.zeros((3, 6), dtype=bool)
_ROW_APPLIES[0:2, [ROW_OFF, 3 + ROW_OFF]] = True  # an inactive row inside its range
_ROW_APPLIES[2, [ROW_LO, ROW_HI]] = True  # an active inequality row's multiplier
_MULTIPLIER_SIGN = np.ones(6)
_MULTIPLIER_SIGN[ROW_LO] = -1.0  # an inequality row at its lower side: −ν ≥ 0


def _pair(v: FloatArray) -> FloatArray:
    out = np.zeros((len(v), 2))
    out[:, 0] = v
    return out


def condition_pairs(pb: _Problem) -> tuple[np.ndarray, ...]:
    """``(lo, up, rlo, rhi)`` as (·, 2) columns ``[side, 0]``, so the conditions on
    (t = 0 part, slope) pairs take one numpy call each, and which of the stacked conditions
    (3n + 3R) have a finite side (an infinite one is never reached)."""
    finite = np.concatenate([np.isfinite(pb.lo), np.isfinite(pb.up), np.ones(pb.n, dtype=bool),
                             np.isfinite(pb.rlo), np.isfinite(pb.rhi),
                             np.ones(pb.r, dtype=bool)])
    return _pair(pb.lo), _pair(pb.up), _pair(pb.rlo), _pair(pb.rhi), finite


def face_conditions(pb: _Problem, var: np.ndarray, row: np.ndarray, line: FaceLine
                    ) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Every optimality condition of the face as ``c_a + t·c_b ≥ 0``, stacked (3n + 3R):
    free variables above their lower and below their upper bounds (n + n), fixed variables'
    reduced gradients of the right sign (n), inactive rows above their lower and below
    their upper sides (R + R), active inequality rows' multipliers of the right sign (R);
    ``(c_a, c_b, applies)``, ``applies`` False where a condition is not one of the face's
    (or its side is infinite)."""
    n, r = pb.n, pb.r
    lo2, up2, rlo2, rhi2, finite = condition_pairs(pb)
    var_shift, row_shift = pb.code_shifts()
    vc = var + var_shift  # each variable's state and pinnedness as one code (< 8)
    C = np.empty((3 * n + 3 * r, 2))
    np.subtract(line.W, lo2, out=C[:n])
    np.subtract(up2, line.W, out=C[n:2 * n])
    np.multiply(_GRADIENT_SIGN[vc][:, None], line.G, out=C[2 * n:3 * n])
    applies = np.empty(3 * n + 3 * r, dtype=bool)
    _VARIABLE_APPLIES.take(vc, axis=1, out=applies[:3 * n].reshape(3, n), mode="clip")
    if r:
        m = 3 * n
        rc = row + row_shift  # each row's state and equality as one code (< 6)
        AW = pb.A @ line.W if line.AW is None else line.AW
        np.subtract(AW, rlo2, out=C[m:m + r])
        np.subtract(rhi2, AW, out=C[m + r:m + 2 * r])
        np.multiply(_MULTIPLIER_SIGN[rc][:, None], line.N, out=C[m + 2 * r:])
        _ROW_APPLIES.take(rc, axis=1, out=applies[m:].reshape(3, r), mode="clip")
    ca, cb = C[:, 0], C[:, 1]
    applies &= finite  # (an infinite side: never reached)
    return ca, cb, applies


def _which(pb: _Problem, slot: int) -> tuple[int, int]:
    """``(kind, index)`` of a stacked condition of :func:`face_conditions` (kinds of
    :func:`next_breakpoint`)."""
    n, r = pb.n, pb.r
    if slot < 3 * n:
        part, index = divmod(slot, n)
        return (0, 1, 4)[part], index
    part, index = divmod(slot - 3 * n, r)
    return (5, 6, 7)[part], index


def next_breakpoint(pb: _Problem, var: np.ndarray, row: np.ndarray, line: FaceLine,
                    t_now: float, direction: float) -> tuple[float, int, int]:
    """How far t may move from ``t_now`` in ``direction`` (±1) before a condition of the
    face breaks, and which: ``(distance ≥ 0 (inf: never), kind, index)`` with kind 0–1 a
    free variable reaching its lower / upper bound (free → fixed), kind 4 a fixed
    variable's reduced gradient turning (fixed → free), kind 5–6 an inactive row reaching
    its lower / upper side, kind 7 an active inequality row's multiplier turning (row →
    off); kind −1 when nothing breaks."""
    ca, cb, applies = face_conditions(pb, var, row, line)
    slope = direction * cb
    # The ratio test on the approaching conditions only (finite sides, slopes < 0: no
    # division by zero, no errstate context); the first smallest in slot order, as an
    # argmin over all slots would pick.
    hit = (applies & (slope < 0)).nonzero()[0]
    if not len(hit):
        return np.inf, -1, -1
    dist = ca[hit] + t_now * cb[hit]
    np.maximum(dist, 0.0, out=dist)
    dist /= -slope[hit]
    j = int(dist.argmin())
    kind, index = _which(pb, int(hit[j]))
    return float(dist[j]), kind, index


def corner_interval(pb: _Problem, var: np.ndarray, row: np.ndarray, line: FaceLine
                    ) -> tuple[float, float, int] | None:
    """The t range ``[t_low, t_high]`` over which the face is optimal (every condition of
    :func:`face_conditions` ≥ 0) and the stacked slot of the condition that ends it at
    t_low (−1: none, t_low = 0), or None when the range is empty."""
    c, s, m = face_conditions(pb, var, row, line)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = 1e-12 * (1.0 + np.abs(c) + np.abs(s))
        flat = m & (np.abs(s) <= scale)
        if (c[flat] < -1e-12).any():
            return None
        up_, dn = m & (s > scale), m & (s < -scale)
        lows = np.where(up_, -c / np.where(up_, s, 1.0), -np.inf)
        slot = int(lows.argmax())
        t_low = float(lows[slot])
        if not t_low > 0.0:
            t_low, slot = 0.0, -1
        t_high = float((-c[dn] / s[dn]).min(initial=np.inf))
    return (t_low, t_high, slot) if t_low <= t_high else None
