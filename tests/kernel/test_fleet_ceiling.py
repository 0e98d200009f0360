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
