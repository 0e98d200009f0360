"""What the plan reuses instead of recomputing is exactly what it would have recomputed.

* the sleeves stage's score of the chosen policy on the stored paths (``PlanDraft.stored_score``)
  is what simulating that policy again gives — the alternatives compare with it;
* the cost of values' plan without ESG preferences simulates only the probabilities, and they
  are the ones the full plan without ESG preferences has;
* the household's sleeve projection on Python floats equals the array recursion it replaced.

All on common random numbers, so the comparisons are exact (no sampling tolerance).
"""

from __future__ import annotations

import numpy as np
import pytest

import tailorfolio as tf
from tailorfolio.allocation._household import HouseholdPolicy
from tailorfolio.allocation._sleeves import LONG_TERM, RESERVE, as_of_year
from tailorfolio.esg._cost import without_esg
from tailorfolio.goals._outcomes import weighted_success
from tailorfolio.planning._build import STAGES, baseline_without_esg, prepare, run_stages
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.planning._stages import household_policy, policy_spec
from tailorfolio.profile import GoalKind
from tailorfolio.simulate._engine import simulate

SMALL = PlanSettings(goal_paths=300, choice_paths=200)
"""Few paths: the checks are identities on the same paths, not estimates."""


@pytest.mark.parametrize("name", ["young_saver", "family"])
def test_the_stored_score_is_the_final_policy_simulated_again(name: str) -> None:
    prof = tf.load_example_profile(name)
    ctx = prepare(prof, tf.default_market(), SMALL)
    draft = run_stages(ctx, STAGES[:1])
    assert draft.stored_score is not None
    weighted, by_goal = draft.stored_score
    res = simulate(policy_spec(draft), ctx.stored_paths, SMALL.choice_paths)
    assert weighted == weighted_success(res)
    np.testing.assert_array_equal(by_goal, res.goal_success.mean(axis=1))
    # the chosen intensities are the ones in that policy
    for name_, choice in draft.choices.items():
        assert draft.policies[name_].intensity == choice.intensity


def test_no_stored_score_without_a_choice_and_the_alternatives_still_compare() -> None:
    prof = tf.load_example_profile("young_saver")
    settings = PlanSettings(goal_paths=300, choice_paths=0)
    plan = tf.build_plan(prof, settings=settings)
    draft = run_stages(prepare(prof, tf.default_market(), settings), STAGES[:1])
    assert draft.stored_score is None
    assert plan.goals is not None and plan.goals.alternatives
    for alt in plan.goals.alternatives:
        assert 0.0 <= alt.plan_probability <= 1.0


def test_the_baseline_without_esg_has_the_probabilities_of_the_full_plan() -> None:
    prof = tf.load_example_profile("esg_minded")
    market = tf.default_market()
    base = baseline_without_esg(prof, market, SMALL, None)
    full = tf.build_plan(without_esg(prof), market, settings=SMALL, esg_always=True)
    assert base.goals is not None and full.goals is not None
    assert ({o.name: o.probability for o in base.goal_outcomes}
            == {o.name: o.probability for o in full.goal_outcomes})
    assert base.weights == full.weights
    # what only a reader of this plan would use is not computed
    assert base.goals.alternatives == () and base.goals.withdrawal is None
    assert all(o.levers is None for o in base.goal_outcomes)
    assert full.goals.alternatives  # (the full plan has them)


def _array_sleeve_values(pol: HouseholdPolicy, prof: tf.InvestorProfile, as_of, n_steps: int
                         ) -> np.ndarray:
    """The recursion as it was written with arrays (the reference)."""
    y0 = as_of_year(as_of)
    goals = list(prof.goals)
    names = [g.name for g in goals] + [RESERVE, LONG_TERM]
    t = np.arange(n_steps)
    weights = np.empty((len(names), n_steps, len(pol.expected_return)))
    for i, g in enumerate(goals):
        weights[i] = pol.policies[g.name].schedule(g.years_until(y0), n_steps)
    for i, name in enumerate((RESERVE, LONG_TERM), start=len(goals)):
        weights[i] = np.broadcast_to(pol.policies[name].weights_at_years(0.0), weights[i].shape)
    real_monthly = (1 + weights @ pol.expected_return) ** (1 / 12) / (
        1 + pol.inflation) ** (1 / 12) - 1
    deflator = (1 + pol.inflation) ** (-t / 12)
    values = np.zeros((len(names), n_steps))
    v = np.array([pol.amounts.get(n, 0.0) for n in names], float)
    flows_in = np.zeros((len(names), n_steps))
    flows_out = np.zeros((len(names), n_steps))
    last = np.full(len(names), n_steps, int)
    for i, g in enumerate(goals):
        due = int(round(12 * g.years_until(y0)))
        c = g.annual_contribution / 12 * (1 + g.contribution_growth) ** (t // 12)
        c[min(due, n_steps):] = 0.0
        flows_in[i] = c * deflator
        if g.kind is GoalKind.INCOME:
            idx = np.arange(due, due + 12 * g.duration_years, 12)
            idx = idx[idx < n_steps]
            flows_out[i, idx] = g.amount
            last[i] = int(idx[-1]) + 1 if len(idx) else due + 1
        elif due < n_steps:
            flows_out[i, due] = g.amount
            last[i] = due + 1
    for k in range(n_steps):
        for i in range(len(goals)):
            if k == last[i] and v[i] > 0:
                v[-1] += v[i]
                v[i] = 0.0
        v = v + flows_in[:, k]
        values[:, k] = v
        v = np.maximum(v - flows_out[:, k], 0.0) * (1 + real_monthly[:, k])
    return values


@pytest.mark.parametrize("name", sorted(tf.EXAMPLE_PROFILES))
@pytest.mark.parametrize("n_steps", [1, 37, 720])
def test_sleeve_values_equal_the_array_recursion(name: str, n_steps: int) -> None:
    prof = tf.load_example_profile(name)
    ctx = prepare(prof, tf.default_market(), PlanSettings(goal_paths=0, choice_paths=0))
    pol = household_policy(run_stages(ctx, STAGES[:1]))
    names, values, weights = pol.sleeve_values(prof, ctx.as_of, n_steps)
    assert values.shape == (len(names), n_steps) and weights.shape[:2] == values.shape
    np.testing.assert_array_equal(values, _array_sleeve_values(pol, prof, ctx.as_of, n_steps))
