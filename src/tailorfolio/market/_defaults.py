"""The bundled default market: sixteen asset-class ETFs with sourced assumptions.

See ``data/default_universe_notes.md`` for the source of every figure.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._market import Market
from tailorfolio.market._universe import Asset, Universe

DEFAULT_RISK_FREE_RATE = 0.035
"""VCMM 10-year US cash midpoint, 30-Apr-2025 run (range 3.0–4.0 %)."""
DEFAULT_INFLATION = 0.020
"""VCMM 10-year US inflation midpoint, 30-Apr-2025 run (range 1.5–2.5 %)."""
DEFAULT_INFLATION_VOL = 0.018
"""VCMM US inflation median volatility, 30-Apr-2025 run."""
DEFAULT_AS_OF = "2025-04-30"


def _read(name: str) -> str:
    return resources.files("tailorfolio.market").joinpath("data", name).read_text("utf-8")


def _optional(value: object) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    return float(value)


def asset_from_row(row: pd.Series) -> Asset:
    """Build an :class:`Asset` from a universe-table row (columns as in the bundled CSV)."""
    acts = row.get("activities", "")
    acts = "" if not isinstance(acts, str) else acts
    return Asset(
        ticker=str(row["ticker"]).strip().upper(),
        name=str(row.get("name", row["ticker"])),
        asset_class=str(row.get("asset_class", "unclassified")),
        broad_class=str(row.get("broad_class", "equity")),
        region=str(row.get("region", "") or ""),
        sector=str(row.get("sector", "") or "").lower(),
        activities=tuple(a.strip().lower() for a in acts.split(";") if a.strip()),
        esg_score=_optional(row.get("esg_score")),
        esg_e=_optional(row.get("esg_e")),
        esg_s=_optional(row.get("esg_s")),
        esg_g=_optional(row.get("esg_g")),
        carbon_intensity=_optional(row.get("carbon_intensity")),
        expense_ratio=float(row.get("expense_ratio", 0.0) or 0.0),
        yield_=float(row.get("yield", 0.0) or 0.0),
        qualified_dividend_share=float(row.get("qualified_dividend_share", 0.0) or 0.0),
        index_tracked=str(row.get("index_tracked", "") or ""),
    )


@lru_cache(maxsize=1)
def _default_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    uni = pd.read_csv(io.StringIO(_read("default_universe.csv")), keep_default_na=False,
                      na_values=[""])
    corr = pd.read_csv(io.StringIO(_read("default_correlations.csv")))
    # Illustrative, rule-based ESG scores (NOT vendor ratings; see default_universe_notes.md).
    esg = pd.read_csv(io.StringIO(_read("default_esg_illustrative.csv")))
    uni = uni.merge(esg.drop(columns=["emerging_share"]), on="ticker", how="left")
    return uni, corr


def default_universe_table() -> pd.DataFrame:
    """The bundled universe table (one row per ETF, with sources), as a copy."""
    return _default_tables()[0].copy()


def correlation_from_pairs(pairs: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """Correlation matrix from a long table of ``asset_a, asset_b, correlation`` rows.

    Raises
    ------
    DataError
        If any pair of ``tickers`` is missing.
    """
    from tailorfolio.errors import DataError

    n = len(tickers)
    pos = {t: i for i, t in enumerate(tickers)}
    mat = np.full((n, n), np.nan)
    np.fill_diagonal(mat, 1.0)
    for a, b, c in pairs[["asset_a", "asset_b", "correlation"]].itertuples(index=False):
        if a in pos and b in pos:
            mat[pos[a], pos[b]] = mat[pos[b], pos[a]] = float(c)
    missing = [(tickers[i], tickers[j]) for i in range(n) for j in range(i + 1, n)
               if np.isnan(mat[i, j])]
    if missing:
        raise DataError(
            f"The correlation table lacks {len(missing)} pair(s), e.g. {missing[:3]}.",
            field="correlations", value=missing[:10],
            fix="give a correlation for every pair of assets",
        )
    return pd.DataFrame(mat, index=tickers, columns=tickers)


@lru_cache(maxsize=1)
def default_market() -> Market:
    """The bundled default market (immutable; cached).

    Expected returns are VCMM 10-year geometric midpoints converted to arithmetic means;
    volatilities are VCMM median volatilities; correlations come from
    ``default_correlations.csv`` (sourced or stated assumptions), repaired to be positive
    definite (the repair is recorded on the assumptions).
    """
    uni, pairs = _default_tables()
    assets = tuple(asset_from_row(r) for _, r in uni.iterrows())
    universe = Universe(assets, name="tailorfolio default (16 asset-class ETFs)")
    tickers = universe.tickers
    geo = pd.Series(uni["geometric_return"].to_numpy(float), index=tickers)
    vol = pd.Series(uni["volatility"].to_numpy(float), index=tickers)
    corr = correlation_from_pairs(pairs, tickers)
    sources = {t: f"{s} ({d})" for t, s, d in zip(tickers, uni["return_source"],
                                                   uni["source_date"])}
    sources["correlation"] = "default_correlations.csv: per-pair source or stated assumption"
    sources["risk_free_rate"] = "Vanguard VCMM 10-yr US cash midpoint, 2025-04-30"
    sources["inflation"] = "Vanguard VCMM 10-yr US inflation midpoint and median vol, 2025-04-30"
    sources["esg"] = ("tailorfolio illustrative rule-based ESG scores, NOT vendor ratings "
                      "(default_esg_illustrative.csv; rule in tailorfolio.esg._illustrative)")
    assumptions = CapitalMarketAssumptions.from_geometric(
        geo, vol, corr,
        risk_free_rate=DEFAULT_RISK_FREE_RATE,
        inflation=DEFAULT_INFLATION,
        inflation_volatility=DEFAULT_INFLATION_VOL,
        sources=sources,
        name="Vanguard VCMM 10-year forecasts, 2025 runs (range midpoints)",
    )
    last_prices = dict(zip(tickers, uni["reference_price"].astype(float)))
    return Market(universe, assumptions, last_prices=last_prices, as_of=DEFAULT_AS_OF)
