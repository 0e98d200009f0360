"""The w-space tangency (on the frontier's faces) against the homogeneous QP: the same
portfolio, the tangency condition wᵀPw = t·eᵀw to rounding, every answer KKT-certified."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tailorfolio.kernel._solve import homogeneous_form, max_sharpe, solve
from tailorfolio.kernel._standard import StandardForm, assemble_rows
from tailorfolio.kernel._tangency import tangency_single

KKT_TOL = 1e-9
SHARPE_RTOL = 1e-9


@st.composite
def problems(draw) -> tuple[StandardForm, np.ndarray]:
    """A minimum-variance form (budget, a class band, caps, exclusions) and excess returns
    with at least one positive entry."""
    n = draw(st.integers(3, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    a = rng.normal(size=(n, draw(st.integers(1, 5))))
    cov = a @ a.T * 0.02 + np.diag(rng.uniform(0.005, 0.2, n) ** 2)
    d = float(np.mean(np.diag(cov)))
    excess = rng.normal(0.03, 0.04, n)
    excess[0] = abs(excess[0]) + 0.01
    upper = np.minimum(1.0, rng.uniform(1.2 / n, 3.0 / n, n)) if draw(st.booleans()) \
        else np.ones(n)
    excluded = rng.uniform(size=n) < (0.2 if draw(st.booleans()) else 0.0)
    excluded[0] = False
    upper[excluded] = 0.0
    assume(upper.sum() >= 1.05)
    members = (rng.uniform(size=n) < 0.4).astype(float)
    members[0] = 1.0
    band_lo = float(rng.uniform(0.0, 0.6) * min(1.0, members @ upper))
    A, names, rlo, rhi = assemble_rows(n, 1, [
        ("budget", np.ones(n), np.ones(1), np.ones(1)),
        ("class:x", members, np.array([band_lo if band_lo > 0.05 else -np.inf]),
         np.array([np.inf]))])
    z = np.zeros((1, n))
    sf = StandardForm(cov / d, A, names, z.copy(), z.copy(), upper[None, :], z.copy(),
                      z.copy(), rlo, rhi, np.array([np.inf]), np.array([d]), variance_scale=d)
    return sf, excess


def _sharpe(sf: StandardForm, e: np.ndarray, w: np.ndarray) -> float:
    return float(e @ w) / float(np.sqrt(w @ sf.P @ w))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(problems())
def test_tangency_on_the_faces_is_the_homogeneous_answer(case) -> None:
    sf, e = case
    ref = solve(homogeneous_form(sf, e))
    assume(bool(ref.ok[0]) and ref.w[0, -1] > 0)
    w_ref = ref.w[0, :-1] / ref.w[0, -1]
    assume(float(e @ w_ref) > 0)
    found = tangency_single(sf, e, KKT_TOL)
    if found is None:  # the caller then uses the homogeneous form: still an answer
        sol, hf = max_sharpe(sf, e)
        assert hf is not None and sol.ok[0]
        return
    out, t = found
    w = out.w[0]
    assert out.ok[0] and out.primal_residual[0] <= KKT_TOL and out.dual_residual[0] <= KKT_TOL
    en = e / np.abs(e).max()
    assert abs(w @ sf.P @ w - t * en @ w) <= 1e-9 * (w @ sf.P @ w)
    s, s_ref = _sharpe(sf, e, w), _sharpe(sf, e, w_ref)
    assert s >= s_ref - SHARPE_RTOL * abs(s_ref), (s, s_ref)


def test_max_sharpe_answers_on_the_faces_and_says_so() -> None:
    rng = np.random.default_rng(11)
    n = 12
    a = rng.normal(size=(n, 3))
    cov = a @ a.T * 0.02 + np.diag(rng.uniform(0.01, 0.2, n) ** 2)
    A, names, rlo, rhi = assemble_rows(n, 1, [("budget", np.ones(n), np.ones(1), np.ones(1))])
    z = np.zeros((1, n))
    sf = StandardForm(cov, A, names, z.copy(), z.copy(), np.full((1, n), 0.3), z.copy(),
                      z.copy(), rlo, rhi, np.array([np.inf]), np.ones(1))
    e = 0.02 + 0.3 * np.sqrt(np.diag(cov))
    sol, hf = max_sharpe(sf, e)
    assert hf is None and sol.ok[0]
    ref = solve(homogeneous_form(sf, e))
    np.testing.assert_allclose(sol.w[0], ref.w[0, :-1] / ref.w[0, -1], atol=1e-9)
    again, _ = max_sharpe(sf, e * 1.05, active=sol.active)  # warm: same portfolio
    np.testing.assert_allclose(again.w[0], sol.w[0], atol=1e-9)
