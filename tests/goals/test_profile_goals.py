"""Goals of real profiles: spec building, outcomes, levers, allocation rules, plan stage."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from tailorfolio.examples import load_example_profile
from tailorfolio.goals import (
    TARGET_PROBABILITY,
    SimulationOptions,
    band_mean,
    choose_goal_based_allocation,
    goal_outcome,
    household_total,
    raise_levers,
    spec_from_profile,
)
from tailorfolio.planning import build_plan
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.simulate import LognormalModel, freeze, simulate
from tests.tolerances import MONEY_ATOL


def _weights(market, plan):
    return np.array([plan.weights[t] for t in market.universe.tickers])


@pytest.fixture(scope="module")
def saver(market):
    prof = load_example_profile("young_saver")
    plan = build_plan(prof, market, settings=PlanSettings(goal_paths=0))
    return prof, plan


def test_spec_from_profile_schedules_money(market, saver) -> None:
    prof, plan = saver
    spec = spec_from_profile(prof, market, _weights(market, plan), prof.as_of)
    pot = spec.pots[0]
    assert pot.initial_total == pytest.approx(household_total(prof, market), abs=MONEY_ATOL)
    assert pot.initial_total == pytest.approx(plan.investable_wealth, rel=1e-9)
    # House (2031, 60k) and retirement (2062, 55k a year for 30 years).
    house, ret = spec.goals
    assert house.need_real == 60_000 and house.due_step == 66  # start of 2031
    assert ret.need_real == pytest.approx(55_000 * 30) and ret.kind == "income"
    assert (ret.real_withdrawal > 0).sum() == 30
    # Contributions: house 7,000/yr until 2031, retirement 9,000/yr growing 2 %.
    assert pot.monthly_contribution[0] == pytest.approx((7_000 + 9_000) / 12)
    assert pot.monthly_contribution[12] == pytest.approx((7_000 + 9_000 * 1.02) / 12)
    assert pot.monthly_contribution[80] == pytest.approx(9_000 * 1.02**6 / 12)
    assert spec.n_steps % 12 == 0 and spec.tax.capital_gains_rate == pytest.approx(0.20)
    ded = spec_from_profile(prof, market, _weights(market, plan), prof.as_of,
                            SimulationOptions(mode="dedicated"))
    assert len(ded.pots) == 2
    assert sum(p.initial_total for p in ded.pots) == pytest.approx(pot.initial_total)
    assert ded.pots[0].initial_total == pytest.approx(15_000)


def test_outcome_statistics(market, saver) -> None:
    prof, plan = saver
    spec = spec_from_profile(prof, market, _weights(market, plan), prof.as_of)
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    res = simulate(spec, model, 1500, seed=5)
    out = goal_outcome(res, 1, priority="essential", due_year=2062.0, amount=55_000)
    p = res.goal_success[1].mean()
    assert out.probability == p and out.standard_error == pytest.approx(
        np.sqrt(p * (1 - p) / 1500))
    assert out.p10_outcome_real <= out.median_outcome_real
    fail = ~res.goal_success[1]
    assert out.expected_shortfall_real == pytest.approx(
        (55_000 * 30 - res.goal_funded_real[1][fail]).mean())
    assert 0 < out.expected_shortfall_real <= 55_000 * 30


def test_levers_reach_the_target(market, saver) -> None:
    prof, plan = saver
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    replay = freeze(model, 12 * 85, 300, seed=1)
    target = TARGET_PROBABILITY["essential"]
    lv = raise_levers(prof, market, _weights(market, plan), prof.as_of, 1, target, replay,
                      n_paths=300)
    assert lv.extra_monthly_saving is not None and lv.extra_monthly_saving > 0
    assert lv.affordable_amount is not None and lv.affordable_amount < 55_000
    assert all(p >= target for p in lv.probabilities.values())
    # Half the extra saving does not reach the target (the search found a threshold).
    half = prof.goals[1].model_copy(update={
        "annual_contribution": prof.goals[1].annual_contribution + 6 * lv.extra_monthly_saving})
    p2 = prof.model_copy(update={"goals": (prof.goals[0], half)})
    spec = spec_from_profile(p2, market, _weights(market, plan), prof.as_of)
    assert simulate(spec, replay).success_probability(1)[0] < target


def test_levers_resumed_at_the_goal_date_equal_the_whole_runs(market, saver,
                                                              monkeypatch) -> None:
    """The amount lever's evaluations resume from the state at the goal's date; with every
    run simulated from the start the levers are the same, to the last bit."""
    from tailorfolio.simulate._engine import Checkpoint

    prof, plan = saver
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    replay = freeze(model, 12 * 85, 200, seed=2)
    target = TARGET_PROBABILITY["essential"]
    w = _weights(market, plan)
    answers: list[bool] = []
    real = Checkpoint.resumes

    def counted(self: Checkpoint, *args: object) -> bool:
        answers.append(real(self, *args))
        return answers[-1]

    monkeypatch.setattr(Checkpoint, "resumes", counted)
    resumed = raise_levers(prof, market, w, prof.as_of, 1, target, replay, n_paths=200)
    assert len(answers) >= 6 and all(answers)  # every amount after the first resumed
    monkeypatch.setattr(Checkpoint, "resumes", lambda self, *a: False)
    whole = raise_levers(prof, market, w, prof.as_of, 1, target, replay, n_paths=200)
    assert resumed.affordable_amount is not None
    assert resumed == whole


def test_levers_probing_the_midpoint_first_equal_the_plain_bisection(market, saver,
                                                                     monkeypatch) -> None:
    """The search skips a lever's far end when the first midpoint already reaches the
    target; on a fixed seed it gives the plain bisection's answer (far end first), with
    fewer simulations."""
    from tailorfolio.goals import _raise

    prof, plan = saver
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    replay = freeze(model, 12 * 85, 200, seed=4)
    w = _weights(market, plan)
    calls = {"n": 0}
    real_simulate = _raise.success_probability

    def counted(*args, **kwargs):
        calls["n"] += 1
        return real_simulate(*args, **kwargs)

    def far_first(reaches, short, far, mid, target):
        p_far = reaches(far)
        if p_far < target:
            return None
        p_mid = reaches(mid)
        return (short, mid, p_mid) if p_mid >= target else (mid, far, p_far)

    monkeypatch.setattr(_raise, "success_probability", counted)
    saved = 0
    for target in (0.75, 0.9, 0.97):
        calls["n"] = 0
        fast = raise_levers(prof, market, w, prof.as_of, 1, target, replay, n_paths=200)
        n_fast = calls["n"]
        with monkeypatch.context() as m:
            m.setattr(_raise, "_first_halving", far_first)
            calls["n"] = 0
            plain = raise_levers(prof, market, w, prof.as_of, 1, target, replay, n_paths=200)
        assert fast == plain, target
        assert n_fast <= calls["n"]
        saved += calls["n"] - n_fast
    assert saved > 0


def test_allocation_rules_pick_from_candidates(market, saver) -> None:
    prof, plan = saver
    # The risk level's long-horizon portfolio (what the retirement sleeve holds far out).
    rung = plan.ladder[plan.risk.level - 1]
    w_plan = np.array([rung.weights.get(t, 0.0) for t in market.universe.tickers])
    cash = np.zeros_like(w_plan)
    cash[market.tickers.index("SGOV")] = 1.0
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    replay = freeze(model, 12 * 70, 300, seed=2)
    ga = choose_goal_based_allocation(prof, market, prof.as_of, np.array([0.011, rung.volatility]),
                                      np.array([0.04, rung.expected_return]),
                                      np.vstack([cash, w_plan]), replay, n_paths=300)
    # Thirty-seven years from retirement, cash cannot beat the plan on either rule.
    assert ga.best_by_probability == 1 and ga.best_by_percentiles == 1
    assert ga.candidates[1].weighted_success > ga.candidates[0].weighted_success
    assert band_mean(np.arange(101.0)) == pytest.approx(27.5)


@pytest.mark.slow
def test_plan_stage_fills_goal_section(example_profile, market) -> None:
    plan = build_plan(example_profile, market, settings=PlanSettings(goal_paths=400))
    assert len(plan.goal_outcomes) == len(example_profile.goals)
    g = plan.goals
    assert g.fan_chart_real and g.model
    assert {a.name for a in g.alternatives} >= {"risk level only"}
    for o in plan.goal_outcomes:
        assert 0 <= o.probability <= 1 and o.n_paths == 400
        if o.probability < o.target_probability:
            assert o.levers is not None
    assert '"outcomes"' in plan.to_json()
    skipped = build_plan(example_profile, market, settings=PlanSettings(goal_paths=0),
                         as_of=date(2025, 6, 30))
    assert skipped.goal_outcomes == ()


def test_strict_priority_protects_the_essential_goal(market) -> None:
    prof = load_example_profile("retiree")
    plan = build_plan(prof, market, settings=PlanSettings(goal_paths=0))
    market = plan.resolved_market  # the retiree's exclusions bring in screened funds
    w = _weights(market, plan)
    model = freeze(LognormalModel.from_assumptions(market.assumptions, market.universe),
                   12 * 26, 600, seed=4)
    loose = simulate(spec_from_profile(prof, market, w, prof.as_of), model)
    strict_spec = spec_from_profile(prof, market, w, prof.as_of,
                                    SimulationOptions(priority_reserve=True))
    assert strict_spec.goals[1].reserve_real is not None  # the legacy waits for the income
    assert strict_spec.goals[0].reserve_real is None
    strict = simulate(strict_spec, model)
    assert strict.success_probability(0)[0] >= loose.success_probability(0)[0]
    assert strict.success_probability(1)[0] <= loose.success_probability(1)[0]


def test_postponements_resume_where_they_leave_the_plan(market, saver, monkeypatch) -> None:
    """On a household path that de-risks five years before the retirement goal, every
    postponement agrees with the plan until then: the first one simulated keeps its state
    there (not at month 0) and the others resume from it — the levers of whole runs, to the
    last bit."""
    from tailorfolio.goals import _raise
    from tailorfolio.goals._from_profile import goal_due_step, horizon_months
    from tailorfolio.simulate._engine import Checkpoint

    prof, plan = saver
    risky = _weights(market, plan)
    safe = np.zeros_like(risky)
    safe[int(np.argmin([market.assumptions.volatility[t] for t in market.universe.tickers]))] = 1

    class Glide:
        """Stocks until five years before goal 1, then the least volatile fund."""

        def household_weights(self, profile, as_of, n_steps):
            w = np.tile(risky, (n_steps, 1))
            w[max(0, goal_due_step(profile.goals[1], as_of) - 60):] = safe
            return w

    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    months = horizon_months(prof, prof.as_of) + 12 * _raise.MAX_DELAY_YEARS
    replay = freeze(model, months, 200, seed=3)
    target = 0.6  # reached by waiting some years (and by saving more, or aiming lower)
    steps: list[int] = []
    real = _raise.success_probability

    def spied(*args, **kwargs):
        if kwargs.get("checkpoint_at") is not None:
            steps.append(kwargs["checkpoint_at"])
        return real(*args, **kwargs)

    monkeypatch.setattr(_raise, "success_probability", spied)
    resumed = raise_levers(prof, market, Glide(), prof.as_of, 1, target, replay, n_paths=200)
    de_risk = goal_due_step(prof.goals[1], prof.as_of) - 60
    assert de_risk in steps  # the postponements' checkpoint, where the plan starts to move
    with monkeypatch.context() as m:
        m.setattr(Checkpoint, "resumes", lambda self, *a: False)
        whole = raise_levers(prof, market, Glide(), prof.as_of, 1, target, replay,
                             n_paths=200)
    assert resumed.delay_years is not None
    assert resumed == whole


def test_divergence_step_is_the_first_month_two_specs_differ(market, saver) -> None:
    from tailorfolio.simulate._engine import divergence_step

    prof, plan = saver
    spec = spec_from_profile(prof, market, _weights(market, plan), prof.as_of)
    pot = spec.pots[0]
    w = np.tile(pot.weights, (spec.n_steps, 1))
    w[100:] = np.roll(pot.weights, 1)
    moved = dataclasses.replace(spec, pots=(dataclasses.replace(pot, weights=w),))
    assert divergence_step(spec, moved) == 100  # a contribution month: the engine stops
    assert divergence_step(spec, spec) > 100
    flows = pot.monthly_contribution.copy()
    flows[0] += 1.0
    richer = dataclasses.replace(spec, pots=(dataclasses.replace(pot, monthly_contribution=flows),))
    assert divergence_step(spec, richer) == 0
