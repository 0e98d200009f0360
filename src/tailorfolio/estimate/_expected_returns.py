"""Expected-return estimators: historical mean and CAPM equilibrium (reverse optimization)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.errors import ParameterError
from tailorfolio.estimate._covariance import _check_returns


def historical_mean_returns(
    returns: pd.DataFrame, *, periods_per_year: int = 12, compounding: bool = False
) -> pd.Series:
    """Annualised mean return per asset.

    Parameters
    ----------
    returns : DataFrame of shape (n_obs, n_assets)
        Periodic simple returns, decimals.
    periods_per_year : int
    compounding : bool
        False (default): arithmetic mean × periods; True: geometric annualised growth.

    Returns
    -------
    Series of shape (n_assets,), annual decimals.
    """
    x = _check_returns(returns, min_rows=2)
    if compounding:
        growth = np.prod(1.0 + x, axis=0) ** (periods_per_year / len(x)) - 1.0
        return pd.Series(growth, index=returns.columns)
    return pd.Series(x.mean(axis=0) * periods_per_year, index=returns.columns)


def implied_risk_aversion(
    market_return: float, market_variance: float, risk_free_rate: float
) -> float:
    """Market-implied risk aversion δ = (E[r_m] − r_f) / σ_m² (Black–Litterman's delta)."""
    if market_variance <= 0:
        raise ParameterError("market_variance must be > 0", field="market_variance",
                             value=market_variance)
    return (market_return - risk_free_rate) / market_variance


def equilibrium_returns(
    covariance: pd.DataFrame,
    market_weights: pd.Series,
    *,
    risk_aversion: float = 2.5,
    risk_free_rate: float = 0.0,
) -> pd.Series:
    """CAPM equilibrium (implied) expected returns π = r_f + δ Σ w_mkt.

    Parameters
    ----------
    covariance : DataFrame of shape (n, n)
        Annual covariance.
    market_weights : Series of shape (n,)
        Market-capitalisation weights (normalised to sum to 1 here).
    risk_aversion : float
        δ > 0; 2.5 is the conventional value (He & Litterman 1999).
    risk_free_rate : float
        Annual, decimal.

    Returns
    -------
    Series of shape (n,), annual arithmetic expected returns, decimals.
    """
    if risk_aversion <= 0:
        raise ParameterError(
            f"The 'risk_aversion' parameter must be > 0. Got {risk_aversion}.",
            field="risk_aversion", value=risk_aversion,
        )
    w = market_weights.reindex(covariance.index).fillna(0.0).to_numpy(float)
    if w.sum() <= 0 or (w < 0).any():
        raise ParameterError(
            "market_weights must be non-negative with a positive sum.",
            field="market_weights", value=market_weights.to_dict(),
        )
    w = w / w.sum()
    pi = risk_free_rate + risk_aversion * covariance.to_numpy(float) @ w
    return pd.Series(pi, index=covariance.index)
