"""The backtest and regimes commands end to end on short windows."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from tailorfolio.cli.app import app

runner = CliRunner()


def test_backtest_command_writes_equity_curves(tmp_path):
    out = tmp_path / "eq.csv"
    res = runner.invoke(app, ["backtest", "hrp", "inverse-vol", "--data", "ff-industries",
                              "--from", "1995-01", "--to", "2010-12", "--window", "60",
                              "--csv", str(out), "--resamples", "200"])
    assert res.exit_code == 0, res.output
    assert "1/N" in res.output and "HRP" in res.output
    curves = pd.read_csv(out, index_col=0)
    assert list(curves.columns) == ["1/N", "HRP", "inverse volatility"]
    assert curves.iloc[0].eq(1.0).all()


def test_backtest_plan_strategy_uses_the_profile(tmp_path):
    from tailorfolio.examples import example_profile_text

    path = tmp_path / "family.yaml"
    path.write_text(example_profile_text("family"))
    res = runner.invoke(app, ["backtest", "plan", "--data", "us-asset-classes", "--from",
                              "2000-01", "--to", "2010-12", "--profile", str(path),
                              "--resamples", "100", "--csv", str(tmp_path / "eq.csv")])
    assert res.exit_code == 0, res.output
    assert "investor's plan" in pd.read_csv(tmp_path / "eq.csv", index_col=0).columns


def test_backtest_unknown_strategy_is_a_clear_error():
    res = runner.invoke(app, ["backtest", "magic"])
    assert res.exit_code == 2
    assert "Unknown strategy" in res.output


@pytest.mark.slow
def test_regimes_command():
    pytest.importorskip("hmmlearn")
    res = runner.invoke(app, ["regimes", "--data", "us-asset-classes", "--from", "1990-01",
                              "--to", "2005-12"])
    assert res.exit_code == 0, res.output
    assert "Regime 0" in res.output and "Current" in res.output
