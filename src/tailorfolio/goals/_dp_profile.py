"""The dynamic programme for an investor: the essential goal, every cash flow, the investor's
own constrained frontier up to the risk ceiling; compared with the best static portfolio.

Conventions: real terms (today's money; returns deflated by expected inflation), yearly
steps with goal dates rounded to whole years, fees deducted (expense ratios and the advisory
fee), taxes ignored (the Monte Carlo engine handles them). The target is the highest-priority
goal (the latest one among equals); the other goals' withdrawals and every contribution are
cash flows. A lump-sum target must be reached at its date; an income target succeeds when every
yearly withdrawal is paid (the goal is then "wealth stays positive after the last one").
Income streams pay income goals' withdrawals first, year by year, in today's money: the
income the simulation credits to each withdrawal, goal by goal in its funding order
(:func:`tailorfolio.profile._stream_cover.stream_cover` at the market's expected inflation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from tailorfolio.goals._dp import (
    GoalDPPolicy,
    GoalDPProblem,
    simulate_policy,
    solve_goal_dp,
)
from tailorfolio.goals._from_profile import (
    DEFAULT_ADVISORY_FEE_BPS,
    PRIORITY_RANK,
    as_of_year,
    household_total,
)
from tailorfolio.market._market import Market
from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._stream_cover import stream_cover
from tailorfolio.typing import FloatArray

SURVIVAL_GOAL = 1.0
"""Terminal wealth (currency units) standing for "the money lasted" in income targets."""


@dataclass(frozen=True)
class DPComparison:
    """The DP policy versus static portfolios on the same problem.

    Attributes
    ----------
    goal : str
        Target goal.
    policy : GoalDPPolicy
    dp_probability : float
        Value of the DP at today's wealth.
    dp_simulated : tuple of float
        Forward simulation of the policy: (probability, standard error).
    static_probabilities : ndarray (m,)
        Each static portfolio, same grid.
    best_static : int
    best_static_simulated : tuple of float
        (nan, nan) when not simulated (``compare_dp_static(simulate_static=False)``).
    portfolio_volatility, portfolio_return : ndarray (m,)
        The candidate portfolios (annual, arithmetic, nominal).
    """

    goal: str
    policy: GoalDPPolicy
    dp_probability: float
    dp_simulated: tuple[float, float]
    static_probabilities: FloatArray
    best_static: int
    best_static_simulated: tuple[float, float]
    portfolio_volatility: FloatArray
    portfolio_return: FloatArray

    @property
    def best_static_probability(self) -> float:
        return float(self.static_probabilities[self.best_static])

    def summary(self) -> dict[str, object]:
        """Plain numbers for the plan."""
        return {
            "goal": self.goal,
            "dp_probability": self.dp_probability,
            "dp_simulated_probability": self.dp_simulated[0],
            "dp_simulated_standard_error": self.dp_simulated[1],
            "best_static_probability": self.best_static_probability,
            "best_static_simulated_probability": self.best_static_simulated[0],
            "best_static_volatility": float(self.portfolio_volatility[self.best_static]),
            "best_static_expected_return": float(self.portfolio_return[self.best_static]),
            "n_portfolios": len(self.static_probabilities),
            "years": self.policy.problem.years,
        }


def target_goal_index(profile: InvestorProfile, as_of: date) -> int:
    """Highest-priority goal; among equals the one ending last."""
    y0 = as_of_year(as_of)

    def end(j: int) -> float:
        g = profile.goals[j]
        return g.years_until(y0) + (g.duration_years if g.kind is GoalKind.INCOME else 0)

    return min(range(len(profile.goals)),
               key=lambda j: (PRIORITY_RANK[profile.goals[j].priority], -end(j)))


def dp_problem_for_profile(profile: InvestorProfile, market: Market, as_of: date,
                           portfolio_return: FloatArray, portfolio_volatility: FloatArray,
                           portfolio_expense: FloatArray, *,
                           advisory_fee_bps: float = DEFAULT_ADVISORY_FEE_BPS
                           ) -> tuple[GoalDPProblem, int]:
    """Build the investor's DP problem.

    Parameters
    ----------
    portfolio_return, portfolio_volatility : ndarray (m,)
        Annual arithmetic mean and volatility of each candidate portfolio (nominal).
    portfolio_expense : ndarray (m,)
        Weighted expense ratio of each portfolio.

    Returns
    -------
    problem : GoalDPProblem
    target : int
        Index of the target goal in ``profile.goals``.
    """
    y0 = as_of_year(as_of)
    j = target_goal_index(profile, as_of)
    target = profile.goals[j]
    start = int(round(target.years_until(y0)))
    if target.kind is GoalKind.INCOME:
        years = start + target.duration_years
        goal_wealth = SURVIVAL_GOAL
    else:
        years = max(start, 1)
        goal_wealth = target.amount
    infl = market.assumptions.inflation
    flows = np.zeros(years)
    paid_by_streams = stream_cover(profile, as_of, infl).by_goal
    for i, g in enumerate(profile.goals):
        due = int(round(g.years_until(y0)))
        for y in range(min(due, years)):
            flows[y] += g.annual_contribution * (1 + g.contribution_growth) ** y / (1 + infl) ** y
        if i == j and g.kind is not GoalKind.INCOME:
            continue
        if g.kind is GoalKind.INCOME:
            paid = paid_by_streams[g.name]  # income streams pay first
            for k, y in enumerate(range(due, min(due + g.duration_years, years))):
                flows[y] -= g.amount - min(g.amount, float(paid[k]))
        elif due < years:
            flows[due] -= g.amount
    fee = np.log1p(-np.asarray(portfolio_expense)) + np.log1p(-advisory_fee_bps / 1e4)
    problem = GoalDPProblem.from_arithmetic(
        np.asarray(portfolio_return, float), np.asarray(portfolio_volatility, float),
        deduct=np.log1p(infl) - fee, initial_wealth=household_total(profile, market),
        goal=goal_wealth, years=years, cash_flows=flows,
        labels=tuple(f"vol {v:.1%}" for v in portfolio_volatility))
    return problem, j


def compare_dp_static(problem: GoalDPProblem, goal_name: str, portfolio_return: FloatArray,
                      portfolio_volatility: FloatArray, *, n_paths: int = 20_000,
                      seed: int = 0, n_grid: int | None = None,
                      simulate_static: bool = True) -> DPComparison:
    """Solve the DP, evaluate every static portfolio on the same grid, and verify both by
    forward simulation (the best static portfolio's only when ``simulate_static``; else its
    ``best_static_simulated`` is ``(nan, nan)``: the plan reports the DP's alone)."""
    policy = solve_goal_dp(problem, n_grid)
    statics = policy.static_probabilities
    best = int(np.argmax(statics))
    return DPComparison(
        goal=goal_name, policy=policy, dp_probability=policy.probability,
        dp_simulated=simulate_policy(policy, n_paths, seed),
        static_probabilities=statics, best_static=best,
        best_static_simulated=(simulate_policy(policy, n_paths, seed, static=best)
                               if simulate_static else (float("nan"), float("nan"))),
        portfolio_volatility=np.asarray(portfolio_volatility, float),
        portfolio_return=np.asarray(portfolio_return, float))
