"""Smoke test of the standard evaluation (the full run is ``make evaluate``)."""

from __future__ import annotations

import pytest

from tailorfolio.backtest import standard_evaluation


@pytest.mark.slow
def test_quick_evaluation_writes_markdown():
    report = standard_evaluation(quick=True, n_resamples=200)
    md = report.to_markdown()
    assert "| 1/N |" in md
    assert "Beat 1/N after costs" in md
    assert "OOS R²" in md
    sig, point = report.sections[0].beat_benchmark()
    assert set(sig).isdisjoint(point)
