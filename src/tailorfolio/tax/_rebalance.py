"""Tax-aware rebalancing of one account as a convex program, after Moehle, Kochenderfer, Boyd
et al. (2021), "Tax-aware portfolio construction via convex optimization", J. Optim. Theory
Appl. 189:364–383.

Decision variables: shares sold from every lot ``s_l ∈ [0, q_l]`` and dollars bought of every
asset ``b_a ≥ 0``. With ``V`` the account value, the post-trade active weights are
``d = (h − target) / V`` and the program is

    minimize   κ · (dᵀ Σ d + ρ ‖d‖²)  +  (tax + trading cost) / V
    subject to cash ≥ min_cash,  tax ≤ max_tax,  |d_a| ≤ max_drift,  turnover ≤ max_turnover,
               s_l = 0 for assets bought, b_a = 0 for assets sold (no buy-and-sell),
               b_a = 0 for assets whose purchase would wash a recent loss sale,

where ``tax = Σ_l s_l (p_a − basis_l) · rate_l`` uses each lot's short- or long-term all-in rate
(losses are worth their rate; losses that a recent or planned purchase would wash are worth
nothing). The "no buy-and-sell" restriction is combinatorial; the direction of each asset comes
from a relaxed solve (both allowed), and assets the relaxation both buys and sells are resolved
by enumerating their directions (exact up to 8 such assets, greedy beyond). Whole shares are
obtained by rounding that solution: every lot's sale to the nearest whole share it holds, then
purchases down to whole shares so cash stays feasible; each asset's position moves by at most
``price × (0.5 × lots + 1)`` from the continuous optimum, reported as ``rounding_error``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import TYPE_CHECKING, Any
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from tailorfolio.errors import InfeasibleError, SolverError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax._holding import is_long_term
from tailorfolio.tax._ledger import Ledger, Lot

if TYPE_CHECKING:  # cvxpy (and the scipy.stats it pulls in) loads only when a rebalance
    import cvxpy as cp  # is solved, not on import (the default plan solves none)

ENUMERATE_LIMIT = 8
"""Up to this many ambiguous assets, buy/sell directions are enumerated exactly."""


def plain(obj: Any) -> Any:
    """JSON-ready plain data of a (nested) frozen dataclass value: dataclasses become dicts,
    tuples lists, dates ISO strings, enums their values, pandas Series dicts."""
    import dataclasses
    import enum

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        for name in getattr(type(obj), "_derived", ()):
            out[name] = plain(getattr(obj, name))
        return out
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [plain(v) for v in obj]
    if isinstance(obj, pd.Series):
        return {str(k): float(v) for k, v in obj.items()}
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@dataclass(frozen=True)
class LotSale:
    """Shares sold from one lot.

    Attributes
    ----------
    lot_id, asset : str
    quantity, price, cost_basis : float
    long_term : bool
    tax : float
        Tax now of the sale, dollars (negative = saving). The tax-aware transition reports the
        marginal tax after netting with the year's other gains.
    benefit : float
        Modelled benefit of the move this sale funded, present value over the horizon,
        dollars (0 when not modelled: tax-advantaged accounts, the tracking program).
    tax_cost : float
        The tax the benefit was compared with: ``tax`` net of the value of deferral, dollars.
    required_by : str
        Non-empty when a hard constraint (e.g. an exclusion) required the sale whatever its
        tax: which one.
    """

    _derived = ("proceeds", "gain")

    lot_id: str
    asset: str
    quantity: float
    price: float
    cost_basis: float
    long_term: bool
    tax: float
    benefit: float = 0.0
    tax_cost: float = 0.0
    required_by: str = ""

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready), with ``proceeds`` and ``gain``."""
        return plain(self)

    @property
    def proceeds(self) -> float:
        return self.quantity * self.price

    @property
    def gain(self) -> float:
        return self.proceeds - self.cost_basis


