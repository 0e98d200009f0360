"""A tax-loss-harvesting backtest on a price history: harvest with substitute rotation versus
buy-and-hold, both in one taxable account with the same deposits, every trade through the
:class:`Ledger` (so wash sales are applied, never assumed away).

Conventions (stated so results can be judged): prices are adjusted closes, so distributions are
reinvested untaxed in both strategies alike; each year's net realized result is netted with
carryforwards (:func:`net_capital_gains`) and the tax saving is invested at year end (a
refund from the $3,000 ordinary offset, the only use of losses when the investor has no other
gains); at the end both portfolios are liquidated and taxed, so the deferral is given back.

:func:`harvest_backtest` runs on one price history; :func:`harvest_backtest_simulated` runs
the same lot logic along Monte Carlo paths taken from the simulator core
(:func:`tailorfolio.simulate._core.price_paths`, common random numbers), one monthly price
table per path, so the benefit comes with its spread and standard error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tailorfolio.errors import ParameterError
from tailorfolio.profile._enums import AccountType
from tailorfolio.simulate._core import ReturnModelLike, price_paths
from tailorfolio.tax._harvest import HarvestPolicy
from tailorfolio.tax._holding import is_long_term
from tailorfolio.tax._ledger import Ledger, LotMethod
from tailorfolio.tax._netting import net_capital_gains
from tailorfolio.tax._substitutes import SubstituteTable
from tailorfolio.tax._tables import MarginalRates


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`harvest_backtest`.

    Attributes
    ----------
    years : float
    harvested_losses : float
        Total losses realized by harvesting, dollars.
    annual_harvest_pct : float
        Harvested losses per year / average portfolio value.
    wash_disallowed : float
    pre_tax_value_harvest, pre_tax_value_hold : float
        End values before liquidation (harvest includes reinvested tax savings).
    after_tax_value_harvest, after_tax_value_hold : float
        End values after liquidating and paying tax.
    annual_after_tax_gain : float
        Annualized after-tax return difference (harvest − hold), decimal.
    annual_pre_tax_gain : float
        Annualized pre-liquidation difference (includes the deferred tax).
    tax_savings_reinvested : float
        Yearly tax savings (loss offsets) invested over the run, dollars.
    n_harvests : int
    """

    years: float
    harvested_losses: float
    annual_harvest_pct: float
    wash_disallowed: float
    pre_tax_value_harvest: float
    pre_tax_value_hold: float
    after_tax_value_harvest: float
    after_tax_value_hold: float
    annual_after_tax_gain: float
    annual_pre_tax_gain: float
    tax_savings_reinvested: float
    n_harvests: int


def _liquidation_tax(led: Ledger, px: dict[str, float], on: date, rates: MarginalRates,
                     cs: float, cl: float) -> float:
    st = lt = 0.0
    for lot in led.lots():
        g = lot.quantity * (px[lot.asset] - lot.basis_per_share)
        if is_long_term(lot.holding_start, on):
            lt += g
        else:
            st += g
    return net_capital_gains(st, lt, rates, carry_short=cs, carry_long=cl).tax


