"""Build a plan: the orchestrator.

``prepare`` resolves the inputs into a :class:`PlanContext` (market with screened funds and
the plan's expected returns, risk level, constraints, the portfolio family); then the ordered
:data:`STAGES` each fill one typed section of a :class:`PlanDraft`; ``assemble`` freezes the
draft into a :class:`Plan`. Baselines (the plan without ESG preferences) are extra runs of the
same list with one input changed, on the same simulated markets.

DESIGN.md, "How a plan decides"::

    profile → risk level (ladder: equity share, γ, guard)   market → equilibrium + CMA views
        → goal sleeves (glide path by years × priority, MC picks the path within the level)
        → household target = money-weighted sum of the sleeves
        → accounts: asset location, tax-aware transition
        → simulate THE policy → Plan
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import date

import numpy as np

from tailorfolio._version import __version__
from tailorfolio.allocation._family import build_family, equity_group
from tailorfolio.errors import InfeasibleError
from tailorfolio.esg._cost import has_esg_preferences, without_esg
from tailorfolio.esg._screen import resolve_market
from tailorfolio.esg._stage import baseline_notes, compare_plans, risk_matched_return
from tailorfolio.market._equilibrium import ReturnModel, planning_assumptions
from tailorfolio.market._market import Market
from tailorfolio.optimize._constraints import ConstraintSet, constraints_from_preferences
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.planning._context import PlanContext, PlanDraft
from tailorfolio.planning._plan import ExcludedAsset, Plan, Provenance
from tailorfolio.planning._rationale import rationale
from tailorfolio.planning._sections import (
    AssetAssumption,
    ConstraintsSection,
    GroupLimit,
    LadderRung,
    MarketSection,
    ReturnModelSection,
)
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.goals._from_profile import horizon_months
from tailorfolio.goals._dp_profile import DPComparison
from tailorfolio.goals._raise import MAX_DELAY_YEARS
from tailorfolio.simulate._returns import LognormalModel, freeze
from tailorfolio.simulate._concurrent import start_if_free
from tailorfolio.simulate._threads import single_threaded_blas
from tailorfolio.planning._stages import (
    FALLBACK_STORED_PATHS,
    SIMULATION_SEED,
    accounts_stage,
    dp_alternative,
    dynamic_stage,
    esg_stage,
    goals_stage,
    household_policy,
    household_stage,
    sleeves_stage,
)
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.risk._ladder import RISK_LADDER
from tailorfolio.risk._scoring import assess_risk, household_wealth

Stage = Callable[[PlanDraft], PlanDraft]

STAGES: tuple[Stage, ...] = (
    sleeves_stage,
    household_stage,
    accounts_stage,
    goals_stage,
    dynamic_stage,
    esg_stage,
)
"""The plan's stages in order (the cost of values adds a baseline run: :func:`build_plan`)."""


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


_RETURN_MODEL_WORDS = {
    ReturnModel.EQUILIBRIUM_VIEWS: "market-equilibrium returns with the capital-market forecasts "
                                   "as Black-Litterman views",
    ReturnModel.EQUILIBRIUM: "market-equilibrium (reverse-optimized) returns alone",
    ReturnModel.FORECASTS: "the capital-market forecasts as given",
}


def resolve_returns(market: Market, settings: PlanSettings
                    ) -> tuple[Market, ReturnModelSection]:
    """The market with the plan's expected returns (the settings' return model, see
    :func:`tailorfolio.estimate.planning_assumptions`)."""
    model = ReturnModel(settings.return_model)
    plan_market, report = planning_assumptions(market, model,
                                               view_confidence=settings.view_confidence)
    d = report.to_dict()
    details = {k: v for k, v in d.items() if k in (
        "risk_aversion", "risk_aversion_method", "tau", "view_confidence", "weights_source",
        "market_coverage", "market_weights")}
    return plan_market, ReturnModelSection(model.value, _RETURN_MODEL_WORDS[model], details,
                                           tuple(report.warnings))


