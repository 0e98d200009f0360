"""The plan stage that adds goal outcomes, the goal-based allocation, the DP policy and the
withdrawal-rate analysis to a :class:`~tailorfolio.planning.Plan`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tailorfolio.errors import OptimizationError
from tailorfolio.goals._allocation import choose_goal_based_allocation
from tailorfolio.goals._dp_profile import compare_dp_static, dp_problem_for_profile
from tailorfolio.goals._from_profile import (
    SimulationOptions,
    as_of_year,
    goal_due_step,
    horizon_months,
    household_total,
    spec_from_profile,
)
from tailorfolio.goals._outcomes import (
    TARGET_PROBABILITY,
    GoalOutcome,
    goal_outcome,
    weighted_success,
)
from tailorfolio.goals._raise import MAX_DELAY_YEARS, raise_levers
from tailorfolio.goals._withdrawal import withdrawal_analysis
from tailorfolio.market._market import Market
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.profile._enums import GoalKind
from tailorfolio.simulate._engine import simulate
from tailorfolio.simulate._history import us_historical_model
from tailorfolio.simulate._returns import LognormalModel, freeze

if TYPE_CHECKING:
    from tailorfolio.planning._build import PlanContext
    from tailorfolio.planning._plan import Plan


@dataclass(frozen=True)
class GoalsSettings:
    """How much work the goals stage does.

    Attributes
    ----------
    n_paths : int
        Paths for the reported probabilities (standard error ≤ 1.1 % at 2,000).
    solver_paths : int
        Paths (stored once, replayed) for the what-would-raise search and the allocation
        comparison.
    candidates : int
        Frontier portfolios within the risk ceiling compared by the goal-based rules and the DP.
    seed : int
    levers, allocation, dynamic, withdrawal : bool
        Which analyses to run.
    dp_grid_points : int
        Wealth-grid points of the investor's DP (400 keeps a 60-year problem near a
        second; the forward-simulated probabilities reported next to it are unbiased).
    options : SimulationOptions
    """

    n_paths: int = 2000
    solver_paths: int = 500
    candidates: int = 8
    seed: int = 0
    levers: bool = True
    allocation: bool = True
    dynamic: bool = True
    withdrawal: bool = True
    dp_grid_points: int = 400
    options: SimulationOptions = dataclasses.field(default_factory=SimulationOptions)


def _frontier_candidates(ctx: PlanContext, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to ``n`` frontier portfolios under the investor's constraints and risk ceiling."""
    a = ctx.market.assumptions
    opt = PortfolioOptimizer(solvers=ctx.settings.solvers)
    cs = ctx.constraints.with_volatility_cap(None)
    fr = opt.frontier(a.expected_return, a.covariance, cs, n_points=4 * n,
                      risk_free_rate=a.risk_free_rate)
    ok = np.flatnonzero(fr.volatility <= ctx.risk.max_volatility + 1e-9)
    if len(ok) == 0:
        ok = np.array([0])
    pick = np.unique(np.round(np.linspace(ok[0], ok[-1], min(n, len(ok)))).astype(int))
    w = fr.weights.iloc[pick][ctx.market.universe.tickers].to_numpy(float)
    w = np.clip(w, 0.0, None)
    w /= w.sum(axis=1, keepdims=True)
    return fr.volatility[pick], fr.expected_return[pick], w


def _withdrawal_section(ctx: PlanContext, weights: np.ndarray, market: Market,
                        settings: GoalsSettings) -> dict[str, Any] | None:
    goal = next((g for g in sorted(ctx.profile.goals, key=lambda g: g.priority != "essential")
                 if g.kind is GoalKind.INCOME), None)
    if goal is None:
        return None
    uni = market.universe
    er = np.array([uni[t].expense_ratio for t in uni.tickers])
    fee = settings.options.advisory_fee_bps
    years = goal.duration_years
    mc = withdrawal_analysis(weights, LognormalModel.from_assumptions(market.assumptions, uni),
                             years, expense_ratio=er, advisory_fee_bps=fee,
                             n_paths=settings.n_paths, seed=settings.seed)
    hist = withdrawal_analysis(weights, us_historical_model(uni), years, expense_ratio=er,
                               advisory_fee_bps=fee)
    wealth = household_total(ctx.profile, market)
    starts_in = goal.years_until(as_of_year(ctx.as_of))
    # The planned rate on today's wealth only means something when the income starts now.
    planned = goal.amount / wealth if wealth > 0 and starts_in <= 1.0 else None
    worst_year, worst_rate = hist.worst()
    swr_mc, swr_hist = mc.sustainable_rate(0.90), hist.sustainable_rate(0.90)
    return {
        "goal": goal.name, "years": years, "success_level": 0.90,
        "starts_in_years": starts_in,
        "planned_rate_today": planned,
        "wealth_needed_at_start_mc": goal.amount / swr_mc if swr_mc > 0 else None,
        "wealth_needed_at_start_historical": goal.amount / swr_hist if swr_hist > 0 else None,
        "mc_sustainable_rate": swr_mc,
        "mc_success_at_planned": None if planned is None else mc.success_rate(planned),
        "mc_success_at_4pct": mc.success_rate(0.04),
        "historical_sustainable_rate": swr_hist,
        "historical_success_at_planned": None if planned is None else hist.success_rate(planned),
        "historical_success_at_4pct": hist.success_rate(0.04),
        "historical_windows": len(hist.max_rates),
        "historical_first_start": hist.labels[0] if hist.labels else None,
        "historical_last_start": hist.labels[-1] if hist.labels else None,
        "historical_worst_start": worst_year, "historical_worst_rate": worst_rate,
        "note": "pre-tax, inflation-adjusted withdrawals at the start of each year from the "
                "plan's allocation today, fees deducted; historical = every overlapping window "
                "of US 1928-2024 (Damodaran) mapped to the universe by asset class",
    }


