"""The policies compared: the personalized plan (through one adapter) and three baselines.

Each policy is a function ``(profile, market, as_of) -> SimulationSpec``: the simulation of
exactly what that policy holds, trades and pays. Everything but the allocation decision is the
same for every baseline (:data:`EVALUATION_FRAME`): the profile's goals, cash flows, accounts
and tax rates (``goals.spec_from_profile``), a 0.25 %/yr advisory fee plus fund expense ratios,
drift-band rebalancing (Vanguard's 5/25 rule, reviewed monthly) with the capital-gains tax that
rebalancing sales realize in taxable money, and a one-off transition from the current lots to the
policy's starting weights (:func:`naive_transition`).

The personalized policy lives in ONE function, :func:`personalized_spec`. It now returns the
plan rework's own simulation of what the plan recommends (:func:`pipeline_spec`: the sleeves
funded and given their glide paths, one household pot following their sum), with the same
frame as the baselines. :func:`placeholder_spec` is the stand-in written before the rework
landed (``tailorfolio.plan(profile)``'s weights split into a growth and a safe sleeve, one pot
per goal on the plan's glide path for it, money divided by need, finished sleeves swept into
retirement), kept so that the two can be compared.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

import numpy as np

from tailorfolio.dynamic import GlidePath, personal_glide_path
from tailorfolio.goals import SimulationOptions, spec_from_profile
from tailorfolio.goals._from_profile import goal_due_step
from tailorfolio.market._market import Market
from tailorfolio.errors import DataError
from tailorfolio.optimize import PortfolioOptimizer
from tailorfolio.planning import PlanContext, PlanSettings, build_plan
from tailorfolio.planning._build import prepare, run_stages
from tailorfolio.planning._stages import household_stage, policy_spec, sleeves_stage
from tailorfolio.profile import InvestorProfile
from tailorfolio.profile._enums import AccountType, GoalKind
from tailorfolio.profile._investor import TaxRates
from tailorfolio.simulate import RebalanceBand, SimulationSpec
from tailorfolio.typing import FloatArray

PolicySpec = Callable[[InvestorProfile, Market, date], SimulationSpec]
"""A policy: ``(profile, market, as_of) -> SimulationSpec``."""

US_EQUITY_SHARE, US_BOND_SHARE = 0.60, 0.70
"""Vanguard Target Retirement funds' policy split: about 60 % US / 40 % non-US of stocks and
70 % US / 30 % non-US of bonds (Vanguard, Target Retirement fund literature)."""
EQUITY_SLEEVE = {"VTI": US_EQUITY_SHARE, "VEA": 0.75 * (1 - US_EQUITY_SHARE),
                 "VWO": 0.25 * (1 - US_EQUITY_SHARE)}
"""The baselines' stocks: US total market, then non-US split 3:1 developed : emerging (about
the FTSE Global All Cap ex US split)."""
BOND_SLEEVE = {"BND": US_BOND_SHARE, "BNDX": 1 - US_BOND_SHARE}
"""The baselines' bonds: US aggregate and hedged non-US aggregate."""
SIXTY_FORTY_EQUITY = 0.60
TARGET_DATE_RETIREMENT_AGE = 65
"""A target-date fund is picked by the year its holder turns 65."""
TARGET_DATE_GLIDE = GlidePath.retirement()
"""90 % stocks until 25 years before 65, 50 % at 65, 30 % at 72 (Vanguard-style)."""
DRIFT_BAND = RebalanceBand(0.05, 0.25)
"""Vanguard's 5/25 rule, reviewed monthly (the plan's dynamic policy uses the same)."""


@dataclasses.dataclass(frozen=True)
class EvaluationFrame:
    """What every baseline shares, so that the comparison isolates the allocation decision.

    Attributes
    ----------
    advisory_fee_bps : float
    rebalance_band : RebalanceBand
    rebalance_every_months : int
        Calendar rebalancing on top of the band (0: band only).
    tax_rebalancing_gains : bool
    transition : bool
        Charge the tax of moving from the current lots to the starting weights.
    """

    advisory_fee_bps: float = 25.0
    rebalance_band: RebalanceBand = DRIFT_BAND
    rebalance_every_months: int = 0
    tax_rebalancing_gains: bool = True
    transition: bool = True


EVALUATION_FRAME = EvaluationFrame()


