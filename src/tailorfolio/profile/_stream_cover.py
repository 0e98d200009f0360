"""How much of each income goal's spending the income streams pay, year by year, in today's
money — the same income the simulation credits
(:mod:`tailorfolio.profile._stream_income`), read without markets so the plan's sleeve
funding, its list of streams and the risk capacity's funded ratio count what the Monte Carlo
counts.

Conventions (the simulation's, :mod:`tailorfolio.simulate._engine`):

* Each stream's income is credited to the income goals' withdrawal months exactly as
  :func:`~tailorfolio.profile._stream_income.credited_stream_months` credits it for the
  simulation.
* At a withdrawal month the goals take the month's income in the engine's funding order
  (priority, then due date), each up to its own withdrawal; what is left over is not saved.
* Deterministic money: an inflation-adjusted stream or goal is in today's money; a nominal
  one is deflated to today's money at the expected ``inflation`` (the simulation applies each
  path's own price level instead).
* Several streams paying in the same month share each goal's covered amount in proportion to
  their income that month (the simulation pools them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._stream_income import credited_stream_months
from tailorfolio.profile._timeline import (
    PRIORITY_RANK,
    goal_due_step,
    goal_withdrawals,
    horizon_months,
)
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class StreamCover:
    """Stream income paying each income goal's withdrawals, today's money.

    Attributes
    ----------
    by_goal : dict of goal name to ndarray (duration_years,)
        Income covering each of the goal's yearly withdrawals (<= the withdrawal); income
        goals only, every one present (zeros when no stream pays it).
    by_stream : tuple of dict of goal name to ndarray (duration_years,)
        Per stream (``profile.income_streams`` order): its part of ``by_goal``; the goals it
        pays nothing are left out. Sums over the streams to ``by_goal``.
    """

    by_goal: dict[str, FloatArray]
    by_stream: tuple[dict[str, FloatArray], ...]

    @property
    def any(self) -> bool:
        return any(bool(v.any()) for v in self.by_goal.values())


def stream_cover(profile: InvestorProfile, as_of: date, inflation: float) -> StreamCover:
    """The income streams' part of each income goal's yearly withdrawals.

    Parameters
    ----------
    profile : InvestorProfile
    as_of : date
    inflation : float
        Expected inflation, decimal per year: deflates nominal streams and goals.

    Returns
    -------
    StreamCover
        Zero arrays (and empty per-stream dicts) without streams or income goals.
    """
    goals = list(profile.goals)
    income_goals = [j for j, g in enumerate(goals) if g.kind is GoalKind.INCOME]
    by_goal = {goals[j].name: np.zeros(goals[j].duration_years) for j in income_goals}
    n_streams = len(profile.income_streams)
    by_stream: list[dict[str, FloatArray]] = [{} for _ in range(n_streams)]
    if not income_goals or not n_streams:
        return StreamCover(by_goal, tuple(by_stream))
    n_steps = horizon_months(profile, as_of)
    wds = {j: goal_withdrawals(goals[j], as_of, n_steps) for j in income_goals}
    months = np.flatnonzero(np.sum(list(wds.values()), axis=0) > 0)
    deflator = (1 + inflation) ** (-np.arange(n_steps) / 12)
    today = np.array([c if real else c * deflator
                      for c, real in credited_stream_months(profile, months, n_steps)])
    total = today.sum(axis=0)
    order = sorted(income_goals, key=lambda j: (PRIORITY_RANK[goals[j].priority],
                                                goal_due_step(goals[j], as_of)))
    for t in months:
        left = float(total[t])
        if left <= 0:
            continue
        share = today[:, t] / total[t]
        for j in order:
            g = goals[j]
            amount = float(wds[j][t])
            if amount <= 0 or left <= 0:
                continue
            need = amount if g.inflation_adjusted else amount * float(deflator[t])
            covered = min(need, left)
            left -= covered
            k = (t - goal_due_step(g, as_of)) // 12
            by_goal[g.name][k] += covered
            for s in range(n_streams):
                if share[s] > 0:
                    by_stream[s].setdefault(g.name, np.zeros(g.duration_years))[k] += (
                        covered * share[s])
    return StreamCover(by_goal, tuple(by_stream))
