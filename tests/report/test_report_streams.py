"""The report lists the income streams the plan counted on, in plain words, and says what
they pay toward each income goal; plans without streams (or stored before the plan listed
them) show no such table."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("plotly")  # the report extra (part of dev) is not installed
pytest.importorskip("jinja2")  # the report extra (part of dev) is not installed

from tailorfolio.allocation._sleeves import income_present_value
from tailorfolio.examples import load_example_profile
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.report import render_report_body, report_data
from tailorfolio.report._sections import stream_rows
from tests.report.test_labels import visible_text

FAST = PlanSettings(goal_paths=300, choice_paths=0, frontier_points=10)
"""Few simulated paths: these tests read words and the funding, not probabilities."""
STREAMS = [{"kind": "social_security", "annual_amount": 26_000, "start_age": 70},
           {"kind": "pension", "name": "Teachers' pension", "annual_amount": 9_000,
            "start_age": 65, "inflation_adjusted": False, "cola": 0.01}]


@pytest.fixture(scope="module")
def retiree():
    base = load_example_profile("retiree")
    prof = type(base).model_validate({**base.model_dump(), "income_streams": STREAMS})
    plan = build_plan(prof, settings=FAST)
    return plan, visible_text(render_report_body(report_data(plan)))


def test_the_report_lists_each_stream_and_what_it_pays(retiree) -> None:
    plan, text = retiree
    rows = stream_rows(plan.to_dict())
    assert [r["name"] for r in rows] == ["Social Security", "Teachers' pension"]
    assert rows[0]["owner"] == "You" and rows[0]["ages"] == "from 70 for life"
    assert rows[0]["rises"] == "keeps up with prices"
    assert rows[1]["rises"].startswith("fixed amount, +1.0% a year")
    assert "Income streams the plan counts on" in text
    assert "Teachers' pension" in text and "Social Security" in text
    assert "social_security" not in text and "part_time_work" not in text
    ss = plan.income_streams.streams[0]
    assert f"{ss.annual_amount:,.0f}" in text and f"{ss.counted_present_value:,.0f}" in text
    # The sleeves table says what the streams pay toward the income goal.
    ret = next(s for s in plan.sleeves if s.name == "Retirement income")
    assert ret.stream_present_value == pytest.approx(
        plan.income_streams.counted_present_value, rel=1e-12)
    assert f"Your income streams pay {ret.stream_present_value:,.0f}" in text


def test_no_streams_no_table() -> None:
    plan = build_plan(load_example_profile("retiree"), settings=FAST)
    data = plan.to_dict()
    assert data["income_streams"] is None and stream_rows(data) == []
    del data["income_streams"]  # a plan stored before the plan listed its streams
    assert stream_rows(data) == []
    text = visible_text(render_report_body(report_data(data)))
    assert "Income streams the plan counts on" not in text
    assert "Your income streams pay" not in text


def test_the_planned_withdrawal_rate_is_the_portfolios_part(retiree) -> None:
    # The streams pay part of the retiree's spending: the planned rate counts only the
    # portfolio's part (as a level amount of the same present value), so a sleeve funded for
    # exactly that part draws 1 / (the 2 % real annuity factor) a year, not the whole
    # spending over the smaller sleeve.
    plan, _ = retiree
    goal = next(g for g in load_example_profile("retiree").goals if g.kind.value == "income")
    sleeve = next(s for s in plan.sleeves if s.name == goal.name)
    assert sleeve.amount == pytest.approx(sleeve.need_present_value, rel=1e-9)  # fully funded
    as_of = load_example_profile("retiree").as_of
    factor = income_present_value(goal, as_of, np.ones(goal.duration_years))
    assert plan.goals.withdrawal.planned_rate_today == pytest.approx(1 / factor, rel=1e-9)
    assert "income streams do not pay" in plan.goals.withdrawal.note


def test_the_policy_summary_lists_the_streams_too(retiree) -> None:
    from tailorfolio.report._ips import ips_data, render_ips_body

    plan, _ = retiree
    ips = ips_data(report_data(plan))
    assert [r["name"] for r in ips["income_streams"]] == ["Social Security",
                                                          "Teachers' pension"]
    text = visible_text(render_ips_body(ips))
    assert "Income you will receive" in text and "Teachers' pension" in text
    plain = ips_data(report_data(build_plan(load_example_profile("retiree"), settings=FAST)))
    assert plain["income_streams"] == []
    assert "Income you will receive" not in visible_text(render_ips_body(plain))
