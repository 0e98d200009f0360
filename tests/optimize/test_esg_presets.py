"""ESG presets resolve against a universe; explicit profile fields win."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.esg import PRESETS, EsgPreset, best_in_class_drops, resolve_esg_preferences
from tailorfolio.optimize._esg_presets import MIN_PEER_GROUP, STRONG_FLOOR_PERCENTILE
from tailorfolio.market import Asset, Universe, default_market
from tailorfolio.optimize import constraints_from_preferences
from tailorfolio.profile import Preferences


def _stocks() -> Universe:
    rows = [("A1", "tech", 90), ("A2", "tech", 60), ("A3", "tech", 30), ("B1", "energy", 20),
            ("B2", "energy", 40), ("C1", "health", 70), ("C2", "health", 10), ("D1", "tech", None)]
    return Universe(tuple(
        Asset(t, t, "us_equity", "equity", sector=s, esg_score=sc,
              activities=("fossil_fuels",) if s == "energy" else ())
        for t, s, sc in rows))


def test_none_and_missing_preset_change_nothing():
    uni = _stocks()
    for p in (Preferences(), Preferences(esg_preset="none")):
        r = resolve_esg_preferences(p, uni)
        assert r.preferences == p and r.best_in_class == {}


def test_exclusions_only_adds_screens_and_keeps_own():
    p = Preferences(esg_preset="exclusions_only", excluded_sectors=["energy"])
    r = resolve_esg_preferences(p, _stocks())
    assert r.preferences.excluded_sectors[0] == "energy"
    assert set(PRESETS[EsgPreset.EXCLUSIONS_ONLY].exclusions) <= set(
        r.preferences.excluded_sectors)
    assert r.preferences.min_esg_score is None and r.preferences.esg_tilt == 0


def test_best_in_class_drops_below_median_in_large_enough_groups():
    drops = best_in_class_drops(_stocks(), excluded=set())
    # tech has 3 scored assets (D1 unscored): median 60 → A3 dropped; energy and health have
    # only 2 scored assets (< MIN_PEER_GROUP) → untouched.
    assert MIN_PEER_GROUP == 3
    assert drops == {"tech": ("A3",)}


def test_best_in_class_on_the_default_funds():
    """Only the 'government' sector has 3+ funds there (VGSH, VGIT, SCHP, VWOB): the
    emerging-market sovereign fund falls below that group's median."""
    uni = default_market().universe
    r = resolve_esg_preferences(Preferences(esg_preset="best_in_class"), uni)
    assert r.best_in_class == {"government": ("VWOB",)}
    assert r.preferences.esg_tilt == pytest.approx(0.01)
    # once fossil fuels are excluded too, no group of 3+ scored funds is left with a spread
    r2 = resolve_esg_preferences(Preferences(esg_preset="best_in_class",
                                             excluded_sectors=["fossil_fuels"]), uni)
    assert r2.best_in_class == {}
    assert any("dropped nothing" in n for n in r2.notes)


def test_strong_sets_floor_at_percentile_of_remaining_scores():
    uni = _stocks()
    r = resolve_esg_preferences(Preferences(esg_preset="strong"), uni)
    assert "fossil_fuels" in r.preferences.excluded_sectors
    remaining = [90.0, 60.0, 70.0, 10.0]  # energy excluded, A3 dropped, D1 unscored
    assert r.preferences.min_esg_score == pytest.approx(
        round(float(np.percentile(remaining, STRONG_FLOOR_PERCENTILE)), 1))
    assert r.preferences.esg_tilt == pytest.approx(0.03)


def test_explicit_floor_and_tilt_win_over_preset():
    p = Preferences(esg_preset="strong", min_esg_score=12.0, esg_tilt=0.0)
    r = resolve_esg_preferences(p, _stocks())
    assert r.preferences.min_esg_score == 12.0
    assert r.preferences.esg_tilt == 0.0


def test_preset_exclusions_reach_the_constraint_set_with_their_field():
    cs = constraints_from_preferences(_stocks(), Preferences(esg_preset="best_in_class",
                                                             excluded_sectors=["energy"]))
    fields = {ex.rule: ex.field for ex in cs.exclusions}
    assert fields["sector/activity 'energy'"] == "preferences.excluded_sectors"
    assert fields["sector/activity 'tobacco'"] == "preferences.esg_preset"
    assert any(r.startswith("best-in-class") for r in fields)
    assert cs.upper[cs.tickers.index("A3")] == 0.0
    assert cs.esg_tilt == pytest.approx(0.01)


def test_profile_without_new_fields_still_parses():
    """Backwards compatibility: the new fields have defaults."""
    p = Preferences.model_validate({"min_esg_score": 50})
    assert p.esg_preset is None and p.esg_fund_alternatives is False
    with pytest.raises(Exception):
        Preferences.model_validate({"esg_preset": "extreme"})
