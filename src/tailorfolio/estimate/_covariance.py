"""Covariance estimators: sample, EWMA, Ledoit–Wolf and OAS shrinkage.

Each follows the scikit-learn contract: ``__init__`` stores arguments, ``fit(returns)``
validates, sets ``covariance_`` (annualised, decimal², DataFrame indexed by ticker) and
``repair_`` (a :class:`RepairReport`), and returns ``self``.
"""

from __future__ import annotations

from enum import Enum
from typing import Self

import numpy as np
import pandas as pd

from tailorfolio.errors import InsufficientDataError, ParameterError
from tailorfolio.estimate._psd import RepairReport, repair_covariance


class CovarianceMethod(str, Enum):
    """Available covariance estimators."""

    SAMPLE = "sample"
    EWMA = "ewma"
    LEDOIT_WOLF = "ledoit_wolf"
    OAS = "oas"


def _check_returns(returns: pd.DataFrame, min_rows: int = 3) -> np.ndarray:
    if not isinstance(returns, pd.DataFrame):
        raise ParameterError(
            f"returns must be a pandas DataFrame (dates × assets); got {type(returns).__name__}.",
            field="returns", value=type(returns).__name__,
        )
    from tailorfolio.limits import MAX_PRICE_COLUMNS

    if returns.shape[1] == 0:
        raise InsufficientDataError("returns has no asset columns.", field="returns",
                                    value=0, expected=">= 1 asset")
    if returns.shape[1] > MAX_PRICE_COLUMNS:
        raise ParameterError(
            f"returns has {returns.shape[1]:,} assets; at most {MAX_PRICE_COLUMNS:,} are "
            "supported.", field="returns", value=returns.shape[1],
            expected=f"<= {MAX_PRICE_COLUMNS:,} columns",
            fix="pre-select the assets, or use the fleet engine for large universes")
    try:
        x = returns.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("returns must hold numbers only.", field="returns",
                             expected="float returns", fix="convert the columns to numbers"
                             ) from None
    if not np.isfinite(x).all():
        bad = ~np.isfinite(x).all(axis=0)
        cols = [str(c) for c in returns.columns[bad][:10]]
        raise InsufficientDataError(
            f"returns contain NaN or infinite values for {cols}"
            f"{' and more' if bad.sum() > 10 else ''}.", field="returns", value=cols,
            fix="validate prices with tailorfolio.market.validate_prices first",
        )
    if len(x) < min_rows:
        raise InsufficientDataError(
            f"{len(x)} return observations are too few to estimate a covariance.",
            field="returns", value=len(x), expected=f">= {min_rows}",
        )
    return x


class CovarianceEstimator:
    """Estimate an annualised covariance matrix from periodic returns.

    Parameters
    ----------
    method : CovarianceMethod
        ``sample``, ``ewma``, ``ledoit_wolf`` (default) or ``oas``.
    periods_per_year : int
        Observations per year of the returns (12 monthly, 252 daily).
    halflife : float
        EWMA half-life in observations (``ewma`` only).

    Attributes
    ----------
    covariance_ : DataFrame of shape (n_assets, n_assets)
        Annualised covariance, positive definite.
    shrinkage_ : float or None
        Shrinkage intensity chosen by Ledoit–Wolf / OAS.
    repair_ : RepairReport
    """

    def __init__(
        self,
        *,
        method: CovarianceMethod | str = CovarianceMethod.LEDOIT_WOLF,
        periods_per_year: int = 12,
        halflife: float = 36.0,
    ) -> None:
        self.method = method
        self.periods_per_year = periods_per_year
        self.halflife = halflife

    def fit(self, returns: pd.DataFrame) -> Self:
        """Fit on ``returns`` (DataFrame of shape (n_obs, n_assets), per-period decimals)."""
        try:
            method = CovarianceMethod(self.method)
        except ValueError:
            raise ParameterError(
                f"The 'method' parameter of CovarianceEstimator must be one of "
                f"{[m.value for m in CovarianceMethod]}. Got {self.method!r} instead.",
                field="method", value=self.method,
            ) from None
        if self.periods_per_year <= 0:
            raise ParameterError(
                f"The 'periods_per_year' parameter must be > 0. Got {self.periods_per_year}.",
                field="periods_per_year", value=self.periods_per_year,
            )
        x = _check_returns(returns)
        self.shrinkage_: float | None = None
        if method is CovarianceMethod.SAMPLE:
            cov = np.cov(x, rowvar=False, ddof=1)
        elif method is CovarianceMethod.EWMA:
            if self.halflife <= 0:
                raise ParameterError(
                    f"The 'halflife' parameter must be > 0. Got {self.halflife}.",
                    field="halflife", value=self.halflife,
                )
            decay = 0.5 ** (1.0 / self.halflife)
            w = decay ** np.arange(len(x))[::-1]
            w = w / w.sum()
            mean = w @ x
            dev = x - mean
            cov = (dev * w[:, None]).T @ dev / (1.0 - np.sum(w**2))
        elif method is CovarianceMethod.LEDOIT_WOLF:
            from sklearn.covariance import LedoitWolf  # scikit-learn loads in ~1 s: on use only

            est = LedoitWolf().fit(x)
            cov, self.shrinkage_ = est.covariance_, float(est.shrinkage_)
        else:
            from sklearn.covariance import OAS

            est = OAS().fit(x)
            cov, self.shrinkage_ = est.covariance_, float(est.shrinkage_)
        cov = np.atleast_2d(cov) * self.periods_per_year
        fixed, self.repair_ = repair_covariance(cov)
        self.covariance_ = pd.DataFrame(fixed, index=returns.columns, columns=returns.columns)
        return self

    def __repr__(self) -> str:
        return (f"CovarianceEstimator(method={CovarianceMethod(self.method).value!r}, "
                f"periods_per_year={self.periods_per_year}, halflife={self.halflife})")


