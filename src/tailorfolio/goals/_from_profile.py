"""Turn an investor profile, a market and an allocation into a :class:`SimulationSpec`.

Conventions (stated in the README):

* Goal dates count from the profile's ``as_of`` (fractional years, rounded to the month).
* A lump-sum goal withdraws its amount at its date; an income goal withdraws ``amount`` at the
  start of each of its ``duration_years`` years (the Bengen / Trinity convention). Amounts
  are net of tax, in today's money (inflated along each path) unless ``inflation_adjusted``
  is false.
* Each goal's ``annual_contribution`` is saved monthly (``/12``) from today until the goal's
  date, growing by ``contribution_growth`` every year, in nominal money; deposits go to the
  account types in proportion to the accounts' own ``annual_contribution`` (all to taxable
  when none is given).
* Household mode (default): one pot holds every account and funds every goal, goals falling
  due in the same month are paid in priority order (essential, important, aspirational, then
  by date). Dedicated mode: each goal has its own sub-portfolio (a sleeve) holding its
  ``current_savings`` (unearmarked wealth goes to the highest-priority, latest goal), or the
  amounts the plan funded (``SimulationOptions.sleeve_amounts``); pots that fund no goal
  (the plan's reserve and long-term money) come from ``SimulationOptions.extra_pots``.
* Income streams (Social Security, pensions, annuities, part-time work) pay income goals'
  withdrawals in the years they pay, before the portfolio is drawn on (:mod:`tailorfolio.goals.
  _income`): inflation-adjusted streams in today's money, nominal ones growing by their COLA.
* Fees: each fund's expense ratio plus an advisory fee (default 25 bps a year, the usual robo-
  adviser fee).
* Taxes on withdrawals: long-term gains (+ NIIT) + state on the gain share of taxable sales,
  ordinary + state on traditional withdrawals (+10 % before age 59½), Roth free, at the
  household's marginal rates from the tax tables and filing status
  (:func:`tailorfolio.tax.marginal_rates`, the same rates the tax stage uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from tailorfolio.market._market import Market
from tailorfolio.profile._enums import PRIORITY_WEIGHT, AccountType, GoalKind, GoalPriority
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._stream_income import income_flows
from tailorfolio.profile._timeline import (  # re-exported: the goals' month grid
    PRIORITY_RANK,
    as_of_year,
    goal_contributions,
    goal_due_step,
    goal_end_step,
    goal_withdrawals,
    horizon_months,
)
from tailorfolio.simulate._spec import GoalSchedule, Pot, SimulationSpec, TaxTreatment
from tailorfolio.tax._tables import MarginalRates, marginal_rates
from tailorfolio.typing import FloatArray


class WeightsSchedule(Protocol):
    """A goal's allocation over time that adapts to the simulated horizon (a plan's sleeve)."""

    def weights_for(self, goal: Goal, as_of: date, n_steps: int) -> FloatArray:
        """Target weights for each month, ndarray (n_steps, n_assets)."""
        ...


class HouseholdSchedule(Protocol):
    """The household's allocation over time, recomputed for a (possibly changed) profile."""

    def household_weights(self, profile: InvestorProfile, as_of: date, n_steps: int
                          ) -> FloatArray:
        """Target weights for each month, ndarray (n_steps, n_assets)."""
        ...

DEFAULT_ADVISORY_FEE_BPS = 25.0
"""Advisory fee assumed when none is given: 0.25 % a year (Betterment's and Wealthfront's
published standard fee)."""

_TYPE_INDEX = {AccountType.TAXABLE: 0, AccountType.TRADITIONAL: 1, AccountType.ROTH: 2}


