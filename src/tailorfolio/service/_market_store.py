"""A firm's market data: uploads validated into immutable, numbered market versions.

A firm uploads a **price history** in the formats ``tailorfolio --market`` reads
(:func:`tailorfolio.io.load_prices`: CSV or Parquet, wide — a ``date`` column and one column
per ticker — or long — ``date, ticker, price``), optionally a **universe** file (the columns of
the bundled ``default_universe.csv``, as ``--universe`` reads) and optionally its own
**capital-market assumptions** (CSV/Parquet, one row per ticker: ``ticker``,
``expected_return`` (arithmetic) or ``geometric_return``, ``volatility``; annual decimals). The
market is then estimated as the CLI does (:func:`tailorfolio.market.market_from_prices`:
Ledoit–Wolf covariance, historical means, the last row's prices value holdings); the firm's
assumptions, when given, replace the estimated expected returns and volatilities of their
tickers (correlations stay estimated from the prices).

Each upload is checked completely before anything is written (errors name the file, the
field, the value and the fix: an unknown or malformed ticker, a non-positive price, a missing
stretch of dates, an unknown asset class, ...) and stored in one transaction as the firm's
next :class:`MarketVersion`. The newest version is the firm's current market; a firm without
one uses the bundled default market.
"""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tailorfolio.errors import DataError, PriceDataError
from tailorfolio.limits import MAX_PRICE_COLUMNS
from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._defaults import asset_from_row, default_market, default_universe_table
from tailorfolio.market._from_prices import market_from_prices
from tailorfolio.market._market import Market
from tailorfolio.market._prices import infer_periods_per_year, prices_from_long, validate_prices
from tailorfolio.market._universe import BROAD_CLASSES, Universe
from tailorfolio.service._errors import ConflictError, PayloadTooLargeError
from tailorfolio.service._models import Advisor, AuditEntry, MarketVersion

TICKER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,19}$")
"""A ticker: 1–20 characters, upper-case letters, digits, '.' and '-' (as lots accept)."""
GAP_FACTOR = 1.6
GAP_SLACK_DAYS = 5
"""A step between two price dates longer than ``max(GAP_FACTOR × the median step, median +
GAP_SLACK_DAYS days)`` is a missing stretch (a skipped month in monthly data, more than a
long weekend in daily data): estimates over it would be wrong, so the upload is refused."""
MIN_VOLATILITY, MAX_VOLATILITY = 0.0005, 1.5
MIN_RETURN, MAX_RETURN = -0.5, 0.5
"""Plausible annual figures (decimals) of a firm's own assumptions: 0.07 is 7 %."""
_UNIVERSE_RANGES: dict[str, tuple[float, float]] = {
    "esg_score": (0.0, 100.0), "esg_e": (0.0, 100.0), "esg_s": (0.0, 100.0),
    "esg_g": (0.0, 100.0), "carbon_intensity": (0.0, 1e6), "expense_ratio": (0.0, 0.1),
    "yield": (0.0, 0.5), "qualified_dividend_share": (0.0, 1.0),
}
"""Plausible ranges of a universe file's numeric columns (as ``tailorfolio.io`` checks)."""


def known_asset_classes() -> set[str]:
    """Fine asset classes the engine knows (the bundled universe's and the global market
    portfolio's), so equilibrium returns and substitutes exist for them."""
    from importlib import resources

    uni = set(default_universe_table()["asset_class"].astype(str))
    text = resources.files("tailorfolio.market").joinpath(
        "data", "global_market_weights.csv").read_text("utf-8")
    return uni | set(pd.read_csv(io.StringIO(text))["asset_class"].astype(str))


