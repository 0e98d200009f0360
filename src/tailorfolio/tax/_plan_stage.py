"""The tax stage of a plan: place the household allocation across accounts (asset location)
and propose each account's lot-level trades (tax-aware rebalancing), with their taxes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from tailorfolio.market._market import Market
from tailorfolio.profile._account import Account
from tailorfolio.profile._enums import AccountType
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.risk._scoring import assess_risk
from tailorfolio.tax._harvest import HarvestOpportunity, HarvestPolicy, find_harvests
from tailorfolio.tax._ledger import Ledger
from tailorfolio.tax._location import TAX_EXEMPT_CLASSES, LocationResult, locate_assets
from tailorfolio.tax._netting import YearTax, net_capital_gains
from tailorfolio.tax._rebalance import (
    LotSale,
    Purchase,
    RebalanceSettings,
    SkippedTrade,
    plain,
    tax_aware_rebalance,
)
from tailorfolio.tax._transition import BenefitModel, YearGains, transition_account
from tailorfolio.tax._substitutes import substitute_table
from tailorfolio.tax._tables import MarginalRates, marginal_rates

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
        Each with its tax now, the modelled benefit it bought, the tax that benefit was
        compared with, and the hard constraint that required it (if any).
    purchases : tuple of Purchase
    realized_short_term, realized_long_term : float
    estimated_tax : float
        Tax now of this account's sales, dollars: marginal after netting with the year's
        other gains in the transition, at marginal rates in the tracking program.
    skipped : tuple of SkippedTrade
        Trades toward the target deliberately not made: the reason, the tax a sale would have
        cost and the benefit it was compared with.
    stage : str
        ``transition`` (benefit vs tax), ``tax-free``, ``cash-flow`` or ``full`` (tracking
        program).
    max_drift_after : float
    cash_after : float
    notes : tuple of str
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
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready), recursively."""
        return plain(self)


@dataclass(frozen=True)
class GainsBudgetUse:
    """How the year's realized-gains budget was used.

    Attributes
    ----------
    budget : float or None
        Net realized gains allowed in the year, dollars (None = no budget).
    realized_before : float
        Net gains realized this year before the plan (``realized_gains_this_year``).
    realized_with_plan : float
        Net realized gains of the year including the plan's sales.
    remaining : float or None
        Budget left, dollars (negative when required sales exceed it).
    binding : tuple of str
        Assets whose sale the budget stopped.
    required_over_budget : float
        Gains above the budget realized by sales a hard constraint required, dollars.
    """

    budget: float | None
    realized_before: float
    realized_with_plan: float
    remaining: float | None
    binding: tuple[str, ...]
    required_over_budget: float


@dataclass(frozen=True)
class LossLimitUse:
    """The year's net capital loss against ordinary income (IRC §1211(b)).

    Attributes
    ----------
    limit : float
        Deductible per year, dollars.
    used : float
        Net loss deducted against ordinary income this year (prior gains and the plan).
    carried_forward : float
        Net loss carried to next year (short- plus long-term), dollars.
    """

    limit: float
    used: float
    carried_forward: float


@dataclass(frozen=True)
class TransitionModel:
    """The assumptions the tax-aware transition compared benefits with taxes under.

    Attributes
    ----------
    horizon_years : int
    risk_aversion : float
    discount_rate : float
    annuity_factor : float
        Present value of one dollar a year of certainty-equivalent gain over the horizon.
    deferral_factor : float
        Present value of one dollar of tax due at the horizon (0 with step-up).
    step_up : bool
    expected_return_source : str
    """

    horizon_years: int
    risk_aversion: float
    discount_rate: float
    annuity_factor: float
    deferral_factor: float
    step_up: bool
    expected_return_source: str


