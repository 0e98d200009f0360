"""Return forecasters: regularized linear models and gradient boosting, tuned with
time-series cross-validation that leaves a gap between training and validation dates."""

from __future__ import annotations

from enum import Enum
from typing import Self

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Lasso, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tailorfolio.errors import InsufficientDataError, ParameterError


class ModelKind(str, Enum):
    """Available forecasting models."""

    RIDGE = "ridge"
    LASSO = "lasso"
    GRADIENT_BOOSTING = "gbm"


def date_splits(dates: pd.Index, n_splits: int, gap: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """TimeSeriesSplit over *dates* (not rows) mapped back to row positions.

    Every row of a date falls on the same side of a split, and ``gap`` whole dates separate
    the last training date from the first validation date.
    """
    unique = pd.Index(dates.unique()).sort_values()
    splitter = TimeSeriesSplit(n_splits=n_splits, gap=gap)
    pos = unique.get_indexer(dates)
    out = []
    for tr, va in splitter.split(np.arange(len(unique))):
        out.append((np.flatnonzero(np.isin(pos, tr)), np.flatnonzero(np.isin(pos, va))))
    return out


class ReturnForecaster:
    """Predict next-period excess return over the historical mean from features.

    Parameters
    ----------
    model : ModelKind
        ``ridge``, ``lasso`` or ``gbm`` (histogram gradient boosting, shallow trees).
    n_splits : int
        Time-series CV folds for the hyperparameters.
    gap : int
        Dates left out between each training and validation fold.
    random_state : int

    Attributes
    ----------
    estimator_ : fitted sklearn estimator
    best_params_ : dict
    feature_names_ : list of str
    """

    def __init__(self, *, model: ModelKind | str = ModelKind.RIDGE, n_splits: int = 3,
                 gap: int = 1, random_state: int = 0) -> None:
        self.model = model
        self.n_splits = n_splits
        self.gap = gap
        self.random_state = random_state

    def _search(self) -> tuple[object, dict]:
        kind = ModelKind(self.model)
        if kind is ModelKind.RIDGE:
            return (make_pipeline(StandardScaler(), Ridge()),
                    {"ridge__alpha": [1.0, 10.0, 100.0, 1_000.0, 10_000.0]})
        if kind is ModelKind.LASSO:
            return (make_pipeline(StandardScaler(), Lasso(max_iter=5_000)),
                    {"lasso__alpha": [1e-4, 3e-4, 1e-3, 3e-3]})
        return (HistGradientBoostingRegressor(max_depth=2, max_iter=100, min_samples_leaf=50,
                                              random_state=self.random_state),
                {"learning_rate": [0.02, 0.05]})

    def fit(self, features: pd.DataFrame, target: pd.Series) -> Self:
        """Fit on rows (date, asset); ``target`` aligned with ``features``.

        Raises
        ------
        ParameterError
            On an unknown model.
        InsufficientDataError
            With fewer dates than folds allow.
        """
        try:
            ModelKind(self.model)
        except ValueError:
            raise ParameterError(
                f"The 'model' parameter must be one of {[m.value for m in ModelKind]}. "
                f"Got {self.model!r} instead.", field="model", value=self.model) from None
        dates = features.index.get_level_values("date")
        if dates.nunique() < (self.n_splits + 1) * 2 + self.gap:
            raise InsufficientDataError(
                f"{dates.nunique()} dates are too few to tune a forecaster with "
                f"{self.n_splits} folds.", field="features", value=int(dates.nunique()))
        est, grid = self._search()
        search = GridSearchCV(est, grid, cv=date_splits(dates, self.n_splits, self.gap),
                              scoring="neg_mean_squared_error", refit=True)
        search.fit(features.to_numpy(float), target.to_numpy(float))
        self.estimator_ = search.best_estimator_
        self.best_params_ = dict(search.best_params_)
        self.feature_names_ = list(features.columns)
        return self

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Forecast of next-period excess return minus the historical mean, per row."""
        x = features[self.feature_names_].to_numpy(float)
        return pd.Series(self.estimator_.predict(x), index=features.index)

    def __repr__(self) -> str:
        return (f"ReturnForecaster(model={ModelKind(self.model).value!r}, "
                f"n_splits={self.n_splits}, gap={self.gap}, random_state={self.random_state})")