def _vector(weights: dict[str, float], tickers: tuple[str, ...]) -> FloatArray:
    w = np.array([weights.get(t, 0.0) for t in tickers], float)
    return w / w.sum()


def naive_transition(profile: InvestorProfile, market: Market, target: FloatArray
                     ) -> tuple[float, float]:
    """Tax of moving the taxable accounts to ``target`` today, and their basis afterwards.

    Each taxable account is traded to ``target`` in proportion (no asset location, no
    tax-aware deferral: the same rule for every policy, so it favours none): the excess of each
    held fund is sold at its average cost, long-term (the lots are at least a year old), gains
    and losses net, and the net gain is taxed at the long-term rate plus state. Proceeds less
    the tax are reinvested at market (new basis).

    Parameters
    ----------
    profile, market
    target : ndarray (n_assets,)
        Starting weights in ``market.universe.tickers`` order.

    Returns
    -------
    tax : float
    basis_after : float
        Cost basis of all taxable money after the transition.
    """
    tickers = list(market.universe.tickers)
    rates = profile.tax_rates or TaxRates()
    cg = rates.long_term_gains + rates.state
    net_gain = 0.0
    basis_after = 0.0
    sold = 0.0
    for acct in profile.accounts:
        if acct.type is not AccountType.TAXABLE:
            continue
        value: dict[str, float] = {}
        basis: dict[str, float] = {}
        for lot in acct.lots:
            value[lot.asset] = value.get(lot.asset, 0.0) + lot.quantity * market.price_of(
                lot.asset)
            basis[lot.asset] = basis.get(lot.asset, 0.0) + lot.cost_basis
        total = acct.cash + sum(value.values())
        kept_basis = acct.cash
        for asset, v in value.items():
            i = tickers.index(asset) if asset in tickers else None
            want = total * float(target[i]) if i is not None else 0.0
            sell = max(0.0, v - want)
            frac = sell / v if v > 0 else 0.0
            net_gain += frac * (v - basis[asset])
            kept_basis += (1 - frac) * basis[asset]
            sold += sell
        basis_after += kept_basis
    tax = cg * max(net_gain, 0.0)
    return tax, basis_after + sold - tax


def apply_frame(spec: SimulationSpec, profile: InvestorProfile, market: Market,
                frame: EvaluationFrame = EVALUATION_FRAME) -> SimulationSpec:
    """``spec`` with the frame's rebalancing and tax rules and its transition tax."""
    spec = dataclasses.replace(
        spec, rebalance_every_months=frame.rebalance_every_months,
        rebalance_band=frame.rebalance_band, advisory_fee_bps=frame.advisory_fee_bps,
        tax=dataclasses.replace(spec.tax, tax_rebalancing_gains=frame.tax_rebalancing_gains))
    if not frame.transition:
        return spec
    start = sum(p.initial_total * spec.weights_path(k)[0] for k, p in enumerate(spec.pots))
    total = sum(p.initial_total for p in spec.pots)
    if total <= 0:
        return spec
    tax, basis_after = naive_transition(profile, market, np.asarray(start) / total)
    taxable = sum(p.initial_balance[0] for p in spec.pots)
    if taxable <= 0:
        return spec
    tax = min(tax, taxable)
    pots = []
    for p in spec.pots:
        share = p.initial_balance[0] / taxable
        bal = p.initial_balance.copy()
        bal[0] -= tax * share
        pots.append(dataclasses.replace(p, initial_balance=bal,
                                        taxable_basis=basis_after * share))
    return dataclasses.replace(spec, pots=tuple(pots), transition_tax=tax)


_PLAN_MEMO: OrderedDict[tuple[object, ...], dict[str, float]] = OrderedDict()
_PLAN_MEMO_SIZE = 4


def _today_plan_weights(profile: InvestorProfile, market: Market, as_of: date
                        ) -> dict[str, float]:
    """``tailorfolio.plan(profile)``'s weights (without its goals section). The placeholder
    adapter and the risk-only baseline both need them for the same household, and a plan
    costs more than the four simulations, so the last few are memoised (a pure cache: same
    inputs, same weights)."""
    key = (profile.model_dump_json(), id(market), tuple(market.universe.tickers), as_of)
    if key in _PLAN_MEMO:
        _PLAN_MEMO.move_to_end(key)
        return dict(_PLAN_MEMO[key])
    plan = build_plan(profile, market, settings=PlanSettings(goal_paths=0), as_of=as_of)
    _PLAN_MEMO[key] = dict(plan.weights)
    while len(_PLAN_MEMO) > _PLAN_MEMO_SIZE:
        _PLAN_MEMO.popitem(last=False)
    return dict(plan.weights)


