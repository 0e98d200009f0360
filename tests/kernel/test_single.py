"""The B = 1 fast path (lean primal-dual loop, Goldfarb–Idnani dual method) against the
batched active-set path: same supports, same objectives, every answer KKT-certified."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tailorfolio.kernel import solve
from tailorfolio.kernel._activeset import active_set_solve, kkt_check
from tailorfolio.kernel._project import project_box_budget, project_box_budget_one
from tailorfolio.kernel._single import (
    AT_LOWER,
    FREE,
    _Problem,
    check_point,
    cold_guess,
    dual_active_set_solve,
    eligible,
    face_solve,
    primal_dual_steps,
    return_guess,
)
from tailorfolio.kernel._solve import cold_start
from tailorfolio.kernel._standard import StandardForm, assemble_rows, scaled_objective

KKT_TOL = 1e-9
OBJECTIVE_RTOL = 1e-9
SUPPORT_GAP = 1e-9


@st.composite
def forms(draw) -> StandardForm:
    """A random B = 1 w-space form: budget, a class band, sometimes a return floor,
    bounds with excluded (pinned) assets, γ from minimum variance down to 0.3."""
    n = draw(st.integers(3, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    a = rng.normal(size=(n, draw(st.integers(2, 5))))
    cov = a @ a.T * 0.02 + np.diag(rng.uniform(0.01, 0.2, n) ** 2)
    d = float(np.mean(np.diag(cov)))
    mu = 0.02 + 0.4 * np.sqrt(np.diag(cov)) * rng.uniform(0.2, 1.0, n)
    gamma = draw(st.sampled_from([np.inf, 0.3, 1.0, 3.0, 20.0]))
    upper = np.minimum(1.0, rng.uniform(1.5 / n, 2.5 / n, n))
    lower = np.zeros(n)
    excluded = rng.uniform(size=n) < (0.2 if draw(st.booleans()) else 0.0)
    excluded[0] = False
    upper[excluded] = 0.0
    assume(upper.sum() >= 1.05)
    members = (rng.uniform(size=n) < 0.4).astype(float)
    members[0] = 1.0
    band_lo = float(rng.uniform(0.0, 0.5) * min(1.0, members @ upper))
    named = [("budget", np.ones(n), np.ones(1), np.ones(1)),
             ("class:x", members, np.array([band_lo if band_lo > 0.05 else -np.inf]),
              np.array([np.inf]))]
    if draw(st.booleans()):
        floor = float(np.quantile(mu, draw(st.floats(0.1, 0.6))))
        named.append(("min_return", mu, np.array([floor]), np.array([np.inf])))
    A, names, rlo, rhi = assemble_rows(n, 1, named)
    scale = d if np.isinf(gamma) else gamma * d
    q = np.zeros(n) if np.isinf(gamma) else -mu / scale
    z = np.zeros((1, n))
    return StandardForm(cov / d, A, names, q[None, :], lower[None, :], upper[None, :],
                        z.copy(), z.copy(), rlo, rhi, np.array([np.inf]), np.array([scale]),
                        variance_scale=d, gamma=np.array([gamma]))


def _batched(sf: StandardForm):
    """The batched path on its own: the problem twice (B = 2), so no fast path applies."""
    two = StandardForm.concat([sf, sf])
    return solve(two)


def _support(sf: StandardForm, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.abs(w - sf.lower[0]) <= SUPPORT_GAP, np.abs(w - sf.upper[0]) <= SUPPORT_GAP)


def _unambiguous(sf: StandardForm, w: np.ndarray) -> bool:
    g = np.concatenate([np.abs(w - sf.lower[0]), np.abs(w - sf.upper[0])])
    return not ((g > SUPPORT_GAP) & (g < 1e-5)).any()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_fast_path_matches_batched_path(sf: StandardForm) -> None:
    assert eligible(sf)
    slow = _batched(sf)
    assume(bool(slow.ok[0]))
    fast = solve(sf)
    assert fast.ok[0] and fast.report(0).max_residual <= KKT_TOL, fast.report(0)
    f_fast = float(scaled_objective(sf, fast.w)[0])
    f_slow = float(scaled_objective(sf, slow.w[:1])[0])
    assert abs(f_fast - f_slow) <= OBJECTIVE_RTOL * max(abs(f_slow), 1e-3), (f_fast, f_slow)
    if _unambiguous(sf, slow.w[0]):
        for mine, theirs in zip(_support(sf, fast.w[0]), _support(sf, slow.w[0])):
            np.testing.assert_array_equal(mine, theirs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_dual_method_finds_a_certified_face(sf: StandardForm) -> None:
    found = dual_active_set_solve(sf, 4 * sf.n + 50)
    slow = _batched(sf)
    assume(bool(slow.ok[0]))
    assert found is not None  # P ≻ 0 here and the problem is feasible
    out = active_set_solve(sf, found[0], max_iter=1)
    prim, dual, _, _ = kkt_check(sf, out.active, out.w, out.nu, out.lam, KKT_TOL)
    assert out.ok[0] and prim[0] <= KKT_TOL and dual[0] <= KKT_TOL
    np.testing.assert_allclose(out.w[0], slow.w[0], atol=1e-8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms(), st.floats(0.8, 1.25))
def test_warm_start_from_a_neighbour_gives_the_same_answer(sf: StandardForm,
                                                           factor: float) -> None:
    """The plan's portfolio family: a neighbouring problem's active set as the start."""
    first = solve(sf)
    assume(bool(first.ok[0]))
    near = sf.with_linear_factor(np.array([factor]))
    warm = solve(near, active=first.active)
    cold = _batched(near)
    assume(bool(cold.ok[0]))
    assert warm.ok[0]
    f_w = float(scaled_objective(near, warm.w)[0])
    f_c = float(scaled_objective(near, cold.w[:1])[0])
    assert abs(f_w - f_c) <= OBJECTIVE_RTOL * max(abs(f_c), 1e-3)


def test_lean_loop_stops_on_a_stall_instead_of_cycling() -> None:
    """With stop_on_stall the lean loop gives up (None) or returns a face that passes the
    batched check: it never returns an unchecked wrong face."""
    rng = np.random.default_rng(3)
    n = 16
    a = rng.normal(size=(n, 3))
    cov = a @ a.T * 0.02 + np.diag(rng.uniform(0.01, 0.2, n) ** 2)
    d = float(np.mean(np.diag(cov)))
    mu = 0.02 + 0.4 * np.sqrt(np.diag(cov))
    A, names, rlo, rhi = assemble_rows(n, 1, [("budget", np.ones(n), np.ones(1), np.ones(1))])
    z = np.zeros((1, n))
    sf = StandardForm(cov / d, A, names, (-mu / (0.3 * d))[None, :], z.copy(),
                      np.full((1, n), 0.25), z.copy(), z.copy(), rlo, rhi,
                      np.array([np.inf]), np.array([0.3 * d]), variance_scale=d)
    act = cold_start(sf)
    found = primal_dual_steps(_Problem(sf), act.var[0], act.row[0], 10, KKT_TOL, stall=2,
                              stop_on_stall=True)
    if found is not None:
        var, row = found[0], found[1]
        face = cold_start(sf)
        face.var[0], face.row[0] = var, row
        assert active_set_solve(sf, face, max_iter=1).ok[0]
    assert solve(sf).ok[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms(), st.integers(0, 2**31))
def test_lean_check_agrees_with_the_batched_check(sf: StandardForm, seed: int) -> None:
    """check_point (the fast path's certificate) measures the same primal and dual
    residuals as the batched kkt_check, on right and wrong faces alike."""
    rng = np.random.default_rng(seed)
    pb = _Problem(sf)
    act = cold_start(sf)
    var = act.var[0].copy()
    flip = rng.uniform(size=sf.n) < 0.3
    var[flip & (var == FREE)] = AT_LOWER
    act.var[0] = var
    got = face_solve(pb, act.var[0], act.row[0])
    assume(got is not None)
    w, nu = got
    lean = check_point(pb, act.var[0], act.row[0], w, nu, KKT_TOL)
    prim, dual, _, _ = kkt_check(sf, act, w[None, :], nu[None, :], np.zeros(1), KKT_TOL)
    assert abs(lean.primal - prim[0]) <= 1e-12 * (1 + prim[0])
    assert abs(lean.dual - dual[0]) <= 1e-12 * (1 + dual[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms())
def test_hot_started_dual_method_gives_the_cold_answer(sf: StandardForm) -> None:
    """Any guess is a valid start: the wrong-signed constraints are dropped first."""
    assume(bool(np.any(sf.q)))
    cold = dual_active_set_solve(sf, 4 * sf.n + 50)
    hot = dual_active_set_solve(sf, 4 * sf.n + 50, start=return_guess(_Problem(sf)))
    assume(cold is not None)
    assert hot is not None
    pb = _Problem(sf)
    w_c = face_solve(pb, cold[0].var[0], cold[0].row[0])[0]
    w_h = face_solve(pb, hot[0].var[0], hot[0].row[0])[0]
    np.testing.assert_allclose(w_h, w_c, atol=1e-8)


def test_one_vector_projection_is_the_batched_projection() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(2, 40))
        v = rng.normal(size=n) * rng.uniform(0.1, 5)
        lo = np.where(rng.uniform(size=n) < 0.3, -rng.uniform(size=n), 0.0)
        up = lo + rng.uniform(0, 1, n)
        total = float(rng.uniform(lo.sum(), up.sum()))
        one = project_box_budget_one(v, lo, up, total)
        many = project_box_budget(v[None], lo[None], up[None], np.array([total]))[0]
        np.testing.assert_allclose(one, many, atol=1e-13)
        assert abs(one.sum() - total) <= 1e-12


def test_cold_guess_of_a_sharpe_form_is_the_cold_set() -> None:
    """Without a budget row first (the homogeneous form), no projection is attempted."""
    n = 4
    A, names, rlo, rhi = assemble_rows(n, 1, [("normalisation", np.ones(n), np.ones(1),
                                                np.ones(1))])
    z = np.zeros((1, n))
    sf = StandardForm(np.eye(n), A, names, z.copy(), z.copy(), np.ones((1, n)), z.copy(),
                      z.copy(), rlo, rhi, np.array([np.inf]), np.ones(1))
    var, row = cold_guess(_Problem(sf))
    assert (var == FREE).all() and row.tolist() == [1]
