"""Catch look-ahead that the truncated history cannot prevent.

A strategy only ever receives a :class:`HistoryView` cut at the decision date, but it could
still hold a reference to the full data set (captured when it was built). The audit runs the
backtest twice — on the real data, and on data whose returns after ``cutoff`` are replaced
by a scrambled copy — and requires every target decided on or before ``cutoff`` to be
identical. An honest strategy cannot tell the two runs apart before ``cutoff``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tailorfolio.backtest._engine import run_backtest
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.errors import LookAheadError


def check_no_lookahead(
    make_strategy: Callable[[pd.DataFrame], Strategy],
    returns: pd.DataFrame,
    cutoff: str | pd.Timestamp | list,
    *,
    seed: int = 0,
    atol: float = 1e-12,
    **backtest_kwargs,
) -> None:
    """Raise :class:`LookAheadError` if decisions up to ``cutoff`` depend on later data.

    Parameters
    ----------
    make_strategy : callable
        Builds the strategy from the data it will be run on (so a strategy that captures
        data at construction sees the altered future in the second run).
    returns : DataFrame
    cutoff : date or list of dates
        Last decision date that must be unaffected; with several, each is audited (a strategy
        that peeks may by chance choose the same weights at one cutoff, rarely at many).
    seed : int
        Seed of the scrambling.
    **backtest_kwargs
        Passed to :func:`run_backtest` (policy, warm-up...).
    """
    if isinstance(cutoff, (list, tuple, pd.DatetimeIndex)):
        for i, c in enumerate(cutoff):
            check_no_lookahead(make_strategy, returns, c, seed=seed + i, atol=atol,
                               **backtest_kwargs)
        return
    cutoff = pd.Timestamp(cutoff)
    rng = np.random.default_rng(seed)
    future = returns.index > cutoff
    altered = returns.copy()
    block = returns.loc[future].to_numpy()
    altered.loc[future] = -0.5 * block[rng.permutation(len(block))] + 0.01
    a = run_backtest(make_strategy(returns), returns, **backtest_kwargs)
    b = run_backtest(make_strategy(altered), altered, **backtest_kwargs)
    ta = a.targets.loc[:cutoff]
    tb = b.targets.loc[:cutoff]
    if not ta.index.equals(tb.index):
        raise LookAheadError(
            f"Rebalance dates before {cutoff.date()} change when only later data changes.",
            field="strategy", value=a.strategy,
        )
    diff = np.abs(ta.to_numpy() - tb.to_numpy())
    if diff.size and diff.max() > atol:
        bad = ta.index[np.argmax(diff.max(axis=1))]
        raise LookAheadError(
            f"Strategy {a.strategy!r} used data after its decision date: its target on "
            f"{pd.Timestamp(bad).date()} changes by {diff.max():.3g} when only returns after "
            f"{cutoff.date()} change.", field="strategy", value=a.strategy,
            expected="decisions that depend on past data only",
            fix="estimate only from the HistoryView the engine passes",
        )
