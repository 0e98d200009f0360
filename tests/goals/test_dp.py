"""The goal-based DP: base case, closed forms, DP >= every static portfolio, forward check."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.errors import ParameterError
from tailorfolio.goals import (
    GoalDPProblem,
    browne_upper_bound,
    das_base_case,
    simulate_policy,
    solve_goal_dp,
    static_probability_closed_form,
)
from tests.tolerances import MC_SIGMAS

GRID_ATOL = 2e-3
"""Discretisation error of the wealth grid (400 points) on probabilities."""


@pytest.fixture(scope="module")
def base():
    problem = das_base_case()
    return problem, solve_goal_dp(problem)


def test_static_grid_values_match_the_closed_form(base) -> None:
    problem, pol = base
    exact = [static_probability_closed_form(problem, k) for k in range(problem.n_portfolios)]
    np.testing.assert_allclose(pol.static_probabilities, exact, atol=GRID_ATOL)


def test_dp_beats_every_static_frontier_portfolio(base) -> None:
    problem, pol = base
    assert (pol.probability >= pol.static_probabilities - 1e-12).all()
    best_static = max(static_probability_closed_form(problem, k)
                      for k in range(problem.n_portfolios))
    assert pol.probability > best_static + 0.10  # ≈ 0.67 versus ≈ 0.50
    assert pol.probability <= browne_upper_bound(problem) + 1e-12


def test_forward_simulation_confirms_the_dp_value(base) -> None:
    _, pol = base
    p, se = simulate_policy(pol, n_paths=60_000, seed=11)
    assert abs(p - pol.probability) <= MC_SIGMAS * se + GRID_ATOL


def test_policy_takes_more_risk_when_behind_and_less_when_ahead(base) -> None:
    problem, pol = base
    t = 5
    behind = pol.action(t, np.array([90.0]))[0]
    ahead = pol.action(t, np.array([190.0]))[0]
    assert behind > ahead  # portfolios are ordered by expected return
    table = pol.policy_table()
    assert table.shape == (len(pol.wealth_grid), problem.years)


def test_dp_with_cash_flows_beats_static_and_is_confirmed() -> None:
    mu = np.linspace(0.03, 0.09, 7)
    sig = np.linspace(0.03, 0.20, 7)
    flows = np.array([5.0] * 10 + [-12.0] * 10)
    problem = GoalDPProblem.from_gbm(mu, sig, initial_wealth=60.0, goal=1.0, years=20,
                                     cash_flows=flows)
    pol = solve_goal_dp(problem, n_grid=600)
    assert (pol.probability >= pol.static_probabilities - 1e-12).all()
    p, se = simulate_policy(pol, n_paths=40_000, seed=3)
    assert abs(p - pol.probability) <= MC_SIGMAS * se + 5e-3
    best = int(np.argmax(pol.static_probabilities))
    ps, ses = simulate_policy(pol, n_paths=40_000, seed=3, static=best)
    assert abs(ps - pol.static_probabilities[best]) <= MC_SIGMAS * ses + 5e-3


def test_problem_validation() -> None:
    with pytest.raises(ParameterError):
        GoalDPProblem.from_gbm([0.05], [0.1], initial_wealth=0.0, goal=1.0, years=1,
                               cash_flows=np.zeros(1))
    with pytest.raises(ParameterError):
        GoalDPProblem.from_gbm([0.05], [0.1], initial_wealth=1.0, goal=1.0, years=2,
                               cash_flows=np.zeros(1))


def test_banded_transition_integrates_a_linear_value_exactly() -> None:
    """The band keeps every node within TAIL_SIGMAS of the mean: the weights of a row sum to
    one, and a value linear in log wealth integrates to the mean (closed form) wherever the
    mean is far from the grid's ends; the band is much narrower than the grid."""
    from tailorfolio.goals._dp import TAIL_SIGMAS, _transition

    lg = np.linspace(0.0, 12.0, 400)
    mu = np.linspace(3.0, 9.0, 50)
    nodes, weights = _transition(lg, mu, 0.15)
    assert nodes.shape == weights.shape and nodes.shape[1] < len(lg) / 3
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose((weights * lg[nodes]).sum(axis=1), mu, rtol=1e-12)
    assert (lg[nodes[:, 0]] <= mu - TAIL_SIGMAS * 0.15).all()
    assert (lg[nodes[:, -1]] >= mu + TAIL_SIGMAS * 0.15).all()


def test_banded_transition_equals_the_whole_grid_integration(monkeypatch) -> None:
    """The band drops only masses below 1e-23: the DP's values on the whole grid agree to
    rounding, and so does its probability."""
    from tailorfolio.goals import _dp

    problem = das_base_case()
    banded = solve_goal_dp(problem, 300)
    monkeypatch.setattr(_dp, "TAIL_SIGMAS", np.inf)
    whole = solve_goal_dp(problem, 300)
    np.testing.assert_allclose(banded.value, whole.value, rtol=0, atol=1e-14)
    assert banded.probability == pytest.approx(whole.probability, abs=1e-14)


def test_comparison_without_the_static_forward_check() -> None:
    """The plan reports the DP's forward simulation alone: skipping the best static
    portfolio's changes nothing else."""
    from tailorfolio.goals import compare_dp_static

    problem = das_base_case()
    kw = dict(n_paths=2_000, seed=3, n_grid=200)
    both = compare_dp_static(problem, "g", np.zeros(15), np.zeros(15), **kw)
    dp_only = compare_dp_static(problem, "g", np.zeros(15), np.zeros(15),
                                simulate_static=False, **kw)
    assert dp_only.dp_simulated == both.dp_simulated
    assert dp_only.dp_probability == both.dp_probability
    assert np.isnan(dp_only.best_static_simulated).all()
    assert not np.isnan(both.best_static_simulated).any()