@dataclass(frozen=True)
class Purchase:
    """Shares bought of one asset."""

    _derived = ("amount",)

    asset: str
    quantity: float
    price: float

    @property
    def amount(self) -> float:
        return self.quantity * self.price

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready), with ``amount``."""
        return plain(self)


@dataclass(frozen=True)
class SkippedTrade:
    """A trade toward the target that was deliberately not made, and why.

    Attributes
    ----------
    asset : str
    amount : float
        Dollars still to buy (> 0) or to sell (< 0) to reach the target.
    reason : str
    tax_cost : float
        Tax now the sale would have cost, dollars (0 for purchases).
    benefit : float
        Modelled benefit of making it, present value over the horizon, dollars (0 when not
        modelled).
    tax_compared : float
        The tax the benefit was compared with (net of the value of deferral), dollars.
    """

    asset: str
    amount: float
    reason: str
    tax_cost: float = 0.0
    benefit: float = 0.0
    tax_compared: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready)."""
        return plain(self)


@dataclass(frozen=True)
class RebalanceSettings:
    """Knobs of the rebalancer.

    Attributes
    ----------
    tracking_aversion : float
        κ: how many dollars of tax per dollar of account value one unit of tracking variance
        is worth. 20 means eliminating a 1 % tracking error (variance 1e-4) justifies 0.2 % of
        the account in tax.
    ridge : float
        ρ: weight of the plain squared drift, so drift between highly correlated assets
        still counts.
    max_tax : float or None
        Cap on the estimated tax of the trades, dollars.
    max_drift : float or None
        Cap on every asset's post-trade |weight − target weight|.
    max_turnover : float or None
        Cap on (sales + purchases) / account value.
    min_cash : float
        Cash to keep after trading, dollars.
    trade_cost_bps : float
        Cost per dollar traded, basis points.
    whole_shares : bool
    cash_flow_first : bool
        First try with cash only (deposits, withdrawals, dividends); sell only if the result
        leaves some asset further than ``drift_tolerance`` from its target.
    drift_tolerance : float
        Band used by ``cash_flow_first`` when ``max_drift`` is not given.
    gains_budget : float or None
        Net realized gains allowed this tax year, dollars, counting gains already realized
        (``realized_gains_this_year``); None = no budget (the benefit test still applies).
        Used by the tax-aware transition (``plan_accounts``).
    step_up : bool
        The transition assumes taxable lots are held until death (basis step-up, IRC §1014),
        so deferring a gain saves its whole tax; default False: the gain would be taxed at
        the horizon anyway.
    discount_rate : float or None
        Annual rate discounting the transition's benefits and deferred taxes; None = the
        target portfolio's expected return.
    transition_step : float
        Size of one chunk of the transition, share of the account value.
    fund_reserve_by_selling : bool
        The transition funds an emergency-reserve shortfall from taxed sales too (cheapest
        lots first, marked as required by the reserve); default False: only from cash and
        sales that cost no tax, and a warning names the shortfall.
    transition : bool
        Use the tax-aware transition (benefit vs tax) for taxable accounts; False, or any of
        ``max_drift``, ``max_turnover``, ``whole_shares``, selects the tracking program below.
    """

    tracking_aversion: float = 20.0
    ridge: float = 0.01
    max_tax: float | None = None
    max_drift: float | None = None
    max_turnover: float | None = None
    min_cash: float = 0.0
    trade_cost_bps: float = 5.0
    whole_shares: bool = False
    cash_flow_first: bool = True
    drift_tolerance: float = 0.05
    gains_budget: float | None = None
    step_up: bool = False
    discount_rate: float | None = None
    transition_step: float = 0.005
    fund_reserve_by_selling: bool = False
    transition: bool = True

    @property
    def uses_transition(self) -> bool:
        """True when taxable accounts get the benefit-vs-tax transition."""
        return (self.transition and self.max_drift is None and self.max_turnover is None
                and not self.whole_shares)


