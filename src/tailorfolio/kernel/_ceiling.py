"""The volatility ceiling of one problem, on its faces (B = 1, a risk term, no costs).

The cone problem ``min ½wᵀPw + qᵀw`` s.t. the linear constraints and ``wᵀPw ≤ c²`` has the
stationarity of the QP ``min ½wᵀPw + t·qᵀw`` with ``t = 1/(1 + 2ρ)`` (the module docstring
of :mod:`tailorfolio.kernel._solve`). On one face the QP's answer is ``w(t) = a + t·b``
exactly, so ``w(t)ᵀPw(t) = c²`` is a quadratic in t with one root in (0, 1] when the plain
answer (t = 1) breaks the ceiling and the face's minimum-variance end does not. The method:
take that root t*, solve the QP at t* warm from the face (the kernel's B = 1 path), and stop
when the face optimal at t* is the face t* came from (a face whose root lies outside the
bracket ``vol(t_lo) ≤ c < vol(t_hi)`` gets a bisection step instead) — then the point lies
exactly on the ceiling and every KKT condition of the cone problem holds with
``ρ = (1/t* − 1)/2 ≥ 0``.
First, though, the path itself is followed from the plain answer's face at t = 1 down to
the ceiling (:func:`tailorfolio.kernel._facepath.follow`: each face's exact breakpoint by a
ratio test, the face's own root checked against it, one factorisation per face, no
bisection; the plain solve's line at t = 1 is reused); the face search above is what a
failed walk (a degenerate tie, a singular face) falls back to. Plan-sized problems settle
in a few faces either way; the batched search
(:func:`tailorfolio.kernel._solve._ceiling_search`) takes whatever this one returns None for
(a ceiling below the constraints' minimum variance, which it proves, or no settled face
within :data:`CEILING_FACES`).
"""

from __future__ import annotations

import numpy as np

from tailorfolio.kernel._activeset import ActiveSet, ActiveSetOutcome
from tailorfolio.kernel._facepath import FaceLine, follow, warm_face
from tailorfolio.kernel._single import _Problem, certify, solve_single
from tailorfolio.kernel._standard import StandardForm
from tailorfolio.kernel._tangency import face_line

CEILING_FACES = 40
"""QP solves before the batched search takes over."""


def ceiling_root(P: np.ndarray, a: np.ndarray, b: np.ndarray, cap2: float) -> float | None:
    """The t in (0, 1] with ``(a + t b)ᵀP(a + t b) = cap2`` on the rising branch, or None."""
    pa, pb = P @ a, P @ b
    c2, c1, c0 = float(b @ pb), float(a @ pb), float(a @ pa) - cap2
    if not c2 > 0:
        return None
    disc = c1 * c1 - c2 * c0
    if disc < 0:
        return None
    t = (-c1 + np.sqrt(disc)) / c2
    return float(t) if 0 < t <= 1 + 1e-12 else None


def ceiling_single(sf: StandardForm, plain: ActiveSetOutcome, tol: float
                   ) -> tuple[ActiveSetOutcome, float, float] | None:
    """The cone problem's answer from the plain QP's (which breaks the ceiling).

    Returns ``(outcome, t, ρ)``: the QP's outcome at t with the cone problem's residuals
    (primal includes the ceiling's violation; dual and complementarity rescaled by 1/t, the
    ceiling's complementarity ``ρ·|c² − wᵀPw|`` included; ν rescaled), t, and ρ in scaled
    units; None for the batched search to settle.
    """
    cap2 = float(sf.vol_cap[0]) ** 2
    q = sf.q[0]
    known = sf.cache.get("single_face")  # the plain solve's face and line (solve_single)
    line = None
    if (known is not None and known[0] == q.tobytes()
            and np.array_equal(known[2][0], plain.active.var[0])
            and np.array_equal(known[2][1], plain.active.row[0])):
        pb, line = known[1], known[2][2]
    else:
        pb = _Problem(sf)
    act = plain.active
    used = int(plain.iterations[0])
    walked = _walk_down(pb, act, q, cap2, used, tol, line)
    if walked is not None:
        return walked
    face: tuple[np.ndarray, np.ndarray] | None = None
    out = plain
    t, t_lo, t_hi = 1.0, 0.0, 1.0  # vol(t_lo) ≤ c < vol(t_hi) (vol(0): the minimum variance)
    for _ in range(CEILING_FACES):
        var, row = act.var[0], act.row[0]
        if face is not None and np.array_equal(var, face[0]) and np.array_equal(row, face[1]):
            return cone_outcome(pb, out, t, q, cap2, used, tol)
        face = (var.copy(), row.copy())
        line = face_line(pb, var, row, q)
        if line is None:
            return None
        root = ceiling_root(sf.P, line[0], line[1], cap2)
        if root is not None and t_lo < root < t_hi:
            t = root
        else:  # the face's own root lies outside the bracket: bisect
            t, face = 0.5 * (t_lo + t_hi), None
        trial = sf.take(slice(None))
        trial.q = (t * q)[None, :]
        found = solve_single(trial, act, tol)
        if found is None:
            return None
        used += int(found.iterations[0])
        out, act = found, found.active
        if float(out.w[0] @ sf.P @ out.w[0]) > cap2:
            t_hi = t
        else:
            t_lo = t
        if t_hi < 1e-10:
            return None  # the ceiling is (nearly) below the minimum variance
    return None


