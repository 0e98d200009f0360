"""Portfolio ESG profile, cost of values, the plan stage."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tailorfolio.esg import (
    CostOfValues,
    EsgReport,
    goal_probabilities,
    has_esg_preferences,
    portfolio_esg_profile,
    without_esg,
)
from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.market import Asset, Universe
from tailorfolio.optimize import constraints_from_preferences
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.profile import Preferences
from tests.tolerances import CLOSED_FORM_RTOL

NO_GOALS = PlanSettings(goal_paths=0)
"""The goals simulation is not what these tests are about (it has its own test below)."""


def _uni():
    return Universe((
        Asset("A", "A", "eq", "equity", esg_score=80, esg_e=90, carbon_intensity=100.0),
        Asset("B", "B", "eq", "equity", esg_score=40, esg_e=None, carbon_intensity=300.0),
        Asset("C", "C", "eq", "equity", activities=("tobacco",)),
    ))


def test_weighted_score_coverage_and_carbon():
    uni = _uni()
    cs = constraints_from_preferences(uni, Preferences(excluded_sectors=["tobacco"],
                                                       min_esg_score=50))
    w = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    p = portfolio_esg_profile(w, uni, cs, score_source="test")
    assert p.score == pytest.approx((0.5 * 80 + 0.3 * 40) / 0.8, rel=CLOSED_FORM_RTOL)
    assert p.score_missing_as_worst == pytest.approx(0.5 * 80 + 0.3 * 40, rel=CLOSED_FORM_RTOL)
    assert p.coverage == pytest.approx(0.8)
    assert p.pillars["E"] == pytest.approx(90.0)
    assert p.pillars["S"] is None
    assert p.carbon_intensity == pytest.approx((0.5 * 100 + 0.3 * 300) / 0.8)
    assert p.carbon_coverage == pytest.approx(0.8)
    assert p.unscored_holdings == ("C",)
    assert [(e.ticker, e.reasons, e.fields) for e in p.excluded] == [
        ("C", ("sector/activity 'tobacco'",), ("preferences.excluded_sectors",))]
    assert p.floor == 50


def test_profile_without_scores():
    uni = Universe((Asset("X", "X", "eq", "equity"),))
    p = portfolio_esg_profile(pd.Series({"X": 1.0}), uni)
    assert p.score is None and p.coverage == 0.0 and p.carbon_intensity is None


def test_without_esg_strips_only_values_fields():
    prof = load_example_profile("esg_minded")
    assert has_esg_preferences(prof.preferences)
    base = without_esg(prof)
    assert not has_esg_preferences(base.preferences)
    assert base.preferences.max_weight_per_asset == prof.preferences.max_weight_per_asset
    assert base.preferences.esg_fund_alternatives
    assert base.goals == prof.goals
    assert not has_esg_preferences(Preferences(esg_preset="none"))


def test_goal_probabilities_reads_attributes_and_keys():
    plan = SimpleNamespace(goal_outcomes=(
        SimpleNamespace(name="Retirement", success_probability=0.81),
        {"name": "House", "probability": 0.6}, {"other": 1}))
    assert goal_probabilities(plan) == {"Retirement": 0.81, "House": 0.6}
    assert goal_probabilities(SimpleNamespace()) == {}


def test_cost_summary_in_plain_words():
    c = CostOfValues(
        with_esg={"expected_return": 0.06, "volatility": 0.10, "sharpe": 0.25, "esg_score": 75},
        without_esg={"expected_return": 0.07, "volatility": 0.12, "sharpe": 0.29,
                     "esg_score": 65},
        wealth=100_000, goals_with={"Retirement": 0.70}, goals_without={"Retirement": 0.74},
        goals_available=True, frontier_sharpe_cost=0.02)
    text = " ".join(c.summary())
    assert "cost 1.00 percentage points" in text and "1,000 USD a year" in text
    assert "less risk" in text and "-0.04" in text
    assert "Retirement 70% (without ESG 74%, -4 pts)" in text
    assert c.delta("esg_score") == 10
    none = CostOfValues(with_esg=c.without_esg, without_esg=c.without_esg, wealth=1.0)
    assert "cost nothing" in " ".join(none.summary())
    assert "carry none" in " ".join(none.summary())


def test_esg_example_plan_has_profile_and_cost():
    assert "esg_minded" in EXAMPLE_PROFILES
    prof = load_example_profile("esg_minded")
    plan = build_plan(prof, settings=NO_GOALS)
    rep = plan.esg
    assert isinstance(rep, EsgReport)
    assert {"ESGV", "VSGX", "VCEB"} <= set(plan.weights)  # opted-in screened funds
    excluded = {e.ticker for e in rep.profile.excluded}
    assert {"VTI", "VEA", "VWO", "BND"} <= excluded
    assert all(plan.weights[t] <= 1e-7 for t in excluded)
    assert rep.profile.score >= prof.preferences.min_esg_score - 1e-5
    assert rep.profile.coverage == pytest.approx(1.0)
    c = rep.cost
    assert c is not None
    base = build_plan(without_esg(prof), settings=NO_GOALS)
    assert c.without_esg["expected_return"] == pytest.approx(base.expected_return, abs=1e-9)
    assert c.with_esg["sharpe"] == pytest.approx(plan.sharpe, abs=1e-12)
    # matched for risk, the plan without ESG can do at least as well (the ESG plan is
    # feasible for it), and the summary says so in words
    assert c.risk_matched_return >= plan.expected_return - 1e-6
    assert any("Matched for risk" in line for line in c.summary())
    # the plan serialises (NaN-free JSON)
    d = json.loads(plan.to_json())
    assert d["esg"]["profile"]["coverage"] == pytest.approx(1.0)


def test_esg_section_only_when_the_investor_has_esg_preferences(example_profile):
    """No ESG preferences, no ESG section (family, young_saver); the retiree's tobacco
    exclusion and the ESG-minded investor's values get one, with the cost of values."""
    plan = build_plan(example_profile, settings=NO_GOALS)
    if has_esg_preferences(example_profile.preferences):
        assert isinstance(plan.esg, EsgReport)
        assert plan.esg.cost is not None
        assert "illustrative" in plan.esg.profile.score_source
        assert json.loads(json.dumps(plan.esg.to_dict()))["profile"]["floor"] == (
            plan.esg.profile.floor)
    else:
        assert plan.esg is None
        assert json.loads(plan.to_json())["esg"] is None


