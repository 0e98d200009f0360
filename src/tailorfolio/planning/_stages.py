"""The plan's stages, in the order the orchestrator (:mod:`._build`) runs them.

Each stage is a function ``PlanDraft -> PlanDraft`` that fills one typed section. They read the
shared :class:`~._context.PlanContext` and earlier sections; none imports the orchestrator.

1. :func:`sleeves_stage` — fund each goal's sleeve, give it its glide path within the risk
   level, let the Monte Carlo pick each path's intensity; the household target is the
   money-weighted sum of the sleeves.
2. :func:`household_stage` — the household allocation and its metrics.
3. :func:`accounts_stage` — asset location per account and the tax-aware transition from
   today's lots.
4. :func:`goals_stage` — simulate the policy the plan recommends (the sleeves' glide paths,
   rebalancing, cash flows, the tax stage's rates); one probability per goal, alternatives
   beside it.
5. :func:`dynamic_stage` — the dynamic policy (the sleeves' glide paths, rebalancing bands).
6. :func:`esg_stage` — the ESG section, when the investor expressed ESG preferences.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import cast

import numpy as np
import pandas as pd

from tailorfolio.allocation._choice import MIN_GAIN, choose_intensities
from tailorfolio.allocation._family import PortfolioFamily
from tailorfolio.allocation._household import HouseholdPolicy
from tailorfolio.allocation._sleeves import (
    FUNDING_RULES,
    LONG_TERM,
    RESERVE,
    SleeveFunding,
    SleevePolicy,
    as_of_year,
    fund_sleeves,
    income_present_value,
    sleeve_glide_path,
)
from tailorfolio.dynamic._plan_policy import (
    DRIFT_ABS_BAND,
    DRIFT_REL_BAND,
    REGIME_OVERLAY_DEFAULT,
    DynamicPolicy,
    GoalGlide,
)
from tailorfolio.errors import InfeasibleError, OptimizationError, SolverError, TaxError
from tailorfolio.esg._cost import has_esg_preferences
from tailorfolio.esg._stage import esg_report
from tailorfolio.goals._dp_profile import DPComparison, compare_dp_static, dp_problem_for_profile
from tailorfolio.goals._from_profile import (
    SimulationOptions,
    goal_due_step,
    horizon_months,
    spec_from_profile,
    tax_treatment,
)
from tailorfolio.goals._outcomes import TARGET_PROBABILITY, goal_outcome, weighted_success
from tailorfolio.goals._raise import MAX_DELAY_YEARS, lever_searches, levers_found
from tailorfolio.profile._stream_cover import StreamCover, stream_cover
from tailorfolio.goals._withdrawal import withdrawal_analysis, withdrawal_analysis_from_growth
from tailorfolio.market._market import Market
from tailorfolio.optimize._optimizer import binding_constraints
from tailorfolio.planning._context import PlanContext, PlanDraft
from tailorfolio.planning._sections import (
    AccountsSection,
    AllocationLine,
    Alternative,
    FanPoint,
    FundingSection,
    GoalsSection,
    HouseholdSection,
    IncomeStreamLine,
    IncomeStreamsSection,
    SleeveSection,
    WithdrawalSection,
)
from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.simulate._concurrent import run_beside
from tailorfolio.simulate._core import log_fee_of
from tailorfolio.simulate._engine import simulate, simulate_many, simulate_with_growth
from tailorfolio.simulate._history import us_historical_model
from tailorfolio.simulate._result import FAN_PERCENTILES, SimulationResult
from tailorfolio.simulate._returns import LognormalModel, ReturnModel, freeze
from tailorfolio.simulate._spec import SimulationSpec
from tailorfolio.tax._plan_stage import plan_accounts
from tailorfolio.tax._tables import marginal_rates
from tailorfolio.typing import FloatArray

WEIGHT_DISPLAY_THRESHOLD = 1e-4
"""Weights below this are shown as zero (solver noise)."""


SIMULATION_SEED = 0

FALLBACK_STORED_PATHS = 500
"""Stored paths for the what-would-raise search when the settings make no choice paths."""


# ---------------------------------------------------------------------------------- helpers

def reserve_weights(ctx: PlanContext) -> FloatArray:
    """The reserve's allocation: the least volatile allowed cash fund (the family's safest
    portfolio when the universe has no cash fund)."""
    uni = ctx.market.universe
    cs = ctx.constraints
    vol = ctx.market.assumptions.volatility
    cash = [i for i, t in enumerate(cs.tickers)
            if uni[t].broad_class == "cash" and cs.upper[i] > 0]
    w = np.zeros(len(cs.tickers))
    if cash:
        w[min(cash, key=lambda i: float(vol[cs.tickers[i]]))] = 1.0
        return w
    return ctx.family.weights_at(ctx.family.min_share)


def household_policy(draft: PlanDraft, policies: dict[str, SleevePolicy] | None = None
                     ) -> HouseholdPolicy:
    """The plan's policy over time from its sleeves (see :mod:`tailorfolio.allocation`)."""
    ctx = draft.ctx
    a = ctx.market.assumptions
    mu = a.expected_return.reindex(list(ctx.family.tickers)).to_numpy(float)
    return HouseholdPolicy(policies if policies is not None else draft.policies,
                           {s.name: s.amount for s in draft.sleeves}, mu, float(a.inflation))


