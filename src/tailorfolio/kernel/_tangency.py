"""The maximum-Sharpe portfolio of one problem, found on the frontier's faces (B = 1).

Along the frontier ``w(t) = argmin ½wᵀPw − t eᵀw`` (e the excess return) the Sharpe ratio
``S = eᵀw / √(wᵀPw)`` has ``dS/dt = (eᵀw)′ (wᵀPw − t eᵀw) / σ³``: on any face (fixed
active set) the stationarity of the face gives ``wᵀPw′ = t eᵀw′``. So the tangency is the
frontier point where ``wᵀPw = t·eᵀw`` — the maximum-utility answer at the risk aversion
``γ* = 1/t`` — and on one face, where ``w(t) = a + t·b`` exactly, that equation is linear
in t:

    t* = (α c₁ − β c₀) / (β c₁ − α c₂),   α = eᵀa, β = eᵀb, c₀ = aᵀPa, c₁ = aᵀPb, c₂ = bᵀPb.

The method: start at the budget-only minimum-variance portfolio's ``t = σ²/eᵀw`` (or a
warm start's face's own t*); solve the
maximum-utility problem at t (the kernel's B = 1 path, warm from the previous face); take
that face's t*; stop when the face optimal at t* is the face t* came from (then the point
is exactly the tangency and every KKT condition of the maximum-utility problem at γ* holds,
with ``wᵀPw = t*·eᵀw`` to rounding). The Sharpe ratio is quasi-concave along the frontier
(σ is convex in the expected return), so the stationary point is the maximum. Compared with
the homogeneous reformulation (:func:`tailorfolio.kernel._solve.homogeneous_form`) the
faces live in w-space, P stays positive definite, so the fast dual method applies, and the
answer is usually found on the second or third face.

A cold solve first follows the path itself (:mod:`tailorfolio.kernel._facepath`) toward
the face holding its own t*, raced from both ends one face at a time: up from the
minimum-variance face (t = 0) and down from the maximum-return corner; on a face the
tangency's t is ``aᵀPa / eᵀa`` (:func:`face_tangent`, ``a`` the face's t = 0 point). The
face-by-face re-solves above are the fallback.

The caller falls back to the homogeneous form when this returns None (no positive excess
return on the minimum-variance face, a face whose Sharpe ratio has no stationary point, or
no settled face within :data:`TANGENCY_STEPS`).
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from tailorfolio.kernel._activeset import ActiveSet, ActiveSetOutcome
from tailorfolio.kernel._facepath import (
    FaceLine,
    Walk,
    corner_steps,
    follow,
    race,
    walk_steps,
    warm_face,
)
from tailorfolio.kernel._single import _Problem, certify, face_solve, solve_single
from tailorfolio.kernel._standard import StandardForm
from tailorfolio.typing import FloatArray

TANGENCY_STEPS = 30
"""Faces visited before giving up (the homogeneous form then takes the problem)."""
CORNER_HEAD_START = 4
"""Faces the walk up from the minimum variance takes before the walk down from the corner
starts (then they alternate): on the small-problem benchmark's universes and the default
market the walk up ends after 1 to 5 faces and the corner's takes 15 to 22, so the corner's
set-up and faces were mostly wasted; a tangency near the best assets (a sample covariance)
costs four faces more."""


def _after(steps: Generator[None, None, Walk | None], faces: int
           ) -> Generator[None, None, Walk | None]:
    """``steps`` started after ``faces`` idle turns of a :func:`race` (nothing is built
    before its turn comes)."""
    for _ in range(faces):
        yield None
    return (yield from steps)


def _with_linear(sf: StandardForm, q: FloatArray) -> StandardForm:
    out = sf.take(slice(None))
    out.q = q[None, :]
    return out


def tangency_single(sf: StandardForm, excess: FloatArray, tol: float,
                    active: ActiveSet | None = None
                    ) -> tuple[ActiveSetOutcome, float] | None:
    """The maximum-Sharpe portfolio of problem 0 of the minimum-variance form ``sf``.

    Parameters
    ----------
    sf : StandardForm
        B = 1, no costs, no turnover (:func:`tailorfolio.kernel._single.eligible`), q = 0.
    excess : ndarray (n,)
        μ − r_f, any units (normalised to unit max-norm here).
    tol : float
        KKT tolerance (scaled units).
    active : ActiveSet, optional
        A w-space warm start (a previous tangency's face).

    Returns
    -------
    (outcome, t) or None
        The outcome of the maximum-utility problem at ``t`` (its KKT residuals; the dual
        residual includes ``|wᵀPw − t·eᵀw|``, the tangency condition) and t (scaled units).
    """
    e = np.asarray(excess, float)
    e = e / max(float(np.abs(e).max(initial=0.0)), 1e-300)
    P = sf.P
    used = 0
    pb = _Problem(sf)  # (q = 0: the walks pass their own linear term)
    t = None
    act = None
    if active is not None and active.var.shape == (1, sf.n):  # t* of the warm face itself
        on_face = _on_warm_face(pb, active, e, tol)
        if on_face is not None:  # it holds the tangency: one face, certified
            return on_face
        line = face_line(pb, active.var[0], active.row[0], -e)
        t = None if line is None else tangent_t(P, e, *line)
        act = active
    if t is None:  # the path raced from both ends: up from the minimum variance, down
        # from the maximum-return corner (the tangency may lie near either: a plan's near
        # the minimum variance, a sample covariance's near the few best assets)
        # (the walk from below steps first: when it ends on its first face, the corner
        # is never built)
        mv = solve_single(sf, None, tol, problem=pb)
        walks = []
        if mv is not None:
            used += int(mv.iterations[0])
            walks.append(walk_steps(pb, mv.active.var[0], mv.active.row[0], -e, 0.0,
                                    lambda line, t_now: face_tangent(P, e, line.wa), 0.0,
                                    t_min=0.0))
        corner = corner_steps(pb, -e, lambda line, t_now: face_tangent(P, e, line.wa))
        walks.append(_after(corner, CORNER_HEAD_START if walks else 0))

        def accept(walk: Walk) -> tuple[ActiveSetOutcome, float] | None:
            var, row, line, t_star, faces = walk
            return _certified_line(pb, var, row, line, t_star, e, used + faces, tol)

        found = race(walks, accept)
        if isinstance(found, tuple):  # (accept's value)
            return found
    if t is None:  # the budget-only minimum variance's t = σ²/eᵀw: below the tangency's
        t = _start_t(pb, e)
    if t is None:  # the constrained minimum variance's
        mv = solve_single(sf, None, tol)
        if mv is None:
            return None
        used += int(mv.iterations[0])
        w = mv.w[0]
        r = float(e @ w)
        if r <= 0:
            return None
        t = float(w @ P @ w) / r
        act = mv.active
    face: tuple[np.ndarray, np.ndarray] | None = None
    for _ in range(TANGENCY_STEPS):
        pb.q = -t * e
        out = solve_single(_with_linear(sf, pb.q), act, tol)
        if out is None:
            return None
        used += int(out.iterations[0])
        act = out.active
        var, row = act.var[0], act.row[0]
        if face is not None and np.array_equal(var, face[0]) and np.array_equal(row, face[1]):
            return _certified(pb, var, row, out, t, e, used, tol)  # t is this face's t*
        if face is None:  # the path from this face to the tangency, breakpoint by breakpoint
            walked = _walk(pb, var, row, t, e, used, tol)
            if walked is not None:
                return walked
        face = (var.copy(), row.copy())
        line = face_line(pb, var, row, -e, known=(t, out.w[0]))
        t_star = None if line is None else tangent_t(P, e, *line)
        if t_star is None:
            return None
        t = t_star
    return None


def _on_warm_face(pb: _Problem, active: ActiveSet, e: FloatArray, tol: float
                  ) -> tuple[ActiveSetOutcome, float] | None:
    """The tangency on the warm start's own face, when it holds it: the face's line (one
    factorisation), its t* (:func:`face_tangent`) and that point certified like every
    answer (:func:`_certified`, the tangency condition included); None (the face does
    not hold it, or is singular) leaves ``pb`` as it was for the search."""
    keep = pb.q
    face = warm_face(pb, active, -e)
    t_star = None if face is None else face_tangent(pb.P, e, face[2].wa)
    found = None if face is None or t_star is None else _certified_line(
        pb, face[0], face[1], face[2], t_star, e, 1, tol)
    if found is None:
        pb.q = keep
    return found


def face_line(pb: _Problem, var: np.ndarray, row: np.ndarray, q: FloatArray,
              known: tuple[float, FloatArray] | None = None
              ) -> tuple[FloatArray, FloatArray] | None:
    """On the face ``(var, row)`` the minimiser of ½wᵀPw + t·qᵀw is ``a + t·b`` exactly
    (the face's KKT system is linear in t): ``(a, b)`` from the solve at t = 0 and either
    a known point ``(t, w(t))`` of the face (t > 0) or the solve at t = 1."""
    keep = pb.q
    pb.q = np.zeros_like(q)
    at0 = face_solve(pb, var, row)
    if known is None or not known[0] > 0:
        pb.q = q
        at1 = face_solve(pb, var, row)
        known = None if at1 is None else (1.0, at1[0])
    pb.q = keep
    if at0 is None or known is None:
        return None
    return at0[0], (known[1] - at0[0]) / known[0]


def _start_t(pb: _Problem, e: FloatArray) -> float | None:
    """σ²/eᵀw of the minimum-variance portfolio under the budget alone (w ∝ P⁻¹1): a first
    t below the tangency's; None when its excess return is not positive or P is singular."""
    if not pb.budget_first:
        return None
    try:
        x = np.linalg.solve(pb.P, pb.A[0])
    except np.linalg.LinAlgError:
        return None
    w = x * (pb.rlo[0] / float(pb.A[0] @ x))
    r = float(e @ w)
    if not (r > 0 and np.isfinite(r)):
        return None
    return float(w @ pb.P @ w) / r


def face_tangent(P: FloatArray, e: FloatArray, a: FloatArray) -> float | None:
    """The tangency's t on a face from its t = 0 point ``a`` alone: the face's stationarity
    gives ``bᵀP(a + t b) = t·eᵀb`` for every t (``b`` the face's direction), so
    ``aᵀPb = 0`` and ``bᵀPb = eᵀb``, and the tangency condition ``wᵀPw = t·eᵀw`` becomes
    ``aᵀPa = t·eᵀa``: ``t* = aᵀPa / eᵀa``. Unlike :func:`tangent_t` it holds on a face
    where w does not move with t (a corner: b = 0). None when ``eᵀa ≤ 0``."""
    alpha = float(e @ a)
    if not alpha > 0:
        return None
    t = float(a @ P @ a) / alpha
    return t if t > 0 and np.isfinite(t) else None


def tangent_t(P: FloatArray, e: FloatArray, a: FloatArray, b: FloatArray) -> float | None:
    """The t where the Sharpe ratio of ``a + t·b`` is stationary (module docstring); None
    when it has none with t > 0."""
    alpha, beta = float(e @ a), float(e @ b)
    pa, pbv = P @ a, P @ b
    c0, c1, c2 = float(a @ pa), float(a @ pbv), float(b @ pbv)
    den = beta * c1 - alpha * c2
    if not den or not np.isfinite(den):
        return None
    t = (alpha * c1 - beta * c0) / den
    return t if t > 0 and np.isfinite(t) else None


def _walk(pb: _Problem, var: np.ndarray, row: np.ndarray, t: float, e: FloatArray,
          used: int, tol: float) -> tuple[ActiveSetOutcome, float] | None:
    """From the face optimal at t along the frontier's path to the face holding its own
    t* (:func:`tailorfolio.kernel._facepath.follow`, exact breakpoints); certified, or None
    for the face-by-face re-solves."""
    P = pb.P

    def goal(line: FaceLine, t_now: float) -> float | None:
        return face_tangent(P, e, line.wa)

    walk = follow(pb, var, row, -e, t, goal, 0.0, t_min=0.0)
    if walk is None:
        return None
    var, row, line, t_star, faces = walk
    return _certified_line(pb, var, row, line, t_star, e, used + faces, tol)


def _certified_line(pb: _Problem, var: np.ndarray, row: np.ndarray, line: FaceLine,
                    t_star: float, e: FloatArray, used: int, tol: float
                    ) -> tuple[ActiveSetOutcome, float] | None:
    """:func:`_certified` of the point at ``t_star`` on a face's line."""
    w, nu = line.at(t_star)
    out = ActiveSetOutcome(w[None, :], nu[None, :], np.zeros(1), np.ones(1, dtype=bool),
                           np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int64),
                           ActiveSet(var[None, :], np.zeros((1, pb.n)), row[None, :],
                                     np.zeros(1, dtype=bool)))
    return _certified(pb, var, row, out, t_star, e, used, tol)


def _certified(pb: _Problem, var: np.ndarray, row: np.ndarray, out: ActiveSetOutcome,
               t: float, e: FloatArray, used: int, tol: float
               ) -> tuple[ActiveSetOutcome, float] | None:
    """The outcome at t with the tangency condition added to its dual residual."""
    w = out.w[0]
    var_p = float(w @ pb.P @ w)
    gap = abs(var_p - t * float(e @ w)) / max(var_p, 1e-300)
    pb.q = -t * e
    chk_primal, chk_dual, chk_comp = certify(pb, var, row, w, out.nu[0])
    dual = max(chk_dual, gap)
    ok = chk_primal <= tol and dual <= tol
    if not ok:
        return None
    res = ActiveSetOutcome(out.w, out.nu, out.lam, np.ones(1, dtype=bool),
                           np.array([chk_primal]), np.array([dual]),
                           np.array([chk_comp]), np.array([used]), out.active)
    return res, t
