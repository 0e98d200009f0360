"""Worked examples written from the IRS rules (Pub. 550 "Wash Sales", Rev. Rul. 2008-5), exact
to the cent."""

from __future__ import annotations

from datetime import date

import pytest

from tailorfolio.errors import TaxError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax import Ledger, LotMethod, MarginalRates, is_long_term
from tests.tolerances import MONEY_ATOL

T, R, I = AccountType.TAXABLE, AccountType.ROTH, AccountType.TRADITIONAL


def ledger() -> Ledger:
    return Ledger({"Brokerage": T, "Roth": R, "IRA": I},
                  rates=MarginalRates(0.24, 0.15, 0.0, 0.0))


def test_holding_period_more_than_one_year():
    assert not is_long_term(date(2024, 3, 15), date(2025, 3, 15))
    assert is_long_term(date(2024, 3, 15), date(2025, 3, 16))
    assert not is_long_term(date(2024, 2, 29), date(2025, 2, 28))
    assert is_long_term(date(2024, 2, 29), date(2025, 3, 1))


def test_loss_sale_repurchased_within_30_days():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    (new, *_) = led.buy(date(2024, 6, 20), "Brokerage", "VTI", 100, 42.00)
    assert row.proceeds == pytest.approx(4_000.00, abs=MONEY_ATOL)
    assert row.cost_basis == pytest.approx(5_000.00, abs=MONEY_ATOL)
    assert row.wash_sale_disallowed == pytest.approx(1_000.00, abs=MONEY_ATOL)
    assert row.code == "W"
    assert row.gain == pytest.approx(0.00, abs=MONEY_ATOL)
    assert row.permanently_disallowed == 0
    # Replacement basis 4,200 + 1,000; holding period 145 days tacked on: starts 2024-01-27.
    assert new.cost_basis == pytest.approx(5_200.00, abs=MONEY_ATOL)
    assert new.holding_start == date(2024, 1, 27)
    assert new.acquired == date(2024, 6, 20)
    # Sold on 2025-01-27: still short-term; on 2025-01-28: long-term, gain 6,000 − 5,200.
    trial = led.copy()
    (st,) = trial.sell(date(2025, 1, 27), "Brokerage", "VTI", 100, 60.00)
    assert st.term == "short"
    (lt,) = led.sell(date(2025, 1, 28), "Brokerage", "VTI", 100, 60.00)
    assert lt.term == "long" and lt.gain == pytest.approx(800.00, abs=MONEY_ATOL)


def test_repurchase_on_day_31_is_not_a_wash():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    led.buy(date(2024, 7, 3), "Brokerage", "VTI", 100, 42.00)  # day 30: washes
    assert row.wash_sale_disallowed == pytest.approx(1_000.00, abs=MONEY_ATOL)
    led2 = ledger()
    led2.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row2,) = led2.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    (new2,) = led2.buy(date(2024, 7, 4), "Brokerage", "VTI", 100, 42.00)  # day 31: clean
    assert row2.wash_sale_disallowed == 0 and row2.gain == pytest.approx(-1_000.00)
    assert new2.cost_basis == pytest.approx(4_200.00, abs=MONEY_ATOL)


def test_partial_repurchase_is_pro_rata():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    (new,) = led.buy(date(2024, 6, 10), "Brokerage", "VTI", 40, 41.00)
    assert row.wash_sale_disallowed == pytest.approx(400.00, abs=MONEY_ATOL)
    assert row.gain == pytest.approx(-600.00, abs=MONEY_ATOL)
    assert new.cost_basis == pytest.approx(2_040.00, abs=MONEY_ATOL)
    assert new.basis_per_share == pytest.approx(51.00, abs=MONEY_ATOL)


def test_repurchase_larger_than_sale_splits_the_lot():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 10, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 10, 40.00)
    lots = led.buy(date(2024, 6, 10), "Brokerage", "VTI", 25, 41.00)
    assert row.wash_sale_disallowed == pytest.approx(100.00, abs=MONEY_ATOL)
    by_qty = {x.quantity: x for x in lots}
    assert by_qty[10].basis_per_share == pytest.approx(51.00)
    assert by_qty[10].holding_start == date(2024, 6, 10) - (date(2024, 6, 3) - date(2024, 1, 10))
    assert by_qty[15].basis_per_share == pytest.approx(41.00)
    assert by_qty[15].holding_start == date(2024, 6, 10)
    assert led.total_basis() == pytest.approx(25 * 41.00 + 100.00, abs=MONEY_ATOL)


def test_repurchase_in_roth_ira_is_permanently_disallowed():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    (ira_lot,) = led.buy(date(2024, 6, 13), "Roth", "VTI", 100, 41.00)
    assert row.wash_sale_disallowed == pytest.approx(1_000.00, abs=MONEY_ATOL)
    assert row.permanently_disallowed == pytest.approx(1_000.00, abs=MONEY_ATOL)
    assert row.gain == pytest.approx(0.00, abs=MONEY_ATOL)
    assert ira_lot.basis_per_share == 41.00  # Rev. Rul. 2008-5: no basis increase in the IRA


