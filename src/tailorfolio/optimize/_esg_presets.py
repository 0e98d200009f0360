"""ESG presets: four ready-made stances an investor can pick instead of tuning every knob.

============== ============================================================================
preset         what it does
============== ============================================================================
none           nothing (the same as leaving every ESG field empty)
exclusions_only  negative screening only: no tobacco, weapons, controversial weapons or
               thermal coal (the usual "ESG screened" index exclusions)
best_in_class  exclusions_only, plus best-in-class selection (inside each peer group, drop
               scored assets below the group's median score) and a mild tilt (0.01) toward
               higher scores
strong         broad values screen (also fossil fuels, gambling, adult entertainment),
               best-in-class selection, a portfolio score floor at the 60th percentile of the
               remaining assets' scores, and a stronger tilt (0.03)
============== ============================================================================

Peer groups for best-in-class are the assets' ``sector`` (GICS sector for stocks) or, for
funds whose sector is ``diversified`` or empty, their fine ``asset_class``; a group takes part
only when it has at least :data:`MIN_PEER_GROUP` scored assets, so a universe with one fund per
asset class is left untouched (and the report says so).

Explicit profile fields win over the preset: exclusions are the union of both, and a
``min_esg_score`` or ``esg_tilt`` the profile sets itself is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from tailorfolio.market._universe import Universe
from tailorfolio.profile._preferences import Preferences


class EsgPreset(str, Enum):
    """The ready-made ESG stances."""

    NONE = "none"
    EXCLUSIONS_ONLY = "exclusions_only"
    BEST_IN_CLASS = "best_in_class"
    STRONG = "strong"


SCREEN_EXCLUSIONS = ("tobacco", "weapons", "controversial_weapons", "coal")
"""Activities excluded by ``exclusions_only`` and above."""
STRONG_EXCLUSIONS = SCREEN_EXCLUSIONS + ("fossil_fuels", "gambling", "adult_entertainment")
"""Activities excluded by ``strong``."""
MIN_PEER_GROUP = 3
"""Smallest number of scored assets a peer group needs for best-in-class selection."""
STRONG_FLOOR_PERCENTILE = 60.0
"""``strong`` sets the floor at this percentile of the remaining assets' scores."""


@dataclass(frozen=True)
class PresetSpec:
    """What a preset sets (before the profile's own fields are applied)."""

    exclusions: tuple[str, ...] = ()
    best_in_class: bool = False
    floor_percentile: float | None = None
    tilt: float = 0.0


PRESETS: dict[EsgPreset, PresetSpec] = {
    EsgPreset.NONE: PresetSpec(),
    EsgPreset.EXCLUSIONS_ONLY: PresetSpec(exclusions=SCREEN_EXCLUSIONS),
    EsgPreset.BEST_IN_CLASS: PresetSpec(exclusions=SCREEN_EXCLUSIONS, best_in_class=True,
                                        tilt=0.01),
    EsgPreset.STRONG: PresetSpec(exclusions=STRONG_EXCLUSIONS, best_in_class=True,
                                 floor_percentile=STRONG_FLOOR_PERCENTILE, tilt=0.03),
}


@dataclass(frozen=True)
class ResolvedEsg:
    """A profile's ESG preferences with its preset applied to a universe.

    Attributes
    ----------
    preferences : Preferences
        The preferences to build constraints from (preset merged in).
    best_in_class : dict of str to tuple of str
        Peer group → tickers dropped by best-in-class selection (empty when not used).
    notes : tuple of str
        Plain-language record of what the preset set and why.
    """

    preferences: Preferences
    best_in_class: dict[str, tuple[str, ...]]
    notes: tuple[str, ...] = ()


def peer_group(asset_sector: str, asset_class: str) -> str:
    """The best-in-class peer group of an asset: its sector, or its class for broad funds."""
    s = (asset_sector or "").lower()
    return asset_class if s in ("", "diversified") else s


def best_in_class_drops(universe: Universe, excluded: set[str]) -> dict[str, tuple[str, ...]]:
    """Per peer group, the scored assets strictly below the group's median score.

    Assets in ``excluded`` and assets without a score take no part.
    """
    groups: dict[str, list[tuple[str, float]]] = {}
    for a in universe:
        if a.ticker in excluded or a.esg_score is None:
            continue
        groups.setdefault(peer_group(a.sector, a.asset_class), []).append(
            (a.ticker, a.esg_score))
    out: dict[str, tuple[str, ...]] = {}
    for name, members in groups.items():
        if len(members) < MIN_PEER_GROUP:
            continue
        median = float(np.median([s for _, s in members]))
        drops = tuple(t for t, s in members if s < median)
        if drops:
            out[name] = drops
    return out


def resolve_esg_preferences(preferences: Preferences, universe: Universe) -> ResolvedEsg:
    """Apply ``preferences.esg_preset`` to ``universe`` (pure; no effect without a preset)."""
    if preferences.esg_preset in (None, EsgPreset.NONE.value):
        return ResolvedEsg(preferences, {})
    preset = EsgPreset(preferences.esg_preset)
    spec = PRESETS[preset]
    explicit = preferences.model_fields_set
    notes = [f"ESG preset '{preset.value}'"]
    sectors = tuple(dict.fromkeys(preferences.excluded_sectors + spec.exclusions))
    added = [t for t in spec.exclusions if t not in preferences.excluded_sectors]
    if added:
        notes.append("excludes " + ", ".join(added))
    update: dict[str, object] = {"excluded_sectors": sectors}
    excluded = {a.ticker for a in universe if a.tags() & set(sectors)}
    excluded |= set(preferences.excluded_assets)
    drops: dict[str, tuple[str, ...]] = {}
    if spec.best_in_class:
        drops = best_in_class_drops(universe, excluded)
        if drops:
            notes.append("best-in-class drops " + "; ".join(
                f"{', '.join(ts)} (below the {g} median)" for g, ts in drops.items()))
        else:
            notes.append(f"best-in-class selection dropped nothing (no peer group of "
                         f"{MIN_PEER_GROUP}+ scored assets has one below its median)")
        excluded |= {t for ts in drops.values() for t in ts}
    if "esg_tilt" not in explicit and spec.tilt > 0:
        update["esg_tilt"] = spec.tilt
        notes.append(f"tilt {spec.tilt:g}")
    if "min_esg_score" not in explicit and spec.floor_percentile is not None:
        scores = [a.esg_score for a in universe
                  if a.esg_score is not None and a.ticker not in excluded]
        if scores:
            floor = round(float(np.percentile(scores, spec.floor_percentile)), 1)
            update["min_esg_score"] = floor
            notes.append(f"score floor {floor:g} (the {spec.floor_percentile:g}th percentile "
                         "of the remaining assets' scores)")
        else:
            notes.append("no score floor: no remaining asset has an ESG score")
    return ResolvedEsg(preferences.model_copy(update=update), drops, tuple(notes))
