"""The simulate command and the goals section of `tailorfolio plan`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tailorfolio.cli.app import app
from tailorfolio.examples import example_profile_text

runner = CliRunner()


@pytest.fixture
def saver_file(tmp_path: Path) -> Path:
    p = tmp_path / "me.yaml"
    p.write_text(example_profile_text("young_saver"))
    return p


@pytest.mark.parametrize("model", ["lognormal", "bootstrap", "historical", "regime"])
def test_simulate_prints_fan_chart_and_writes_summary(saver_file: Path, tmp_path: Path,
                                                      model: str) -> None:
    out = tmp_path / "paths.csv"
    res = runner.invoke(app, ["simulate", str(saver_file), "--paths", "300", "--seed", "1",
                              "--model", model, "--out", str(out)])
    assert res.exit_code == 0, res.stdout
    assert "fan chart" in res.stdout and "House" in res.stdout
    frame = pd.read_csv(out)
    assert "Retirement: success" in frame.columns and "wealth_year_0" in frame.columns
    assert len(frame) == (31 if model == "historical" else 300)


def test_simulate_parquet_and_bad_suffix(saver_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "paths.parquet"
    res = runner.invoke(app, ["simulate", str(saver_file), "--paths", "200", "--mode",
                              "dedicated", "--out", str(out)])
    assert res.exit_code == 0, res.stdout
    assert len(pd.read_parquet(out)) == 200
    bad = runner.invoke(app, ["simulate", str(saver_file), "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code != 0 and "Traceback" not in bad.stdout


@pytest.mark.slow
def test_plan_shows_goal_table(saver_file: Path) -> None:
    res = runner.invoke(app, ["plan", str(saver_file)])
    assert res.exit_code == 0, res.stdout
    assert "probability of reaching each" in res.stdout
    assert "Alternative, not the plan" in res.stdout and "Withdrawal rate" in res.stdout
