"""The kernel against Clarabel (through cvxpy) on random feasible problems.

Each draw is a long-only problem with per-asset bounds (some minimums), one class group with
a minimum and a maximum, optionally current weights with linear costs and a turnover cap, and
optionally a volatility ceiling that binds. Clarabel runs with tight tolerances (1e-12); the
kernel must match its objective to 1e-9 relative, hold the same assets at their bounds (where
Clarabel's answer is unambiguous about it), and certify its own answer with KKT residuals of
at most 1e-9. Batches must give the answers of single solves, and daily units those of annual.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tailorfolio.kernel import (
    KKTReport,
    StandardForm,
    from_constraint_set,
    max_sharpe,
    solve,
)
from tailorfolio.optimize import ConstraintSet, GroupBound

from tests.kernel._draws import correlated_covariance

OBJECTIVE_RTOL = 1e-9
KKT_TOL = 1e-9
SUPPORT_GAP = 1e-6
"""Clarabel entries within this of a bound count as at it; ambiguous draws are skipped."""


def _clarabel(p: cp.Problem) -> None:
    """Solve the reference; a draw Clarabel itself fails on (a SolverError at these tight
    tolerances) leaves ``p.status`` unset, so the callers' ``assume`` on an optimal status
    skips it (the reference, not the kernel, has no answer there)."""
    try:
        p.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
                tol_ktratio=1e-10, max_iter=400)
    except cp.error.SolverError:
        pass


@st.composite
def problems(draw):
    n = draw(st.integers(3, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    cov, vol = correlated_covariance(rng, n)
    mu = 0.02 + 0.3 * vol + rng.normal(0, 0.03, n)
    upper = rng.uniform(1.3 / n, 1.0, n)
    lower = np.where(rng.uniform(size=n) < 0.3, rng.uniform(0, 0.6 / n, n), 0.0)
    members = (rng.uniform(size=n) < 0.5).astype(float)
    members[0] = 1.0
    reach = float(min(1.0, members @ upper))
    g_lo = float(rng.uniform(members @ lower, reach) * 0.4)
    g_hi = float(min(1.0, max(g_lo + 0.1, rng.uniform(g_lo, reach))))
    gamma = draw(st.sampled_from([np.inf, 1.0, 4.0, 20.0]))
    with_costs = draw(st.booleans())
    w0 = rng.dirichlet(np.ones(n)) if with_costs else None
    rate = rng.uniform(0.0, 0.01, n) if with_costs else 0.0
    tau = float(rng.uniform(0.2, 1.0)) if with_costs and draw(st.booleans()) else None
    capped = draw(st.booleans()) and np.isfinite(gamma)
    return dict(mu=mu, cov=cov, lower=lower, upper=upper, members=members, g_lo=g_lo,
                g_hi=g_hi, gamma=gamma, w0=w0, rate=rate, tau=tau, capped=capped,
                cap_mix=float(rng.uniform(0.15, 0.85)))


def _cs(case) -> ConstraintSet:
    n = len(case["mu"])
    return ConstraintSet([f"A{i}" for i in range(n)], case["lower"], case["upper"],
                         groups=(GroupBound("g", "asset_class", case["members"], case["g_lo"],
                                            case["g_hi"]),))


def _reference(case, cap: float | None):
    """Clarabel's answer and objective (utility units; minimised)."""
    mu, cov, n = case["mu"], case["cov"], len(case["mu"])
    w = cp.Variable(n)
    gamma = case["gamma"]
    risk = cp.quad_form(w, cp.psd_wrap(cov))
    obj = 0.5 * risk if not np.isfinite(gamma) else -(mu @ w) + gamma / 2 * risk
    cons = [cp.sum(w) == 1, w >= case["lower"], w <= case["upper"],
            case["members"] @ w >= case["g_lo"], case["members"] @ w <= case["g_hi"]]
    if case["w0"] is not None:
        obj = obj + case["rate"] @ cp.abs(w - case["w0"])
        if case["tau"] is not None:
            cons.append(cp.norm1(w - case["w0"]) <= case["tau"])
    if cap is not None:
        cons.append(risk <= cap ** 2)
    p = cp.Problem(cp.Minimize(obj), cons)
    _clarabel(p)
    if p.status != "optimal":
        return None, None
    return np.asarray(w.value), float(p.value)


def _objective(case, w: np.ndarray) -> float:
    mu, cov, gamma = case["mu"], case["cov"], case["gamma"]
    f = 0.5 * w @ cov @ w if not np.isfinite(gamma) else -(mu @ w) + gamma / 2 * w @ cov @ w
    if case["w0"] is not None:
        f += float(case["rate"] @ np.abs(w - case["w0"]))
    return float(f)


def _form(case, cap: float | None, units: float = 1.0) -> StandardForm:
    return from_constraint_set(_cs(case), case["cov"] * units,
                               expected_return=case["mu"] * units,
                               risk_aversion=case["gamma"], current_weights=case["w0"],
                               cost_rate=np.asarray(case["rate"]) * units,
                               max_turnover=case["tau"],
                               max_volatility=None if cap is None else cap * np.sqrt(units))