def harvest_backtest(prices: pd.DataFrame, sleeves: list[tuple[float, list[str]]],
                     rates: MarginalRates, policy: HarvestPolicy | None = None, *,
                     initial: float = 100_000.0, monthly_deposit: float = 1_000.0,
                     check_every_days: int = 5, reinvest_savings: bool = True
                     ) -> BacktestResult:
    """Run the harvest strategy and buy-and-hold side by side.

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily adjusted prices, dates × tickers.
    sleeves : list of (weight, tickers)
        Target weight of each sleeve and its rotation (primary first, then substitutes,
        none substantially identical to another).
    rates : MarginalRates
    policy : HarvestPolicy, optional
    initial, monthly_deposit : float
        Dollars.
    check_every_days : int
        Trading days between harvest scans.
    reinvest_savings : bool
        Invest each year's tax saving (default). With False the saving is only counted, so
        the pre-tax difference to buy-and-hold isolates the effect of holding substitutes.
    """
    policy = policy or HarvestPolicy()
    prices = prices.dropna()
    subs = SubstituteTable(securities=())
    acc = {"T": AccountType.TAXABLE}
    hold = Ledger(acc, substitutes=subs, rates=rates)
    harv = Ledger(acc, substitutes=subs, rates=rates)
    cur = [0 for _ in sleeves]
    weights = np.array([w for w, _ in sleeves]) / sum(w for w, _ in sleeves)
    dates = [d.date() for d in pd.to_datetime(prices.index)]
    rows = prices.to_dict(orient="records")
    harvested = 0.0
    n_harvests = 0
    carry = {"hold": (0.0, 0.0), "harv": (0.0, 0.0)}
    values: list[float] = []

    def deposit(led: Ledger, day: date, px: dict[str, float], amount: float, rot: list[int]
                ) -> None:
        for (w, tick), idx, wt in zip(sleeves, rot, weights):
            t = tick[idx]
            led.buy(day, "T", t, amount * wt / px[t], px[t])

    savings_total = 0.0
    for k, (day, px) in enumerate(zip(dates, rows)):
        if k == 0:
            deposit(hold, day, px, initial, [0] * len(sleeves))
            deposit(harv, day, px, initial, cur)
            continue
        if day.month != dates[k - 1].month:
            deposit(hold, day, px, monthly_deposit, [0] * len(sleeves))
            deposit(harv, day, px, monthly_deposit, cur)
        if day.year != dates[k - 1].year:
            prev = dates[k - 1].year
            for name, led in (("hold", hold), ("harv", harv)):
                st = sum(r.gain for r in led.realized if r.sold.year == prev and not r.long_term)
                lt = sum(r.gain for r in led.realized if r.sold.year == prev and r.long_term)
                y = net_capital_gains(st, lt, rates, carry_short=carry[name][0],
                                      carry_long=carry[name][1])
                carry[name] = (y.carryforward_short, y.carryforward_long)
                if name == "harv" and y.tax < 0:
                    savings_total += -y.tax
                    if reinvest_savings:
                        deposit(harv, day, px, -y.tax, cur)
        if k % check_every_days:
            continue
        for s, (w, tick) in enumerate(sleeves):
            if len(tick) < 2:
                continue
            t = tick[cur[s]]
            lots = [x for x in harv.lots("T", t)
                    if x.cost_basis - x.quantity * px[t] >= max(
                        policy.min_loss, policy.min_loss_fraction * x.cost_basis)]
            if not lots:
                continue
            # Deposits of the last 30 days are sold too, so they cannot wash the loss.
            ids = {x.lot_id for x in lots}
            lots += [x for x in harv.lots("T", t)
                     if (day - x.acquired).days <= 30 and x.lot_id not in ids]
            loss = sum(max(x.cost_basis - x.quantity * px[t], 0.0) for x in lots)
            rate = rates.short_term_total
            cost = 2 * sum(x.quantity for x in lots) * px[t] * policy.trade_cost_bps / 1e4
            if loss * rates.long_term_total - cost < policy.min_net_benefit and \
                    loss * rate - cost < policy.min_net_benefit:
                continue
            choices = [i for i in range(len(tick)) if i != cur[s]
                       and not harv.recent_loss_sales(tick[i], day)]
            if not choices:
                continue
            nxt = choices[0]
            proceeds = 0.0
            for x in lots:
                rows_ = harv.sell(day, "T", t, x.quantity, px[t], method=LotMethod.SPECIFIC,
                                  lot_ids=[x.lot_id])
                proceeds += sum(r.proceeds for r in rows_)
                harvested += sum(-r.gain for r in rows_ if r.gain < 0)
            n_harvests += 1
            cur[s] = nxt
            t2 = tick[nxt]
            harv.buy(day, "T", t2, proceeds / px[t2], px[t2])
        values.append(sum(x.quantity * px[x.asset] for x in harv.lots()))
    end, px = dates[-1], rows[-1]
    years = (end - dates[0]).days / 365.25
    v_hold = sum(x.quantity * px[x.asset] for x in hold.lots())
    v_harv = sum(x.quantity * px[x.asset] for x in harv.lots())
    tax_hold = _liquidation_tax(hold, px, end, rates, *carry["hold"])  # hold never sells
    st = sum(r.gain for r in harv.realized if r.sold.year == end.year and not r.long_term)
    lt = sum(r.gain for r in harv.realized if r.sold.year == end.year and r.long_term)
    cs, cl = carry["harv"]
    # This year's realized results are netted together with the liquidation.
    lst = lt_ = 0.0
    for lot in harv.lots():
        g = lot.quantity * (px[lot.asset] - lot.basis_per_share)
        if is_long_term(lot.holding_start, end):
            lt_ += g
        else:
            lst += g
    tax_harv = net_capital_gains(lst + st, lt_ + lt, rates, carry_short=cs, carry_long=cl).tax
    after_hold, after_harv = v_hold - tax_hold, v_harv - tax_harv
    avg_value = float(np.mean(values)) if values else initial

    def ann(a: float, b: float) -> float:
        return (a / b) ** (1 / years) - 1 if years > 0 and b > 0 else 0.0

    return BacktestResult(
        years, harvested, harvested / years / avg_value,
        sum(r.wash_sale_disallowed for r in harv.realized), v_harv, v_hold, after_harv,
        after_hold, ann(after_harv, after_hold), ann(v_harv, v_hold), savings_total,
        n_harvests)


