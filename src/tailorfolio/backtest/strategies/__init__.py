"""Strategies for the backtester: baselines, optimized portfolios, ML views, regimes, glide
paths and the investor's own plan."""

from tailorfolio.backtest.strategies._bl_ml import BlackLittermanML
from tailorfolio.backtest.strategies._dynamic import GlidePathStrategy, RegimeSwitching
from tailorfolio.backtest.strategies._hrp import HierarchicalRiskParity, hrp_weights
from tailorfolio.backtest.strategies._optimized import MeanVariance, MinimumVariance
from tailorfolio.backtest.strategies._registry import STRATEGY_SPECS, strategy_from_spec
from tailorfolio.backtest.strategies._risk_parity import RiskParity, risk_parity_weights
from tailorfolio.backtest.strategies._simple import (
    EqualWeight,
    FixedWeights,
    InverseVolatility,
    plan_strategy,
)

__all__ = [
    "BlackLittermanML",
    "GlidePathStrategy",
    "RegimeSwitching",
    "EqualWeight",
    "FixedWeights",
    "HierarchicalRiskParity",
    "InverseVolatility",
    "MeanVariance",
    "MinimumVariance",
    "RiskParity",
    "hrp_weights",
    "plan_strategy",
    "risk_parity_weights",
    "STRATEGY_SPECS",
    "strategy_from_spec",
]
