"""The HTML report: self-contained (plotly inlined), every mandatory section, optional ones
only when the plan has them."""

from __future__ import annotations

import copy
import re

import pytest
from markupsafe import escape

pytest.importorskip("plotly")
pytest.importorskip("jinja2")

from tailorfolio.examples import load_example_profile  # noqa: E402
from tailorfolio.planning import build_plan  # noqa: E402
from tailorfolio.report import plotly_js, render_report, render_report_body, report_data  # noqa: E402


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
    # no optional section without data
    assert ">Goals</h2>" not in body and ">Trades and taxes</h2>" not in body
    assert "ESG profile" not in body


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
    plan["goal_outcomes"] = [{"goal": "Retirement", "probability": 0.82, "median_shortfall": 0},
                             {"name": "College", "success_probability": 0.64}]
    plan["extras"] = {"fan": {"years": [2025, 2026, 2027], "percentiles": {
        "5": [1, 1.1, 1.2], "50": [1, 1.3, 1.6], "95": [1, 1.5, 2.0]}}}
    plan["account_plans"] = [{"account": "Joint brokerage", "estimated_tax": 1234.5,
                              "realized_gains": 8000.0,
                              "target_amounts": {"VTI": 100000, "BND": 50000},
                              "trades": [{"asset": "VTI", "side": "sell", "quantity": 10,
                                          "tax": 320.0}]}]
    plan["esg"] = {"score": 61.5, "e": 58.0, "s": 63.0, "g": 64.0, "carbon_intensity": 95.2,
                   "cost_of_values_bps": 7.5}
    body = render_report_body(data)
    for div in ("chart-fan", "chart-goals", "chart-esg"):
        assert f'id="{div}"' in body
    assert "82.0 %" in body and "64.0 %" in body
    assert "Target holdings by account" in body
    assert "<th scope=\"row\">Joint brokerage: estimated tax</th>" in body
    assert "cost of values bps" in body
    assert ">sell</td>" in body


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