def _cap(case) -> float | None:
    """A ceiling between the minimum-variance and the plain answer's volatility (binds)."""
    if not case["capped"]:
        return None
    w_plain, _ = _reference(case, None)
    mv = dict(case, gamma=np.inf)
    w_mv, _ = _reference(mv, None)
    if w_plain is None or w_mv is None:
        return None
    v = lambda w: float(np.sqrt(w @ case["cov"] @ w))
    if v(w_plain) - v(w_mv) < 1e-3 * v(w_plain):
        return None
    return (1 - case["cap_mix"]) * v(w_mv) + case["cap_mix"] * v(w_plain)


def _support(w: np.ndarray, lo: np.ndarray, up: np.ndarray, w0) -> tuple[np.ndarray, ...]:
    at_lo = np.abs(w - lo) <= SUPPORT_GAP
    at_up = np.abs(w - up) <= SUPPORT_GAP
    at_w0 = (np.abs(w - w0) <= SUPPORT_GAP) if w0 is not None else np.zeros(len(w), bool)
    return at_lo, at_up, at_w0


def _unambiguous(w: np.ndarray, lo, up, w0) -> bool:
    gaps = [np.abs(w - lo), np.abs(w - up)] + ([np.abs(w - w0)] if w0 is not None else [])
    g = np.concatenate(gaps)
    return not ((g > SUPPORT_GAP) & (g < 1e-4)).any()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_kernel_matches_clarabel_objective_and_support(case) -> None:
    cap = _cap(case)
    ref, f_ref = _reference(case, cap)
    assume(ref is not None)
    sol = solve(_form(case, cap))
    assert sol.ok[0], sol.report(0)
    rep: KKTReport = sol.report(0)
    assert rep.satisfied and rep.max_residual <= KKT_TOL
    w = sol.w[0]
    f = _objective(case, w)
    scale = max(abs(f_ref), float(np.abs(case["cov"]).max()) * 1e-2)
    # never worse than the reference; below it only by Clarabel's own inaccuracy (it warns
    # "may be inaccurate" on some of these cases, the kernel's point is KKT-certified)
    assert f - f_ref <= OBJECTIVE_RTOL * scale, (f, f_ref)
    assert f_ref - f <= 10 * OBJECTIVE_RTOL * scale, (f, f_ref)
    if cap is not None:
        assert np.sqrt(w @ case["cov"] @ w) == pytest.approx(cap, rel=1e-10)
        assert rep.ceiling_multiplier > 0
    lo, up = case["lower"], case["upper"]
    if _unambiguous(ref, lo, up, case["w0"]):
        for mine, theirs in zip(_support(w, lo, up, case["w0"]),
                                _support(ref, lo, up, case["w0"])):
            np.testing.assert_array_equal(mine, theirs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_daily_and_annual_units_give_the_same_weights(case) -> None:
    cap = None if not case["capped"] else _cap(case)
    annual = solve(_form(case, cap))
    daily = solve(_form(case, cap, units=1 / 252))
    assume(annual.ok[0])
    assert daily.ok[0]
    np.testing.assert_allclose(daily.w[0], annual.w[0], rtol=0, atol=1e-10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.lists(st.sampled_from([1.0, 3.0, 10.0, 40.0]), min_size=2, max_size=5))
def test_batches_give_the_answers_of_single_solves(case, gammas) -> None:
    cap = _cap(case) if case["capped"] else None
    forms = [_form(dict(case, gamma=g), cap) for g in gammas]
    batch = solve(StandardForm.concat(forms))
    for i, f in enumerate(forms):
        one = solve(f)
        assert one.ok[0] == batch.ok[i]
        if one.ok[0]:
            np.testing.assert_allclose(batch.w[i], one.w[0], rtol=0, atol=1e-10)
            assert batch.report(i).max_residual <= KKT_TOL


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_max_sharpe_matches_the_homogeneous_clarabel_problem(case) -> None:
    mu, cov, n = case["mu"], case["cov"], len(case["mu"])
    rf = float(np.min(mu)) - 0.01
    y, k = cp.Variable(n), cp.Variable()
    cons = [(mu - rf) @ y == 1, cp.sum(y) == k, y >= case["lower"] * k,
            y <= case["upper"] * k, case["members"] @ y >= case["g_lo"] * k,
            case["members"] @ y <= case["g_hi"] * k, k >= 0]
    p = cp.Problem(cp.Minimize(cp.quad_form(y, cp.psd_wrap(cov))), cons)
    _clarabel(p)
    assume(p.status == "optimal" and float(k.value) > 0)
    ref = np.asarray(y.value) / float(k.value)
    sol, _ = max_sharpe(from_constraint_set(_cs(case), cov), mu - rf)
    assert sol.ok[0] and sol.report(0).max_residual <= KKT_TOL
    w = sol.w[0]
    sharpe = lambda x: (mu @ x - rf) / np.sqrt(x @ cov @ x)
    assert abs(sharpe(w) - sharpe(ref)) <= OBJECTIVE_RTOL * abs(sharpe(ref))


def test_a_ceiling_below_the_minimum_variance_is_reported_infeasible() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(5, 8))
    cov = a @ a.T / 8 * 0.04
    cs = ConstraintSet([f"A{i}" for i in range(5)], np.zeros(5), np.ones(5))
    sol = solve(from_constraint_set(cs, cov, expected_return=np.full(5, 0.05),
                                    risk_aversion=2.0, max_volatility=1e-4))
    assert sol.infeasible[0] and not sol.ok[0]
