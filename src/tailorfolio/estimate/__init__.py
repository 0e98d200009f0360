"""Estimates of expected returns and covariances, always positive definite."""

from tailorfolio.estimate._black_litterman import BlackLittermanResult, View, black_litterman
from tailorfolio.estimate._covariance import CovarianceEstimator, CovarianceMethod
from tailorfolio.estimate._expected_returns import (
    equilibrium_returns,
    historical_mean_returns,
    implied_risk_aversion,
)
from tailorfolio.estimate._psd import RepairReport, nearest_correlation, repair_covariance

__all__ = [
    "BlackLittermanResult",
    "CovarianceEstimator",
    "CovarianceMethod",
    "RepairReport",
    "View",
    "black_litterman",
    "equilibrium_returns",
    "historical_mean_returns",
    "implied_risk_aversion",
    "nearest_correlation",
    "repair_covariance",
]
