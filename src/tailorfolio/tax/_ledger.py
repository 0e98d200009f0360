"""The lot ledger: buys, sells and reinvested dividends across a household's accounts, with
lot selection, holding periods and the wash-sale rule.

Wash sales (IRC §1091, Treas. Reg. §1.1091-1, IRS Pub. 550 "Wash Sales"):

* a loss on a sale in a **taxable** account is disallowed to the extent substantially identical
  shares (same ticker or same tracked index, see :class:`SubstituteTable`) are acquired within
  30 days before or after the sale in **any** account of the household (spouses included —
  the household is one ledger);
* replacement shares are matched in the order they were acquired, each replacement share
  washes at most one loss share, and a partial replacement disallows the loss pro rata
  (per share);
* the disallowed loss is added to the replacement shares' basis and the sold shares'
  holding period is added to theirs (the replacement lot is split when only part of it is
  used);
* when the replacement is bought in a traditional or Roth IRA the loss is disallowed
  permanently and the IRA basis is not increased (Rev. Rul. 2008-5).

Choices where the rules leave room (stated for practitioners):

* shares left over from the very lot that is partly sold are not treated as its own
  replacement (the acquisition that created them is the one being disposed of);
* a purchase before the sale counts only while its shares are still held at the sale;
* sales inside traditional/Roth accounts realize nothing reportable and carry no basis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from tailorfolio.errors import TaxError
from tailorfolio.profile._enums import AccountType
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.tax._holding import WASH_WINDOW_DAYS, is_long_term
from tailorfolio.tax._substitutes import SubstituteTable
from tailorfolio.tax._tables import MarginalRates

SHARE_EPS = 1e-9
"""Quantities below this many shares are treated as zero (fractional-share arithmetic)."""


class LotMethod(str, Enum):
    """How the lots sold are chosen."""

    FIFO = "fifo"  # first in, first out (the IRS default when lots are not identified)
    HIFO = "hifo"  # highest basis per share first
    SPECIFIC = "specific"  # lots named by the seller (Treas. Reg. §1.1012-1(c))
    MIN_TAX = "min_tax"  # lowest tax per share first: losses (short-term first), then LT gains


@dataclass
class Lot:
    """Shares of one asset held in one account, bought together.

    Attributes
    ----------
    lot_id : str
    account : str
    account_type : AccountType
    asset : str
    quantity : float
        Shares held (fractional allowed).
    basis_per_share : float
        Adjusted basis per share including any wash-sale adjustment, dollars.
    acquired : date
        Trade date of the purchase.
    holding_start : date
        Start of the holding period: ``acquired`` or earlier when a washed loss's holding
        period was tacked on.
    wash_adjustment_per_share : float
        Part of ``basis_per_share`` that is a disallowed loss carried in, dollars.
    replacement_capacity : float
        Shares of this lot not yet used as replacement shares of an earlier wash sale.
    reinvested : bool
        True when bought by dividend reinvestment.
    """

    lot_id: str
    account: str
    account_type: AccountType
    asset: str
    quantity: float
    basis_per_share: float
    acquired: date
    holding_start: date
    wash_adjustment_per_share: float = 0.0
    replacement_capacity: float = 0.0
    reinvested: bool = False

    @property
    def cost_basis(self) -> float:
        """Total adjusted basis, dollars."""
        return self.quantity * self.basis_per_share

    def unrealized(self, price: float) -> float:
        """Gain (loss negative) if sold at ``price``, dollars."""
        return self.quantity * (price - self.basis_per_share)


@dataclass
class RealizedLot:
    """One Form 8949 row: shares of one lot sold in one sale.

    Attributes
    ----------
    lot_id, account, asset : str
    quantity : float
    acquired : date
        Column (b): the date the shares were acquired.
    holding_start : date
        Start of the (possibly tacked) holding period that decides the term.
    sold : date
        Column (c).
    proceeds : float
        Column (d), dollars.
    cost_basis : float
        Column (e), adjusted basis of the shares sold, dollars.
    wash_sale_disallowed : float
        Column (g) with code W: loss not allowed (>= 0), dollars.
    permanently_disallowed : float
        Part of the disallowed loss whose replacement was bought in an IRA/Roth (lost for good).
    long_term : bool
    replaced_by : list of str
        Lots that received the disallowed loss.
    """

    lot_id: str
    account: str
    asset: str
    quantity: float
    acquired: date
    holding_start: date
    sold: date
    proceeds: float
    cost_basis: float
    wash_sale_disallowed: float = 0.0
    permanently_disallowed: float = 0.0
    long_term: bool = False
    replaced_by: list[str] = field(default_factory=list)

    @property
    def gain(self) -> float:
        """Column (h): proceeds − basis + wash-sale adjustment, dollars (loss negative)."""
        return self.proceeds - self.cost_basis + self.wash_sale_disallowed

    @property
    def term(self) -> str:
        return "long" if self.long_term else "short"

    @property
    def code(self) -> str:
        """Column (f)."""
        return "W" if self.wash_sale_disallowed > 0 else ""

    @property
    def description(self) -> str:
        """Column (a)."""
        return f"{self.quantity:g} sh {self.asset}"


@dataclass
class _PendingLoss:
    """Loss shares of a sale still open to replacement purchases made after it."""

    row: RealizedLot
    sold: date
    asset: str
    quantity: float
    loss_per_share: float
    held_days: int


@dataclass(frozen=True)
class Transaction:
    """One ledger event.

    Attributes
    ----------
    when : date
    account : str
    action : str
        ``buy``, ``sell`` or ``reinvest`` (a dividend reinvested: a purchase).
    asset : str
    quantity : float
        Shares, > 0.
    price : float
        Per share, dollars (fees included in buys, netted out of sells).
    method : LotMethod
        Lot selection for sells.
    lot_ids : tuple of str
        Lots to sell first for ``method = specific``.
    lot_id : str or None
        Name of the lot a buy creates.
    """

    when: date
    account: str
    action: str
    asset: str
    quantity: float
    price: float
    method: LotMethod = LotMethod.FIFO
    lot_ids: tuple[str, ...] = ()
    lot_id: str | None = None


class Ledger:
    """The household's tax lots and realized sales, replayed in date order.

    Parameters
    ----------
    accounts : dict of str to AccountType
        Every account of the household and its tax treatment.
    substitutes : SubstituteTable, optional
        Defines "substantially identical"; defaults to the bundled table.
    rates : MarginalRates, optional
        Used by the ``min_tax`` lot selection (defaults: 24 % / 15 %).
    """

    def __init__(self, accounts: dict[str, AccountType], *,
                 substitutes: SubstituteTable | None = None,
                 rates: MarginalRates | None = None) -> None:
        self.accounts = {k: AccountType(v) for k, v in accounts.items()}
        self.substitutes = substitutes or SubstituteTable()
        self.rates = rates or MarginalRates(0.24, 0.15, 0.0, 0.0)
        self._lots: list[Lot] = []
        self.realized: list[RealizedLot] = []
        self._pending: list[_PendingLoss] = []
        self._last_date: date | None = None
        self._counter = 0
        self._lot_ids: set[str] = set()  # O(1) uniqueness check (60,000 lots stay linear)
        self.cash: dict[str, float] = {}
        """Uninvested cash per account, dollars (used by the rebalancer)."""
        self.purchases: list[tuple[date, str, str, float]] = []
        """(date, account, asset, quantity) of every purchase, for wash-sale look-ups."""

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_profile(cls, profile: InvestorProfile, *, substitutes: SubstituteTable | None = None,
                     rates: MarginalRates | None = None) -> Ledger:
        """A ledger holding the profile's lots (no history: nothing realized, nothing pending).

        Lots acquired within the last 30 days are recorded as purchases, so selling another
        lot of the same security at a loss now is seen to be washed by them.
        """
        led = cls({a.name: a.type for a in profile.accounts}, substitutes=substitutes,
                  rates=rates)
        for acc in profile.accounts:
            led.cash[acc.name] = acc.cash
            for lot in sorted(acc.lots, key=lambda x: x.acquired):
                led._add_lot(acc.name, lot.asset, lot.quantity, lot.cost_basis_per_share,
                             lot.acquired)
                led.purchases.append((lot.acquired, acc.name, lot.asset, lot.quantity))
        return led

    def copy(self) -> Ledger:
        """An independent copy (for what-if trades)."""
        new = Ledger(dict(self.accounts), substitutes=self.substitutes, rates=self.rates)
        new._lots = [dataclasses.replace(x) for x in self._lots]
        new.realized = [dataclasses.replace(r, replaced_by=list(r.replaced_by))
                        for r in self.realized]
        rows = {id(r): n for r, n in zip(self.realized, new.realized)}
        new._pending = [dataclasses.replace(p, row=rows.get(id(p.row), p.row))
                        for p in self._pending]
        new._last_date = self._last_date
        new._counter = self._counter
        new._lot_ids = set(self._lot_ids)
        new.cash = dict(self.cash)
        new.purchases = list(self.purchases)
        return new

    # ------------------------------------------------------------------ queries

    def lots(self, account: str | None = None, asset: str | None = None) -> list[Lot]:
        """Open lots (optionally of one account and/or asset), in acquisition order."""
        return [x for x in self._lots if x.quantity > SHARE_EPS
                and (account is None or x.account == account)
                and (asset is None or x.asset == asset)]

    def quantity(self, account: str, asset: str) -> float:
        """Shares of ``asset`` held in ``account``."""
        return sum(x.quantity for x in self.lots(account, asset))

    def total_basis(self) -> float:
        """Adjusted basis of every open lot in taxable accounts, dollars."""
        return sum(x.cost_basis for x in self.lots()
                   if x.account_type is AccountType.TAXABLE)

    def form_8949(self) -> list[RealizedLot]:
        """Realized rows of taxable accounts, in sale order."""
        return list(self.realized)

    def recent_purchases(self, asset: str, on: date, *, before_days: int = WASH_WINDOW_DAYS
                         ) -> list[tuple[date, str, str, float]]:
        """Purchases of securities substantially identical to ``asset`` in the
        ``before_days`` days up to ``on`` (any account)."""
        lo = on - timedelta(days=before_days)
        return [p for p in self.purchases if lo <= p[0] <= on
                and self.substitutes.identical(p[2], asset)]

    def recent_loss_sales(self, asset: str, on: date) -> list[RealizedLot]:
        """Loss sales of securities substantially identical to ``asset`` in the 30 days up
        to ``on``: buying ``asset`` on ``on`` would wash them."""
        lo = on - timedelta(days=WASH_WINDOW_DAYS)
        return [r for r in self.realized if lo <= r.sold <= on
                and r.proceeds < r.cost_basis - 1e-9
                and self.substitutes.identical(r.asset, asset)]

    # ------------------------------------------------------------------ lot selection

    def select_lots(self, account: str, asset: str, quantity: float, price: float, on: date,
                    method: LotMethod | str = LotMethod.FIFO,
                    lot_ids: Sequence[str] = ()) -> list[tuple[Lot, float]]:
        """The lots (and shares of each) a sale of ``quantity`` would take, without selling.

        Raises
        ------
        TaxError
            When ``quantity`` exceeds the shares held, or a named lot does not exist.
        """
        method = LotMethod(method)
        held = self.lots(account, asset)
        total = sum(x.quantity for x in held)
        if quantity > total + SHARE_EPS:
            raise TaxError(
                f"Cannot sell {quantity:g} shares of {asset} from {account!r}: only "
                f"{total:g} are held.", field="quantity", value=quantity,
                expected=f"at most {total:g}", fix="sell fewer shares or check the ledger")
        if method is LotMethod.FIFO:
            order = sorted(held, key=lambda x: (x.acquired, x.lot_id))
        elif method is LotMethod.HIFO:
            order = sorted(held, key=lambda x: (-x.basis_per_share, x.acquired, x.lot_id))
        elif method is LotMethod.MIN_TAX:
            order = sorted(held, key=lambda x: (self.tax_per_share(x, price, on), x.acquired))
        else:
            by_id = {x.lot_id: x for x in held}
            missing = [i for i in lot_ids if i not in by_id]
            if missing or not lot_ids:
                raise TaxError(
                    f"Specific identification names lots {missing or list(lot_ids)} that are "
                    f"not open lots of {asset} in {account!r}.", field="lot_ids",
                    value=list(lot_ids), expected=f"ids among {sorted(by_id)}",
                    fix="name open lots (see `tailorfolio ledger`)")
            order = [by_id[i] for i in lot_ids]
            order += sorted((x for x in held if x.lot_id not in lot_ids),
                            key=lambda x: (x.acquired, x.lot_id))
        out: list[tuple[Lot, float]] = []
        left = quantity
        for lot in order:
            if left <= SHARE_EPS:
                break
            q = min(lot.quantity, left)
            out.append((lot, q))
            left -= q
        return out

    def tax_per_share(self, lot: Lot, price: float, on: date) -> float:
        """Tax (negative = saving) of selling one share of ``lot`` at ``price`` on ``on``."""
        if lot.account_type is not AccountType.TAXABLE:
            return 0.0
        rate = (self.rates.long_term_total if is_long_term(lot.holding_start, on)
                else self.rates.short_term_total)
        return (price - lot.basis_per_share) * rate

    # ------------------------------------------------------------------ events

    def apply(self, transactions: Iterable[Transaction]) -> Ledger:
        """Apply ``transactions`` in date order (stable for equal dates); returns ``self``."""
        for t in sorted(transactions, key=lambda t: t.when):
            if t.action in ("buy", "reinvest"):
                self.buy(t.when, t.account, t.asset, t.quantity, t.price, lot_id=t.lot_id,
                         reinvested=t.action == "reinvest")
            elif t.action == "sell":
                self.sell(t.when, t.account, t.asset, t.quantity, t.price, method=t.method,
                          lot_ids=t.lot_ids)
            else:
                raise TaxError(f"Unknown action {t.action!r}.", field="action", value=t.action,
                               expected="buy, sell or reinvest", fix="fix the transaction")
        return self

    def buy(self, on: date, account: str, asset: str, quantity: float, price: float, *,
            lot_id: str | None = None, reinvested: bool = False) -> list[Lot]:
        """Record a purchase; returns the lot(s) it created (split when part of it replaces
        washed loss shares)."""
        self._check(on, account, quantity, price)
        self._expire(on)
        self.purchases.append((on, account, asset, quantity))
        lot = self._add_lot(account, asset, quantity, price, on, lot_id=lot_id,
                            reinvested=reinvested)
        created = [lot]
        for pend in list(self._pending):
            if lot.replacement_capacity <= SHARE_EPS:
                break
            if pend.sold > on or not self.substitutes.identical(pend.asset, asset):
                continue
            created.extend(self._wash(pend, lot))
            if pend.quantity <= SHARE_EPS:
                self._pending.remove(pend)
        return created

    def sell(self, on: date, account: str, asset: str, quantity: float, price: float, *,
             method: LotMethod | str = LotMethod.FIFO,
             lot_ids: Sequence[str] = ()) -> list[RealizedLot]:
        """Record a sale; returns its Form 8949 rows (none for IRA/Roth accounts)."""
        self._check(on, account, quantity, price)
        self._expire(on)
        picks = self.select_lots(account, asset, quantity, price, on, method, lot_ids)
        acc_type = self.accounts[account]
        sold_ids = {lot.lot_id for lot, _ in picks}
        rows: list[RealizedLot] = []
        for lot, q in picks:
            basis = q * lot.basis_per_share
            lot.quantity -= q
            lot.replacement_capacity = min(lot.replacement_capacity, lot.quantity)
            if acc_type is not AccountType.TAXABLE:
                continue
            row = RealizedLot(lot.lot_id, account, asset, q, lot.acquired, lot.holding_start,
                              on, q * price, basis,
                              long_term=is_long_term(lot.holding_start, on))
            self.realized.append(row)
            rows.append(row)
            loss_ps = lot.basis_per_share - price
            if loss_ps > 0:
                pend = _PendingLoss(row, on, asset, q, loss_ps, (on - lot.holding_start).days)
                for cand in self._lookback(on, asset, sold_ids):
                    if pend.quantity <= SHARE_EPS:
                        break
                    self._wash(pend, cand)
                if pend.quantity > SHARE_EPS:
                    self._pending.append(pend)
        return rows

    # ------------------------------------------------------------------ internals

    def _check(self, on: date, account: str, quantity: float, price: float) -> None:
        if account not in self.accounts:
            raise TaxError(f"Unknown account {account!r}.", field="account", value=account,
                           expected=f"one of {sorted(self.accounts)}",
                           fix="declare the account (account_type column or the profile)")
        from tailorfolio.limits import MAX_PRICE, MAX_QUANTITY

        if not 0 < quantity <= MAX_QUANTITY:
            raise TaxError(f"Quantity must be in (0, {MAX_QUANTITY:g}], got {quantity!r}.",
                           field="quantity", value=quantity, expected=f"(0, {MAX_QUANTITY:g}]",
                           fix="give a positive, finite share count")
        if not 0 <= price <= MAX_PRICE:
            raise TaxError(f"Price must be in [0, {MAX_PRICE:g}], got {price!r}.", field="price",
                           value=price, expected=f"[0, {MAX_PRICE:g}]",
                           fix="give the finite per-share price")
        if self._last_date is not None and on < self._last_date:
            raise TaxError(f"Transaction dated {on} comes after one dated {self._last_date}.",
                           field="date", value=on.isoformat(),
                           expected=f"on or after {self._last_date}",
                           fix="replay transactions in date order (Ledger.apply sorts them)")
        self._last_date = on

    def _expire(self, on: date) -> None:
        self._pending = [p for p in self._pending
                         if (on - p.sold).days <= WASH_WINDOW_DAYS]

    def _add_lot(self, account: str, asset: str, quantity: float, price: float, acquired: date,
                 *, lot_id: str | None = None, reinvested: bool = False) -> Lot:
        self._counter += 1
        lid = lot_id or f"{account}:{asset}:{self._counter}"
        if lid in self._lot_ids:
            raise TaxError(f"Lot id {lid[:80]!r} is used twice.", field="lot_id",
                           value=lid[:80], expected="unique lot ids", fix="rename the lot")
        lot = Lot(lid, account, self.accounts[account], asset, quantity, price, acquired,
                  acquired, 0.0, quantity, reinvested)
        self._lots.append(lot)
        self._lot_ids.add(lid)
        return lot

    def _lookback(self, on: date, asset: str, exclude: set[str]) -> list[Lot]:
        lo = on - timedelta(days=WASH_WINDOW_DAYS)
        return sorted((x for x in self.lots() if lo <= x.acquired <= on
                       and x.lot_id not in exclude and x.replacement_capacity > SHARE_EPS
                       and self.substitutes.identical(x.asset, asset)),
                      key=lambda x: (x.acquired, x.lot_id))

    def _wash(self, pend: _PendingLoss, lot: Lot) -> list[Lot]:
        """Match loss shares of ``pend`` with replacement shares of ``lot``."""
        q = min(pend.quantity, lot.replacement_capacity)
        disallowed = q * pend.loss_per_share
        pend.quantity -= q
        row = pend.row
        row.wash_sale_disallowed += disallowed
        row.replaced_by.append(lot.lot_id)
        if lot.account_type is not AccountType.TAXABLE:
            row.permanently_disallowed += disallowed
            lot.replacement_capacity -= q
            return []
        target = lot
        extra: list[Lot] = []
        if q < lot.quantity - SHARE_EPS:
            self._counter += 1
            target = dataclasses.replace(lot, lot_id=f"{lot.lot_id}.w{self._counter}",
                                         quantity=q, replacement_capacity=q)
            lot.quantity -= q
            lot.replacement_capacity -= q
            self._lots.insert(self._lots.index(lot) + 1, target)
            self._lot_ids.add(target.lot_id)
            extra.append(target)
        target.basis_per_share += pend.loss_per_share
        target.wash_adjustment_per_share += pend.loss_per_share
        target.holding_start = target.holding_start - timedelta(days=pend.held_days)
        target.replacement_capacity -= q
        return extra