@dataclass(frozen=True)
class SimulationOptions:
    """How a profile is simulated.

    Attributes
    ----------
    mode : str
        ``household`` (one pot funds every goal) or ``dedicated`` (one pot per goal).
    advisory_fee_bps : float
    rebalance_every_months : int
        12 (yearly, default), 3, 1, or 0 for never.
    extra_years : int
        Years simulated after the last goal ends (0).
    priority_reserve : bool
        Strict priority in household mode: a goal is paid only from wealth above the present
        value (at the allocation's expected real return) of the later withdrawals of
        higher-priority goals. Off by default: goals are paid as they fall due, higher priority
        first within a month.
    sleeve_amounts : tuple of (goal name, amount), optional
        Dedicated mode: today's money in each goal's sleeve (the plan's funding); goals not
        named start empty. Default: each goal's ``current_savings``, the rest to one goal.
    extra_pots : tuple of (name, amount, weights)
        Dedicated mode: pots that fund no goal (a cash reserve, long-term money), with a
        constant allocation (one weight per asset).
    """

    mode: str = "household"
    advisory_fee_bps: float = DEFAULT_ADVISORY_FEE_BPS
    rebalance_every_months: int = 12
    extra_years: int = 0
    priority_reserve: bool = False
    sleeve_amounts: tuple[tuple[str, float], ...] | None = None
    extra_pots: tuple[tuple[str, float, tuple[float, ...]], ...] = ()


def account_balances(profile: InvestorProfile, market: Market) -> tuple[FloatArray, float]:
    """Household money per account type (taxable, traditional, Roth) and the taxable basis."""
    bal = np.zeros(3)
    basis = 0.0
    for acct in profile.accounts:
        prices = {lot.asset: market.price_of(lot.asset) for lot in acct.lots}
        bal[_TYPE_INDEX[acct.type]] += acct.value(prices)
        if acct.type is AccountType.TAXABLE:
            basis += acct.cash + sum(lot.cost_basis for lot in acct.lots)
    return bal, basis


def contribution_split(profile: InvestorProfile) -> FloatArray:
    """Share of new savings going to taxable / traditional / Roth accounts."""
    split = np.zeros(3)
    for acct in profile.accounts:
        split[_TYPE_INDEX[acct.type]] += acct.annual_contribution
    return split / split.sum() if split.sum() > 0 else np.array([1.0, 0.0, 0.0])


def tax_treatment(profile: InvestorProfile, as_of: date,
                  rates: MarginalRates | None = None) -> TaxTreatment:
    """Withdrawal tax rates of ``profile``: the household's marginal rates (the tax stage's,
    from the tax tables and filing status, or ``profile.tax_rates``), state tax included and
    NIIT on gains."""
    r = rates or marginal_rates(profile, as_of.year)
    months_to_59_5 = max(0, int(round(12 * (59.5 - profile.age))))
    return TaxTreatment(ordinary_rate=r.ordinary + r.state,
                        capital_gains_rate=r.long_term + r.niit + r.state,
                        penalty_before_step=months_to_59_5)


