"""`tailorfolio esg` on the default universe and on a stock-level universe; plan and demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tailorfolio.cli.app import app
from tailorfolio.examples import example_profile_text
from tests.conftest import shared_data

runner = CliRunner()
SUSTAINALYTICS = str(shared_data("sp500_esg_risk_ratings_sustainalytics_2023.csv"))


@pytest.fixture(scope="module")
def esg_yaml(tmp_path_factory):
    p = tmp_path_factory.mktemp("esg") / "me.yaml"
    p.write_text(example_profile_text("esg_minded"), encoding="utf-8")
    return p


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_esg_command_on_default_universe(esg_yaml, tmp_path):
    out = _ok(runner.invoke(app, ["esg", str(esg_yaml), "--points", "6", "--presets",
                                  "--goal-paths", "300",
                                  "--csv", str(tmp_path / "f.csv")], env={"COLUMNS": "200"}))
    assert "ESG presets compared" in out and "best_in_class" in out and "strong" in out
    assert "P(goal: Retirement)" in out and "Chance of reaching each goal" in out
    assert "ESG-efficient frontier" in out
    assert "The cost of your values" in out
    assert "illustrative" in out
    assert "With your exclusions the best Sharpe ratio is" in out
    f = pd.read_csv(tmp_path / "f.csv")
    assert len(f) == 6 and f["sharpe"].is_monotonic_decreasing


def test_esg_command_stock_level_with_user_files(esg_yaml, tmp_path):
    """Stock-level universe from the user's own files (prices, sectors, vendor risk scores)."""
    from skfolio.datasets import load_sp500_dataset

    from tailorfolio.esg import sp500_sample_universe

    prices = load_sp500_dataset().iloc[-756:]
    prices.index.name = "date"
    prices.to_csv(tmp_path / "prices.csv")
    sp500_sample_universe().to_frame().reset_index().to_csv(tmp_path / "uni.csv", index=False)
    # a vendor-style risk-rating file (higher = worse), in Sustainalytics' column names
    rng = np.random.default_rng(7)
    pd.DataFrame({"Symbol": prices.columns,
                  "Total ESG Risk score": rng.uniform(10, 40, prices.shape[1]).round(1)}
                 ).to_csv(tmp_path / "scores.csv", index=False)
    out = _ok(runner.invoke(app, [
        "esg", str(esg_yaml), "--market", str(tmp_path / "prices.csv"),
        "--universe", str(tmp_path / "uni.csv"), "--esg-scores", str(tmp_path / "scores.csv"),
        "--esg-scale-max", "50", "--esg-direction", "higher_is_worse", "--sleeve",
        "--points", "5"], env={"COLUMNS": "200"}))
    assert "fossil_fuels" in out and "XOM" in out
    assert "esg_fund_alternatives only extends" in out
    assert "higher is worse" in out
    assert "The cost of your values" in out


def test_esg_command_sample_without_sleeve_explains_the_volatility_conflict(esg_yaml):
    r = runner.invoke(app, ["esg", str(esg_yaml), "--sample", "sp500"], env={"COLUMNS": "200"})
    assert r.exit_code == 5
    assert "--sleeve" in r.output


def test_esg_command_rejects_bad_direction(esg_yaml):
    r = runner.invoke(app, ["esg", str(esg_yaml), "--esg-direction", "up"])
    assert r.exit_code == 2
    assert "higher_is_worse" in r.output


@pytest.mark.slow
def test_plan_shows_esg_profile_and_demo_lists_the_esg_investor(esg_yaml):
    out = _ok(runner.invoke(app, ["plan", str(esg_yaml)], env={"COLUMNS": "200"}))
    assert "ESG profile" in out and "Excluded holdings and why" in out
    demo = _ok(runner.invoke(app, ["demo"], env={"COLUMNS": "250"}))
    assert "4 investors, 4 plans" in demo
    assert "Sam" in demo


# Vendor scores are test-only data in ../shared/data (never shipped); CI has shared/ beside the
# clone, so this runs there. Without it there is no stock-level vendor data to test against.
@pytest.mark.skipif(not Path(SUSTAINALYTICS).exists(), reason="workplace test data not present")
def test_real_vendor_risk_ratings_load_with_their_scale(tmp_path):
    """Sustainalytics ESG Risk Ratings (test-only data, never shipped): 0-50+, higher = worse."""
    from tailorfolio.esg import (
        EsgScale,
        ScoreDirection,
        apply_esg_scores,
        esg_scores_from_frame,
        sp500_sample_universe,
    )

    raw = pd.read_csv(SUSTAINALYTICS)
    table = esg_scores_from_frame(raw, EsgScale(0, 50, ScoreDirection.HIGHER_IS_WORSE,
                                                "Sustainalytics 2023"))
    uni = apply_esg_scores(sp500_sample_universe(), table)
    cvx = float(raw.loc[raw["Symbol"] == "CVX", "Total ESG Risk score"].iloc[0])
    assert uni["CVX"].esg_score == pytest.approx(100 - 2 * cvx)
    # XOM and RRC are not in the 2023 file and AMD's row has no score: they stay unscored
    # (the missing-score policy decides what that means)
    assert {a.ticker for a in uni if a.esg_score is None} == {"AMD", "XOM", "RRC"}


def test_esg_command_without_esg_preferences_says_so(tmp_path):
    p = tmp_path / "young.yaml"
    p.write_text(example_profile_text("young_saver"), encoding="utf-8")
    out = _ok(runner.invoke(app, ["esg", str(p), "--points", "4", "--goal-paths", "0"],
                            env={"COLUMNS": "200"}))
    assert "ESG-efficient frontier" in out
    assert "sets no ESG preferences" in out


def test_esg_command_rejects_sample_with_universe(esg_yaml, tmp_path):
    r = runner.invoke(app, ["esg", str(esg_yaml), "--sample", "sp500", "--universe",
                            str(tmp_path / "u.csv")])
    assert r.exit_code == 2 and "--sample" in r.output
