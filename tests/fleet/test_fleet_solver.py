"""The batched solver against Clarabel, closed forms, single-investor solves and KKT."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import ParameterError
from tailorfolio.fleet import (
    InvestorBatch,
    SolverSettings,
    factor_model_universe,
    obviously_infeasible,
    solve_batch,
    synthetic_book,
)
from tailorfolio.fleet._solver import feasibility_verdict
from tests.fleet.fleet_reference import clarabel_reference
from tests.tolerances import CLOSED_FORM_RTOL, CONSTRAINT_SLACK, SOLVER_RTOL


def test_book_exercises_every_constraint(book):
    assert np.isfinite(book.min_esg_score).any()
    assert np.isfinite(book.max_turnover).any()
    assert (book.upper == 0).any()
    assert (book.group_min > 0).any() and (book.group_max < 1).any()
    assert (book.cost_rate > 0).any() and (book.current_weights.sum(axis=1) > 0).any()


def test_utility_matches_clarabel(model, book):
    res = solve_batch(model, book)
    checked = 0
    for i in range(book.size):
        status, value, _ = clarabel_reference(model, book, i)
        if status != "optimal":
            assert res.status[i] == "infeasible", (i, status, res.status[i])
            continue
        assert res.status[i] == "optimal"
        # ours may be better than Clarabel's (its own tolerance), never worse beyond 1e-6
        rel = (value - res.utility[i]) / abs(value)
        assert rel <= SOLVER_RTOL, (i, rel, res.method[i])
        checked += 1
    assert checked > 100
    assert (res.method == "batched").mean() > 0.9


def test_every_batched_solution_is_feasible_and_kkt_verified(model, book):
    res = solve_batch(model, book)
    fast = (res.method == "batched") & (res.status == "optimal")  # (infeasible: no weights)
    assert (res.kkt_residual[fast] < 1e-8).all()
    w = res.weights[res.status == "optimal"]
    b = book.take(res.status == "optimal")
    assert np.allclose(w.sum(axis=1), 1.0, atol=CONSTRAINT_SLACK)
    assert (w >= b.lower - CONSTRAINT_SLACK).all() and (w <= b.upper + CONSTRAINT_SLACK).all()
    gw = w @ model.group_matrix.T
    assert (gw >= b.group_min - CONSTRAINT_SLACK).all()
    assert (gw <= b.group_max + CONSTRAINT_SLACK).all()
    esg = np.isfinite(b.min_esg_score)
    assert (w[esg] @ model.esg_vector() >= b.min_esg_score[esg] - 1e-6).all()
    turn = np.isfinite(b.max_turnover)
    t = np.abs(w - b.current_weights).sum(axis=1)
    assert (t[turn] <= b.max_turnover[turn] + CONSTRAINT_SLACK).all()


def test_batched_equals_single_investor(model, book):
    res = solve_batch(model, book)
    for i in range(0, book.size, 7):
        one = solve_batch(model, book.take(np.array([i])))
        assert one.status[0] == res.status[i]
        if res.status[i] == "optimal":
            np.testing.assert_allclose(one.weights[0], res.weights[i], atol=1e-8)


def test_order_of_investors_does_not_matter(model, book):
    res = solve_batch(model, book)
    perm = np.random.default_rng(3).permutation(book.size)
    back = solve_batch(model, book.take(perm))
    ok = res.status[perm] == "optimal"
    np.testing.assert_allclose(back.weights[ok], res.weights[perm][ok], atol=1e-8)
    assert (back.status == res.status[perm]).all()


def test_deterministic(model, book):
    a = solve_batch(model, book)
    b = solve_batch(model, book)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert (a.status == b.status).all() and (a.message == b.message).all()


def test_interior_solution_matches_closed_form():
    """Budget only binding: w = Σ⁻¹(μ − η1)/γ with η making Σw = 1."""
    m = factor_model_universe(6, seed=2)
    mu = m.expected_return
    gamma = 40.0
    inv = np.linalg.inv(m.covariance)
    ones = np.ones(6)
    eta = (ones @ inv @ mu - gamma) / (ones @ inv @ ones)
    w_exact = inv @ (mu - eta) / gamma
    assert (w_exact > 0).all(), "choose a case with an interior optimum"
    res = solve_batch(m, InvestorBatch.uniform(m, 1, risk_aversion=gamma))
    np.testing.assert_allclose(res.weights[0], w_exact, rtol=1e6 * CLOSED_FORM_RTOL)


def test_infeasible_investors_reported_without_stopping(model):
    batch = synthetic_book(model, 40, seed=5, infeasible_share=0.0)
    names = list(model.group_names)
    batch.group_min[3, names.index("bond")] = 0.8
    batch.group_min[3, names.index("equity")] = 0.5  # 130 % of the portfolio
    batch.current_weights[7] = 0.0
    batch.current_weights[7, 0] = 0.6
    batch.upper[7, 0] = 0.0  # must sell 60 % ...
    batch.max_turnover[7] = 0.2  # ... but may trade only 20 %
    res = solve_batch(model, batch)
    assert res.status[3] == "infeasible" and "bond" in res.message[3]
    assert res.status[7] == "infeasible" and "max_turnover" in res.message[7]
    assert np.isnan(res.weights[[3, 7]]).all()
    others = np.setdiff1d(np.arange(40), [3, 7])
    assert (res.status[others] == "optimal").all()


def test_verdict_empty_for_feasible(model, book):
    res = solve_batch(model, book)
    i = int(np.flatnonzero(res.status == "optimal")[0])
    assert feasibility_verdict(model, book, i) == ""


def test_prescreen_only_flags_truly_infeasible(model, book):
    flagged = np.flatnonzero(obviously_infeasible(model, book))
    for i in flagged:
        assert clarabel_reference(model, book, int(i))[0] != "optimal"


def test_volatility_ceiling_stays_on_the_batched_path_and_holds(model):
    batch = InvestorBatch.uniform(model, 2, risk_aversion=1.0)
    batch.max_volatility[1] = 0.06
    res = solve_batch(model, batch)
    assert res.method[0] == "batched" and res.method[1] == "batched"
    assert res.volatility[1] == pytest.approx(0.06, rel=1e-10) and 0.06 < res.volatility[0]


def test_minimum_variance_with_infinite_risk_aversion(model):
    import cvxpy as cp

    batch = InvestorBatch.uniform(model, 1, risk_aversion=np.inf)
    res = solve_batch(model, batch)
    w = cp.Variable(model.n_assets)
    p = cp.Problem(cp.Minimize(cp.quad_form(w, model.covariance)), [cp.sum(w) == 1, w >= 0])
    p.solve(solver="CLARABEL")
    assert res.volatility[0] ** 2 <= p.value * (1 + SOLVER_RTOL)


def test_fallback_disabled_reports_failed(model):
    batch = InvestorBatch.uniform(model, 1)
    names = list(model.group_names)
    # two classes whose minima add to more than 1: the fast path cannot settle
    batch.group_min[0, names.index("bond")] = 0.7
    batch.group_min[0, names.index("equity")] = 0.5
    res = solve_batch(model, batch, SolverSettings(fallback=False))
    assert res.status[0] == "failed" and "fallback" in res.message[0]
    res = solve_batch(model, batch)
    assert res.status[0] == "infeasible" and res.method[0] == "batched"
    assert "class_bounds.bond" in res.message[0] and "class_bounds.equity" in res.message[0]


def test_ceiling_below_the_minimum_variance_is_proved_by_the_batch(model):
    batch = InvestorBatch.uniform(model, 1)
    batch.max_volatility[0] = 0.001  # below the minimum variance
    res = solve_batch(model, batch, SolverSettings(fallback=False))
    assert res.status[0] == "infeasible" and res.method[0] == "batched"
    assert "max_volatility 0.0010" in res.message[0]
    assert np.isnan(res.weights[0]).all()


def test_malformed_arrays_raise_parameter_error(model):
    batch = InvestorBatch.uniform(model, 2)
    batch.risk_aversion[1] = -1.0
    with pytest.raises(ParameterError, match="risk_aversion"):
        solve_batch(model, batch)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(1, 30))
def test_weights_are_budgeted_and_bounded(seed, size):
    m = factor_model_universe(8, seed=seed % 5)
    batch = synthetic_book(m, size, seed=seed)
    res = solve_batch(m, batch)
    ok = res.status == "optimal"
    w = res.weights[ok]
    assert np.allclose(w.sum(axis=1), 1.0, atol=CONSTRAINT_SLACK)
    assert (w >= batch.lower[ok] - CONSTRAINT_SLACK).all()
    assert (w <= batch.upper[ok] + CONSTRAINT_SLACK).all()
    assert (res.status[~ok] == "infeasible").all()


def test_verdict_gives_the_turnover_the_other_constraints_force(model):
    batch = synthetic_book(model, 10, seed=5, infeasible_share=0.0)
    batch.current_weights[7] = 0.0
    batch.current_weights[7, 0] = 0.6
    batch.upper[7, 0] = 0.0  # sell the 60 % and invest the 40 % cash: at least 1.6 traded
    batch.max_turnover[7] = 0.2
    verdict = feasibility_verdict(model, batch, 7)
    need = float(verdict.split("raise max_turnover to at least ")[1].split()[0])
    assert need >= 1.6 - 1e-7
    assert verdict.startswith("max_turnover 0.2000 is below the ")


def test_verdict_names_the_conflict_when_no_portfolio_exists(model):
    batch = synthetic_book(model, 10, seed=5, infeasible_share=0.0)
    names = list(model.group_names)
    batch.group_min[3, names.index("bond")] = 0.8
    batch.group_min[3, names.index("equity")] = 0.5
    verdict = feasibility_verdict(model, batch, 3)
    assert "bond" in verdict and "equity" in verdict
