"""The B = 1 ceiling search on the faces against the batched search: the same answer, on
the ceiling, every cone KKT condition certified."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tailorfolio.kernel._solve import solve
from tailorfolio.kernel._standard import StandardForm, scaled_objective

from tests.kernel.test_single import forms

KKT_TOL = 1e-9


def _capped(sf: StandardForm, fraction: float) -> StandardForm | None:
    plain = solve(sf)
    if not plain.ok[0]:
        return None
    out = sf.take(slice(None))
    out.vol_cap = np.array([fraction * float(np.sqrt(plain.w[0] @ sf.P @ plain.w[0]))])
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(forms(), st.floats(0.5, 0.95))
def test_single_ceiling_matches_the_batched_search(sf: StandardForm, fraction: float) -> None:
    assume(bool(np.any(sf.q)))
    capped = _capped(sf, fraction)
    assume(capped is not None)
    two = solve(StandardForm.concat([capped, capped]))  # B = 2: the batched search
    assume(bool(two.ok[0]) and not two.infeasible[0])
    one = solve(capped)
    assert one.ok[0], one.report(0)
    rep = one.report(0)
    assert rep.max_residual <= KKT_TOL
    v1 = float(one.w[0] @ capped.P @ one.w[0])
    assert abs(v1 - capped.vol_cap[0] ** 2) <= 1e-9 * capped.vol_cap[0] ** 2
    f1 = float(scaled_objective(capped, one.w)[0])
    f2 = float(scaled_objective(capped, two.w[:1])[0])
    assert abs(f1 - f2) <= 1e-9 * max(abs(f2), 1e-3)
    assert one.ceiling_multiplier[0] >= 0
    np.testing.assert_allclose(one.ceiling_multiplier[0], two.ceiling_multiplier[0],
                               rtol=1e-6, atol=1e-9)


def test_a_plan_sized_ceiling_is_settled_on_the_faces() -> None:
    """The lean search answers itself (not the batched fallback) on a typical problem."""
    from tailorfolio.kernel._single import CeilingAnswer, solve_single
    from tailorfolio.kernel._solve import _single_ceiling
    from tailorfolio.kernel._standard import assemble_rows

    rng = np.random.default_rng(2)
    n = 16
    a = rng.normal(0, 0.12, (n, 3))
    cov = a @ a.T + np.diag(rng.uniform(0.01, 0.06, n) ** 2)
    d = float(np.mean(np.diag(cov)))
    mu = 0.02 + 0.5 * np.sqrt(np.diag(cov)) * rng.uniform(0.3, 1.0, n)
    bond = np.zeros(n)
    bond[:5] = 1.0
    A, names, rlo, rhi = assemble_rows(n, 1, [
        ("budget", np.ones(n), np.ones(1), np.ones(1)),
        ("class:bond", bond, np.array([0.3]), np.array([np.inf]))])
    z = np.zeros((1, n))
    sf = StandardForm(cov / d, A, names, (-mu / (3 * d))[None, :], z.copy(),
                      np.full((1, n), 0.25), z.copy(), z.copy(), rlo, rhi,
                      np.array([np.inf]), np.array([3 * d]), variance_scale=d)
    capped = _capped(sf, 0.8)
    plain = solve_single(capped, None, KKT_TOL)
    got = _single_ceiling(capped, plain, KKT_TOL)
    assert got is not None and got.ok[0] and got.linear_factor[0] < 1
    # one walk from the corner straight to the ceiling gives the same certified answer
    walked = solve_single(capped, None, KKT_TOL, ceiling=True)
    assert isinstance(walked, CeilingAnswer) and walked.t < 1
    np.testing.assert_allclose(walked.outcome.w[0], got.w[0], atol=1e-12)
    assert not isinstance(plain, CeilingAnswer)  # without the flag: the answer at t = 1
    one = solve(capped)
    assert one.ok[0] and one.linear_factor[0] < 1
    np.testing.assert_allclose(one.w[0], got.w[0], atol=1e-12)
    np.testing.assert_allclose(one.ceiling_multiplier[0], got.ceiling_multiplier[0],
                               rtol=1e-9)