def policy_spec(draft: PlanDraft, policies: dict[str, SleevePolicy] | None = None
                ) -> SimulationSpec:
    """The simulation of what the plan recommends: one household pot following the sum of
    the sleeves over time, every goal paid from it, the tax stage's marginal rates."""
    ctx = draft.ctx
    spec = spec_from_profile(ctx.profile, ctx.market, household_policy(draft, policies),
                             ctx.as_of, SimulationOptions())
    rates = marginal_rates(ctx.profile, ctx.as_of.year)
    return dataclasses.replace(spec, tax=tax_treatment(ctx.profile, ctx.as_of, rates))


def stored_paths(ctx: PlanContext) -> ReturnModel | None:
    """The stored return paths every comparison of this plan replays (common random
    numbers), made once in :func:`~tailorfolio.planning.prepare`."""
    return ctx.stored_paths


def _n_stored(ctx: PlanContext) -> int:
    return ctx.settings.choice_paths or FALLBACK_STORED_PATHS


def _scores(trials: list[tuple[PlanDraft, dict[str, SleevePolicy]]], replay: ReturnModel
            ) -> list[tuple[float, FloatArray]]:
    """Each trial's priority-weighted success and per-goal success on the stored paths. The
    trials differ in their policies' weights alone, so they run side by side
    (:func:`~tailorfolio.simulate._engine.simulate_many`: the numbers of one run each)."""
    results = simulate_many([policy_spec(d, pols) for d, pols in trials], replay,
                            _n_stored(trials[0][0].ctx))
    return [(weighted_success(res), res.goal_success.mean(axis=1)) for res in results]


Score = tuple[float, FloatArray]
ScoreKey = tuple[str, tuple[tuple[str, float], ...]]


def _score_key(rule: str, policies: dict[str, SleevePolicy]) -> ScoreKey:
    """What distinguishes two scored policies within one sleeves stage: the funding rule
    (today's money in each sleeve) and each sleeve's intensity (the rest is the same)."""
    return rule, tuple(sorted((name, float(p.intensity)) for name, p in policies.items()))


def _nonzero(w: FloatArray, tickers: tuple[str, ...] | list[str]) -> dict[str, float]:
    return {t: float(x) for t, x in zip(tickers, w, strict=True)
            if x >= WEIGHT_DISPLAY_THRESHOLD}


def _glide_points(policy: SleevePolicy, years: float, kind: str) -> tuple[tuple[float, float],
                                                                             ...]:
    if policy.glide is None:
        return ((0.0, float(policy.equity_share(0.0))),)
    end = years + (policy.glide.post_goal_years if policy.glide.post_goal_equity is not None
                   else 0.0)
    return tuple((float(t), float(policy.equity_share(years - t)))
                 for t in range(0, int(np.ceil(end)) + 1))


STREAMS_NOTE = (
    "Income streams pay the income goals' spending in the years they pay, before the "
    "portfolio is drawn on; income received while no income goal is paying is assumed spent, "
    "not saved. The money set aside for each income goal is net of this income (present "
    "value at a real 2 %; nominal streams deflated at the plan's expected inflation), and the "
    "Monte Carlo credits the same income on every path.")


STREAM_DEFAULT_NAMES = {"social_security": "Social Security", "pension": "Pension",
                        "annuity": "Annuity", "part_time_work": "Part-time work"}
"""A stream's name in the plan when the profile gives none."""


