"""Glide paths: documented shape, schedules for the Monte Carlo engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailorfolio.dynamic import GlidePath
from tailorfolio.errors import ParameterError


def test_retirement_shape():
    g = GlidePath.retirement()
    assert g.equity_share(40) == pytest.approx(0.9)
    assert g.equity_share(25) == pytest.approx(0.9)
    assert g.equity_share(12.5) == pytest.approx(0.7)
    assert g.equity_share(0) == pytest.approx(0.5)
    assert g.equity_share(-3.5) == pytest.approx(0.4)
    assert g.equity_share(-30) == pytest.approx(0.3)


def test_lump_sum_reaches_zero_and_stays():
    g = GlidePath.lump_sum()
    assert g.equity_share(30) == pytest.approx(0.9)
    assert g.equity_share(0) == 0.0
    assert g.equity_share(-5) == 0.0


def test_curvature_keeps_equity_longer():
    late = GlidePath(curvature=2.0)
    assert late.equity_share(12.5) < GlidePath().equity_share(12.5)
    early = GlidePath(curvature=0.5)
    assert early.equity_share(12.5) > GlidePath().equity_share(12.5)


@given(st.floats(0.5, 60), st.integers(1, 400))
def test_schedule_rows_are_weights_and_equity_never_rises(horizon, n_steps):
    eq = np.array([0.6, 0.4, 0.0, 0.0])
    safe = np.array([0.0, 0.0, 0.7, 0.3])
    s = GlidePath.retirement().weights_schedule(horizon, n_steps, eq, safe)
    assert s.shape == (n_steps, 4)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)
    equity = s[:, :2].sum(axis=1)
    assert (np.diff(equity) <= 1e-12).all()


def test_invalid_parameters_are_named():
    with pytest.raises(ParameterError, match="start_equity"):
        GlidePath(start_equity=1.5)
    with pytest.raises(ParameterError, match="summing to 1"):
        GlidePath().weights_schedule(10, 10, np.array([1.0, 0.0]), np.array([0.5, 0.0]))