def _household(profile: InvestorProfile, market: Market, as_of: date,
               weights: FloatArray) -> SimulationSpec:
    return spec_from_profile(profile, market, weights, as_of, SimulationOptions("household"))


def sixty_forty_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """(a) A balanced fund: 60 % stocks, 40 % bonds, held as one household pot."""
    tickers = tuple(market.universe.tickers)
    w = (SIXTY_FORTY_EQUITY * _vector(EQUITY_SLEEVE, tickers)
         + (1 - SIXTY_FORTY_EQUITY) * _vector(BOND_SLEEVE, tickers))
    return apply_frame(_household(profile, market, as_of, w), profile, market)


def target_date_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """(b) A target-date fund by age: :data:`TARGET_DATE_GLIDE` to age 65, one pot."""
    tickers = tuple(market.universe.tickers)
    base = _household(profile, market, as_of, _vector(EQUITY_SLEEVE, tickers))
    years_to_65 = float(TARGET_DATE_RETIREMENT_AGE - profile.age)
    path = TARGET_DATE_GLIDE.weights_schedule(
        base.n_steps / 12, base.n_steps, _vector(EQUITY_SLEEVE, tickers),
        _vector(BOND_SLEEVE, tickers), years_to_goal_at_start=years_to_65)
    pots = (dataclasses.replace(base.pots[0], weights=path),)
    return apply_frame(dataclasses.replace(base, pots=pots), profile, market)


_CONTEXT_MEMO: OrderedDict[tuple[object, ...], PlanContext] = OrderedDict()


def _context(profile: InvestorProfile, market: Market, as_of: date) -> PlanContext:
    """The plan pipeline's resolved inputs (risk level, portfolio family) for ``profile``.

    The adapter and the risk-only baseline both need them for the same household and they
    cost most of a household's time, so the last few are memoised (the stages read the
    context and never change it)."""
    key = (profile.model_dump_json(), id(market), tuple(market.universe.tickers), as_of)
    if key in _CONTEXT_MEMO:
        _CONTEXT_MEMO.move_to_end(key)
        return _CONTEXT_MEMO[key]
    settings = PlanSettings(goal_paths=0)
    ctx = prepare(profile, market, settings, as_of, PortfolioOptimizer(solvers=settings.solvers))
    _CONTEXT_MEMO[key] = ctx
    while len(_CONTEXT_MEMO) > _PLAN_MEMO_SIZE:
        _CONTEXT_MEMO.popitem(last=False)
    return ctx


def risk_only_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """(c) The risk-level-only plan: one portfolio for every goal, the plan's own portfolio
    family at the questionnaire risk level's equity ceiling (what the plan calls its "risk
    level only" alternative), held static as one household pot: no sleeves, no glide path."""
    ctx = _context(profile, market, as_of)
    tickers = tuple(market.universe.tickers)
    w_fam = ctx.family.weights_at(ctx.max_equity_share)
    w = _vector(dict(zip(ctx.family.tickers, w_fam, strict=True)), tickers)
    return apply_frame(_household(profile, market, as_of, w), profile, market)


PRE_REWORK_CEILINGS = {1: 0.040, 2: 0.055, 3: 0.070, 4: 0.085, 5: 0.100, 6: 0.115, 7: 0.130,
                       8: 0.145, 9: 0.160, 10: 0.180}
"""The volatility ceilings of the engine before the plan rework (risk level → decimal)."""
PRE_REWORK_MAX_WEIGHT = 0.35
PRE_REWORK_CLASS_CAPS = {"emerging_equity": 0.15, "em_sovereign_bond": 0.10,
                         "us_high_yield": 0.10, "us_reit": 0.15, "commodities": 0.10}


