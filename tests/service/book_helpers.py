"""Helpers of the market-data and book tests: price files, clients with chosen holdings."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd

HELD = ("VTI", "VEA", "VWO", "VB", "BND", "BNDX", "VNQ", "SGOV")
"""The funds the synthetic population and the tests' clients hold."""


def price_history(tickers: tuple[str, ...] = HELD, months: int = 60, seed: int = 7,
                  end: date = date(2025, 5, 30), scale: float = 1.0) -> pd.DataFrame:
    """Month-end prices (dates × tickers) drawn from the bundled assumptions, ending at the
    bundled reference prices times ``scale`` on ``end``."""
    from tailorfolio.market._defaults import default_market

    m = default_market()
    a = m.assumptions.subset(list(tickers))
    rng = np.random.default_rng(seed)
    cov = a.covariance.to_numpy() / 12
    mu = a.expected_return.to_numpy() / 12
    rets = rng.multivariate_normal(mu, cov, size=months - 1)
    rets += mu - rets.mean(axis=0)  # sample means exactly the assumptions' (no lucky draws)
    growth = np.vstack([np.ones(len(tickers)), np.cumprod(1 + rets, axis=0)])
    last = np.array([m.last_prices[t] for t in tickers]) * scale
    prices = growth / growth[-1] * last
    dates = pd.date_range(end=pd.Timestamp(end), periods=months, freq="ME")
    return pd.DataFrame(prices.round(4), index=pd.Index(dates.date, name="date"),
                        columns=list(tickers))


def csv_bytes(df: pd.DataFrame, index: bool = True) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=index)
    return buf.getvalue().encode()
