"""Options shared by several commands, and loading the market they select."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from tailorfolio.errors import ParameterError
from tailorfolio.limits import MAX_AS_OF, MAX_MONEY, MIN_DATE, check_int, check_number, clip_text

if TYPE_CHECKING:
    from tailorfolio.market._market import Market

MarketOpt = Annotated[
    Optional[Path],
    typer.Option("--market", help="Price history (CSV/Parquet, wide or long) to estimate the "
                 "market from, instead of the bundled default assumptions."),
]
UniverseOpt = Annotated[
    Optional[Path],
    typer.Option("--universe", help="Universe metadata CSV (ticker, name, asset_class, "
                 "broad_class, sector, activities, esg_score, ...) for --market."),
]
AsOfOpt = Annotated[
    Optional[str], typer.Option("--as-of", help="Date the plan is made for (YYYY-MM-DD).")
]


def market_from_options(market: Path | None, universe: Path | None) -> Market:
    """The bundled market, or one estimated from the user's files."""
    from tailorfolio.market._defaults import default_market

    if market is None:
        if universe is not None:
            raise ParameterError("--universe needs --market (a price file).",
                                 field="--universe", fix="add --market prices.csv")
        return default_market()
    from tailorfolio.io import load_market

    return load_market(market, universe)


def parse_date(value: str | None, option: str = "--as-of") -> date | None:
    """``--as-of`` (or ``option``) as a date within the documented range, or None."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ParameterError(f"{option} {clip_text(value)} is not a date.", field=option,
                             value=clip_text(value), expected="YYYY-MM-DD",
                             fix=f"e.g. {option} 2025-06-30") from None
    from tailorfolio._boundary import check_as_of

    return check_as_of(day, option)


def parse_month(value: str | None, option: str) -> str | None:
    """``--from``/``--to`` as ``YYYY-MM`` (a full ``YYYY-MM-DD`` is accepted), or None."""
    if value is None:
        return None
    text = value.strip()
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    else:
        raise ParameterError(f"{option} {clip_text(value)} is not a month.", field=option,
                             value=clip_text(value), expected="YYYY-MM",
                             fix=f"e.g. {option} 2005-01")
    if not MIN_DATE <= day <= MAX_AS_OF:
        raise ParameterError(f"{option} {text} is outside [{MIN_DATE:%Y-%m}, {MAX_AS_OF:%Y-%m}].",
                             field=option, value=text, expected="a month from 1900 to 2100")
    return text


def number(value: float, option: str, lo: float, hi: float, *, unit: str = "",
           lo_open: bool = False, fix: str | None = None) -> float:
    """A float option checked finite and in range (exit code 2 otherwise)."""
    return check_number(value, option, lo=lo, hi=hi, unit=unit, lo_open=lo_open, fix=fix)


def whole(value: int, option: str, lo: int, hi: int, *, fix: str | None = None) -> int:
    """An integer option checked in range (exit code 2 otherwise)."""
    return check_int(value, option, lo=lo, hi=hi, fix=fix)


def money(value: float | None, option: str) -> float | None:
    """A money option: finite, in [0, MAX_MONEY]."""
    if value is None:
        return None
    return check_number(value, option, lo=0.0, hi=MAX_MONEY)


def percent(value: float | None, option: str, hi: float = 100.0) -> float | None:
    """A percentage option: finite, in [0, hi] % (percent, not decimal)."""
    if value is None:
        return None
    return check_number(value, option, lo=0.0, hi=hi, unit=" %",
                        fix="give a percentage (24 for 24 %)")
