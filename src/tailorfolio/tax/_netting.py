"""Netting a year's realized gains and losses (Schedule D logic) and the tax they cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tailorfolio.tax._tables import MarginalRates

if TYPE_CHECKING:
    from tailorfolio.tax._ledger import RealizedLot


@dataclass(frozen=True)
class YearTax:
    """The outcome of netting one year's capital gains.

    Attributes
    ----------
    short_term_taxable, long_term_taxable : float
        Net gains taxed at the short- and long-term rates (>= 0), dollars.
    ordinary_deduction : float
        Net loss deducted against ordinary income (<= the loss limit), dollars.
    carryforward_short, carryforward_long : float
        Losses (positive numbers) carried to the next year, keeping their character.
    tax : float
        Estimated tax (negative = saving) at the marginal rates, dollars.
    """

    short_term_taxable: float
    long_term_taxable: float
    ordinary_deduction: float
    carryforward_short: float
    carryforward_long: float
    tax: float


def net_capital_gains(short_term: float, long_term: float, rates: MarginalRates, *,
                      carry_short: float = 0.0, carry_long: float = 0.0) -> YearTax:
    """Net a year's realized gains under IRC §1211/§1212 and price them at marginal rates.

    Parameters
    ----------
    short_term, long_term : float
        Net realized short- and long-term gain of the year (losses negative), dollars.
    rates : MarginalRates
    carry_short, carry_long : float
        Loss carryforwards from earlier years (positive numbers), dollars.

    Returns
    -------
    YearTax
        A net loss first offsets the other term's gain, then up to ``rates.loss_limit`` of
        ordinary income (short-term losses used first), the remainder carries forward with its
        character (Schedule D Capital Loss Carryover Worksheet).
    """
    st = short_term - carry_short
    lt = long_term - carry_long
    if st >= 0 and lt >= 0:
        st_tax, lt_tax, deduction, cf_s, cf_l = st, lt, 0.0, 0.0, 0.0
    elif st < 0 <= lt:
        lt_tax = max(lt + st, 0.0)
        net_loss = max(-(lt + st), 0.0)
        st_tax = 0.0
        deduction = min(net_loss, rates.loss_limit)
        cf_s, cf_l = net_loss - deduction, 0.0
    elif lt < 0 <= st:
        st_tax = max(st + lt, 0.0)
        net_loss = max(-(st + lt), 0.0)
        lt_tax = 0.0
        deduction = min(net_loss, rates.loss_limit)
        cf_s, cf_l = 0.0, net_loss - deduction
    else:
        st_tax = lt_tax = 0.0
        deduction = min(-st - lt, rates.loss_limit)
        used_st = min(-st, deduction)
        cf_s = -st - used_st
        cf_l = -lt - (deduction - used_st)
    tax = (st_tax * rates.short_term_total + lt_tax * rates.long_term_total
           - deduction * rates.ordinary_offset)
    return YearTax(st_tax, lt_tax, deduction, cf_s, cf_l, tax)


@dataclass(frozen=True)
class YearSummary:
    """One tax year of a ledger: realized totals and their netting."""

    year: int
    short_term: float
    long_term: float
    netted: YearTax


def yearly_summary(rows: Sequence[RealizedLot], rates: MarginalRates) -> list[YearSummary]:
    """Net each year's Form 8949 totals in order, carrying losses forward between years.

    Parameters
    ----------
    rows : sequence of RealizedLot
    rates : MarginalRates
    """
    years = sorted({r.sold.year for r in rows})
    out: list[YearSummary] = []
    cs = cl = 0.0
    for y in range(years[0], years[-1] + 1) if years else []:
        st = sum(r.gain for r in rows if r.sold.year == y and not r.long_term)
        lt = sum(r.gain for r in rows if r.sold.year == y and r.long_term)
        n = net_capital_gains(st, lt, rates, carry_short=cs, carry_long=cl)
        cs, cl = n.carryforward_short, n.carryforward_long
        out.append(YearSummary(y, st, lt, n))
    return out
