"""Sustainable withdrawal rates: exact cases, the rolling-period test, and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.goals import withdrawal_analysis
from tailorfolio.simulate import LognormalModel, us_historical_model
from tests.simulate._helpers import constant_model


def test_zero_returns_sustain_one_over_years() -> None:
    a = withdrawal_analysis(np.array([1.0]), constant_model([0.0], 12 * 25, n_paths=3), 25)
    np.testing.assert_allclose(a.max_rates, 1 / 25, rtol=1e-9)


def test_constant_real_return_matches_annuity_due() -> None:
    r = 0.03
    a = withdrawal_analysis(np.array([1.0]), constant_model([np.log1p(r) / 12], 360), 30)
    annuity_due = (1 - (1 + r) ** -30) / r * (1 + r)
    np.testing.assert_allclose(a.max_rates, 1 / annuity_due, rtol=1e-5)


def test_rolling_period_test_on_us_history(market) -> None:
    uni = market.universe
    w = np.zeros(len(uni))
    w[uni.index_of("VTI")] = 0.5
    w[uni.index_of("VGIT")] = 0.5
    hist = withdrawal_analysis(w, us_historical_model(uni), 30)
    assert len(hist.max_rates) == 68 and hist.labels[0] == 1928 and hist.labels[-1] == 1995
    # Success falls as the rate rises; the worst windows start in the 1960s (Bengen 1994).
    rates = [0.03, 0.035, 0.04, 0.05, 0.06]
    succ = [hist.success_rate(x) for x in rates]
    assert succ == sorted(succ, reverse=True) and succ[0] == 1.0
    year, worst = hist.worst()
    assert 1960 <= year <= 1970 and 0.03 < worst < 0.045
    assert hist.sustainable_rate(1.0) == pytest.approx(worst)
    mc = withdrawal_analysis(w, LognormalModel.from_assumptions(market.assumptions, uni), 30,
                             n_paths=3000, seed=1)
    assert 0.025 < mc.sustainable_rate(0.9) < 0.06
    assert mc.sustainable_rate(0.95) <= mc.sustainable_rate(0.9) <= mc.sustainable_rate(0.5)


def test_rates_from_a_simulations_recorded_growth_equal_their_own_draws(market) -> None:
    """The plan's Monte Carlo records its paths' yearly growth; withdrawal rates read off it
    equal (to rounding) those of a separate run on the same model, seed, paths and fees —
    with whatever the recording simulation did (contributions, yearly rebalancing) on top."""
    from tailorfolio.goals._withdrawal import withdrawal_analysis_from_growth
    from tailorfolio.simulate import Pot, SimulationSpec, TaxTreatment
    from tailorfolio.simulate._engine import simulate, simulate_with_growth

    uni = market.universe
    n = len(uni)
    model = LognormalModel.from_assumptions(market.assumptions, uni)
    er = np.array([uni[t].expense_ratio for t in uni.tickers])
    contrib = np.zeros(300)
    contrib[:150] = 400.0  # monthly segments for 12.5 years, then yearly ones
    sp = SimulationSpec(tuple(uni.tickers), 300,
                        (Pot("h", np.full(n, 1 / n), np.array([5e4, 0.0, 0.0]), 5e4, contrib,
                             np.array([1.0, 0.0, 0.0])),), (), er, 25.0, 12, TaxTreatment())
    result, growth = simulate_with_growth(sp, model, 1500, 7, 20)
    assert growth.shape == (20, n + 1, 1500)
    plain = simulate(sp, model, 1500, 7)
    np.testing.assert_array_equal(result.real_wealth_by_year, plain.real_wealth_by_year)
    w = np.zeros(n)
    w[uni.index_of("VTI")] = 0.6
    w[uni.index_of("VGIT")] = 0.4
    own = withdrawal_analysis(w, model, 20, expense_ratio=er, advisory_fee_bps=25.0,
                              n_paths=1500, seed=7)
    read = withdrawal_analysis_from_growth(w, growth, 20, model.name)
    np.testing.assert_allclose(read.max_rates, own.max_rates, rtol=1e-12)
    assert read.sustainable_rate(0.9) == pytest.approx(own.sustainable_rate(0.9), rel=1e-12)
