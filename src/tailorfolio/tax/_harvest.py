"""Tax-loss harvesting: which lots to sell, into what, and what the wash-sale rule forbids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from tailorfolio.profile._enums import AccountType
from tailorfolio.tax._holding import WASH_WINDOW_DAYS, is_long_term, safe_repurchase_date
from tailorfolio.tax._ledger import SHARE_EPS, Ledger
from tailorfolio.tax._tables import MarginalRates


class HarvestPolicy(BaseModel):
    """When a loss is worth harvesting.

    Attributes
    ----------
    min_loss : float
        Smallest loss per lot, dollars (default 500: below it the paperwork outweighs it).
    min_loss_fraction : float
        Smallest loss as a share of the lot's basis (default 5 %, so routine noise is not
        harvested and the rotation is not churned).
    min_net_benefit : float
        Smallest estimated tax benefit after trading costs, dollars (default 100).
    trade_cost_bps : float
        Cost of one trade (half-spread plus commission), basis points of the amount traded;
        a harvest trades twice (sell, buy the substitute).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_loss: float = Field(default=500.0, ge=0)
    min_loss_fraction: float = Field(default=0.05, ge=0, lt=1)
    min_net_benefit: float = Field(default=100.0, ge=0)
    trade_cost_bps: float = Field(default=5.0, ge=0)


