"""Tax-aware transition of one taxable account: a gain is realized only where its modelled
benefit over the horizon exceeds the tax it costs (Wealthfront's "gains realized only if
benefit exceeds estimated tax cost", ``shared/reference/planning-methods.md`` §1.1, §1.6 item 4).

The benefit model
-----------------
The household's certainty-equivalent return in dollars per year of holdings ``x`` (dollars per
asset, every account), uninvested cash ``c`` and wealth ``W`` is

    CE(x, c) = μᵀx + r_f·c − γ / (2W) · xᵀΣx

(μ annual arithmetic expected returns, Σ annual covariance, γ the investor's risk aversion:
mean–variance utility of the household portfolio). Moving δ dollars of this account from asset
*i* to asset *j* changes it by

    ΔCE = δ (μ_j − μ_i) − γ/W · δ ((Σx)_j − (Σx)_i) − γ/(2W) · δ² (Σ_jj + Σ_ii − 2Σ_ij),

the expected-return difference minus the change of the variance penalty, both from the
covariance of the whole household. The move is assumed to keep that improvement for
``horizon_years``; its benefit is the present value ``A_H · ΔCE`` with the annuity factor
``A_H = Σ_{t=1..H} (1 + ρ)^(−t)`` at the discount rate ρ (default: the target portfolio's
expected return), less the trading cost of both legs.

The tax a sale costs
--------------------
A sale's tax now is its *marginal* tax in the year's netting (IRC §1222 short/long-term netting,
the $3,000 loss limit of §1211(b)): ``tax(year + sale) − tax(year)``, where the year already
contains the gains realized before the plan (``realized_gains_this_year``) and the plan's
earlier sales. A loss beyond what the year can use is carried forward; the decision gives the
carryforward no value this year (conservative for harvesting). Without the sale the gain would
still be taxed when the position is sold at the horizon, at the long-term rate: selling now
pays ``tax_now`` but saves ``gain · t_LT`` at the horizon, whose present value is
``gain · t_LT · (1 + ρ)^(−H)``. So the sale costs

    tax_cost = tax_now − gain · t_LT · (1 + ρ)^(−H)

(``step_up=True`` assumes the lot is instead held until death, IRC §1014: nothing is saved and
``tax_cost = tax_now``). A loss has a negative ``tax_now`` and a positive deferral term (the
replacement's lower basis is taxed at the horizon).

The procedure
-------------
1. Sales required by a hard constraint (an excluded asset) are made whatever their tax, and
   say so.
2. Cash flows first: the account's cash (deposits, dividends, required-sale proceeds) above
   ``min_cash`` buys the emergency-reserve (cash-class) underweights, then the other underweights
   in order of marginal ΔCE — no sale is considered before the cash is spent.
3. Sales, chunk by chunk (``transition_step`` of the account): for every overweight asset the
   next lot in the order *losses before gains, long-term before short-term, highest basis
   first*; for each, the underweight asset with the largest ΔCE; the chunk with the largest
   ``benefit − tax_cost`` is made if that is positive, within the realized-gains budget (net
   realized gains of the year, including those already realized) and ``max_tax``.
4. Whatever is left between holdings and target becomes a :class:`SkippedTrade` that states the
   benefit and the tax it was compared with.

Each realized chunk satisfies ``benefit ≥ tax_cost`` exactly (step 3 compares the chunk's
exact ΔCE, not a linearisation), unless it was required by step 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tailorfolio.errors import InfeasibleError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax._holding import is_long_term
from tailorfolio.tax._ledger import Ledger, Lot
from tailorfolio.tax._netting import net_capital_gains
from tailorfolio.tax._rebalance import (
    LotSale,
    Purchase,
    RebalanceResult,
    RebalanceSettings,
    SkippedTrade,
    ledger_cash,
)
from tailorfolio.tax._substitutes import SubstituteTable
from tailorfolio.tax._tables import MarginalRates

MAX_CHUNKS = 20_000
"""Safety bound on the number of chunks of one account's transition."""