@dataclass(frozen=True)
class SimulatedHarvest:
    """Outcome of :func:`harvest_backtest_simulated`.

    Attributes
    ----------
    paths : list of BacktestResult
        One backtest per simulated path.
    annual_after_tax_gain : ndarray (n_paths,)
        Each path's annualized after-tax return difference (harvest − hold), decimal.
    """

    paths: list[BacktestResult]
    annual_after_tax_gain: np.ndarray

    def mean_gain(self) -> tuple[float, float]:
        """Mean annual after-tax gain over the paths and its standard error."""
        g = self.annual_after_tax_gain
        se = float(np.std(g, ddof=1) / np.sqrt(len(g))) if len(g) > 1 else float("nan")
        return float(np.mean(g)), se


def simulated_price_table(prices: np.ndarray, tickers: tuple[str, ...], start: date,
                          scale: float = 100.0) -> pd.DataFrame:
    """One path of :func:`price_paths` (``(n_steps + 1, n_assets)``, monthly steps) as a price
    table: one row per month, dated the first of the month from ``start``."""
    dates = pd.date_range(pd.Timestamp(start), periods=prices.shape[0], freq="MS")
    return pd.DataFrame(scale * prices, index=dates, columns=list(tickers))


def harvest_backtest_simulated(model: ReturnModelLike, sleeves: list[tuple[float, list[str]]],
                               rates: MarginalRates, policy: HarvestPolicy | None = None, *,
                               years: int = 10, n_paths: int = 20, seed: int = 0,
                               initial: float = 100_000.0, monthly_deposit: float = 1_000.0,
                               reinvest_savings: bool = True,
                               start: date = date(2026, 1, 1)) -> SimulatedHarvest:
    """:func:`harvest_backtest` along ``n_paths`` simulated monthly paths of ``model``.

    The paths come from the simulator core (the same draws as any other run with ``seed``);
    harvest scans happen every month (each row of a path's table is a month). Every ticker in
    ``sleeves`` must be one of the model's.

    Returns
    -------
    SimulatedHarvest
    """
    tickers = tuple(model.tickers)
    missing = sorted({t for _, tick in sleeves for t in tick} - set(tickers))
    if missing:
        raise ParameterError(f"The sleeves hold {missing}, which the return model does not "
                             f"cover ({list(tickers)}).", field="sleeves", value=missing,
                             fix="build the model for the sleeves' tickers")
    paths = price_paths(model, 12 * years, n_paths=n_paths, seed=seed)
    results = [harvest_backtest(simulated_price_table(paths[:, :-1, k], tickers, start),
                                sleeves, rates, policy, initial=initial,
                                monthly_deposit=monthly_deposit, check_every_days=1,
                                reinvest_savings=reinvest_savings)
               for k in range(paths.shape[2])]
    return SimulatedHarvest(results, np.array([r.annual_after_tax_gain for r in results]))
