"""A plan built with helper threads is the plan built on one thread, bit for bit.

The plan runs its independent analyses side by side (:mod:`tailorfolio.simulate._concurrent`:
the goals stage's main Monte Carlo next to its lever searches and alternatives, the stored
paths' draws next to the goal DP).
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
from tailorfolio.simulate._concurrent import helper_threads, run_beside


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


def test_run_beside_returns_in_order_and_raises_a_tasks_error() -> None:
    import threading

    def name() -> str:
        return threading.current_thread().name

    with helper_threads(1):
        main, rest = run_beside(lambda: "main", [lambda i=i: i * i for i in range(7)])
        assert (main, rest) == ("main", [i * i for i in range(7)])
        started = threading.Event()

        def signal() -> str:
            started.set()
            return name()

        # main waits for the task: only a helper running it beside main lets main through
        waited, names = run_beside(lambda: started.wait(10), [signal])
        assert waited and names[0].startswith("tailorfolio-helper")

        def boom() -> int:
            raise ValueError("task 2")

        with pytest.raises(ValueError, match="task 2"):
            run_beside(lambda: 0, [lambda: 1, boom, lambda: 3])
    with helper_threads(0):
        assert run_beside(lambda: "m", [lambda: "a", lambda: "b"]) == ("m", ["a", "b"])


def test_after_main_tells_the_tasks_not_started_yet() -> None:
    """What ``after_main`` sets is read by the tasks the caller takes after the main task (a
    speculative search then returns early)."""
    seen: list[bool] = []
    flag: set[str] = set()

    def task() -> bool:
        seen.append("needless" in flag)
        return "needless" in flag

    with helper_threads(0):  # no helper: every task runs after main, after after_main
        _, rest = run_beside(lambda: 1, [task, task], after_main=lambda _: flag.add("needless"))
    assert rest == [True, True]


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
            assert run_beside(name, [name, name]) == (name(), [name()] * 2)
        finally:
            busy[1].release()
        again = _concurrent._helper()  # free again once released
        assert again is not None
        again[1].release()