def _cut(value: Any, limit: int) -> str:
    """``str(value)`` cut to ``limit`` characters (messages never echo unbounded input)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ------------------------------------------------------------------ reading uploads

def read_upload(raw: bytes, filename: str, what: str, max_bytes: int) -> pd.DataFrame:
    """A CSV or Parquet upload as a DataFrame (the type is taken from the file name).

    Raises
    ------
    PayloadTooLargeError, DataError
        Naming the upload (``what``: ``prices``, ``universe`` or ``assumptions``).
    """
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(f"The {what} file has more than {max_bytes} bytes.",
                                   field=what, value=len(raw), expected=f"<= {max_bytes} bytes",
                                   fix="resample the prices (e.g. monthly) or split the file")
    if not raw:
        raise DataError(f"The {what} file is empty.", field=what, value=filename,
                        fix=f"choose the {what} file (CSV or Parquet) and upload it again")
    name = (filename or "").lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(io.BytesIO(raw))
        if name.endswith((".csv", ".txt")) or "." not in name:
            return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    except (ValueError, OSError, ImportError, UnicodeDecodeError) as exc:
        raise DataError(f"The {what} file {_cut(filename, 60)} cannot be read: "
                        f"{_cut(str(exc), 160)}", field=what, value=_cut(filename, 60),
                        expected="CSV (UTF-8, header row) or Parquet",
                        fix="save the file again as CSV or Parquet") from None
    raise DataError(f"The {what} file {_cut(filename, 60)} is not CSV or Parquet.",
                    field=what, value=_cut(filename, 60), expected=".csv or .parquet",
                    fix="convert the file to CSV or Parquet")


def prices_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Wide prices from an uploaded table, as ``tailorfolio.io.load_prices`` reads files."""
    cols = {str(c).lower(): c for c in frame.columns}
    if "ticker" in cols or "asset" in cols or "symbol" in cols:
        return prices_from_long(frame)
    date_col = cols.get("date") or cols.get("datetime") or cols.get("timestamp")
    if date_col is None:
        if isinstance(frame.index, pd.DatetimeIndex):
            return frame
        raise PriceDataError(
            f"The price file has no 'date' column; its columns are {list(frame.columns)[:10]}.",
            field="prices.date", value=[str(c) for c in list(frame.columns)[:10]],
            expected="date + one column per ticker (wide) or date, ticker, price (long)",
            fix="name the first column 'date' (YYYY-MM-DD)")
    return frame.set_index(date_col)


def check_tickers(tickers: list[str], field: str) -> None:
    """Every ticker well-formed (:data:`TICKER_PATTERN`)."""
    for t in tickers:
        if not TICKER_PATTERN.match(t):
            raise DataError(f"Ticker {_cut(t, 30)} is not a valid ticker.", field=field,
                            value=_cut(t, 30),
                            expected="1–20 characters: letters, digits, '.' or '-'",
                            fix="correct the ticker (column header or ticker column)")


def check_date_gaps(index: pd.DatetimeIndex) -> None:
    """Refuse a missing stretch of dates (see :data:`GAP_FACTOR`)."""
    if len(index) < 3:
        return
    steps = np.diff(index.values).astype("timedelta64[D]").astype(float)
    median = float(np.median(steps))
    limit = max(GAP_FACTOR * median, median + GAP_SLACK_DAYS)
    far = np.flatnonzero(steps > limit)
    if len(far):
        i = int(far[0])
        a, b = index[i].date(), index[i + 1].date()
        raise PriceDataError(
            f"The price dates jump from {a} to {b} ({int(steps[i])} days) while the typical "
            f"step is {median:g} days: prices are missing in between.",
            dates=[str(a), str(b)], field="prices.date", value=f"{a}..{b}",
            expected=f"steps of at most {limit:g} days",
            fix="add the missing rows (or resample the whole file to a coarser frequency)")


def parse_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """A validated wide price table (dates × tickers) from an uploaded table.

    Raises
    ------
    PriceDataError, InsufficientDataError, DataError
    """
    wide = prices_table(frame)
    wide.columns = [str(c).strip().upper() for c in wide.columns]
    check_tickers(list(wide.columns), "prices.columns")
    px = validate_prices(wide)
    check_date_gaps(pd.DatetimeIndex(px.index))
    return px


