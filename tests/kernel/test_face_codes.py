"""The face walk's and the single-problem check's table look-ups (one code per variable and
per row) against the conditions' definitions, on random faces of a problem with a pinned
variable, an equality row and inequality rows (the tables replaced a dozen masks: these
say the look-ups name the same conditions and signs)."""

from __future__ import annotations

import dataclasses

import numpy as np

from tailorfolio.kernel import from_constraint_set
from tailorfolio.kernel._activeset import AT_LOWER, AT_UPPER, FREE, ROW_HI, ROW_LO, ROW_OFF
from tailorfolio.kernel._single import _Problem, certify, check_point
from tailorfolio.optimize import GroupBound, unconstrained
from tests.kernel.facepath_reference import face_affine, face_conditions


def _problem(n: int = 12) -> _Problem:
    rng = np.random.default_rng(3)
    f = rng.normal(0.0, 0.1, (n, 3))
    cov = f @ f.T + np.diag(rng.uniform(0.01, 0.04, n))
    bond = (np.arange(n) < n // 3).astype(float)
    lower, upper = np.zeros(n), np.full(n, 0.3)
    lower[1] = upper[1] = 0.02  # pinned
    cs = dataclasses.replace(unconstrained([f"A{i}" for i in range(n)]), lower=lower,
                             upper=upper, groups=(GroupBound("b", "c", bond, 0.3, 1.0),
                                                  GroupBound("s", "c", 1 - bond, 0.0, 0.9)))
    pb = _Problem(from_constraint_set(cs, cov, expected_return=rng.uniform(0.02, 0.1, n),
                                      risk_aversion=3.0))
    assert pb.pinned.any() and pb.eq.any() and pb.ineq_row.any()
    return pb


def test_face_conditions_tables_match_definitions() -> None:
    pb = _problem()
    n, r = pb.n, pb.r
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(200):
        var = rng.integers(0, 4, n).astype(np.int8)
        row = rng.integers(0, 3, r).astype(np.int8)
        line = face_affine(pb, var, row, pb.q)
        if line is None:
            continue
        ca, _, applies = face_conditions(pb, var, row, line)
        free, off = var == FREE, row == ROW_OFF
        at_lo = (var == AT_LOWER) & ~pb.pinned
        want = np.concatenate([free, free, at_lo | (var == AT_UPPER), off, off,
                               ~off & pb.ineq_row]) & np.isfinite(ca)
        assert np.array_equal(applies, want)
        g_sign = np.where(at_lo, 1.0, -1.0)
        nu_sign = np.where((row == ROW_LO) & pb.ineq_row, -1.0, 1.0)
        assert np.array_equal(ca[2 * n:3 * n], g_sign * line.G[:, 0])
        assert np.array_equal(ca[3 * n + 2 * r:], nu_sign * line.N[:, 0])
        checked += 1
    assert checked > 50


def test_check_point_tables_match_definitions() -> None:
    pb = _problem()
    n, r = pb.n, pb.r
    rng = np.random.default_rng(1)
    for _ in range(200):
        var = rng.integers(0, 4, n).astype(np.int8)
        row = rng.integers(0, 3, r).astype(np.int8)
        w, nu = rng.uniform(-0.1, 0.4, n), rng.normal(0.0, 1.0, r)
        chk = check_point(pb, var, row, w, nu, 1e-9)
        free, off = var == FREE, row == ROW_OFF
        ok = [free, free, (var == AT_LOWER) & ~pb.pinned, var == AT_UPPER, off, off,
              (row == ROW_LO) & pb.ineq_row, (row == ROW_HI) & pb.ineq_row]
        for mask, amount, cond in zip(chk.masks, chk.amounts, ok):
            assert np.array_equal(mask, cond & (amount > 1e-9))
        assert chk.count() == sum(int(m.sum()) for m in chk.masks)


def test_certify_measures_check_points_residuals() -> None:
    """The answers' certificate (:func:`certify`, no masks) gives check_point's primal,
    dual and complementarity residuals on random faces and points, NaN included."""
    pb = _problem()
    n, r = pb.n, pb.r
    rng = np.random.default_rng(2)
    for k in range(300):
        var = rng.integers(0, 4, n).astype(np.int8)
        row = rng.integers(0, 3, r).astype(np.int8)
        w, nu = rng.uniform(-0.1, 0.4, n), rng.normal(0.0, 1.0, r)
        nu[row == ROW_OFF] = 0.0  # (a face's inactive rows carry no multiplier)
        if k % 50 == 0:
            w[k % n] = np.nan
        chk = check_point(pb, var, row, w, nu, 1e-9)
        got = certify(pb, var, row, w, nu)
        want = (chk.primal, chk.dual, chk.complementarity)
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0.0)


