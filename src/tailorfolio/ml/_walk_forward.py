"""Walk-forward out-of-sample forecasts and their R² against the historical mean.

At each decision date t the model is trained only on pairs (features at s, target at s+1)
with s + 1 ≤ t — targets already realised — refitted every ``refit_every`` dates, and asked
for the forecast of period t+1 from the features at t. The out-of-sample R² is Campbell &
Thompson's (2008): 1 − Σ(x − f)² / Σ(x − m)², m the expanding historical mean; Welch & Goyal
(2008) find the classic predictors below zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tailorfolio.errors import InsufficientDataError
from tailorfolio.ml._features import excess_over_mean_target, feature_panel
from tailorfolio.ml._forecaster import ModelKind, ReturnForecaster


def oos_r2(realized: np.ndarray, forecast: np.ndarray, benchmark: np.ndarray) -> float:
    """Campbell–Thompson out-of-sample R² of ``forecast`` versus ``benchmark``."""
    r, f, b = (np.asarray(a, float) for a in (realized, forecast, benchmark))
    denom = float(np.sum((r - b) ** 2))
    return 1.0 - float(np.sum((r - f) ** 2)) / denom if denom > 0 else float("nan")


def combination_weight(realized: np.ndarray, forecast: np.ndarray, benchmark: np.ndarray
                       ) -> float:
    """Out-of-sample weight β on the forecast's deviation from the benchmark.

    β = Σ(x − m)(f − m) / Σ(f − m)², the MSE-optimal λ in m + λ(f − m) measured on past
    out-of-sample pairs (forecast encompassing, Chong & Hendry 1986). β ≤ 0 means the
    forecast adds nothing to the historical mean; β = 1 that its deviations are worth their
    full size. Clipped to [0, 1].
    """
    r, f, b = (np.asarray(a, float) for a in (realized, forecast, benchmark))
    dev = f - b
    den = float(dev @ dev)
    if den <= 0:
        return 0.0
    return float(np.clip((r - b) @ dev / den, 0.0, 1.0))


@dataclass(frozen=True)
class ForecastEvaluation:
    """Walk-forward forecasts of one model.

    Attributes
    ----------
    model : str
    forecasts, benchmark, realized : DataFrame of shape (n_forecasts, n_assets)
        Per-period excess returns, indexed by the forecast *target* period's date.
    """

    model: str
    forecasts: pd.DataFrame
    benchmark: pd.DataFrame
    realized: pd.DataFrame

    @property
    def oos_r2(self) -> float:
        """Pooled out-of-sample R² versus the historical mean."""
        return oos_r2(self.realized.to_numpy().ravel(), self.forecasts.to_numpy().ravel(),
                      self.benchmark.to_numpy().ravel())

    def oos_r2_by_asset(self) -> pd.Series:
        """Out-of-sample R² per asset."""
        return pd.Series({a: oos_r2(self.realized[a], self.forecasts[a], self.benchmark[a])
                          for a in self.forecasts.columns})

    @property
    def combination_weight(self) -> float:
        """Pooled β (see :func:`combination_weight`)."""
        return combination_weight(self.realized.to_numpy().ravel(),
                                  self.forecasts.to_numpy().ravel(),
                                  self.benchmark.to_numpy().ravel())


def walk_forward_forecasts(returns: pd.DataFrame, *, risk_free: pd.Series | None = None,
                           predictors: pd.DataFrame | None = None,
                           model: ModelKind | str = ModelKind.RIDGE, min_train: int = 120,
                           refit_every: int = 12, gap: int = 1, n_splits: int = 3,
                           random_state: int = 0) -> ForecastEvaluation:
    """Forecast every period after ``min_train`` out of sample.

    Parameters
    ----------
    returns : DataFrame of shape (n_periods, n_assets)
    risk_free : Series, optional
    predictors : DataFrame, optional
    model : ModelKind
    min_train : int
        Periods of data before the first forecast.
    refit_every : int
        Periods between refits (the fitted model is reused in between).
    gap, n_splits, random_state
        See :class:`ReturnForecaster`.

    Raises
    ------
    InsufficientDataError
    """
    panel = feature_panel(returns, predictors)
    target, bench = excess_over_mean_target(returns, risk_free)
    target = target.reindex(panel.index)
    bench_all = bench
    dates = returns.index
    if len(dates) <= min_train + 1:
        raise InsufficientDataError(f"{len(dates)} periods are too few for min_train={min_train}.",
                                    field="min_train", value=min_train)
    rows_dates = panel.index.get_level_values("date")
    fc_rows, bm_rows, rz_rows, idx = [], [], [], []
    fitted: ReturnForecaster | None = None
    rf = (pd.Series(0.0, index=dates) if risk_free is None
          else risk_free.reindex(dates).fillna(0.0))
    for k, t in enumerate(range(min_train, len(dates) - 1)):
        now = dates[t]
        if fitted is None or k % refit_every == 0:
            train = rows_dates < now  # s ≤ t−1 ⇒ target r_{s+1} realised by t
            fitted = ReturnForecaster(model=model, n_splits=n_splits, gap=gap,
                                      random_state=random_state).fit(panel[train], target[train])
        if now not in rows_dates:
            continue
        x_now = panel.xs(now, level="date", drop_level=False)
        assets = x_now.index.get_level_values("asset")
        m_now = bench_all.xs(now, level="date").reindex(assets).to_numpy()
        pred = fitted.predict(x_now).to_numpy() + m_now
        nxt = dates[t + 1]
        real = (returns.loc[nxt] - rf.loc[nxt]).reindex(assets).to_numpy()
        fc_rows.append(pd.Series(pred, index=assets))
        bm_rows.append(pd.Series(m_now, index=assets))
        rz_rows.append(pd.Series(real, index=assets))
        idx.append(nxt)
    make = lambda rows: pd.DataFrame(rows, index=pd.DatetimeIndex(idx, name="date"))
    return ForecastEvaluation(ModelKind(model).value, make(fc_rows), make(bm_rows), make(rz_rows))
