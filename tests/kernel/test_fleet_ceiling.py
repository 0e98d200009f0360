"""Fleet investors with a volatility ceiling stay on the batched path and are exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.fleet import factor_model_universe, solve_batch, synthetic_book
from tailorfolio.fleet._solver import METHOD_BATCHED, STATUS_OPTIMAL
from tests.fleet.fleet_reference import clarabel_reference


def test_capped_investors_are_solved_by_the_batch_on_their_ceiling() -> None:
    model = factor_model_universe(12, seed=7)
    book = synthetic_book(model, 40, seed=5, infeasible_share=0.0)
    free = solve_batch(model, book)
    vol = free.volatility
    capped = book.take(np.arange(book.size))
    capped.max_volatility = np.where(np.arange(book.size) % 2 == 0, 0.8 * vol, np.nan)
    res = solve_batch(model, capped)
    ok = res.status == STATUS_OPTIMAL
    binds = ok & np.isfinite(capped.max_volatility)
    assert binds.sum() >= 10
    assert (res.method[binds] == METHOD_BATCHED).all()
    np.testing.assert_allclose(res.volatility[binds], capped.max_volatility[binds], rtol=1e-10)
    assert np.nanmax(res.kkt_residual[ok]) <= 1e-8
    # the same investor through the optimizer (the kernel's single-problem path)
    from tailorfolio.fleet._solver import constraint_set_for
    from tailorfolio.optimize import PortfolioOptimizer

    opt = PortfolioOptimizer(with_costs=True)
    tickers = list(model.tickers)
    mu = pd.Series(model.expected_return, index=tickers)
    cov = pd.DataFrame(model.covariance, index=tickers, columns=tickers)
    for i in np.flatnonzero(binds)[:3]:
        cs = constraint_set_for(model, capped, int(i))
        r = opt.optimize(mu, cov, cs, risk_aversion=float(capped.risk_aversion[i]),
                         current_weights=pd.Series(capped.current_weights[i], index=tickers),
                         cost_rate=capped.cost_rate[i],
                         max_turnover=(float(capped.max_turnover[i])
                                       if np.isfinite(capped.max_turnover[i]) else None))
        assert r.kkt.satisfied
        np.testing.assert_allclose(r.weights.to_numpy(), res.weights[i], rtol=0, atol=1e-8)
        assert r.volatility == pytest.approx(capped.max_volatility[i], rel=1e-10)


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 9),
       frac=st.floats(0.55, 0.98))
def test_ceiling_answer_matches_clarabel(seed: int, n: int, frac: float) -> None:
    """Random small books with binding ceilings: the batched answer's utility is Clarabel's
    (never worse by more than 1e-9 relative), and it is feasible, ceiling included."""
    model = factor_model_universe(n, seed=seed)
    book = synthetic_book(model, 6, seed=seed + 1, infeasible_share=0.0)
    plain = solve_batch(model, book)
    capped = book.take(np.arange(book.size))
    capped.max_volatility = np.where(plain.status == STATUS_OPTIMAL, frac * plain.volatility,
                                     np.nan)
    res = solve_batch(model, capped)
    for i in range(book.size):
        if not np.isfinite(capped.max_volatility[i]):
            continue
        status, value, _ = clarabel_reference(model, capped, i, ceiling=True, tight=True)
        if status not in ("optimal", "optimal_inaccurate"):
            assert res.status[i] == "infeasible", (i, status, res.status[i], res.message[i])
            continue
        if res.status[i] == "infeasible":  # only when the ceiling is below the lowest vol
            assert "max_volatility" in res.message[i]
            continue
        assert res.status[i] == STATUS_OPTIMAL, (i, res.status[i], res.message[i])
        assert value is not None
        assert res.utility[i] >= value - 1e-9 * abs(value), (i, res.utility[i], value)
        assert res.utility[i] <= value + 1e-7 * abs(value), (i, res.utility[i], value)
        assert res.volatility[i] <= capped.max_volatility[i] * (1 + 1e-12)
        assert res.primal_residual[i] <= 1e-9


def test_a_ceiling_below_the_minimum_variance_is_proved_on_the_path() -> None:
    """The path in t reaches t = 0 on a face still above the ceiling: the minimum-variance
    answer, re-solved and checked at t = 0 there, is the proof (no bracketed search), and
    it is the minimum-variance portfolio the kernel finds on its own."""
    from tailorfolio.kernel._activeset import active_set_solve
    from tailorfolio.kernel._solve import _ceiling_path, _vol2, solve
    from tailorfolio.kernel._standard import from_investor_batch

    model = factor_model_universe(12, seed=7)
    book = synthetic_book(model, 30, seed=9, infeasible_share=0.0)
    lowest_book = book.take(np.arange(book.size))
    lowest_book.risk_aversion = np.full(book.size, np.inf)
    lowest_book.cost_rate = np.zeros_like(book.cost_rate)  # t = 0: no linear part at all
    lowest = solve_batch(model, lowest_book).volatility
    assert np.isfinite(lowest).all()
    book.max_volatility = 0.9 * lowest  # every ceiling below what the constraints allow
    sf = from_investor_batch(model, book)
    sol = solve(sf)
    assert sol.infeasible.all() and not sol.ok.any()
    proof_vol = np.sqrt(_vol2(sf, sol.w) * sf.variance_scale)
    np.testing.assert_allclose(proof_vol, lowest, rtol=1e-9)
    # most proofs come from the path itself (the rest leave it at a degenerate breakpoint
    # for the bracketed search), and they are the same minimum-variance portfolios
    plain = active_set_solve(sf.with_linear_factor(np.ones(sf.size)), max_iter=80)
    assert plain.ok.all()
    path = _ceiling_path(sf, plain.active.copy(), sf.vol_cap ** 2, 1e-9)
    floor, w_path = path[-1], path[1]
    assert floor.sum() >= sf.size // 3
    np.testing.assert_allclose(np.sqrt(_vol2(sf, w_path[floor]) * sf.variance_scale),
                               lowest[floor], rtol=1e-9)
