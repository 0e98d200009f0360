"""Goal sleeves: each dated goal is funded by its own sub-portfolio ("mental account", Das,
Markowitz, Scheid & Statman 2010; Brunel's goals-based wealth management).

* **Funding today.** Money a goal already has (``current_savings``) is its own. The rest of
  the investable wealth (after the emergency reserve) goes to the goals in priority order —
  essential, important, aspirational; nearer goals first within a priority — each up to the
  present value of what it still needs (its withdrawals less its planned contributions and,
  for income goals, less what the household's income streams pay in its years — the income
  the simulation credits — discounted at a real 2 %, the rate the risk profiling uses). What
  no goal needs is long-term money and sits in the risk level's own portfolio.
* **Glide path.** A sleeve's equity share follows a template by goal kind and priority,
  capped by the investor's risk level (never riskier than the level allows):

  - a lump sum (a home, a major purchase) — or an income spent within ten years of its start
    (college tuition) — falls from all-stock 30 years out to 0 % stocks at its date, as
    Betterment's major-purchase and education paths do (90 % at 33+ years → 0 %);
  - retirement income (a stream over more than ten years) keeps growth assets into
    retirement, as target-date funds do: all-stock
    until 25 years out, then a straight decline to 50 % at the start of the income (40 %
    essential, 60 % aspirational), and on to 30 % (25 %, 40 %) seven years in;
  - the priority bends the decline: essential goals de-risk earlier (exponent 1.5 on the
    remaining fraction of the decline), aspirational ones later (0.7).

  The plan may scale a sleeve's path by an *intensity* (×0.5 … ×1.5 of the template's equity
  share, still under the cap) where the Monte Carlo shows that it raises the goal's chance
  (:mod:`tailorfolio.allocation._choice`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from tailorfolio.allocation._family import PortfolioFamily
from tailorfolio.dynamic._glide import GlidePath
from tailorfolio.profile._enums import GoalKind, GoalPriority
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._goal_need import (  # re-exported: the sleeves' funding reads them
    REAL_DISCOUNT_RATE,
    income_present_value,
    need_present_value,
)
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._timeline import as_of_year
from tailorfolio.typing import FloatArray

PRIORITY_ORDER = (GoalPriority.ESSENTIAL, GoalPriority.IMPORTANT, GoalPriority.ASPIRATIONAL)

PRIORITY_CURVATURE = {GoalPriority.ESSENTIAL: 1.5, GoalPriority.IMPORTANT: 1.0,
                      GoalPriority.ASPIRATIONAL: 0.7}
"""Exponent of the decline: > 1 de-risks earlier (essential), < 1 later (aspirational)."""

RETIREMENT_END_EQUITY = {GoalPriority.ESSENTIAL: 0.40, GoalPriority.IMPORTANT: 0.50,
                         GoalPriority.ASPIRATIONAL: 0.60}
RETIREMENT_POST_EQUITY = {GoalPriority.ESSENTIAL: 0.25, GoalPriority.IMPORTANT: 0.30,
                          GoalPriority.ASPIRATIONAL: 0.40}

LONG_TERM = "long-term money"
"""Name of the sleeve holding what no goal needs yet."""
RESERVE = "emergency reserve"
"""Name of the sleeve holding the cash reserve."""


SHORT_INCOME_YEARS = 10
"""An income goal spending over at most this many years (college, a sabbatical) is spent soon
after it starts, so it follows the lump-sum path (Betterment's education path reaches 0 %
stocks at the target date); longer streams (retirement) keep growth assets."""


def sleeve_glide_path(kind: GoalKind, priority: GoalPriority, duration_years: int = 1
                      ) -> GlidePath:
    """The equity-share template of a goal of ``kind``, ``priority`` and (for income goals)
    ``duration_years`` (uncapped)."""
    c = PRIORITY_CURVATURE[priority]
    if kind is GoalKind.INCOME and duration_years > SHORT_INCOME_YEARS:
        return GlidePath(start_equity=1.0, end_equity=RETIREMENT_END_EQUITY[priority],
                         decline_years=25.0, curvature=c,
                         post_goal_equity=RETIREMENT_POST_EQUITY[priority], post_goal_years=7.0)
    return GlidePath(start_equity=1.0, end_equity=0.0, decline_years=30.0, curvature=c,
                     post_goal_equity=None)


@dataclass(frozen=True)
class SleeveFunding:
    """How much of today's wealth a goal's sleeve holds.

    Attributes
    ----------
    goal : str
    amount : float
        Currency units today.
    need_present_value : float
        Present value of the goal's remaining need (see :func:`need_present_value`).
    funded_ratio : float
        ``amount / need_present_value`` (inf when nothing is needed).
    """

    goal: str
    amount: float
    need_present_value: float
    funded_ratio: float


FUNDING_RULES = ("nearest_first", "priority_first", "pro_rata")
"""How unearmarked wealth is split when it cannot cover every goal's need:

* ``nearest_first`` — goals that fall due soonest first (they have the least time to be
  saved for; later goals lean on future contributions), higher priority first in a tie;
* ``priority_first`` — essential goals first, then important, then aspirational (nearest
  first within a priority);
* ``pro_rata`` — every goal gets the same share of its need.

