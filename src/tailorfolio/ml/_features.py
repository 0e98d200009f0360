"""Forecasting features computed causally: each row uses data up to its own date only.

Per asset: 12–1 month momentum (Jegadeesh & Titman 1993), the last period's return
(short-term reversal), 12-period volatility; market-wide: the equal-weight average's 12-period
return and volatility; plus any market-level predictors given (valuation ratios, yields,
term spread — Welch & Goyal 2008's classics), already lagged to their publication dates.
The target is the next period's excess return minus the asset's expanding historical mean,
so a model predicting zero reproduces the historical-mean benchmark exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOOKBACK = 12


def feature_panel(returns: pd.DataFrame, predictors: pd.DataFrame | None = None
                  ) -> pd.DataFrame:
    """Stack features into rows (date, asset).

    Parameters
    ----------
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns per period, decimals.
    predictors : DataFrame, optional
        Market-level series indexed by date (forward-filled onto ``returns``' dates; columns
        with no value at the last date are dropped so a forecast is always possible).

    Returns
    -------
    DataFrame
        MultiIndex (date, asset); rows with incomplete features dropped.
    """
    logr = np.log1p(returns)
    mom = logr.shift(1).rolling(LOOKBACK - 1).sum()
    vol = returns.rolling(LOOKBACK).std()
    market = returns.mean(axis=1)
    frames = {
        "momentum_12_1": mom,
        "reversal_1": returns,
        "volatility_12": vol,
    }
    panel = pd.concat({k: v.stack() for k, v in frames.items()}, axis=1)
    panel.index.names = ["date", "asset"]
    dates = panel.index.get_level_values("date")
    market_cols = pd.DataFrame({
        "market_return_12": np.log1p(market).rolling(LOOKBACK).sum(),
        "market_volatility_12": market.rolling(LOOKBACK).std(),
    })
    if predictors is not None and len(predictors.columns):
        pred = predictors.reindex(returns.index, method="ffill")
        keep = [c for c in pred.columns if pd.notna(pred[c].iloc[-1])]
        market_cols = market_cols.join(pred[keep])
    for col in market_cols.columns:
        panel[col] = market_cols[col].reindex(dates).to_numpy()
    return panel.dropna()


def excess_over_mean_target(returns: pd.DataFrame, risk_free: pd.Series | None = None
                            ) -> tuple[pd.Series, pd.Series]:
    """Next-period excess return minus the expanding mean known now, and that mean.

    Returns
    -------
    target : Series, MultiIndex (date, asset)
        ``x_{t+1} − m_t`` where x is the excess return and m_t its mean over periods ≤ t
        (NaN for the last date).
    benchmark : Series, MultiIndex (date, asset)
        ``m_t``, the historical-mean forecast of ``x_{t+1}``.
    """
    rf = 0.0 if risk_free is None else risk_free.reindex(returns.index).fillna(0.0)
    excess = returns.sub(rf, axis=0)
    mean = excess.expanding().mean()
    target = (excess.shift(-1) - mean).stack(future_stack=True)
    bench = mean.stack(future_stack=True)
    target.index.names = bench.index.names = ["date", "asset"]
    return target, bench
