"""A profile's goals on the simulation's month grid: when each falls due and ends, the
months it withdraws, the plan's horizon and the funding order of priorities (month 0 is
``as_of``)."""

from __future__ import annotations

from datetime import date

import numpy as np

from tailorfolio.profile._enums import GoalKind, GoalPriority
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.typing import FloatArray

PRIORITY_RANK = {GoalPriority.ESSENTIAL: 0, GoalPriority.IMPORTANT: 1,
                 GoalPriority.ASPIRATIONAL: 2}
"""Funding order of the priorities (essential goals first)."""


def as_of_year(as_of: date) -> float:
    """Fractional calendar year of ``as_of`` (2025-06-30 → 2025.49)."""
    return as_of.year + (as_of.timetuple().tm_yday - 1) / 365.25


def goal_due_step(goal: Goal, as_of: date) -> int:
    """Month (from ``as_of``) in which ``goal`` falls due."""
    return int(round(12 * goal.years_until(as_of_year(as_of))))


def goal_end_step(goal: Goal, as_of: date) -> int:
    """Month after the goal's last withdrawal."""
    due = goal_due_step(goal, as_of)
    return due + (12 * goal.duration_years if goal.kind is GoalKind.INCOME else 1)


def horizon_months(profile: InvestorProfile, as_of: date, extra_years: int = 0) -> int:
    """Months until the last goal ends, rounded up to whole years, plus ``extra_years``."""
    end = max(goal_end_step(g, as_of) for g in profile.goals)
    return 12 * (-(-end // 12) + extra_years)


def goal_withdrawals(goal: Goal, as_of: date, n_steps: int) -> FloatArray:
    """``goal``'s withdrawal in each month, ndarray (n_steps,): the amount (today's money, or
    nominal when the goal is not inflation-adjusted) in its due month(s), zero elsewhere."""
    out = np.zeros(n_steps)
    due = goal_due_step(goal, as_of)
    if goal.kind is GoalKind.INCOME:
        out[due:due + 12 * goal.duration_years:12] = goal.amount
    else:
        out[due] = goal.amount
    return out


def goal_contributions(goal: Goal, as_of: date, n_steps: int) -> FloatArray:
    """``goal``'s planned deposits in each month, ndarray (n_steps,), currency units as the
    simulation deposits them: a twelfth of its yearly contribution (growing by
    ``contribution_growth`` each year) until it falls due, zero from then on."""
    due = min(goal_due_step(goal, as_of), n_steps)
    t = np.arange(n_steps)
    c = goal.annual_contribution / 12 * (1 + goal.contribution_growth) ** (t // 12)
    c[due:] = 0.0
    return c
