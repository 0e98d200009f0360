"""Machine-learning return forecasts, trained walk-forward and judged out of sample against
the historical mean; their confidence feeds Black–Litterman views."""

from tailorfolio.ml._features import excess_over_mean_target, feature_panel
from tailorfolio.ml._forecaster import ModelKind, ReturnForecaster, date_splits
from tailorfolio.ml._views import forecast_views
from tailorfolio.ml._walk_forward import (
    ForecastEvaluation,
    combination_weight,
    oos_r2,
    walk_forward_forecasts,
)

__all__ = [
    "ForecastEvaluation",
    "ModelKind",
    "ReturnForecaster",
    "combination_weight",
    "date_splits",
    "excess_over_mean_target",
    "feature_panel",
    "forecast_views",
    "oos_r2",
    "walk_forward_forecasts",
]
