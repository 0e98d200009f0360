"""Per-goal outcomes of a simulation: probability (with its Monte Carlo standard error),
median and 10th-percentile outcome in today's money, expected shortfall when the goal fails."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.simulate._result import SimulationResult

TARGET_PROBABILITY = {"essential": 0.90, "important": 0.75, "aspirational": 0.50}
"""Probability each priority should reach; the what-would-raise solver aims for it. Chosen to
mirror common planning practice (essential needs near-certain, wishes better than even)."""


@dataclass(frozen=True)
class RaiseLevers:
    """What would lift a goal's probability to ``target_probability`` (each lever alone).

    Attributes
    ----------
    target_probability : float
    extra_monthly_saving : float or None
        Additional saving per month toward the goal from today (nominal, growing like the
        goal's contributions); None if even the search ceiling does not reach the target.
    delay_years : int or None
        Smallest postponement of the goal, whole years (an income goal keeps its end date);
        None beyond the search range.
    affordable_amount : float or None
        Largest amount (today's money; per year for income goals) reached with the target
        probability; None if even 1 % of the amount is not.
    probabilities : dict of str to float
        Probability achieved with each lever at its value (same simulation, fewer paths).
    """

    target_probability: float
    extra_monthly_saving: float | None
    delay_years: int | None
    affordable_amount: float | None
    probabilities: dict[str, float]


@dataclass(frozen=True)
class GoalOutcome:
    """One goal's result.

    Attributes
    ----------
    name, kind, priority : str
    due_year : float
        Calendar year the goal falls due.
    amount : float
        The goal's amount (today's money; per year for income goals).
    need_real : float
        Total net amount the goal needs, today's money.
    probability : float
        Share of paths on which every withdrawal of the goal was met in full.
    standard_error : float
        Monte Carlo standard error of ``probability``, ``sqrt(p (1 - p) / n)``.
    median_outcome_real, p10_outcome_real : float
        Median and 10th percentile of the wealth available to the goal when it falls due
        (its pot, before the goal's first withdrawal), today's money.
    expected_shortfall_real : float
        Mean unfunded amount over the paths where the goal fails, today's money (0 when it
        never fails).
    mean_funded_ratio : float
        Mean share of the need that was paid.
    n_paths : int
    levers : RaiseLevers or None
        Filled when the probability is below the target for the goal's priority.
    """

    name: str
    kind: str
    priority: str
    due_year: float
    amount: float
    need_real: float
    probability: float
    standard_error: float
    median_outcome_real: float
    p10_outcome_real: float
    expected_shortfall_real: float
    mean_funded_ratio: float
    n_paths: int
    levers: RaiseLevers | None = None

    @property
    def target_probability(self) -> float:
        return TARGET_PROBABILITY.get(self.priority, 0.75)


def goal_outcome(result: SimulationResult, j: int, *, priority: str, due_year: float,
                 amount: float) -> GoalOutcome:
    """Summarise goal ``j`` of ``result``."""
    g = result.spec.goals[j]
    prob, se = result.success_probability(j)
    need = g.need_real
    funded = result.goal_funded_real[j]
    fail = ~result.goal_success[j]
    shortfall = float((need - funded[fail]).mean()) if fail.any() else 0.0
    wealth = result.goal_wealth_at_due_real[j]
    return GoalOutcome(
        name=g.name, kind=g.kind, priority=priority, due_year=due_year, amount=amount,
        need_real=need, probability=prob, standard_error=se,
        median_outcome_real=float(np.median(wealth)),
        p10_outcome_real=float(np.percentile(wealth, 10)),
        expected_shortfall_real=max(shortfall, 0.0),
        mean_funded_ratio=float(np.mean(funded / need)) if need > 0 else 1.0,
        n_paths=result.n_paths,
    )


def weighted_success(result: SimulationResult) -> float:
    """Importance-weighted mean of the goals' success probabilities (weights of the spec)."""
    w = np.array([g.weight for g in result.spec.goals], float)
    p = result.goal_success.mean(axis=1)
    return float(w @ p / w.sum()) if w.sum() > 0 else 0.0
