"""One problem's solution path in its linear factor t, followed face by face (B = 1).

For ``min ½wᵀPw + t·qᵀw`` under the bounds and rows, the answer on a fixed face (active
set) is affine in t: ``w(t) = w_a + t·w_b``, the row multipliers ``ν(t) = ν_a + t·ν_b`` and
the reduced gradient ``g(t) = P w(t) + t q + Aᵀν(t) = g_a + t·g_b`` (one KKT factorisation
with two right-hand sides; written out one by one in the tests' reference,
``tests/kernel/facepath_reference.py``). Every optimality condition of the face is
then an affine function of t that must stay ≥ 0 (a free variable inside its bounds, a fixed
one's reduced gradient of the right sign, an inactive row inside its range, an active
inequality row's multiplier of the right sign), so the next breakpoint in either direction
is an exact ratio test, and the constraint that crosses there switches (the critical line
method of Markowitz, generalised to rows; :mod:`tailorfolio.kernel._frontier` follows the
same path for the whole frontier).

:func:`follow` walks from a face optimal at ``t_now`` toward a goal that each face names
itself (the ceiling's root of ``vol(t) = c``, the tangency's stationary point of the Sharpe
ratio): when the face's own goal lies before its next breakpoint, the goal is the answer,
exact on that face; otherwise the path crosses the breakpoint and goes on. One
factorisation per face, no bisection and no re-solve from a guess. The answer is certified
by :func:`~tailorfolio.kernel._single.check_point` like every other (the callers do); a
walk that fails (a singular face, a degenerate tie that repeats, too many faces) returns
None and the caller's own search takes over, so exactness never depends on the walk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np
from scipy.linalg import lapack

from tailorfolio.kernel._activeset import (
    AT_LOWER,
    AT_UPPER,
    FREE,
    ROW_HI,
    ROW_LO,
    ROW_OFF,
    ActiveSet,
)
from tailorfolio.kernel._single import _Problem
from tailorfolio.typing import FloatArray

_gesv = lapack.dgesv

PATH_FACES = 40
"""Faces a walk may cross before it gives up (its caller's search then takes over)."""


class FaceLine:
    """The affine answer on one face: ``w = wa + t·wb``, ``ν = na + t·nb``, ``g = ga + t·gb``
    (g the reduced gradient Pw + t q + Aᵀν; zero on free variables up to rounding, and
    only read on fixed ones). Held as two-column arrays ``W (n, 2)``, ``N (R, 2)``,
    ``G (n, 2)`` (column 0 the t = 0 part, column 1 the slope), so each product or
    difference below is one numpy call for both; ``wa``…``gb`` are views. ``AW (R, 2)``:
    the rows' values ``A w`` the same way (None: not computed)."""

    __slots__ = ("W", "N", "G", "AW")

    def __init__(self, W: FloatArray, N: FloatArray, G: FloatArray,
                 AW: FloatArray | None = None) -> None:
        self.W, self.N, self.G, self.AW = W, N, G, AW

    wa = property(lambda self: self.W[:, 0])
    wb = property(lambda self: self.W[:, 1])
    na = property(lambda self: self.N[:, 0])
    nb = property(lambda self: self.N[:, 1])
    ga = property(lambda self: self.G[:, 0])
    gb = property(lambda self: self.G[:, 1])

    def at(self, t: float) -> tuple[FloatArray, FloatArray]:
        """``(w (n,), ν (R,))`` at t."""
        tt = np.array([1.0, t])
        return self.W @ tt, self.N @ tt


Goal = Callable[[FaceLine, float], "float | None"]
"""A face's own goal: given its line and the current t, the t the walk is heading for on
that face (None: the face has none, keep walking in the same direction)."""


Walk = tuple[np.ndarray, np.ndarray, FaceLine, float, int]
"""``(var, row, line, t, faces used)``: the face holding a walk's answer and its t."""


# _Walk's limits [low; high] of V by code: a variable's state (+ 4 when pinned): free
# (its bounds, filled in), at its lower bound g ≥ 0, at its upper g ≤ 0, pinned or at a
# kink none; a row's state (+ 3 when an equality): off (its sides, filled in), at its lower
# side ν ≤ 0, at its upper ν ≥ 0, an equality none.
_INF = np.inf
_LIMIT_VAR = np.array([[0.0, 0.0, -_INF, -_INF, 0.0, -_INF, -_INF, -_INF],
                       [0.0, _INF, 0.0, _INF, 0.0, _INF, _INF, _INF]])
_LIMIT_ROW = np.array([[0.0, -_INF, 0.0, -_INF, -_INF, -_INF],
                       [0.0, 0.0, _INF, _INF, _INF, _INF]])


class _Walk:
    """A walk's face held as flat vectors over the full KKT system's unknowns (the n
    variables, then the R rows), updated in place by one scalar store per breakpoint,
    so that a face costs about thirty numpy calls (the cost at these sizes) instead of
    sixty: its unknowns are ``face`` (free variables, active rows); the face's system
    is K's rows and columns there (``face_affine``'s, with the right-hand side
    ``side − K[:, :n]·wfix`` of the fixed values and the active rows' sides); and every
    condition of ``face_conditions`` is one entry of

        ``V = [w on free variables, g on fixed ones; ν on active rows, A w on the others]``

    staying inside ``[low, high]``: a free variable inside its bounds, a fixed one's
    reduced gradient of its sign (``[0, ∞)`` at its lower bound, ``(−∞, 0]`` at its
    upper; none when pinned), an inactive row inside its sides, an active inequality
    row's multiplier of its sign (``(−∞, 0]`` at its lower side, ``[0, ∞)`` at its
    upper; none for an equality). The ratio test on V is ``next_breakpoint``'s."""

    __slots__ = ("pb", "n", "var", "row", "face", "face2", "wfix", "side", "low", "high",
                 "K", "Kn", "q", "rhs", "tt", "inf", "eq")

    def __init__(self, pb: _Problem, var: np.ndarray, row: np.ndarray, q: FloatArray
                 ) -> None:
        n, r = pb.n, pb.r
        self.pb, self.n = pb, n
        self.var, self.row = var.copy(), row.copy()
        self.K = pb.kkt_matrix()
        self.Kn = pb.kkt_columns()
        m = n + r
        self.q = q
        self.rhs = np.empty((m, 2))
        self.rhs[n:, 1] = 0.0
        np.negative(q, out=self.rhs[:n, 1])
        self.tt = np.array([1.0, 0.0])
        self.inf = np.full(m, np.inf)
        self.face = np.empty(m, dtype=bool)
        self.face2 = self.face[:, None]
        free = np.equal(self.var, FREE, out=self.face[:n])
        on = np.not_equal(self.row, ROW_OFF, out=self.face[n:])
        self.wfix = pb.lo.copy()  # each fixed variable's bound, 0 where free
        np.copyto(self.wfix, pb.up, where=self.var == AT_UPPER)
        self.wfix[free] = 0.0
        self.side = np.zeros(m)  # each active row's side, 0 where off
        np.copyto(self.side[n:], pb.rlo, where=self.row == ROW_LO)
        np.copyto(self.side[n:], pb.rhi, where=self.row == ROW_HI)
        self.eq = pb.eq
        # the limits by code (state, + 4 pinned / + 3 equality), then the free variables'
        # bounds and the inactive rows' sides
        var_shift, row_shift = pb.code_shifts()
        lim = np.empty((2, m))
        self.low, self.high = lim[0], lim[1]
        _LIMIT_VAR.take(self.var + var_shift, axis=1, out=lim[:, :n], mode="clip")
        _LIMIT_ROW.take(self.row + row_shift, axis=1, out=lim[:, n:], mode="clip")
        np.copyto(self.low[:n], pb.lo, where=free)
        np.copyto(self.high[:n], pb.up, where=free)
        off = ~on
        np.copyto(self.low[n:], pb.rlo, where=off)
        np.copyto(self.high[n:], pb.rhi, where=off)

    def line(self) -> tuple[FaceLine, FloatArray] | None:
        """The face's :class:`FaceLine` and its V (n + R, 2), or None (singular)."""
        n, K = self.n, self.K
        idx = self.face.nonzero()[0]
        rhs = self.rhs
        np.subtract(self.side, self.Kn @ self.wfix, out=rhs[:, 0])
        X = np.zeros((len(self.face), 2))
        X[:n, 0] = self.wfix
        if len(idx):
            # (take along each axis: half the cost of one two-axis fancy index)
            _, _, x, info = _gesv(K.take(idx, 0).take(idx, 1), rhs.take(idx, 0),
                                  overwrite_a=1, overwrite_b=1)
            # (one finite sum says every entry is finite; an overflow only gives up)
            if info != 0 or not math.isfinite(x.sum()):
                return None
            X[idx] = x
        KX = K @ X
        KX[:n, 1] += self.q
        return (FaceLine(X[:n], X[n:], KX[:n], KX[n:]),
                np.where(self.face2, X, KX))

    def breakpoint(self, V: FloatArray, t_now: float, direction: float
                   ) -> tuple[float, int, bool]:
        """``(distance, entry, toward its low side)`` of the first condition to break
        moving t from ``t_now`` in ``direction``; distance inf (entry −1) when none."""
        self.tt[1] = t_now
        cur = V @ self.tt
        slope = V[:, 1] if direction > 0 else np.negative(V[:, 1])
        # the side each entry moves toward, and the signed gap to it: the ratio gap/slope
        # is the distance (≥ 0 inside the limits; an entry already past its side, by
        # rounding, breaks at once: clipped to 0); a flat entry never breaks (inf)
        gap = np.where(slope < 0, self.low, self.high)
        gap -= cur
        ratio = np.divide(gap, slope, out=self.inf.copy(), where=slope != 0)
        np.maximum(ratio, 0.0, out=ratio)
        j = int(ratio.argmin())
        dist = float(ratio[j])
        if not dist < np.inf:
            return np.inf, -1, False
        return dist, j, bool(slope[j] < 0)

    def switch(self, j: int, toward_low: bool) -> None:
        """Apply the breakpoint of entry ``j`` (:meth:`breakpoint`) in place."""
        pb, n, inf = self.pb, self.n, np.inf
        if j < n:
            if self.face[j]:  # a free variable reaches a bound
                self.face[j] = False
                if toward_low:
                    self.var[j] = AT_LOWER
                    self.wfix[j] = pb.lo[j]
                    self.low[j], self.high[j] = 0.0, inf
                else:
                    self.var[j] = AT_UPPER
                    self.wfix[j] = pb.up[j]
                    self.low[j], self.high[j] = -inf, 0.0
            else:  # a fixed variable's reduced gradient turns: it is freed
                self.face[j] = True
                self.var[j] = FREE
                self.wfix[j] = 0.0
                self.low[j], self.high[j] = pb.lo[j], pb.up[j]
            return
        i = j - n
        if self.face[j]:  # an active row's multiplier turns: it is released
            self.face[j] = False
            self.row[i] = ROW_OFF
            self.side[j] = 0.0
            self.low[j], self.high[j] = pb.rlo[i], pb.rhi[i]
        else:  # an inactive row reaches a side
            self.face[j] = True
            if toward_low:
                self.row[i] = ROW_LO
                self.side[j] = pb.rlo[i]
                self.low[j], self.high[j] = -inf, 0.0
            else:
                self.row[i] = ROW_HI
                self.side[j] = pb.rhi[i]
                self.low[j], self.high[j] = 0.0, inf


def warm_face(pb: _Problem, active: ActiveSet, q: FloatArray
              ) -> tuple[np.ndarray, np.ndarray, FaceLine] | None:
    """A warm start's face of ``pb`` — ``active``'s states with the pinned variables at
    their lower bound and the equality rows at their side — and its line for the linear
    term ``q`` (one factorisation); None when ``active`` is not one problem of ``pb``'s
    shape or the face is singular."""
    if active.var.shape != (1, pb.n) or active.row.shape != (1, pb.r):
        return None
    var = np.where(pb.pinned, AT_LOWER, active.var[0]).astype(np.int8)
    row = np.where(pb.eq, ROW_LO, active.row[0]).astype(np.int8)
    got = _Walk(pb, var, row, q).line()
    return None if got is None else (var, row, got[0])


def _v_of(line: FaceLine, face2: np.ndarray) -> FloatArray | None:
    """V of :class:`_Walk` from a known line (None without its rows' values)."""
    if line.AW is None:
        return None
    return np.where(face2, np.concatenate([line.W, line.N]),
                    np.concatenate([line.G, line.AW]))


def walk_steps(pb: _Problem, var: np.ndarray, row: np.ndarray, q: FloatArray, t_now: float,
               goal: Goal, direction: float, t_min: float = 0.0, t_max: float = np.inf,
               faces: int = PATH_FACES, line: FaceLine | None = None
               ) -> Generator[None, None, Walk | None]:
    """:func:`follow` one face at a time: yields after each face; its return value (the
    ``StopIteration`` value) is :func:`follow`'s. Two walks can so be raced
    (:func:`race`). The faces are held by :class:`_Walk`."""
    wk = _Walk(pb, var, row, q)
    known = None if line is None else _v_of(line, wk.face2)
    return (yield from _walk_on(wk, t_now, goal, direction, t_min, t_max, faces,
                                None if known is None else (line, known)))


def _walk_on(wk: _Walk, t_now: float, goal: Goal, direction: float, t_min: float,
             t_max: float, faces: int, first: tuple[FaceLine, FloatArray] | None
             ) -> Generator[None, None, Walk | None]:
    """:func:`walk_steps` on a :class:`_Walk` (``first``: its face's line and V, if
    known)."""
    # The faces met since the last step of positive length: a face is optimal on one
    # interval of t (its conditions are affine in t), so only a run of zero-length steps
    # (a degenerate tie) can bring the walk back to a face.
    seen: set[bytes] = set()
    got = first
    for used in range(1, faces + 1):
        if seen:
            key = wk.var.tobytes() + wk.row.tobytes()
            if key in seen:
                return None  # a degenerate tie brought the walk back: the caller searches
            seen.add(key)
        if got is None:
            got = wk.line()
            if got is None:
                return None
        line, V = got
        target = goal(line, t_now)
        if direction == 0:  # toward the first face's own goal
            if target is None:
                return None
            direction = 1.0 if target >= t_now else -1.0
        dist, j, toward_low = wk.breakpoint(V, t_now, direction)
        if target is not None:
            ahead = (target - t_now) * direction
            if ahead <= dist:
                t = t_now if ahead < 0 else target
                return wk.var, wk.row, line, t, used
        if j < 0:
            return None
        if dist > 0.0:
            seen.clear()
        elif not seen:
            seen.add(wk.var.tobytes() + wk.row.tobytes())
        t_now = t_now + direction * dist
        if not t_min <= t_now <= t_max:
            return None
        wk.switch(j, toward_low)
        got = None
        yield None
    return None


def follow(pb: _Problem, var: np.ndarray, row: np.ndarray, q: FloatArray, t_now: float,
           goal: Goal, direction: float, t_min: float = 0.0, t_max: float = np.inf,
           faces: int = PATH_FACES, line: FaceLine | None = None) -> Walk | None:
    """Walk the path of ``min ½wᵀPw + t·qᵀw`` from the face ``(var, row)`` (optimal at
    ``t_now``) in ``direction`` until a face's goal lies before its next breakpoint.

    ``goal(line, t_now)`` gives the face's goal t; a goal behind the walk (the other
    direction) stops it there too (the goal was crossed at a breakpoint: ``t_now``).
    ``direction`` 0: toward the first face's goal; ``line``: the first face's, if known.
    Returns ``(var, row, line, t, faces used)`` of the face holding the answer, or None
    (a singular face, t leaving ``[t_min, t_max]``, or ``faces`` exceeded).
    """
    return _run(walk_steps(pb, var, row, q, t_now, goal, direction, t_min, t_max, faces,
                           line))


def _run(steps: Generator[None, None, Walk | None]) -> Walk | None:
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def race(walks: list[Generator[None, None, Walk | None]],
         accept: Callable[[Walk], object | None]) -> object | None:
    """Step the walks in turn, one face each, until one ends with an answer ``accept``
    takes (its value is returned; a rejected or failed walk drops out, the others go on):
    the cost is at most the number of walks times the shortest walk's faces, whichever
    end of the path the answer is near. None when every walk fails."""
    live = list(walks)
    while live:
        for steps in list(live):
            try:
                next(steps)
            except StopIteration as done:
                live.remove(steps)
                if done.value is not None:
                    taken = accept(done.value)
                    if taken is not None:
                        return taken
    return None


def return_corner(pb: _Problem, q: FloatArray) -> tuple[np.ndarray, np.ndarray] | None:
    """The face of the maximum-return corner (the answer as t → ∞) by a greedy fill: every
    asset at its lower bound; each row with a floor and non-negative coefficients (a class
    minimum) filled to it with its highest-return members; the rest of the budget to the
    highest-return assets up to their upper bounds. The asset each fill ends on is free
    (one per active row: the face's system stays square); filled ones are at their upper
    bounds (the ranking: −q, the linear term per unit t). Only a candidate —
    ``corner_interval`` proves it optimal — and None without a budget row first or
    finite bounds."""
    if not (pb.budget_first and np.isfinite(pb.lo).all() and np.isfinite(pb.up).all()):
        return None
    # (the fill runs on Python floats: a handful of assets each, where numpy's per-element
    # calls would cost more than the arithmetic)
    lo, up = pb.lo.tolist(), pb.up.tolist()
    w = list(lo)
    row = np.where(pb.eq, ROW_LO, ROW_OFF).astype(np.int8)
    pinned = pb.pinned.tolist()
    ranking = [j for j in np.argsort(q, kind="stable").tolist() if not pinned[j]]
    rest = float(pb.rlo[0] / pb.A[0, 0]) - float(pb.lo.sum())
    fills: list[tuple[list[float] | None, float]] = []
    for i in np.flatnonzero(pb.ineq_row & np.isfinite(pb.rlo)).tolist():
        a = pb.A[i]
        if a.min() < 0:
            return None  # (an ESG floor's signed row: not a greedy fill)
        need = float(pb.rlo[i] - a @ pb.lo)
        if need > 1e-12:
            row[i] = ROW_LO
            fills.append((a.tolist(), need))
    fills.append((None, rest))
    marginal: list[int] = []
    for a_row, need in fills:
        last = -1
        for j in ranking:
            if need <= 1e-15 or rest <= 1e-15:
                break
            coef = 1.0 if a_row is None else a_row[j]
            if coef <= 0 or w[j] >= up[j]:
                continue
            add = min(up[j] - w[j], need / coef, rest)
            w[j] += add
            need -= coef * add
            rest -= add
            last = j
        if last < 0:
            return None
        marginal.append(last)
    wv = np.array(w)
    for i in (row == ROW_LO).nonzero()[0].tolist():  # a floor the later fills overshot
        if not pb.eq[i] and float(pb.A[i] @ wv) > pb.rlo[i] + 1e-12:
            row[i] = ROW_OFF
    var = np.where(wv >= pb.up - 1e-12, AT_UPPER, AT_LOWER).astype(np.int8)
    var[pb.pinned] = AT_LOWER
    interior = (wv > pb.lo + 1e-12) & (wv < pb.up - 1e-12)
    var[interior] = FREE
    short = int(np.count_nonzero(row)) - int(np.count_nonzero(interior))
    for j in reversed(marginal):  # a fill that ended exactly on a bound: degenerate
        if short <= 0:
            break
        if var[j] != FREE:
            var[j] = FREE
            short -= 1
    if short != 0:
        return None  # not a vertex this fill can name: the caller's method takes it
    return var, row


def corner_steps(pb: _Problem, q: FloatArray, goal: Goal, t_floor: float = 0.0,
                 t_corner_max: float = np.inf) -> Generator[None, None, Walk | None]:
    """:func:`from_corner` one face at a time (see :func:`walk_steps`)."""
    corner = return_corner(pb, q)
    if corner is None:
        return None
    wk = _Walk(pb, *corner, q)
    got = wk.line()
    if got is None:
        return None
    line, V = got
    span = _corner_span(V, wk.low, wk.high)
    if span is None:
        return None
    t_low, j, toward_low = span
    if t_low > t_corner_max:
        return None  # the corner ends far above the goal: a long walk (the caller's choice)
    target = goal(line, max(t_low, 1.0))
    if target is not None and target >= t_low:
        return wk.var, wk.row, line, target, 1
    if j < 0:
        return None
    wk.switch(j, toward_low)  # the condition that ends the corner at t_low
    yield None
    walk = yield from _walk_on(wk, t_low, goal, -1.0, t_floor, np.inf, PATH_FACES, None)
    if walk is None:
        return None
    var, row, line, t, faces = walk
    return var, row, line, t, faces + 1


def _corner_span(V: FloatArray, low: FloatArray, high: FloatArray
                 ) -> tuple[float, int, bool] | None:
    """``corner_interval`` on a :class:`_Walk`'s V and limits, for a corner (a face
    optimal for every t ≥ t_low): ``(t_low, entry ending it (−1: none, t_low = 0), toward
    its low side)``, or None when the face is not optimal as t → ∞ (an entry moves toward
    a finite limit as t grows, or a flat one is outside its limits)."""
    c, s = V[:, 0], V[:, 1]
    scale = np.abs(c)
    scale += np.abs(s)
    scale += 1.0
    scale *= 1e-12
    rising, falling = s > scale, s < -scale
    with np.errstate(divide="ignore", invalid="ignore"):
        r_low = (low - c) / s  # t where the entry meets its low side (±inf: never)
        r_high = (high - c) / s
    # as t grows a rising entry leaves its low side and meets its high one (and a falling
    # one the other way round): the corner needs no such meeting (t_high = ∞)
    if (rising & (r_high < np.inf)).any() or (falling & (r_low < np.inf)).any():
        return None
    flat = ~(rising | falling)
    if ((c[flat] < low[flat] - 1e-12).any() or (c[flat] > high[flat] + 1e-12).any()):
        return None
    ends = np.where(rising, r_low, np.where(falling, r_high, -np.inf))
    j = int(ends.argmax())
    t_low = float(ends[j])
    if not t_low < np.inf:
        return None
    if not t_low > 0.0:
        return 0.0, -1, False
    return t_low, j, bool(rising[j])


def from_corner(pb: _Problem, q: FloatArray, goal: Goal, t_floor: float = 0.0,
                t_corner_max: float = np.inf) -> Walk | None:
    """The path from the maximum-return corner (:func:`return_corner`) down toward the
    goal: ``(var, row, line, t, faces)`` as :func:`follow`, or None (no provable corner,
    a corner that ends above ``t_corner_max``, or the walk fails)."""
    return _run(corner_steps(pb, q, goal, t_floor, t_corner_max))