def parse_universe(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Universe rows (plain data) from an uploaded table, checked row by row.

    Raises
    ------
    DataError
        A missing or malformed ticker, a duplicate, an unknown asset or broad class, or a
        number out of range; the field names the row's ticker and the column.
    """
    if "ticker" not in frame.columns:
        raise DataError("The universe file needs a 'ticker' column.", field="universe.ticker",
                        value=[str(c) for c in list(frame.columns)[:10]],
                        expected="columns as in the bundled default_universe.csv",
                        fix="add a ticker column")
    if len(frame) > MAX_PRICE_COLUMNS:
        raise DataError(f"The universe file lists {len(frame):,} assets; at most "
                        f"{MAX_PRICE_COLUMNS:,} are supported.", field="universe",
                        value=len(frame), fix="pre-select the assets")
    known = known_asset_classes()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    df = frame.astype(object).where(pd.notna(frame), None)
    for n, (_, row) in enumerate(df.iterrows(), start=2):
        raw = row.get("ticker")
        ticker = "" if raw is None else str(raw).strip().upper()
        if not ticker:
            raise DataError(f"Universe row {n} has no ticker.", field=f"universe.row {n}.ticker",
                            fix="give every asset a ticker")
        check_tickers([ticker], f"universe.{ticker}.ticker")
        if ticker in seen:
            raise DataError(f"Ticker {ticker} appears twice in the universe file.",
                            field=f"universe.{ticker}.ticker", value=ticker,
                            fix="keep one row per asset")
        seen.add(ticker)
        cls = str(row.get("asset_class") or "").strip()
        if cls not in known:
            raise DataError(
                f"Asset {ticker}: asset class {_cut(cls, 40)} is not known.",
                field=f"universe.{ticker}.asset_class", value=_cut(cls, 40),
                expected=f"one of {sorted(known)}",
                fix="use one of the engine's asset classes (as in default_universe.csv)")
        broad = str(row.get("broad_class") or "").strip()
        if broad not in BROAD_CLASSES:
            raise DataError(f"Asset {ticker}: broad class {_cut(broad, 40)} is not one "
                            f"of {list(BROAD_CLASSES)}.", field=f"universe.{ticker}.broad_class",
                            value=_cut(broad, 40), expected=f"one of {list(BROAD_CLASSES)}",
                            fix="correct the broad_class column")
        for col, (lo, hi) in _UNIVERSE_RANGES.items():
            v = row.get(col)
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            try:
                x = float(v)
            except (TypeError, ValueError):
                x = float("nan")
            if not (lo <= x <= hi):
                raise DataError(f"Asset {ticker}: {col} is {_cut(v, 30)}; expected a "
                                f"number in [{lo:g}, {hi:g}].", field=f"universe.{ticker}.{col}",
                                value=_cut(v, 30), expected=f"a number in [{lo:g}, {hi:g}]",
                                fix="correct the value (decimals: 0.0003 = 0.03 %) or leave it "
                                    "empty")
        out = {str(k): (None if v is None else (v.item() if hasattr(v, "item") else v))
               for k, v in row.items()}
        out["ticker"] = ticker
        asset_from_row(pd.Series(out))  # the library's own checks (ESG range, ...)
        rows.append(out)
    if not rows:
        raise DataError("The universe file has no rows.", field="universe",
                        fix="list at least the priced assets")
    return rows


def parse_assumptions(frame: pd.DataFrame, tickers: list[str]) -> list[dict[str, float | str]]:
    """A firm's per-ticker assumptions: ``ticker``, ``expected_return`` or
    ``geometric_return``, ``volatility`` (annual decimals).

    Raises
    ------
    DataError
        A ticker that is not priced, a missing column or an implausible figure.
    """
    cols = {str(c).strip().lower(): c for c in frame.columns}
    ret_col = cols.get("expected_return") or cols.get("geometric_return")
    if "ticker" not in cols or ret_col is None or "volatility" not in cols:
        raise DataError("The assumptions file needs columns ticker, expected_return (or "
                        "geometric_return) and volatility.", field="assumptions.columns",
                        value=[str(c) for c in list(frame.columns)[:10]],
                        expected="ticker, expected_return|geometric_return, volatility",
                        fix="rename the columns (annual decimals: 0.07 for 7 %)")
    geometric = str(ret_col).strip().lower() == "geometric_return"
    out: list[dict[str, float | str]] = []
    seen: set[str] = set()
    for _, row in frame.iterrows():
        ticker = str(row[cols["ticker"]]).strip().upper()
        check_tickers([ticker], f"assumptions.{ticker}.ticker")
        if ticker not in tickers:
            raise DataError(f"The assumptions list {ticker}, which the price file does not "
                            "price.", field=f"assumptions.{ticker}.ticker", value=ticker,
                            expected=f"one of {tickers}",
                            fix="add its prices or remove the row")
        if ticker in seen:
            raise DataError(f"Ticker {ticker} appears twice in the assumptions file.",
                            field=f"assumptions.{ticker}.ticker", value=ticker,
                            fix="keep one row per asset")
        seen.add(ticker)
        figures: dict[str, float] = {}
        for name, col, lo, hi in (("return", ret_col, MIN_RETURN, MAX_RETURN),
                                  ("volatility", cols["volatility"], MIN_VOLATILITY,
                                   MAX_VOLATILITY)):
            raw = row[col]
            try:
                x = float(raw)
            except (TypeError, ValueError):
                x = float("nan")
            if not (lo <= x <= hi):
                raise DataError(f"Assumption {col} of {ticker} is {_cut(raw, 30)}; "
                                f"expected an annual decimal in [{lo:g}, {hi:g}].",
                                field=f"assumptions.{ticker}.{col}", value=_cut(raw, 30),
                                expected=f"a decimal in [{lo:g}, {hi:g}]",
                                fix="write annual decimals: 0.07 for 7 %")
            figures[name] = x
        vol = figures["volatility"]
        mean = figures["return"] + vol**2 / 2 if geometric else figures["return"]
        out.append({"ticker": ticker, "expected_return": mean, "volatility": vol})
    if not out:
        raise DataError("The assumptions file has no rows.", field="assumptions",
                        fix="give one row per ticker, or upload no assumptions file")
    return out


# ------------------------------------------------------------------ stored data → Market

def version_data(prices: pd.DataFrame, universe: list[dict[str, Any]] | None,
                 assumptions: list[dict[str, Any]] | None, files: dict[str, str]
                 ) -> dict[str, Any]:
    """The stored form of a market version (plain JSON data)."""
    return {
        "prices": {"dates": [d.date().isoformat() for d in pd.DatetimeIndex(prices.index)],
                   "tickers": list(prices.columns),
                   "values": prices.to_numpy(dtype=float).tolist()},
        "universe": universe, "assumptions": assumptions, "files": files,
    }


def market_from_data(data: dict[str, Any], label: str = "firm market") -> Market:
    """The :class:`Market` of a stored market version (pure; deterministic).

    Raises
    ------
    DataError, PriceDataError, InsufficientDataError, MissingAssetsError
        When the data cannot make a market (checked before a version is stored).
    """
    p = data["prices"]
    px = pd.DataFrame(p["values"], index=pd.DatetimeIndex(pd.to_datetime(p["dates"])),
                      columns=p["tickers"])
    uni = None
    if data.get("universe"):
        uni = Universe(tuple(asset_from_row(pd.Series(r)) for r in data["universe"]),
                       name=f"{label} universe")
    else:
        bundled = default_market().universe
        unknown = [t for t in px.columns if t not in bundled]
        if unknown:
            raise DataError(
                f"The price file has tickers {unknown[:10]} that the bundled universe does not "
                "classify.", field="prices.columns", value=unknown[:10],
                expected=f"tickers of the bundled universe {bundled.tickers}",
                fix="upload a universe file that classifies them (ticker, name, asset_class, "
                    "broad_class, ...), or drop those columns")
    market = market_from_prices(px, universe=uni, name=label)
    rows = data.get("assumptions")
    if rows:
        a = market.assumptions
        mu, vol = a.expected_return.copy(), a.volatility.copy()
        sources = dict(a.sources)
        for r in rows:
            mu[r["ticker"]] = float(r["expected_return"])
            vol[r["ticker"]] = float(r["volatility"])
            sources[r["ticker"]] = f"{label}: firm capital-market assumptions"
        sources["correlation"] = f"estimated from the {label} price history (Ledoit-Wolf)"
        assumptions = CapitalMarketAssumptions(
            expected_return=mu, volatility=vol, correlation=a.correlation,
            risk_free_rate=a.risk_free_rate, inflation=a.inflation,
            inflation_volatility=a.inflation_volatility, sources=sources,
            name=f"{label}: firm assumptions for {len(rows)} asset(s), the rest and all "
                 "correlations estimated from its prices", repair=a.repair)
        market = replace(market, assumptions=assumptions)
    return market


_CACHE: OrderedDict[int, Market] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


def market_for_spec(spec: dict[str, Any] | None) -> Market:
    """The market of a plan's market spec (``{"id", "version", "data"}``) or the bundled
    default market for ``None``. Versions are immutable, so each is estimated once per
    process and cached by id."""
    if spec is None:
        return default_market()
    with _CACHE_LOCK:
        hit = _CACHE.get(int(spec["id"]))
        if hit is not None:
            _CACHE.move_to_end(int(spec["id"]))
            return hit
    market = market_from_data(spec["data"], label=f"firm market version {spec['version']}")
    with _CACHE_LOCK:
        _CACHE[int(spec["id"])] = market
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return market


def market_record(spec: dict[str, Any] | None) -> dict[str, Any] | str:
    """What a plan's inputs say about its market: ``"default"`` or the firm version."""
    if spec is None:
        return "default"
    return {"firm_market_version": int(spec["version"]), "market_version_id": int(spec["id"]),
            "as_of": spec.get("as_of")}


# ------------------------------------------------------------------ versions in the database

def summary_of(market: Market, data: dict[str, Any]) -> dict[str, Any]:
    p = data["prices"]
    return {"n_dates": len(p["dates"]), "tickers": list(p["tickers"]), "start": p["dates"][0],
            "end": p["dates"][-1],
            "periods_per_year": infer_periods_per_year(pd.DatetimeIndex(
                pd.to_datetime(p["dates"]))),
            "assumptions": market.assumptions.name,
            "has_universe": bool(data.get("universe")),
            "has_assumptions": bool(data.get("assumptions")), "files": data.get("files", {}),
            "last_prices": {t: round(float(v), 6) for t, v in market.last_prices.items()}}


def create_market_version(db: Session, me: Advisor, prices: tuple[bytes, str],
                          universe: tuple[bytes, str] | None = None,
                          assumptions: tuple[bytes, str] | None = None, *, note: str = "",
                          max_bytes: int = 10_000_000) -> MarketVersion:
    """Validate an upload completely and store it as the firm's next market version.

    Parameters
    ----------
    prices, universe, assumptions : (bytes, file name)
        The files as uploaded; ``universe`` and ``assumptions`` are optional.
    note : str
        The advisor's label for the version (at most 200 characters).

    Raises
    ------
    DataError, PriceDataError, InsufficientDataError, PayloadTooLargeError
        Nothing is stored; the error names the file, field, value and fix.
    ConflictError
        Another upload of the firm took the same version number at the same moment.
    """
    px = parse_prices(read_upload(*prices, "prices", max_bytes))
    uni_rows = parse_universe(read_upload(*universe, "universe", max_bytes)) if universe \
        else None
    if uni_rows is not None:
        listed = {r["ticker"] for r in uni_rows}
        missing = [t for t in px.columns if t not in listed]
        if missing:
            raise DataError(f"The universe file does not list the priced tickers {missing[:10]}.",
                            field="universe.ticker", value=missing[:10],
                            fix="add a row for each priced ticker")
        uni_rows = [r for r in uni_rows if r["ticker"] in set(px.columns)]
    ass_rows = parse_assumptions(read_upload(*assumptions, "assumptions", max_bytes),
                                 list(px.columns)) if assumptions else None
    files = {"prices": _cut(prices[1] or "", 120)}
    if universe:
        files["universe"] = _cut(universe[1] or "", 120)
    if assumptions:
        files["assumptions"] = _cut(assumptions[1] or "", 120)
    data = version_data(px, uni_rows, ass_rows, files)
    market = market_from_data(data)  # every estimate the plans will make, checked now
    from tailorfolio.fleet import FleetModel

    FleetModel.from_market(market)  # the book's engine accepts it (positive definite)
    last = db.scalar(sa.select(sa.func.max(MarketVersion.version))
                     .where(MarketVersion.firm_id == me.firm_id)) or 0
    row = MarketVersion(firm_id=me.firm_id, version=int(last) + 1, created_by=me.id,
                        note=_cut(note or "", 200), as_of=str(market.as_of)[:10],
                        summary=summary_of(market, data), data=data)
    db.add(row)
    try:
        db.flush()
        db.add(AuditEntry(firm_id=me.firm_id, advisor_id=me.id, action="upload",
                          entity="market_version", entity_id=row.id,
                          detail={"version": row.version, "files": files,
                                  "tickers": list(px.columns), "as_of": row.as_of}))
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ConflictError("Another market upload of your firm was stored at the same moment.",
                            field="version", value=int(last) + 1,
                            fix="list the versions and upload again if needed") from None
    return row


def list_market_versions(db: Session, me: Advisor, limit: int, offset: int
                         ) -> tuple[list[MarketVersion], int]:
    """The firm's market versions, newest first (without their data)."""
    from tailorfolio.service._logic import page

    stmt = sa.select(MarketVersion).where(MarketVersion.firm_id == me.firm_id).order_by(
        MarketVersion.version.desc())
    return page(db, stmt, limit, offset)


def current_market_version(db: Session, firm_id: int) -> MarketVersion | None:
    """The firm's newest market version, or ``None`` (the bundled market applies)."""
    return db.scalar(sa.select(MarketVersion).where(MarketVersion.firm_id == firm_id)
                     .order_by(MarketVersion.version.desc()).limit(1))


def current_market_spec(db: Session, firm_id: int) -> dict[str, Any] | None:
    """What a plan job needs to rebuild the firm's current market (``None``: bundled)."""
    row = current_market_version(db, firm_id)
    return None if row is None else market_spec_of(row)


def market_spec_of(row: MarketVersion) -> dict[str, Any]:
    """What :func:`market_for_spec` rebuilds ``row``'s market from (jobs, book runs, what-if)."""
    return {"id": row.id, "version": row.version, "as_of": row.as_of, "data": row.data}
