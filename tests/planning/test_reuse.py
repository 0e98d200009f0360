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
from tailorfolio.esg._cost import without_esg
from tailorfolio.goals._outcomes import weighted_success
from tailorfolio.planning._build import STAGES, baseline_without_esg, prepare, run_stages
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.planning._stages import household_policy, policy_spec
from tailorfolio.simulate._engine import simulate

from tests.allocation._reference import sleeve_values_reference

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


@pytest.mark.parametrize("name", sorted(tf.EXAMPLE_PROFILES))
@pytest.mark.parametrize("n_steps", [1, 37, 720])
def test_sleeve_values_equal_the_array_recursion(name: str, n_steps: int) -> None:
    prof = tf.load_example_profile(name)
    ctx = prepare(prof, tf.default_market(), PlanSettings(goal_paths=0, choice_paths=0))
    pol = household_policy(run_stages(ctx, STAGES[:1]))
    names, values, weights = pol.sleeve_values(prof, ctx.as_of, n_steps)
    assert values.shape == (len(names), n_steps) and weights.shape[:2] == values.shape
    np.testing.assert_array_equal(values, sleeve_values_reference(pol, prof, ctx.as_of, n_steps))
