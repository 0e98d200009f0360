"""Optimizer results against independent methods (closed form, scipy) and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from tailorfolio.errors import InfeasibleError, ParameterError
from tailorfolio.kernel import from_constraint_set
from tailorfolio.optimize import (
    ConstraintSet,
    GroupBound,
    Objective,
    PortfolioOptimizer,
    constraints_from_preferences,
    unconstrained,
)
from tailorfolio.profile import Bounds, Preferences
from tests.tolerances import CONSTRAINT_SLACK, SOLVER_ATOL

OPT = PortfolioOptimizer()


def _problem(n: int, seed: int) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    vol = rng.uniform(0.05, 0.25, n)
    b = a @ a.T + n * np.eye(n)
    d = np.sqrt(np.diag(b))
    corr = b / np.outer(d, d)
    cov = corr * np.outer(vol, vol)
    mu = 0.02 + 0.3 * vol + rng.normal(0, 0.01, n)
    t = [f"A{i}" for i in range(n)]
    return pd.Series(mu, index=t), pd.DataFrame(cov, index=t, columns=t)


def _scipy(mu, cov, lower, upper, objective, gamma=None, rf=0.0, extra=()):
    n = len(mu)
    if objective == "utility":
        f = lambda w: -(mu @ w - gamma / 2 * w @ cov @ w)
        g = lambda w: -(mu - gamma * cov @ w)
    elif objective == "variance":
        f = lambda w: w @ cov @ w
        g = lambda w: 2 * cov @ w
    else:
        f = lambda w: -(mu @ w - rf) / np.sqrt(w @ cov @ w)
        g = None
    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(n)}, *extra]
    best = None
    for start in (np.full(n, 1 / n), np.clip(np.linalg.solve(cov, np.ones(n)), 0, None)):
        if start.sum() <= 0:
            continue
        res = minimize(f, start / start.sum(), jac=g, bounds=list(zip(lower, upper)),
                       constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    return best.x


def test_min_variance_matches_closed_form() -> None:
    # A covariance whose global minimum-variance portfolio is long-only.
    cov = pd.DataFrame(np.diag([0.04, 0.09, 0.0225]) + 0.005, index=list("abc"), columns=list("abc"))
    mu = pd.Series(0.05, index=list("abc"))
    inv = np.linalg.solve(cov.to_numpy(), np.ones(3))
    expected = inv / inv.sum()
    r = OPT.optimize(mu, cov, unconstrained(list("abc")), objective=Objective.MIN_VARIANCE)
    np.testing.assert_allclose(r.weights.to_numpy(), expected, atol=SOLVER_ATOL)


def test_max_utility_matches_closed_form_budget_only() -> None:
    mu, cov = _problem(5, 1)
    gamma = 8.0
    s = cov.to_numpy()
    inv_mu, inv_1 = np.linalg.solve(s, mu.to_numpy()), np.linalg.solve(s, np.ones(5))
    eta = (inv_mu.sum() - gamma) / inv_1.sum()
    expected = (inv_mu - eta * inv_1) / gamma
    assert (expected > 0).all(), "test problem must have an interior optimum"
    r = OPT.optimize(mu, cov, unconstrained(mu.index.tolist()), risk_aversion=gamma)
    np.testing.assert_allclose(r.weights.to_numpy(), expected, atol=SOLVER_ATOL)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_constrained_objectives_match_scipy(seed: int) -> None:
    mu, cov = _problem(8, seed)
    tickers = mu.index.tolist()
    lower = np.zeros(8)
    upper = np.full(8, 0.3)
    cs = ConstraintSet(tickers=tickers, lower=lower, upper=upper)
    m, s = mu.to_numpy(), cov.to_numpy()
    for obj, kind, kw in [(Objective.MAX_UTILITY, "utility", {"risk_aversion": 3.0}),
                          (Objective.MIN_VARIANCE, "variance", {}),
                          (Objective.MAX_SHARPE, "sharpe", {"risk_free_rate": 0.02})]:
        r = OPT.optimize(mu, cov, cs, objective=obj, **kw)
        ref = _scipy(m, s, lower, upper, kind, gamma=kw.get("risk_aversion"), rf=0.02)
        w = r.weights.to_numpy()
        if kind == "utility":
            val = lambda x: m @ x - 1.5 * x @ s @ x
            assert val(w) >= val(ref) - SOLVER_ATOL
        elif kind == "variance":
            assert w @ s @ w <= ref @ s @ ref + SOLVER_ATOL
        else:
            sh = lambda x: (m @ x - 0.02) / np.sqrt(x @ s @ x)
            assert sh(w) >= sh(ref) - SOLVER_ATOL
        np.testing.assert_allclose(w, ref, atol=1e-4)  # weights agree (SLSQP's own accuracy)


def test_target_volatility_and_return(market) -> None:
    a = market.assumptions
    cs = unconstrained(market.universe)
    r = OPT.optimize(a.expected_return, a.covariance, cs, objective="target_volatility",
                     target=0.08)
    assert r.volatility == pytest.approx(0.08, abs=1e-6)
    r2 = OPT.optimize(a.expected_return, a.covariance, cs, objective="target_return",
                      target=r.expected_return)
    assert r2.volatility == pytest.approx(0.08, abs=1e-5)
    with pytest.raises(ParameterError, match="target"):
        OPT.optimize(a.expected_return, a.covariance, cs, objective="target_volatility")


def test_frontier_is_monotone_and_contains_max_sharpe(market) -> None:
    a = market.assumptions
    cs = unconstrained(market.universe)
    fr = OPT.frontier(a.expected_return, a.covariance, cs, n_points=30,
                      risk_free_rate=a.risk_free_rate)
    assert np.all(np.diff(fr.volatility) >= -1e-7)
    assert np.all(np.diff(fr.expected_return) >= -1e-7)
    np.testing.assert_allclose(fr.weights.sum(axis=1), 1.0, atol=1e-9)
    best = OPT.optimize(a.expected_return, a.covariance, cs, objective="max_sharpe",
                        risk_free_rate=a.risk_free_rate)
    assert fr.sharpe.max() <= best.sharpe + 1e-6
    assert fr.sharpe.max() >= best.sharpe - 0.01  # grid resolution


@st.composite
def constraint_sets(draw):
    n = draw(st.integers(3, 9))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    mu, cov = _problem(n, seed)
    upper = rng.uniform(1.2 / n, 1.0, n)
    lower = np.minimum(rng.uniform(0, 0.5 / n, n) * (rng.uniform(size=n) < 0.4), upper)
    members = (rng.uniform(size=n) < 0.5).astype(float)
    if members.sum() == 0:
        members[0] = 1.0
    cap = float(min(1.0, members @ upper))
    g_max = float(rng.uniform(max(members @ lower, 0.2), max(cap, 0.2)))
    groups = (GroupBound("g", "asset_class", members, 0.0, min(g_max, 1.0)),)
    cs = ConstraintSet(tickers=mu.index.tolist(), lower=lower, upper=upper, groups=groups)
    gamma = draw(st.floats(0.5, 20))
    return mu, cov, cs, gamma


@settings(max_examples=40, deadline=None)
@given(constraint_sets())
def test_weights_sum_to_one_and_respect_every_bound(case) -> None:
    mu, cov, cs, gamma = case
    try:
        r = OPT.optimize(mu, cov, cs, risk_aversion=gamma)
    except InfeasibleError:
        return
    w = r.weights.to_numpy()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert (w >= cs.lower - CONSTRAINT_SLACK).all() and (w <= cs.upper + CONSTRAINT_SLACK).all()
    g = cs.groups[0]
    assert g.members @ w <= g.max + 1e-6


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 8), st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_invariant_under_reordering_of_assets(n, seed, rnd) -> None:
    mu, cov = _problem(n, seed)
    perm = list(mu.index)
    rnd.shuffle(perm)
    upper = np.full(n, 0.5)
    a = OPT.optimize(mu, cov, ConstraintSet(mu.index.tolist(), np.zeros(n), upper),
                     risk_aversion=4.0)
    b = OPT.optimize(mu[perm], cov.loc[perm, perm], ConstraintSet(perm, np.zeros(n), upper),
                     risk_aversion=4.0)
    np.testing.assert_allclose(a.weights[perm].to_numpy(), b.weights.to_numpy(), atol=1e-6)


def test_infeasible_names_the_conflicting_constraints(market) -> None:
    a = market.assumptions
    # Excluding fossil fuels and government debt leaves one bond fund (MUB), capped at 35 %.
    prefs = Preferences(excluded_sectors=("fossil_fuels", "government"), max_weight_per_asset=0.35,
                        asset_class_bounds={"bond": Bounds(min=0.4)})
    cs = constraints_from_preferences(market.universe, prefs)
    with pytest.raises(InfeasibleError) as info:
        OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=3.0)
    err = info.value
    names = {c.name for c in err.conflicts}
    assert "class_min:bond" in names
    assert any(n.startswith("exclude:") for n in names)
    bond = next(c for c in err.conflicts if c.name == "class_min:bond")
    assert bond.violation == pytest.approx(0.05, abs=1e-6)
    msg = str(err)
    assert "bond allocation can reach at most 35.0 %" in msg
    assert "preferences.excluded_sectors" in msg and "max_weight_per_asset" in msg


def test_infeasible_volatility_ceiling_reports_minimum(market) -> None:
    a = market.assumptions
    prefs = Preferences(asset_class_bounds={"equity": Bounds(min=0.9)})
    cs = constraints_from_preferences(market.universe, prefs, max_volatility=0.05)
    with pytest.raises(InfeasibleError, match=r"volatility must be at least 1\d\.\d %") as info:
        OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=3.0)
    assert {c.name for c in info.value.conflicts} == {"class_min:equity", "max_volatility"}


def test_binding_constraints_reported(market) -> None:
    a = market.assumptions
    prefs = Preferences(max_weight_per_asset=0.2, asset_class_bounds={"cash": Bounds(min=0.1)})
    cs = constraints_from_preferences(market.universe, prefs)
    r = OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=2.0)
    names = {b.name for b in r.binding}
    assert "class_min:cash" in names
    assert any(n.startswith("upper:") for n in names)
    assert r.status == "optimal" and r.solver == "KERNEL"


@pytest.mark.parametrize("objective, kw", [("max_utility", {"risk_aversion": 2.5}),
                                           ("min_variance", {}),
                                           ("max_sharpe", {"risk_free_rate": 0.035}),
                                           ("target_return", {"target": 0.06})])
def test_fast_qp_path_agrees_with_cvxpy_path(market, objective, kw) -> None:
    a = market.assumptions
    prefs = Preferences(max_weight_per_asset=0.3, excluded_sectors=("tobacco",),
                        asset_class_bounds={"bond": Bounds(min=0.2, max=0.7)})
    cs = constraints_from_preferences(market.universe, prefs)
    fast = PortfolioOptimizer(fast_path=True).optimize(a.expected_return, a.covariance, cs,
                                                       objective=objective, **kw)
    slow = PortfolioOptimizer(fast_path=False).optimize(a.expected_return, a.covariance, cs,
                                                        objective=objective, **kw)
    assert fast.solver == "KERNEL" and slow.solver == "CLARABEL"
    # Objectives agree to solver accuracy; weights of near-substitute assets may differ more.
    s = a.covariance.to_numpy()
    gamma = kw.get("risk_aversion", 0.0)
    util = lambda w: a.expected_return.to_numpy() @ w - gamma / 2 * w @ s @ w
    if objective == "max_utility":
        assert util(fast.weights.to_numpy()) == pytest.approx(util(slow.weights.to_numpy()),
                                                              abs=SOLVER_ATOL)
    elif objective == "max_sharpe":
        assert fast.sharpe == pytest.approx(slow.sharpe, abs=SOLVER_ATOL)
    else:
        assert fast.volatility == pytest.approx(slow.volatility, abs=SOLVER_ATOL)
    np.testing.assert_allclose(fast.weights.to_numpy(), slow.weights.to_numpy(), atol=1e-4)
    assert {b.name for b in fast.binding} == {b.name for b in slow.binding}


def test_binding_volatility_ceiling_is_solved_by_the_kernel(market) -> None:
    a = market.assumptions
    cs = unconstrained(market.universe).with_volatility_cap(0.06)
    r = OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=1.0)
    assert r.solver == "KERNEL" and r.kkt.ceiling_multiplier > 0
    assert r.volatility == pytest.approx(0.06, abs=1e-6)
    assert "max_volatility" in {b.name for b in r.binding}


def test_transaction_costs_and_turnover_cap(market) -> None:
    a = market.assumptions
    cs = unconstrained(market.universe)
    opt = PortfolioOptimizer(with_costs=True)
    w0 = pd.Series(1 / 16, index=market.tickers)
    # the conic backend's problem of the standard form: one compile for every solve (DPP)
    form = from_constraint_set(cs, a.covariance.to_numpy(), expected_return=a.expected_return
                               .to_numpy(), risk_aversion=3.0, current_weights=w0.to_numpy(),
                               cost_rate=0.001, max_turnover=0.3)
    assert opt.mean_variance_problem(form).problem.is_dpp()
    capped = opt.optimize(a.expected_return, a.covariance, cs, risk_aversion=3.0,
                          current_weights=w0, max_turnover=0.3)
    assert np.abs(capped.weights - w0).sum() <= 0.3 + 1e-6
    frozen = opt.optimize(a.expected_return, a.covariance, cs, risk_aversion=3.0,
                          current_weights=w0, cost_rate=1.0)
    np.testing.assert_allclose(frozen.weights.to_numpy(), w0.to_numpy(), atol=1e-6)
    with pytest.raises(ParameterError, match="with_costs=True"):
        OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=3.0, cost_rate=0.01)