def streams_section(ctx: PlanContext, cover: StreamCover) -> IncomeStreamsSection | None:
    """The income streams the plan counted on (None when the profile lists none)."""
    prof = ctx.profile
    if not prof.income_streams:
        return None
    goals = {g.name: g for g in prof.goals}
    lines = []
    for stream, paid in zip(prof.income_streams, cover.by_stream, strict=True):
        _, born = prof.age_and_birth_year(stream.owner)
        pays = tuple(name for name, yearly in paid.items() if yearly.any())
        pv = sum(income_present_value(goals[name], ctx.as_of, paid[name]) for name in pays)
        lines.append(IncomeStreamLine(
            stream.name or STREAM_DEFAULT_NAMES.get(stream.kind.value, stream.label),
            stream.kind.value, stream.owner.value, stream.start_age,
            stream.end_age, float(stream.first_year_amount(born)), stream.inflation_adjusted,
            float(stream.cola), pays, float(pv)))
    return IncomeStreamsSection(tuple(lines), float(sum(x.counted_present_value
                                                        for x in lines)), STREAMS_NOTE)


# ----------------------------------------------------------------------------------- stages

def sleeves_stage(draft: PlanDraft) -> PlanDraft:
    """Fund the sleeves and choose each one's path (see :mod:`tailorfolio.allocation`)."""
    ctx = draft.ctx
    prof = ctx.profile
    fam = ctx.family
    tickers = fam.tickers
    wealth = ctx.wealth
    investable = max(0.0, wealth - ctx.reserve_amount)
    y0 = as_of_year(ctx.as_of)
    cap = ctx.max_equity_share
    policies: dict[str, SleevePolicy] = {}
    years: dict[str, float] = {}
    for g in prof.goals:
        glide = sleeve_glide_path(g.kind, g.priority, g.duration_years)
        policies[g.name] = SleevePolicy(fam, glide, 1.0, cap)
        years[g.name] = g.years_until(y0)
    policies[LONG_TERM] = SleevePolicy(fam, None, 1.0, cap)
    policies[RESERVE] = SleevePolicy(fam, None, 1.0, cap, fixed_weights=reserve_weights(ctx))
    cover = stream_cover(prof, ctx.as_of, float(ctx.market.assumptions.inflation))
    draft = dataclasses.replace(draft, policies=policies,
                                income_streams=streams_section(ctx, cover))

    def provisional(rule: str) -> tuple[PlanDraft, tuple[SleeveFunding, ...], float]:
        """The draft with each sleeve's money under funding ``rule``."""
        fundings, surplus = fund_sleeves(prof, investable, ctx.as_of, rule, cover.by_goal)
        rows = [SleeveSection(f.goal, "goal", "", None, f.amount, 0.0, None, cap, 0.0, 1.0,
                              {}, (), (), "") for f in fundings]
        rows += [SleeveSection(RESERVE, "reserve", "", None, ctx.reserve_amount, 0.0, None,
                               0.0, 0.0, 1.0, {}, (), (), ""),
                 SleeveSection(LONG_TERM, "long_term", "", None, surplus, 0.0, None, cap,
                               cap, 1.0, {}, (), (), "")]
        return dataclasses.replace(draft, sleeves=tuple(rows)), fundings, surplus

    choices = {}
    # Scores on the stored paths are deterministic (common random numbers), so a policy
    # scored once is not simulated again: the chosen funding rule at the template intensities
    # is the search's first base trial, each later sleeve's base trial is the state the
    # previous sleeve's choice left, and the final state is the plan the goals stage compares.
    cache: dict[ScoreKey, Score] = {}

    def cached_scores(scored: PlanDraft, rule: str, trials: list[dict[str, SleevePolicy]]
                      ) -> list[Score]:
        keys = [_score_key(rule, pols) for pols in trials]
        todo = {k: pols for k, pols in zip(keys, trials, strict=True) if k not in cache}
        if todo:
            cache.update(zip(todo, _scores([(scored, pols) for pols in todo.values()],
                                           replay)))
        return [cache[k] for k in keys]

    def cached_score(scored: PlanDraft, rule: str, pols: dict[str, SleevePolicy]) -> Score:
        return cached_scores(scored, rule, [pols])[0]

    def rule_scores(rules: tuple[str, ...]) -> list[Score]:
        """The funding rules' scores at the template intensities, side by side."""
        keys = [_score_key(r, policies) for r in rules]
        todo = [(provisional(r)[0], policies) for r, k in zip(rules, keys, strict=True)
                if k not in cache]
        if todo:
            cache.update(zip([k for k in keys if k not in cache], _scores(todo, replay)))
        return [cache[k] for k in keys]

    stored_score: Score | None = None
    rule = FUNDING_RULES[0]
    funding = FundingSection(rule, {}, "Today's money goes to the goals that fall due soonest "
                             "first (no simulation was run to compare the funding rules).")
    draft, fundings, surplus = provisional(rule)
    if prof.goals and ctx.settings.choice_paths > 0:
        replay = stored_paths(ctx)
        assert replay is not None
        scores = {r: sc[0] for r, sc in zip(FUNDING_RULES, rule_scores(FUNDING_RULES),
                                            strict=True)}
        best = max(FUNDING_RULES, key=scores.__getitem__)
        rule = best if scores[best] > scores[FUNDING_RULES[0]] + MIN_GAIN else FUNDING_RULES[0]
        funding = FundingSection(rule, scores, (
            f"Of the ways to split today's money across the goals, '{rule.replace('_', ' ')}' "
            "gives the highest priority-weighted chance of success on the same simulated "
            "markets (" + "; ".join(f"{r.replace('_', ' ')} {scores[r]:.0%}"
                                     for r in FUNDING_RULES) + ")."))
        draft, fundings, surplus = provisional(rule)
        scored = draft
        chosen_rule = rule
        choices = choose_intensities([g.name for g in prof.goals], policies, years,
                                     lambda pols: cached_score(scored, chosen_rule, pols),
                                     lambda trials: cached_scores(scored, chosen_rule, trials))
        for name, ch in choices.items():
            policies[name] = dataclasses.replace(policies[name], intensity=ch.intensity)
        stored_score = cached_score(scored, rule, policies)
    sections: list[SleeveSection] = []
    total = np.zeros(len(tickers))
    for g, f in zip(prof.goals, fundings, strict=True):
        pol = policies[g.name]
        y = years[g.name]
        w = pol.weights_at_years(y)
        total += f.amount * w
        ch = choices.get(g.name)
        reason = (f"{g.priority.value} {g.kind.value.replace('_', ' ')} goal in {y:.1f} years: "
                  + ("glide path for its kind and priority, capped at your risk level's "
                     f"{cap:.0%} stocks" if ch is None else ch.reason))
        sections.append(SleeveSection(
            g.name, g.kind.value, g.priority.value, y, f.amount,
            f.amount / wealth if wealth > 0 else 0.0, f.need_present_value, cap,
            float(pol.equity_share(y)), pol.intensity, _nonzero(w, tickers),
            _glide_points(pol, y, g.kind.value), ch.trials if ch else (), reason,
            income_present_value(g, ctx.as_of, cover.by_goal[g.name])
            if prof.income_streams and g.name in cover.by_goal else None))
    for name, kind, amount, reason in (
            (RESERVE, "reserve", ctx.reserve_amount,
             f"{prof.preferences.cash_reserve_months:g} months of expenses in cash, held in "
             "a taxable account so it can be spent without tax or penalty"),
            (LONG_TERM, "long_term", surplus,
             "money no goal needs yet: your risk level's long-horizon portfolio")):
        pol = policies[name]
        w = pol.weights_at_years(0.0)
        total += amount * w
        share = float(np.sum(w[[i for i, t in enumerate(tickers)
                                if ctx.market.universe[t].broad_class == "equity"]]))
        sections.append(SleeveSection(name, kind, "", None, amount,
                                      amount / wealth if wealth > 0 else 0.0, None,
                                      cap if kind == "long_term" else 0.0, share, 1.0,
                                      _nonzero(w, tickers), ((0.0, share),), (), reason))
    if total.sum() <= 0:
        total = policies[LONG_TERM].weights_at_years(0.0)
    draft = dataclasses.replace(draft, sleeves=tuple(sections), policies=policies,
                                choices=choices, funding=funding, stored_score=stored_score)
    return dataclasses.replace(draft, household=_household(ctx, total / total.sum()))



