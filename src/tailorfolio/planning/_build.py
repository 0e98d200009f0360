"""Build a plan: profile + market → risk level → constraints → optimal portfolio → Plan.

The stages are plain functions called in order by :func:`build_plan`; each later capability
(goals, taxes, ESG reporting) adds a stage that reads the :class:`PlanContext` and contributes
its section of the plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tailorfolio._version import __version__
from tailorfolio.dynamic._plan_policy import dynamic_stage
from tailorfolio.errors import InfeasibleError
from tailorfolio.esg._stage import esg_stage, market_for_profile
from tailorfolio.market._market import Market
from tailorfolio.optimize._constraints import ConstraintSet, constraints_from_preferences
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.optimize._result import Objective, PortfolioResult
from tailorfolio.planning._plan import AllocationLine, ExcludedAsset, Plan, Provenance
from tailorfolio.planning._rationale import rationale
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.risk._scoring import RiskAssessment, assess_risk, household_wealth
from tailorfolio.tax._plan_stage import tax_stage

WEIGHT_DISPLAY_THRESHOLD = 1e-4
"""Weights below this are shown as zero (solver noise)."""


@dataclass
class PlanContext:
    """What the stages share while a plan is built (mutable only inside :func:`build_plan`)."""

    profile: InvestorProfile
    market: Market
    settings: PlanSettings
    as_of: date
    wealth: float
    risk: RiskAssessment
    constraints: ConstraintSet
    result: PortfolioResult | None = None
    warnings: list[str] = field(default_factory=list)


def input_hash(profile: InvestorProfile, market: Market, settings: PlanSettings, as_of: date
               ) -> str:
    """SHA-256 of the canonical JSON of every input that determines the plan."""
    a = market.assumptions
    payload = {
        "profile": profile.model_dump(mode="json"),
        "as_of": as_of.isoformat(),
        "settings": settings.model_dump(mode="json"),
        "universe": market.universe.to_frame().reset_index().to_dict(orient="list"),
        "expected_return": np.round(a.expected_return.to_numpy(), 12).tolist(),
        "volatility": np.round(a.volatility.to_numpy(), 12).tolist(),
        "correlation": np.round(a.correlation.to_numpy(), 12).tolist(),
        "risk_free_rate": a.risk_free_rate,
        "last_prices": market.last_prices,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _prices_for(profile: InvestorProfile, market: Market) -> dict[str, float]:
    market.universe.require(
        profile.held_assets, what="the profile's holdings (accounts[].lots[].asset)",
        fix="use tickers of the market's universe, or pass a market that includes them",
    )
    return {t: market.price_of(t) for t in profile.held_assets}


def prepare(profile: InvestorProfile, market: Market, settings: PlanSettings,
            as_of: date | None = None) -> PlanContext:
    """Stage 1–2: value the accounts, assess risk, build the constraint set."""
    as_of = as_of or profile.as_of or date.today()
    prices = _prices_for(profile, market)
    wealth = household_wealth(profile, prices)
    risk = assess_risk(profile, as_of=as_of, prices=prices)
    warnings: list[str] = []
    if profile.annual_expenses is None:
        warnings.append("annual_expenses was not given; 70 % of income was assumed for the "
                        "emergency reserve and capacity.")
    reserve_amount = profile.preferences.cash_reserve_months * profile.expenses_per_year / 12
    reserve_weight = reserve_amount / wealth if wealth > 0 else 0.0
    if reserve_weight > 1.0:
        warnings.append(
            f"The cash reserve of {profile.preferences.cash_reserve_months:g} months "
            f"({reserve_amount:,.0f}) exceeds the invested wealth ({wealth:,.0f}); the whole "
            "portfolio is held in cash."
        )
        reserve_weight = 1.0
    cs = constraints_from_preferences(
        market.universe, profile.preferences, cash_reserve_weight=reserve_weight,
        max_volatility=risk.max_volatility,
        default_max_weight=settings.max_weight_per_asset,
        default_class_caps=settings.class_caps,
    )
    cs = cs.with_volatility_cap(risk.max_volatility,
                                f"risk level {risk.level} volatility ceiling")
    if market.assumptions.repair is not None:
        msg = market.assumptions.repair.warning("correlation matrix of the assumptions")
        if msg:
            warnings.append(msg)
    return PlanContext(profile, market, settings, as_of, wealth, risk, cs, warnings=warnings)


def optimize_stage(ctx: PlanContext, optimizer: PortfolioOptimizer | None = None) -> None:
    """Stage 3: the optimal household portfolio at the investor's risk level."""
    opt = optimizer or PortfolioOptimizer(solvers=ctx.settings.solvers)
    a = ctx.market.assumptions
    kwargs: dict[str, object] = {}
    obj = ctx.settings.objective
    if obj is Objective.MAX_UTILITY:
        kwargs["risk_aversion"] = ctx.risk.risk_aversion
    elif obj is Objective.TARGET_VOLATILITY:
        kwargs["target"] = ctx.risk.max_volatility
    try:
        ctx.result = opt.optimize(a.expected_return, a.covariance, ctx.constraints,
                                  objective=obj, risk_free_rate=a.risk_free_rate, **kwargs)
    except InfeasibleError as exc:
        exc.add_note(f"while building the plan for {ctx.profile.name!r} at risk level "
                     f"{ctx.risk.level}")
        raise
    ctx.warnings.extend(ctx.result.warnings)