@dataclass(frozen=True)
class RebalanceResult:
    """The trades proposed for one account and their consequences.

    Attributes
    ----------
    account : str
    sales : tuple of LotSale
    purchases : tuple of Purchase
    holdings_before, holdings_after, target : pandas.Series
        Dollars per asset.
    cash_before, cash_after : float
    realized_short_term, realized_long_term : float
        Gains (losses negative), dollars.
    estimated_tax : float
        At the household's marginal rates (negative = saving), dollars.
    max_drift_before, max_drift_after : float
        Largest |weight − target weight|.
    tracking_error_before, tracking_error_after : float
        sqrt(dᵀ Σ d), annual, decimal.
    skipped : tuple of SkippedTrade
    stage : str
        ``cash-flow`` (no sale was needed) or ``full``.
    rounding_error : float
        Largest |dollars after rounding − continuous optimum| over assets (0 without
        ``whole_shares``).
    objective : float
    """

    account: str
    sales: tuple[LotSale, ...]
    purchases: tuple[Purchase, ...]
    holdings_before: pd.Series
    holdings_after: pd.Series
    target: pd.Series
    cash_before: float
    cash_after: float
    realized_short_term: float
    realized_long_term: float
    estimated_tax: float
    max_drift_before: float
    max_drift_after: float
    tracking_error_before: float
    tracking_error_after: float
    skipped: tuple[SkippedTrade, ...] = ()
    stage: str = "full"
    rounding_error: float = 0.0
    objective: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Problem:
    """The data of one account's rebalance, in fractions of the account value."""

    assets: list[str]
    lots: list[Lot]
    lot_asset: np.ndarray
    prices: np.ndarray
    held: np.ndarray          # dollars per asset
    target: np.ndarray        # dollars per asset
    cash: float
    value: float
    tax_per_share: np.ndarray
    cov: np.ndarray
    buy_blocked: np.ndarray   # bool per asset
    long_term: np.ndarray


def _setup(ledger: Ledger, account: str, target: pd.Series, prices: dict[str, float], on: date,
           cov: pd.DataFrame | None, cash_flow: float, blocked_buys: set[str],
           worthless_losses: set[str]) -> _Problem:
    lots = [x for x in ledger.lots(account) if x.quantity > 0]
    assets = list(dict.fromkeys([*target.index, *(x.asset for x in lots)]))
    missing = [a for a in assets if a not in prices]
    if missing:
        raise InfeasibleError(f"No price for {missing}.", field="prices", value=missing,
                              fix="supply prices for every held and target asset")
    p = np.array([prices[a] for a in assets], dtype=float)
    idx = {a: i for i, a in enumerate(assets)}
    lot_asset = np.array([idx[x.asset] for x in lots], dtype=int)
    held = np.zeros(len(assets))
    for x in lots:
        held[idx[x.asset]] += x.quantity * prices[x.asset]
    cash = float(ledger_cash(ledger, account)) + cash_flow
    value = held.sum() + cash
    tgt = target.reindex(assets).fillna(0.0).to_numpy(dtype=float)
    tps = np.array([ledger.tax_per_share(x, prices[x.asset], on) for x in lots])
    for k, x in enumerate(lots):
        if tps[k] < 0 and x.asset in worthless_losses:
            tps[k] = 0.0
    lt = np.array([is_long_term(x.holding_start, on) for x in lots], dtype=bool)
    if cov is not None:
        c = cov.reindex(index=assets, columns=assets)
        diag = np.nanmax(np.diag(cov.to_numpy())) if len(cov) else 0.04
        c = c.fillna(0.0).to_numpy()
        for i, a in enumerate(assets):
            if a not in cov.index:
                c[i, i] = diag
    else:
        c = np.eye(len(assets)) * 0.04
    c = 0.5 * (c + c.T)
    blocked = np.array([a in blocked_buys for a in assets], dtype=bool)
    return _Problem(assets, lots, lot_asset, p, held, tgt, cash, value, tps, c, blocked, lt)


