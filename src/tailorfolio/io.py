"""File input and output (an edge: the core never reads files).

Profiles from YAML or JSON; price histories from CSV or Parquet in wide form (a date column
and one column per ticker) or long form (date, ticker, price); universes from CSV with the
columns of the bundled ``default_universe.csv``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError, FieldIssue, PriceDataError, ProfileValidationError
from tailorfolio.limits import MAX_PRICE_COLUMNS, MAX_PROFILE_BYTES, MAX_TABLE_BYTES, clip_text
from tailorfolio.market._defaults import asset_from_row
from tailorfolio.market._market import Market
from tailorfolio.market._universe import Universe
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._parse import profile_from_yaml

# The price-history readers import the estimation of a market from prices
# (market._from_prices, market._prices, estimate._covariance) where they use it: loading a
# profile (the plan command) needs none of it.


def load_profile(path: str | Path) -> InvestorProfile:
    """Read and validate a profile from a YAML or JSON file.

    Raises
    ------
    ProfileValidationError
        If the file is missing, unreadable or invalid (every problem listed).
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        size = 0
    if size > MAX_PROFILE_BYTES:
        raise ProfileValidationError(
            [FieldIssue("(file)", f"{size:,} bytes",
                        f"a profile file is at most {MAX_PROFILE_BYTES:,} bytes",
                        "check that this is the profile, not a data file")],
            source=str(p),
        )
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileValidationError(
            [FieldIssue("(file)", str(p), "file not found",
                        "check the path, or create one with `tailorfolio profile-template`")],
            source=str(p),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileValidationError(
            [FieldIssue("(file)", str(p), f"cannot read the file: {clip_text(str(exc), 120)}",
                        "save it as UTF-8")],
            source=str(p),
        ) from None
    return profile_from_yaml(text, source=str(p))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Raises
    ------
    DataError
        If the file is missing or of another type.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"File {p} does not exist.", field="path", value=str(p),
                        fix="check the path")
    if p.is_dir():
        raise DataError(f"{p} is a directory, not a file.", field="path", value=str(p),
                        fix="give the path of a .csv or .parquet file")
    size = p.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise DataError(f"{p} is {size:,} bytes; files up to {MAX_TABLE_BYTES:,} bytes are read.",
                        field="path", value=str(p), expected=f"<= {MAX_TABLE_BYTES:,} bytes",
                        fix="split or resample the file")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(p)
    except (ValueError, OSError, ImportError) as exc:
        raise DataError(f"Cannot read {p}: {clip_text(str(exc), 160)}", field="path",
                        value=str(p), fix="check the file's format (CSV with a header row, "
                        "or Parquet)") from None
    raise DataError(f"Unsupported file type {suffix!r} for {p}.", field="path", value=str(p),
                    expected=".csv or .parquet", fix="convert the file to CSV or Parquet")


def load_prices(path: str | Path) -> pd.DataFrame:
    """Read prices (wide or long form) into a wide DataFrame indexed by date (not validated).

    Raises
    ------
    PriceDataError
        If no date column is found.
    """
    df = read_table(path)
    cols = {c.lower(): c for c in df.columns}
    if "ticker" in cols or "asset" in cols or "symbol" in cols:
        from tailorfolio.market._prices import prices_from_long

        return prices_from_long(df)
    date_col = cols.get("date") or cols.get("datetime") or cols.get("timestamp")
    if date_col is None:
        if isinstance(df.index, pd.DatetimeIndex):
            return df
        raise PriceDataError(
            f"{path}: no 'date' column; columns are {list(df.columns)[:10]}.",
            field="prices.date", fix="name the first column 'date' (YYYY-MM-DD)",
        )
    return df.set_index(date_col)


def load_universe(path: str | Path) -> Universe:
    """Read a universe CSV (columns as in the bundled default_universe.csv; ticker required)."""
    df = read_table(path)
    if "ticker" not in df.columns:
        raise DataError(f"{path}: a universe file needs a 'ticker' column.",
                        field="universe.ticker", fix="add a ticker column")
    if len(df) > MAX_PRICE_COLUMNS:
        raise DataError(f"{path}: {len(df):,} assets; at most {MAX_PRICE_COLUMNS:,} are "
                        "supported.", field="universe", value=len(df),
                        expected=f"<= {MAX_PRICE_COLUMNS:,} rows", fix="pre-select the assets")
    tickers = df["ticker"].astype(str).str.strip().str.upper()
    blank = df["ticker"].isna() | (tickers == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0]) + 2
        raise DataError(f"{path}: row {row} has no ticker.", field=f"universe.row {row}.ticker",
                        fix="give every asset a ticker")
    dup = tickers[tickers.duplicated()]
    if len(dup):
        raise DataError(f"{path}: ticker {clip_text(dup.iloc[0], 30)} appears twice.",
                        field="universe.ticker", value=str(dup.iloc[0])[:30],
                        fix="keep one row per asset")
    for col, (lo, hi) in _UNIVERSE_RANGES.items():
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        wrong = (values.isna() & df[col].notna()) | ~(values.isna() | values.between(lo, hi))
        if wrong.any():
            i = int(np.flatnonzero(wrong.to_numpy())[0])
            raise DataError(
                f"{path}: {col} of {clip_text(tickers.iloc[i], 30)} is "
                f"{clip_text(df[col].iloc[i], 30)}; expected a number in [{lo:g}, {hi:g}].",
                field=f"universe.{col}", value=clip_text(df[col].iloc[i], 30),
                expected=f"a number in [{lo:g}, {hi:g}]", fix="correct the value or leave it "
                "empty")
    df = df.astype(object).where(pd.notna(df), None)
    return Universe(tuple(asset_from_row(r) for _, r in df.iterrows()), name=Path(path).stem)


_UNIVERSE_RANGES: dict[str, tuple[float, float]] = {
    "esg_score": (0.0, 100.0), "esg_e": (0.0, 100.0), "esg_s": (0.0, 100.0),
    "esg_g": (0.0, 100.0), "carbon_intensity": (0.0, 1e6), "expense_ratio": (0.0, 0.1),
    "yield": (0.0, 0.5), "qualified_dividend_share": (0.0, 1.0),
}
"""Plausible ranges of a universe file's numeric columns (decimals: 0.0003 = 0.03 %)."""


def load_market(prices_path: str | Path, universe_path: str | Path | None = None) -> Market:
    """A market estimated from a price file (and optional universe metadata file)."""
    from tailorfolio.market._from_prices import market_from_prices

    uni = load_universe(universe_path) if universe_path else None
    return market_from_prices(load_prices(prices_path), universe=uni, name=Path(prices_path).name)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file + rename): never half-written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
