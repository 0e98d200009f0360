"""What-if: re-simulate a plan's goals for changed inputs on the plan's own random numbers.

An advisor moves a slider (annual saving, retirement age, spending in retirement, risk level,
a goal's amount) and wants the change in each goal's probability *now*, without making a new
plan. :class:`WhatIf` keeps everything the plan decided and changes one thing at a time:

* **Cash flows** (saving, retirement age, spending, goal amounts) change the simulation's
  deposits and withdrawals only. The household's target weights month by month stay the
  plan's (the sleeves' glide paths and today's money in each sleeve, projected for the plan's
  own profile), so the answer is "the same portfolio policy, different money in and out".
* **Risk level** moves every sleeve's stocks cap along the plan's portfolio family
  (:class:`~tailorfolio.allocation.PortfolioFamily`: interpolation between solved portfolios,
  no new optimization). The cap is the ladder's stocks share for the level, limited by the
  family's feasible range and the level's volatility guard, exactly as the plan computes it
  (:func:`tailorfolio.planning.prepare`). The emergency reserve stays in cash.

Common random numbers: every evaluation replays the same standard normals as the plan's goals
stage (same return model, seed and path count), so with unchanged inputs the probabilities are
the plan's exactly and a change in probability is caused by the change in inputs, not by
sampling noise (Glasserman 2004, *Monte Carlo Methods in Financial Engineering*, sec. 4.2). The
draws are stored once (float64, :data:`MAX_STORED_DRAWS_BYTES` at most) after checking that
replaying them reproduces the seeded simulation (every path's success identical, wealth to
rounding, :data:`REPLAY_RTOL`); otherwise (or when a change
lengthens the horizon past the stored months) each evaluation re-draws from the seed, which is
slower but gives the same numbers.

Retirement age moves the start of every income goal by the change in years and keeps its last
year where it was (a later retirement is fewer years of spending, at least one); the saving
toward it continues until the new start. Annual saving is the household's total planned saving:
each goal's ``annual_contribution`` is scaled in proportion (when nothing is saved today, all of
it goes to the goal that ends last).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tailorfolio.allocation._family import PortfolioFamily
from tailorfolio.allocation._household import HouseholdPolicy
from tailorfolio.allocation._sleeves import LONG_TERM, SleevePolicy
from tailorfolio.errors import ParameterError
from tailorfolio.goals._from_profile import (
    SimulationOptions,
    goal_end_step,
    horizon_months,
    spec_from_profile,
    tax_treatment,
)
from tailorfolio.goals._outcomes import weighted_success
from tailorfolio.limits import MAX_MONEY
from tailorfolio.market._market import Market
from tailorfolio.planning._plan import Plan
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.risk._ladder import rung
from tailorfolio.simulate import (
    LognormalModel,
    ReplayModel,
    ReturnModel,
    SimulationResult,
    SimulationSpec,
    simulate,
)
from tailorfolio.tax._tables import marginal_rates
from tailorfolio.typing import FloatArray

MAX_STORED_DRAWS_BYTES = 256 * 2 ** 20
"""Largest store of replayed draws (float64): 2,000 paths of 16 assets over 50 years is
about 160 MB. Beyond it each evaluation re-draws from the seed (same numbers, slower)."""


@dataclass(frozen=True)
class WhatIfChange:
    """Inputs to change; ``None`` (or a goal not named) keeps the plan's value.

    Attributes
    ----------
    annual_saving : float, optional
        The household's planned saving per year over all goals, currency units (>= 0).
    retirement_age : int, optional
        Age at which the income goals start (30–100).
    retirement_spending : float, optional
        Spending per year in retirement over all income goals, today's money (> 0).
    risk_level : int, optional
        1–10.
    goal_amounts : mapping of goal name to float
        A goal's amount (per year for an income goal), currency units (> 0).
    """

    annual_saving: float | None = None
    retirement_age: int | None = None
    retirement_spending: float | None = None
    risk_level: int | None = None
    goal_amounts: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class WhatIfInputs:
    """The plan's own values of everything :class:`WhatIfChange` can change (the sliders'
    starting points); ``retirement_age``/``retirement_spending`` are None without an income
    goal."""

    annual_saving: float
    retirement_age: int | None
    retirement_spending: float | None
    risk_level: int
    goal_amounts: dict[str, float]


@dataclass(frozen=True)
class GoalChange:
    """One goal under the plan and under the what-if.

    Attributes
    ----------
    name, kind, priority : str
    amount : float
        The what-if's amount (per year for income), currency units.
    plan_probability, probability : float
        Chance of meeting the goal in full, decimals.
    """

    name: str
    kind: str
    priority: str
    amount: float
    plan_probability: float
    probability: float

    @property
    def change(self) -> float:
        """``probability - plan_probability``, decimal (0.05 = five points better)."""
        return self.probability - self.plan_probability


@dataclass(frozen=True)
class WhatIfResult:
    """The goals under a what-if, next to the plan, on the same simulated markets.

    Attributes
    ----------
    goals : tuple of GoalChange
    inputs : WhatIfInputs
        The values evaluated (the plan's where the change named none).
    equity_share_now, plan_equity_share_now : float
        Household stocks share today, decimals.
    expected_return_now, plan_expected_return_now : float
        Annual arithmetic expected return of today's household target, decimals.
    weighted_success, plan_weighted_success : float
        Priority-weighted mean probability, decimals.
    n_paths, seed : int
    weights_now : dict of str to float
        Today's household target under the what-if (ticker → weight).
    volatility_now : float
        Annual volatility of ``weights_now``, decimal.
    """

    goals: tuple[GoalChange, ...]
    inputs: WhatIfInputs
    equity_share_now: float
    plan_equity_share_now: float
    expected_return_now: float
    plan_expected_return_now: float
    weighted_success: float
    plan_weighted_success: float
    n_paths: int
    seed: int
    weights_now: dict[str, float] = field(default_factory=dict)
    volatility_now: float = 0.0

    def probabilities(self) -> dict[str, float]:
        """Goal name → probability under the what-if."""
        return {g.name: g.probability for g in self.goals}


def cap_for_level(family: PortfolioFamily, level: int) -> float:
    """A sleeve's stocks cap at risk ``level``: the ladder's share, within the family's range
    and the level's volatility guard (the rule of :func:`tailorfolio.planning.prepare`)."""
    r = rung(level)
    if not family.has_equity_class:
        return float(family.min_share)
    cap = min(r.equity_share, family.max_share,
              max(family.highest_share_within(r.max_volatility), family.min_share))
    return float(max(cap, family.min_share))


def _retirement_goals(profile: InvestorProfile) -> list[int]:
    return [j for j, g in enumerate(profile.goals) if g.kind is GoalKind.INCOME]


def _can_move_retirement(profile: InvestorProfile) -> bool:
    """Retirement age is a lever only before retiring and with an income goal."""
    return bool(_retirement_goals(profile)) and profile.age < profile.retirement_age


def _check_money(value: float, what: str, *, positive: bool) -> float:
    v = float(value)
    ok = np.isfinite(v) and (v > 0 if positive else v >= 0) and v <= MAX_MONEY
    if not ok:
        raise ParameterError(
            f"{what} must be {'above' if positive else 'at least'} 0 and at most "
            f"{MAX_MONEY:,.0f}; got {value!r}.", field=what, value=value,
            expected=f"a number in {'(' if positive else '['}0, {MAX_MONEY:,.0f}]",
            fix="move the slider back into its range")
    return v


def apply_change(profile: InvestorProfile, change: WhatIfChange, as_of: date
                 ) -> InvestorProfile:
    """``profile`` with the cash flows of ``change`` (saving, retirement age, spending, goal
    amounts; the risk level is not a cash flow and is ignored here).

    Raises
    ------
    ParameterError
        A value out of range, a goal name the profile does not have, or a retirement age
        without an income goal.
    """
    goals = list(profile.goals)
    names = {g.name for g in goals}
    for name, amount in change.goal_amounts.items():
        if name not in names:
            raise ParameterError(
                f"The plan has no goal named {name!r}; its goals are {sorted(names)}.",
                field="goal_amounts", value=name, fix="use one of the plan's goal names")
        v = _check_money(amount, f"goal_amounts[{name!r}]", positive=True)
        goals = [g.model_copy(update={"amount": v}) if g.name == name else g for g in goals]
    income = _retirement_goals(profile)
    if (change.retirement_spending is not None or change.retirement_age is not None) \
            and not income:
        raise ParameterError(
            "This plan has no retirement (income) goal, so retirement age and spending "
            "cannot be changed.", field="retirement_age",
            fix="add an income goal to the profile, or leave these inputs unchanged")
    if change.retirement_spending is not None:
        total = sum(goals[j].amount for j in income)
        v = _check_money(change.retirement_spending, "retirement_spending", positive=True)
        goals = [g.model_copy(update={"amount": g.amount * v / total}) if j in income else g
                 for j, g in enumerate(goals)]
    age = profile.retirement_age
    if change.retirement_age is not None and change.retirement_age != age:
        if not _can_move_retirement(profile):
            raise ParameterError(
                f"{profile.name} is {profile.age} and retires at {age}: the retirement age "
                "is not a lever any more.", field="retirement_age",
                value=change.retirement_age, fix="leave the retirement age unchanged")
        age = int(change.retirement_age)
        if not 30 <= age <= 100:
            raise ParameterError(f"retirement_age must be 30–100; got {change.retirement_age!r}.",
                                 field="retirement_age", value=change.retirement_age,
                                 expected="an integer 30–100", fix="pick an age from 30 to 100")
        goals = [_shift(g, age - profile.retirement_age, as_of) if j in income else g
                 for j, g in enumerate(goals)]
    if change.annual_saving is not None:
        goals = _with_saving(goals, _check_money(change.annual_saving, "annual_saving",
                                                 positive=False), as_of)
    return profile.model_copy(update={"goals": tuple(goals), "retirement_age": age})


def _shift(goal: Goal, years: int, as_of: date) -> Goal:
    """``goal`` starting ``years`` later (earlier when negative), ending where it ended."""
    if years == 0:
        return goal
    y0 = as_of.year + (as_of.timetuple().tm_yday - 1) / 365.25
    start = goal.years_until(y0) + years
    if start <= 0:
        raise ParameterError(
            f"Retiring {-years} years earlier would start {goal.name!r} before today.",
            field="retirement_age", value=years, fix="pick a later retirement age")
    duration = int(min(60, max(1, goal.duration_years - years)))
    update: dict[str, object] = {"duration_years": duration}
    if goal.target_year is not None:
        update["target_year"] = goal.target_year + years
    else:
        update["years"] = float(goal.years) + years if goal.years is not None else start
    return goal.model_copy(update=update)


def _with_saving(goals: list[Goal], total: float, as_of: date) -> list[Goal]:
    now = sum(g.annual_contribution for g in goals)
    if now > 0:
        return [g.model_copy(update={"annual_contribution": g.annual_contribution * total / now})
                for g in goals]
    last = max(range(len(goals)), key=lambda j: goal_end_step(goals[j], as_of))
    return [g.model_copy(update={"annual_contribution": total if j == last else 0.0})
            for j, g in enumerate(goals)]


def _draws(model: LognormalModel, n_steps: int, n_paths: int, seed: int) -> ReplayModel:
    """The per-month log returns and log inflation :func:`tailorfolio.simulate.simulate`
    draws for ``(n_paths, seed)`` (the simulator core's streams, read step by step), stored in
    float64 as a :class:`ReplayModel` (n_steps, n_paths, n_assets)."""
    from tailorfolio.simulate._core import GrowthStream

    n_assets = len(model.tickers)
    log_r = np.empty((n_steps, n_paths, n_assets))
    log_i = np.empty((n_steps, n_paths))
    for t, growth in GrowthStream(model, n_steps, seed, 0, n_paths, n_paths):
        np.log(growth[:n_assets].T, out=log_r[t])
        np.log(growth[n_assets], out=log_i[t])
    return ReplayModel(tuple(model.tickers), log_r, log_i,
                       name=f"{model.name} (stored for what-if)")


REPLAY_RTOL = 1e-9
"""Replayed draws are summed month by month where the seeded run sums normals over quiet
months first, so wealth agrees to rounding (~1e-15 relative), not bit for bit; the stored
draws are used only when every path's success is identical and wealth agrees to this."""


def _same(a: SimulationResult, b: SimulationResult) -> bool:
    return bool(np.array_equal(a.goal_success, b.goal_success)
                and np.allclose(a.final_nominal_wealth, b.final_nominal_wealth,
                                rtol=REPLAY_RTOL, atol=0.0))


@dataclass(frozen=True)
class WhatIf:
    """A plan ready for what-if questions (build with :meth:`from_plan` or
    :meth:`from_inputs`; then :meth:`evaluate` as often as the sliders move).

    Attributes
    ----------
    profile : InvestorProfile
        The profile the plan was made for.
    market : Market
        The plan's resolved market.
    policy : HouseholdPolicy
        The plan's sleeves (policies and today's money in each).
    as_of : date
    risk_level : int
        The plan's risk level.
    n_paths, seed : int
        The plan's goals simulation.
    model : LognormalModel
        The plan's return model.
    stored : ReplayModel or None
        The stored draws (None: re-drawn from the seed on every evaluation).
    plan_probabilities : ndarray of shape (n_goals,)
        The plan's probability per goal, decimals.
    """

    profile: InvestorProfile
    market: Market
    policy: HouseholdPolicy
    as_of: date
    risk_level: int
    n_paths: int
    seed: int
    model: LognormalModel
    stored: ReplayModel | None
    plan_probabilities: FloatArray
    plan_weighted_success: float
    _plan_weights_now: FloatArray

    # --------------------------------------------------------------- construction
    @classmethod
    def from_plan(cls, plan: Plan, profile: InvestorProfile, *, store_draws: bool = True
                  ) -> WhatIf:
        """From a built plan and the profile it was made for.

        Raises
        ------
        ParameterError
            The plan has no goals simulation (``goal_paths=0`` or no goals).
        """
        if plan.goals is None or plan.resolved_policy is None or plan.resolved_market is None:
            raise ParameterError(
                "This plan has no goals simulation, so there is nothing to re-simulate.",
                field="settings.goal_paths", value=0,
                fix="make the plan with goal_paths > 0 and at least one goal")
        return cls.from_policy(profile, plan.resolved_market, plan.resolved_policy,
                               date.fromisoformat(plan.provenance.as_of), int(plan.risk.level),
                               plan.goals.n_paths, plan.goals.seed, store_draws=store_draws)

    @classmethod
    def from_inputs(cls, profile: InvestorProfile, market: Market, settings: PlanSettings,
                    as_of: date | None = None, *, store_draws: bool = True) -> WhatIf:
        """From the plan's recorded inputs without building the whole plan: only the stages
        that decide the sleeves run (no accounts, levers or alternatives)."""
        from tailorfolio.planning._build import prepare
        from tailorfolio.planning._stages import SIMULATION_SEED, household_policy, sleeves_stage
        from tailorfolio.planning._context import PlanDraft

        ctx = prepare(profile, market, settings, as_of)
        if settings.goal_paths <= 0 or not profile.goals:
            raise ParameterError("goal_paths must be positive for a what-if.",
                                 field="settings.goal_paths", value=settings.goal_paths,
                                 fix="use the plan's settings with goal_paths > 0")
        draft = sleeves_stage(PlanDraft(ctx))
        return cls.from_policy(profile, ctx.market, household_policy(draft), ctx.as_of,
                               int(ctx.risk.level), settings.goal_paths, SIMULATION_SEED,
                               store_draws=store_draws)

    @classmethod
    def from_policy(cls, profile: InvestorProfile, market: Market, policy: HouseholdPolicy,
                    as_of: date, risk_level: int, n_paths: int, seed: int, *,
                    store_draws: bool = True) -> WhatIf:
        """From the plan's pieces (see the attributes)."""
        model = LognormalModel.from_assumptions(market.assumptions, market.universe)
        n_steps = horizon_months(profile, as_of)
        weights = policy.household_weights(profile, as_of, n_steps)
        empty = np.zeros(0)
        self = cls(profile, market, policy, as_of, risk_level, n_paths, seed, model, None,
                   empty, 0.0, weights[0])
        spec = self._spec(profile, weights)
        seeded = simulate(spec, model, n_paths, seed)
        stored = None
        size = n_steps * n_paths * (len(model.tickers) + 1) * 8
        if store_draws and size <= MAX_STORED_DRAWS_BYTES:
            candidate = _draws(model, n_steps, n_paths, seed)
            if _same(simulate(spec, candidate, n_paths, seed), seeded):
                stored = candidate
        return dataclasses.replace(self, stored=stored,
                                   plan_probabilities=seeded.goal_success.mean(axis=1),
                                   plan_weighted_success=weighted_success(seeded))

    # ------------------------------------------------------------------- queries
    def inputs(self) -> WhatIfInputs:
        """The plan's values of every input a what-if can change."""
        p = self.profile
        income = _retirement_goals(p)
        return WhatIfInputs(
            annual_saving=float(sum(g.annual_contribution for g in p.goals)),
            retirement_age=p.retirement_age if _can_move_retirement(p) else None,
            retirement_spending=float(sum(p.goals[j].amount for j in income)) if income
            else None,
            risk_level=self.risk_level,
            goal_amounts={g.name: float(g.amount) for g in p.goals})

    def policy_at_level(self, level: int) -> HouseholdPolicy:
        """The plan's sleeves with every stocks cap moved to risk ``level`` (the reserve
        stays in cash); the plan's own policy at its own level."""
        if level == self.risk_level:
            return self.policy
        fam = self.policy.policies[LONG_TERM].family
        cap = cap_for_level(fam, level)
        pols: dict[str, SleevePolicy] = {
            name: pol if pol.fixed_weights is not None else dataclasses.replace(pol,
                                                                                max_share=cap)
            for name, pol in self.policy.policies.items()}
        return dataclasses.replace(self.policy, policies=pols)

    def evaluate(self, change: WhatIfChange | None = None) -> WhatIfResult:
        """Each goal's probability under ``change``, on the plan's simulated markets.

        Raises
        ------
        ParameterError
            An input out of range (see :func:`apply_change`).
        """
        change = change or WhatIfChange()
        level = self.risk_level if change.risk_level is None else change.risk_level
        rung(level)  # a typed error for a level outside 1..10
        changed = apply_change(self.profile, change, self.as_of)
        n_steps = horizon_months(changed, self.as_of)
        policy = self.policy_at_level(int(level))
        # the plan's household target path, projected for the plan's own profile: the cash
        # flows change, the portfolio policy does not
        weights = policy.household_weights(self.profile, self.as_of, n_steps)
        res = self._run(self._spec(changed, weights))
        probs = res.goal_success.mean(axis=1)
        goals = tuple(
            GoalChange(g.name, g.kind.value, g.priority.value, float(g.amount),
                       float(self.plan_probabilities[j]), float(probs[j]))
            for j, g in enumerate(changed.goals))
        uni = self.market.universe
        equity = np.array([uni[t].broad_class == "equity" for t in uni.tickers])
        mu = self.market.assumptions.expected_return.reindex(list(uni.tickers)).to_numpy(float)
        w0, p0 = weights[0], self._plan_weights_now
        base = self.inputs()
        ins = dataclasses.replace(
            base, risk_level=int(level),
            annual_saving=float(sum(g.annual_contribution for g in changed.goals)),
            retirement_age=changed.retirement_age if base.retirement_age is not None else None,
            retirement_spending=None if base.retirement_spending is None else float(
                sum(changed.goals[j].amount for j in _retirement_goals(changed))),
            goal_amounts={g.name: float(g.amount) for g in changed.goals})
        cov = self.market.assumptions.covariance.reindex(
            index=list(uni.tickers), columns=list(uni.tickers)).to_numpy(float)
        return WhatIfResult(goals, ins, float(w0[equity].sum()), float(p0[equity].sum()),
                            float(w0 @ mu), float(p0 @ mu), weighted_success(res),
                            self.plan_weighted_success, res.n_paths, self.seed,
                            {t: float(x) for t, x in zip(uni.tickers, w0, strict=True)},
                            float(np.sqrt(max(float(w0 @ cov @ w0), 0.0))))

    # ------------------------------------------------------------------ internals
    def _spec(self, profile: InvestorProfile, weights: FloatArray) -> SimulationSpec:
        """The goals stage's simulation (:func:`tailorfolio.planning._stages.policy_spec`)
        for ``profile`` holding the monthly targets ``weights``."""
        spec = spec_from_profile(profile, self.market, weights, self.as_of, SimulationOptions())
        rates = marginal_rates(profile, self.as_of.year)
        return dataclasses.replace(spec, tax=tax_treatment(profile, self.as_of, rates))

    def _run(self, spec: SimulationSpec) -> SimulationResult:
        model: ReturnModel = self.model
        if self.stored is not None and spec.n_steps <= self.stored.log_returns.shape[0]:
            model = self.stored
        return simulate(spec, model, self.n_paths, self.seed)


__all__ = ["GoalChange", "WhatIf", "WhatIfChange", "WhatIfInputs", "WhatIfResult",
           "apply_change", "cap_for_level"]