@dataclass(frozen=True)
class HarvestOpportunity:
    """One lot with a harvestable loss.

    Attributes
    ----------
    account, lot_id, asset : str
    quantity : float
    cost_basis, market_value, loss : float
        Dollars; ``loss`` is positive.
    long_term : bool
    replacement : str or None
        Substitute to buy (same asset class, a different index), or None when none is free.
    replacement_index : str
    washed_quantity : float
        Shares of the loss that recent or planned purchases of substantially identical
        securities (any account) would wash.
    conflicts : tuple of str
        Plain-language wash-sale conflicts across the household.
    tax_benefit : float
        Loss not washed × the all-in rate of its term, dollars (the value if it offsets gains
        of that term; it is a deferral: the substitute's lower basis gives some back later).
    trade_cost : float
    net_benefit : float
    safe_after : date
        First day buying the original security back does not wash the loss.
    actionable : bool
    reason : str
    """

    account: str
    lot_id: str
    asset: str
    quantity: float
    cost_basis: float
    market_value: float
    loss: float
    long_term: bool
    replacement: str | None
    replacement_index: str
    washed_quantity: float
    conflicts: tuple[str, ...]
    tax_benefit: float
    trade_cost: float
    net_benefit: float
    safe_after: date
    actionable: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready)."""
        from tailorfolio.tax._rebalance import plain

        return plain(self)  # type: ignore[return-value]


def find_harvests(ledger: Ledger, prices: dict[str, float], on: date, rates: MarginalRates,
                  policy: HarvestPolicy | None = None, *,
                  contributing_accounts: dict[str, float] | None = None,
                  planned_purchases: tuple[tuple[str, str], ...] = ()) -> list[HarvestOpportunity]:
    """Loss lots in taxable accounts worth selling on ``on``, best first.

    Parameters
    ----------
    ledger : Ledger
        The household's lots and history (all accounts: wash sales look across them).
    prices : dict of str to float
        Current price per share.
    on : date
    rates : MarginalRates
    policy : HarvestPolicy, optional
    contributing_accounts : dict of str to float, optional
        Accounts receiving regular deposits (name → yearly amount); a deposit buying a
        substantially identical security within 30 days would wash the loss, so it is listed
        as a conflict.
    planned_purchases : tuple of (account, asset)
        Purchases planned within the next 30 days in any account (e.g. this plan's buys,
        taxable ones included).

    Notes
    -----
    A harvest is not actionable while a purchase of the same or a substantially identical
    security was made in the last 30 days or is planned, in any account of the household: in
    a taxable account the loss would be deferred (IRC §1091(d)); in an IRA or Roth it would be
    lost for good (Rev. Rul. 2008-5). The reason names the purchase.
    """
    policy = policy or HarvestPolicy()
    subs = ledger.substitutes
    contributing_accounts = contributing_accounts or {}
    out: list[HarvestOpportunity] = []
    recent_loss_assets = {r.asset for r in ledger.realized
                          if (on - r.sold).days <= WASH_WINDOW_DAYS and r.gain < 0}
    for lot in ledger.lots():
        if lot.account_type is not AccountType.TAXABLE or lot.asset not in prices:
            continue
        price = prices[lot.asset]
        loss = lot.cost_basis - lot.quantity * price
        if loss <= 0:
            continue
        if loss < policy.min_loss or loss < policy.min_loss_fraction * lot.cost_basis:
            continue
        conflicts: list[str] = []
        blockers: list[str] = []
        washed = 0.0
        lo = on - timedelta(days=WASH_WINDOW_DAYS)
        for other in ledger.lots():
            if (other.lot_id != lot.lot_id and lo <= other.acquired <= on
                    and subs.identical(other.asset, lot.asset)
                    and other.replacement_capacity > SHARE_EPS):
                washed += other.replacement_capacity
                ira = other.account_type is not AccountType.TAXABLE
                msg = (f"{other.quantity:g} sh {other.asset} bought {other.acquired} in "
                       f"{other.account!r} ({other.account_type.value}) are within 30 days"
                       + (": the loss would be lost for good (Rev. Rul. 2008-5)" if ira
                          else ": the loss would be deferred into their basis (IRC §1091(d))"))
                conflicts.append(msg)
                blockers.append(f"a purchase of {other.asset} on {other.acquired} in "
                                f"{other.account!r} is within 30 days"
                                + (" (an IRA purchase makes the loss permanent, Rev. Rul. "
                                   "2008-5)" if ira else ""))
        for acc, asset in planned_purchases:
            if subs.identical(asset, lot.asset):
                acc_type = ledger.accounts.get(acc)
                ira = acc_type is not None and acc_type is not AccountType.TAXABLE
                conflicts.append(f"a planned purchase of {asset} in {acc!r} would wash it"
                                 + (" for good (Rev. Rul. 2008-5)" if ira else "")
                                 + "; buy a substitute there instead")
                blockers.append(f"this plan buys {asset} in {acc!r}"
                                + (", which would make the loss permanent (Rev. Rul. 2008-5)"
                                   if ira else ", which would wash the loss (IRC §1091)")
                                + "; buy a substitute there or harvest after the purchase "
                                "window")
        washed = min(washed, lot.quantity)
        avoid = recent_loss_assets | {lot.asset}
        reps = [s for s in subs.replacements(lot.asset, avoid)
                if not ledger.recent_loss_sales(s.ticker, on)]
        rep = reps[0] if reps else None
        long_term = is_long_term(lot.holding_start, on)
        rate = rates.long_term_total if long_term else rates.short_term_total
        allowed = loss * (1 - washed / lot.quantity)
        benefit = allowed * rate
        cost = 2 * lot.quantity * price * policy.trade_cost_bps / 1e4
        net = benefit - cost
        if blockers:
            actionable, reason = False, "not now: " + "; ".join(blockers)
        elif rep is None:
            actionable, reason = False, "no substitute tracking a different index is free"
        elif washed >= lot.quantity - SHARE_EPS:
            actionable, reason = False, "the whole loss would be washed"
        elif net < policy.min_net_benefit:
            actionable, reason = False, (f"net benefit {net:,.0f} is below the policy's "
                                         f"{policy.min_net_benefit:,.0f}")
        else:
            actionable, reason = True, (f"sell, buy {rep.ticker} ({rep.index_tracked}); "
                                        f"switch back on or after {safe_repurchase_date(on)} "
                                        "if wanted")
        out.append(HarvestOpportunity(
            lot.account, lot.lot_id, lot.asset, lot.quantity, lot.cost_basis,
            lot.quantity * price, loss, long_term, rep.ticker if rep else None,
            rep.index_tracked if rep else "", washed, tuple(conflicts), benefit, cost, net,
            safe_repurchase_date(on), actionable, reason))
    return sorted(out, key=lambda h: (not h.actionable, -h.net_benefit))