def warm_ceiling(sf: StandardForm, active: ActiveSet, tol: float
                 ) -> tuple[ActiveSetOutcome, float, float] | None:
    """The cone problem's answer on the warm start's own face, when it holds it: the face's
    line ``w = a + t·b`` (one factorisation), its root of ``wᵀPw = c²`` below t = 1 and
    that point certified by :func:`cone_outcome` (every KKT condition of this problem, the
    ceiling's included). A re-solve whose ceiling binds on the same face as its neighbour's
    (another risk aversion only rescales t; returns a few per cent apart mostly keep the
    face) so costs one face instead of the steps to t = 1 and the walk back down; None
    (the face does not hold it, or it is singular) sends the solve its usual way."""
    pb = _Problem(sf)
    q = pb.q
    face = warm_face(pb, active, q)
    if face is None:
        return None
    var, row, line = face
    cap2 = float(sf.vol_cap[0]) ** 2
    t = ceiling_root(pb.P, line.wa, line.wb, cap2)
    if t is None or not t < 1.0:
        return None
    w, nu = line.at(t)
    out = ActiveSetOutcome(w[None, :], nu[None, :], np.zeros(1), np.ones(1, dtype=bool),
                           np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int64),
                           ActiveSet(var[None, :], np.zeros((1, pb.n)), row[None, :],
                                     np.zeros(1, dtype=bool)))
    return cone_outcome(pb, out, t, q, cap2, 1, tol)


def _walk_down(pb: _Problem, act: ActiveSet, q: np.ndarray, cap2: float, used: int,
               tol: float, line: FaceLine | None = None
               ) -> tuple[ActiveSetOutcome, float, float] | None:
    """The path in t from the plain answer's face (t = 1) down to the ceiling, face by face
    (:func:`tailorfolio.kernel._facepath.follow`: exact breakpoints, one factorisation per
    face); the cone problem's certified answer, or None for the face search below."""
    P = pb.P

    def root(line: FaceLine, t_now: float) -> float | None:
        return ceiling_root(P, line.wa, line.wb, cap2)

    walk = follow(pb, act.var[0], act.row[0], q, 1.0, root, -1.0, t_min=1e-10, t_max=1.0,
                  line=line)
    if walk is None:
        return None
    var, row, line, t, faces = walk
    w, nu = line.at(t)
    out = ActiveSetOutcome(w[None, :], nu[None, :], np.zeros(1), np.ones(1, dtype=bool),
                           np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int64),
                           ActiveSet(var[None, :], np.zeros((1, pb.n)), row[None, :],
                                     np.zeros(1, dtype=bool)))
    return cone_outcome(pb, out, t, q, cap2, used + faces, tol)


def cone_outcome(pb: _Problem, out: ActiveSetOutcome, t: float, q: np.ndarray, cap2: float,
                 used: int, tol: float) -> tuple[ActiveSetOutcome, float, float] | None:
    """The QP's answer ``out`` at t as the cone problem's, certified: ``(outcome with the
    cone's residuals and ν / t, t, ρ)``, or None when a condition misses ``tol``."""
    w = out.w[0]
    pb.q = t * q
    chk_primal, chk_dual, chk_comp = certify(pb, out.active.var[0], out.active.row[0], w,
                                             out.nu[0])
    pb.q = q
    v2 = float(w @ pb.P @ w)
    rho = (1.0 / t - 1.0) / 2
    primal = max(chk_primal, v2 - cap2, 0.0)
    dual = chk_dual / t
    comp = max(chk_comp / t, rho * abs(cap2 - v2))
    if not (rho >= -tol and primal <= tol and dual <= tol and comp <= tol):
        return None
    res = ActiveSetOutcome(out.w, out.nu / t, out.lam, np.ones(1, dtype=bool),
                           np.array([primal]), np.array([dual]), np.array([comp]),
                           np.array([used]), out.active)
    return res, t, rho