def pre_rework_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """(d) The plan as it was before the rework ("today's risk-level-only mean-variance plan"
    of the issue): maximum utility at the risk level's γ on the *raw* capital-market forecasts,
    under the level's old volatility ceiling, a 35 % cap per risky fund, the old satellite-class
    caps and the cash reserve as a minimum cash weight, held static as one household pot."""
    from tailorfolio.optimize import constraints_from_preferences
    from tailorfolio.optimize._result import Objective

    ctx = _context(profile, market, as_of)
    fm = ctx.forecast_market
    a = fm.assumptions
    reserve = ctx.reserve_amount / ctx.wealth if ctx.wealth > 0 else 0.0
    ceiling = PRE_REWORK_CEILINGS[ctx.risk.level]
    cs = constraints_from_preferences(
        fm.universe, profile.preferences, cash_reserve_weight=min(reserve, 1.0),
        max_volatility=ceiling, default_max_weight=PRE_REWORK_MAX_WEIGHT,
        default_class_caps=PRE_REWORK_CLASS_CAPS)
    res = PortfolioOptimizer().optimize(a.expected_return, a.covariance, cs,
                                        objective=Objective.MAX_UTILITY,
                                        risk_aversion=ctx.risk.risk_aversion,
                                        risk_free_rate=a.risk_free_rate)
    w = _vector({t: float(x) for t, x in res.weights.items() if x > 0},
                tuple(market.universe.tickers))
    w = np.clip(w, 0.0, None)
    return apply_frame(_household(profile, market, as_of, w / w.sum()), profile, market)


def pipeline_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """The plan rework's own simulation of what it recommends (``planning`` stages: sleeves
    funded and given their glide paths, the household pot following the sum of the sleeves,
    the tax stage's marginal rates), with the evaluation frame's rebalancing bands, taxes on
    rebalancing gains and pro-rata transition applied like every baseline's."""
    ctx = _context(profile, market, as_of)
    draft = run_stages(ctx, (sleeves_stage, household_stage))
    spec = policy_spec(draft)
    if tuple(spec.tickers) != tuple(market.universe.tickers):
        raise DataError(
            f"The plan was simulated on {list(spec.tickers)} but the evaluation market has "
            f"{list(market.universe.tickers)}.", field="market",
            fix="evaluate in the market the plan resolves (esg.resolve_market)")
    return apply_frame(spec, profile, market)


def personalized_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """The personalized plan's own simulation — THE adapter the evaluation calls.

    Now the plan rework's simulation of what it recommends (:func:`pipeline_spec`). Swap the
    body to evaluate anything else (e.g. :func:`placeholder_spec`, the stand-in used before
    the rework landed); nothing else in the evaluation needs to change.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market
        Its universe fixes the asset order of the returned spec.
    as_of : date

    Returns
    -------
    SimulationSpec
    """
    return pipeline_spec(profile, market, as_of)


def placeholder_spec(profile: InvestorProfile, market: Market, as_of: date) -> SimulationSpec:
    """The stand-in written before the plan rework landed (kept for comparison): the plan's
    weights, a growth and a safe sleeve, one pot per goal following the plan's glide path for
    that goal (scaled to the plan's growth share), today's money divided by need, 5/25 drift
    bands, the evaluation frame's taxes and transition.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market
        Its universe fixes the asset order of the returned spec.
    as_of : date

    Returns
    -------
    SimulationSpec
    """
    tickers = tuple(market.universe.tickers)
    weights = _today_plan_weights(profile, market, as_of)
    broad = {t: market.universe[t].broad_class for t in tickers}
    growth = {t: w for t, w in weights.items() if broad.get(t) in ("equity", "real_asset")}
    safe = {t: w for t, w in weights.items() if broad.get(t) in ("bond", "cash")}
    growth_share = float(sum(growth.values()))
    growth_w = _vector(growth, tickers) if growth_share > 1e-9 else _vector(EQUITY_SLEEVE,
                                                                             tickers)
    safe_w = _vector(safe, tickers) if sum(safe.values()) > 1e-9 else _vector(BOND_SLEEVE,
                                                                              tickers)
    base = spec_from_profile(profile, market, _vector(weights, tickers), as_of,
                             SimulationOptions("dedicated"))
    paths: dict[str, FloatArray] = {}
    for goal in profile.goals:
        kind = "income" if goal.kind is GoalKind.INCOME else "lump_sum"
        glide = personal_glide_path(kind, growth_share)
        paths[goal.name] = glide.weights_schedule(
            base.n_steps / 12, base.n_steps, growth_w, safe_w,
            years_to_goal_at_start=goal_due_step(goal, as_of) / 12)
    spec = spec_from_profile(profile, market, paths, as_of, SimulationOptions("dedicated"))
    return apply_frame(fund_sleeves_by_need(spec, market), profile, market)


