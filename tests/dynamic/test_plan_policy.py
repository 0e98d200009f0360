"""The plan's dynamic-policy section and the glide-path hand-off to the Monte Carlo engine."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.dynamic import GlidePath, dynamic_policy, personal_glide_path
from tailorfolio.planning import PlanSettings, build_plan


def test_plan_has_dynamic_policy(example_profile):
    plan = build_plan(example_profile, settings=PlanSettings(goal_paths=0))
    dyn = plan.dynamic.to_dict()
    assert dyn["regime_overlay"] is False
    assert dyn["rebalancing"]["abs_band"] == 0.05
    assert len(dyn["glide_paths"]) == len(example_profile.goals)
    for g in dyn["glide_paths"]:
        shares = [s for _, s in g["schedule"]]
        assert all(0.0 <= s <= 1.0 for s in shares)
        assert all(b <= a + 1e-12 for a, b in zip(shares, shares[1:]))
    plan.to_json()


def test_glide_is_scaled_to_the_plans_equity():
    cautious = personal_glide_path("lump_sum", 0.3)
    bold = personal_glide_path("lump_sum", 0.9)
    assert cautious.start_equity == pytest.approx(0.3)
    assert bold.start_equity == pytest.approx(0.9)
    assert cautious.equity_share(10) < bold.equity_share(10)
    assert cautious.equity_share(0) == 0.0


def test_regime_overlay_can_be_switched_on():
    pol = dynamic_policy([("house", "lump_sum", 5.0)], 0.6, regime_overlay=True)
    assert pol.regime_overlay and "at your request" in pol.reasons[-1]


def test_schedule_feeds_the_monte_carlo_engine():
    simulate = pytest.importorskip("tailorfolio.simulate")
    n_steps = 10 * 12
    eq = np.array([0.7, 0.3, 0.0])
    safe = np.array([0.0, 0.0, 1.0])
    schedule = GlidePath.lump_sum().weights_schedule(10.0, n_steps, eq, safe)
    pot = simulate.Pot(name="house", weights=schedule, initial_balance=np.array([1e4, 0, 0]),
                       taxable_basis=1e4, monthly_contribution=np.zeros(n_steps))
    spec = simulate.SimulationSpec(tickers=("A", "B", "C"), n_steps=n_steps, pots=(pot,),
                                   rebalance_every_months=1)
    np.testing.assert_allclose(spec.weights_path(0), schedule)
    # a glide path into a riskless asset ends with less dispersed wealth than staying in
    # the equity sleeve
    mean = np.array([0.006, 0.006, 0.002, 0.0])
    cov = np.diag([0.05**2, 0.05**2, 1e-10, 1e-10])
    model = simulate.LognormalModel(("A", "B", "C"), mean, cov)
    still = simulate.Pot(name="house", weights=np.tile(eq, (n_steps, 1)),
                         initial_balance=np.array([1e4, 0, 0]), taxable_basis=1e4,
                         monthly_contribution=np.zeros(n_steps))
    glide = simulate.simulate(spec, model, n_paths=2000, seed=1)
    static = simulate.simulate(simulate.SimulationSpec(
        tickers=("A", "B", "C"), n_steps=n_steps, pots=(still,), rebalance_every_months=1),
        model, n_paths=2000, seed=1)
    assert glide.real_wealth_by_year[-1].std() < 0.8 * static.real_wealth_by_year[-1].std()
