"""One meaning of the income streams in every section of a plan: the sleeve funding nets the
income goal's need of the same income the goals' simulation credits, the streams section
lists what was counted, and a profile without streams plans exactly as before."""

from __future__ import annotations

import json

import pytest

from tailorfolio.allocation._sleeves import need_present_value
from tailorfolio.goals._outcomes import TARGET_PROBABILITY
from tailorfolio.planning import PlanSettings, build_plan, plan_json_schema
from tailorfolio.profile import parse_profile
from tests.tolerances import CLOSED_FORM_RTOL, MONEY_ATOL

ANSWERS = {"drop_reaction": "hold", "max_annual_loss": "10_to_20", "portfolio_choice": "c",
           "objective": "balanced", "experience": "funds", "self_assessment": "cautious",
           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"}
SETTINGS = PlanSettings(goal_paths=1_000, choice_paths=300)
PENSION = {"kind": "pension", "name": "Company pension", "annual_amount": 30_000,
           "start_age": 65}
SOCIAL_SECURITY = {"kind": "social_security", "annual_amount": 24_000, "start_age": 67}


def _profile(streams=()):
    """Age 60 on 2025-01-01, retiring in 5 years on 60,000 a year for 25 years, a boat in 8
    years; 700,000 in one taxable account: without streams retirement alone needs more than
    everything."""
    return parse_profile({
        "name": "Streams", "age": 60, "annual_income": 120_000, "annual_expenses": 60_000,
        "as_of": "2025-01-01", "risk_questionnaire": ANSWERS, "retirement_age": 65,
        "goals": [{"name": "Retirement", "kind": "income", "amount": 60_000, "years": 5,
                   "duration_years": 25, "priority": "essential"},
                  {"name": "Boat", "amount": 80_000, "years": 8, "priority": "aspirational"}],
        "accounts": [{"name": "Brokerage", "type": "taxable", "cash": 700_000}],
        "income_streams": list(streams)})


@pytest.fixture(scope="module")
def plans():
    return (build_plan(_profile(), settings=SETTINGS),
            build_plan(_profile([PENSION, SOCIAL_SECURITY]), settings=SETTINGS))


def test_streams_fund_less_for_the_goal_they_pay_and_the_simulation_agrees(plans) -> None:
    base, with_streams = plans
    s0 = {s.name: s for s in base.sleeves}
    s1 = {s.name: s for s in with_streams.sleeves}
    # Without streams retirement is under-funded and takes everything; the streams pay most
    # of its spending, so it needs (and gets) far less, and the boat is funded.
    assert s0["Retirement"].amount < s0["Retirement"].need_present_value
    assert s0["Boat"].amount == 0.0
    assert s1["Retirement"].amount < 0.5 * s0["Retirement"].amount
    assert s1["Retirement"].amount == pytest.approx(s1["Retirement"].need_present_value,
                                                    rel=1e-9)
    assert s1["Boat"].amount > s0["Boat"].amount
    # The two sections count the same income: the need the funding used is the one without
    # streams less the present value the streams section lists.
    counted = with_streams.income_streams.counted_present_value
    assert s1["Retirement"].stream_present_value == pytest.approx(counted, rel=1e-12)
    assert s1["Retirement"].need_present_value == pytest.approx(
        s0["Retirement"].need_present_value - counted, rel=1e-9)
    # ... and the goals' simulation, crediting that income, finds the smaller sleeve enough
    # (the funding calls it fully funded; without streams it was short, and so was the goal).
    p0 = {o.name: o.probability for o in base.goal_outcomes}
    p1 = {o.name: o.probability for o in with_streams.goal_outcomes}
    assert p1["Retirement"] >= TARGET_PROBABILITY["essential"]
    assert p1["Retirement"] > p0["Retirement"]
    assert p0["Retirement"] < TARGET_PROBABILITY["essential"]
    total = sum(s.amount for s in with_streams.sleeves)
    assert total == pytest.approx(with_streams.investable_wealth, abs=MONEY_ATOL)


def test_the_streams_section_lists_what_was_counted(plans) -> None:
    _, plan = plans
    sec = plan.income_streams
    assert sec is not None and len(sec.streams) == 2
    pension, ss = sec.streams
    assert (pension.name, pension.kind, pension.owner) == ("Company pension", "pension",
                                                           "primary")
    assert (pension.start_age, pension.end_age, pension.inflation_adjusted) == (65, None, True)
    assert pension.annual_amount == 30_000
    # Born 1965: full retirement age 67, claimed at 67 → the full benefit.
    assert (ss.name, ss.start_age) == ("Social Security", 67)  # the default name
    assert ss.annual_amount == pytest.approx(24_000, rel=CLOSED_FORM_RTOL)
    assert pension.pays_goals == ss.pays_goals == ("Retirement",)
    assert pension.counted_present_value > ss.counted_present_value > 0
    data = json.loads(plan.to_json())
    assert data["income_streams"]["streams"][1]["pays_goals"] == ["Retirement"]
    words = next(p for p in plan.rationale if p.startswith("Income you will receive"))
    assert "Company pension (USD 30,000 a year from age 65) pays toward 'Retirement'" in words
    assert f"USD {sec.counted_present_value:,.0f} today" in words
    assert set(plan_json_schema()["properties"]) >= {"income_streams"}


def test_without_streams_the_plan_has_no_streams_section(plans) -> None:
    base, _ = plans
    assert base.income_streams is None
    assert all(s.stream_present_value is None for s in base.sleeves)
    prof = _profile()
    ret = next(s for s in base.sleeves if s.name == "Retirement")
    assert ret.need_present_value == pytest.approx(
        need_present_value(prof.goals[0], prof.as_of), rel=CLOSED_FORM_RTOL)
    assert json.loads(base.to_json())["income_streams"] is None
    assert not any(p.startswith("Income you will receive") for p in base.rationale)