@dataclass(frozen=True)
class BenefitModel:
    """What a move toward the target is worth (see the module docstring).

    Attributes
    ----------
    expected_return : pandas.Series
        μ per asset, annual arithmetic, decimal.
    covariance : pandas.DataFrame
        Σ, annual.
    risk_aversion : float
        γ of the household (mean–variance utility).
    horizon_years : int
        H: how long a move's improvement is assumed to last, and when a deferred gain would
        otherwise be taxed.
    discount_rate : float
        ρ, annual decimal.
    risk_free_rate : float
        Return of uninvested cash, annual decimal.
    household_wealth : float
        W, dollars.
    step_up : bool
        Assume lots are held until death (basis step-up, IRC §1014): a gain not realized now is
        never taxed, so deferral is worth the whole tax.
    """

    expected_return: pd.Series
    covariance: pd.DataFrame
    risk_aversion: float
    horizon_years: int
    discount_rate: float
    risk_free_rate: float
    household_wealth: float
    step_up: bool = False

    @property
    def annuity(self) -> float:
        """A_H: present value of one dollar a year for ``horizon_years``."""
        r, h = self.discount_rate, max(int(self.horizon_years), 0)
        if abs(r) < 1e-12:
            return float(h)
        return float((1 - (1 + r) ** -h) / r)

    @property
    def deferral_factor(self) -> float:
        """Present value of one dollar of tax due at the horizon (0 with step-up)."""
        return 0.0 if self.step_up else float((1 + self.discount_rate) ** -self.horizon_years)


@dataclass
class YearGains:
    """The tax year's realized gains so far (prior + this plan's sales), for marginal netting.

    Attributes
    ----------
    short_term, long_term : float
        Net realized gains of the year so far, dollars (losses negative).
    rates : MarginalRates
    """

    short_term: float
    long_term: float
    rates: MarginalRates

    def tax(self, d_short: float = 0.0, d_long: float = 0.0) -> float:
        """Netted tax of the year with ``d_short``/``d_long`` more realized, dollars."""
        return net_capital_gains(self.short_term + d_short, self.long_term + d_long,
                                 self.rates).tax

    def marginal(self, gain: float, long_term: bool) -> float:
        """Tax now of realizing ``gain`` of the given term, after netting, dollars."""
        if long_term:
            return self.tax(0.0, gain) - self.tax()
        return self.tax(gain, 0.0) - self.tax()

    @property
    def net(self) -> float:
        """Net realized gain of the year (the quantity a gains budget limits), dollars."""
        return self.short_term + self.long_term

    def add(self, gain: float, long_term: bool) -> None:
        if long_term:
            self.long_term += gain
        else:
            self.short_term += gain


@dataclass(frozen=True)
class TransitionNotes:
    """What the transition of one account reports beyond its trades.

    Attributes
    ----------
    budget_bound : dict of str to float
        Assets whose sale the realized-gains budget stopped → dollars still overweight.
    over_budget_required : float
        Gains above the budget realized by required sales, dollars.
    """

    budget_bound: dict[str, float]
    over_budget_required: float


@dataclass
class _Sold:
    quantity: float = 0.0
    allowed_gain: float = 0.0
    tax: float = 0.0
    tax_cost: float = 0.0
    benefit: float = 0.0
    required_by: str = ""


def _lot_order_key(lot: Lot, price: float, on: date, worthless: bool) -> tuple:
    gain_per_dollar = 0.0 if price <= 0 else (price - lot.basis_per_share) / price
    if worthless and gain_per_dollar < 0:
        gain_per_dollar = 0.0
    lt = is_long_term(lot.holding_start, on)
    if gain_per_dollar < 0:
        # Losses first; short-term losses (taxed at the higher rate) before long-term ones,
        # then the largest loss per dollar.
        return (0, lt, gain_per_dollar, lot.lot_id)
    # Gains: long-term before short-term, highest basis (least gain per dollar) first.
    return (1, not lt, gain_per_dollar, lot.lot_id)


