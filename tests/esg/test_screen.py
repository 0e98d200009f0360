"""Values without silent damage: exclusions that empty a class bring in the screened funds, or
stop the plan with an error naming the trade-off (the rule in tailorfolio.esg._screen)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tailorfolio.errors import InfeasibleError
from tailorfolio.esg import (
    EsgReport,
    ValuesConflictError,
    added_funds,
    has_esg_preferences,
    resolve_market,
    without_esg,
)
from tailorfolio.examples import load_example_profile
from tailorfolio.market import Universe, default_market
from tailorfolio.optimize import constraints_from_preferences
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.profile import Preferences

NO_GOALS = PlanSettings(goal_paths=0)
BOND_FUNDS = ("BND", "VGSH", "VGIT", "SCHP", "VCIT", "USHY", "MUB", "BNDX", "VWOB")
EQUITY_FUNDS = ("VTI", "VB", "VEA", "VWO")


def _profile(**prefs):
    """The retiree with only the given preferences (the retiree example excludes tobacco)."""
    return load_example_profile("retiree").model_copy(update={"preferences": Preferences(**prefs)})


def test_bundled_universe_is_as_the_rule_assumes():
    """Every equity fund of the default universe carries tobacco, fossil fuels and weapons; the
    screened funds carry none of them."""
    m = default_market()
    assert tuple(a.ticker for a in m.universe if a.broad_class == "bond") == BOND_FUNDS
    for t in EQUITY_FUNDS:
        assert {"tobacco", "fossil_fuels", "weapons"} <= m.universe[t].tags()


def test_no_exclusion_leaves_the_market_untouched():
    m = default_market()
    got, added = resolve_market(_profile(), m)
    assert got is m and added == ()


@pytest.mark.parametrize("tag", ["tobacco", "fossil_fuels", "weapons"])
def test_activity_exclusion_refills_equity_with_screened_funds(tag):
    """Each of these activities removes VTI, VB, VEA and VWO; ESGV and VSGX enter, each with
    the field, the value and the emptied class in its reason, and they pass the exclusion."""
    m = default_market()
    prof = _profile(excluded_sectors=[tag])
    got, added = resolve_market(prof, m)
    assert [f.ticker for f in added] == ["ESGV", "VSGX"]
    for f in added:
        assert f.fills == ("equity",) and f.field == "preferences.excluded_sectors"
        assert f"preferences.excluded_sectors ({tag}) removes every equity fund" in f.reason
        assert "VTI, VB, VEA, VWO" in f.reason and f.screen.startswith("issuer description")
        assert f.ticker in got.universe
    assert set(got.tickers) == set(m.tickers) | {"ESGV", "VSGX"}
    cs = constraints_from_preferences(got.universe, prof.preferences)
    held = {t for t, u in zip(cs.tickers, cs.upper) if u > 0}
    assert {"ESGV", "VSGX"} <= held and not held & set(EQUITY_FUNDS)
    # a stage that gets only the market re-derives the same records
    assert added_funds(prof, got) == added


def test_tobacco_retiree_plan_holds_screened_equity():
    """The issue's case: before, a tobacco exclusion left the retiree with 0 % equity and a
    warning; now the screened funds enter and the plan can hold equity."""
    prof = load_example_profile("retiree")
    assert prof.preferences.excluded_sectors == ("tobacco",)
    plan = build_plan(prof, settings=NO_GOALS)
    assert {"ESGV", "VSGX"} <= set(plan.weights)
    assert plan.class_weights().get("equity", 0.0) > 0.05
    assert isinstance(plan.esg, EsgReport)
    assert [f.ticker for f in plan.esg.added_funds] == ["ESGV", "VSGX"]
    assert all(f.reason in plan.warnings for f in plan.esg.added_funds)


def test_excluding_every_bond_fund_by_ticker_brings_in_the_screened_bond_fund():
    """``excluded_assets`` is a holding rule, not a value: VCEB enters (reason recorded in the
    plan's warnings) but the plan has no ESG section."""
    prof = _profile(excluded_assets=list(BOND_FUNDS))
    got, added = resolve_market(prof, default_market())
    assert [(f.ticker, f.fills, f.field) for f in added] == [
        ("VCEB", ("bond",), "preferences.excluded_assets")]
    assert "removes every bond fund" in added[0].reason
    assert not has_esg_preferences(prof.preferences)
    plan = build_plan(prof, settings=NO_GOALS)
    assert plan.esg is None
    assert added[0].reason in plan.warnings
    bonds = {t: w for t, w in plan.weights.items() if t in BOND_FUNDS}
    assert all(w <= 1e-7 for w in bonds.values())
    assert plan.class_weights().get("bond", 0.0) == pytest.approx(plan.weights["VCEB"])


def test_score_floor_above_every_fund_is_a_typed_error():
    """No fund (screened ones included) scores above 80 on the illustrative scale."""
    with pytest.raises(ValuesConflictError, match="at most 80") as info:
        resolve_market(_profile(min_esg_score=85), default_market())
    e = info.value
    assert isinstance(e, InfeasibleError) and e.exit_code == 5
    assert (e.field, e.value) == ("preferences.min_esg_score", 85)
    assert e.asset_classes == ("equity", "bond")
    assert e.conflicts[0].violation == pytest.approx(5.0)
    assert json.loads(json.dumps(e.to_dict()))["fixes"][0].startswith("lower")
    with pytest.raises(ValuesConflictError):  # the plan stops too
        build_plan(_profile(min_esg_score=85), settings=NO_GOALS)


def test_score_floor_above_every_equity_fund_brings_in_those_that_reach_it():
    """At a floor of 79 every default equity fund (62 or less) is below it; ESGV (80) enters,
    VSGX (78.3) does not."""
    got, added = resolve_market(_profile(min_esg_score=79), default_market())
    assert [(f.ticker, f.field) for f in added] == [("ESGV", "preferences.min_esg_score")]
    assert "scores below your floor" in added[0].reason
    assert "VSGX" not in got.universe


@pytest.mark.parametrize(("prefs", "field", "value", "cls"), [
    ({"excluded_sectors": ["equity"]}, "preferences.excluded_sectors", "equity", "equity"),
    ({"excluded_sectors": ["bond"]}, "preferences.excluded_sectors", "bond", "bond"),
    ({"excluded_sectors": ["tobacco", "diversified"]}, "preferences.excluded_sectors",
     "tobacco, diversified", "equity"),
])
def test_class_no_screened_fund_can_fill_is_a_typed_error(prefs, field, value, cls):
    """The screened funds are excluded too: the error names the field, its value, the class
    and the fixes (drop the exclusion, or accept no such class with an explicit bound)."""
    with pytest.raises(ValuesConflictError, match=f"removes every {cls} fund") as info:
        resolve_market(_profile(**prefs), default_market())
    e = info.value
    assert (e.field, e.value, e.asset_classes) == (field, value, (cls,))
    assert any(field in fix for fix in e.fixes)
    assert any(f"asset_class_bounds.{cls}: {{min: 0, max: 0}}" in fix for fix in e.fixes)
    assert {c.field for c in e.conflicts} == {field, f"preferences.asset_class_bounds.{cls}"}


def test_an_explicit_zero_bound_accepts_the_empty_class():
    prof = _profile(excluded_sectors=["bond"],
                    asset_class_bounds={"bond": {"min": 0, "max": 0}})
    got, added = resolve_market(prof, default_market())
    assert got is default_market() and added == ()


def test_fine_class_the_plan_relies_on():
    """Tobacco also removes VCIT, the only investment-grade credit fund: VCEB fills it when the
    caller (or a positive minimum bound) says the plan relies on it; high yield has no
    screened fund, so relying on it is an error that names it."""
    m = default_market()
    _, added = resolve_market(_profile(excluded_sectors=["tobacco"]), m)
    assert "VCEB" not in {f.ticker for f in added}
    _, added = resolve_market(_profile(excluded_sectors=["tobacco"]), m,
                              relied_on=("us_ig_credit",))
    vceb = {f.ticker: f for f in added}["VCEB"]
    assert vceb.fills == ("us_ig_credit",) and "(VCIT)" in vceb.reason
    with pytest.raises(ValuesConflictError, match="us_high_yield") as info:
        resolve_market(_profile(excluded_sectors=["tobacco"],
                                asset_class_bounds={"us_high_yield": {"min": 0.05}}), m)
    assert info.value.asset_classes == ("us_high_yield",)
    assert any("asset_class_bounds.us_high_yield.min to 0" in f for f in info.value.fixes)


def test_a_users_own_market_is_never_extended_but_still_protected():
    m = default_market()
    own = dataclasses.replace(m, universe=Universe(m.universe.assets, name="my funds"))
    with pytest.raises(ValuesConflictError, match="only to the bundled default") as info:
        resolve_market(_profile(excluded_sectors=["tobacco"]), own)
    assert any("add a screened equity fund" in f for f in info.value.fixes)
    got, added = resolve_market(_profile(excluded_sectors=["real_estate"]), own)
    assert got is own and added == ()  # VNQ is gone, but no required class is emptied


def test_opt_in_still_adds_every_screened_fund():
    got, added = resolve_market(_profile(esg_fund_alternatives=True), default_market())
    assert [(f.ticker, f.field, f.fills) for f in added] == [
        (t, "preferences.esg_fund_alternatives", ()) for t in ("ESGV", "VSGX", "VCEB")]
    assert json.loads(json.dumps([f.to_dict() for f in added]))[0]["ticker"] == "ESGV"


@pytest.mark.parametrize(("prefs", "expected"), [
    ({}, False),
    ({"excluded_assets": ["VTI"]}, False),  # a holding rule, not a value
    ({"esg_fund_alternatives": True}, False),  # only widens the universe
    ({"esg_preset": "none"}, False),
    ({"excluded_sectors": ["tobacco"]}, True),
    ({"min_esg_score": 50}, True),
    ({"esg_tilt": 0.01}, True),
    ({"esg_preset": "exclusions_only"}, True),
])
def test_has_esg_preferences(prefs, expected):
    prof = _profile(**prefs)
    assert has_esg_preferences(prof.preferences) is expected
    assert not has_esg_preferences(without_esg(prof).preferences)