def _household(ctx: PlanContext, w: FloatArray) -> HouseholdSection:
    uni = ctx.market.universe
    a = ctx.market.assumptions
    tickers = list(ctx.family.tickers)
    w = np.where(w >= WEIGHT_DISPLAY_THRESHOLD, w, 0.0)
    w = w / w.sum()
    mu = a.expected_return.reindex(tickers).to_numpy(float)
    cov = a.covariance.reindex(index=tickers, columns=tickers).to_numpy(float)
    er = float(w @ mu)
    vol = float(np.sqrt(max(w @ cov @ w, 0.0)))
    sharpe = (er - a.risk_free_rate) / vol if vol > 0 else 0.0
    lines = tuple(
        AllocationLine(t, uni[t].name, uni[t].asset_class, uni[t].broad_class, float(w[i]),
                       float(w[i] * ctx.wealth), float(mu[i]), float(a.volatility[t]))
        for i, t in sorted(enumerate(tickers), key=lambda it: -w[it[0]]) if w[i] > 0)
    equity = float(sum(w[i] for i, t in enumerate(tickers) if uni[t].broad_class == "equity"))
    binding = tuple(binding_constraints(w, cov, ctx.constraints))
    return HouseholdSection(lines, {t: float(w[i]) for i, t in enumerate(tickers)}, er, vol,
                            float(sharpe), equity, float(1.0 / np.sum(w ** 2)), binding)