def spec_from_profile(profile: InvestorProfile, market: Market,
                      weights: FloatArray | dict[str, FloatArray | WeightsSchedule]
                      | HouseholdSchedule, as_of: date,
                      options: SimulationOptions | None = None) -> SimulationSpec:
    """The simulation of ``profile`` holding ``weights``.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market
        Prices value the accounts; the universe gives expense ratios and the asset order.
    weights : ndarray (n_assets,) or (n_steps, n_assets), or dict of goal name to such
        Household target (or glide path); in dedicated mode a dict gives each goal's own
        allocation (goals not in it use ``weights[""]`` if present).
    as_of : date
    options : SimulationOptions, optional

    Returns
    -------
    SimulationSpec
    """
    opts = options or SimulationOptions()
    n_steps = horizon_months(profile, as_of, opts.extra_years)
    if hasattr(weights, "household_weights"):
        # A plan's policy: the household target over time, recomputed for this profile.
        weights = np.asarray(weights.household_weights(profile, as_of, n_steps), float)
    tickers = tuple(market.universe.tickers)
    goals = list(profile.goals)
    bal, basis = account_balances(profile, market)
    split = contribution_split(profile)
    expense = np.array([market.universe[t].expense_ratio for t in tickers], float)

    def w_for(name: str) -> FloatArray:
        if isinstance(weights, dict):
            w = weights.get(name, weights.get(""))
            goal = next((g for g in goals if g.name == name), None)
            if goal is not None and hasattr(w, "weights_for"):
                return np.asarray(w.weights_for(goal, as_of, n_steps), float)
            return np.asarray(w, float)
        return np.asarray(weights, float)

    schedules = []
    if opts.mode == "household":
        contrib = sum(goal_contributions(g, as_of, n_steps) for g in goals)
        pots = (Pot("household", w_for("household"), bal, basis, np.asarray(contrib, float),
                    split),)
        wds = [goal_withdrawals(g, as_of, n_steps) for g in goals]
        reserves: list[FloatArray | None] = [None] * len(goals)
        if opts.priority_reserve:
            a = market.assumptions
            w0 = np.asarray(w_for("household"), float)
            w0 = w0 if w0.ndim == 1 else w0[0]
            real = float(w0 @ a.expected_return.to_numpy(float)) - a.inflation
            disc = (1 + real) ** (-np.arange(n_steps) / 12)
            for j, g in enumerate(goals):
                higher = [wds[h] for h, o in enumerate(goals)
                          if PRIORITY_RANK[o.priority] < PRIORITY_RANK[g.priority]]
                if higher:
                    flows = np.sum(higher, axis=0) * disc
                    later = np.cumsum(flows[::-1])[::-1]  # sum over s >= t
                    reserves[j] = np.append(later[1:], 0.0) / disc  # s > t, valued at t
        for j, g in enumerate(goals):
            schedules.append(GoalSchedule(g.name, 0, PRIORITY_RANK[g.priority], wds[j],
                                          g.kind.value, PRIORITY_WEIGHT[g.priority],
                                          nominal=not g.inflation_adjusted,
                                          reserve_real=reserves[j]))
    else:
        total = float(bal.sum())
        if opts.sleeve_amounts is not None:
            funded = dict(opts.sleeve_amounts)
            saved = np.array([funded.get(g.name, 0.0) for g in goals], float)
        else:
            saved = np.array([g.current_savings for g in goals], float)
            if saved.sum() > total > 0:
                saved *= total / saved.sum()
            residual_goal = min(range(len(goals)), key=lambda j: (
                PRIORITY_RANK[goals[j].priority], -goal_end_step(goals[j], as_of)))
            saved[residual_goal] += max(0.0, total - saved.sum())
        share = bal / total if total > 0 else np.array([1.0, 0.0, 0.0])

        def balance_of(name: str, amount: float) -> tuple[FloatArray, float]:
            frac = amount / total if total > 0 else 0.0
            return share * amount, basis * frac

        pots_list = []
        for j, g in enumerate(goals):
            b, pot_basis = balance_of(g.name, float(saved[j]))
            pots_list.append(Pot(g.name, w_for(g.name), b, pot_basis,
                                 goal_contributions(g, as_of, n_steps), split))
            schedules.append(GoalSchedule(g.name, j, PRIORITY_RANK[g.priority],
                                          goal_withdrawals(g, as_of, n_steps), g.kind.value,
                                          PRIORITY_WEIGHT[g.priority],
                                          nominal=not g.inflation_adjusted))
        for name, amount, w_extra in opts.extra_pots:
            b, pot_basis = balance_of(name, amount)
            pots_list.append(Pot(name, np.asarray(w_extra, float), b, pot_basis,
                                 np.zeros(n_steps), split))
        pots = tuple(pots_list)
    income_months = np.flatnonzero(np.sum(
        [goal_withdrawals(g, as_of, n_steps) for g in goals if g.kind is GoalKind.INCOME]
        or [np.zeros(n_steps)], axis=0) > 0)
    income = income_flows(profile, income_months, n_steps)
    return SimulationSpec(tickers, n_steps, pots, tuple(schedules), expense,
                          opts.advisory_fee_bps, opts.rebalance_every_months,
                          tax_treatment(profile, as_of),
                          income_real=income.real if income.any else None,
                          income_nominal=income.nominal if income.any else None)


def household_total(profile: InvestorProfile, market: Market) -> float:
    """Value of every account at the market's prices, currency units."""
    return float(account_balances(profile, market)[0].sum())
