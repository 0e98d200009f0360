"""Pieces the benchmarks share: a median timer and the returns their universes come from.

Imported as ``from _common import ...`` (each benchmark runs as a script from this folder).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd


def median_ms(fn: Callable[[], object], repeat: int, warm_up: bool = False,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Median time of ``fn`` over ``repeat`` calls, in milliseconds (one untimed call first
    with ``warm_up``): wall time by default; ``clock=time.process_time`` gives CPU time,
    which on a shared machine excludes the time other processes hold the core."""
    if warm_up:
        fn()
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append((clock() - t) * 1000)
    return statistics.median(times)


def returns_for(n: int) -> tuple[pd.DataFrame, str]:
    """Daily returns and a label: skfolio's bundled S&P 500 prices (2018–2022) at N = 20,
    otherwise a seeded 5-factor model with 750 observations."""
    if n == 20:
        from skfolio.datasets import load_sp500_dataset

        prices = load_sp500_dataset().loc["2018-01-01":]
        return prices.pct_change().dropna(), "N=20 (skfolio S&P 500)"
    rng = np.random.default_rng(7)
    k, t = 5, 750
    loadings = rng.normal(0.8, 0.4, size=(n, k)) * np.array([1, 0.5, 0.4, 0.3, 0.2])
    f = rng.normal(0.0003, 0.01, size=(t, k))
    eps = rng.normal(0, 1, size=(t, n)) * rng.uniform(0.005, 0.02, n)
    alpha = rng.normal(0.0004, 0.0003, n)
    r = alpha + f @ loadings.T + eps
    return pd.DataFrame(r, columns=[f"A{i:03d}" for i in range(n)]), f"N={n} (factor model)"