def household_stage(draft: PlanDraft) -> PlanDraft:
    """The household section is formed with the sleeves; this stage checks it is there and
    warns when the constraints kept the level's stocks share out of reach."""
    ctx = draft.ctx
    assert draft.household is not None, "sleeves_stage must run first"
    out = draft
    if ctx.max_equity_share + 1e-6 < ctx.risk.equity_share:
        out = out.warn(
            f"Your risk level {ctx.risk.level} would hold {ctx.risk.equity_share:.0%} stocks "
            f"in long-horizon money; your constraints and the level's volatility guard allow "
            f"at most {ctx.max_equity_share:.0%}.")
    return out


def accounts_stage(draft: PlanDraft) -> PlanDraft:
    """Asset location and the tax-aware transition from today's lots."""
    ctx = draft.ctx
    if ctx.wealth <= 0 or draft.household is None:
        return draft
    excluded = {t: f"excluded by {ex.rule} ({ex.field})"
                for ex in ctx.constraints.exclusions for t in ex.tickers}
    try:
        plans, summary, _ = plan_accounts(
            ctx.profile, ctx.market, draft.household.weights, ctx.as_of,
            reserve_amount=ctx.reserve_amount,
            expected_return=ctx.market.assumptions.expected_return,
            risk_aversion=ctx.risk.risk_aversion, excluded=excluded)
    except (InfeasibleError, SolverError, TaxError) as exc:
        return draft.warn(f"Per-account trades were not computed: {exc}")
    return dataclasses.replace(draft, accounts=AccountsSection(plans, summary)).warn(
        *summary.warnings)


def _model_label(ctx: PlanContext, n_paths: int) -> str:
    rates = marginal_rates(ctx.profile, ctx.as_of.year)
    return (f"Monte Carlo of the plan's own policy: {n_paths:,} lognormal paths of the plan's "
            "expected returns and covariance; each goal's sleeve follows its glide path, "
            "rebalanced yearly, with its contributions and withdrawals, fund expenses and a "
            f"{SimulationOptions().advisory_fee_bps:g} bp advisory fee; withdrawals taxed at "
            f"{rates.ordinary + rates.state:.0%} ordinary / "
            f"{rates.long_term + rates.niit + rates.state:.0%} capital gains ({rates.source})")


def _income_goal(ctx: PlanContext) -> Goal | None:
    """The goal whose withdrawal rates the plan reports: the first income goal, essential
    ones first."""
    return next((g for g in sorted(ctx.profile.goals, key=lambda g: g.priority != "essential")
                 if g.kind is GoalKind.INCOME), None)


