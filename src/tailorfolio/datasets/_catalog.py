"""Named return datasets for backtests: ``ff-industries``, ``us-asset-classes``, ``sp500``.

Each is a :class:`ReturnDataset`: periodic simple returns of the investable assets, the
risk-free return of the same periods, each asset's broad class, market-level predictors for
forecasting models, and the source to cite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd

from tailorfolio.datasets._french import load_ff_factors, load_ff_industries
from tailorfolio.datasets._shiller import load_shiller, valuation_predictors
from tailorfolio.errors import (
    DataError,
    InsufficientDataError,
    MissingDependencyError,
    ParameterError,
)

BOND_MATURITY_YEARS = 10.0


class DatasetName(str, Enum):
    """Bundled datasets usable by ``tailorfolio backtest`` and ``tailorfolio regimes``."""

    FF_INDUSTRIES = "ff-industries"
    US_ASSET_CLASSES = "us-asset-classes"
    SP500 = "sp500"


@dataclass(frozen=True)
class ReturnDataset:
    """Returns of a set of assets with their risk-free rate and predictors.

    Attributes
    ----------
    name : str
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns per period, decimals, indexed by period-end date.
    risk_free : Series of shape (n_periods,)
        Risk-free return of the same periods, decimals.
    periods_per_year : int
    broad_class : dict of str to str
        ``equity``, ``bond`` or ``cash`` per asset.
    predictors : DataFrame
        Market-level series known at each date (may have fewer rows or NaN).
    source : str
        Citation.
    """

    name: str
    returns: pd.DataFrame
    risk_free: pd.Series
    periods_per_year: int
    broad_class: dict[str, str]
    predictors: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = ""

    def between(self, start: str | pd.Timestamp | None = None,
                end: str | pd.Timestamp | None = None) -> ReturnDataset:
        """The same dataset restricted to ``start`` … ``end`` (inclusive, any date text)."""
        idx = self.returns.index
        lo = idx[0] if start is None else pd.Timestamp(start)
        hi = idx[-1] if end is None else pd.Timestamp(end) + pd.offsets.MonthEnd(0) \
            if self.periods_per_year == 12 else pd.Timestamp(end)
        mask = (idx >= lo) & (idx <= hi)
        if mask.sum() < 2:
            raise InsufficientDataError(
                f"Dataset {self.name!r} has {int(mask.sum())} periods between {start} and {end}; "
                f"it covers {idx[0].date()} … {idx[-1].date()}.",
                field="--from/--to", value=f"{start}…{end}",
                expected=f"dates within {idx[0].date()} … {idx[-1].date()}",
            )
        return ReturnDataset(self.name, self.returns.loc[mask], self.risk_free.loc[mask],
                             self.periods_per_year, self.broad_class, self.predictors,
                             self.source)


def constant_maturity_bond_returns(yields: pd.Series, maturity_years: float = BOND_MATURITY_YEARS
                                   ) -> pd.Series:
    """Monthly total returns of a par bond rolled each month, from a yield series.

    A bond bought at par at the end of month m−1 with coupon y_{m−1} (semi-annual) is priced
    at the end of month m at yield y_m with ``maturity_years − 1/12`` left; the return is the
    price change plus a month of coupon. This is the usual approximation for Treasury
    returns from a constant-maturity yield (e.g. Damodaran's T-bond series, annually).

    Parameters
    ----------
    yields : Series
        Annual yields, decimals, monthly.

    Returns
    -------
    Series
        Decimal monthly returns (first value NaN).
    """
    prev = yields.shift(1)
    n = 2.0 * (maturity_years - 1.0 / 12.0)
    y = yields.to_numpy(float)
    c = prev.to_numpy(float)
    disc = (1.0 + y / 2.0) ** (-n)
    with np.errstate(invalid="ignore", divide="ignore"):
        price = np.where(y > 0, c / y * (1.0 - disc) + disc, 1.0 + c / 2.0 * n)
    return pd.Series(price - 1.0 + c / 12.0, index=yields.index)


def _ff_industries() -> ReturnDataset:
    ind = load_ff_industries()
    ff = load_ff_factors()
    rf = ff["RF"].reindex(ind.index)
    return ReturnDataset(
        "ff-industries", ind, rf, 12, {c: "equity" for c in ind.columns},
        _market_predictors(ind.index, ff),
        "Fama–French 10 value-weighted industry portfolios, Kenneth R. French Data Library "
        "(Tuck, Dartmouth); risk-free rate from the Fama–French 3-factor file; valuation and "
        "rates from Robert Shiller's data.",
    )


def _market_predictors(index: pd.DatetimeIndex, ff: pd.DataFrame) -> pd.DataFrame:
    val = valuation_predictors().reindex(index)
    bill = (ff["RF"] * 12.0).reindex(index)
    val["bill_yield"] = bill
    val["term_spread"] = val["long_yield"] - bill
    return val


def _us_asset_classes() -> ReturnDataset:
    ff = load_ff_factors()
    shiller = load_shiller()
    gs10 = shiller["Long Interest Rate"] / 100.0
    bonds = constant_maturity_bond_returns(gs10)
    frame = pd.DataFrame({
        "US_Stocks": ff["Mkt-RF"] + ff["RF"],
        "US_Treasury_10y": bonds.reindex(ff.index),
        "T_Bills": ff["RF"],
    }).dropna()
    return ReturnDataset(
        "us-asset-classes", frame, frame["T_Bills"].copy(), 12,
        {"US_Stocks": "equity", "US_Treasury_10y": "bond", "T_Bills": "cash"},
        _market_predictors(frame.index, ff),
        "US stocks = Fama–French Mkt-RF + RF and T-bills = RF (Kenneth R. French Data Library); "
        "10-year Treasury returns approximated from Shiller's GS10 yield (constant-maturity par "
        "bond rolled monthly).",
    )


def load_sp500_prices() -> pd.DataFrame:
    """Daily adjusted prices of 20 S&P 500 stocks, 1990–2022, from skfolio's bundled data.

    Raises
    ------
    MissingDependencyError
        When skfolio is not installed (``pip install 'tailorfolio[dev]'``).
    """
    try:
        from skfolio.datasets import load_sp500_dataset
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("skfolio", "dev") from None
    return load_sp500_dataset()


def _sp500() -> ReturnDataset:
    prices = load_sp500_prices()
    month_end = prices.resample("ME").last()
    rets = month_end.pct_change().iloc[1:]
    ff = load_ff_factors()
    rf = ff["RF"].reindex(rets.index)
    if rf.isna().any():
        rf = rf.ffill().fillna(0.0)
    return ReturnDataset(
        "sp500", rets, rf, 12, {c: "equity" for c in rets.columns},
        _market_predictors(rets.index, ff),
        "20 S&P 500 stocks, daily adjusted closes bundled with skfolio (month-end returns); "
        "survivorship-biased sample data.",
    )


_LOADERS = {
    DatasetName.FF_INDUSTRIES: _ff_industries,
    DatasetName.US_ASSET_CLASSES: _us_asset_classes,
    DatasetName.SP500: _sp500,
}


def load_dataset(name: DatasetName | str) -> ReturnDataset:
    """Load a bundled dataset by name.

    Raises
    ------
    ParameterError
        On an unknown name.
    """
    try:
        key = DatasetName(name)
    except ValueError:
        raise ParameterError(
            f"Unknown dataset {name!r}.", field="--data", value=name,
            expected=f"one of {[d.value for d in DatasetName]}",
        ) from None
    ds = _LOADERS[key]()
    if not np.isfinite(ds.returns.to_numpy()).all():
        raise DataError(f"Dataset {name!r} contains missing returns.", field="--data",
                        value=name)
    return ds
