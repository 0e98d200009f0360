"""The regime-switching strategy passes the look-ahead audit and penalises switching."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.backtest import CalendarPolicy, check_no_lookahead, run_backtest
from tailorfolio.backtest.strategies import RegimeSwitching

pytest.importorskip("hmmlearn")


@pytest.fixture(scope="module")
def short_data():
    from tailorfolio.datasets import load_dataset

    return load_dataset("us-asset-classes").between("1995-01", "2004-12")


@pytest.mark.slow
def test_regime_strategy_has_no_lookahead(short_data):
    r = short_data.returns
    check_no_lookahead(lambda d: RegimeSwitching(min_history=72, refit_every=24), r,
                       cutoff=r.index[90], policy=CalendarPolicy(6),
                       broad_class=short_data.broad_class)


@pytest.mark.slow
def test_switching_penalty_reduces_turnover(short_data):
    r = short_data.returns
    kw = dict(policy=CalendarPolicy(3), broad_class=short_data.broad_class)
    free = run_backtest(RegimeSwitching(min_history=72, refit_every=8,
                                        switching_penalty_bps=0.0), r, **kw)
    damped = run_backtest(RegimeSwitching(min_history=72, refit_every=8,
                                          switching_penalty_bps=300.0), r, **kw)
    assert damped.turnover.sum() <= free.turnover.sum() + 1e-9
    assert np.isfinite(damped.metrics.sharpe)
