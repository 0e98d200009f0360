"""What a goal still needs from the portfolio, in today's money: its withdrawals less what
the income streams pay toward them (:mod:`tailorfolio.profile._stream_cover`) and less its
planned contributions, discounted at a real rate. One definition for the plan's sleeve
funding (:mod:`tailorfolio.allocation._sleeves`) and risk capacity's funded ratio
(:func:`tailorfolio.risk._scoring.goals_present_value`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._timeline import as_of_year
from tailorfolio.typing import FloatArray

REAL_DISCOUNT_RATE = 0.02
"""Real rate discounting a goal's remaining need to today."""


def income_present_value(goal: Goal, as_of: date, yearly: Sequence[float] | FloatArray,
                         rate: float = REAL_DISCOUNT_RATE) -> float:
    """Present value (today's money) of money paid at the start of each of an income goal's
    years, ``yearly`` (duration_years,), discounted at the real ``rate`` as
    :func:`need_present_value` discounts the goal's withdrawals."""
    start = goal.years_until(as_of_year(as_of))
    return float(sum(float(x) / (1 + rate) ** (start + k) for k, x in enumerate(yearly)))


def need_present_value(goal: Goal, as_of: date, rate: float = REAL_DISCOUNT_RATE,
                       covered: Sequence[float] | FloatArray | None = None) -> float:
    """Present value (today's money) of what ``goal`` still needs: its withdrawals less its
    planned contributions, discounted at the real ``rate``; >= 0.

    ``covered`` (duration_years,), for an income goal: the part of each year's withdrawal the
    household's income streams pay (today's money,
    :func:`tailorfolio.profile._stream_cover.stream_cover`, the income the simulation credits);
    the portfolio needs only the rest.
    """
    start = goal.years_until(as_of_year(as_of))
    if goal.kind is GoalKind.INCOME:
        cover = np.zeros(goal.duration_years) if covered is None else np.asarray(covered, float)
        need = sum((goal.amount - min(float(cover[k]), goal.amount)) / (1 + rate) ** (start + k)
                   for k in range(goal.duration_years))
    else:
        need = goal.amount / (1 + rate) ** start
    contrib = sum(goal.annual_contribution * (1 + goal.contribution_growth) ** k
                  / (1 + rate) ** (k + 1) for k in range(int(math.floor(start))))
    return max(need - contrib, 0.0)
