"""Options shared by several commands, and loading the market they select."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from tailorfolio.errors import ParameterError
from tailorfolio.market._defaults import default_market
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
    if market is None:
        if universe is not None:
            raise ParameterError("--universe needs --market (a price file).",
                                 field="--universe", fix="add --market prices.csv")
        return default_market()
    from tailorfolio.io import load_market

    return load_market(market, universe)


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(f"--as-of {value!r} is not a date.", field="--as-of", value=value,
                             expected="YYYY-MM-DD", fix="e.g. --as-of 2025-06-30") from None
