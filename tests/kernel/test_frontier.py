"""The kernel's one frontier builder: the exact parametric (critical-line) path.

References: the kernel's own exact solve at the same target return (an independent active-set
method: primal-dual steps from a cold start, not the homotopy), Clarabel through the
optimizer's direct QP where its polished answer passes its KKT check, and HiGHS for the
maximum-return end.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tailorfolio.errors import InfeasibleError
from tailorfolio.kernel import (
    constraint_set_frontier,
    from_constraint_set,
    max_sharpe,
    solve,
)
from tailorfolio.kernel._frontier import path_problem, trace_frontier
from tailorfolio.optimize import PortfolioOptimizer, unconstrained
from tailorfolio.optimize._constraints import ConstraintSet, GroupBound
from tests.tolerances import CONSTRAINT_SLACK

WEIGHT_ATOL = 1e-7
OBJECTIVE_RTOL = 1e-9
KKT_TOL = 1e-9


def _market(n: int, seed: int, t_obs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = 3
    loadings = rng.normal(0.8, 0.4, size=(n, k))
    t_obs = t_obs or 4 * n + 20
    f = rng.normal(0.0003, 0.01, size=(t_obs, k))
    r = rng.normal(0.0004, 0.0003, n) + f @ loadings.T + rng.normal(
        0, 1, (t_obs, n)) * rng.uniform(0.005, 0.02, n)
    return r.mean(axis=0) * 252, np.cov(r.T) * 252


def _constraints(n: int, seed: int, *, groups: bool = True, esg: bool = True,
                 cap: float = 0.3) -> ConstraintSet:
    rng = np.random.default_rng(seed + 1)
    tickers = [f"A{i:03d}" for i in range(n)]
    upper = np.full(n, cap)
    lower = np.zeros(n)
    lower[0] = 0.02
    gs: list[GroupBound] = []
    if groups:
        members = (np.arange(n) % 3 == 0).astype(float)
        gs.append(GroupBound("g0", "asset_class", members, 0.2, 0.6))
        other = (np.arange(n) % 3 == 1).astype(float)
        gs.append(GroupBound("g1", "asset_class", other, 0.0, 0.3))
    scores = rng.uniform(0, 100, n) if esg else None
    return ConstraintSet(tickers=tickers, lower=lower, upper=upper, groups=tuple(gs),
                         esg_scores=scores, min_esg_score=55.0 if esg else None)


def _reference(cs: ConstraintSet, cov: np.ndarray, mu: np.ndarray, target: float
               ) -> np.ndarray:
    """The minimum-variance portfolio with return ≥ ``target`` by the kernel's direct solve
    (an active-set QP with the return floor as a row, cold start: not the homotopy)."""
    sf = from_constraint_set(cs, cov, min_return=float(target), return_vector=mu)
    sol = solve(sf)
    assert sol.ok[0], sol.report(0)
    return sol.w[0]


def _min_variance(cs: ConstraintSet, cov: np.ndarray) -> np.ndarray:
    sol = solve(from_constraint_set(cs, cov))
    assert sol.ok[0], sol.report(0)
    return sol.w[0]


def _clarabel(cs: ConstraintSet, cov: np.ndarray, mu: np.ndarray, target: float
              ) -> tuple[np.ndarray, float]:
    """The same problem through cvxpy and Clarabel at tight tolerances: weights and
    variance."""
    import cvxpy as cp

    w = cp.Variable(cs.n_assets)
    cons = [cp.sum(w) == 1, w >= cs.lower, w <= cs.upper, mu @ w >= target]
    for g in cs.groups:
        cons += [g.members @ w >= g.min, g.members @ w <= g.max]
    if cs.min_esg_score is not None:
        cons.append(cs.esg_coefficients() @ w >= 0)
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov))), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13,
               max_iter=500)
    return np.asarray(w.value, dtype=float), float(prob.value)


def _check_feasible(cs: ConstraintSet, w: np.ndarray) -> None:
    assert np.all(w >= cs.lower - CONSTRAINT_SLACK)
    assert np.all(w <= cs.upper + CONSTRAINT_SLACK)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-12)
    for g in cs.groups:
        tot = w @ g.members
        assert np.all(tot >= g.min - CONSTRAINT_SLACK) and np.all(tot <= g.max + CONSTRAINT_SLACK)
    if cs.min_esg_score is not None:
        assert np.all(w @ cs.esg_coefficients() >= -CONSTRAINT_SLACK * 100)


@pytest.mark.parametrize("n,seed", [(12, 0), (40, 1),
                                    pytest.param(120, 2, marks=pytest.mark.slow)])
def test_every_point_is_the_exact_minimum_variance_portfolio_at_its_return(n, seed):
    mu, cov = _market(n, seed)
    cs = _constraints(n, seed)
    path = constraint_set_frontier(cov, mu, cs)
    assert path.n_breakpoints >= 3
    assert path.max_residual <= KKT_TOL
    ts = path.evenly_spaced(50)
    w = path.at(ts)[0]
    _check_feasible(cs, w)
    rets = w @ mu
    # interior points and every breakpoint against the kernel's direct solve
    checks = list(zip(rets[1:-1], w[1:-1])) + list(zip(path.expected_return[1:-1],
                                                        path.weights[1:-1]))
    for r, w_k in checks:
        ref = _reference(cs, cov, mu, r)
        np.testing.assert_allclose(w_k, ref, rtol=0, atol=WEIGHT_ATOL)
        assert w_k @ cov @ w_k == pytest.approx(ref @ cov @ ref, rel=OBJECTIVE_RTOL)
    assert all(r.max_residual <= KKT_TOL for r in path.residuals_at(ts))


def test_points_agree_with_clarabel():
    n = 30
    mu, cov = _market(n, 5)
    cs = _constraints(n, 5)
    path = constraint_set_frontier(cov, mu, cs)
    w = path.at(path.evenly_spaced(12))[0]
    for w_k in w[1:-1]:
        ref, var = _clarabel(cs, cov, mu, float(w_k @ mu))
        # an interior-point answer: ours may only be lower, and by no more than its accuracy
        assert w_k @ cov @ w_k <= var * (1 + 1e-9)
        assert w_k @ cov @ w_k == pytest.approx(var, rel=1e-7)
        np.testing.assert_allclose(w_k, ref, rtol=0, atol=1e-5)


def test_ends_are_the_minimum_variance_portfolio_and_the_least_risky_maximum_return():
    n = 25
    mu, cov = _market(n, 3)
    cs = _constraints(n, 3)
    path = constraint_set_frontier(cov, mu, cs)
    w_min = _min_variance(cs, cov)
    np.testing.assert_allclose(path.weights[0], w_min, atol=WEIGHT_ATOL)
    g = np.vstack([grp.members for grp in cs.groups])
    lo = np.array([grp.min for grp in cs.groups])
    hi = np.array([grp.max for grp in cs.groups])
    lp = linprog(-mu, A_ub=np.vstack([g, -g, -cs.esg_coefficients()[None, :]]),
                 b_ub=np.concatenate([hi, -lo, [0.0]]), A_eq=np.ones((1, n)), b_eq=[1.0],
                 bounds=list(zip(cs.lower, cs.upper)), method="highs")
    assert path.expected_return[-1] == pytest.approx(-lp.fun, rel=1e-12, abs=1e-14)
    _check_feasible(cs, path.weights[-1])
    assert not path.direction[-1].any()


def test_ties_in_expected_return_end_at_the_least_risky_of_the_best():
    """Two assets share the best return: the top of the path is their minimum-variance mix,
    not a corner."""
    n = 10
    mu, cov = _market(n, 8)
    mu[3] = mu[7] = mu.max() + 0.01
    path = trace_frontier(path_problem(cov, mu, np.zeros(n), np.ones(n),
                                       eq_rows=np.ones((1, n)), eq_rhs=np.ones(1)))
    top = path.weights[-1]
    assert top[3] > 0.01 and top[7] > 0.01 and top[[3, 7]].sum() == pytest.approx(1.0)
    pair = cov[np.ix_([3, 7], [3, 7])]
    x = np.linalg.solve(pair, np.ones(2))
    np.testing.assert_allclose(top[[3, 7]], x / x.sum(), atol=1e-10)


def test_identical_assets_and_a_singular_covariance():
    """More assets than observations (Σ singular) and exact duplicates: the path is still
    traced, feasible and monotone; points match the kernel within the ridge's effect."""
    n = 40
    mu, cov = _market(n, 9, t_obs=25)
    cov[5], cov[:, 5] = cov[4], cov[:, 4]
    cov[5, 5] = cov[4, 4]
    mu[5] = mu[4]
    cs = unconstrained([f"A{i}" for i in range(n)])
    path = constraint_set_frontier(cov, mu, cs)
    w = path.at(path.evenly_spaced(30))[0]
    _check_feasible(cs, w)
    vol = np.sqrt(np.einsum("ij,jk,ik->i", w, cov, w))
    assert np.all(np.diff(vol) >= -1e-12) and np.all(np.diff(w @ mu) >= -1e-14)
    assert path.problem.ridge > 0