def test_ira_purchase_before_the_sale_also_washes():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    led.buy(date(2024, 5, 20), "IRA", "VTI", 30, 44.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    assert row.wash_sale_disallowed == pytest.approx(300.00, abs=MONEY_ATOL)
    assert row.permanently_disallowed == pytest.approx(300.00, abs=MONEY_ATOL)
    assert row.gain == pytest.approx(-700.00, abs=MONEY_ATOL)


def test_substitute_tracking_another_index_does_not_wash_but_same_index_does():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    led.buy(date(2024, 6, 4), "Brokerage", "ITOT", 80, 100.00)  # S&P Total Market: different
    assert row.wash_sale_disallowed == 0
    led2 = ledger()
    led2.buy(date(2024, 1, 10), "Brokerage", "VGIT", 100, 60.00)
    (row2,) = led2.sell(date(2024, 6, 3), "Brokerage", "VGIT", 100, 57.00)
    led2.buy(date(2024, 6, 5), "Brokerage", "SCHR", 100, 25.00)  # same Bloomberg 3-10y index
    assert row2.wash_sale_disallowed == pytest.approx(300.00, abs=MONEY_ATOL)


def test_purchase_before_sale_in_window_washes_and_tacks():
    led = ledger()
    led.buy(date(2024, 1, 2), "Brokerage", "VTI", 100, 50.00, lot_id="A")
    led.buy(date(2024, 2, 20), "Brokerage", "VTI", 50, 45.00, lot_id="B")
    (row,) = led.sell(date(2024, 3, 1), "Brokerage", "VTI", 100, 40.00,
                      method=LotMethod.SPECIFIC, lot_ids=["A"])
    assert row.wash_sale_disallowed == pytest.approx(500.00, abs=MONEY_ATOL)
    assert row.gain == pytest.approx(-500.00, abs=MONEY_ATOL)
    (b,) = led.lots("Brokerage", "VTI")
    assert b.basis_per_share == pytest.approx(55.00)
    assert b.holding_start == date(2024, 2, 20) - (date(2024, 3, 1) - date(2024, 1, 2))


def test_dividend_reinvestment_washes_a_loss():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 100, 50.00)
    (row,) = led.sell(date(2024, 6, 3), "Brokerage", "VTI", 100, 40.00)
    led.buy(date(2024, 6, 28), "Brokerage", "VTI", 0.731, 41.04, reinvested=True)
    assert row.wash_sale_disallowed == pytest.approx(0.731 * 10.00, abs=MONEY_ATOL)


LOTS = [("A", date(2023, 1, 5), 127.0), ("B", date(2024, 3, 1), 150.0),
        ("C", date(2024, 6, 10), 128.0)]


@pytest.mark.parametrize("method, lot_ids, expected", [
    # (lot, shares, gain, term)
    (LotMethod.FIFO, (), [("A", 10, 30.00, "long"), ("B", 5, -100.00, "short")]),
    (LotMethod.HIFO, (), [("B", 10, -200.00, "short"), ("C", 5, 10.00, "short")]),
    (LotMethod.MIN_TAX, (), [("B", 10, -200.00, "short"), ("A", 5, 15.00, "long")]),
    (LotMethod.SPECIFIC, ("C", "A"), [("C", 10, 20.00, "short"), ("A", 5, 15.00, "long")]),
])
def test_multi_lot_sale_under_each_method(method, lot_ids, expected):
    led = ledger()
    for lid, when, px in LOTS:
        led.buy(when, "Brokerage", "VEA", 10, px, lot_id=lid)
    rows = led.sell(date(2024, 9, 3), "Brokerage", "VEA", 15, 130.00, method=method,
                    lot_ids=lot_ids)
    got = [(r.lot_id, r.quantity, round(r.gain, 2), r.term) for r in rows]
    assert got == expected
    for r in rows:
        assert r.proceeds == pytest.approx(130.00 * r.quantity, abs=MONEY_ATOL)
    assert sum(x.quantity for x in led.lots()) == pytest.approx(15)


def test_fractional_shares_and_overselling():
    led = ledger()
    led.buy(date(2024, 1, 10), "Brokerage", "VTI", 0.5, 250.00)
    led.buy(date(2024, 2, 10), "Brokerage", "VTI", 1.25, 260.00)
    rows = led.sell(date(2024, 3, 1), "Brokerage", "VTI", 1.0, 270.00)
    assert [r.quantity for r in rows] == [0.5, 0.5]
    assert sum(r.gain for r in rows) == pytest.approx(0.5 * 20 + 0.5 * 10, abs=MONEY_ATOL)
    with pytest.raises(TaxError) as exc:
        led.sell(date(2024, 3, 2), "Brokerage", "VTI", 0.76, 270.00)
    assert exc.value.field == "quantity"


def test_out_of_order_and_unknown_account_rejected():
    led = ledger()
    led.buy(date(2024, 5, 1), "Brokerage", "VTI", 1, 10.0)
    with pytest.raises(TaxError):
        led.buy(date(2024, 4, 1), "Brokerage", "VTI", 1, 10.0)
    with pytest.raises(TaxError):
        led.buy(date(2024, 6, 1), "Nowhere", "VTI", 1, 10.0)
