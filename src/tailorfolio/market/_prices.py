"""Price histories: validation (typed errors naming asset and dates) and returns."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from tailorfolio.errors import InsufficientDataError, PriceDataError
from tailorfolio.limits import MAX_PRICE, MAX_PRICE_COLUMNS, MAX_PRICE_ROWS, MIN_DATE, clip_text

_ISO_DATE = r"^\s*\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?\s*$"
MAX_MEDIAN_ABS_RETURN = 0.5
"""A price column whose typical period-to-period change exceeds 50 % is not a price history
(returns given as prices, or mixed-up columns): an error says so."""

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


MAX_REVERSION = -0.4
"""Lag-1 autocorrelation of period changes below which a column is not a price history:
independent values (returns, growth factors) given as prices have changes with
autocorrelation -0.5; real prices are near 0."""


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
    if not isinstance(prices, pd.DataFrame):
        raise PriceDataError(
            f"prices must be a pandas DataFrame (dates × tickers); got {type(prices).__name__}.",
            field="prices", value=type(prices).__name__, expected="a DataFrame",
            fix="pd.read_csv(path, index_col='date')")
    n_rows, n_cols = prices.shape
    if n_cols == 0:
        raise PriceDataError("The price table has no asset columns.", field="prices.columns",
                             value=0, expected="date + one column per ticker",
                             fix="add one column of prices per asset")
    if n_cols > MAX_PRICE_COLUMNS:
        raise PriceDataError(
            f"The price table has {n_cols:,} asset columns; at most {MAX_PRICE_COLUMNS:,} are "
            "supported (the covariance and the optimizer grow with the square and cube of the "
            "number of assets).", field="prices.columns", value=n_cols,
            expected=f"<= {MAX_PRICE_COLUMNS:,} assets",
            fix="pre-select the assets, or use `tailorfolio fleet` for large universes")
    if n_rows > MAX_PRICE_ROWS:
        raise PriceDataError(
            f"The price table has {n_rows:,} rows; at most {MAX_PRICE_ROWS:,} are supported.",
            field="prices.date", value=n_rows, expected=f"<= {MAX_PRICE_ROWS:,} dates",
            fix="resample to weekly or monthly prices")
    df = prices.copy()
    df.index = _parse_dates(df.index)
    df.columns = [str(c).strip().upper() for c in df.columns]
    dup_cols = sorted(set(df.columns[df.columns.duplicated()]))
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
        values = df.index.values
        bad = df.index[1:][values[1:] < values[:-1]]
        raise PriceDataError(
            f"Price dates are not in increasing order (first out of order: {_dates(bad)}).",
            dates=_dates(bad), field="prices.date",
            fix="sort the file by date, oldest first (or, for DD/MM dates, write YYYY-MM-DD)",
        )
    if len(df.index) and df.index[0] < pd.Timestamp(MIN_DATE):
        raise PriceDataError(
            f"Price dates start on {df.index[0].date()}, before {MIN_DATE}.",
            dates=_dates(df.index[:1]), field="prices.date", value=str(df.index[0].date()),
            expected=f"dates from {MIN_DATE}", fix="check the date column")
    today = pd.Timestamp(date.today())
    if len(df.index) and df.index[-1] > today + pd.Timedelta(days=1):
        future = df.index[df.index > today + pd.Timedelta(days=1)]
        raise PriceDataError(
            f"The price table has {len(future):,} date(s) in the future (from "
            f"{future[0].date()}); prices are observed, not forecast.",
            dates=_dates(future), field="prices.date", value=str(future[0].date()),
            expected=f"dates up to {today.date()}",
            fix="remove the future rows (or fix the year / DD-MM order of the dates)")
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
        huge = arr > MAX_PRICE
        if huge.any():
            raise PriceDataError(
                f"Asset {col} has prices above {MAX_PRICE:g} on {_dates(df.index[huge])} "
                f"(e.g. {arr[huge][0]:g}).", asset=col, dates=_dates(df.index[huge]),
                field=f"prices.{col}", value=float(arr[huge][0]),
                expected=f"prices in (0, {MAX_PRICE:g}]", fix="correct those rows")
        nonpos = arr <= 0
        if nonpos.any():
            small = float(np.mean(np.abs(arr) < 1.0))
            hint = (" Most values lie between -1 and 1: these look like returns, not prices."
                    if small > 0.75 else "")
            raise PriceDataError(
                f"Asset {col} has non-positive prices on {_dates(df.index[nonpos])}.{hint}",
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
    df = df.astype(float)
    _check_degenerate(df)
    return df


def _parse_dates(index: pd.Index) -> pd.DatetimeIndex:
    """Dates from ISO text (or datetimes); ambiguous text such as DD/MM/YYYY is refused."""
    if isinstance(index, pd.DatetimeIndex):
        return index
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        text = pd.Series(index.astype(str), dtype=object)
        iso = text.str.match(_ISO_DATE)
        if not iso.all():
            first = str(text[~iso].iloc[0])
            slash = "/" in first or "." in first
            raise PriceDataError(
                f"Price date {clip_text(first, 40)} is not a YYYY-MM-DD date"
                + (" (DD/MM and MM/DD orders are ambiguous: 03/04 is March or April)"
                   if slash else "") + ".",
                dates=[first[:40]], field="prices.date", value=first[:40],
                expected="YYYY-MM-DD dates", fix="write dates as YYYY-MM-DD")
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if parsed.isna().any():
            first = str(text[parsed.isna()].iloc[0]).strip()
            raise PriceDataError(
                f"Price date {clip_text(first, 40)} is not a real date (e.g. 2025-02-30) or is "
                "out of range.", dates=[first[:40]], field="prices.date", value=first[:40],
                expected="real YYYY-MM-DD dates", fix="correct the impossible dates")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        return pd.DatetimeIndex(parsed)
    try:
        return pd.DatetimeIndex(pd.to_datetime(index))
    except (ValueError, TypeError, OverflowError) as exc:
        raise PriceDataError(
            f"Price dates could not be read as dates: {clip_text(str(exc), 120)}.",
            field="prices.date", fix="write dates as YYYY-MM-DD") from None


def _check_degenerate(df: pd.DataFrame) -> None:
    """Refuse data no estimate can use: constant series, duplicate series, returns as prices.

    Linear in the table's size (duplicates are found by hashing each column's returns).
    """
    if len(df) < 2:
        return
    arr = df.to_numpy()
    rets = arr[1:] / arr[:-1] - 1.0
    flat = np.all(rets == 0.0, axis=0)
    if flat.any():
        col = df.columns[int(np.flatnonzero(flat)[0])]
        raise PriceDataError(
            f"Asset {col} has the same price on every date ({arr[0, int(np.flatnonzero(flat)[0])]:g}):"
            " a constant series has no risk to estimate.", asset=col, field=f"prices.{col}",
            expected="a price history that moves", fix="drop the column or supply its real prices")
    typical = np.median(np.abs(rets), axis=0)
    wild = typical > MAX_MEDIAN_ABS_RETURN
    if wild.any():
        j = int(np.flatnonzero(wild)[0])
        col = df.columns[j]
        raise PriceDataError(
            f"Asset {col}'s price changes by a median of {typical[j]:.0%} per period: this "
            "looks like returns (or another quantity) given as prices, not a price history.",
            asset=col, field=f"prices.{col}", value=float(typical[j]),
            expected=f"prices: median period change below {MAX_MEDIAN_ABS_RETURN:.0%}",
            fix="give prices (or compound the returns: prices = 100 * (1 + r).cumprod())")
    if len(rets) >= 24:
        dev = rets - rets.mean(axis=0)
        denom = np.sqrt((dev[1:] ** 2).sum(axis=0) * (dev[:-1] ** 2).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (dev[1:] * dev[:-1]).sum(axis=0) / denom
        reverting = rho < MAX_REVERSION
        if reverting.any():
            j = int(np.flatnonzero(reverting)[0])
            col = df.columns[j]
            raise PriceDataError(
                f"Asset {col}'s changes reverse every period (lag-1 autocorrelation "
                f"{rho[j]:.2f}): the values look like returns or growth factors (1.02, 0.97, "
                "...) given as prices, not a price history.", asset=col, field=f"prices.{col}",
                value=float(rho[j]), expected="prices (autocorrelation of changes near 0)",
                fix="give prices (or compound the returns: prices = 100 * (1 + r).cumprod())")
    seen: dict[bytes, str] = {}
    scaled = np.round(rets, 12)
    for j, col in enumerate(df.columns):
        key = scaled[:, j].tobytes()
        if key in seen:
            raise PriceDataError(
                f"Assets {seen[key]} and {col} have identical returns on every date (the same "
                "series twice?); their covariance would be singular.", asset=str(col),
                field=f"prices.{col}", value=[seen[key], str(col)],
                expected="distinct price histories", fix=f"drop one of {seen[key]} and {col}")
        seen[key] = str(col)


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