def test_all_assets_equal_give_a_one_point_frontier():
    n = 6
    cov = np.full((n, n), 0.02) + np.eye(n) * 0.01
    mu = np.full(n, 0.05)
    cs = unconstrained([f"A{i}" for i in range(n)])
    path = constraint_set_frontier(cov, mu, cs)
    assert path.n_breakpoints == 1
    np.testing.assert_allclose(path.weights[0], 1 / n, atol=1e-12)
    w = path.at(path.evenly_spaced(5))[0]
    np.testing.assert_allclose(w, 1 / n, atol=1e-12)


def test_volatility_ceiling_cuts_the_path_exactly():
    n = 20
    mu, cov = _market(n, 4)
    cs = _constraints(n, 4)
    full = constraint_set_frontier(cov, mu, cs)
    vols = np.sqrt(full.variance)
    cap = float(0.5 * (vols[0] + vols[-1]))
    cut = constraint_set_frontier(cov, mu, cs.with_volatility_cap(cap))
    assert np.sqrt(cut.variance[-1]) == pytest.approx(cap, rel=1e-12)
    assert cut.truncated_at_ceiling and cut.max_residual <= KKT_TOL
    top = cut.weights[-1]
    np.testing.assert_allclose(top, _reference(cs, cov, mu, float(top @ mu)), atol=WEIGHT_ATOL)
    with pytest.raises(InfeasibleError):
        constraint_set_frontier(cov, mu, cs.with_volatility_cap(0.5 * float(vols[0])))


