"""The HTML report: self-contained (plotly inlined), read from the plan's typed sections alone,
every mandatory section, optional ones only when the plan has them."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest
from markupsafe import escape

pytest.importorskip("plotly")
pytest.importorskip("jinja2")

from tailorfolio.errors import DataError
from tailorfolio.examples import load_example_profile
from tailorfolio.planning import PlanSettings, build_plan, plan_json_schema
from tailorfolio.report import plotly_js, render_report, render_report_body, report_data
from tailorfolio.report._data import frontier_inputs
from tailorfolio.report._labels import plain
from tailorfolio.report._sections import fan_series, humanize

SOLVER_RTOL = 1e-6  # tests/tolerances.py's solver accuracy


def _esc(text: str) -> str:
    return str(escape(text))


def _validate(plan_dict: dict) -> None:
    """Full JSON-schema validation (jsonschema is a test-only dependency; report_data itself
    checks the required sections only)."""
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(plan_dict, plan_json_schema())


@pytest.fixture(scope="module")
def family():
    plan = build_plan(load_example_profile("family"))
    return plan, report_data(plan)


@pytest.fixture(scope="module")
def family_body(family):
    return render_report_body(family[1])


def test_plan_dict_matches_the_schema(family):
    plan, data = family
    _validate(plan.to_dict())
    _validate(data["plan"])
    json.dumps(data)  # the report data is plain JSON (the service stores it)


def test_report_is_self_contained_and_offline(family):
    html = render_report(family[1])
    assert html.startswith("<!DOCTYPE html>")
    assert plotly_js()[:200] in html  # the bundle itself is inlined
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    outside_bundle = html.replace(plotly_js(), "")
    assert "cdn.plot.ly" not in outside_bundle and "https://" not in outside_bundle


def test_mandatory_sections_and_numbers(family, family_body):
    plan, _ = family
    body = family_body
    for div in ("chart-by-class", "chart-by-account", "chart-frontier"):
        assert f'id="{div}"' in body
    for heading in ("Allocation", "Goal sleeves", "Risk and return", "Why this risk level",
                    "Assumptions and sources"):
        assert f">{heading}</h2>" in body
    assert f"{plan.risk.level} / 10" in body
    for line in plan.allocation:  # client-readable names and classes, not identifiers
        assert f"<td>{_esc(line.name)}</td><td>{line.ticker}</td>" \
               f"<td>{_esc(humanize(line.asset_class))}</td>" in body
        if "_" in line.asset_class:
            assert f"<td>{line.asset_class}</td>" not in body
    for ap in plan.account_plans:
        assert f"<td>{_esc(ap.account)}</td>" in body
    for key, source in plan.provenance.assumption_sources.items():
        if key != "esg":  # the ESG source is shown only to clients with ESG preferences
            assert _esc(plain(source))[:40] in body
    assert _esc(plan.rationale[0][:60]) in body
    # each optional section shows exactly when the plan carries its data
    assert (">Goals</h2>" in body) == (plan.goals is not None)
    assert (">Trades and taxes</h2>" in body) == (plan.accounts is not None)
    assert ("ESG profile and cost of values" in body) == (plan.esg is not None)


def test_goals_one_probability_each_model_once_alternatives_apart(family, family_body):
    plan, _ = family
    body = family_body
    assert plan.goals is not None and plan.goals.alternatives
    assert body.count(_esc(plain(plan.goals.model))) == 1
    table = body.split("<caption>Goal outcomes under this plan</caption>")[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + len(plan.goals.outcomes)  # header + one row per goal
    for o in plan.goals.outcomes:
        assert f"<td>{_esc(o.name)}</td><td class=\"num\">{100 * o.probability:.1f} %" in table
    alt = body.split("<caption>Alternatives (not what the plan does)</caption>")[1]
    alt = alt.split("</table>")[0]
    for a in plan.goals.alternatives:
        assert _esc(a.name) in alt and _esc(a.description) in alt
        assert _esc(a.name) not in table
    assert 'id="chart-fan"' in body and 'id="chart-goals"' in body
    years, bands = fan_series(plan.to_dict())
    assert years[0] == int(plan.provenance.as_of[:4])
    assert len(years) == len(plan.goals.fan_chart_real) and 50.0 in bands


def test_goal_sleeves_table_and_glide_chart(family, family_body):
    plan, _ = family
    body = family_body
    table = body.split("<caption>Your money by goal</caption>")[1].split("</table>")[0]
    for s in plan.sleeves:
        assert f"<td>{_esc(s.name)}" in table
        assert f"{s.amount:,.0f}" in table
    assert 'id="chart-sleeves"' in body
    with_path = [s for s in plan.sleeves if s.amount > 0 and len(s.glide) > 1]
    assert with_path and all(f"year {int(s.glide[-1][0])}: {s.glide[-1][1]:.0%}" in table
                             for s in with_path)


def test_risk_ladder_highlights_the_investors_level(family, family_body):
    plan, _ = family
    table = family_body.split("<table class=\"ladder\">")[1].split("</table>")[0]
    assert table.count("<tr") == 1 + len(plan.ladder) == 11
    assert table.count('class="current"') == 1
    current = table.split('class="current"')[1].split("</tr>")[0]
    assert f"{plan.risk.level} (your level)" in current


def test_trades_taxes_and_trades_not_made(family, family_body):
    plan, _ = family
    body = family_body
    assert plan.accounts is not None
    skipped = [s for ap in plan.account_plans for s in ap.skipped]
    if skipped:
        part = body.split("<caption>Trades deliberately not made</caption>")[1]
        part = part.split("</table>")[0]
        for s in skipped:
            assert _esc(s.reason) in part
    for ap in plan.account_plans:
        for sale in ap.sales:
            assert f"<td>{_esc(ap.account)}</td><td>sell</td>" in body
            assert f"({sale.asset})</td>" in body
    assert f"{plan.accounts.tax.estimated_tax:,.0f}" in body
    for h in plan.accounts.tax.harvests:
        assert _esc(h.reason) in body


def test_frontier_from_the_plan_alone(family):
    plan, data = family
    fr = data["frontier"]
    vols, rets = fr["volatility"], fr["expected_return"]
    assert len(vols) == 30 and vols == sorted(vols)
    # the plan lies on or below the frontier at its volatility (it is feasible for it)
    frontier_ret = float(np.interp(plan.volatility, vols, rets))
    assert plan.expected_return <= frontier_ret + 1e-4
    # the frontier rebuilt from the stored JSON is the one drawn from the live objects
    stored = json.loads(plan.to_json())
    mu, cov, cons, rf = frontier_inputs(stored)
    a = plan.resolved_market.assumptions
    np.testing.assert_allclose(cov.to_numpy(), a.covariance.loc[cons.tickers,
                                                                cons.tickers].to_numpy(),
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mu.to_numpy(), a.expected_return[cons.tickers].to_numpy(),
                               rtol=1e-10)
    again = report_data(stored)
    np.testing.assert_allclose(again["frontier"]["expected_return"], rets, rtol=SOLVER_RTOL,
                               atol=1e-7)
    np.testing.assert_allclose(again["frontier"]["volatility"], vols, rtol=SOLVER_RTOL,
                               atol=1e-7)
    assert render_report_body(again)  # the service renders stored plans


def test_holdings_by_account_come_from_the_accounts_section(family):
    plan, data = family
    holdings = data["holdings"]
    assert [h["account"] for h in holdings] == [ap.account for ap in plan.account_plans]
    assert sum(h["value"] for h in holdings) == pytest.approx(plan.investable_wealth, rel=1e-9)
    for h, ap in zip(holdings, plan.account_plans, strict=True):
        today = sum(h["today"].values()) + h["cash_today"]
        assert today == pytest.approx(ap.value, rel=1e-6)
        assert sum(h["target"].values()) == pytest.approx(sum(ap.target.values()))


def test_report_data_rejects_a_plan_without_typed_sections(family):
    old = {k: v for k, v in family[1]["plan"].items() if k != "household"}
    with pytest.raises(DataError, match="'household'"):
        report_data(old)
    with pytest.raises(DataError, match="Plan or the dict"):
        report_data([1, 2])  # type: ignore[arg-type]  # the wrong type is the point of the test


def test_optional_sections_are_left_out_when_absent(family):
    data = copy.deepcopy(family[1])
    data["plan"]["goals"] = None
    data["plan"]["accounts"] = None
    data["plan"]["esg"] = None
    data["holdings"] = []
    body = render_report_body(data)
    assert ">Goals</h2>" not in body and ">Trades and taxes</h2>" not in body
    assert "ESG profile" not in body and 'id="chart-by-account"' not in body
    assert ">Goal sleeves</h2>" in body and ">Risk and return</h2>" in body


def test_cli_writes_the_report(tmp_path):
    from importlib import resources

    from typer.testing import CliRunner

    from tailorfolio.cli.app import app

    profile_path = tmp_path / "me.yaml"
    profile_path.write_text(resources.files("tailorfolio.examples").joinpath(
        "retiree.yaml").read_text())
    out = tmp_path / "plan.html"
    result = CliRunner().invoke(app, ["plan", str(profile_path), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "Report written to" in result.output
    html = out.read_text()
    assert "Plan for" in html and 'id="chart-frontier"' in html and len(html) > 1_000_000
    assert ">Goal sleeves</h2>" in html


def test_real_goal_tax_and_esg_sections_render():
    """The bundled ESG-minded investor through the real tax, goals and ESG stages."""
    plan = build_plan(load_example_profile("esg_minded"), settings=PlanSettings(goal_paths=500))
    data = report_data(plan)
    _validate(data["plan"])
    body = render_report_body(data)
    assert plan.esg is not None and plan.goal_outcomes
    for div in ("chart-esg", "chart-fan", "chart-goals", "chart-sleeves"):
        assert f'id="{div}"' in body
    assert ">ESG profile and cost of values</h2>" in body and ">Goals</h2>" in body
    if plan.esg.cost is not None:
        assert "Cost of values: the plan with and without the ESG preferences" in body
    for fund in plan.esg.added_funds:
        assert _esc(fund.name) in body
    for e in plan.esg.profile.excluded:
        assert _esc(f"({e.ticker})") in body
    assert (">Trades and taxes</h2>" in body) == bool(plan.account_plans)