def test_exclusions_that_empty_the_equity_side_bring_in_screened_funds():
    """Without the opt-in, the ESG-minded investor's exclusions (fossil fuels, the preset's
    tobacco and weapons) remove every equity fund; the screened equity funds enter with a
    reason, and the plan holds equity again."""
    prof = load_example_profile("esg_minded")
    prefs = prof.preferences.model_copy(update={"esg_fund_alternatives": False,
                                                "min_esg_score": None})
    plan = build_plan(prof.model_copy(update={"preferences": prefs}), settings=NO_GOALS)
    added = {f.ticker: f for f in plan.esg.added_funds}
    assert set(added) == {"ESGV", "VSGX"} and "VCEB" not in plan.weights
    for f in added.values():
        assert f.fills == ("equity",) and "every equity fund" in f.reason
        assert f.reason in plan.warnings
    assert plan.class_weights().get("equity", 0.0) > 0.05
    assert np.isfinite(plan.esg.cost.delta("sharpe"))


@pytest.mark.slow
def test_cost_compares_goal_success_on_the_same_paths():
    """With the goals engine, both plans' probabilities come from the same simulated paths."""
    prof = load_example_profile("esg_minded")
    settings = PlanSettings(goal_paths=400)
    plan = build_plan(prof, settings=settings)
    c = plan.esg.cost
    assert c.goals_available
    assert set(c.goals_with) == {g.name for g in prof.goals} == set(c.goals_without)
    base = build_plan(without_esg(prof), settings=settings)
    # the light baseline reproduces the full pipeline's probabilities exactly (same seed/paths)
    for o in base.goal_outcomes:
        assert c.goals_without[o.name] == pytest.approx(o.probability, abs=1e-12)
    for o in plan.goal_outcomes:
        assert c.goals_with[o.name] == pytest.approx(o.probability, abs=1e-12)