def ledger_cash(ledger: Ledger, account: str) -> float:
    """Cash recorded for ``account`` (``ledger.cash`` mapping, 0 when absent)."""
    return float(getattr(ledger, "cash", {}).get(account, 0.0))


def _solve(pb: _Problem, s: RebalanceSettings, *, allow_sales: bool, allow_buys: np.ndarray,
           allow_sells: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    import cvxpy as cp

    n, m = len(pb.assets), len(pb.lots)
    V = pb.value
    qty = np.array([x.quantity for x in pb.lots])
    # Sales as fractions of each lot, purchases as fractions of V: a well-scaled program.
    sell = cp.Variable(m, nonneg=True) if m else None
    buy_f = cp.Variable(n, nonneg=True)
    buy = buy_f * V
    A = np.zeros((n, m))
    for k, i in enumerate(pb.lot_asset):
        A[i, k] = pb.prices[i] * qty[k] / V
    sold_frac = A @ sell if m else np.zeros(n)
    h = pb.held / V - sold_frac + buy / V
    d = h - pb.target / V
    cash_after = pb.cash / V + (cp.sum(sold_frac) if m else 0) - cp.sum(buy) / V
    tax = ((pb.tax_per_share * qty) @ sell) if m else 0.0
    trade = (cp.sum(sold_frac) if m else 0) + cp.sum(buy) / V
    cons = [cash_after >= s.min_cash / V]
    if m:
        cons.append(sell <= 1)
        lot_ok = np.array([allow_sales and allow_sells[i] for i in pb.lot_asset])
        if not lot_ok.all():
            cons.append(sell[~lot_ok] == 0)
    blocked = pb.buy_blocked | ~allow_buys
    if blocked.any():
        cons.append(buy_f[blocked] == 0)
    if s.max_tax is not None and m:
        cons.append(tax <= s.max_tax)
    if s.max_drift is not None:
        cons.append(cp.abs(d) <= s.max_drift)
    if s.max_turnover is not None:
        cons.append(trade <= s.max_turnover)
    L = np.linalg.cholesky(pb.cov + 1e-10 * np.eye(n))
    risk = cp.sum_squares(L.T @ d) + s.ridge * cp.sum_squares(d)
    obj = s.tracking_aversion * risk + tax / V + s.trade_cost_bps / 1e4 * trade
    prob = cp.Problem(cp.Minimize(obj), cons)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                prob.solve(solver=cp.SCS, eps=1e-9, max_iters=200_000)
        except cp.error.SolverError as exc:  # pragma: no cover
            raise SolverError(f"The rebalancing problem failed: {exc}", field="solver",
                              fix="relax --max-tax/--max-drift") from None
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return None
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise SolverError(f"The rebalancing problem ended with status {prob.status}.",
                          field="solver", value=prob.status, fix="relax the constraints")
    sv = np.clip(sell.value, 0, 1) * qty if m else np.zeros(0)
    bv = np.clip(buy_f.value, 0, None) * V
    # Solver dust: trades under a cent are not trades.
    if m:
        sv[sv * pb.prices[pb.lot_asset] < 1.0] = 0.0
        sv[sv > qty - 1e-7] = qty[sv > qty - 1e-7]
    bv[bv < 1.0] = 0.0
    # The solver's tolerance (relative to the account's value) can overspend the cash by a
    # fraction of a cent: trim every purchase in proportion so the cash floor holds exactly.
    spend = pb.cash + float((sv * pb.prices[pb.lot_asset]).sum()) - s.min_cash if m \
        else pb.cash - s.min_cash
    total = float(bv.sum())
    if total > spend and total > 0:
        bv *= max(spend, 0.0) / total
    return sv, bv, float(prob.value)


def objective_value(pb: _Problem, s: RebalanceSettings, sell: np.ndarray, buy: np.ndarray
                    ) -> float:
    """The program's objective at a given trade (used to compare solutions exactly)."""
    V = pb.value
    sold = np.zeros(len(pb.assets))
    np.add.at(sold, pb.lot_asset, sell * pb.prices[pb.lot_asset])
    d = (pb.held - sold + buy - pb.target) / V
    risk = d @ pb.cov @ d + s.ridge * d @ d
    trade = (sold.sum() + buy.sum()) / V
    return float(s.tracking_aversion * risk + pb.tax_per_share @ sell / V
                 + s.trade_cost_bps / 1e4 * trade)


def _directions(pb: _Problem, s: RebalanceSettings, allow_sales: bool
                ) -> tuple[np.ndarray, np.ndarray, float]:
    n = len(pb.assets)
    both = np.ones(n, dtype=bool)
    relaxed = _solve(pb, s, allow_sales=allow_sales, allow_buys=both, allow_sells=both)
    if relaxed is None:
        return None
    sv, bv, _ = relaxed
    sold = np.zeros(n)
    np.add.at(sold, pb.lot_asset, sv * pb.prices[pb.lot_asset])
    tol = 1e-6 * pb.value
    ambiguous = [i for i in range(n) if sold[i] > tol and bv[i] > tol]
    if not ambiguous:
        return sv, bv, objective_value(pb, s, sv, bv)
    base_buy = bv > tol
    base_sell = ~base_buy
    best = None
    if len(ambiguous) <= ENUMERATE_LIMIT:
        patterns = itertools.product([True, False], repeat=len(ambiguous))
    else:
        patterns = [tuple(bv[i] >= sold[i] for i in ambiguous)]
    for pat in patterns:
        ab, asl = base_buy.copy(), base_sell.copy()
        for i, buy_it in zip(ambiguous, pat):
            ab[i], asl[i] = buy_it, not buy_it
        res = _solve(pb, s, allow_sales=allow_sales, allow_buys=ab, allow_sells=asl)
        if res is None:
            continue
        val = objective_value(pb, s, res[0], res[1])
        if best is None or val < best[2]:
            best = (res[0], res[1], val)
    return best


def _round_whole(pb: _Problem, sv: np.ndarray, bv: np.ndarray, min_cash: float
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    qty = np.array([x.quantity for x in pb.lots])
    s_round = np.minimum(np.floor(sv + 0.5), np.floor(qty + 1e-9))
    s_round = np.where(sv >= qty - 1e-9, qty, s_round)  # selling a whole lot stays whole
    proceeds = float(s_round @ pb.prices[pb.lot_asset]) if len(s_round) else 0.0
    shares = np.floor(bv / pb.prices + 1e-9)
    cash_left = pb.cash + proceeds - float(shares @ pb.prices)
    while cash_left < min_cash - 1e-9 and shares.sum() > 0:
        j = int(np.argmax(np.where(shares > 0, pb.prices, -1)))
        shares[j] -= 1
        cash_left += pb.prices[j]
    b_round = shares * pb.prices
    before = np.zeros(len(pb.assets))
    after = np.zeros(len(pb.assets))
    np.add.at(before, pb.lot_asset, sv * pb.prices[pb.lot_asset])
    np.add.at(after, pb.lot_asset, s_round * pb.prices[pb.lot_asset])
    err = float(np.max(np.abs((after - before) - (b_round - bv)))) if len(bv) else 0.0
    return s_round, b_round, err


def tax_aware_rebalance(ledger: Ledger, account: str, target: pd.Series,
                        prices: dict[str, float], on: date, *,
                        cov: pd.DataFrame | None = None,
                        settings: RebalanceSettings | None = None, cash_flow: float = 0.0,
                        blocked_buys: set[str] | frozenset[str] = frozenset(),
                        worthless_losses: set[str] | frozenset[str] = frozenset(),
                        ) -> RebalanceResult:
    """Rebalance ``account`` toward ``target`` dollars per asset, trading tracking against tax.

    Parameters
    ----------
    ledger : Ledger
        Lots of every account (the account's cash is read from ``ledger.cash`` if set).
    account : str
    target : pandas.Series
        Target dollars per asset after the trade (sums to the account value incl. cash kept).
    prices : dict of str to float
    on : date
        Trade date (decides short/long term).
    cov : pandas.DataFrame, optional
        Annual covariance of the assets (tracking error); identity × 4 % when omitted.
    settings : RebalanceSettings, optional
    cash_flow : float
        Deposit (> 0) or withdrawal (< 0) made with the rebalance, dollars.
    blocked_buys : set of str
        Assets that must not be bought (a purchase would wash a loss sold in the last 30 days).
    worthless_losses : set of str
        Assets whose loss sales would be washed (a purchase in the last 30 days or planned in
        another account): their losses are given no value.

    Raises
    ------
    InfeasibleError
        When the caps (max_tax, max_drift, max_turnover, min_cash) cannot all hold; the
        message names them.
    """
    s = settings or RebalanceSettings()
    pb = _setup(ledger, account, target, prices, on, cov, cash_flow, set(blocked_buys),
                set(worthless_losses))
    if pb.value <= 0:
        raise InfeasibleError(f"Account {account!r} has no value to rebalance.",
                              field="account", value=account, fix="deposit cash first")
    sol = None
    stage = "full"
    if (ledger.accounts[account] is not AccountType.TAXABLE and s.max_drift is None
            and s.max_turnover is None and not blocked_buys):
        sol, stage = _direct(pb, s), "tax-free"
    if sol is None and s.cash_flow_first:
        cf = _directions(pb, s, allow_sales=False)
        if cf is not None:
            d_after = _drift(pb, cf[0], cf[1])
            band = s.max_drift if s.max_drift is not None else s.drift_tolerance
            if d_after <= band + 1e-9:
                sol, stage = cf, "cash-flow"
    if sol is None:
        sol = _directions(pb, s, allow_sales=True)
    if sol is None:
        caps = [f"{k}={v:g}" for k, v in (("max_tax", s.max_tax), ("max_drift", s.max_drift),
                                           ("max_turnover", s.max_turnover),
                                           ("min_cash", s.min_cash or None)) if v is not None]
        raise InfeasibleError(
            f"No rebalance of {account!r} satisfies {' and '.join(caps) or 'the cash constraint'}"
            " together.", field="max_tax/max_drift", value=caps,
            expected="caps that some set of trades can meet",
            fix="raise --max-tax or --max-drift, or deposit cash")
    sv, bv, _ = sol
    err = 0.0
    if s.whole_shares:
        sv, bv, err = _round_whole(pb, sv, bv, s.min_cash)
    return _result(ledger, account, pb, s, sv, bv, stage, err, on)


def _direct(pb: _Problem, s: RebalanceSettings) -> tuple[np.ndarray, np.ndarray, float]:
    """Tax-free account: trade exactly to target (sell the excess FIFO, buy the shortfall,
    keeping ``min_cash``)."""
    sv = np.zeros(len(pb.lots))
    for i in range(len(pb.assets)):
        excess = pb.held[i] - pb.target[i]
        if excess <= 0.005:
            continue
        left = excess / pb.prices[i]
        for k in sorted((k for k, j in enumerate(pb.lot_asset) if j == i),
                        key=lambda k: (pb.lots[k].acquired, pb.lots[k].lot_id)):
            q = min(pb.lots[k].quantity, left)
            sv[k] = q
            left -= q
            if left <= 1e-12:
                break
    bv = np.clip(pb.target - pb.held, 0.0, None)
    bv[bv < 0.01] = 0.0
    cash = pb.cash + float(sv @ pb.prices[pb.lot_asset]) if len(sv) else pb.cash
    spend = bv.sum()
    if spend > cash - s.min_cash and spend > 0:
        bv *= max(cash - s.min_cash, 0.0) / spend
    return sv, bv, objective_value(pb, s, sv, bv)


def _drift(pb: _Problem, sv: np.ndarray, bv: np.ndarray) -> float:
    sold = np.zeros(len(pb.assets))
    np.add.at(sold, pb.lot_asset, sv * pb.prices[pb.lot_asset])
    return float(np.max(np.abs(pb.held - sold + bv - pb.target)) / pb.value)


def _result(ledger: Ledger, account: str, pb: _Problem, s: RebalanceSettings, sv: np.ndarray,
            bv: np.ndarray, stage: str, err: float, on: date) -> RebalanceResult:
    tol_sh = 1e-6
    sales = []
    for k, lot in enumerate(pb.lots):
        q = float(sv[k])
        if q <= tol_sh:
            continue
        q = min(q, lot.quantity)
        sales.append(LotSale(lot.lot_id, lot.asset, q, float(pb.prices[pb.lot_asset[k]]),
                             q * lot.basis_per_share, bool(pb.long_term[k]),
                             q * float(pb.tax_per_share[k])))
    purchases = [Purchase(a, float(bv[i] / pb.prices[i]), float(pb.prices[i]))
                 for i, a in enumerate(pb.assets) if bv[i] > 0.005]
    sold = np.zeros(len(pb.assets))
    np.add.at(sold, pb.lot_asset, sv * pb.prices[pb.lot_asset])
    after = pb.held - sold + bv
    taxable = pb.lots[0].account_type is AccountType.TAXABLE if pb.lots else \
        ledger.accounts[account] is AccountType.TAXABLE
    st = sum(x.gain for x in sales if not x.long_term) if taxable else 0.0
    lt = sum(x.gain for x in sales if x.long_term) if taxable else 0.0
    d0 = (pb.held - pb.target) / pb.value
    d1 = (after - pb.target) / pb.value

    def te(d: np.ndarray) -> float:
        return math.sqrt(max(float(d @ pb.cov @ d), 0.0))

    skipped: list[SkippedTrade] = []
    band = 0.01 * pb.value
    for i, a in enumerate(pb.assets):
        gap = pb.target[i] - after[i]
        if abs(gap) < max(band, 1.0):
            continue
        if gap < 0:
            lots_i = [k for k, j in enumerate(pb.lot_asset) if j == i]
            left = -gap
            cost = 0.0
            for k in sorted(lots_i, key=lambda k: pb.tax_per_share[k]):
                avail = pb.lots[k].quantity - sv[k]
                q = min(avail, left / pb.prices[i])
                cost += q * pb.tax_per_share[k]
                left -= q * pb.prices[i]
                if left <= 1e-9:
                    break
            reason = ("its lots carry gains: selling the rest would cost about "
                      f"{cost:,.0f} in tax, more than the tracking it buys back"
                      if cost > 0 else "left for tracking/turnover reasons")
            skipped.append(SkippedTrade(a, float(gap), reason, float(max(cost, 0.0))))
        else:
            if pb.buy_blocked[i]:
                reason = ("buying it now would wash a loss sold in the last 30 days "
                          "(IRC §1091); buy a substitute or wait")
            else:
                reason = "not enough cash without selling appreciated lots"
            skipped.append(SkippedTrade(a, float(gap), reason))
    cash_after = pb.cash + float(sold.sum()) - float(bv.sum())
    return RebalanceResult(
        account, tuple(sales), tuple(purchases),
        pd.Series(pb.held, index=pb.assets), pd.Series(after, index=pb.assets),
        pd.Series(pb.target, index=pb.assets), pb.cash, cash_after, float(st), float(lt),
        float(sum(x.tax for x in sales)), float(np.max(np.abs(d0))), float(np.max(np.abs(d1))),
        te(d0), te(d1), tuple(skipped), stage, err, objective_value(pb, s, sv, bv))
