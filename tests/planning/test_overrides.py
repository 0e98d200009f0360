"""Advisor overrides are constraints of the plan, and the plan says what they cost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tailorfolio as tf
from tailorfolio.errors import InfeasibleError, ParameterError, ProfileError
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.planning._overrides import (
    ModelPortfolio,
    Override,
    apply_overrides,
    cost_of_overrides,
    overrides_from_dicts,
)
from tailorfolio.profile import Bounds

SETTINGS = PlanSettings(goal_paths=300, choice_paths=100)


@pytest.fixture(scope="module")
def family():
    return tf.load_example_profile("family")


@pytest.fixture(scope="module")
def locked(family):
    ov = [Override("lock", "VNQ", "client works in real estate and wants a fixed stake",
                   min=0.08)]
    return cost_of_overrides(family, ov, tf.default_market(), SETTINGS)


def test_lock_is_held_in_every_sleeve_but_the_reserve(locked) -> None:
    plan, _ = locked
    for s in plan.sleeves:
        if s.kind != "reserve":
            assert s.weights.get("VNQ", 0.0) == pytest.approx(0.08, abs=1e-4)


def test_cost_is_the_difference_to_the_plan_without_overrides(family, locked) -> None:
    plan, cost = locked
    base = build_plan(family, settings=SETTINGS)
    assert cost.base_expected_return == pytest.approx(base.expected_return, abs=1e-12)
    assert cost.base_goals == {o.name: o.probability for o in base.goals.outcomes}
    assert cost.goals == {o.name: o.probability for o in plan.goals.outcomes}
    assert cost.return_cost == pytest.approx(base.expected_return - plan.expected_return)
    assert cost.tax_cost == pytest.approx(plan.accounts.tax.estimated_tax
                                          - base.accounts.tax.estimated_tax)
    d = cost.to_dict()
    assert d["overrides"][0]["reason"].startswith("client works")
    assert {g["name"] for g in d["goals"]} == set(cost.goals)


def test_no_overrides_cost_nothing(family) -> None:
    plan, cost = cost_of_overrides(family, [], tf.default_market(), SETTINGS)
    assert cost.return_cost == 0.0 and cost.tax_cost == 0.0
    assert cost.goals == cost.base_goals


def test_model_band_keeps_every_weight_near_the_model(family) -> None:
    market = tf.default_market()
    model = ModelPortfolio("60/40", {"VTI": 0.4, "VEA": 0.2, "BND": 0.3, "BNDX": 0.1}, 0.05)
    prof = apply_overrides(family, [Override("model", "60/40", "firm policy", model=model)],
                           market)
    b = prof.preferences.asset_bounds
    assert (b["VTI"].min, b["VTI"].max) == pytest.approx((0.35, 0.45))
    assert b["VB"] == Bounds(min=0.0, max=0.05)
    assert set(b) == set(market.universe.tickers)


def test_keep_fixes_todays_share(family) -> None:
    market = tf.default_market()
    prof = apply_overrides(family, [Override("keep", "VTI", "legacy holding")], market)
    prices = {t: market.price_of(t) for t in family.held_assets}
    wealth = sum(a.value(prices) for a in family.accounts)
    held = sum(l.quantity * prices["VTI"] for a in family.accounts for l in a.lots
               if l.asset == "VTI")
    assert prof.preferences.asset_bounds["VTI"].min == pytest.approx(held / wealth)


def test_class_bounds_intersect_the_profiles_own(family) -> None:
    market = tf.default_market()
    prof = family.model_copy(update={"preferences": family.preferences.model_copy(update={
        "asset_class_bounds": {"bond": Bounds(min=0.2, max=0.7)}})})
    out = apply_overrides(prof, [Override("class_bounds", "bond", "r", min=0.3, max=0.9)],
                          market)
    assert out.preferences.asset_class_bounds["bond"] == Bounds(min=0.3, max=0.7)
    with pytest.raises(ProfileError) as err:
        apply_overrides(prof, [Override("class_bounds", "bond", "r", min=0.8, max=0.9)], market)
    assert err.value.field == "preferences.asset_class_bounds.bond"


@pytest.mark.parametrize("ov, field", [
    (Override("lock", "VTI", "  ", min=0.1), "reason"),
    (Override("lock", "NOPE", "r", min=0.1), "target"),
    (Override("lock", "VTI", "r", min=1.5), "min"),
    (Override("bounds", "VTI", "r", min=0.5, max=0.2), "min"),
    (Override("model", "m", "r", model=ModelPortfolio("m", {"VTI": 0.5}, 0.05)), "weights"),
    (Override("frobnicate", "VTI", "r"), "kind"),
    (Override("class_bounds", "crypto", "r", max=0.1), "target"),
])
def test_bad_overrides_name_the_field(family, ov: Override, field: str) -> None:
    with pytest.raises(ParameterError) as err:
        apply_overrides(family, [ov], tf.default_market())
    assert err.value.field == field


def test_impossible_overrides_are_infeasible_not_a_traceback(family) -> None:
    ov = [Override("lock", "VTI", "r", min=0.7), Override("lock", "BND", "r", min=0.7)]
    with pytest.raises(InfeasibleError):
        cost_of_overrides(family, ov, tf.default_market(), SETTINGS)


def test_overrides_from_plain_data() -> None:
    rows = [{"kind": "bounds", "target": "VTI", "min": 0.1, "max": 0.3, "reason": "r"},
            {"kind": "model", "target": "m", "reason": "r",
             "model": {"name": "m", "weights": {"VTI": 1.0}, "tolerance": 0.1}}]
    a, b = overrides_from_dicts(rows)
    assert (a.kind, a.min, a.max) == ("bounds", 0.1, 0.3)
    assert b.model is not None and b.model.weights == {"VTI": 1.0} and b.model.tolerance == 0.1
    with pytest.raises(ParameterError):
        overrides_from_dicts([{"kind": "x"}])


_weight = st.floats(0, 1, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(own=st.tuples(_weight, _weight).map(sorted), new=st.tuples(_weight, _weight).map(sorted))
def test_override_bounds_are_the_intersection_or_a_named_conflict(own, new) -> None:
    market = tf.default_market()
    prof = tf.load_example_profile("young_saver")
    prof = prof.model_copy(update={"preferences": prof.preferences.model_copy(update={
        "asset_bounds": {"VTI": Bounds(min=own[0], max=own[1])}})})
    ov = Override("bounds", "VTI", "house view", min=new[0], max=new[1])
    if max(own[0], new[0]) > min(own[1], new[1]) + 1e-12:
        with pytest.raises(ProfileError) as err:
            apply_overrides(prof, [ov], market)
        assert err.value.field == "preferences.asset_bounds.VTI"
        return
    b = apply_overrides(prof, [ov], market).preferences.asset_bounds["VTI"]
    assert max(own[0], new[0]) == b.min and b.max == pytest.approx(min(own[1], new[1]))
    assert own[0] <= b.min <= b.max <= own[1] + 1e-12
