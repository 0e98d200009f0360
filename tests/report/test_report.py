"""The HTML report: self-contained (plotly inlined), every mandatory section, optional ones
only when the plan has them."""

from __future__ import annotations

import copy
import re

import pytest
from markupsafe import escape

pytest.importorskip("plotly")
pytest.importorskip("jinja2")

from tailorfolio.examples import load_example_profile
from tailorfolio.planning import build_plan
from tailorfolio.report import plotly_js, render_report, render_report_body, report_data


@pytest.fixture(scope="module")
def family():
    profile = load_example_profile("family")
    plan = build_plan(profile)
    return plan, profile, report_data(plan, profile)


def test_report_is_self_contained_and_offline(family):
    html = render_report(family[2])
    assert html.startswith("<!DOCTYPE html>")
    assert plotly_js()[:200] in html  # the bundle itself is inlined
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    outside_bundle = html.replace(plotly_js(), "")
    assert "cdn.plot.ly" not in outside_bundle and "https://" not in outside_bundle


def test_mandatory_sections_and_numbers(family):
    plan, profile, data = family
    body = render_report_body(data)
    for div in ("chart-by-class", "chart-by-account", "chart-frontier"):
        assert f'id="{div}"' in body
    for heading in ("Allocation", "Risk and return", "Why this risk level",
                    "Assumptions and sources"):
        assert f">{heading}</h2>" in body
    assert f"{plan.risk.level} / 10" in body
    for line in plan.allocation:
        assert f"<td>{line.ticker}</td>" in body
    for account in profile.accounts:
        assert f"<td>{escape(account.name)}</td>" in body
    for source in plan.provenance.assumption_sources.values():
        assert source.replace("'", "&#39;")[:40] in body
    assert plan.rationale[0][:60].replace("'", "&#39;") in body
    # each optional section shows exactly when the plan carries its data
    assert (">Goals</h2>" in body) == bool(plan.goal_outcomes)
    assert (">Trades and taxes</h2>" in body) == bool(plan.account_plans)
    assert ("ESG profile and cost of values" in body) == (plan.esg is not None)


def test_frontier_data_marks_the_investor_on_the_curve(family):
    plan, _, data = family
    fr = data["frontier"]
    vols, rets = fr["volatility"], fr["expected_return"]
    assert len(vols) == 30 and vols == sorted(vols)
    # the plan lies on or below the frontier at its volatility (it is feasible for it)
    import numpy as np

    frontier_ret = float(np.interp(plan.volatility, vols, rets))
    assert plan.expected_return <= frontier_ret + 1e-4
    assert plan.volatility <= plan.max_volatility + 1e-6
    holdings = data["holdings"]
    assert sum(h["value"] for h in holdings) == pytest.approx(plan.investable_wealth, rel=1e-9)


