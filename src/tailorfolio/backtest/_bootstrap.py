"""Block-bootstrap confidence intervals for the difference of two Sharpe ratios.

Paired circular block bootstrap (Politis & Romano 1992): the same resampled blocks of dates
are applied to both return series, which keeps their cross-correlation and, within blocks,
their serial dependence. The default block length is ⌈T^(1/3)⌉ periods, the rate-optimal
order for variance estimation (Hall, Horowitz & Jing 1995). The interval is the percentile
interval of the resampled differences; the p-value is the two-sided bootstrap p-value of the
difference being zero (twice the smaller tail mass at 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import InsufficientDataError, ParameterError


@dataclass(frozen=True)
class SharpeDifference:
    """Sharpe(a) − Sharpe(b) with its bootstrap interval.

    Attributes
    ----------
    difference : float
        Annualised Sharpe difference in the sample.
    low, high : float
        Bounds of the ``level`` percentile interval.
    p_value : float
        Two-sided bootstrap p-value for a zero difference.
    level : float
    block_length : int
    n_resamples : int
    seed : int
    """

    difference: float
    low: float
    high: float
    p_value: float
    level: float
    block_length: int
    n_resamples: int
    seed: int


def _sharpe_rows(x: np.ndarray, periods_per_year: int) -> np.ndarray:
    sd = x.std(axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, x.mean(axis=-1) / sd, np.nan) * np.sqrt(periods_per_year)


def circular_block_indices(n_obs: int, block_length: int, n_resamples: int,
                           rng: np.random.Generator) -> np.ndarray:
    """Index matrix of shape (n_resamples, n_obs) for a circular block bootstrap."""
    n_blocks = -(-n_obs // block_length)
    starts = rng.integers(0, n_obs, size=(n_resamples, n_blocks))
    idx = (starts[:, :, None] + np.arange(block_length)[None, None, :]) % n_obs
    return idx.reshape(n_resamples, -1)[:, :n_obs]


def sharpe_difference(excess_a: np.ndarray, excess_b: np.ndarray, periods_per_year: int, *,
                      block_length: int | None = None, n_resamples: int = 2000,
                      level: float = 0.95, seed: int = 0) -> SharpeDifference:
    """Bootstrap the Sharpe difference of two paired excess-return series.

    Parameters
    ----------
    excess_a, excess_b : ndarray of shape (n_periods,)
        Per-period excess returns over the same dates.
    periods_per_year : int
    block_length : int, optional
        Defaults to ⌈n_periods^(1/3)⌉.
    n_resamples : int
    level : float
        Confidence level in (0, 1).
    seed : int
        Seed of the resampling (results are deterministic for a given seed).

    Raises
    ------
    ParameterError, InsufficientDataError
    """
    a = np.asarray(excess_a, float)
    b = np.asarray(excess_b, float)
    if a.shape != b.shape:
        raise ParameterError("The two return series must cover the same periods.",
                             field="returns", value=(a.shape, b.shape))
    if len(a) < 8:
        raise InsufficientDataError(f"{len(a)} periods are too few to bootstrap a Sharpe ratio.",
                                    field="returns", value=len(a), expected=">= 8")
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1). Got {level}.", field="level", value=level)
    n = len(a)
    bl = int(block_length) if block_length is not None else int(np.ceil(n ** (1.0 / 3.0)))
    if not 1 <= bl <= n:
        raise ParameterError(f"block_length must be in [1, {n}]. Got {bl}.",
                             field="block_length", value=bl)
    rng = np.random.default_rng(seed)
    idx = circular_block_indices(n, bl, n_resamples, rng)
    diff = _sharpe_rows(a[idx], periods_per_year) - _sharpe_rows(b[idx], periods_per_year)
    diff = diff[np.isfinite(diff)]
    point = float(_sharpe_rows(a[None, :], periods_per_year)[0]
                  - _sharpe_rows(b[None, :], periods_per_year)[0])
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(diff, [alpha, 1.0 - alpha])
    p = 2.0 * min(float(np.mean(diff <= 0.0)), float(np.mean(diff >= 0.0)))
    return SharpeDifference(point, float(low), float(high), min(p, 1.0), level, bl,
                            n_resamples, seed)
