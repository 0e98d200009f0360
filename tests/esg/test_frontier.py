"""The ESG-efficient frontier: one compiled problem, floors hold, Sharpe non-increasing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import ParameterError
from tailorfolio.esg import esg_frontier, floor_measure, with_esg_funds
from tailorfolio.esg._sweep import EsgSharpeSweep
from tailorfolio.market import Asset, Universe, default_market
from tailorfolio.optimize import Objective, PortfolioOptimizer, constraints_from_preferences
from tailorfolio.profile import Preferences
from tests.tolerances import SOLVER_ATOL

FLOOR_TOL = 1e-5
SHARPE_TOL = 1e-6


def _check(fr, cs):
    # the floor holds at every point (under 'ignore', a point holding no scored asset has no
    # score and meets any floor vacuously)
    w_all = fr.weights.to_numpy()
    scored_weight = w_all[:, ~np.isnan(cs.esg_scores)].sum(axis=1)
    vacuous = np.isnan(fr.scores) & (scored_weight < 1e-6)
    assert np.all(vacuous | (fr.scores >= fr.floors - FLOOR_TOL))
    # beyond the tangency portfolio's score the best Sharpe never rises as the floor rises
    assert np.all(np.diff(fr.sharpe) <= SHARPE_TOL)
    assert fr.sharpe[0] == pytest.approx(fr.tangency_sharpe, abs=SHARPE_TOL)
    assert fr.floors[0] == pytest.approx(fr.tangency_score)
    w = fr.weights.to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(w <= cs.upper + 1e-7)


def test_default_market_frontier():
    m = with_esg_funds(default_market())
    a = m.assumptions
    cs = constraints_from_preferences(m.universe, Preferences(max_weight_per_asset=0.35))
    opt = PortfolioOptimizer()
    fr = esg_frontier(a.expected_return, a.covariance, cs, n_points=10,
                      risk_free_rate=a.risk_free_rate, optimizer=opt)
    _check(fr, cs)
    assert fr.max_score == pytest.approx(80.0, abs=1e-4)
    assert fr.sharpe[-1] < fr.sharpe[0]  # a real cost at the top
    # first point is the unconstrained maximum-Sharpe portfolio
    tan = opt.optimize(a.expected_return, a.covariance, cs, objective=Objective.MAX_SHARPE,
                       risk_free_rate=a.risk_free_rate)
    assert fr.tangency_sharpe == pytest.approx(tan.sharpe, abs=SHARPE_TOL)
    assert fr.sharpe_at(fr.tangency_score - 5) == fr.tangency_sharpe
    assert np.isnan(fr.sharpe_at(fr.max_score + 1))
    assert list(fr.to_frame().columns[:5]) == ["esg_floor", "esg_score", "expected_return",
                                               "volatility", "sharpe"]


def test_frontier_point_matches_scipy():
    """One interior point against an independent SLSQP maximisation of the Sharpe ratio."""
    from scipy.optimize import minimize

    m = default_market()
    a = m.assumptions
    cs = constraints_from_preferences(m.universe, Preferences(max_weight_per_asset=0.35))
    fr = esg_frontier(a.expected_return, a.covariance, cs, n_points=5,
                      risk_free_rate=a.risk_free_rate)
    k = 2
    floor = fr.floors[k]
    mu, cov, s = a.expected_return.to_numpy(), a.covariance.to_numpy(), cs.esg_scores
    rf = a.risk_free_rate

    def neg_sharpe(w):
        return -(mu @ w - rf) / np.sqrt(w @ cov @ w)

    best = np.inf
    for x0 in (fr.weights.iloc[k].to_numpy(), np.full(len(mu), 1 / len(mu))):
        r = minimize(neg_sharpe, x0, method="SLSQP", bounds=[(0, 0.35)] * len(mu),
                     constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1},
                                  {"type": "ineq", "fun": lambda w: s @ w - floor}],
                     options={"ftol": 1e-15, "maxiter": 2000})
        best = min(best, r.fun)
    assert fr.sharpe[k] == pytest.approx(-best, abs=SOLVER_ATOL)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 8), seed=st.integers(0, 10_000), cap=st.sampled_from([1.0, 0.5]),
       policy=st.sampled_from(["worst", "ignore"]))
def test_frontier_properties_on_random_universes(n, seed, cap, policy):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n + 3))
    cov = a @ a.T / (n + 3) * 0.04 + np.eye(n) * 0.003
    mu = 0.04 + rng.uniform(0, 0.08, n)
    scores = [None if rng.random() < 0.2 else float(rng.uniform(0, 100)) for _ in range(n)]
    if all(x is None for x in scores):
        scores[0] = 50.0
    t = [f"S{i}" for i in range(n)]
    uni = Universe(tuple(Asset(x, x, "eq", "equity", esg_score=sc) for x, sc in zip(t, scores)))
    cs = constraints_from_preferences(uni, Preferences(max_weight_per_asset=cap,
                                                       esg_missing_score_policy=policy))
    fr = esg_frontier(pd.Series(mu, index=t), pd.DataFrame(cov, index=t, columns=t), cs,
                      n_points=6, risk_free_rate=0.01)
    _check(fr, cs)
    for k in range(len(fr.floors)):
        score = floor_measure(cs, fr.weights.iloc[k].to_numpy())
        assert np.isnan(score) or score >= fr.floors[k] - FLOOR_TOL


def test_explicit_floors_beyond_reach_give_nan_and_below_tangency_give_tangency():
    m = default_market()
    a = m.assumptions
    cs = constraints_from_preferences(m.universe, Preferences(max_weight_per_asset=0.35))
    fr = esg_frontier(a.expected_return, a.covariance, cs, n_points=3,
                      risk_free_rate=a.risk_free_rate)
    fr2 = esg_frontier(a.expected_return, a.covariance, cs, risk_free_rate=a.risk_free_rate,
                       floors=np.array([0.0, fr.floors[1], 99.0]))
    assert fr2.sharpe[0] == pytest.approx(fr.tangency_sharpe, abs=SHARPE_TOL)
    assert fr2.sharpe[1] == pytest.approx(fr.sharpe[1], abs=SHARPE_TOL)
    assert np.isnan(fr2.sharpe[2])


def test_frontier_needs_scores():
    uni = Universe((Asset("X", "X", "eq", "equity"), Asset("Y", "Y", "eq", "equity")))
    cs = constraints_from_preferences(uni, Preferences())
    mu = pd.Series([0.05, 0.06], index=["X", "Y"])
    cov = pd.DataFrame(np.diag([0.04, 0.05]), index=["X", "Y"], columns=["X", "Y"])
    with pytest.raises(ParameterError, match="no ESG scores"):
        esg_frontier(mu, cov, cs)
    with pytest.raises(ParameterError, match="n_points"):
        esg_frontier(mu, cov, dataclasses.replace(cs), n_points=1)


def test_sweep_resolves_one_problem_and_matches_the_optimizer():
    """The compiled sweep, re-solved in place, agrees with fresh max-Sharpe solves."""
    m = default_market()
    a = m.assumptions
    cs = constraints_from_preferences(m.universe, Preferences(max_weight_per_asset=0.35,
                                                              excluded_sectors=["tobacco"]))
    cs = cs.with_volatility_cap(0.10)  # exercises the second-order-cone row too
    mu = a.expected_return.to_numpy()
    cov = a.covariance.to_numpy()
    rf = a.risk_free_rate
    sweep = EsgSharpeSweep(cov, cs, mu - rf)
    opt = PortfolioOptimizer()
    for floor in (None, 70.0, 74.0, 77.0, 70.0):
        status, w = sweep.solve(floor)
        assert status == "optimal"
        ref = opt.optimize(a.expected_return, a.covariance,
                           dataclasses.replace(cs, min_esg_score=floor),
                           objective=Objective.MAX_SHARPE, risk_free_rate=rf)
        sharpe = (mu @ w - rf) / np.sqrt(w @ cov @ w)
        assert sharpe == pytest.approx(ref.sharpe, abs=SOLVER_ATOL)
        assert np.sqrt(w @ cov @ w) <= 0.10 + 1e-6
        if floor is not None:
            assert cs.esg_scores @ w >= floor - FLOOR_TOL
    assert sweep.solves == 5
    status, w = sweep.solve(95.0)
    assert status == "infeasible" and w is None


@pytest.mark.parametrize("policy", ["worst", "ignore"])
@pytest.mark.parametrize("cap", [None, 0.08])
def test_sweep_best_score_matches_the_diagnosis_lp(policy, cap):
    from tailorfolio.optimize._diagnose import best_esg_score
    from tailorfolio.optimize._problem import cholesky_factor

    m = default_market()
    a = m.assumptions
    uni = m.universe.with_assets([dataclasses.replace(m.universe["SGOV"], esg_score=None),
                                  dataclasses.replace(m.universe["MUB"], esg_score=None)])
    cs = constraints_from_preferences(uni, Preferences(max_weight_per_asset=0.3,
                                                       esg_missing_score_policy=policy))
    cs = cs.with_volatility_cap(cap)
    cov = a.covariance.to_numpy()
    sweep = EsgSharpeSweep(cov, cs, a.expected_return.to_numpy() - a.risk_free_rate)
    ref = best_esg_score(dataclasses.replace(cs, min_esg_score=0.0), cholesky_factor(cov))
    assert sweep.best_score() == pytest.approx(ref, abs=1e-5)