def transition_account(ledger: Ledger, account: str, target: pd.Series,
                       prices: dict[str, float], on: date, model: BenefitModel,
                       year: YearGains, *, other_holdings: pd.Series | None = None,
                       settings: RebalanceSettings | None = None,
                       gains_budget: float | None = None,
                       required: dict[str, str] | None = None,
                       reserve_assets: frozenset[str] | set[str] = frozenset(),
                       blocked_buys: frozenset[str] | set[str] = frozenset(),
                       worthless_losses: frozenset[str] | set[str] = frozenset(),
                       substitutes: SubstituteTable | None = None,
                       ) -> tuple[RebalanceResult, TransitionNotes]:
    """Move one taxable account toward ``target`` where the benefit beats the tax.

    Parameters
    ----------
    ledger : Ledger
        Lots of every account; the account's cash is read from ``ledger.cash``.
    account : str
    target : pandas.Series
        Target dollars per asset of the account (sums to the account value).
    prices : dict of str to float
    on : date
    model : BenefitModel
    year : YearGains
        The year's realized gains so far; updated in place with this account's sales.
    other_holdings : pandas.Series, optional
        Dollars per asset held in the household's other accounts (after their trades); their
        uninvested cash does not change ΔCE (it has no covariance) and is not needed.
    settings : RebalanceSettings, optional
        ``min_cash``, ``max_tax``, ``trade_cost_bps`` and ``transition_step`` are used.
    gains_budget : float, optional
        Net realized gains allowed in the year (including those already realized), dollars;
        None = no budget. Required sales may exceed it (and say so).
    required : dict of str to str
        Assets that must be sold whatever the tax (e.g. excluded) → why.
    reserve_assets : set of str
        Cash-class assets holding the emergency reserve: cash buys them first.
    blocked_buys : set of str
        Assets that must not be bought (a purchase would wash a recent loss).
    worthless_losses : set of str
        Assets whose losses a recent or planned purchase would wash: their losses count as 0.
    substitutes : SubstituteTable, optional
        When given, a loss sale never funds a purchase of a substantially identical security
        (it would wash the loss, IRC §1091).

    Returns
    -------
    RebalanceResult
        ``stage`` is ``transition``.
    TransitionNotes

    Raises
    ------
    InfeasibleError
        When a held or target asset has no price, or the account has no value.
    """
    s = settings or RebalanceSettings()
    required = dict(required or {})
    lots = [x for x in ledger.lots(account) if x.quantity > 0]
    assets = list(dict.fromkeys([*target.index, *(x.asset for x in lots)]))
    missing = [a for a in assets if a not in prices]
    if missing:
        raise InfeasibleError(f"No price for {missing}.", field="prices", value=missing,
                              fix="supply prices for every held and target asset")
    idx = {a: i for i, a in enumerate(assets)}
    n = len(assets)
    p = np.array([prices[a] for a in assets], dtype=float)
    held = np.zeros(n)
    for x in lots:
        held[idx[x.asset]] += x.quantity * prices[x.asset]
    cash = ledger_cash(ledger, account)
    value = float(held.sum() + cash)
    if value <= 0:
        raise InfeasibleError(f"Account {account!r} has no value to rebalance.",
                              field="account", value=account, fix="deposit cash first")
    tgt = target.reindex(assets).fillna(0.0).to_numpy(dtype=float)
    mu = model.expected_return.reindex(assets).fillna(model.risk_free_rate).to_numpy(float)
    cov_df = model.covariance.reindex(index=assets, columns=assets)
    cov = np.array(cov_df.fillna(0.0).to_numpy(float), dtype=float, copy=True)
    for i, a in enumerate(assets):
        if a not in model.covariance.index:
            cov[i, i] = float(np.nanmax(np.diag(model.covariance.to_numpy()))) \
                if len(model.covariance) else 0.04
    cov = 0.5 * (cov + cov.T)
    other = np.zeros(n) if other_holdings is None else \
        other_holdings.reindex(assets).fillna(0.0).to_numpy(float)
    # Household holdings outside `assets` only matter through their covariance with them.
    outside = pd.Series(dtype=float) if other_holdings is None else \
        other_holdings[[a for a in other_holdings.index if a not in idx and
                        other_holdings[a] != 0]]
    if len(outside):
        ext = model.covariance.reindex(index=assets, columns=outside.index).fillna(0.0)
        cross = ext.to_numpy(float) @ outside.to_numpy(float)
    else:
        cross = np.zeros(n)
    W = max(model.household_wealth, value)
    g = model.risk_aversion
    A = model.annuity
    defer = model.deferral_factor
    rf = model.risk_free_rate
    lt_rate = year.rates.long_term_total
    cost_rate = s.trade_cost_bps / 1e4
    x_acc = held.copy()      # this account's dollars per asset
    rem = np.array([x.quantity for x in lots], dtype=float)
    lot_asset = np.array([idx[x.asset] for x in lots], dtype=int)
    lot_lt = np.array([is_long_term(x.holding_start, on) for x in lots], dtype=bool)
    lot_gps = np.array([p[idx[x.asset]] - x.basis_per_share for x in lots], dtype=float)
    for k, x in enumerate(lots):
        if lot_gps[k] < 0 and x.asset in worthless_losses:
            lot_gps[k] = 0.0
    sold = [_Sold() for _ in lots]
    bought = np.zeros(n)
    tax_now_total = 0.0
    budget_bound: dict[str, float] = {}
    over_budget_required = 0.0
    blocked = np.array([a in blocked_buys for a in assets], dtype=bool)
    tol = max(1.0, 1e-6 * value)

    def sigma_x() -> np.ndarray:
        return cov @ (x_acc + other) + cross

    def delta_ce(i: int, j: int | None, d: float, sx: np.ndarray) -> float:
        """Exact ΔCE (dollars/year) of moving d dollars from i (None = cash) to j (None =
        cash)."""
        mi = rf if i is None else mu[i]
        mj = rf if j is None else mu[j]
        si = 0.0 if i is None else sx[i]
        sj = 0.0 if j is None else sx[j]
        vii = 0.0 if i is None else cov[i, i]
        vjj = 0.0 if j is None else cov[j, j]
        vij = 0.0 if (i is None or j is None) else cov[i, j]
        return float(d * (mj - mi) - g / W * d * (sj - si)
                     - g / (2 * W) * d * d * (vii + vjj - 2 * vij))

    def sell_lot(k: int, q: float, benefit: float, why: str = "") -> float:
        """Sell q shares of lot k; returns the gain."""
        nonlocal tax_now_total
        i = lot_asset[k]
        gain = q * lot_gps[k]
        tax_now = year.marginal(gain, bool(lot_lt[k]))
        sold[k].quantity += q
        sold[k].allowed_gain += gain
        sold[k].tax += tax_now
        sold[k].tax_cost += tax_now - gain * lt_rate * defer
        sold[k].benefit += benefit
        if why:
            sold[k].required_by = why
        year.add(gain, bool(lot_lt[k]))
        tax_now_total += tax_now
        rem[k] -= q
        x_acc[i] -= q * p[i]
        return gain

    # 1. Required sales (hard constraints), whatever the tax.
    for k in sorted(range(len(lots)), key=lambda k: _lot_order_key(
            lots[k], p[lot_asset[k]], on, lots[k].asset in worthless_losses)):
        a = lots[k].asset
        if a in required and rem[k] > 0:
            before = year.net
            amount = rem[k] * p[lot_asset[k]]
            b = A * delta_ce(lot_asset[k], None, amount, sigma_x()) - cost_rate * amount
            sell_lot(k, rem[k], b, required[a])
            cash += amount
            if gains_budget is not None and year.net > gains_budget:
                over_budget_required += year.net - max(before, gains_budget)

    # 2. Cash flows first: reserve assets, then the underweights by marginal ΔCE.
    def spend_cash(avail: float) -> float:
        under = tgt - x_acc
        res_idx = [i for i in range(n) if assets[i] in reserve_assets and under[i] > tol
                   and not blocked[i]]
        need = sum(under[i] for i in res_idx)
        if need > 0 and avail > 0:
            f = min(1.0, avail / need)
            for i in res_idx:
                amt = under[i] * f
                x_acc[i] += amt
                bought[i] += amt
                avail -= amt
        step = max(s.transition_step * value, 50.0)
        for _ in range(MAX_CHUNKS):
            if avail <= tol:
                break
            under = tgt - x_acc
            cand = [j for j in range(n) if under[j] > tol and not blocked[j]]
            if not cand:
                break
            sx = sigma_x()
            best = max(cand, key=lambda j: delta_ce(None, j, 1.0, sx))
            amt = min(step, avail, under[best])
            x_acc[best] += amt
            bought[best] += amt
            avail -= amt
        return avail

    spend_cash(cash - s.min_cash)
    order = sorted(range(len(lots)), key=lambda k: _lot_order_key(
        lots[k], p[lot_asset[k]], on, lots[k].asset in worthless_losses))

    # 2b. The reserve's shortfall, from sales in the same lot order: those that cost no tax
    # (losses, lots without gain) always; taxed ones only with ``fund_reserve_by_selling``,
    # which makes the reserve a hard constraint.
    res_idx = [i for i in range(n) if assets[i] in reserve_assets and not blocked[i]]
    for k in order:
        short = {i: tgt[i] - x_acc[i] for i in res_idx if tgt[i] - x_acc[i] > tol}
        if not short:
            break
        i = lot_asset[k]
        if i in res_idx or rem[k] <= 1e-12 or x_acc[i] - tgt[i] <= tol:
            continue
        while rem[k] > 1e-12 and x_acc[i] - tgt[i] > tol and short:
            j = max(short, key=short.get)
            d = min(rem[k] * p[i], x_acc[i] - tgt[i], short[j])
            gain = d / p[i] * lot_gps[k]
            tax_cost = year.marginal(gain, bool(lot_lt[k])) - gain * lt_rate * defer
            if tax_cost > 1e-9 and not s.fund_reserve_by_selling:
                break
            over_budget = gains_budget is not None and gain > 0 and \
                year.net + gain > gains_budget
            if over_budget and not s.fund_reserve_by_selling:
                break
            benefit = A * delta_ce(i, j, d, sigma_x()) - 2 * cost_rate * d
            why = "" if benefit >= tax_cost and not over_budget else \
                "the emergency reserve (preferences.cash_reserve_months)"
            before = year.net
            sell_lot(k, d / p[i], benefit, why)
            if over_budget:
                over_budget_required += year.net - max(before, gains_budget)
            x_acc[j] += d
            bought[j] += d
            short = {i2: tgt[i2] - x_acc[i2] for i2 in res_idx if tgt[i2] - x_acc[i2] > tol}

    # 3. Sales where the benefit beats the tax: losses (and lots without gain) fill the
    # underweights first, then long-term gains, then short-term ones.
    step = max(s.transition_step * value, 50.0)
    for phase in range(3):
        for _ in range(MAX_CHUNKS):
            over = x_acc - tgt
            under = tgt - x_acc
            dests = [j for j in range(n) if under[j] > tol and not blocked[j]]
            if not dests:
                break
            sx = sigma_x()
            best = None
            for i in {lot_asset[k] for k in order if rem[k] > 1e-12}:
                if over[i] <= tol:
                    continue
                k = next(k for k in order if lot_asset[k] == i and rem[k] > 1e-12)
                if _phase_of(lot_gps[k], bool(lot_lt[k])) > phase:
                    continue
                ok = dests
                if substitutes is not None and lot_gps[k] < 0:
                    ok = [j for j in dests if not substitutes.identical(assets[i], assets[j])]
                    if not ok:
                        continue
                j = max(ok, key=lambda j: delta_ce(i, j, 1.0, sx))
                d = min(step, rem[k] * p[i], over[i], under[j])
                if gains_budget is not None and lot_gps[k] > 0:
                    room = gains_budget - year.net
                    d = min(d, max(room, 0.0) / (lot_gps[k] / p[i]))
                    if d <= tol:
                        budget_bound[assets[i]] = float(over[i])
                        continue
                if s.max_tax is not None and lot_gps[k] > 0:
                    d = _within_max_tax(d, lot_gps[k] / p[i], bool(lot_lt[k]), year,
                                        s.max_tax - tax_now_total)
                    if d <= tol:
                        continue
                q = d / p[i]
                gain = q * lot_gps[k]
                tax_cost = year.marginal(gain, bool(lot_lt[k])) - gain * lt_rate * defer
                benefit = A * delta_ce(i, j, d, sx) - 2 * cost_rate * d
                net = benefit - tax_cost
                if net > 1e-9 and (best is None or net / d > best[0]):
                    best = (net / d, k, i, j, d, benefit)
            if best is None:
                break
            _, k, i, j, d, benefit = best
            sell_lot(k, d / p[i], benefit)
            x_acc[j] += d
            bought[j] += d
    # Record every overweight the budget stopped (even if a loss lot later sold there).
    if gains_budget is not None:
        room = gains_budget - year.net
        for k in order:
            i = lot_asset[k]
            if rem[k] > 1e-12 and lot_gps[k] > 0 and x_acc[i] - tgt[i] > tol and room <= tol:
                budget_bound.setdefault(assets[i], float(x_acc[i] - tgt[i]))

    # 4. The result and what was deliberately not done.
    sales = []
    for k, lot in enumerate(lots):
        if sold[k].quantity <= 1e-9:
            continue
        q = min(sold[k].quantity, lot.quantity)
        sales.append(LotSale(lot.lot_id, lot.asset, q, float(p[lot_asset[k]]),
                             q * lot.basis_per_share, bool(lot_lt[k]), sold[k].tax,
                             benefit=sold[k].benefit, tax_cost=sold[k].tax_cost,
                             required_by=sold[k].required_by))
    purchases = [Purchase(a, float(bought[i] / p[i]), float(p[i]))
                 for i, a in enumerate(assets) if bought[i] > 0.005]
    proceeds = sum(x.proceeds for x in sales)
    cash_after = ledger_cash(ledger, account) + proceeds - float(bought.sum())
    skipped = _skipped(assets, lots, lot_asset, lot_lt, lot_gps, rem, order, x_acc, tgt, p,
                       blocked, value, year, model, lt_rate, defer, A, sigma_x(), delta_ce,
                       budget_bound, gains_budget, cost_rate, set(reserve_assets),
                       None if s.max_tax is None else (s.max_tax, tax_now_total))
    # Realized for the year: a loss that a recent or planned purchase washes is disallowed.
    st = sum(sold[k].allowed_gain for k in range(len(lots)) if not lot_lt[k])
    lt = sum(sold[k].allowed_gain for k in range(len(lots)) if lot_lt[k])
    d0 = (held - tgt) / value
    d1 = (x_acc - tgt) / value

    def te(d: np.ndarray) -> float:
        return float(np.sqrt(max(float(d @ cov @ d), 0.0)))

    notes = ()
    if over_budget_required > 0:
        notes = (f"required sales in {account!r} exceed the realized-gains budget by "
                 f"{over_budget_required:,.0f}",)
    result = RebalanceResult(
        account, tuple(sales), tuple(purchases), pd.Series(held, index=assets),
        pd.Series(x_acc, index=assets), pd.Series(tgt, index=assets),
        ledger_cash(ledger, account), float(cash_after), float(st), float(lt),
        float(tax_now_total), float(np.max(np.abs(d0))) if n else 0.0,
        float(np.max(np.abs(d1))) if n else 0.0, te(d0), te(d1), tuple(skipped),
        "transition", 0.0, 0.0, notes)
    return result, TransitionNotes(budget_bound, float(over_budget_required))