def test_walk_breakpoints_are_next_breakpoint() -> None:
    """The walk's V (one entry per condition, inside its limits) gives the face's line and
    the ratio test's distance of the stacked conditions of face_conditions, both ways."""
    from tailorfolio.kernel._facepath import _Walk
    from tests.kernel.facepath_reference import next_breakpoint

    pb = _problem()
    n, r = pb.n, pb.r
    rng = np.random.default_rng(4)
    checked = 0
    for _ in range(600):
        var = rng.integers(0, 3, n).astype(np.int8)
        var[pb.pinned] = AT_LOWER
        row = rng.integers(0, 3, r).astype(np.int8)
        row[pb.eq] = ROW_LO
        wk = _Walk(pb, var, row, pb.q)
        face = wk.face.nonzero()[0]
        if np.linalg.cond(pb.kkt_matrix()[np.ix_(face, face)]) > 1e10:
            continue  # (a singular face: two solvers' garbage need not agree)
        line = face_affine(pb, var, row, pb.q)
        got = wk.line()
        if line is None or got is None:
            continue
        mine, V = got
        np.testing.assert_allclose(mine.W, line.W, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mine.N, line.N, rtol=1e-10, atol=1e-12)
        for t_now, direction in ((1.0, -1.0), (1.0, 1.0), (0.3, -1.0)):
            want = next_breakpoint(pb, var, row, line, t_now, direction)[0]
            have = _Walk(pb, var, row, pb.q).breakpoint(V, t_now, direction)[0]
            assert (want == have == np.inf) or abs(want - have) <= 1e-9 * (1 + abs(want)), (
                want, have)
        checked += 1
    assert checked > 50


def test_compile_merges_groups_of_one_membership_as_assemble_matrix() -> None:
    """The one-problem row assembly hands identical rows (two class groups with one
    membership) to assemble_matrix: one row, the ranges intersected, the names joined."""
    from tailorfolio.kernel._standard import assemble_matrix

    n = 6
    bond = (np.arange(n) < 2).astype(float)
    cs = dataclasses.replace(unconstrained([f"A{i}" for i in range(n)]),
                             groups=(GroupBound("b", "c", bond, 0.2, 0.9),
                                     GroupBound("b2", "c", 2 * bond, 0.3, 1.0),
                                     GroupBound("s", "c", 1 - bond, 0.1, 1.0)))
    sf = from_constraint_set(cs, np.eye(n) * 0.04)
    rows = np.array([np.ones(n), bond, 2 * bond, 1 - bond])
    lo = np.array([[1.0], [0.2], [0.3], [0.1]])
    hi = np.array([[1.0], [0.9], [np.inf], [np.inf]])
    A, names, rlo, rhi = assemble_matrix(["budget", "class:b", "class:b2", "class:s"], rows,
                                         lo, hi)
    assert sf.row_names == names == ["budget", "class:b|class:b2", "class:s"]
    np.testing.assert_array_equal(sf.A, A)
    np.testing.assert_array_equal(sf.row_lo, rlo)
    np.testing.assert_array_equal(sf.row_hi, rhi)