def base_constraints(profile: InvestorProfile, market: Market, settings: PlanSettings
                     ) -> ConstraintSet:
    """The investor's constraints for every sleeve: bounds, exclusions, ESG rules, class
    bounds and the engine's guards; no reserve minimum (the reserve is its own sleeve) and no
    volatility ceiling (it limits the level's equity share instead)."""
    return constraints_from_preferences(
        market.universe, profile.preferences, cash_reserve_weight=0.0, max_volatility=None,
        default_max_weight=settings.max_weight_per_asset, default_class_caps=settings.class_caps)


def prepare(profile: InvestorProfile, market: Market, settings: PlanSettings,
            as_of: date | None = None, optimizer: PortfolioOptimizer | None = None, *,
            esg_always: bool = False, probabilities_only: bool = False,
            dp_early: bool = False) -> PlanContext:
    """Resolve the inputs: prices and wealth, risk level, market (screened funds where the
    investor's exclusions empty a class), constraints, the portfolio family
    (``probabilities_only``: see :class:`PlanContext`). ``dp_early``: the caller runs the
    goals stage, whose DP alternative is then solved here on a free helper thread while the
    stored paths are drawn (:attr:`PlanContext.dp_alternative`)."""
    as_of = as_of or profile.as_of or date.today()
    forecast_market, added = resolve_market(profile, market)
    plan_market, returns = resolve_returns(forecast_market, settings)
    prices = _prices_for(profile, plan_market)
    wealth = household_wealth(profile, prices)
    risk = assess_risk(profile, as_of=as_of, prices=prices)
    warnings: list[str] = [*profile.validation_warnings, *returns.warnings]
    if profile.annual_expenses is None:
        warnings.append("annual_expenses was not given; 70 % of income was assumed for the "
                        "emergency reserve and capacity.")
    reserve = profile.preferences.cash_reserve_months * profile.expenses_per_year / 12
    if reserve > wealth:
        if wealth > 0:
            warnings.append(
                f"The cash reserve of {profile.preferences.cash_reserve_months:g} months "
                f"({reserve:,.0f}) exceeds the invested wealth ({wealth:,.0f}); the whole "
                "portfolio is held in cash.")
        reserve = max(wealth, 0.0)
    cs = base_constraints(profile, plan_market, settings)
    opt = optimizer or PortfolioOptimizer(solvers=settings.solvers)
    try:
        delta = returns.details.get("risk_aversion")
        family = build_family(plan_market, cs, optimizer=opt,
                              fallback_risk_aversion=risk.risk_aversion,
                              min_risk_aversion=float(delta) if delta else None)
    except InfeasibleError as exc:
        exc.add_note(f"while building the plan for {profile.name!r} at risk level "
                     f"{risk.level}")
        raise
    cap = min(risk.equity_share, family.max_share,
              max(family.highest_share_within(risk.max_volatility), family.min_share))
    if not family.has_equity_class:
        cap = family.min_share
    if plan_market.assumptions.repair is not None:
        msg = plan_market.assumptions.repair.warning("correlation matrix of the assumptions")
        if msg:
            warnings.append(msg)
    stored = None
    dp: tuple[tuple[DPComparison, int] | None] | None = None
    if profile.goals and (settings.choice_paths > 0 or settings.goal_paths > 0):
        model = LognormalModel.from_assumptions(plan_market.assumptions, plan_market.universe)
        # Drawn for the plan's horizon; the months of the lever search's postponements
        # (up to MAX_DELAY_YEARS past it) are drawn only if a postponed goal reaches them.
        months = horizon_months(profile, as_of)
        # The goals stage's DP alternative reads only the family: on a helper thread free now
        # it is solved while the paths are drawn (their time goes to drawing normals without
        # the GIL). One BLAS limit around both, so neither lifts the other's.
        wants_dp = dp_early and settings.goal_paths > 0 and not probabilities_only
        with single_threaded_blas():
            early = start_if_free(lambda: dp_alternative(profile, plan_market, family, as_of)
                                  ) if wants_dp else None
            try:
                stored = freeze(model, months, settings.choice_paths or FALLBACK_STORED_PATHS,
                                SIMULATION_SEED + 1, max_steps=months + 12 * MAX_DELAY_YEARS)
            finally:
                dp = None if early is None else (early.result(),)
    return PlanContext(profile, plan_market, forecast_market, settings, as_of, prices, wealth,
                       reserve, risk, cs, family, float(max(cap, family.min_share)), returns,
                       opt, tuple(warnings), tuple(added), esg_always, stored,
                       probabilities_only, dp)


