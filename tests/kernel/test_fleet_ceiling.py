"""Fleet investors with a volatility ceiling stay on the batched path and are exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.fleet import factor_model_universe, solve_batch, synthetic_book
from tailorfolio.fleet._solver import METHOD_BATCHED, STATUS_OPTIMAL


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
