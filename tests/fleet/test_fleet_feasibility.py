"""Batched infeasibility proofs: the smallest-turnover bounds against the linear program."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from tailorfolio.fleet import synthetic_book
from tailorfolio.fleet._feasibility import (
    REGULARIZATION,
    class_minima_conflict,
    turnover_bounds,
)
from tailorfolio.fleet._model import FleetModel, InvestorBatch


def smallest_turnover(model: FleetModel, batch: InvestorBatch, i: int) -> float:
    """min ‖w − w0‖₁ over the bounds, budget, class bounds and ESG floor (HiGHS)."""
    n = model.n_assets
    eye = np.eye(n)
    g = model.group_matrix
    a_ub = [np.hstack([eye, -eye]), np.hstack([-eye, -eye]), np.hstack([g, 0 * g]),
            np.hstack([-g, 0 * g])]
    b_ub = [batch.current_weights[i], -batch.current_weights[i], batch.group_max[i],
            -batch.group_min[i]]
    if np.isfinite(batch.min_esg_score[i]):
        a_ub.append(np.concatenate([-model.esg_vector(), np.zeros(n)])[None, :])
        b_ub.append(np.array([-batch.min_esg_score[i]]))
    res = linprog(np.concatenate([np.zeros(n), np.ones(n)]), A_ub=np.vstack(a_ub),
                  b_ub=np.concatenate(b_ub), A_eq=np.concatenate([np.ones(n), np.zeros(n)])[None],
                  b_eq=[1.0], bounds=list(zip(batch.lower[i], batch.upper[i])) + [(0, None)] * n,
                  method="highs")
    return float(res.fun) if res.status == 0 else np.inf


def test_turnover_bounds_bracket_the_linear_program(model):
    book = synthetic_book(model, 80, seed=21, infeasible_share=0.0)
    # exclusions of held assets and class ceilings force trades
    book.upper[:, 0] = 0.0
    names = list(model.group_names)
    book.group_max[:, names.index("equity")] = 0.5
    lower, upper = turnover_bounds(model, book)
    settled = np.isfinite(lower)
    assert settled.mean() > 0.9
    for i in np.flatnonzero(settled):
        exact = smallest_turnover(model, book, int(i))
        assert lower[i] <= exact + 1e-7, (i, lower[i], exact)  # a proof, never above
        assert upper[i] >= exact - 1e-7, (i, upper[i], exact)  # a plan reaches it
        assert upper[i] - lower[i] <= 2 * REGULARIZATION, (i, lower[i], upper[i])  # ~ε


def test_least_trading_start_gives_the_cold_start_answer(model):
    """The warm start changes the number of switches, not the (unique) regularised answer."""
    from tailorfolio.fleet._feasibility import least_trading_start
    from tailorfolio.kernel._activeset import active_set_solve
    from tailorfolio.kernel._solve import cold_start
    from tailorfolio.kernel._standard import StandardForm, from_investor_batch

    book = synthetic_book(model, 60, seed=23, infeasible_share=0.0)
    book.upper[:, 0] = 0.0
    book.max_turnover[:] = np.inf
    book.max_volatility[:] = np.nan
    book.min_return[:] = np.nan
    sf = from_investor_batch(model, book, with_volatility=False)
    b, n = sf.size, sf.n
    lp = StandardForm(REGULARIZATION * np.eye(n), sf.A, sf.row_names, np.zeros((b, n)),
                      sf.lower, sf.upper, sf.w0, np.ones((b, n)), sf.row_lo, sf.row_hi,
                      np.full(b, np.inf), np.ones(b))
    warm = active_set_solve(lp, least_trading_start(lp), max_iter=30 + 2 * n, full_steps=5,
                            stall=1)
    cold = active_set_solve(lp, cold_start(lp), max_iter=30 + 2 * n, full_steps=5, stall=1)
    both = warm.ok & cold.ok
    assert both.mean() > 0.9
    # both certified to the KKT tolerance 1e-9; with curvature ε = 1e-5 the weights of two
    # certified points may differ by ~1e-10
    np.testing.assert_allclose(warm.w[both], cold.w[both], rtol=0, atol=1e-8)
    assert warm.iterations[both].sum() < cold.iterations[both].sum()


def test_class_minima_conflict_names_both_classes(model):
    batch = InvestorBatch.uniform(model, 2)
    names = list(model.group_names)
    batch.group_min[0, names.index("bond")] = 0.7
    batch.group_min[0, names.index("equity")] = 0.5
    batch.group_min[1, names.index("bond")] = 0.5
    batch.group_min[1, names.index("equity")] = 0.5  # exactly 1: feasible
    why = class_minima_conflict(model, batch, 0)
    assert "class_bounds.bond" in why and "class_bounds.equity" in why and "20.0 %" in why
    assert class_minima_conflict(model, batch, 1) == ""