def test_maximum_sharpe_on_the_path_is_the_kernels_tangency_portfolio():
    n = 30
    mu, cov = _market(n, 6)
    cs = _constraints(n, 6, esg=False)
    rf = 0.02
    path = constraint_set_frontier(cov, mu, cs)
    _, w = path.max_sharpe(rf)
    sol, _ = max_sharpe(from_constraint_set(cs, cov), mu - rf)
    if sol.ok[0]:
        ref = sol.w[0]
    else:  # the optimizer's homogenised Clarabel QP, polished
        t = cs.tickers
        ref = PortfolioOptimizer().optimize(
            pd.Series(mu, index=t), pd.DataFrame(cov, index=t, columns=t), cs,
            objective="max_sharpe", risk_free_rate=rf).weights.to_numpy()

    def sharpe(x: np.ndarray) -> float:
        return float((x @ mu - rf) / np.sqrt(x @ cov @ x))

    assert sharpe(w) == pytest.approx(sharpe(ref), rel=1e-10)
    assert sharpe(w) >= sharpe(ref) - 1e-12
    np.testing.assert_allclose(w, ref, atol=1e-6)


def test_infeasible_constraints_name_the_conflict():
    n = 5
    mu, cov = _market(n, 2)
    tickers = [f"A{i}" for i in range(n)]
    cs = ConstraintSet(tickers=tickers, lower=np.full(n, 0.3), upper=np.ones(n))
    with pytest.raises(InfeasibleError):
        constraint_set_frontier(cov, mu, cs)
    with pytest.raises(InfeasibleError) as err:
        PortfolioOptimizer().frontier(pd.Series(mu, index=tickers),
                                      pd.DataFrame(cov, index=tickers, columns=tickers), cs)
    assert err.value.conflicts or "150" in str(err.value) or "minimum" in str(err.value)


@st.composite
def feasible_problems(draw):
    n = draw(st.integers(2, 14))
    seed = draw(st.integers(0, 100_000))
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n + 2))
    vol = rng.uniform(0.05, 0.3, n)
    c = a @ a.T
    d = np.sqrt(np.diag(c))
    cov = c / np.outer(d, d) * np.outer(vol, vol)
    mu = 0.02 + 0.3 * vol + rng.normal(0, 0.02, n)
    if draw(st.booleans()):
        mu = np.round(mu, 2)  # ties in expected return
    upper = np.minimum(1.0, rng.uniform(1.2 / n, 1.0, n))
    lower = np.minimum(rng.uniform(0, 0.5 / n, n) * (rng.uniform(size=n) < 0.4), upper)
    if lower.sum() > 1 or upper.sum() < 1:
        upper = np.ones(n)
        lower = np.zeros(n)
    gs = []
    if n >= 3 and draw(st.booleans()):
        members = (rng.uniform(size=n) < 0.5).astype(float)
        members[0] = 1.0
        reach = float(min(1.0, members @ upper))
        floor = float(min(members @ lower, 1.0))
        gmax = float(rng.uniform(max(floor, 0.3 * reach), reach))
        if (1 - members) @ upper + gmax >= 1:
            gs.append(GroupBound("g", "asset_class", members, 0.0, gmax))
    cs = ConstraintSet(tickers=[f"S{i}" for i in range(n)], lower=lower, upper=upper,
                       groups=tuple(gs))
    return mu, cov, cs


