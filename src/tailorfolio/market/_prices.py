"""Price histories: validation (typed errors naming asset and dates) and returns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailorfolio.errors import InsufficientDataError, PriceDataError

MIN_OBSERVATIONS = 24
"""Fewest return observations accepted for estimation (two years of monthly data)."""


def _dates(idx: pd.Index, limit: int = 5) -> list[str]:
    return [str(pd.Timestamp(d).date()) for d in list(idx)[:limit]]


def prices_from_long(frame: pd.DataFrame) -> pd.DataFrame:
    """Pivot a long table (``date``, ``ticker``/``asset``, ``price``/``close``) to wide.

    Raises
    ------
    PriceDataError
        If the columns are not recognised or a (date, ticker) pair appears twice.
    """
    cols = {c.lower(): c for c in frame.columns}
    tcol = cols.get("ticker") or cols.get("asset") or cols.get("symbol")
    pcol = cols.get("price") or cols.get("close") or cols.get("adj_close") or cols.get("value")
    dcol = cols.get("date")
    if not (tcol and pcol and dcol):
        raise PriceDataError(
            f"A long price table needs columns date, ticker and price; got {list(frame.columns)}.",
            field="prices.columns", value=list(frame.columns),
            expected="date, ticker, price (long) or date + one column per ticker (wide)",
            fix="rename the columns",
        )
    dup = frame.duplicated([dcol, tcol])
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise PriceDataError(
            f"Price for {first[tcol]} on {first[dcol]} appears more than once.",
            asset=str(first[tcol]), dates=[str(first[dcol])], field="prices",
            fix="keep one price per asset and date",
        )
    wide = frame.pivot(index=dcol, columns=tcol, values=pcol)
    wide.columns = [str(c).upper() for c in wide.columns]
    return wide


def validate_prices(prices: pd.DataFrame, *, min_observations: int = MIN_OBSERVATIONS
                    ) -> pd.DataFrame:
    """Check a wide price table and return it with a DatetimeIndex and float values.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
        Index: dates; columns: tickers; values: prices (> 0, finite).
    min_observations : int
        Minimum number of rows.

    Raises
    ------
    PriceDataError
        On unparseable, duplicate or unsorted dates, non-numeric, NaN, infinite or
        non-positive prices; the error names the asset and the first dates affected.
    InsufficientDataError
        If there are fewer than ``min_observations`` rows.
    """
    df = prices.copy()
    try:
        df.index = pd.DatetimeIndex(pd.to_datetime(df.index))
    except (ValueError, TypeError) as exc:
        raise PriceDataError(
            f"Price dates could not be read as dates: {exc}.", field="prices.date",
            fix="write dates as YYYY-MM-DD",
        ) from None
    df.columns = [str(c).strip().upper() for c in df.columns]
    dup_cols = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dup_cols:
        raise PriceDataError(
            f"Assets {dup_cols} have more than one price column.", asset=dup_cols[0],
            field="prices.columns", fix="keep one column per asset",
        )
    if df.index.has_duplicates:
        d = df.index[df.index.duplicated()]
        raise PriceDataError(
            f"Dates {_dates(d)} appear more than once in the price table.",
            dates=_dates(d), field="prices.date", fix="keep one row per date",
        )
    if not df.index.is_monotonic_increasing:
        bad = [df.index[i] for i in range(1, len(df.index)) if df.index[i] < df.index[i - 1]]
        raise PriceDataError(
            f"Price dates are not in increasing order (first out of order: {_dates(pd.Index(bad))}).",
            dates=_dates(pd.Index(bad)), field="prices.date",
            fix="sort the file by date, oldest first",
        )
    for col in df.columns:
        values = pd.to_numeric(df[col], errors="coerce")
        non_numeric = values.isna() & df[col].notna()
        if non_numeric.any():
            raise PriceDataError(
                f"Asset {col} has non-numeric prices on {_dates(df.index[non_numeric])}.",
                asset=col, dates=_dates(df.index[non_numeric]), field=f"prices.{col}",
                fix="remove currency symbols and thousands separators",
            )
        arr = values.to_numpy(dtype=float)
        nan = np.isnan(arr)
        if nan.any():
            raise PriceDataError(
                f"Asset {col} has missing prices (NaN) on {_dates(df.index[nan])}"
                f"{' and more' if nan.sum() > 5 else ''}.",
                asset=col, dates=_dates(df.index[nan]), field=f"prices.{col}",
                fix="fill the gaps, or start the file at the first date every asset has a price",
            )
        inf = np.isinf(arr)
        if inf.any():
            raise PriceDataError(
                f"Asset {col} has infinite prices on {_dates(df.index[inf])}.",
                asset=col, dates=_dates(df.index[inf]), field=f"prices.{col}",
                fix="correct those rows",
            )
        nonpos = arr <= 0
        if nonpos.any():
            raise PriceDataError(
                f"Asset {col} has non-positive prices on {_dates(df.index[nonpos])}.",
                asset=col, dates=_dates(df.index[nonpos]), field=f"prices.{col}",
                expected="prices > 0", fix="correct those rows (prices, not returns, are expected)",
            )
        df[col] = arr
    if len(df) < min_observations:
        raise InsufficientDataError(
            f"The price table has {len(df)} rows; at least {min_observations} are needed to "
            "estimate risk and return.", field="prices", value=len(df),
            expected=f">= {min_observations} dates",
            fix="supply a longer history (e.g. 5 years of monthly prices)",
        )
    return df.astype(float)


def infer_periods_per_year(index: pd.DatetimeIndex) -> int:
    """Observations per year implied by the median spacing of ``index`` (252, 52, 12, 4, 1)."""
    if len(index) < 2:
        return 12
    days = float(np.median(np.diff(index.values).astype("timedelta64[D]").astype(float)))
    for per, lo, hi in ((252, 0, 4), (52, 4, 10), (12, 10, 45), (4, 45, 140), (1, 140, 1e9)):
        if lo <= days < hi:
            return per
    return 12


def simple_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Period simple returns ``p_t / p_{t-1} - 1`` (first row dropped)."""
    return prices.pct_change().iloc[1:]
