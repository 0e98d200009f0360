"""The least trading a constraint set forces (optimize._min_turnover): closed-form cases and
a property check against the bound-only lower bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.optimize._constraints import ConstraintSet, GroupBound
from tailorfolio.optimize._min_turnover import min_turnover
from tests.tolerances import CONSTRAINT_SLACK, SOLVER_ATOL

TICKERS = ["A", "B", "C"]


def _cs(lower=(0.0, 0.0, 0.0), upper=(1.0, 1.0, 1.0), groups=(), **kw) -> ConstraintSet:
    return ConstraintSet(list(TICKERS), np.array(lower, float), np.array(upper, float),
                         groups=tuple(groups), **kw)


def test_a_portfolio_that_already_complies_needs_no_trade():
    w0 = np.array([0.2, 0.5, 0.3])
    least = min_turnover(_cs(), w0)
    assert least is not None
    assert least.turnover == pytest.approx(0.0, abs=SOLVER_ATOL)
    np.testing.assert_allclose(least.weights, w0, atol=SOLVER_ATOL)


def test_selling_an_excluded_holding_and_buying_back_in_counts_both_legs():
    # A is excluded (upper 0): its 0.3 is sold and bought elsewhere, ‖w − w0‖₁ = 0.6
    least = min_turnover(_cs(upper=(0.0, 1.0, 1.0)), np.array([0.3, 0.7, 0.0]))
    assert least is not None
    assert least.turnover == pytest.approx(0.6, abs=SOLVER_ATOL)
    assert least.weights[0] <= CONSTRAINT_SLACK


def test_investing_the_cash_is_trading():
    least = min_turnover(_cs(), np.array([0.3, 0.3, 0.3]))  # 10 % in cash
    assert least is not None
    assert least.turnover == pytest.approx(0.1, abs=SOLVER_ATOL)


def test_a_class_cap_forces_moving_the_excess_out():
    stocks = GroupBound("equity", "broad_class", np.array([1.0, 1.0, 0.0]), 0.0, 0.5)
    least = min_turnover(_cs(groups=[stocks]), np.array([0.4, 0.4, 0.2]))
    assert least is not None
    assert least.turnover == pytest.approx(0.6, abs=SOLVER_ATOL)  # 0.3 out, 0.3 in
    assert least.weights[:2].sum() <= 0.5 + CONSTRAINT_SLACK


def test_an_esg_floor_is_a_constraint_like_the_others():
    cs = _cs(esg_scores=np.array([90.0, 50.0, 10.0]), min_esg_score=60.0)
    least = min_turnover(cs, np.array([0.0, 0.0, 1.0]))
    assert least is not None
    # cheapest way from C to a score of 60: move x to A with 90x + 10(1 − x) = 60, x = 5/8
    assert least.turnover == pytest.approx(2 * 5 / 8, abs=SOLVER_ATOL)


def test_constraints_no_portfolio_meets_give_none():
    assert min_turnover(_cs(lower=(0.5, 0.4, 0.3)), np.array([0.2, 0.5, 0.3])) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),
       st.lists(st.floats(0.0, 0.3), min_size=3, max_size=3))
def test_the_least_turnover_is_feasible_and_at_least_what_the_bounds_force(raw, lows):
    w0 = np.array(raw) / max(sum(raw), 1e-9)
    lower = np.array(lows)
    cs = _cs(lower=lower, upper=(0.8, 0.8, 0.8))
    least = min_turnover(cs, w0)
    assert least is not None  # Σlower ≤ 0.9 ≤ 1 ≤ Σupper
    w = least.weights
    assert abs(w.sum() - 1.0) <= 1e-7
    assert np.all(w >= lower - CONSTRAINT_SLACK) and np.all(w <= 0.8 + CONSTRAINT_SLACK)
    assert least.turnover == pytest.approx(np.abs(w - w0).sum(), abs=1e-7)
    inside = np.clip(w0, lower, 0.8)
    forced = np.abs(inside - w0).sum() + abs(1.0 - inside.sum())
    assert least.turnover >= forced - 1e-7