def _withdrawal(ctx: PlanContext, draft: PlanDraft, n_paths: int,
                mc_growth: FloatArray | None = None) -> WithdrawalSection | None:
    """The withdrawal-rate section; ``mc_growth`` (years, n_assets + 1, n_paths): the yearly
    growth of the plan's own Monte Carlo paths, when it was recorded (the same lognormal
    model, seed, paths and fees: the Monte Carlo rates are then read off them, not drawn
    again)."""
    goal = _income_goal(ctx)
    if goal is None:
        return None
    uni = ctx.market.universe
    er = np.array([uni[t].expense_ratio for t in uni.tickers])
    fee = SimulationOptions().advisory_fee_bps
    y = goal.years_until(as_of_year(ctx.as_of))
    weights = draft.policies[goal.name].weights_at_years(0.0)
    model = LognormalModel.from_assumptions(ctx.market.assumptions, uni)
    if mc_growth is not None:
        mc = withdrawal_analysis_from_growth(weights, mc_growth, goal.duration_years,
                                             model.name)
    else:
        mc = withdrawal_analysis(weights, model, goal.duration_years, expense_ratio=er,
                                 advisory_fee_bps=fee, n_paths=n_paths, seed=SIMULATION_SEED)
    hist = withdrawal_analysis(weights, us_historical_model(uni), goal.duration_years,
                               expense_ratio=er, advisory_fee_bps=fee)
    sleeve = next(s for s in draft.sleeves if s.name == goal.name)
    spending = goal.amount
    if sleeve.stream_present_value:
        # Income streams pay part of the spending: the portfolio's part, as the level yearly
        # amount with the same present value (what the sleeve was funded for).
        spending -= (sleeve.stream_present_value
                     / income_present_value(goal, ctx.as_of, np.ones(goal.duration_years)))
    planned = spending / sleeve.amount if sleeve.amount > 0 and y <= 1.0 else None
    worst_year, worst_rate = hist.worst()
    return WithdrawalSection(
        goal.name, goal.duration_years, 0.90, y, planned, mc.sustainable_rate(0.90),
        mc.success_rate(0.04), None if planned is None else mc.success_rate(planned),
        hist.sustainable_rate(0.90), hist.success_rate(0.04),
        None if planned is None else hist.success_rate(planned), len(hist.max_rates),
        str(hist.labels[0]) if hist.labels else None,
        str(hist.labels[-1]) if hist.labels else None,
        None if worst_year is None else str(worst_year), float(worst_rate),
        "pre-tax, inflation-adjusted withdrawals at the start of each year from the sleeve's "
        "allocation at the start of the income, fees deducted; historical = every overlapping "
        "window of US 1928-2024 (Damodaran) mapped to the universe by asset class"
        + ("; the planned rate is the spending the income streams do not pay, as a level "
           "yearly amount of the same present value" if sleeve.stream_present_value else ""))


SPECULATION_STANDARD_ERRORS = 3.0
"""A goal's levers are searched before the main Monte Carlo ends (on a free helper thread)
when its probability on the stored paths is below its target plus this many standard errors
of the difference between the two estimates."""


def likely_short(draft: PlanDraft, targets: list[float]) -> tuple[int, ...]:
    """The goals the main Monte Carlo will likely put below their ``targets`` (each goal's
    target probability): those whose probability on the stored paths (the sleeves stage's
    score of the same policy) is below the target or within
    :data:`SPECULATION_STANDARD_ERRORS` standard errors of it. None without a stored score.
    Only a guess of where to spend a free core early: the plan does not depend on it."""
    if draft.stored_score is None:
        return ()
    ctx = draft.ctx
    n_stored, n_main = _n_stored(ctx), max(ctx.settings.goal_paths, 1)
    out = []
    for j, (p, target) in enumerate(zip(draft.stored_score[1].tolist(), targets, strict=True)):
        var = max(p * (1 - p), target * (1 - target))
        if p < target + SPECULATION_STANDARD_ERRORS * np.sqrt(var / n_stored + var / n_main):
            out.append(j)
    return tuple(out)


