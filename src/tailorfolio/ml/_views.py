"""Turn forecasts into Black–Litterman views whose strength is their measured skill.

For a forecast f_k of asset k's expected excess return (annualised) and an out-of-sample
combination weight β ∈ [0, 1] (:func:`~tailorfolio.ml.combination_weight`), the absolute view
"k returns f_k" gets variance Ω_kk = τσ_k²(1 − β)/β. Black–Litterman then moves the prior
π_k toward f_k by exactly the fraction β for a single view — the fraction by which the model's
past deviations from the historical mean actually came true out of sample. β = 0 (a useless
model, or too little out-of-sample history) yields no view at all, so the portfolio is the
prior's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.estimate._black_litterman import View

MIN_BETA = 1e-6


def forecast_views(forecast: pd.Series, covariance: pd.DataFrame, beta: float, *,
                   tau: float = 0.05) -> list[View]:
    """One absolute view per asset with skill-based variance.

    Parameters
    ----------
    forecast : Series of shape (n_assets,)
        Annual expected excess returns, decimals.
    covariance : DataFrame of shape (n_assets, n_assets)
        Annual covariance (the prior's).
    beta : float
        Out-of-sample combination weight in [0, 1].
    tau : float
        Black–Litterman τ (must match the one passed to ``black_litterman``).

    Returns
    -------
    list of View
        Empty when ``beta`` is (nearly) zero.
    """
    if not np.isfinite(beta) or beta <= MIN_BETA:
        return []
    beta = min(float(beta), 1.0 - 1e-9)
    views = []
    for asset, value in forecast.items():
        var = tau * float(covariance.loc[asset, asset]) * (1.0 - beta) / beta
        views.append(View({str(asset): 1.0}, float(value), variance=var,
                          label=f"ML: {asset} {value:+.2%} (β={beta:.2f})"))
    return views