def _market_section(ctx: PlanContext) -> MarketSection:
    m, f = ctx.market, ctx.forecast_market
    a, fa = m.assumptions, f.assumptions
    assets = tuple(
        AssetAssumption(t, m.universe[t].name, m.universe[t].asset_class,
                        m.universe[t].broad_class, float(a.expected_return[t]),
                        float(fa.expected_return[t]), float(a.volatility[t]),
                        float(m.universe[t].expense_ratio),
                        None if m.universe[t].esg_score is None
                        else float(m.universe[t].esg_score))
        for t in m.universe.tickers)
    corr = tuple(tuple(float(x) for x in row) for row in a.correlation.to_numpy())
    return MarketSection(m.universe.name, a.name, assets, corr, float(a.risk_free_rate),
                         float(a.inflation), dict(a.sources), ctx.return_model)


def _constraints_section(ctx: PlanContext) -> ConstraintsSection:
    cs = ctx.constraints
    tick = tuple(cs.tickers)
    groups = tuple(
        GroupLimit(g.name, g.level, tuple(t for t, m in zip(tick, g.members, strict=True)
                                          if m > 0), float(g.min), float(g.max),
                   g.field_min, g.field_max)
        for g in cs.groups if g.min > 0 or g.max < 1)
    excluded = {t: ex.rule for ex in cs.exclusions for t in ex.tickers}
    return ConstraintsSection(tick, tuple(float(x) for x in cs.lower),
                              tuple(float(x) for x in cs.upper), groups, excluded,
                              cs.min_esg_score, float(cs.esg_tilt),
                              float(ctx.risk.max_volatility), ctx.max_equity_share)


def _ladder(ctx: PlanContext) -> tuple[LadderRung, ...]:
    fam = ctx.family
    out = []
    mu = ctx.market.assumptions.expected_return.reindex(list(fam.tickers)).to_numpy(float)
    cov = ctx.market.assumptions.covariance.reindex(
        index=list(fam.tickers), columns=list(fam.tickers)).to_numpy(float)
    for level, r in RISK_LADDER.items():
        share = float(fam.clip(min(r.equity_share,
                                   max(fam.highest_share_within(r.max_volatility),
                                       fam.min_share))))
        w = fam.weights_at(share)
        out.append(LadderRung(level, share, float(w @ mu), float(np.sqrt(w @ cov @ w)),
                              {t: float(x) for t, x in zip(fam.tickers, w, strict=True)
                               if x >= 1e-4}))
    return tuple(out)


def assemble(draft: PlanDraft) -> Plan:
    """Freeze ``draft`` into the :class:`Plan`."""
    ctx = draft.ctx
    assert draft.household is not None, "the sleeves stage must run before assemble"
    excluded = tuple(ExcludedAsset(t, f"excluded by {ex.rule}", ex.field)
                     for ex in ctx.constraints.exclusions for t in ex.tickers)
    a = ctx.market.assumptions
    prov = Provenance(
        input_hash=input_hash(ctx.profile, ctx.forecast_market, ctx.settings, ctx.as_of),
        library_version=__version__, as_of=ctx.as_of.isoformat(), assumptions=a.name,
        assumption_sources=dict(a.sources), settings=ctx.settings.model_dump(mode="json"),
        seed=SIMULATION_SEED)
    warnings = tuple(dict.fromkeys((*ctx.warnings, *draft.warnings)))
    plan = Plan(
        investor=ctx.profile.name, currency=ctx.profile.currency,
        investable_wealth=ctx.wealth, risk=ctx.risk, household=draft.household,
        sleeves=draft.sleeves, funding=draft.funding, ladder=_ladder(ctx), accounts=draft.accounts, goals=draft.goals,
        esg=draft.esg, dynamic=draft.dynamic, market=_market_section(ctx),
        constraints=_constraints_section(ctx), excluded=excluded, warnings=warnings,
        rationale=(), provenance=prov, income_streams=draft.income_streams,
        resolved_market=ctx.market,
        resolved_constraints=ctx.constraints, resolved_policy=household_policy(draft))
    return dataclasses.replace(plan, rationale=tuple(rationale(plan)))


