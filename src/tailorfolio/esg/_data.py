"""The ESG data model: per-asset scores on one stated scale, activity tags, carbon intensity.

Inside tailorfolio every ESG score is on **0–100, higher is better** (the scale of
:class:`~tailorfolio.market.Asset`): total score ``esg_score`` and pillars ``esg_e``,
``esg_s``, ``esg_g``. Carbon intensity is tonnes CO2e (scope 1+2) per USD 1M of revenue.
Vendors use other scales — MSCI ESG scores run 0–10 higher-better, Sustainalytics ESG *risk*
ratings run from 0 upward with higher meaning *more* risk — so user data is mapped linearly
onto the internal scale with :class:`EsgScale`, which records where each number came from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError
from tailorfolio.market._universe import Universe


class ScoreDirection(str, Enum):
    """Whether a vendor's higher numbers mean better or worse ESG."""

    HIGHER_IS_BETTER = "higher_is_better"
    HIGHER_IS_WORSE = "higher_is_worse"


@dataclass(frozen=True)
class EsgScale:
    """How a source's scores map onto tailorfolio's 0–100, higher-is-better scale.

    Attributes
    ----------
    minimum, maximum : float
        The source scale's ends (values outside are clipped to them, and counted).
    direction : ScoreDirection
    source : str
        Who produced the scores and when (recorded in plans).

    Examples
    --------
    >>> EsgScale(0, 10).to_internal(7.5)
    75.0
    >>> EsgScale(0, 50, ScoreDirection.HIGHER_IS_WORSE).to_internal(10.0)
    80.0
    """

    minimum: float = 0.0
    maximum: float = 100.0
    direction: ScoreDirection = ScoreDirection.HIGHER_IS_BETTER
    source: str = "user-supplied scores"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.minimum) and np.isfinite(self.maximum)
                and self.maximum > self.minimum):
            raise DataError(
                f"The ESG scale [{self.minimum}, {self.maximum}] is empty or not finite.",
                field="esg_scale", value=(self.minimum, self.maximum),
                expected="finite minimum < maximum", fix="e.g. 0 and 100, or 0 and 10 for MSCI",
            )

    def to_internal(self, value: float) -> float:
        """``value`` on 0–100, higher is better (clipped to the source scale first)."""
        v = min(max(float(value), self.minimum), self.maximum)
        score = 100.0 * (v - self.minimum) / (self.maximum - self.minimum)
        if self.direction is ScoreDirection.HIGHER_IS_WORSE:
            score = 100.0 - score
        return score

    def describe(self) -> str:
        d = "higher is better" if self.direction is ScoreDirection.HIGHER_IS_BETTER else \
            "higher is worse (a risk rating)"
        return (f"{self.source}: source scale {self.minimum:g}–{self.maximum:g}, {d}; mapped "
                "linearly to 0–100, higher is better")


SCORE_COLUMNS = ("esg_score", "esg_e", "esg_s", "esg_g")
"""Columns read as scores (pillars use the same scale as the total)."""
_ALIASES = {
    "ticker": ("ticker", "symbol", "asset"),
    "esg_score": ("esg_score", "total", "total_esg", "esg", "score", "total esg risk score"),
    "esg_e": ("esg_e", "e", "environment", "environmental", "environment risk score"),
    "esg_s": ("esg_s", "s", "social", "social risk score"),
    "esg_g": ("esg_g", "g", "governance", "governance risk score"),
    "carbon_intensity": ("carbon_intensity", "carbon", "waci", "co2_intensity"),
}


@dataclass(frozen=True)
class EsgScoreTable:
    """ESG data for a set of tickers, already on the internal scale.

    Attributes
    ----------
    frame : DataFrame
        Indexed by ticker; columns ``esg_score``, ``esg_e``, ``esg_s``, ``esg_g``,
        ``carbon_intensity`` (NaN where unknown).
    scale : EsgScale
        The source scale the scores were mapped from.
    clipped : tuple of str
        Tickers with a value outside the source scale (clipped).
    """

    frame: pd.DataFrame
    scale: EsgScale
    clipped: tuple[str, ...] = ()