def goals_stage(draft: PlanDraft) -> PlanDraft:
    """Simulate the policy the plan recommends; one probability per goal."""
    ctx = draft.ctx
    prof = ctx.profile
    n = ctx.settings.goal_paths
    if n <= 0 or not prof.goals:
        return draft
    model = LognormalModel.from_assumptions(ctx.market.assumptions, ctx.market.universe)
    spec = policy_spec(draft)
    only = ctx.probabilities_only
    income = None if only else _income_goal(ctx)
    # The withdrawal rates' Monte Carlo replays this simulation's markets (same model, seed
    # and paths) when the fees agree: their growth is recorded instead of drawn twice.
    uni = ctx.market.universe
    same_fees = np.allclose(
        np.log(spec.monthly_fee_factor()),
        log_fee_of(np.array([uni[t].expense_ratio for t in uni.tickers]),
                   SimulationOptions().advisory_fee_bps, len(spec.tickers)),
        rtol=0.0, atol=1e-15)
    years = (income.duration_years if income is not None and same_fees
             and income.duration_years <= spec.n_years else 0)
    replay = stored_paths(ctx)
    assert replay is not None
    policy = household_policy(draft)
    opts = SimulationOptions()
    targets = [TARGET_PROBABILITY[g.priority.value] for g in prof.goals]

    def main_monte_carlo() -> tuple[SimulationResult, FloatArray]:
        return simulate_with_growth(spec, model, n, SIMULATION_SEED, years)

    def searches_of(j: int) -> tuple[Callable[[], tuple[float, float] | None], ...]:
        return lever_searches(prof, ctx.market, policy, ctx.as_of, j, targets[j], replay,
                              n_paths=_n_stored(ctx), options=opts)

    def alternatives_() -> tuple[Alternative, ...]:
        return () if only else tuple(_alternatives(draft, replay, spec))

    # Neither the alternatives (stored paths; the DP, unless prepare solved it) nor the lever
    # searches (stored paths) read the main Monte Carlo: on a helper thread free now they run
    # beside it, whose time goes mostly to drawing normals without the GIL. The levers are
    # kept only for the goals the Monte Carlo puts below their target, so they start early
    # only for the goals the stored paths put near or below it; a search not started when
    # the Monte Carlo shows it needless is skipped, one already run is dropped (the same plan
    # either way).
    likely = () if only else likely_short(draft, targets)
    needless: set[int] = set()

    def main_done(main: tuple[SimulationResult, FloatArray]) -> None:
        needless.update(j for j in likely
                        if main[0].success_probability(j)[0] >= targets[j])

    def early(j: int, search: Callable[[], tuple[float, float] | None]
              ) -> Callable[[], object]:
        def run() -> object:
            if j in needless:
                return None
            try:
                return search()
            except Exception as exc:  # raised only if the goal turns out to need its levers
                return exc
        return run

    early_searches = [(j, early(j, search)) for j in likely for search in searches_of(j)]
    (result, mc_growth), done = run_beside(
        main_monte_carlo, [*(run for _, run in early_searches), alternatives_],
        after_main=main_done)
    alternatives = cast(tuple[Alternative, ...], done[-1])
    searched: dict[int, list[object]] = {}
    for (j, _), found in zip(early_searches, done, strict=False):
        searched.setdefault(j, []).append(found)
    y0 = as_of_year(ctx.as_of)
    outcomes = []
    for j, g in enumerate(prof.goals):
        out = goal_outcome(result, j, priority=g.priority.value,
                           due_year=y0 + goal_due_step(g, ctx.as_of) / 12, amount=g.amount)
        if out.probability < targets[j] and not only:
            found = searched.get(j) or [search() for search in searches_of(j)]
            for hit in found:
                if isinstance(hit, Exception):
                    raise hit
            levers = levers_found(g, targets[j],
                                  cast(list[tuple[float, float] | None], found))
            out = dataclasses.replace(out, levers=levers)
        outcomes.append(out)
    fan = result.fan_chart(FAN_PERCENTILES)
    fan_points = tuple(FanPoint(int(y), *row)  # rows as Python floats: no per-cell .loc
                       for y, row in zip(fan.index, fan.to_numpy(float).tolist(), strict=True))
    withdrawal = None if only else _withdrawal(ctx, draft, n,
                                               mc_growth if years else None)
    section = GoalsSection(tuple(outcomes), _model_label(ctx, n), result.n_paths,
                           SIMULATION_SEED, weighted_success(result), fan_points,
                           alternatives, withdrawal)
    return dataclasses.replace(draft, goals=section)


def dp_alternative(profile: InvestorProfile, market: Market, family: PortfolioFamily,
                   as_of: date) -> tuple[DPComparison, int] | None:
    """The goal DP the alternatives compare the plan with (the household's whole wealth, the
    family's portfolios, annual steps) and the index of the goal it maximises; None when the
    family has one portfolio or the DP has no solvable problem (the plan itself does not
    depend on it). It reads neither the sleeves nor the stored paths, so
    :func:`~tailorfolio.planning.prepare` can solve it while the paths are drawn."""
    if len(family.shares) < 2:
        return None
    try:
        er = np.array([market.universe[t].expense_ratio for t in family.tickers])
        problem, tgt = dp_problem_for_profile(profile, market, as_of, family.expected_return,
                                              family.volatility, family.weights @ er)
        cmp_ = compare_dp_static(problem, profile.goals[tgt].name, family.expected_return,
                                 family.volatility, n_paths=2_000, seed=SIMULATION_SEED,
                                 n_grid=200, simulate_static=False)
    except (OptimizationError, ValueError):
        return None
    return cmp_, tgt