def run_stages(ctx: PlanContext, stages: tuple[Stage, ...] = STAGES) -> PlanDraft:
    """Run ``stages`` in order on a fresh draft of ``ctx``."""
    draft = PlanDraft(ctx)
    with single_threaded_blas():  # once for the plan's dozens of simulations
        for stage in stages:
            draft = stage(draft)
    return draft


def build_plan(profile: InvestorProfile, market: Market | None = None, *,
               settings: PlanSettings | None = None, as_of: date | None = None,
               optimizer: PortfolioOptimizer | None = None, esg_always: bool = False) -> Plan:
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
    esg_always : bool
        Include the ESG section even when the investor expressed no ESG preference (the
        ``tailorfolio esg`` command).

    Raises
    ------
    ProfileError, DataError, InfeasibleError, SolverError
    """
    from tailorfolio.market._defaults import default_market

    settings = settings or PlanSettings()
    market = market or default_market()
    opt = optimizer or PortfolioOptimizer(solvers=settings.solvers)
    plan = assemble(run_stages(prepare(profile, market, settings, as_of, opt,
                                       esg_always=esg_always, dp_early=True)))
    if plan.esg is not None and has_esg_preferences(profile.preferences):
        plan = with_cost_of_values(plan, profile, market, settings, as_of, opt)
    return plan


def baseline_without_esg(profile: InvestorProfile, market: Market, settings: PlanSettings,
                         as_of: date | None, optimizer: PortfolioOptimizer | None = None
                         ) -> Plan:
    """The same plan without the investor's ESG preferences (same market, settings and
    simulated paths), with its ESG profile so the two can be compared.

    The comparison reads its return, risk, ESG score and goal probabilities, so its goals
    section has those alone: no what-would-raise levers, alternatives or withdrawal rates
    (two thirds of a plan's simulations)."""
    ctx = prepare(without_esg(profile), market, settings, as_of, optimizer, esg_always=True,
                  probabilities_only=True)
    return assemble(run_stages(ctx))


def with_cost_of_values(plan: Plan, profile: InvestorProfile, market: Market,
                        settings: PlanSettings, as_of: date | None,
                        optimizer: PortfolioOptimizer | None = None) -> Plan:
    """``plan`` with its ESG section's cost of values: the comparison with
    :func:`baseline_without_esg` (return, risk, ESG score and each goal's probability)."""
    assert plan.esg is not None
    base = baseline_without_esg(profile, market, settings, as_of, optimizer)
    assert base.resolved_market is not None and base.resolved_constraints is not None
    matched = risk_matched_return(base.resolved_constraints, base.resolved_market,
                                  float(plan.volatility), optimizer)
    cost = compare_plans(plan, base, notes=baseline_notes(profile), risk_matched=matched)
    return dataclasses.replace(plan, esg=dataclasses.replace(plan.esg, cost=cost))


def equity_share_of(weights: dict[str, float], market: Market) -> float:
    """Stocks' share of ``weights`` (broad class ``equity``)."""
    return float(sum(w for t, w in weights.items() if market.universe[t].broad_class ==
                     "equity"))


__all__ = ["STAGES", "assemble", "build_plan", "equity_group", "input_hash", "prepare",
           "run_stages"]
