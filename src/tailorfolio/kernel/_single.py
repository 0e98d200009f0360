"""The active-set core for one problem without costs or turnover (B = 1): lean and fast.

The same primal-dual active-set method as :mod:`tailorfolio.kernel._activeset` (guess →
reduced KKT solve → check → switch every violated constraint; one change per step, the
largest violation, once the count of violations stops falling), written for a single
problem over index lists: no batch padding, no dictionaries of masks, one small dense
LAPACK ``gesv`` per step (called directly: at these sizes a solve costs its call overhead).
A cold problem with a return term is solved on its solution path in t instead, from the
maximum-return corner down (:mod:`tailorfolio.kernel._facepath`); the primal-dual steps
run on that walk's flat vectors too. Only variables' bounds and the rows enter (``κ = 0``,
no turnover cap). The answer is certified by :func:`certify`, which measures the residuals
of :func:`check_point`: the batched :func:`~tailorfolio.kernel._activeset.kkt_check`'s
conditions for this case (primal feasibility, stationarity, the signs of the bound and row
multipliers, complementarity; ``tests/kernel/test_single.py`` and ``test_face_codes.py``
check that they agree). A problem this path does not certify goes to the batched path, so
exactness is never traded for speed.

When the primal-dual steps stall (they can cycle on low-risk-aversion problems whose first
faces are far from the answer), :func:`dual_active_set_solve` finds the face instead: the
dual active-set method of Goldfarb & Idnani (Math. Programming 27, 1983), which starts at
the equality-constrained minimum, adds one violated constraint at a time and drops the
constraint whose multiplier would turn negative; the dual objective rises strictly at every
step, so it cannot cycle. It needs P positive definite (checked by a Cholesky factor).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import lapack

from tailorfolio.kernel._activeset import (
    AT_LOWER,
    AT_UPPER,
    FREE,
    PINNED,
    ROW_HI,
    ROW_LO,
    ROW_OFF,
    ActiveSet,
    ActiveSetOutcome,
)
from tailorfolio.kernel._project import project_box_budget_one
from tailorfolio.kernel._standard import StandardForm
from tailorfolio.typing import FloatArray


_gesv = lapack.dgesv


def eligible(sf: StandardForm) -> bool:
    """One problem, no cost kinks, no turnover cap: the lean loop applies."""
    return (sf.size == 1 and not sf.kappa.any() and not np.isfinite(sf.tau).any()
            and sf.risk_weight[0] > 0)


DUAL_MAX_N = 100
"""Largest problem the dual method takes: it works with every active constraint (most of
the bounds of a large long-only problem), so its set-up is O(n³) and each step O(n²), while
the primal-dual steps work on the free variables only."""


CORNER_T_MAX = 60.0
"""A cold max-utility problem walks down from its maximum-return corner only when the
corner ends (its t_low) at most this far above t = 1; beyond, the answer lies far down the
path (a high risk aversion: near the minimum variance), the walk crosses many faces and
the dual method is cheaper (its steps cost a third of a face's). Measured on the
small-problem benchmark's universes: γ = 3 gives t_low of 5 to 52 (4 to 9 faces), γ ≥ 10
mostly above 100 (10 to 25 faces, where the dual method takes 6 to 26 steps)."""
COLD_STALL = 3
"""Steps without fewer violations before the cold minimum-variance primal-dual steps give
way to the dual method (measured: the default market's estimated Σ, condition ≈ 4e7,
settles in 6 steps with 3, where 1 handed it to 21 dual steps)."""


class _Problem:
    """Problem 0 of a standard form as flat vectors (B = 1, no costs, no turnover)."""

    __slots__ = ("P", "A", "q", "lo", "up", "rlo", "rhi", "n", "r", "pinned", "eq",
                 "ineq_row", "budget_first", "steps_taken", "last_line",
                 "_kkt", "_kkt_columns", "_shifts")

    def __init__(self, sf: StandardForm) -> None:
        self.P, self.A = sf.P, sf.A
        self.q, self.lo, self.up = sf.q[0], sf.lower[0], sf.upper[0]
        self.rlo, self.rhi = sf.row_lo[0], sf.row_hi[0]
        self.n, self.r = sf.n, sf.n_rows
        self.pinned = self.up - self.lo <= PINNED
        # (no errstate: a row's sides are never both +inf or both −inf, so the difference
        # is never NaN)
        self.eq = np.isfinite(self.rlo) & (
            np.abs(self.rhi - self.rlo) <= 1e-14 * (1.0 + np.abs(self.rlo)))
        self.ineq_row = ~self.eq
        self.budget_first = sf.row_names[:1] == ["budget"]
        self.steps_taken = 0  # face solves of the last primal_dual_steps call
        self.last_line: tuple[np.ndarray, np.ndarray, object] | None = None  # see below
        self._kkt: FloatArray | None = None
        self._kkt_columns: FloatArray | None = None
        self._shifts: tuple[np.ndarray, np.ndarray] | None = None

    def code_shifts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(4·pinned (n,), 3·eq (R,))`` as int8 (made on first use): added to a face's
        variable and row states they give one code per entry that says every condition
        of ``face_conditions`` of ``tests/kernel/facepath_reference.py`` by a table look-up."""
        if self._shifts is None:
            self._shifts = ((4 * self.pinned).astype(np.int8), (3 * self.eq).astype(np.int8))
        return self._shifts

    def kkt_matrix(self) -> FloatArray:
        """The full KKT matrix ``K = [[P, Aᵀ], [A, 0]]`` (n + R, n + R), made on first use
        for this problem only: a face's system is K's rows and columns of its free
        variables and active rows, and ``K @ [W; N]`` its reduced gradient and row values
        in one product (``face_affine`` of ``tests/kernel/facepath_reference.py``)."""
        if self._kkt is None:
            n = self.n
            K = np.zeros((n + self.r, n + self.r))
            K[:n, :n] = self.P
            K[n:, :n] = self.A
            K[:n, n:] = self.A.T
            self._kkt = K
        return self._kkt

    def kkt_columns(self) -> FloatArray:
        """``K[:, :n]`` as its own contiguous array (made on first use): a face's
        right-hand side is ``side − K[:, :n]·w_fixed`` (:class:`tailorfolio.kernel.
        _facepath._Walk`)."""
        if self._kkt_columns is None:
            self._kkt_columns = np.ascontiguousarray(self.kkt_matrix()[:, :self.n])
        return self._kkt_columns


def face_unknowns(pb: _Problem, var: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, int]:
    """The face ``(var, row)``'s unknowns — its free variables, then its active rows — as
    indices into the problem's full KKT matrix ``[[P, Aᵀ], [A, 0]]`` (its rows and columns
    there are the face's system: two index calls build it), and the count ``f`` of free
    variables among them."""
    face = np.empty(pb.n + pb.r, dtype=bool)
    np.equal(var, FREE, out=face[:pb.n])
    np.not_equal(row, ROW_OFF, out=face[pb.n:])
    idx = face.nonzero()[0]
    return idx, int(idx.searchsorted(pb.n))


def face_solve(pb: _Problem, var: np.ndarray, row: np.ndarray, exact: bool = False
               ) -> tuple[FloatArray, FloatArray] | None:
    """The minimiser on the face ``(var, row)``: fixed variables at their bounds, active
    rows as equalities; one dense KKT solve over the free variables and active rows.
    Returns ``(w (n,), ν (R,))`` (ν zero on inactive rows), or None when not finite (and,
    ``exact``, when the system is singular instead of its least-squares answer)."""
    n = pb.n
    K = pb.kkt_matrix()
    idx, f = face_unknowns(pb, var, row)
    fi, on = idx[:f], idx[f:] - n
    w = np.where(var == AT_UPPER, pb.up, pb.lo)
    w[fi] = 0.0
    K_face = K[idx]
    M = K_face[:, idx]
    rhs = K_face[:, :n] @ w  # (P_F w; A_on w)
    np.negative(rhs, out=rhs)
    rhs[:f] -= pb.q[fi]
    rhs[f:] += np.where(row[on] == ROW_HI, pb.rhi[on], pb.rlo[on])
    if len(idx):  # LAPACK directly: a third of numpy.linalg.solve's cost
        _, _, x, info = _gesv(M, rhs)
    else:  # every variable fixed, no active row: nothing to solve
        x, info = rhs, 0
    if info != 0:
        if exact or info < 0:
            return None
        x = np.linalg.lstsq(M, rhs, rcond=None)[0]
    if np.count_nonzero(np.isfinite(x)) != x.size:
        return None
    w[fi] = x[:f]
    nu = np.zeros(pb.r)
    nu[on] = x[f:]
    return w, nu


@dataclass(frozen=True)
class CeilingAnswer:
    """A cold max-utility walk that ended on the volatility ceiling (:func:`solve_single`
    with ``ceiling=True``): the cone's certified answer ``outcome`` (B = 1), the walk's
    linear factor ``t`` (< 1) at the ceiling and the ceiling's multiplier ``rho`` (scaled
    units)."""

    outcome: ActiveSetOutcome
    t: float
    rho: float


@dataclass
class SingleCheck:
    """The KKT conditions of one point on its face (the same conditions as the batched
    :func:`~tailorfolio.kernel._activeset.kkt_check` with no costs and no turnover).

    ``primal``: largest bound or row violation; ``dual``: largest stationarity violation of
    a free variable, wrong-signed reduced gradient of a fixed one, or wrong-signed row
    multiplier; ``complementarity``: largest |ν_i|·|slack_i| of active inequality rows;
    the masks and amounts say which constraint to switch (held as the stacked vectors
    ``hit``, ``amt`` of :func:`check_point`, 4n + 4R; split into the eight parts only
    when read: a certified answer's check never reads them).
    """

    primal: float
    dual: float
    complementarity: float
    hit: np.ndarray  # (4n + 4R,) violated: below, above, wants_up, wants_down (n each);
    amt: FloatArray  # row_low, row_high, bad_lo, bad_hi (R each); and their amounts
    n: int
    r: int
    total: int = -1  # the count of violations, when known

    def _parts(self, v: np.ndarray) -> tuple[np.ndarray, ...]:
        n, r = self.n, self.r
        m4 = 4 * n
        return (v[:n], v[n:2 * n], v[2 * n:3 * n], v[3 * n:m4], v[m4:m4 + r],
                v[m4 + r:m4 + 2 * r], v[m4 + 2 * r:m4 + 3 * r], v[m4 + 3 * r:])

    @property
    def masks(self) -> tuple[np.ndarray, ...]:
        """below, above, wants_up, wants_down (n); row_low, row_high, bad_lo, bad_hi (R)."""
        return self._parts(self.hit)

    @property
    def amounts(self) -> tuple[np.ndarray, ...]:
        """The violation amounts of :attr:`masks`' conditions."""
        return self._parts(self.amt)

    def count(self) -> int:
        if self.total >= 0:
            return self.total
        return int(np.count_nonzero(self.hit))


# check_point's conditions that are the face's, by one code per variable (its state
# FREE/AT_LOWER/AT_UPPER/AT_KINK + 4 when pinned) and per row (ROW_OFF/ROW_LO/ROW_HI + 3
# when an equality; :meth:`_Problem.code_shifts`): free (bounds, twice), at its lower
# bound and not pinned, at its upper bound; off (sides, twice), an inequality at its
# lower side, at its upper side.
_CHECK_VARIABLE = np.zeros((4, 8), dtype=bool)
_CHECK_VARIABLE[0:2, [FREE, 4 + FREE]] = True
_CHECK_VARIABLE[2, AT_LOWER] = True
_CHECK_VARIABLE[3, [AT_UPPER, 4 + AT_UPPER]] = True
_CHECK_ROW = np.zeros((4, 6), dtype=bool)
_CHECK_ROW[0:2, [ROW_OFF, 3 + ROW_OFF]] = True
_CHECK_ROW[2, ROW_LO] = True
_CHECK_ROW[3, ROW_HI] = True


def check_point(pb: _Problem, var: np.ndarray, row: np.ndarray, w: FloatArray,
                nu: FloatArray, tol: float) -> SingleCheck:
    """Every KKT condition of ``(w, ν)`` on the face ``(var, row)``.

    The eight violation amounts (module docstring of :class:`SingleCheck`) are written
    into one vector and tested at once (a few dozen small numpy calls per check: this runs
    at every step and certifies every answer, so its call count is the cost)."""
    n, r = pb.n, pb.r
    g = pb.P @ w + pb.q + nu @ pb.A
    aw = pb.A @ w
    m4, size = 4 * n, 4 * n + 4 * r
    amt = np.empty(size)
    ok = np.empty(size, dtype=bool)  # which conditions are the face's: table look-ups
    var_shift, row_shift = pb.code_shifts()
    _CHECK_VARIABLE.take(var + var_shift, axis=1, out=ok[:m4].reshape(4, n), mode="clip")
    if r:
        _CHECK_ROW.take(row + row_shift, axis=1, out=ok[m4:].reshape(4, r), mode="clip")
    free = ok[:n]  # (views: only ok[2n:4n] and ok[4n:4n + 2R] are changed below)
    row_lo_on, row_hi_on = ok[m4 + 2 * r:m4 + 3 * r], ok[m4 + 3 * r:]
    with np.errstate(invalid="ignore"):
        np.subtract(pb.lo, w, out=amt[:n])
        np.subtract(w, pb.up, out=amt[n:2 * n])
        np.negative(g, out=amt[2 * n:3 * n])
        amt[3 * n:m4] = g
        np.subtract(pb.rlo, aw, out=amt[m4:m4 + r])
        np.subtract(aw, pb.rhi, out=amt[m4 + r:m4 + 2 * r])
        amt[m4 + 2 * r:m4 + 3 * r] = nu
        np.negative(nu, out=amt[m4 + 3 * r:])
        hit = ok & (amt > tol)
        box = amt[:2 * n]
        primal = max(0.0, float(box[box.argmax()]))
        if r:
            rows = amt[m4:m4 + 2 * r]
            primal = max(primal, float(rows[rows.argmax()]))
        # dual: free |g| (both signs), fixed ones' wrong-signed g, wrong-signed row ν
        dmask = ok[2 * n:]
        dmask[:2 * n].reshape(2, n)[:] |= free
        dmask[2 * n:2 * n + 2 * r] = False
        dual_v = np.where(dmask, amt[2 * n:], 0.0)
        dual = max(0.0, float(dual_v[dual_v.argmax()]))
        comp = 0.0
        if r:
            on = row_lo_on | row_hi_on
            if np.count_nonzero(on):
                slack = np.where(row == ROW_HI, aw - pb.rhi, aw - pb.rlo)
                cv = np.where(on, np.abs(nu) * np.abs(slack), 0.0)
                comp = float(cv[cv.argmax()])
        if np.count_nonzero(np.isnan(amt)):  # (max() above would hide a NaN)
            primal = dual = comp = float("nan")
    return SingleCheck(primal, dual, comp, hit, amt, n, r, int(np.count_nonzero(hit)))


# certify's limits on the multipliers, by the codes of check_point's tables: the reduced
# gradient g of a variable (its state + 4 when pinned) and the multiplier ν of a row (its
# state + 3 when an equality) must lie in [low, high]: free g = 0; at its lower bound
# g ≥ 0, at its upper g ≤ 0 (pinned at its lower: none); an inactive row's ν: none (it
# is 0 by construction), at its lower side ν ≤ 0, at its upper ν ≥ 0; an equality's: none.
_G_LOW = np.array([0.0, 0.0, -np.inf, -np.inf, 0.0, -np.inf, -np.inf, -np.inf])
_G_HIGH = np.array([0.0, np.inf, 0.0, np.inf, 0.0, np.inf, 0.0, np.inf])
_NU_LOW = np.array([-np.inf, -np.inf, 0.0, -np.inf, -np.inf, -np.inf])
_NU_HIGH = np.array([np.inf, 0.0, np.inf, np.inf, np.inf, np.inf])


def certify(pb: _Problem, var: np.ndarray, row: np.ndarray, w: FloatArray, nu: FloatArray
            ) -> tuple[float, float, float]:
    """``(primal, dual, complementarity)`` of ``(w, ν)`` on the face ``(var, row)``: the
    residuals :func:`check_point` measures (its tables' conditions, the same values),
    without the per-condition masks a primal-dual step reads, so an answer's
    certificate costs half the calls. A NaN anywhere gives NaN residuals (``max`` of an
    array propagates it)."""
    var_shift, row_shift = pb.code_shifts()
    n, r = pb.n, pb.r
    g = pb.P @ w
    g += pb.q
    # every primal and every dual violation written into one vector each, so each residual
    # is one reduction (a NaN anywhere propagates through it)
    gap = np.empty(2 * (n + r))
    dv = np.empty(2 * (n + r))
    np.subtract(pb.lo, w, out=gap[:n])
    np.subtract(w, pb.up, out=gap[n:2 * n])
    comp = 0.0
    if r:
        g += nu @ pb.A
        aw = pb.A @ w
        np.subtract(pb.rlo, aw, out=gap[2 * n:2 * n + r])
        np.subtract(aw, pb.rhi, out=gap[2 * n + r:])
        rc = row + row_shift
        np.subtract(_NU_LOW.take(rc), nu, out=dv[2 * n:2 * n + r])
        np.subtract(nu, _NU_HIGH.take(rc), out=dv[2 * n + r:])
        on = ((rc == ROW_LO) | (rc == ROW_HI)).nonzero()[0]  # active inequality rows
        if len(on):
            side = np.where(row[on] == ROW_HI, pb.rhi[on], pb.rlo[on])
            comp = float(np.abs(nu[on] * (aw[on] - side)).max())
    vc = var + var_shift
    np.subtract(_G_LOW.take(vc), g, out=dv[:n])
    np.subtract(g, _G_HIGH.take(vc), out=dv[n:2 * n])
    primal = max(float(gap.max()), 0.0)
    dual = max(float(dv.max()), 0.0)
    if not (primal == primal and dual == dual and comp == comp):
        return float("nan"), float("nan"), float("nan")
    return primal, dual, comp


_NONE = np.zeros(0, dtype=bool)


def certified(pb: _Problem, var: np.ndarray, row: np.ndarray, w: FloatArray, nu: FloatArray
              ) -> SingleCheck:
    """:func:`certify`'s residuals as a :class:`SingleCheck` without masks (its count is
    0 when the primal and dual residuals are within any tolerance they are read with)."""
    primal, dual, comp = certify(pb, var, row, w, nu)
    return SingleCheck(primal, dual, comp, _NONE, _NONE.astype(float), pb.n, pb.r, 0)


def _all_free_minimum(pb: _Problem) -> tuple[FloatArray, FloatArray] | None:
    """:func:`face_solve` of the face with every variable free and the equality rows on
    (no variable pinned): ``[[P, A_eᵀ], [A_e, 0]] [w; ν_e] = [−q; the equalities' sides]``,
    one LAPACK call on K's leading block and equality rows."""
    n = pb.n
    eq = pb.eq.nonzero()[0]
    idx = np.concatenate([np.arange(n), n + eq])
    rhs = np.concatenate([-pb.q, pb.rlo[eq]])
    _, _, x, info = _gesv(pb.kkt_matrix()[idx[:, None], idx], rhs, overwrite_a=1,
                          overwrite_b=1)
    if info != 0 or not np.isfinite(x).all():
        return None
    nu = np.zeros(pb.r)
    nu[eq] = x[n:]
    return x[:n], nu


def cold_guess(pb: _Problem) -> tuple[np.ndarray, np.ndarray]:
    """The active set of the equality-constrained minimum's projection onto the bounds and
    the budget (the lean twin of :func:`tailorfolio.kernel._solve.cold_start`): every
    variable free and only the equality rows on when that cannot be formed."""
    var = pb.pinned.astype(np.int8)  # AT_LOWER where pinned, else FREE
    row = pb.eq.astype(np.int8)  # ROW_LO where an equality, else ROW_OFF
    if not (pb.budget_first and math.isfinite(pb.lo.sum() + pb.up.sum())):
        return var, row
    got = None if pb.pinned.any() else _all_free_minimum(pb)
    if got is None:  # (pinned variables, or singular: its least-squares answer)
        got = face_solve(pb, var, row)
    if got is None:
        return var, row
    total = pb.rlo[0] / pb.A[0, 0]
    wp = project_box_budget_one(got[0], pb.lo, pb.up, float(total))
    var = np.where(wp >= pb.up - 1e-12, AT_UPPER, FREE).astype(np.int8)
    var[wp <= pb.lo + 1e-12] = AT_LOWER
    var[pb.pinned] = AT_LOWER
    aw = pb.A @ wp
    scale = 1.0 + np.abs(aw)
    scale *= 1e-12
    row[aw >= pb.rhi - scale] = ROW_HI  # (infinite sides: never met, never NaN)
    row[aw <= pb.rlo + scale] = ROW_LO
    row[pb.eq] = ROW_LO
    return var, row


class _StallWatch:
    """The stall rule of the primal-dual steps: stalled once ``stall`` steps in a row have
    not brought fewer violated conditions than the fewest seen so far."""

    __slots__ = ("best", "since", "stall")

    def __init__(self, stall: int) -> None:
        self.best = np.iinfo(np.int64).max
        self.since = 0
        self.stall = stall

    def record(self, count: int) -> bool:
        """Note a step's count of violated conditions; True when stalled."""
        if count < self.best:
            self.best, self.since = count, 0
        else:
            self.since += 1
        return self.since >= self.stall


def primal_dual_steps(pb: _Problem, var: np.ndarray, row: np.ndarray, max_iter: int,
                      tol: float, full_steps: int = 5, stall: int = 1,
                      stop_on_stall: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, FloatArray, FloatArray, SingleCheck,
                                 int] | None:
    """Primal-dual active-set steps from ``(var, row)`` until every KKT condition holds
    (to ``tol``); ``(var, row, w, ν, check, steps)`` of the certified face, or None when
    ``max_iter`` is reached (or, with ``stop_on_stall``, when the count of violations stops
    falling for ``stall`` steps).

    The steps run on the face walk's flat vectors (:class:`tailorfolio.kernel._facepath.
    _Walk`: every condition of the face is one entry of its V inside its limits, each
    switch one scalar store), half the calls of a solve and :func:`check_point` per step;
    the answer is certified by :func:`certify`. A singular face, and a problem of more
    than :data:`DUAL_MAX_N` variables, hand the steps to :func:`masked_steps` (the same
    steps on :func:`face_solve`'s systems of the face's unknowns only, least squares
    when singular)."""
    from tailorfolio.kernel._facepath import _Walk

    if pb.n > DUAL_MAX_N:  # (the walk's products span all n + R unknowns: at a large
        # n with few free variables the masked steps' face-sized systems cost less)
        return masked_steps(pb, var, row, max_iter, tol, full_steps, stall, stop_on_stall)
    var, row = var.copy(), row.copy()
    var[pb.pinned] = AT_LOWER
    row[pb.eq] = ROW_LO
    wk = _Walk(pb, var, row, pb.q)
    watch = _StallWatch(stall)
    one = np.ones(2)
    for it in range(1, max_iter + 1):
        pb.steps_taken = it
        got = wk.line()
        if got is None:
            found = masked_steps(pb, wk.var, wk.row, max_iter - it + 1, tol,
                                 max(full_steps - it + 1, 0), stall, stop_on_stall)
            pb.steps_taken += it - 1
            return None if found is None else found[:5] + (found[5] + it - 1,)
        line, V = got
        cur = V @ one  # the face's V at t = 1
        low_by = wk.low - cur
        viol = cur - wk.high
        np.maximum(viol, low_by, out=viol)
        hits = (viol > tol).nonzero()[0]
        count = len(hits)
        if count == 0:
            w, nu = line.at(1.0)
            chk = certified(pb, wk.var, wk.row, w, nu)
            if chk.primal <= tol and chk.dual <= tol:
                return wk.var, wk.row, w, nu, chk, it
        stalled = watch.record(count)
        if stop_on_stall and stalled:
            return None
        if count == 0:
            continue  # (certified within rounding only: nothing to switch, a stall)
        if it >= full_steps and stalled:  # one change: the largest violation
            hits = hits[viol[hits].argmax()][None]
        for j in hits.tolist():
            wk.switch(j, bool(low_by[j] > 0))
    return None


def masked_steps(pb: _Problem, var: np.ndarray, row: np.ndarray, max_iter: int,
                 tol: float, full_steps: int = 5, stall: int = 1,
                 stop_on_stall: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, FloatArray, FloatArray, SingleCheck,
                            int] | None:
    """:func:`primal_dual_steps` on :func:`face_solve` (its least-squares answer on a
    singular face) and :func:`check_point`'s masks."""
    var, row = var.copy(), row.copy()
    var[pb.pinned] = AT_LOWER
    row[pb.eq] = ROW_LO
    watch = _StallWatch(stall)
    for it in range(1, max_iter + 1):
        pb.steps_taken = it
        got = face_solve(pb, var, row)
        if got is None:
            return None
        w, nu = got
        chk = check_point(pb, var, row, w, nu, tol)
        count = chk.count()
        if count == 0 and chk.primal <= tol and chk.dual <= tol:
            return var, row, w, nu, chk, it
        stalled = watch.record(count)
        if stop_on_stall and stalled:
            return None
        below, above, wants_up, wants_down, row_low, row_high, bad_lo, bad_hi = chk.masks
        if it >= full_steps and stalled:  # one change: the largest violation
            tops = [float(np.where(m, a, -1.0).max(initial=-1.0))
                    for m, a in zip(chk.masks, chk.amounts)]
            kind = int(np.argmax(tops))
            j = int(np.argmax(np.where(chk.masks[kind], chk.amounts[kind], -1.0)))
            sel = [np.zeros_like(m) for m in chk.masks]
            sel[kind][j] = True
            below, above, wants_up, wants_down, row_low, row_high, bad_lo, bad_hi = sel
        var[wants_up | wants_down] = FREE
        var[below] = AT_LOWER
        var[above] = AT_UPPER
        row[row_low] = ROW_LO
        row[row_high] = ROW_HI
        row[bad_lo | bad_hi] = ROW_OFF
        row[pb.eq] = ROW_LO
    return None


def return_guess(pb: _Problem, extra: int = 3) -> tuple[np.ndarray, np.ndarray] | None:
    """A hot start for a problem with a return term, from a greedy fill of the budget.

    Every asset starts at its lower bound; each row with a floor and non-negative
    coefficients (a class minimum) is filled to its floor with its highest-return members
    (−q largest), and guessed active when it had to be; the rest of the budget goes to the
    highest-return assets at their upper bounds, and ``extra`` more assets are left free.
    Only a guess — :func:`dual_active_set_solve` drops what it gets wrong — but the optimum
    of a max-utility problem usually holds few assets near the top of that ranking, so most
    of the dual method's steps are saved (``benchmarks/bench_kernel_small.py`` prints the
    steps). None without a budget row or finite bounds.
    """
    if not (pb.budget_first and np.isfinite(pb.lo).all() and np.isfinite(pb.up).all()):
        return None
    w = pb.lo.copy()
    rest = float(pb.rlo[0] / pb.A[0, 0] - w.sum())
    var = np.full(pb.n, AT_LOWER, dtype=np.int8)
    row = np.where(pb.eq, ROW_LO, ROW_OFF).astype(np.int8)
    ranking = [j for j in np.argsort(pb.q, kind="stable") if not pb.pinned[j]]
    for i in np.flatnonzero(pb.ineq_row & np.isfinite(pb.rlo)):
        a = pb.A[i]
        if a.min() < 0:
            continue
        need = float(pb.rlo[i] - a @ w)
        if need <= 0:
            continue
        row[i] = ROW_LO
        for j in ranking:
            if need <= 1e-12 or rest <= 1e-12:
                break
            if a[j] <= 0 or var[j] == FREE:
                continue
            add = min(float(pb.up[j] - w[j]), need / a[j], rest)
            w[j] += add
            var[j] = FREE
            need -= a[j] * add
            rest -= add
    left = extra
    for j in ranking:
        if var[j] == FREE:
            continue
        if rest <= 1e-12:
            if left <= 0:
                break
            left -= 1
        var[j] = FREE
        add = min(float(pb.up[j] - w[j]), rest)
        w[j] += add
        rest -= add
    return var, row


def solve_single(sf: StandardForm, active: ActiveSet | None, tol: float,
                 steps: int = 10, ceiling: bool = False, problem: _Problem | None = None
                 ) -> ActiveSetOutcome | CeilingAnswer | None:
    """Problem 0 of ``sf`` (:func:`eligible`) solved and certified without the batched code.

    * a warm start (``active``): primal-dual steps from it, stopped at the first stall;
    * cold with a return term: the path in t from the maximum-return corner down to t = 1
      (:func:`tailorfolio.kernel._facepath.from_corner`: exact breakpoints, one
      factorisation per face);
    * cold without one (minimum variance; the homogeneous maximum-Sharpe form):
      primal-dual steps from :func:`cold_guess`, stopped after :data:`COLD_STALL` steps
      without progress;
    * more than :data:`DUAL_MAX_N` variables: primal-dual steps from the caller's guess
      (``active``) or :func:`cold_guess`, and None when they stall;
    * otherwise, or when those stall: the face of the dual method
      (:func:`dual_active_set_solve`, which cannot cycle), hot-started from the warm start,
      :func:`return_guess` (a return term) or :func:`cold_guess` (none; measured: the S&P
      20 minimum variance in 6 steps instead of 14), then from the equality-constrained
      minimum.

    With ``ceiling`` (a cold max utility under a finite volatility ceiling), the walk from
    the corner goes on below t = 1 to the ceiling's root when the ceiling binds, and the
    answer is then a :class:`CeilingAnswer` (only ever with ``ceiling=True``).

    The face found is solved and checked (:func:`check_point`): the answer carries its KKT
    residuals. None when no certified face is found (the caller then runs the batched path).
    """
    pb = _Problem(sf) if problem is None else problem  # (a caller's, of this very form)
    sf.cache.pop("single_face", None)
    found = None
    used = 0
    linear = bool(np.any(pb.q))
    if active is not None:
        found = primal_dual_steps(pb, active.var[0], active.row[0], steps, tol, stall=2,
                                  stop_on_stall=True)
        used = pb.steps_taken
    else:
        if not linear or sf.n > DUAL_MAX_N:
            var, row = cold_guess(pb)
            found = primal_dual_steps(pb, var, row, steps, tol, stall=COLD_STALL,
                                      stop_on_stall=True)
            used = pb.steps_taken
        else:
            cap = float(sf.vol_cap[0])
            walked = _from_corner(pb, tol, cap * cap if ceiling and cap < np.inf else None)
            if len(walked) == 3:  # the walk ended on the ceiling: the cone's answer
                out, t, rho = walked
                return CeilingAnswer(out, float(t), float(rho))
            found, used = walked
    if found is None and sf.n > DUAL_MAX_N:
        return None  # the batched path's rescue (continuation, ADMM) takes it
    if found is None:
        hot = ((active.var[0], active.row[0]) if active is not None
               else return_guess(pb) if linear else cold_guess(pb))
        face = dual_active_set_solve(sf, 4 * sf.n + 50, start=hot)
        if face is None and hot is not None:
            face = dual_active_set_solve(sf, 4 * sf.n + 50)
        if face is not None:
            act, n_dual = face
            used += n_dual
            found = primal_dual_steps(pb, act.var[0], act.row[0], 3, tol)
            used += pb.steps_taken
    if found is None and active is None and linear:  # P singular: primal-dual, cold
        var, row = cold_guess(pb)
        found = primal_dual_steps(pb, var, row, steps, tol, stall=2, stop_on_stall=True)
        used += pb.steps_taken
    if found is None:
        return None
    var, row, w, nu, chk, _ = found
    if pb.last_line is not None and pb.last_line[0] is var:
        # the answer's face and its line in t, for a ceiling walk from here (this form's
        # own cache, keyed by its linear term: forms made by ``take`` share the dict)
        sf.cache["single_face"] = (pb.q.tobytes(), pb, pb.last_line)
    one = np.ones(1, dtype=bool)
    return ActiveSetOutcome(
        w[None, :], nu[None, :], np.zeros(1), one, np.array([chk.primal]),
        np.array([chk.dual]), np.array([chk.complementarity]), np.array([used]),
        ActiveSet(var[None, :].astype(np.int8), np.zeros((1, pb.n)),
                  row[None, :].astype(np.int8), np.zeros(1, dtype=bool)))


def _from_corner(pb: _Problem, tol: float, cap2: float | None = None
                 ) -> tuple[tuple[np.ndarray, np.ndarray, FloatArray, FloatArray, SingleCheck,
                                  int] | None, int] | tuple[ActiveSetOutcome, float, float]:
    """The answer at t = 1 on the path from the maximum-return corner
    (:func:`tailorfolio.kernel._facepath.from_corner`), checked; ``(found or None, faces)``.

    With a volatility ceiling ``cap2`` (c², scaled units) the same walk goes on below
    t = 1 when the answer there breaks it, to the face's root of ``wᵀPw = c²`` (one walk
    from the corner to the ceiling: the path's volatility falls with t, so the answer is
    the first of t = 1 and that root the walk meets); a walk that ends on the ceiling
    returns the cone problem's certified ``(outcome, t, ρ)``
    (:func:`tailorfolio.kernel._ceiling.cone_outcome`), one that fails ``(None, faces)``.
    """
    from tailorfolio.kernel._facepath import from_corner

    goal = (lambda line, t_now: 1.0) if cap2 is None else _ceiling_goal(pb.P, cap2)
    walk = from_corner(pb, pb.q, goal, t_corner_max=CORNER_T_MAX)
    if walk is None:
        return None, 0
    var, row, line, t, faces = walk
    w, nu = line.at(t)
    if t < 1.0:
        from tailorfolio.kernel._ceiling import cone_outcome

        out = ActiveSetOutcome(w[None, :], nu[None, :], np.zeros(1), np.ones(1, dtype=bool),
                               np.zeros(1), np.zeros(1), np.zeros(1),
                               np.zeros(1, dtype=np.int64),
                               ActiveSet(var[None, :].astype(np.int8), np.zeros((1, pb.n)),
                                         row[None, :].astype(np.int8),
                                         np.zeros(1, dtype=bool)))
        done = cone_outcome(pb, out, t, pb.q, cap2, faces, tol)
        return (None, faces) if done is None else done
    chk = certified(pb, var, row, w, nu)
    if not (chk.primal <= tol and chk.dual <= tol):
        return None, faces
    pb.last_line = (var, row, line)  # the ceiling's walk starts on this face
    return (var, row, w, nu, chk, faces), faces


def _ceiling_goal(P: FloatArray, cap2: float) -> Callable[[Any, float], float | None]:
    """The goal of :func:`_from_corner`'s walk under a ceiling c² on a face
    ``w = a + t·b``: t = 1 where the face's volatility at t_now is within the ceiling (it
    only falls as t does), else the largest root of ``(a + t b)ᵀP(a + t b) = c²`` if it
    lies at or below t_now, capped at 1 (a root above 1 means t = 1 is within the
    ceiling); None (walk on) when the face has no such root."""
    def goal(line: Any, t_now: float) -> float | None:  # (a FaceLine)
        W = line.W
        C = W.T @ (P @ W)
        c0, c1, c2 = float(C[0, 0]) - cap2, float(C[0, 1]), float(C[1, 1])
        if c0 + t_now * (2.0 * c1 + t_now * c2) <= 0.0:
            return 1.0
        disc = c1 * c1 - c2 * c0
        if not (c2 > 0.0 and disc >= 0.0):
            return None
        root = (-c1 + disc ** 0.5) / c2
        return min(root, 1.0) if root <= t_now else None
    return goal


def spd_inverse(M: FloatArray, ratio: float) -> FloatArray | None:
    """M⁻¹ of a symmetric positive definite M (k, k) from its Cholesky factor (LAPACK
    potrf, then potrs against the identity: two calls, no triangle copies), or None when
    the factor fails or its smallest diagonal entry is below ``ratio`` × its largest
    (nearly singular)."""
    from scipy.linalg import lapack

    c, info = lapack.dpotrf(M, lower=1, clean=0)
    if info != 0:
        return None
    diag = np.diagonal(c)
    if not float(diag.min()) > ratio * float(diag.max()):
        return None
    inv, info = lapack.dpotrs(c, np.eye(len(c)), lower=1)  # full M⁻¹ in one call
    if info != 0:
        return None
    return inv


def _dual_feasible_face(sf: StandardForm, var: np.ndarray, row: np.ndarray,
                        pinned: np.ndarray, eq: np.ndarray, rounds: int = 20
                        ) -> tuple[FloatArray, list[tuple[int, int]], FloatArray, int] | None:
    """The guessed face ``(var, row)`` cut down until it is dual feasible: its minimum is
    solved on the free variables (:func:`face_solve`, a system of the free variables and
    active rows only), every guessed constraint whose multiplier is negative there is
    dropped (all at once), and again until none is. Returns ``(w (n,), constraints
    [(kind, index)], their multipliers (≥ 0), rounds)`` with kinds as in
    :func:`dual_active_set_solve` (0 lower bound, 1 upper bound, 2 row lower side, 3 row
    upper side), or None (a singular face: the caller starts cold)."""
    pb = _Problem(sf)
    var = np.where(pinned, AT_LOWER, var).astype(np.int8)
    row = np.where(eq, ROW_LO, row).astype(np.int8)
    for used in range(1, rounds + 1):
        got = face_solve(pb, var, row, exact=True)
        if got is None:
            return None
        w, nu = got
        g = pb.P @ w + pb.q + pb.A.T @ nu
        lo_j = np.flatnonzero((var == AT_LOWER) & ~pinned)
        up_j = np.flatnonzero(var == AT_UPPER)
        rlo_i = np.flatnonzero((row == ROW_LO) & ~eq)
        rhi_i = np.flatnonzero((row == ROW_HI) & ~eq)
        u = np.concatenate([g[lo_j], -g[up_j], -nu[rlo_i], nu[rhi_i]])
        if not len(u) or u.min() >= 0.0:
            items = ([(0, j) for j in lo_j.tolist()] + [(1, j) for j in up_j.tolist()]
                     + [(2, i) for i in rlo_i.tolist()] + [(3, i) for i in rhi_i.tolist()])
            return w, items, u, used
        var[lo_j[g[lo_j] < 0]] = FREE
        var[up_j[-g[up_j] < 0]] = FREE
        row[rlo_i[-nu[rlo_i] < 0]] = ROW_OFF
        row[rhi_i[nu[rhi_i] < 0]] = ROW_OFF
    return None


def dual_active_set_solve(sf: StandardForm, max_steps: int, tol: float = 1e-12,
                          start: tuple[np.ndarray, np.ndarray] | None = None
                          ) -> tuple[ActiveSet, int] | None:
    """Goldfarb–Idnani from the equality-constrained minimum (or a hot start); the final
    active set and the number of steps, or None (P not positive definite, infeasible, or
    ``max_steps``).

    ``start`` (var (n,), row (R,)): a guessed active set. Its constraints whose multipliers
    are negative at the minimum over the guess are dropped (all at once, repeatedly) until
    every multiplier is ≥ 0; that minimum is dual feasible, so the method may start there
    (Goldfarb & Idnani's requirement) and only the constraints the guess got wrong cost
    steps. A guess whose constraints are linearly dependent falls back to the cold start.

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
    if not float(np.diagonal(P).min()) > 0:
        return None  # singular by structure (the homogeneous Sharpe form's k)
    H = sf.cache.get("spd_inverse")  # the form's own cache: one P⁻¹ per solve's form
    if H is None or H.shape != P.shape:
        H = spd_inverse(P, 1e-7)
        if H is None:
            return None  # not (numerically) positive definite: H would be inaccurate
        sf.cache["spd_inverse"] = H
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
    sign = np.where((kind == 1) | (kind == 3), -1.0, 1.0)
    is_bound = kind < 2

    def rows_h(ps: list[int]) -> FloatArray:
        """H c_p for each p (len(ps), n): a signed row of H for a bound."""
        pa = np.asarray(ps, dtype=np.int64)
        out = np.empty((len(pa), n))
        b = is_bound[pa]
        out[b] = sign[pa[b], None] * H[index[pa[b]]]
        out[~b] = C[pa[~b]] @ H
        return out
    ne = len(e)
    kmax = ne + min(len(C), n) + 1
    NH_buf = np.zeros((kmax, n))  # rows 0..k−1: N H
    Si_buf = np.zeros((kmax, kmax))  # leading k × k: (N H Nᵀ)⁻¹, bordered updates
    u_buf = np.zeros(kmax)  # multipliers (≥ 0) of the active inequalities, rows ne..k−1
    x0 = -H @ q
    EH = E @ H
    guess: list[int] = []
    steps = 1
    x = x0
    u_guess = np.zeros(0)
    if start is not None:
        found = _dual_feasible_face(sf, start[0], start[1], pinned, eq)
        if found is not None:
            x, items, u_guess, rounds = found
            steps += rounds
            slot = {key: c for c, key in enumerate(zip(kind.tolist(), index.tolist()))}
            if all(key in slot for key in items):  # (else an infinite bound: start cold)
                guess = [slot[key] for key in items]
            else:
                x, u_guess = x0, np.zeros(0)
    k = ne + len(guess)
    if k > n:
        guess, k, x = [], ne, x0
    while True:
        NH = np.vstack([EH, rows_h(guess)]) if guess else EH
        Si = np.zeros((0, 0))
        if k:
            N = np.vstack([E, C[guess]]) if guess else E
            Si = spd_inverse(NH @ N.T, 1e-6)  # S = N H Nᵀ ≻ 0 when N has full row rank
            if Si is None:
                if not guess:
                    return None
                guess, k, x = [], ne, x0
                continue
        break
    if guess:  # the guessed face's own minimum and multipliers (all ≥ 0)
        lam = np.concatenate([np.zeros(ne), u_guess])
    elif k:  # the equality-constrained minimum
        lam = Si @ (e - E @ x0)
        x = x0 + lam @ NH
    else:
        lam = np.zeros(0)
    NH_buf[:k] = NH
    Si_buf[:k, :k] = Si
    u_buf[ne:k] = lam[ne:]
    active: list[int] = list(guess)
    inf = np.inf
    while steps < max_steps:
        if not len(d):
            break
        s = C @ x
        s -= d
        p = int(s.argmin())
        if s[p] >= -tol:
            break
        u_p = 0.0
        cp = C[p]
        hc = sign[p] * H[index[p]] if is_bound[p] else H @ cp
        cz_floor = 1e-9 * (1.0 + float(cp @ hc))
        while True:
            steps += 1
            if steps > max_steps:
                return None
            if k:
                NH = NH_buf[:k]
                y_all = Si_buf[:k, :k] @ (NH @ cp)
                z = hc - y_all @ NH
            else:
                y_all, z = None, hc
            cz = float(cp @ z)
            t2 = float(d[p] - cp @ x) / cz if cz > cz_floor else inf
            jb, t1 = -1, inf
            if k > ne:
                y = y_all[ne:]
                pos = y > 1e-14
                if pos.any():
                    ratios = np.where(pos, u_buf[ne:k] / np.where(pos, y, 1.0), inf)
                    jb = int(ratios.argmin())
                    t1 = float(ratios[jb])
            if t1 == inf and t2 == inf:
                return None  # the constraints are infeasible
            t = t1 if t1 < t2 else t2
            if t2 != inf:
                x = x + t * z
            if k > ne:
                u_act = u_buf[ne:k]
                u_act -= t * y
                np.maximum(u_act, 0.0, out=u_act)
            u_p += t
            if t2 <= t1:  # add p
                if k >= kmax:
                    return None
                active.append(p)
                u_buf[k] = u_p
                # bordered inverse: Schur complement cz = c_pᵀHc_p − colᵀS⁻¹col > 0
                if k:
                    b = y_all / cz
                    Si_buf[:k, :k] += np.multiply.outer(y_all, b)
                    Si_buf[:k, k] = -b
                    Si_buf[k, :k] = -b
                Si_buf[k, k] = 1.0 / cz
                NH_buf[k] = hc
                k += 1
                break
            # drop the blocking constraint jb (row ne + jb of N): Schur-complement downdate
            del active[jb]
            i = ne + jb
            keep = np.r_[0:i, i + 1:k]
            ei = Si_buf[keep, i]
            Si_buf[:k - 1, :k - 1] = Si_buf[np.ix_(keep, keep)] - np.multiply.outer(
                ei, ei / Si_buf[i, i])
            NH_buf[i:k - 1] = NH_buf[i + 1:k]
            u_buf[i:k - 1] = u_buf[i + 1:k]
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
