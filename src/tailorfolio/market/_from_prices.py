"""Build a :class:`Market` from a user's price history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.estimate._covariance import CovarianceEstimator, CovarianceMethod
from tailorfolio.estimate._expected_returns import historical_mean_returns
from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._defaults import default_market
from tailorfolio.market._market import Market
from tailorfolio.market._prices import infer_periods_per_year, simple_returns, validate_prices
from tailorfolio.market._universe import Asset, Universe


def market_from_prices(
    prices: pd.DataFrame,
    *,
    universe: Universe | None = None,
    covariance: CovarianceMethod | str = CovarianceMethod.LEDOIT_WOLF,
    risk_free_rate: float | None = None,
    name: str = "prices",
) -> Market:
    """Estimate a market from a wide price table.

    Expected returns are historical arithmetic means (annualised); the covariance uses
    ``covariance`` (Ledoit–Wolf by default). Assets also in the bundled default universe keep
    its metadata; others are classified ``unclassified``/``equity`` unless ``universe`` gives
    their metadata. The last row's prices become ``last_prices``.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
    universe : Universe, optional
        Metadata for the priced assets (must contain every column).
    covariance : CovarianceMethod
    risk_free_rate : float, optional
        Defaults to the bundled assumption (3.5 %).

    Raises
    ------
    PriceDataError, InsufficientDataError, MissingAssetsError
    """
    px = validate_prices(prices)
    tickers = list(px.columns)
    default = default_market()
    if universe is not None:
        universe.require(tickers, what="the price file's columns",
                         fix="add those assets to the universe file")
        uni = universe.subset(tickers)
    else:
        assets = []
        for t in tickers:
            if t in default.universe:
                assets.append(default.universe[t])
            else:
                assets.append(Asset(t, t, "unclassified", "equity"))
        uni = Universe(tuple(assets), name=name)
    per_year = infer_periods_per_year(pd.DatetimeIndex(px.index))
    rets = simple_returns(px)
    cov = CovarianceEstimator(method=covariance, periods_per_year=per_year).fit(rets)
    mu = historical_mean_returns(rets, periods_per_year=per_year)
    vol = pd.Series(np.sqrt(np.diag(cov.covariance_.to_numpy())), index=tickers)
    corr = cov.covariance_.to_numpy() / np.outer(vol, vol)
    rf = default.assumptions.risk_free_rate if risk_free_rate is None else risk_free_rate
    start, end = px.index[0].date(), px.index[-1].date()
    assumptions = CapitalMarketAssumptions(
        expected_return=mu,
        volatility=vol,
        correlation=pd.DataFrame(corr, index=tickers, columns=tickers),
        risk_free_rate=rf,
        inflation=default.assumptions.inflation,
        inflation_volatility=default.assumptions.inflation_volatility,
        sources={t: f"historical {start}..{end}, {per_year}/yr" for t in tickers},
        name=f"estimated from {name} {start}..{end} ({cov!r}, historical mean)",
        repair=cov.repair_ if cov.repair_.repaired else None,
    )
    return Market(uni, assumptions, prices=px,
                  last_prices={t: float(px[t].iloc[-1]) for t in tickers}, as_of=str(end))
