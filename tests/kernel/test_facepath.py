"""The solution path in t face by face (:mod:`tailorfolio.kernel._facepath`) against the
batched active-set path: the maximum-return corner, the walk to t = 1, the ceiling's root
and the tangency's t on a face."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tailorfolio.kernel._facepath import follow, from_corner, return_corner
from tailorfolio.kernel._single import FREE, _Problem, check_point
from tailorfolio.kernel._standard import StandardForm, scaled_objective
from tailorfolio.kernel._tangency import face_tangent, tangent_t

from tests.kernel.facepath_reference import corner_interval, face_affine
from tests.kernel.test_single import _batched, forms

KKT_TOL = 1e-9
OBJECTIVE_RTOL = 1e-9


def _with_q(sf: StandardForm, q: np.ndarray) -> StandardForm:
    out = sf.take(slice(None))
    out.q = q[None, :]
    return out


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_walk_from_the_corner_is_the_batched_answer(sf: StandardForm) -> None:
    assume(bool(sf.q.any()))
    pb = _Problem(sf)
    walk = from_corner(pb, pb.q, lambda line, t_now: 1.0)
    assume(walk is not None)
    var, row, line, t, faces = walk
    assert t == 1.0 and faces >= 1
    w, nu = line.at(t)
    chk = check_point(pb, var, row, w, nu, KKT_TOL)
    assert chk.count() == 0 and max(chk.primal, chk.dual, chk.complementarity) <= KKT_TOL
    slow = _batched(sf)
    assume(bool(slow.ok[0]))
    f_walk = float(scaled_objective(sf, w[None, :])[0])
    f_slow = float(scaled_objective(sf, slow.w[:1])[0])
    assert abs(f_walk - f_slow) <= OBJECTIVE_RTOL * max(abs(f_slow), 1e-3), (f_walk, f_slow)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_corner_is_the_answer_beyond_its_interval_start(sf: StandardForm) -> None:
    """At any t above the corner face's t_low the batched answer is the corner itself."""
    assume(bool(sf.q.any()))
    pb = _Problem(sf)
    corner = return_corner(pb, pb.q)
    assume(corner is not None)
    line = face_affine(pb, *corner, pb.q)
    assume(line is not None)
    span = corner_interval(pb, *corner, line)
    assume(span is not None and span[1] == np.inf)
    t = 2.0 * span[0] + 1.0
    far = _batched(_with_q(sf, t * pb.q))
    assume(bool(far.ok[0]))
    w_corner = line.at(t)[0]
    f_corner = float(scaled_objective(_with_q(sf, t * pb.q), w_corner[None, :])[0])
    f_far = float(scaled_objective(_with_q(sf, t * pb.q), far.w[:1])[0])
    assert abs(f_corner - f_far) <= OBJECTIVE_RTOL * max(abs(f_far), 1e-3), (f_corner, f_far)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms(), st.floats(0.05, 0.95))
