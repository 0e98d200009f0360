"""Estimates of expected returns and covariances, always positive definite."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.estimate._black_litterman import BlackLittermanResult, View, black_litterman
    from tailorfolio.estimate._covariance import CovarianceEstimator, CovarianceMethod
    from tailorfolio.estimate._expected_returns import (
        equilibrium_returns,
        historical_mean_returns,
        implied_risk_aversion,
    )
    from tailorfolio.estimate._psd import RepairReport, nearest_correlation, repair_covariance

_EXPORTS = {
    "BlackLittermanResult": "tailorfolio.estimate._black_litterman",
    "View": "tailorfolio.estimate._black_litterman",
    "black_litterman": "tailorfolio.estimate._black_litterman",
    "CovarianceEstimator": "tailorfolio.estimate._covariance",
    "CovarianceMethod": "tailorfolio.estimate._covariance",
    "equilibrium_returns": "tailorfolio.estimate._expected_returns",
    "historical_mean_returns": "tailorfolio.estimate._expected_returns",
    "implied_risk_aversion": "tailorfolio.estimate._expected_returns",
    "RepairReport": "tailorfolio.estimate._psd",
    "nearest_correlation": "tailorfolio.estimate._psd",
    "repair_covariance": "tailorfolio.estimate._psd",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

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
