from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

import tailorfolio as tf
from tailorfolio.errors import InfeasibleError, MissingAssetsError
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.profile import Bounds


def test_plan_for_each_example(example_profile) -> None:
    plan = tf.plan(example_profile)
    w = np.array(list(plan.weights.values()))
    assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w >= 0).all()
    assert 1 <= plan.risk.level <= 10
    assert plan.volatility <= plan.max_volatility + 1e-6
    assert plan.investable_wealth > 0
    assert sum(line.amount for line in plan.allocation) == pytest.approx(plan.investable_wealth)
    assert plan.rationale and "risk level" in plan.rationale[0]
    assert plan.provenance.library_version == tf.__version__
    cash = plan.class_weights().get("cash", 0.0)
    reserve = (example_profile.preferences.cash_reserve_months
               * example_profile.expenses_per_year / 12 / plan.investable_wealth)
    assert cash >= min(reserve, 1.0) - 1e-6


def test_same_inputs_reproduce_the_same_plan() -> None:
    prof = tf.load_example_profile("family")
    a, b = tf.plan(prof), tf.plan(prof)
    assert a.provenance.input_hash == b.provenance.input_hash
    assert a.weights == pytest.approx(b.weights, abs=1e-9)
    changed = prof.model_copy(update={"age": 42})
    assert tf.plan(changed).provenance.input_hash != a.provenance.input_hash


def test_plan_json_round_trip_is_complete() -> None:
    plan = tf.plan(tf.load_example_profile("retiree"))
    data = json.loads(plan.to_json())
    assert data["risk"]["level"] == plan.risk.level
    assert set(data["household"]["weights"]) == set(plan.resolved_market.tickers)
    assert [a["ticker"] for a in data["market"]["assets"]] == plan.resolved_market.tickers
    assert data["provenance"]["input_hash"] == plan.provenance.input_hash
    assert data["excluded"] and data["excluded"][0]["field"] == "preferences.excluded_sectors"
    assert isinstance(data["rationale"], list)


def test_plan_is_immutable() -> None:
    plan = tf.plan(tf.load_example_profile("retiree"))
    with pytest.raises(Exception):
        plan.volatility = 0.0


def test_excluded_assets_get_zero_weight() -> None:
    plan = tf.plan(tf.load_example_profile("retiree"))
    for e in plan.excluded:
        assert plan.weights[e.ticker] == 0.0


def test_unknown_holding_is_a_clear_error() -> None:
    prof = tf.load_example_profile("young_saver")
    acct = prof.accounts[0]
    lot = acct.lots[0].model_copy(update={"asset": "ZZZZ"})
    bad = prof.model_copy(update={"accounts": (acct.model_copy(update={"lots": (lot,)}),
                                               *prof.accounts[1:])})
    with pytest.raises(MissingAssetsError, match="ZZZZ"):
        tf.plan(bad)


def test_infeasible_profile_names_fields() -> None:
    prof = tf.load_example_profile("young_saver")
    # Bounds every sleeve must meet and that cannot hold together.
    prefs = prof.preferences.model_copy(update={
        "asset_class_bounds": {"equity": Bounds(min=0.7), "bond": Bounds(min=0.4)}})
    with pytest.raises(InfeasibleError) as info:
        tf.plan(prof.model_copy(update={"preferences": prefs}))
    fields = {c.field for c in info.value.conflicts}
    assert "preferences.asset_class_bounds.equity" in fields
    assert any("Alex" in n for n in getattr(info.value, "__notes__", []))


@pytest.mark.parametrize("model", ["equilibrium_views", "equilibrium", "forecasts"])
def test_every_return_model_builds_a_plan(model) -> None:
    prof = tf.load_example_profile("family")
    plan = build_plan(prof, settings=PlanSettings(return_model=model, goal_paths=0),
                      as_of=date(2025, 6, 30))
    assert plan.market.return_model.model == model
    w = np.array(list(plan.weights.values()))
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
