from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tailorfolio.cli.app import app
from tailorfolio.examples import example_profile_text

runner = CliRunner()


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    p = tmp_path / "me.yaml"
    p.write_text(example_profile_text("family"))
    return p


def test_profile_template_round_trip(tmp_path: Path) -> None:
    res = runner.invoke(app, ["profile-template"])
    assert res.exit_code == 0
    me = tmp_path / "me.yaml"
    me.write_text(res.stdout)
    js = tmp_path / "plan.json"
    out = runner.invoke(app, ["plan", str(me), "--json", str(js)])
    assert out.exit_code == 0, out.stdout
    # The template's Social Security benefit is listed with the goal it pays, and the
    # retirement sleeve says what it pays.
    assert "Income streams the plan counts on" in out.stdout
    streams = json.loads(js.read_text())["income_streams"]["streams"]
    assert [(s["kind"], s["pays_goals"]) for s in streams] == [("social_security",
                                                                ["Retirement"])]
    assert f"{streams[0]['counted_present_value']:,.0f}" in out.stdout
    assert "Retirement: income streams pay" in " ".join(out.stdout.split())


def test_plan_prints_everything_and_writes_json(profile_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    res = runner.invoke(app, ["plan", str(profile_file), "--json", str(out)])
    assert res.exit_code == 0, res.stdout
    for text in ("Risk level", "Goal sleeves", "Household target today", "Sharpe",
                 "Why this plan", "volatility", "Accounts, trades and taxes",
                 "How the probabilities were computed"):
        assert text in res.stdout, text
    assert "Income streams the plan counts on" not in res.stdout  # the Garcias list none
    data = json.loads(out.read_text())
    assert data["investor"].startswith("The Garcias")
    assert {s["name"] for s in data["sleeves"]} >= {g["name"] for g in
                                                     data["goals"]["outcomes"]}


def test_frontier_command(profile_file: Path) -> None:
    res = runner.invoke(app, ["frontier", str(profile_file), "--points", "12"])
    assert res.exit_code == 0, res.stdout
    assert "Efficient frontier" in res.stdout and "★" in res.stdout


def test_demo_shows_the_examples() -> None:
    res = runner.invoke(app, ["demo"])
    assert res.exit_code == 0, res.stdout
    assert "Alex" in res.stdout and "Garcias" in res.stdout and "Pat" in res.stdout


def test_missing_file_is_a_profile_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["plan", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 3
    assert "file not found" in res.output and "Traceback" not in res.output


def test_invalid_profile_exit_code_and_message(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(example_profile_text("family").replace("age: 41", "age: 7"))
    res = runner.invoke(app, ["plan", str(p)])
    assert res.exit_code == 3
    assert "age" in res.output and "greater than or equal to 18" in res.output


def test_infeasible_exit_code(tmp_path: Path) -> None:
    p = tmp_path / "inf.yaml"
    p.write_text(example_profile_text("family").replace(
        "bond: {min: 0.2, max: 0.7}", "bond: {min: 0.9, max: 1.0}\n    equity: {min: 0.5}"))
    res = runner.invoke(app, ["plan", str(p)])
    assert res.exit_code == 5, res.output
    assert "cannot all hold" in res.output and "Traceback" not in res.output


def test_market_file_option(profile_file: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    tickers = ["VTI", "VEA", "VWO", "BND", "VNQ", "VB", "SGOV"]
    idx = pd.date_range("2015-01-31", periods=96, freq="ME")
    r = rng.normal(0.004, 0.03, size=(96, len(tickers)))
    prices = pd.DataFrame(50 * np.cumprod(1 + r, axis=0), index=idx, columns=tickers)
    f = tmp_path / "prices.csv"
    prices.rename_axis("date").to_csv(f)
    res = runner.invoke(app, ["plan", str(profile_file), "--market", str(f)])
    assert res.exit_code == 0, res.output
    assert "estimated from prices.csv" in res.stdout


def test_bad_price_file_names_asset(profile_file: Path, tmp_path: Path) -> None:
    f = tmp_path / "prices.csv"
    idx = pd.date_range("2015-01-31", periods=40, freq="ME")
    df = pd.DataFrame({"VTI": np.linspace(100, 140, 40), "BND": np.linspace(70, 75, 40)}, index=idx)
    df.iloc[10, 1] = -3
    df.rename_axis("date").to_csv(f)
    res = runner.invoke(app, ["plan", str(profile_file), "--market", str(f)])
    assert res.exit_code == 4
    assert "BND" in res.output and "2015-11-30" in res.output
