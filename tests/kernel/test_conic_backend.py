"""The kernel against the conic backend built from the same standard form.

``tests/kernel/test_kernel.py`` checks the kernel against a cvxpy problem written by hand
(one class group). Here both sides read one :class:`StandardForm` compiled from a
:class:`ConstraintSet` with per-asset minimums and maximums, two to four class groups
(nested and overlapping), an ESG floor, optionally current weights with linear costs and a
turnover cap, and optionally a volatility ceiling (which binds in some draws): the kernel
solves it exactly, :class:`tailorfolio.optimize._problem.MeanVarianceProblem` (cvxpy, every
number a parameter) hands it to Clarabel at tight tolerances. Every draw is feasible by
construction (the constraints are drawn around a feasible portfolio).

Agreement: the scaled objective (Σ has unit mean variance there, so its terms are of order
one) within 1e-9 of the problem's scale, the same support (weights above 1e-8; draws whose
weights sit near that threshold are ambiguous and skipped), and the same maximum Sharpe
ratio through the homogeneous form.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tailorfolio.kernel import from_constraint_set, homogeneous_form, max_sharpe, solve
from tailorfolio.kernel._standard import StandardForm, scaled_objective
from tailorfolio.optimize import ConstraintSet, GroupBound
from tailorfolio.optimize._problem import (
    ConicProblem,
    MaxSharpeProblem,
    MeanVarianceProblem,
    with_ceiling,
)

from tests.kernel._draws import correlated_covariance

OBJECTIVE_RTOL = 1e-9
SUPPORT = 1e-8
"""A weight above this is held."""
AMBIGUOUS = (1e-10, 1e-6)
"""Weights in this range are too close to the support threshold to compare."""
TIGHT = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10,
             max_iter=400)


def make_problem(seed: int, n: int, gamma: float, with_costs: bool, with_turnover: bool,
                 capped: bool, overlapping: bool = False) -> dict:
    """One feasible problem (the constraints are drawn around a random portfolio)."""
    rng = np.random.default_rng(seed)
    cov, vol = correlated_covariance(rng, n)
    mu = 0.02 + 0.3 * vol + rng.normal(0, 0.03, n)
    w_f = rng.dirichlet(np.ones(n))
    lower = np.where(rng.uniform(size=n) < 0.3, w_f * rng.uniform(0, 1, n), 0.0)
    upper = np.minimum(1.0, w_f + rng.uniform(0.02, 0.6, n))
    groups = []
    broad = (rng.uniform(size=n) < 0.5).astype(float)
    broad[0], broad[-1] = 1.0, 0.0
    memberships = [broad, 1.0 - broad]
    fine = broad * (rng.uniform(size=n) < 0.5)  # nested in the first
    if fine.any() and (fine != broad).any():
        memberships.append(fine)
    if overlapping:
        memberships.append((rng.uniform(size=n) < 0.4).astype(float))
    for k, m in enumerate(memberships):
        if not m.any():
            continue
        x = float(m @ w_f)
        lo = max(0.0, x - rng.uniform(0.0, 0.3)) if rng.uniform() < 0.7 else 0.0
        hi = min(1.0, x + rng.uniform(0.0, 0.3)) if rng.uniform() < 0.7 else 1.0
        groups.append(GroupBound(f"g{k}", "asset_class", m, lo, hi))
    scores = rng.uniform(20, 90, n)
    floor = float(scores @ w_f - rng.uniform(0.0, 10.0))
    w0 = rng.dirichlet(np.ones(n)) if with_costs else None
    rate = rng.uniform(0.0, 0.01, n) if with_costs else 0.0
    tau = (float(np.abs(w_f - w0).sum() + rng.uniform(0.0, 0.5))
           if with_costs and with_turnover else None)
    capped = capped or gamma == 0.0  # a pure return objective needs its ceiling
    cap = float(np.sqrt(w_f @ cov @ w_f) * rng.uniform(1.0, 1.5)) if capped else None
    cs = ConstraintSet([f"A{i}" for i in range(n)], lower, upper, groups=tuple(groups),
                       esg_scores=scores, min_esg_score=floor)
    form = from_constraint_set(cs, cov, expected_return=mu, risk_aversion=gamma,
                               current_weights=w0, cost_rate=rate, max_turnover=tau,
                               max_volatility=cap)
    return dict(cs=cs, cov=cov, mu=mu, form=form)


@st.composite
def problems(draw):
    return make_problem(draw(st.integers(0, 2**31)), draw(st.integers(4, 10)),
                        draw(st.sampled_from([np.inf, 1.0, 4.0, 20.0, 0.0])),
                        draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
                        draw(st.booleans()))


def _clarabel(prob: ConicProblem) -> None:
    prob.problem.solve(solver="CLARABEL", **TIGHT)


def _ambiguous(w: np.ndarray) -> bool:
    return bool(((w > AMBIGUOUS[0]) & (w < AMBIGUOUS[1])).any())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_kernel_matches_the_conic_backend_of_the_same_form(case) -> None:
    sf: StandardForm = case["form"]
    assert "esg_floor" in sf.row_names
    sol = solve(sf)
    prob = MeanVarianceProblem.for_form(sf)
    _clarabel(prob)
    # every draw is feasible, so the kernel must settle it (before ADMM_RESTART_ROUNDS,
    # ~0.4 % of the draws were left to the conic fallback: 6 of 1,500; after, 0 of 5,500)
    assert sol.ok[0], sol.report(0)
    # At these tolerances Clarabel calls most binding-ceiling answers "optimal_inaccurate",
    # yet their objective is within ~3e-11 of the kernel's; they are compared too.
    assume(prob.problem.status in ("optimal", "optimal_inaccurate"))
    w_k, w_c = sol.w[0], prob.point()
    f_k = float(scaled_objective(sf, w_k[None, :])[0])
    f_c = prob.scaled_objective()
    scale = max(1.0, abs(f_c))
    assert abs(f_k - f_c) <= OBJECTIVE_RTOL * scale, (f_k, f_c, f_k - f_c)
    assume(not _ambiguous(w_k) and not _ambiguous(w_c))
    np.testing.assert_array_equal(w_k > SUPPORT, w_c > SUPPORT)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_max_sharpe_matches_the_conic_homogeneous_form(case) -> None:
    cs, cov, mu = case["cs"], case["cov"], case["mu"]
    rf = float(np.min(mu)) - 0.01
    sf = from_constraint_set(cs, cov)
    sol, _ = max_sharpe(sf, mu - rf)
    assert sol.ok[0], sol.report(0)
    prob = MaxSharpeProblem.for_form(homogeneous_form(sf, mu - rf))
    _clarabel(prob)
    assume(prob.problem.status in ("optimal", "optimal_inaccurate"))
    w_c = prob.weights(cs.lower, cs.upper)
    sharpe = lambda w: (mu @ w - rf) / np.sqrt(w @ cov @ w)
    assert abs(sharpe(sol.w[0]) - sharpe(w_c)) <= OBJECTIVE_RTOL * abs(sharpe(w_c))
    assume(not _ambiguous(sol.w[0]) and not _ambiguous(w_c))
    np.testing.assert_array_equal(sol.w[0] > SUPPORT, w_c > SUPPORT)


def test_a_ceiling_on_the_homogeneous_form_caps_the_tangency_portfolio() -> None:
    """‖F y‖ ≤ σ·k is the ceiling on w = y/k: the capped conic answer has that volatility
    and matches the kernel's maximum return at the ceiling (the best Sharpe ratio there)."""
    rng = np.random.default_rng(7)
    n = 6
    a = rng.normal(size=(n, n + 2))
    cov = a @ a.T / n * 0.03
    mu = 0.03 + 0.1 * rng.uniform(size=n)
    cs = ConstraintSet([f"A{i}" for i in range(n)], np.zeros(n), np.full(n, 0.6))
    sf = from_constraint_set(cs, cov)
    free, _ = max_sharpe(sf, mu)
    vol = float(np.sqrt(free.w[0] @ cov @ free.w[0]))
    mv = solve(sf).w[0]
    cap = 0.5 * (vol + float(np.sqrt(mv @ cov @ mv)))
    prob = MaxSharpeProblem.for_form(with_ceiling(homogeneous_form(sf, mu),
                                                  cap / np.sqrt(sf.variance_scale)))
    _clarabel(prob)
    w = prob.weights(cs.lower, cs.upper)
    assert np.sqrt(w @ cov @ w) <= cap * (1 + 1e-8)
    ref = solve(from_constraint_set(cs, cov, expected_return=mu, risk_aversion=0.0,
                                    max_volatility=cap)).w[0]
    np.testing.assert_allclose(w, ref, atol=1e-6)


KERNEL_SETTLED = [
    # (seed, n, gamma, costs, turnover, capped, overlapping groups): pure-return-at-the-
    # ceiling draws with linear costs that the kernel left to the conic fallback until the
    # ceiling search followed the answer face by face (kernel/_solve.py::_ceiling_path).
    (19, 8, 0.0, True, True, False, False),
    (9, 9, 0.0, True, False, False, True),
    # Costs, a turnover cap and class groups that sum to the budget row (linearly dependent
    # rows): the primal-dual steps cycle and 150 ADMM iterations guessed a wrong face; they
    # settle since the last resort iterates ADMM further (kernel/_solve.py::
    # ADMM_RESTART_ROUNDS) — 500 and 2,000 iterations.
    (116, 10, 1.0, True, True, False, True),
    (279, 10, np.inf, True, True, False, True),
]


def _kernel_settles(args) -> None:
    case = make_problem(*args)
    prob = MeanVarianceProblem.for_form(case["form"])
    _clarabel(prob)
    assert prob.problem.status == "optimal"  # feasible
    assert solve(case["form"]).ok[0]


@pytest.mark.parametrize("args", KERNEL_SETTLED)
def test_the_kernel_settles_former_fallback_draws(args) -> None:
    _kernel_settles(args)
