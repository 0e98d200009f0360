"""Global market-capitalisation weights, mapped onto a universe's asset classes.

The bundled table ``data/global_market_weights.csv`` gives each asset class of the default
universe its weight in the global multi-asset market portfolio, with source and year per row
(see ``data/global_market_weights_notes.md``). Only broad, non-overlapping "total market"
classes carry weight; sub-segments (small caps, REITs, Treasuries, credit, TIPS, high yield,
munis, EM debt, commodities, cash) carry 0 so nothing is counted twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError
from tailorfolio.market._universe import Universe

MARKET_WEIGHTS_FILE = "global_market_weights.csv"
_COLUMNS = ("asset_class", "market_weight", "derivation", "source", "source_year", "note")


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    text = resources.files("tailorfolio.market").joinpath("data", MARKET_WEIGHTS_FILE
                                                           ).read_text("utf-8")
    table = pd.read_csv(io.StringIO(text), keep_default_na=False)
    return validate_market_weights_table(table)


def validate_market_weights_table(table: pd.DataFrame) -> pd.DataFrame:
    """Check a market-weights table (columns as in the bundled CSV) and return it.

    Raises
    ------
    DataError
        On missing columns, duplicate classes, negative or non-finite weights, weights that
        do not sum to 1, or a row without a source.
    """
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise DataError(
            f"The market-weights table lacks the column(s) {missing}.",
            field="market_weights.columns", value=list(table.columns),
            expected=f"columns {list(_COLUMNS)}", fix="add the missing columns",
        )
    dup = table["asset_class"][table["asset_class"].duplicated()].tolist()
    if dup:
        raise DataError(
            f"The market-weights table lists the asset class(es) {dup} more than once.",
            field="market_weights.asset_class", value=dup, expected="one row per asset class",
            fix="merge the duplicate rows",
        )
    w = pd.to_numeric(table["market_weight"], errors="coerce").to_numpy(float)
    bad = table["asset_class"][~np.isfinite(w) | (w < 0)].tolist()
    if bad:
        raise DataError(
            f"Market weights must be finite and >= 0; not so for {bad}.",
            field="market_weights.market_weight", value=bad,
            expected="decimals in [0, 1]", fix="correct those rows",
        )
    if abs(w.sum() - 1.0) > 1e-6:
        raise DataError(
            f"Market weights must sum to 1; they sum to {w.sum():.6f}.",
            field="market_weights.market_weight", value=float(w.sum()),
            expected="a sum of 1 (± 1e-6)", fix="renormalise the weights",
        )
    unsourced = table["asset_class"][
        table["source"].astype(str).str.strip().eq("")
        | table["source_year"].astype(str).str.strip().eq("")].tolist()
    if unsourced:
        raise DataError(
            f"Every market weight needs a source and a year; missing for {unsourced}.",
            field="market_weights.source", value=unsourced,
            fix="state where each figure comes from",
        )
    out = table.copy()
    out["market_weight"] = w
    return out


def global_market_weights_table() -> pd.DataFrame:
    """The bundled global market-weights table (one row per asset class), as a copy."""
    return _table().copy()


@dataclass(frozen=True)
class UniverseMarketWeights:
    """Market-capitalisation weights of one universe's assets.

    Attributes
    ----------
    weights : Series of shape (n_assets,)
        Weight of each ticker of the universe (universe order), decimals summing to 1, or all
        0 when no asset belongs to a market-weighted class.
    coverage : float
        Share of the global market portfolio that the universe's classes hold, in [0, 1].
    classes : dict of str to list of str
        Each market-weighted class present → the tickers that share its weight.
    missing_classes : tuple of str
        Market-weighted classes of the table that the universe lacks.
    sources : dict of str to str
        Asset class → "source (year)" of its row.
    """

    weights: pd.Series
    coverage: float
    classes: dict[str, list[str]] = field(default_factory=dict)
    missing_classes: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def mapped(self) -> bool:
        """True when at least one asset carries market weight."""
        return self.coverage > 0


def market_weights_for(universe: Universe, table: pd.DataFrame | None = None
                       ) -> UniverseMarketWeights:
    """Map the global market weights onto ``universe`` by ``asset_class``.

    A class's weight is split equally among the universe's assets of that class; classes the
    universe lacks drop out and the rest is renormalised (``coverage`` says how much of the
    global market portfolio is left).

    Parameters
    ----------
    universe : Universe
    table : DataFrame, optional
        A market-weights table with the bundled CSV's columns; default the bundled one.

    Returns
    -------
    UniverseMarketWeights

    Raises
    ------
    DataError
        If ``table`` is invalid (see :func:`validate_market_weights_table`).
    """
    tab = _table() if table is None else validate_market_weights_table(table)
    positive = tab[tab["market_weight"] > 0]
    by_class: dict[str, list[str]] = {}
    for asset in universe:
        by_class.setdefault(asset.asset_class, []).append(asset.ticker)
    weights = pd.Series(0.0, index=universe.tickers)
    classes: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    missing: list[str] = []
    for row in positive.itertuples(index=False):
        tickers = by_class.get(row.asset_class)
        if not tickers:
            missing.append(row.asset_class)
            continue
        classes[row.asset_class] = list(tickers)
        sources[row.asset_class] = f"{row.source} ({row.source_year})"
        weights[tickers] += float(row.market_weight) / len(tickers)
    coverage = float(weights.sum())
    if coverage > 0:
        weights = weights / coverage
    return UniverseMarketWeights(weights, coverage, classes, tuple(missing), sources)