def test_walk_down_stops_on_the_face_of_the_lower_t(sf: StandardForm, fraction: float) -> None:
    """Walking from the answer at t = 1 to a fixed lower t lands on that t's answer."""
    assume(bool(sf.q.any()))
    pb = _Problem(sf)
    top = from_corner(pb, pb.q, lambda line, t_now: 1.0)
    assume(top is not None)
    var, row, _, _, _ = top
    walk = follow(pb, var, row, pb.q, 1.0, lambda line, t_now: fraction, -1.0)
    assume(walk is not None)
    var, row, line, t, _ = walk
    assert t == fraction
    w, nu = line.at(t)
    low = _with_q(sf, fraction * pb.q)
    chk = check_point(_Problem(low), var, row, w, nu, KKT_TOL)
    assert chk.count() == 0 and max(chk.primal, chk.dual, chk.complementarity) <= KKT_TOL
    slow = _batched(low)
    assume(bool(slow.ok[0]))
    f_walk = float(scaled_objective(low, w[None, :])[0])
    f_slow = float(scaled_objective(low, slow.w[:1])[0])
    assert abs(f_walk - f_slow) <= OBJECTIVE_RTOL * max(abs(f_slow), 1e-3), (f_walk, f_slow)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_face_tangent_is_the_general_formula_where_both_apply(sf: StandardForm) -> None:
    assume(bool(sf.q.any()))
    pb = _Problem(sf)
    e = -pb.q / float(np.abs(pb.q).max())
    top = from_corner(pb, -e, lambda line, t_now: 0.5 * t_now)
    assume(top is not None)
    var, row, line, _, _ = top
    assume(int((var == FREE).sum()) >= 2 and float(np.abs(line.wb).max()) > 1e-6)
    general = tangent_t(sf.P, e, line.wa, line.wb)
    mine = face_tangent(sf.P, e, line.wa)
    assume(general is not None)
    assert mine is not None
    # The general formula reads t from the face's direction b too; b's rounding shows as a
    # relative mismatch in the face identity bᵀPb = eᵀb, which is the general formula's own
    # error (on a near-corner face b is tiny, ~1e-6, and the mismatch ~1e-6), while
    # face_tangent reads a alone. The two agree to that, plus 1e-8.
    b = line.wb
    mismatch = abs(float(b @ sf.P @ b) - float(e @ b)) / abs(float(e @ b))
    assert abs(mine - general) <= (1e-8 + 2 * mismatch) * max(1.0, abs(general)), (
        mine, general, mismatch)


def test_a_face_with_nothing_free_and_no_active_row_is_its_bounds() -> None:
    """The empty KKT system (every variable fixed, every row off) is no LAPACK call."""
    from tailorfolio.kernel._activeset import AT_LOWER, AT_UPPER, ROW_OFF
    from tailorfolio.kernel._single import face_solve

    n = 3
    z = np.zeros((1, n))
    sf = StandardForm(np.eye(n), np.ones((1, n)) / np.sqrt(n), ["budget"], -np.ones((1, n)),
                      z.copy(), np.full((1, n), 0.5), z.copy(), z.copy(),
                      np.full((1, 1), 1 / np.sqrt(n)), np.full((1, 1), 1 / np.sqrt(n)),
                      np.array([np.inf]), np.ones(1))
    pb = _Problem(sf)
    pb.eq[:] = False  # (the budget off: a face of the relaxed problem)
    var = np.array([AT_UPPER, AT_LOWER, AT_UPPER], dtype=np.int8)
    row = np.array([ROW_OFF], dtype=np.int8)
    w, nu = face_solve(pb, var, row)
    np.testing.assert_array_equal(w, [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(nu, [0.0])
    line = face_affine(pb, var, row, pb.q)
    assert line is not None
    np.testing.assert_array_equal(line.at(2.0)[0], [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(line.wb, np.zeros(n))


def test_race_takes_the_first_accepted_walk_and_goes_on_past_a_rejected_one() -> None:
    from tailorfolio.kernel._facepath import race

    def walk(faces: int, answer: object):
        for _ in range(faces - 1):
            yield None
        return answer

    order: list[object] = []

    def accept(answer: object) -> object | None:
        order.append(answer)
        return None if answer == "bad" else answer

    assert race([walk(9, "long"), walk(3, "short")], accept) == "short"
    assert order == ["short"]
    order.clear()
    assert race([walk(2, "bad"), walk(4, "good"), walk(8, "late")], accept) == "good"
    assert order == ["bad", "good"]
    assert race([walk(1, None), walk(2, "bad")], accept) is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_corner_span_on_the_walk_is_corner_interval(sf: StandardForm) -> None:
    """The walk's own corner test (on its V and limits) gives corner_interval's t_low and
    its verdict on whether the corner holds as t → ∞."""
    from tailorfolio.kernel._facepath import _corner_span, _Walk

    assume(bool(sf.q.any()))
    pb = _Problem(sf)
    corner = return_corner(pb, pb.q)
    assume(corner is not None)
    wk = _Walk(pb, *corner, pb.q)
    got = wk.line()
    assume(got is not None)
    line, V = got
    old = corner_interval(pb, *corner, line)
    new = _corner_span(V, wk.low, wk.high)
    assert (old is not None and old[1] == np.inf) == (new is not None)
    if new is not None:
        assert abs(new[0] - old[0]) <= 1e-12 * max(1.0, old[0])