def _phase_of(gain_per_share: float, long_term: bool) -> int:
    """0 for losses and lots without gain, 1 for long-term gains, 2 for short-term gains."""
    if gain_per_share <= 0:
        return 0
    return 1 if long_term else 2


def _within_max_tax(d: float, gain_per_dollar: float, long_term: bool, year: YearGains,
                    room: float) -> float:
    """Largest chunk ≤ ``d`` whose marginal (netted) tax stays within ``room`` dollars."""
    if year.marginal(d * gain_per_dollar, long_term) <= room + 1e-9:
        return d
    lo, hi = 0.0, d
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if year.marginal(mid * gain_per_dollar, long_term) <= room + 1e-9:
            lo = mid
        else:
            hi = mid
    return lo


def _skipped(assets, lots, lot_asset, lot_lt, lot_gps, rem, order, x_acc, tgt, p, blocked,
             value, year, model, lt_rate, defer, A, sx, delta_ce, budget_bound, gains_budget,
             cost_rate, reserve_assets, tax_cap) -> list[SkippedTrade]:
    """The gaps left, each with the benefit of closing it and the tax that was compared."""
    out: list[SkippedTrade] = []
    band = max(0.01 * value, 1.0)
    n = len(assets)
    under = np.clip(tgt - x_acc, 0.0, None)
    under[blocked] = 0.0
    for i, a in enumerate(assets):
        gap = tgt[i] - x_acc[i]
        if abs(gap) < band:
            continue
        if gap > 0:
            if blocked[i]:
                reason = ("buying it now would wash a loss sold in the last 30 days "
                          "(IRC §1091); buy a substitute or wait")
            elif a in reserve_assets:
                reason = ("emergency reserve not yet funded: no cash left, and the sales that "
                          "would fund it were not made (see the sales not made and why); "
                          "direct new deposits to it")
            else:
                reason = ("no cash left to buy it: the sales that would fund it were not made "
                          "(see the sales not made and why)")
            out.append(SkippedTrade(a, float(gap), reason))
            continue
        excess = -gap
        # Benefit of moving the whole excess into the remaining underweights pro rata.
        benefit = 0.0
        if under.sum() > 0:
            mix = under / under.sum()
            amt = min(excess, float(under.sum()))
            dest = [(j, mix[j] * amt) for j in range(n) if mix[j] > 0]
            for j, d in dest:
                benefit += A * delta_ce(i, j, d, sx) - 2 * cost_rate * d
        else:  # nothing left to buy: the proceeds would stay in cash
            benefit = A * delta_ce(i, None, excess, sx) - cost_rate * excess
        # Tax of selling it lot by lot, in the procedure's order.
        tax_now = tax_cost = 0.0
        left = excess
        d_short = d_long = 0.0
        for k in order:
            if lot_asset[k] != i or rem[k] <= 1e-12 or left <= 1e-9:
                continue
            q = min(rem[k], left / p[i])
            gain = q * lot_gps[k]
            if lot_lt[k]:
                d_long += gain
            else:
                d_short += gain
            tax_cost -= gain * lt_rate * defer
            left -= q * p[i]
        tax_now = year.tax(d_short, d_long) - year.tax()
        tax_cost += tax_now
        horizon = f"{model.horizon_years} years"
        if a in budget_bound and gains_budget is not None:
            reason = (f"the realized-gains budget of {gains_budget:,.0f} for the year is used "
                      f"(net realized {year.net:,.0f}); selling it would cost {tax_now:,.0f} in "
                      f"tax ({tax_cost:,.0f} net of deferral) for a modelled benefit of "
                      f"{benefit:,.0f} over {horizon}")
        elif tax_cap is not None and benefit > tax_cost and tax_cap[1] >= tax_cap[0] - 0.01:
            reason = (f"the tax cap max_tax={tax_cap[0]:,.0f} is reached; selling it would cost "
                      f"{tax_now:,.0f} in tax ({tax_cost:,.0f} net of deferral) for a modelled "
                      f"benefit of {benefit:,.0f} over {horizon}")
        elif under.sum() <= 0:
            reason = ("no underweight asset left to buy with the proceeds; selling it into "
                      f"cash would cost {tax_now:,.0f} in tax ({tax_cost:,.0f} net of deferral) "
                      f"for a modelled benefit of {benefit:,.0f} over {horizon}")
        else:
            reason = (f"selling it would cost {tax_now:,.0f} in tax now ({tax_cost:,.0f} net of "
                      f"the value of deferring it to the horizon) for a modelled benefit of "
                      f"{benefit:,.0f} over {horizon}")
        out.append(SkippedTrade(a, float(gap), reason, float(max(tax_now, 0.0)),
                                benefit=float(benefit), tax_compared=float(tax_cost)))
    return out
