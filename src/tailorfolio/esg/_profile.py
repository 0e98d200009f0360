"""A portfolio's ESG profile: weighted score, coverage, carbon intensity, what was left out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tailorfolio.market._universe import Universe
from tailorfolio.optimize._constraints import ConstraintSet

WEIGHT_EPS = 1e-6
"""Weights below this count as not held."""


@dataclass(frozen=True)
class ExcludedHolding:
    """An asset the investor's ESG preferences or rules removed.

    Attributes
    ----------
    ticker : str
    reasons : tuple of str
        Every rule that removed it ("sector/activity 'tobacco'", "missing ESG score"...).
    fields : tuple of str
        The profile field behind each rule (aligned with ``reasons``).
    """

    ticker: str
    reasons: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class EsgProfile:
    """ESG characteristics of one portfolio (scores on 0–100, higher is better).

    Attributes
    ----------
    score : float or None
        Weighted ESG score of the scored holdings (Σ wᵢsᵢ / Σ wᵢ over scored i); None when no
        holding is scored.
    score_missing_as_worst : float
        Σ wᵢsᵢ with missing scores counted as 0 (the ``worst`` policy's view).
    pillars : dict of str to float or None
        Weighted E, S, G over holdings with that pillar.
    coverage : float
        Share of the portfolio's weight with a total score, in [0, 1].
    carbon_intensity : float or None
        Weighted average carbon intensity (WACI, t CO2e per USD 1M revenue) of holdings with
        a figure; None when none has one.
    carbon_coverage : float
        Share of weight with a carbon-intensity figure.
    unscored_holdings : tuple of str
        Held assets without a score.
    excluded : tuple of ExcludedHolding
    floor, tilt : float or None, float
        The score floor and tilt in force.
    missing_score_policy : str
    score_source : str
        Where the scores came from (illustrative rule, vendor...).
    notes : tuple of str
        How presets resolved, warnings about the data.
    """

    score: float | None
    score_missing_as_worst: float
    pillars: dict[str, float | None]
    coverage: float
    carbon_intensity: float | None
    carbon_coverage: float
    unscored_holdings: tuple[str, ...]
    excluded: tuple[ExcludedHolding, ...]
    floor: float | None
    tilt: float
    missing_score_policy: str
    score_source: str
    notes: tuple[str, ...] = ()


def _weighted(w: np.ndarray, values: np.ndarray) -> tuple[float | None, float]:
    has = ~np.isnan(values) & (w > WEIGHT_EPS)
    cov = float(w[has].sum())
    if cov <= WEIGHT_EPS:
        return None, 0.0
    return float(w[has] @ values[has] / cov), cov


def excluded_holdings(constraints: ConstraintSet) -> tuple[ExcludedHolding, ...]:
    """Every excluded ticker once, with all the rules that excluded it."""
    reasons: dict[str, list[tuple[str, str]]] = {}
    for ex in constraints.exclusions:
        for t in ex.tickers:
            reasons.setdefault(t, []).append((ex.rule, ex.field))
    out = []
    for t, rs in reasons.items():
        pairs = list(dict.fromkeys(rs))
        out.append(ExcludedHolding(t, tuple(r for r, _ in pairs), tuple(f for _, f in pairs)))
    return tuple(out)


def portfolio_esg_profile(weights: pd.Series, universe: Universe,
                          constraints: ConstraintSet | None = None, *,
                          score_source: str = "", notes: tuple[str, ...] = ()) -> EsgProfile:
    """The ESG profile of ``weights`` in ``universe``.

    Parameters
    ----------
    weights : Series of shape (n_assets,)
        Portfolio weights by ticker (summing to one; missing tickers count as 0).
    universe : Universe
    constraints : ConstraintSet, optional
        Gives the exclusions, floor, tilt and missing-score policy to report.
    score_source : str
    notes : tuple of str
    """
    tickers = universe.tickers
    w = weights.reindex(tickers).fillna(0.0).to_numpy(dtype=float)

    def col(attr: str) -> np.ndarray:
        return np.array([np.nan if getattr(a, attr) is None else float(getattr(a, attr))
                         for a in universe])

    s = col("esg_score")
    score, coverage = _weighted(w, s)
    pillars = {p: _weighted(w, col(f"esg_{p.lower()}"))[0] for p in ("E", "S", "G")}
    carbon, carbon_cov = _weighted(w, col("carbon_intensity"))
    unscored = tuple(t for t, wi, si in zip(tickers, w, s) if wi > WEIGHT_EPS and np.isnan(si))
    cs = constraints
    return EsgProfile(
        score=score,
        score_missing_as_worst=float(w @ np.nan_to_num(s, nan=0.0)),
        pillars=pillars,
        coverage=coverage,
        carbon_intensity=carbon,
        carbon_coverage=carbon_cov,
        unscored_holdings=unscored,
        excluded=excluded_holdings(cs) if cs is not None else (),
        floor=None if cs is None else cs.min_esg_score,
        tilt=0.0 if cs is None else cs.esg_tilt,
        missing_score_policy="" if cs is None else cs.missing_score_policy.value,
        score_source=score_source,
        notes=notes,
    )
