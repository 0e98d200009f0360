"""The tax stage of a plan: place the household allocation across accounts (asset location)
and propose each account's lot-level trades (tax-aware rebalancing), with their taxes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from tailorfolio.errors import InfeasibleError, SolverError, TaxError
from tailorfolio.market._market import Market
from tailorfolio.profile._enums import AccountType
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.tax._harvest import HarvestOpportunity, HarvestPolicy, find_harvests
from tailorfolio.tax._ledger import Ledger
from tailorfolio.tax._location import TAX_EXEMPT_CLASSES, LocationResult, locate_assets
from tailorfolio.tax._netting import net_capital_gains
from tailorfolio.tax._rebalance import (
    LotSale,
    Purchase,
    RebalanceSettings,
    SkippedTrade,
    tax_aware_rebalance,
)
from tailorfolio.tax._substitutes import substitute_table
from tailorfolio.tax._tables import MarginalRates, marginal_rates

if TYPE_CHECKING:
    from tailorfolio.planning._build import PlanContext
    from tailorfolio.planning._plan import Plan

MIN_LOCATION_HORIZON_YEARS = 5
"""Shortest horizon used to value placements (years)."""


@dataclass(frozen=True)
class AccountPlan:
    """One account's part of the plan.

    Attributes
    ----------
    account : str
    account_type : str
    value : float
        Current value incl. cash, dollars.
    target : dict of str to float
        Target dollars per asset after asset location.
    holdings_after : dict of str to float
        Dollars per asset after the proposed trades.
    sales : tuple of LotSale
    purchases : tuple of Purchase
    realized_short_term, realized_long_term : float
    estimated_tax : float
        Tax of this account's sales alone at marginal rates, dollars.
    skipped : tuple of SkippedTrade
    stage : str
    max_drift_after : float
    """

    account: str
    account_type: str
    value: float
    target: dict[str, float]
    holdings_after: dict[str, float]
    sales: tuple[LotSale, ...]
    purchases: tuple[Purchase, ...]
    realized_short_term: float
    realized_long_term: float
    estimated_tax: float
    skipped: tuple[SkippedTrade, ...]
    stage: str
    max_drift_after: float
    cash_after: float


@dataclass(frozen=True)
class TaxSummary:
    """Household tax figures of the plan (``plan.extras['tax']``)."""

    rates: MarginalRates
    horizon_years: int
    location_after_tax_value: float
    pro_rata_after_tax_value: float
    location_annual_benefit: float
    realized_short_term: float
    realized_long_term: float
    estimated_tax: float
    harvests: tuple[HarvestOpportunity, ...]


def plan_accounts(profile: InvestorProfile, market: Market, weights: dict[str, float],
                  as_of: date, *, settings: RebalanceSettings | None = None,
                  policy: HarvestPolicy | None = None
                  ) -> tuple[tuple[AccountPlan, ...], TaxSummary, LocationResult]:
    """Asset location and per-account trades for ``profile`` toward household ``weights``.

    Tax-deferred and Roth accounts trade first (no tax); their purchases are known, so the
    taxable account gives no value to losses those purchases would wash (IRC §1091, Rev. Rul.
    2008-5). The taxable account is then rebalanced tax-aware toward its location target.
    """
    settings = settings or RebalanceSettings()
    prices = {t: market.price_of(t) for t in market.tickers if t in market.last_prices}
    rates = marginal_rates(profile, as_of.year)
    subs = substitute_table(market.universe)
    ledger = Ledger.from_profile(profile, substitutes=subs, rates=rates)
    values = {a.name: a.value(prices) for a in profile.accounts}
    wealth = sum(values.values())
    tickers = [t for t in market.tickers if weights.get(t, 0.0) > 0]
    target = pd.Series({t: weights[t] for t in tickers}, dtype=float)
    target = target / target.sum() * wealth
    uni = market.universe
    a = market.assumptions
    growth = pd.Series({t: float(a.expected_return[t] - 0.5 * a.volatility[t] ** 2)
                        for t in tickers})
    yields = pd.Series({t: uni[t].yield_ for t in tickers})
    qual = pd.Series({t: uni[t].qualified_dividend_share for t in tickers})
    exempt = {t for t in tickers if uni[t].asset_class in TAX_EXEMPT_CLASSES}
    current = pd.DataFrame(0.0, index=tickers, columns=list(values))
    for acc in profile.accounts:
        for lot in acc.lots:
            if lot.asset in current.index:
                current.loc[lot.asset, acc.name] += lot.quantity * prices[lot.asset]
    horizon = max(profile.retirement_age - profile.age, MIN_LOCATION_HORIZON_YEARS)
    loc = locate_assets(target, {n: (next(x.type for x in profile.accounts if x.name == n), v)
                                 for n, v in values.items()},
                        growth, yields, qual, rates, horizon, exempt=exempt, current=current)
    cov = a.covariance
    order = sorted(profile.accounts, key=lambda x: x.type is AccountType.TAXABLE)
    planned_buys: set[str] = set()
    plans: list[AccountPlan] = []
    for acc in order:
        tgt = loc.amounts[acc.name]
        worthless = {t for t in prices if any(subs.identical(t, b) for b in planned_buys)}
        recent = {x.asset for x in ledger.lots() if (as_of - x.acquired).days <= 30}
        worthless |= {t for t in prices if any(subs.identical(t, r) for r in recent)}
        acc_settings = settings if acc.type is AccountType.TAXABLE else dataclasses.replace(
            settings, cash_flow_first=False, max_tax=None)
        res = tax_aware_rebalance(ledger, acc.name, tgt, prices, as_of, cov=cov,
                                  settings=acc_settings, worthless_losses=worthless)
        if acc.type is not AccountType.TAXABLE:
            planned_buys |= {p.asset for p in res.purchases}
        plans.append(AccountPlan(
            acc.name, acc.type.value, values[acc.name],
            {t: float(v) for t, v in res.target.items() if abs(v) > 0.005},
            {t: float(v) for t, v in res.holdings_after.items() if abs(v) > 0.005},
            res.sales, res.purchases, res.realized_short_term, res.realized_long_term,
            res.estimated_tax, res.skipped, res.stage, res.max_drift_after, res.cash_after))
    plans.sort(key=lambda p: [x.name for x in profile.accounts].index(p.account))
    st = sum(p.realized_short_term for p in plans)
    lt = sum(p.realized_long_term for p in plans)
    year = net_capital_gains(st, lt, rates)
    contributing = {x.name: x.annual_contribution for x in profile.accounts
                    if x.annual_contribution > 0}
    harvests = tuple(find_harvests(ledger, prices, as_of, rates, policy,
                                   contributing_accounts=contributing,
                                   planned_purchases=tuple(("tax-advantaged accounts", t)
                                                           for t in sorted(planned_buys))))
    summary = TaxSummary(rates, horizon, loc.after_tax_value, loc.pro_rata_value,
                         loc.annual_benefit, st, lt, year.tax, harvests)
    return tuple(plans), summary, loc


def tax_stage(ctx: PlanContext, plan: Plan) -> Plan:
    """Plan stage: fill ``plan.account_plans`` and ``plan.extras['tax']``.

    A household with nothing invested is left as is. When the account trades cannot be
    computed (an infeasible or failed solve) the plan keeps its allocation and says why in
    its warnings rather than failing as a whole.
    """
    if plan.investable_wealth <= 0:
        return plan
    try:
        plans, summary, _ = plan_accounts(ctx.profile, ctx.market, plan.weights, ctx.as_of)
    except (InfeasibleError, SolverError, TaxError) as exc:
        return dataclasses.replace(plan, warnings=(*plan.warnings, (
            f"Per-account trades were not computed: {exc}")))
    extras: dict[str, Any] = {**plan.extras, "tax": summary}
    return dataclasses.replace(plan, account_plans=plans, extras=extras)