def assemble(ctx: PlanContext) -> Plan:
    """Final stage: the immutable :class:`Plan`."""
    res = ctx.result
    assert res is not None, "optimize_stage must run before assemble"
    uni = ctx.market.universe
    a = ctx.market.assumptions
    w = res.weights.where(res.weights >= WEIGHT_DISPLAY_THRESHOLD, 0.0)
    w = w / w.sum()
    lines = []
    for t in w.sort_values(ascending=False).index:
        if w[t] <= 0:
            continue
        asset = uni[t]
        lines.append(AllocationLine(t, asset.name, asset.asset_class, asset.broad_class,
                                    float(w[t]), float(w[t] * ctx.wealth),
                                    float(a.expected_return[t]), float(a.volatility[t])))
    excluded = tuple(
        ExcludedAsset(t, f"excluded by {ex.rule}", ex.field)
        for ex in ctx.constraints.exclusions for t in ex.tickers
    )
    settings = ctx.settings
    prov = Provenance(
        input_hash=input_hash(ctx.profile, ctx.market, settings, ctx.as_of),
        library_version=__version__,
        as_of=ctx.as_of.isoformat(),
        assumptions=a.name,
        assumption_sources=dict(a.sources),
        settings=settings.model_dump(mode="json"),
        solver=res.solver,
        status=res.status,
        attempts=tuple(at.as_dict() for at in res.attempts),
    )
    plan = Plan(
        investor=ctx.profile.name,
        currency=ctx.profile.currency,
        investable_wealth=ctx.wealth,
        risk=ctx.risk,
        allocation=tuple(lines),
        weights={t: float(w[t]) for t in uni.tickers},
        expected_return=res.expected_return,
        volatility=res.volatility,
        sharpe=res.sharpe,
        risk_free_rate=a.risk_free_rate,
        objective=res.objective.value,
        risk_aversion=ctx.risk.risk_aversion,
        max_volatility=ctx.risk.max_volatility,
        binding=res.binding,
        excluded=excluded,
        warnings=tuple(dict.fromkeys(ctx.warnings)),
        rationale=(),
        provenance=prov,
    )
    return dataclasses.replace(plan, rationale=tuple(rationale(plan, ctx.market)))


def build_plan(profile: InvestorProfile, market: Market | None = None, *,
               settings: PlanSettings | None = None, as_of: date | None = None,
               optimizer: PortfolioOptimizer | None = None) -> Plan:
    """Make the plan for ``profile`` in ``market``.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market, optional
        Defaults to the bundled default market.
    settings : PlanSettings, optional
    as_of : date, optional
        Defaults to ``profile.as_of``, then today (recorded in the provenance).
    optimizer : PortfolioOptimizer, optional
        Reuse one optimizer (and its compiled problems) across many plans.

    Raises
    ------
    ProfileError, DataError, InfeasibleError, SolverError
    """
    from tailorfolio.goals._stage import GoalsSettings, goals_stage
    from tailorfolio.market._defaults import default_market

    market = market_for_profile(profile, market or default_market())
    settings = settings or PlanSettings()
    ctx = prepare(profile, market, settings, as_of)
    optimize_stage(ctx, optimizer)
    plan = assemble(ctx)
    plan = tax_stage(ctx, plan)
    plan = goals_stage(ctx, plan, GoalsSettings(n_paths=settings.goal_paths))
    plan = esg_stage(ctx, plan)
    plan = dynamic_stage(ctx, plan)
    return plan