def goals_stage(ctx: PlanContext, plan: Plan, settings: GoalsSettings | None = None) -> Plan:
    """Add the goals section to ``plan``.

    Fills ``plan.goal_outcomes`` (one :class:`GoalOutcome` per goal, with what would raise it
    to its priority's target) and ``plan.extras["goals"]`` (simulation settings, fan chart,
    goal-based allocation, DP versus best static portfolio, withdrawal rates).
    """
    s = settings or GoalsSettings()
    prof, market = ctx.profile, ctx.market
    if s.n_paths <= 0 or not prof.goals:
        return plan
    weights = np.array([plan.weights[t] for t in market.universe.tickers], float)
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    spec = spec_from_profile(prof, market, weights, ctx.as_of, s.options)
    result = simulate(spec, model, s.n_paths, s.seed)
    y0 = as_of_year(ctx.as_of)
    months = horizon_months(prof, ctx.as_of) + 12 * MAX_DELAY_YEARS
    replay = freeze(model, months, s.solver_paths, s.seed + 1)
    outcomes: list[GoalOutcome] = []
    for j, g in enumerate(prof.goals):
        out = goal_outcome(result, j, priority=g.priority.value,
                           due_year=y0 + goal_due_step(g, ctx.as_of) / 12, amount=g.amount)
        target = TARGET_PROBABILITY[g.priority.value]
        if s.levers and out.probability < target:
            levers = raise_levers(prof, market, weights, ctx.as_of, j, target, replay,
                                  n_paths=s.solver_paths, options=s.options)
            out = dataclasses.replace(out, levers=levers)
        outcomes.append(out)
    fan = result.fan_chart()
    section: dict[str, Any] = {
        "model": model.name, "n_paths": result.n_paths, "seed": s.seed,
        "mode": s.options.mode, "advisory_fee_bps": s.options.advisory_fee_bps,
        "rebalance_every_months": s.options.rebalance_every_months,
        "fan_chart_real": {str(y): {c: float(fan.loc[y, c]) for c in fan.columns}
                           for y in fan.index},
    }
    warnings = list(plan.warnings)
    if s.allocation or s.dynamic:
        try:
            vols, rets, cand_w = _frontier_candidates(ctx, s.candidates)
        except OptimizationError as exc:
            warnings.append(f"Goal-based allocation skipped: {exc}")
            vols = None
        if vols is not None and s.allocation:
            alloc = choose_goal_based_allocation(prof, market, ctx.as_of, vols, rets, cand_w,
                                                 replay, n_paths=s.solver_paths,
                                                 options=s.options)
            section["allocation"] = alloc.summary()
            # The plan itself on the same stored paths, for a like-for-like comparison.
            section["allocation"]["plan_weighted_success"] = weighted_success(
                simulate(spec, replay, s.solver_paths))
        if vols is not None and s.dynamic:
            er = np.array([market.universe[t].expense_ratio for t in market.universe.tickers])
            problem, tgt = dp_problem_for_profile(prof, market, ctx.as_of, rets, vols,
                                                  cand_w @ er,
                                                  advisory_fee_bps=s.options.advisory_fee_bps)
            cmp_ = compare_dp_static(problem, prof.goals[tgt].name, rets, vols,
                                     n_paths=20_000, seed=s.seed, n_grid=s.dp_grid_points)
            section["dynamic"] = cmp_.summary()
    if s.withdrawal:
        wd = _withdrawal_section(ctx, weights, market, s)
        if wd is not None:
            section["withdrawal"] = wd
    return dataclasses.replace(plan, goal_outcomes=tuple(outcomes),
                               extras={**plan.extras, "goals": section},
                               warnings=tuple(dict.fromkeys(warnings)))
