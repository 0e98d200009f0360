"""A plan built with helper threads is the plan built on one thread, bit for bit.

The plan runs its independent analyses side by side (:mod:`tailorfolio.simulate._concurrent`:
the goals stage's main Monte Carlo next to its alternatives, the three lever searches, the
stored paths next to the portfolio family, the sleeves' candidate policies in two halves).
Every task's numbers depend only on its inputs, never on the thread that ran it or on what
ran beside it, so every section of the plan — decisions, probabilities, levers,
alternatives, withdrawal rates — is the same exactly (compared as JSON text: floats to the
last bit).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tailorfolio as tf
from tailorfolio.cli._template import profile_template
from tailorfolio.io import load_profile
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.simulate._concurrent import helper_threads, run_all


def _template(tmp_path: Path) -> tf.InvestorProfile:
    path = tmp_path / "me.yaml"
    path.write_text(profile_template())
    return load_profile(path)


def _both(profile: tf.InvestorProfile, settings: PlanSettings | None = None
          ) -> tuple[tf.Plan, tf.Plan]:
    with helper_threads(0):
        alone = tf.build_plan(profile, settings=settings)
    with helper_threads(2):
        helped = tf.build_plan(profile, settings=settings)
    return alone, helped


def _assert_same(alone: tf.Plan, helped: tf.Plan) -> None:
    a, b = alone.to_dict(), helped.to_dict()
    assert a.keys() == b.keys()
    for section in a:  # section by section, so a failure names the section
        assert a[section] == b[section], section
    assert alone.to_json() == helped.to_json()


@pytest.mark.slow  # two default plans (2,000 paths, the lever search): ~6 s
def test_the_default_plan_is_the_same_with_and_without_helper_threads(tmp_path: Path
                                                                      ) -> None:
    alone, helped = _both(_template(tmp_path))
    assert alone.goals is not None
    # the sections the threads touch are there to compare
    assert any(o.levers is not None for o in alone.goals.outcomes)
    assert alone.goals.alternatives and alone.goals.withdrawal is not None
    _assert_same(alone, helped)


@pytest.mark.parametrize("name", ["family", "retiree"])
def test_example_plans_are_the_same_with_and_without_helper_threads(name: str) -> None:
    settings = PlanSettings(goal_paths=400, choice_paths=200)
    alone, helped = _both(tf.load_example_profile(name), settings)
    _assert_same(alone, helped)


def test_run_all_returns_in_order_and_raises_a_tasks_error() -> None:
    with helper_threads(2):
        assert run_all([lambda i=i: i * i for i in range(7)]) == [i * i for i in range(7)]

        def boom() -> int:
            raise ValueError("task 3")

        with pytest.raises(ValueError, match="task 3"):
            run_all([lambda: 1, lambda: 2, boom, lambda: 4])
    with helper_threads(0):
        assert run_all([lambda: "a", lambda: "b"]) == ["a", "b"]


def test_busy_helpers_leave_the_tasks_to_the_caller() -> None:
    """With every helper busy (another plan's tasks), the tasks run on the caller's thread,
    one after the other: a plan never waits for a helper, so nested use cannot deadlock."""
    import threading

    from tailorfolio.simulate import _concurrent

    def name() -> str:
        return threading.current_thread().name

    with helper_threads(1):
        busy = _concurrent._helper()  # the only helper, taken as another plan would
        assert busy is not None
        try:
            assert run_all([name, name, name]) == [name()] * 3
        finally:
            busy[1].release()
        again = _concurrent._helper()  # free again once released
        assert again is not None
        again[1].release()
