"""Performance measures as pure functions of per-period returns and values.

Conventions: ``returns`` are simple per-period decimals; annualisation multiplies means by
``periods_per_year`` and standard deviations by its square root; the annualised return is
geometric (compounded). Sharpe ratios use excess returns over the risk-free series of the same
periods. Certainty-equivalent return follows DeMiguel, Garlappi & Uppal (2009):
CEQ = mean − γ/2 · variance of excess returns, annualised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def annualized_return(returns: np.ndarray, periods_per_year: int) -> float:
    """Compounded annual growth rate, decimal."""
    r = np.asarray(returns, float)
    if len(r) == 0:
        return float("nan")
    growth = float(np.prod(1.0 + r))
    if growth <= 0:
        return -1.0
    return growth ** (periods_per_year / len(r)) - 1.0


def annualized_volatility(returns: np.ndarray, periods_per_year: int) -> float:
    """Sample standard deviation × √periods_per_year, decimal."""
    r = np.asarray(returns, float)
    return float(np.std(r, ddof=1) * np.sqrt(periods_per_year)) if len(r) > 1 else float("nan")


def sharpe_ratio(returns: np.ndarray, risk_free: np.ndarray | float, periods_per_year: int
                 ) -> float:
    """Annualised Sharpe ratio of excess returns (mean/std × √periods_per_year)."""
    x = np.asarray(returns, float) - np.asarray(risk_free, float)
    if len(x) < 2:
        return float("nan")
    sd = float(np.std(x, ddof=1))
    return float(np.mean(x) / sd * np.sqrt(periods_per_year)) if sd > 0 else float("nan")


def certainty_equivalent(returns: np.ndarray, risk_free: np.ndarray | float,
                         periods_per_year: int, risk_aversion: float = 1.0) -> float:
    """Annualised certainty-equivalent excess return (DeMiguel et al. 2009), decimal."""
    x = np.asarray(returns, float) - np.asarray(risk_free, float)
    if len(x) < 2:
        return float("nan")
    return float((np.mean(x) - risk_aversion / 2.0 * np.var(x, ddof=1)) * periods_per_year)


def max_drawdown(values: np.ndarray) -> float:
    """Largest peak-to-trough fall of a value series, as a positive decimal."""
    v = np.asarray(values, float)
    if len(v) == 0:
        return float("nan")
    peaks = np.maximum.accumulate(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        dd = np.where(peaks > 0, v / peaks - 1.0, 0.0)
    return float(-dd.min())


def drawdown_series(values: pd.Series) -> pd.Series:
    """Value / running peak − 1 at each date (≤ 0)."""
    return values / values.cummax() - 1.0