def _alternatives(draft: PlanDraft, replay: ReturnModel, spec: SimulationSpec
                  ) -> list[Alternative]:
    """Policies the plan did not choose, each next to the plan on the same stored paths."""
    ctx = draft.ctx
    prof = ctx.profile
    out: list[Alternative] = []
    if draft.stored_score is not None:  # the sleeves stage simulated this very policy
        plan_weighted, plan_by_goal = draft.stored_score
    else:
        plan_result = simulate(spec, replay, _n_stored(ctx))
        plan_weighted, plan_by_goal = (weighted_success(plan_result),
                                       plan_result.goal_success.mean(axis=1))
    level_w = ctx.family.weights_at(ctx.max_equity_share)
    one_pot = spec_from_profile(prof, ctx.market, level_w, ctx.as_of, SimulationOptions())
    res = simulate(one_pot, replay, _n_stored(ctx))
    out.append(Alternative(
        "risk level only", f"One portfolio for every goal at your risk level "
        f"({ctx.max_equity_share:.0%} stocks), no sleeves or glide paths: it would change "
        "how much risk each goal takes as its date nears.",
        f"the plan's Monte Carlo on {_n_stored(ctx)} stored paths, both policies",
        "all goals (priority-weighted)", weighted_success(res), plan_weighted))
    dp = ctx.dp_alternative[0] if ctx.dp_alternative is not None else dp_alternative(
        prof, ctx.market, ctx.family, ctx.as_of)
    if dp is not None:
        cmp_, j = dp
        out.append(Alternative(
            "wealth-dependent policy (dynamic programming)",
            f"Re-choose the household's stock share every year from its wealth to "
            f"maximise the chance of '{cmp_.goal}' alone (Das et al. 2020), ignoring the "
            "other goals' sleeves and your risk level's cap: it would take more risk when "
            "behind and less when ahead.",
            "annual lognormal DP on the household's whole wealth",
            cmp_.goal, float(cmp_.dp_simulated[0]),
            float(plan_by_goal[j])))
    return out


def dynamic_stage(draft: PlanDraft) -> PlanDraft:
    """The dynamic policy: each sleeve's glide path and the rebalancing rule."""
    ctx = draft.ctx
    glides = []
    for s in draft.sleeves:
        pol = draft.policies[s.name]
        if pol.glide is None or s.years_to_goal is None:
            continue
        glides.append(GoalGlide(s.name, s.kind, float(s.years_to_goal), pol.glide,
                                s.equity_share_now, s.glide))
    reasons = (
        "Each goal has its own sleeve whose stock share falls as the goal nears (never above "
        f"your risk level's {ctx.max_equity_share:.0%}), so a late market fall cannot wreck a "
        "goal with no time to recover.",
        "The sleeves are rebalanced to their glide paths once a year (the Monte Carlo models "
        f"this); between reviews, rebalance when any weight drifts more than "
        f"{DRIFT_ABS_BAND:.0%} points or {DRIFT_REL_BAND:.0%} of its target.",
        "The market-regime overlay is off: out of sample, after costs, it did not beat simple "
        "allocations (docs/evaluation.md).",
    )
    policy = DynamicPolicy(tuple(glides), DRIFT_ABS_BAND, DRIFT_REL_BAND, REGIME_OVERLAY_DEFAULT,
                           reasons)
    return dataclasses.replace(draft, dynamic=policy)


def household_frame(draft: PlanDraft) -> pd.DataFrame:
    """Sleeves × assets, today's money (for tests and the report)."""
    rows = {s.name: {t: w * s.amount for t, w in s.weights.items()} for s in draft.sleeves}
    return pd.DataFrame(rows).T.fillna(0.0)



def esg_stage(draft: PlanDraft) -> PlanDraft:
    """The ESG section, only when the investor expressed ESG preferences; the reasons of any
    screened fund the plan added are warnings either way (the cost of values comes from the
    orchestrator's baseline run)."""
    ctx = draft.ctx
    draft = draft.warn(*(f.reason for f in ctx.added_funds))
    if not (ctx.esg_always or has_esg_preferences(ctx.profile.preferences)):
        return draft
    assert draft.household is not None
    rep = esg_report(ctx, draft.household, added=ctx.added_funds)
    return dataclasses.replace(draft, esg=rep).warn(*rep.warnings)