SLEEVE_FUNDING_REAL_RATE = 0.0
"""Real discount rate of the placeholder's sleeve funding (see :func:`fund_sleeves_by_need`)."""


def fund_sleeves_by_need(spec: SimulationSpec, market: Market) -> SimulationSpec:
    """Re-divide today's money among a dedicated spec's goal pots by need (placeholder rule).

    Goals are funded in priority order (then by date): each pot gets at least what the profile
    earmarked for it, and up to the present value of its withdrawals less that of its own future
    deposits, discounted at :data:`SLEEVE_FUNDING_REAL_RATE` (0 % real: a dated goal is set
    aside in today's money, so fees, taxes and a bad market before the date are what its
    growth assets must cover). The pot of the highest-priority, latest
    goal (usually retirement) keeps the rest. Dated goals take taxable money first, then Roth,
    then traditional, and their deposits go to taxable accounts; taxable basis follows the
    taxable money. The month after a dated goal's last withdrawal, what is left of its pot is
    swept into the residual pot (``Pot.sweep_to``).
    """
    a = market.assumptions
    total = sum(p.initial_total for p in spec.pots)
    if total <= 0 or len(spec.pots) < 2:
        return spec
    bal = sum(p.initial_balance for p in spec.pots)
    basis = sum(p.taxable_basis for p in spec.pots)
    t = np.arange(spec.n_steps) / 12
    order = sorted(range(len(spec.goals)), key=lambda j: (spec.goals[j].priority_rank,
                                                          -spec.goals[j].due_step))
    residual = spec.goals[order[0]].pot
    needs = {}
    for g in spec.goals:
        real = SLEEVE_FUNDING_REAL_RATE
        disc = (1 + real) ** -t
        need = float(g.real_withdrawal @ disc)
        deposits = float(spec.pots[g.pot].monthly_contribution @ ((1 + real + a.inflation) ** -t))
        needs[g.pot] = max(needs.get(g.pot, 0.0) + need - deposits, 0.0)
    amounts = {k: 0.0 for k in range(len(spec.pots))}
    left = total
    for j in sorted(range(len(spec.goals)), key=lambda j: (spec.goals[j].priority_rank,
                                                           spec.goals[j].due_step)):
        k = spec.goals[j].pot
        if k == residual:
            continue
        give = min(left, max(needs[k], spec.pots[k].initial_total))
        amounts[k] = give
        left -= give
    amounts[residual] = left
    # Dated goals take taxable money first, then Roth, then traditional (no tax or penalty
    # before 59½ on what they spend); the residual pot keeps what is left of each bucket.
    free = bal.astype(float).copy()
    balances: dict[int, FloatArray] = {}
    for k in sorted(amounts, key=lambda k: k == residual):
        if k == residual:
            balances[k] = free.copy()
            continue
        want = amounts[k]
        b = np.zeros(3)
        for bucket in (0, 2, 1):
            take = min(want, free[bucket])
            b[bucket] = take
            free[bucket] -= take
            want -= take
        balances[k] = b
    taxable_only = np.array([1.0, 0.0, 0.0])
    last = {}
    for g in spec.goals:
        paid = np.flatnonzero(g.real_withdrawal > 0)
        last[g.pot] = max(last.get(g.pot, 0), int(paid[-1]) if len(paid) else 0)

    def sweep(k: int) -> dict[str, object]:
        step = last.get(k, spec.n_steps) + 1
        if k == residual or step >= spec.n_steps:
            return {}
        return {"sweep_to": residual, "sweep_step": step}

    pots = tuple(dataclasses.replace(
        p, initial_balance=balances[k],
        taxable_basis=basis * balances[k][0] / bal[0] if bal[0] > 0 else 0.0,
        contribution_split=p.contribution_split if k == residual else taxable_only,
        **sweep(k))
        for k, p in enumerate(spec.pots))
    return dataclasses.replace(spec, pots=pots)


BASELINES: dict[str, PolicySpec] = {
    "60/40 fund": sixty_forty_spec,
    "target-date fund": target_date_spec,
    "risk-level-only plan": risk_only_spec,
    "pre-rework plan": pre_rework_spec,
}
"""The baselines, in the order the report shows them."""
PERSONALIZED = "personalized plan"

ADAPTERS: dict[str, PolicySpec] = {"plan": personalized_spec, "placeholder": placeholder_spec}
"""Adapters selectable from the command line (``--adapter``)."""