@dataclass(frozen=True)
class TaxSummary:
    """Household tax figures of the plan (``plan.extras['tax']``).

    Attributes
    ----------
    rates : MarginalRates
    horizon_years : int
        Horizon of the asset location and of the transition's benefit model.
    location_after_tax_value, pro_rata_after_tax_value : float
    location_annual_benefit : float
    realized_short_term, realized_long_term : float
        Realized by the plan's sales, dollars.
    estimated_tax : float
        Tax the plan's sales add to the year after netting with the gains already realized,
        dollars (negative = saving).
    harvests : tuple of HarvestOpportunity
    prior_short_term, prior_long_term : float
        Gains realized this year before the plan (profile ``realized_gains_this_year``).
    netting : YearTax or None
        The whole year's netting (prior + plan): taxable short/long-term, ordinary
        deduction, carryforwards, tax.
    gains_budget : GainsBudgetUse or None
    loss_limit : LossLimitUse or None
    transition : TransitionModel or None
        None when the tracking program was used instead of the transition.
    reserve_amount : float
        Emergency reserve placed, dollars.
    reserve_placed : dict of str to float
        Dollars of the reserve per account.
    warnings : tuple of str
    """

    rates: MarginalRates
    horizon_years: int
    location_after_tax_value: float
    pro_rata_after_tax_value: float
    location_annual_benefit: float
    realized_short_term: float
    realized_long_term: float
    estimated_tax: float
    harvests: tuple[HarvestOpportunity, ...]
    prior_short_term: float = 0.0
    prior_long_term: float = 0.0
    netting: YearTax | None = None
    gains_budget: GainsBudgetUse | None = None
    loss_limit: LossLimitUse | None = None
    transition: TransitionModel | None = None
    reserve_amount: float = 0.0
    reserve_placed: dict[str, float] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready), recursively."""
        return plain(self)


def _lot_dollars(account: Account, prices: dict[str, float]) -> pd.Series:
    """Dollars per asset the account holds now."""
    out: dict[str, float] = {}
    for lot in account.lots:
        out[lot.asset] = out.get(lot.asset, 0.0) + lot.quantity * prices[lot.asset]
    return pd.Series(out, dtype=float)


def default_reserve_amount(profile: InvestorProfile) -> float:
    """The emergency reserve the profile asks for: ``cash_reserve_months`` of expenses,
    dollars (as the optimizer's cash floor)."""
    return float(profile.preferences.cash_reserve_months * profile.expenses_per_year / 12)


def plan_accounts(profile: InvestorProfile, market: Market, weights: dict[str, float],
                  as_of: date, *, settings: RebalanceSettings | None = None,
                  policy: HarvestPolicy | None = None, horizon_years: int | None = None,
                  reserve_amount: float | None = None,
                  expected_return: pd.Series | None = None,
                  risk_aversion: float | None = None,
                  excluded: Mapping[str, str] | None = None,
                  ) -> tuple[tuple[AccountPlan, ...], TaxSummary, LocationResult]:
    """Asset location and per-account trades for ``profile`` toward household ``weights``.

    Tax-deferred and Roth accounts trade first (no tax); their purchases are known, so the
    taxable account gives no value to losses those purchases would wash (IRC §1091, Rev. Rul.
    2008-5). Taxable accounts then make the tax-aware transition (``_transition``): cash first,
    and a gain is realized only where the modelled benefit over the horizon exceeds its tax,
    within ``settings.gains_budget``, netted with the gains already realized this year.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market
    weights : dict of str to float
        Household target weights.
    as_of : date
    settings : RebalanceSettings, optional
        ``gains_budget``, ``step_up``, ``discount_rate``, ``max_tax``, ``min_cash`` …;
        ``max_drift``/``max_turnover``/``whole_shares`` select the tracking program instead.
    policy : HarvestPolicy, optional
    horizon_years : int, optional
        Horizon of the location and of the benefit model; default years to retirement, at
        least 5.
    reserve_amount : float, optional
        Emergency reserve, dollars, placed in cash-class assets of taxable accounts; default
        ``cash_reserve_months`` of expenses. 0 = none.
    expected_return : pandas.Series, optional
        μ for the benefit model (e.g. the plan's Black–Litterman returns); default the
        market's assumptions.
    risk_aversion : float, optional
        γ for the benefit model; default the profile's risk assessment.
    excluded : mapping of str to str, optional
        Assets that must not be held → why (sold whatever the tax); default the profile's
        ``preferences.excluded_assets``.
    """
    settings = settings or RebalanceSettings()
    prices = {t: market.price_of(t) for t in market.tickers if t in market.last_prices}
    rates = marginal_rates(profile, as_of.year)
    subs = substitute_table(market.universe)
    ledger = Ledger.from_profile(profile, substitutes=subs, rates=rates)
    values = {a.name: a.value(prices) for a in profile.accounts}
    types = {a.name: a.type for a in profile.accounts}
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
    cash_class = {t for t in market.tickers if uni[t].broad_class == "cash"}
    current = pd.DataFrame(0.0, index=tickers, columns=list(values))
    for acc in profile.accounts:
        for lot in acc.lots:
            if lot.asset in current.index:
                current.loc[lot.asset, acc.name] += lot.quantity * prices[lot.asset]
    horizon = int(horizon_years if horizon_years is not None else
                  max(profile.years_to_retirement, MIN_LOCATION_HORIZON_YEARS))
    reserve = default_reserve_amount(profile) if reserve_amount is None else reserve_amount
    reserve = max(0.0, min(float(reserve), wealth))
    loc = locate_assets(target, {n: (types[n], v) for n, v in values.items()},
                        growth, yields, qual, rates, horizon, exempt=exempt, current=current,
                        reserve_amount=reserve, reserve_assets=sorted(cash_class))
    cov = a.covariance
    mu = a.expected_return if expected_return is None else expected_return
    if risk_aversion is None:
        risk_aversion = assess_risk(profile, as_of=as_of, prices={
            t: prices[t] for t in profile.held_assets if t in prices}).risk_aversion
    w_t = target / wealth if wealth > 0 else target
    disc = settings.discount_rate if settings.discount_rate is not None else max(
        float(mu.reindex(w_t.index).fillna(a.risk_free_rate) @ w_t), 0.0)
    model = BenefitModel(mu, cov, float(risk_aversion), horizon, float(disc),
                         float(a.risk_free_rate), float(wealth), settings.step_up)
    prior = profile.realized_gains_this_year
    year = YearGains(prior.short_term, prior.long_term, rates)
    if excluded is None:
        excluded = {t: "excluded by preferences.excluded_assets"
                    for t in profile.preferences.excluded_assets}
    required = {t: why for t, why in excluded.items() if weights.get(t, 0.0) <= 0}
    order = sorted(profile.accounts, key=lambda x: x.type is AccountType.TAXABLE)
    planned: list[tuple[str, str]] = []
    loss_sold: set[str] = set()
    after: dict[str, pd.Series] = {}
    plans: list[AccountPlan] = []
    budget_binding: dict[str, float] = {}
    over_budget = 0.0
    used_transition = False
    recent = {x.asset for x in ledger.lots() if (as_of - x.acquired).days <= 30}
    for acc in order:
        tgt = loc.amounts[acc.name]
        planned_assets = {b for _, b in planned}
        worthless = {t for t in prices if any(subs.identical(t, b) for b in planned_assets)}
        worthless |= {t for t in prices if any(subs.identical(t, r) for r in recent)}
        blocked = {t for t in prices if any(subs.identical(t, x) for x in loss_sold)}
        taxable = acc.type is AccountType.TAXABLE
        if taxable and settings.uses_transition:
            others = pd.Series(0.0, index=list(dict.fromkeys([*tickers, *prices])))
            for x in profile.accounts:
                if x.name != acc.name:
                    others = others.add(after.get(x.name, _lot_dollars(x, prices)),
                                        fill_value=0.0)
            res, diag = transition_account(
                ledger, acc.name, tgt, prices, as_of, model, year, other_holdings=others,
                settings=settings, gains_budget=settings.gains_budget,
                required=required, reserve_assets=cash_class, blocked_buys=blocked,
                worthless_losses=worthless, substitutes=subs)
            used_transition = True
            for k, v in diag.budget_bound.items():
                budget_binding[k] = budget_binding.get(k, 0.0) + v
            over_budget += diag.over_budget_required
        else:
            acc_settings = settings if taxable else dataclasses.replace(
                settings, cash_flow_first=False, max_tax=None)
            res = tax_aware_rebalance(ledger, acc.name, tgt, prices, as_of, cov=cov,
                                      settings=acc_settings, worthless_losses=worthless,
                                      blocked_buys=blocked if taxable else frozenset())
            if taxable:
                year.add(res.realized_short_term, False)
                year.add(res.realized_long_term, True)
        planned += [(acc.name, p.asset) for p in res.purchases]
        loss_sold |= {x.asset for x in res.sales if x.gain < 0 and taxable}
        after[acc.name] = res.holdings_after
        plans.append(AccountPlan(
            acc.name, acc.type.value, values[acc.name],
            {t: float(v) for t, v in res.target.items() if abs(v) > 0.005},
            {t: float(v) for t, v in res.holdings_after.items() if abs(v) > 0.005},
            res.sales, res.purchases, res.realized_short_term, res.realized_long_term,
            res.estimated_tax, res.skipped, res.stage, res.max_drift_after, res.cash_after,
            tuple(res.notes)))
    plans.sort(key=lambda p: [x.name for x in profile.accounts].index(p.account))
    st = sum(p.realized_short_term for p in plans)
    lt = sum(p.realized_long_term for p in plans)
    whole_year = net_capital_gains(prior.short_term + st, prior.long_term + lt, rates)
    before = net_capital_gains(prior.short_term, prior.long_term, rates)
    contributing = {x.name: x.annual_contribution for x in profile.accounts
                    if x.annual_contribution > 0}
    harvests = tuple(find_harvests(ledger, prices, as_of, rates, policy,
                                   contributing_accounts=contributing,
                                   planned_purchases=tuple(dict.fromkeys(planned))))
    budget = settings.gains_budget
    realized_with = prior.short_term + prior.long_term + st + lt
    budget_use = GainsBudgetUse(budget, prior.net, realized_with,
                                None if budget is None else budget - realized_with,
                                tuple(sorted(budget_binding)), over_budget)
    loss_use = LossLimitUse(rates.loss_limit, whole_year.ordinary_deduction,
                            whole_year.carryforward_short + whole_year.carryforward_long)
    transition = TransitionModel(horizon, model.risk_aversion, model.discount_rate,
                                 model.annuity, model.deferral_factor, model.step_up,
                                 "given" if expected_return is not None else
                                 f"market assumptions ({a.name})") if used_transition else None
    warnings = tuple(loc.warnings) + tuple(n for p in plans for n in p.notes)
    for p in plans:
        want = loc.reserve_placed.get(p.account, 0.0)
        if want <= 0 or types[p.account] is not AccountType.TAXABLE:
            continue
        have = p.cash_after + sum(v for t, v in p.holdings_after.items() if t in cash_class)
        if have < want - max(1.0, 0.01 * want):
            warnings += (
                f"The emergency reserve placed in {p.account!r} is {want:,.0f}, but after the "
                f"trades it holds {have:,.0f} in cash and cash-class assets: funding the "
                f"remaining {want - have:,.0f} would mean sales whose tax exceeds their modelled "
                "benefit; direct new deposits to it.",)
    summary = TaxSummary(rates, horizon, loc.after_tax_value, loc.pro_rata_value,
                         loc.annual_benefit, st, lt, whole_year.tax - before.tax, harvests,
                         prior.short_term, prior.long_term, whole_year, budget_use, loss_use,
                         transition, float(sum(loc.reserve_placed.values())),
                         dict(loc.reserve_placed), warnings)
    return tuple(plans), summary, loc
