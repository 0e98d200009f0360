"""Hypothesis properties of the ledger: money and share invariants."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import TaxError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax import Ledger, LotMethod

ACCOUNTS = {"Taxable": AccountType.TAXABLE, "Roth": AccountType.ROTH}
ASSETS = ["VTI", "ITOT", "VGIT", "SCHR"]  # two pairs: different index / same index

event = st.tuples(
    st.integers(0, 20),                      # days after the previous event
    st.sampled_from(sorted(ACCOUNTS)),
    st.sampled_from(["buy", "buy", "sell", "reinvest"]),
    st.sampled_from(ASSETS),
    st.floats(0.01, 50, allow_nan=False),    # shares
    st.floats(5, 200, allow_nan=False),      # price
    st.sampled_from(list(LotMethod)[:2] + [LotMethod.MIN_TAX]),
)


def replay(events):
    led = Ledger(dict(ACCOUNTS))
    day = date(2023, 1, 2)
    cost = 0.0
    proceeds = 0.0
    for gap, acc, action, asset, q, px, method in events:
        day += timedelta(days=gap)
        held = led.quantity(acc, asset)
        if action == "sell":
            if held <= 1e-9:
                continue
            q = min(q, held)
            rows = led.sell(day, acc, asset, q, px, method=method)
            proceeds += sum(r.proceeds for r in rows)
        else:
            led.buy(day, acc, asset, q, px, reinvested=action == "reinvest")
            if ACCOUNTS[acc] is AccountType.TAXABLE:
                cost += q * px
    return led, day, cost, proceeds


@settings(max_examples=60, deadline=None)
@given(st.lists(event, min_size=1, max_size=25))
def test_basis_conserved_through_wash_sales(events):
    led, _, cost, _ = replay(events)
    deferred = sum(r.wash_sale_disallowed - r.permanently_disallowed for r in led.realized)
    sold_basis = sum(r.cost_basis for r in led.realized)
    assert led.total_basis() + sold_basis == pytest.approx(cost + deferred, abs=1e-6 * (1 + cost))
    for lot in led.lots():
        assert lot.quantity > 0 and lot.replacement_capacity <= lot.quantity + 1e-9
        assert lot.holding_start <= lot.acquired


@settings(max_examples=60, deadline=None)
@given(st.lists(event, min_size=1, max_size=25), st.floats(5, 200))
def test_liquidation_reports_economic_gain_plus_permanent_disallowance(events, final_px):
    led, day, cost, proceeds = replay(events)
    day += timedelta(days=40)  # outside every wash window, no purchase follows
    for lot in list(led.lots(account="Taxable")):
        if lot.quantity > 0:
            rows = led.sell(day, "Taxable", lot.asset, lot.quantity, final_px,
                            method=LotMethod.SPECIFIC, lot_ids=[lot.lot_id])
            proceeds += sum(r.proceeds for r in rows)
    reported = sum(r.gain for r in led.realized)
    permanent = sum(r.permanently_disallowed for r in led.realized)
    assert reported == pytest.approx(proceeds - cost + permanent, abs=1e-6 * (1 + cost))
    assert all(r.wash_sale_disallowed <= max(r.cost_basis - r.proceeds, 0) + 1e-6
               for r in led.realized)


@settings(max_examples=40, deadline=None)
@given(st.lists(event, min_size=1, max_size=15), st.floats(0.001, 100))
def test_never_sells_more_than_held(events, extra):
    led, day, _, _ = replay(events)
    held = led.quantity("Taxable", "VTI")
    with pytest.raises(TaxError):
        led.sell(day, "Taxable", "VTI", held + extra + 1e-6, 10.0)
    assert led.quantity("Taxable", "VTI") == pytest.approx(held)