def test_optional_sections_render_when_present(family):
    data = copy.deepcopy(family[2])
    plan = data["plan"]
    # the shapes the goals, tax and ESG stages produce (Plan.to_dict of their dataclasses)
    plan["goal_outcomes"] = [
        {"name": "Retirement", "kind": "income", "priority": "essential", "due_year": 2047.0,
         "amount": 95000.0, "probability": 0.82, "standard_error": 0.004,
         "median_outcome_real": 2.1e6, "expected_shortfall_real": 3.0e5,
         "mean_funded_ratio": 1.4, "n_paths": 10000,
         "levers": {"target_probability": 0.9, "extra_monthly_saving": 450.0,
                    "delay_years": 2, "affordable_amount": 81000.0, "probabilities": {}}},
        {"goal": "College", "success_probability": 0.64}]
    plan["extras"] = {"goals": {"fan_chart_real": {
        "0": {"p5": 1.0, "p50": 1.0, "p95": 1.0}, "1": {"p5": 0.9, "p50": 1.1, "p95": 1.3},
        "2": {"p5": 0.85, "p50": 1.2, "p95": 1.7}}},
        "tax": {"estimated_tax": 5173.9, "realized_long_term": 25137.7,
                "location_annual_benefit": 0.0015,
                "harvests": [{"account": "Joint brokerage", "asset": "BND", "loss": 2400.0,
                              "net_benefit": 481.8, "reason": "sell, buy AGG",
                              "conflicts": ["401(k) buys BND"]}]}}
    plan["account_plans"] = [{"account": "Joint brokerage", "account_type": "taxable",
                              "estimated_tax": 1234.5, "target": {"VTI": 100000, "BND": 50000},
                              "sales": [{"lot_id": "x", "asset": "VTI", "quantity": 10,
                                         "price": 325.0, "cost_basis": 1800.0,
                                         "long_term": True, "tax": 320.0}],
                              "purchases": [{"asset": "BND", "quantity": 20, "price": 74.0}],
                              "skipped": [{"asset": "VB", "amount": 7838.8,
                                           "reason": "not enough cash", "tax_cost": 0.0}]}]
    plan["esg"] = {"profile": {"score": 61.5, "pillars": {"E": 58.0, "S": 63.0, "G": None},
                               "coverage": 0.93, "carbon_intensity": 95.2,
                               "excluded": [{"ticker": "PDBC", "reasons": ["fossil fuels"],
                                             "fields": ["preferences.excluded_sectors"]}],
                               "notes": ["scores are illustrative"]},
                   "cost": {"with_esg": {"expected_return": 0.071, "volatility": 0.1,
                                         "sharpe": 0.36, "esg_score": 61.5},
                            "without_esg": {"expected_return": 0.073, "volatility": 0.1,
                                            "sharpe": 0.38, "esg_score": 52.0}},
                   "warnings": []}
    body = render_report_body(data)
    for div in ("chart-fan", "chart-goals", "chart-esg"):
        assert f'id="{div}"' in body
    assert "82.0 % ± 0.8 %" in body and "64.0 %" in body
    assert "to reach 90%: save 450 USD more a month; or delay the goal by 2 year(s)" in body
    assert "due: 2047;" in body
    assert "Holdings by account: today and the target" in body
    assert "<th scope=\"row\">Joint brokerage: estimated tax</th>" in body
    assert "Tax-loss harvests available (1)" in body and "401(k) buys BND" in body
    assert ">sell</td><td>VTI</td>" in body and ">buy</td><td>BND</td>" in body
    assert "not enough cash" in body
    assert "Cost of values" in body and "7.30 %" in body and "7.10 %" in body
    assert "fossil fuels" in body and "scores are illustrative" in body
    from tailorfolio.report._sections import fan_series

    years, bands = fan_series(plan)
    assert years == [2025, 2026, 2027] and sorted(bands) == [5.0, 50.0, 95.0]


def test_cli_writes_the_report(tmp_path):
    from typer.testing import CliRunner

    from tailorfolio.cli.app import app
    from tailorfolio.examples import EXAMPLE_PROFILES

    src = EXAMPLE_PROFILES["retiree"] if isinstance(EXAMPLE_PROFILES, dict) else None
    profile_path = tmp_path / "me.yaml"
    from importlib import resources

    profile_path.write_text(resources.files("tailorfolio.examples").joinpath(
        "retiree.yaml").read_text())
    out = tmp_path / "plan.html"
    result = CliRunner().invoke(app, ["plan", str(profile_path), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "Report written to" in result.output
    html = out.read_text()
    assert "Plan for" in html and 'id="chart-frontier"' in html and len(html) > 1_000_000
    del src


def test_real_goal_tax_and_esg_sections_render():
    """The bundled ESG-minded investor through the real tax, goals and ESG stages."""
    from tailorfolio.examples import EXAMPLE_PROFILES

    assert "esg_minded" in EXAMPLE_PROFILES
    from tailorfolio.planning import PlanSettings

    profile = load_example_profile("esg_minded")
    settings = PlanSettings(goal_paths=500)
    plan = build_plan(profile, settings=settings)
    body = render_report_body(report_data(plan, profile, settings=settings))
    assert plan.esg is not None and plan.goal_outcomes
    for div in ("chart-esg", "chart-fan", "chart-goals"):
        assert f'id="{div}"' in body
    assert ">ESG profile and cost of values</h2>" in body and ">Goals</h2>" in body
    if plan.esg.cost is not None:
        assert "Cost of values: the plan with and without the ESG preferences" in body
    assert (">Trades and taxes</h2>" in body) == bool(plan.account_plans)