def esg_scores_from_frame(frame: pd.DataFrame, scale: EsgScale | None = None
                          ) -> EsgScoreTable:
    """Read a user's ESG table (any of the usual column names) onto the internal scale.

    Parameters
    ----------
    frame : DataFrame
        One row per asset; a ticker column (``ticker``/``symbol``/``asset``) and at least one
        of the score columns (``esg_score``/``total``/..., pillars ``esg_e``/``e``/...),
        optionally ``carbon_intensity``. Empty cells mean unknown.
    scale : EsgScale, optional
        The source scale (default 0–100, higher is better).

    Raises
    ------
    DataError
        Without a ticker column or any score column, with duplicate tickers, or with
        non-numeric or negative values.
    """
    scale = scale or EsgScale()
    lower = {str(c).strip().lower(): c for c in frame.columns}
    cols: dict[str, object] = {}
    for name, aliases in _ALIASES.items():
        for al in aliases:
            if al in lower:
                cols[name] = lower[al]
                break
    if "ticker" not in cols:
        raise DataError("The ESG file needs a ticker column.", field="esg_scores.ticker",
                        value=list(frame.columns)[:10], expected="a 'ticker' column",
                        fix="name the column with the tickers 'ticker'")
    if not any(c in cols for c in SCORE_COLUMNS + ("carbon_intensity",)):
        raise DataError(
            "The ESG file has no score column.", field="esg_scores.esg_score",
            value=list(frame.columns)[:10],
            expected="esg_score (or total), esg_e/esg_s/esg_g, carbon_intensity",
            fix="name the total score column 'esg_score'",
        )
    tickers = frame[cols["ticker"]].astype(str).str.strip().str.upper()
    dupes = sorted(set(tickers[tickers.duplicated()]))
    if dupes:
        raise DataError(f"The ESG file lists {dupes} more than once.", field="esg_scores.ticker",
                        value=dupes, expected="one row per ticker", fix="remove duplicate rows")
    out = pd.DataFrame(index=pd.Index(tickers, name="ticker"))
    clipped: set[str] = set()
    for name in SCORE_COLUMNS + ("carbon_intensity",):
        if name not in cols:
            out[name] = np.nan
            continue
        raw = pd.to_numeric(frame[cols[name]], errors="coerce").to_numpy(dtype=float)
        bad = [t for t, r, v in zip(tickers, frame[cols[name]], raw)
               if np.isnan(v) and not (r is None or (isinstance(r, float) and np.isnan(r))
                                       or str(r).strip() == "")]
        if bad:
            raise DataError(
                f"The ESG column {name!r} is not a number for {bad[:10]}.",
                field=f"esg_scores.{name}", value=bad[:10], expected="numbers or empty cells",
                fix="leave unknown scores empty",
            )
        if name == "carbon_intensity":
            neg = [t for t, v in zip(tickers, raw) if v < 0]
            if neg:
                raise DataError(f"Carbon intensity is negative for {neg[:10]}.",
                                field="esg_scores.carbon_intensity", value=neg[:10],
                                expected="tonnes CO2e per USD 1M revenue, >= 0",
                                fix="correct the figures")
            out[name] = raw
            continue
        vals = []
        for t, v in zip(tickers, raw):
            if np.isnan(v):
                vals.append(np.nan)
                continue
            if v < scale.minimum or v > scale.maximum:
                clipped.add(t)
            vals.append(scale.to_internal(v))
        out[name] = vals
    return EsgScoreTable(out, scale, tuple(sorted(clipped)))


def apply_esg_scores(universe: Universe, table: EsgScoreTable, *, replace_all: bool = True
                     ) -> Universe:
    """A copy of ``universe`` with ``table``'s ESG data.

    Parameters
    ----------
    replace_all : bool
        True: every asset's ESG fields come from ``table`` (assets not in it become unscored,
        so bundled illustrative scores never mix with vendor data). False: only the assets in
        ``table`` change.

    Tickers of ``table`` that are not in the universe are ignored (a vendor file usually
    covers far more assets than a portfolio universe).
    """
    f = table.frame

    def val(t: str, col: str) -> float | None:
        if t not in f.index:
            return None
        v = f.at[t, col]
        return None if pd.isna(v) else float(v)

    assets = []
    for a in universe:
        if a.ticker not in f.index and not replace_all:
            assets.append(a)
            continue
        assets.append(replace(a, esg_score=val(a.ticker, "esg_score"),
                              esg_e=val(a.ticker, "esg_e"), esg_s=val(a.ticker, "esg_s"),
                              esg_g=val(a.ticker, "esg_g"),
                              carbon_intensity=val(a.ticker, "carbon_intensity")))
    return replace(universe, assets=tuple(assets))


def coverage(universe: Universe) -> float:
    """Share of the universe's assets (by count) with a total ESG score."""
    return sum(a.esg_score is not None for a in universe) / len(universe)