The plan simulates each rule on the same markets and keeps the one with the highest
priority-weighted chance of success (:func:`tailorfolio.planning` sleeves stage)."""


def fund_sleeves(profile: InvestorProfile, investable: float, as_of: date,
                 rule: str = "nearest_first",
                 covered: Mapping[str, Sequence[float] | FloatArray] | None = None
                 ) -> tuple[tuple[SleeveFunding, ...], float]:
    """Split ``investable`` wealth (after the reserve) across the goals.

    Parameters
    ----------
    profile : InvestorProfile
    investable : float
        Currency units.
    as_of : date
    rule : str
        One of :data:`FUNDING_RULES`.
    covered : dict of goal name to ndarray (duration_years,), optional
        The income streams' part of each income goal's yearly withdrawals, today's money
        (:attr:`tailorfolio.profile._stream_cover.StreamCover.by_goal`); each goal's need is
        net of it. Default: no streams.

    Returns
    -------
    (fundings in goal order, surplus)
        The surplus is the long-term money no goal needs yet.
    """
    goals = list(profile.goals)
    cover = covered or {}
    needs = np.array([need_present_value(g, as_of, covered=cover.get(g.name)) for g in goals],
                     float)
    amounts = np.array([g.current_savings for g in goals], float)
    if amounts.sum() > investable > 0:
        amounts *= investable / amounts.sum()
    elif investable <= 0:
        amounts[:] = 0.0
    left = max(0.0, investable - float(amounts.sum()))
    y0 = as_of_year(as_of)
    gaps = np.maximum(needs - amounts, 0.0)
    if rule == "pro_rata":
        give = gaps * min(1.0, left / gaps.sum()) if gaps.sum() > 0 else gaps * 0.0
        amounts += give
        left -= float(give.sum())
    else:
        if rule == "priority_first":
            def key(j: int) -> tuple[float, float]:
                return PRIORITY_ORDER.index(goals[j].priority), goals[j].years_until(y0)
        elif rule == "nearest_first":
            def key(j: int) -> tuple[float, float]:
                return goals[j].years_until(y0), PRIORITY_ORDER.index(goals[j].priority)
        else:
            raise ValueError(f"unknown funding rule {rule!r}; expected one of {FUNDING_RULES}")
        for j in sorted(range(len(goals)), key=key):
            give = min(left, float(gaps[j]))
            amounts[j] += give
            left -= give
    out = tuple(
        SleeveFunding(g.name, float(amounts[j]), float(needs[j]),
                      float(amounts[j] / needs[j]) if needs[j] > 0 else math.inf)
        for j, g in enumerate(goals))
    return out, float(left)


@dataclass(frozen=True)
class SleevePolicy:
    """A sleeve's allocation over time: a point of the portfolio family per month.

    Attributes
    ----------
    family : PortfolioFamily
    glide : GlidePath or None
        None holds ``max_share`` throughout (long-term money, the reserve).
    intensity : float
        Multiplier of the template's equity share (1 = the template).
    max_share : float
        The risk level's cap on this sleeve's equity share.
    fixed_weights : ndarray of shape (n_assets,), optional
        A constant allocation outside the family (the cash reserve).
    """

    family: PortfolioFamily
    glide: GlidePath | None
    intensity: float
    max_share: float
    fixed_weights: FloatArray | None = None

    def equity_share(self, years_to_goal: float | FloatArray) -> FloatArray:
        """Equity share at each ``years_to_goal`` (negative = after the goal's start)."""
        y = np.asarray(years_to_goal, float)
        if self.glide is None:
            s = np.full(y.shape, self.max_share)
        else:
            s = np.minimum(self.intensity * self.glide.equity_share(y), self.max_share)
        return self.family.clip(s)

    def weights_at_years(self, years_to_goal: float | FloatArray) -> FloatArray:
        """Weights at each ``years_to_goal``: (n_assets,) or (m, n_assets)."""
        y = np.asarray(years_to_goal, float)
        if self.fixed_weights is not None:
            w = np.asarray(self.fixed_weights, float)
            return w if y.ndim == 0 else np.tile(w, (len(y), 1))
        return self.family.weights_at(self.equity_share(y))

    def schedule(self, years_to_goal_now: float, n_steps: int) -> FloatArray:
        """Monthly target weights for a simulation, ndarray (n_steps, n_assets)."""
        y = years_to_goal_now - np.arange(n_steps) / 12.0
        return np.atleast_2d(self.weights_at_years(y))

    def weights_for(self, goal: Goal, as_of: date, n_steps: int) -> FloatArray:
        """The schedule of ``goal``'s sleeve from ``as_of`` (the simulation's protocol)."""
        return self.schedule(goal.years_until(as_of_year(as_of)), n_steps)


def source_accounts(amounts: list[tuple[str, float, float]], balances: FloatArray
                    ) -> dict[str, tuple[float, float, float]]:
    """Which accounts each sleeve's money sits in (asset location at the sleeve level).

    Sleeves are served in the order of their first withdrawal (the reserve first): each takes
    taxable money first, then Roth, then tax-deferred, so money needed before retirement is
    not withdrawn from a 401(k)/IRA with the 10 % early-withdrawal penalty and income tax,
    and the tax-deferred money is left to the latest goals (retirement).

    Parameters
    ----------
    amounts : list of (name, amount, years until first withdrawal)
    balances : ndarray of shape (3,)
        Household money in taxable, traditional and Roth accounts.

    Returns
    -------
    dict of name to (taxable, traditional, Roth) amounts
    """
    left = np.asarray(balances, float).copy()
    out: dict[str, tuple[float, float, float]] = {}
    for name, amount, _ in sorted(amounts, key=lambda x: x[2]):
        take = np.zeros(3)
        need = amount
        for k in (0, 2, 1):  # taxable, Roth, traditional
            x = min(need, left[k])
            take[k] += x
            left[k] -= x
            need -= x
        if need > 1e-9:  # more money than the accounts hold (rounding): pro rata
            take += need * balances / max(float(np.sum(balances)), 1e-12)
        out[name] = (float(take[0]), float(take[1]), float(take[2]))
    return out