@settings(max_examples=60, deadline=None)
@given(problem=feasible_problems())
def test_frontier_invariants_on_random_feasible_problems(problem):
    mu, cov, cs = problem
    path = constraint_set_frontier(cov, mu, cs)
    assert path.max_residual <= KKT_TOL
    w = path.at(path.evenly_spaced(25))[0]
    _check_feasible(cs, w)
    rets = w @ mu
    vols = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", w, cov, w), 0))
    assert np.all(np.diff(rets) >= -1e-13)
    assert np.all(np.diff(vols) >= -1e-12)  # volatility nondecreasing in return
    # the minimum-variance end is the kernel's minimum-variance portfolio
    w_min = _min_variance(cs, cov)
    assert path.weights[0] @ cov @ path.weights[0] == pytest.approx(
        w_min @ cov @ w_min, rel=1e-9)
    # the top is the maximum return the constraints allow
    a_ub = np.vstack([g.members for g in cs.groups]) if cs.groups else None
    b_ub = np.array([g.max for g in cs.groups]) if cs.groups else None
    lp = linprog(-mu, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, len(mu))), b_eq=[1.0],
                 bounds=list(zip(cs.lower, cs.upper)), method="highs")
    assert rets[-1] == pytest.approx(-lp.fun, abs=1e-10)
    # and each interior point is the minimum variance at its return
    k = len(rets) // 2
    if rets[-1] - rets[0] > 1e-9:
        ref = _reference(cs, cov, mu, rets[k])
        assert w[k] @ cov @ w[k] == pytest.approx(ref @ cov @ ref, rel=1e-8)


def test_optimizer_fleet_and_esg_frontiers_are_the_same_path(market):
    """The three public builders return the kernel path's points."""
    from tailorfolio.esg import esg_frontier
    from tailorfolio.fleet import FleetModel, batched_frontier

    a = market.assumptions
    cs = unconstrained(market.universe)
    fr = PortfolioOptimizer().frontier(a.expected_return, a.covariance, cs, n_points=15,
                                       risk_free_rate=a.risk_free_rate)
    model = FleetModel.from_market(market)
    fleet = batched_frontier(model, n_points=15)
    np.testing.assert_allclose(fleet.weights.to_numpy(), fr.weights.to_numpy(), atol=1e-9)
    assert all(k is not None and k.satisfied for k in fr.kkt)
    scored = dataclasses.replace(cs, esg_scores=np.linspace(20, 90, cs.n_assets))
    ef = esg_frontier(a.expected_return, a.covariance, scored, n_points=4,
                      risk_free_rate=a.risk_free_rate)
    assert ef.tangency_sharpe == pytest.approx(float(np.nanmax(fr.sharpe)), abs=5e-3)
    assert ef.tangency_sharpe >= float(np.nanmax(fr.sharpe)) - 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_esg_sweep_matches_the_kernels_max_sharpe_at_every_floor(seed):
    """The sweep stops each path just past its best ratio; that must never cut it short
    (ties at one t and flat stretches included)."""
    from tailorfolio.esg._sweep import EsgSharpeSweep

    n = 20
    mu, cov = _market(n, 20 + seed)
    mu = mu - mu.min() + 0.01  # some portfolio beats the risk-free rate (0) at every floor
    cs = dataclasses.replace(_constraints(n, seed, groups=False), min_esg_score=None)
    sweep = EsgSharpeSweep(cov, cs, mu)
    best = sweep.best_score()
    assert best is not None
    _, w_tan = sweep.solve(None)
    assert w_tan is not None
    for floor in np.linspace(float(cs.esg_scores @ w_tan), best - 1e-4, 12):
        status, w = sweep.solve(float(floor))
        assert status == "optimal" and w is not None
        sf = from_constraint_set(dataclasses.replace(cs, min_esg_score=float(floor)), cov)
        ref, _ = max_sharpe(sf, mu)
        assert ref.ok[0]
        full = constraint_set_frontier(cov, mu, dataclasses.replace(
            cs, min_esg_score=float(floor)))
        for other in (ref.w[0], full.max_sharpe(0.0)[1]):
            assert (w @ mu) / np.sqrt(w @ cov @ w) == pytest.approx(
                (other @ mu) / np.sqrt(other @ cov @ other), rel=1e-9)
