"""Loss-harvesting finder: thresholds, substitutes, wash conflicts across accounts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tailorfolio.errors import TaxError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax import Ledger, MarginalRates, transactions_from_frame
from tailorfolio.tax._harvest import HarvestPolicy, find_harvests
from tests.tolerances import MONEY_ATOL

RATES = MarginalRates(0.24, 0.15, 0.0, 0.05)
ON = date(2025, 6, 30)


def book():
    return Ledger({"Brokerage": AccountType.TAXABLE, "IRA": AccountType.TRADITIONAL},
                  rates=RATES)


def test_thresholds_benefit_and_switch_back_date():
    led = book()
    led.buy(date(2022, 1, 6), "Brokerage", "BND", 100, 80.0)     # long-term, loss 600 (7.5 %)
    led.buy(date(2023, 1, 6), "Brokerage", "VTI", 10, 330.0)     # loss 50: below thresholds
    led.buy(date(2025, 1, 6), "Brokerage", "VEA", 1_000, 60.0)   # short-term, loss 6,000
    prices = {"VEA": 54.0, "VTI": 325.0, "BND": 74.0}
    opps = find_harvests(led, prices, ON, RATES)
    assert [h.asset for h in opps] == ["VEA", "BND"]
    vea = opps[0]
    assert vea.loss == pytest.approx(6_000.00, abs=MONEY_ATOL)
    assert not vea.long_term
    assert vea.tax_benefit == pytest.approx(6_000 * 0.29, abs=MONEY_ATOL)
    assert vea.trade_cost == pytest.approx(2 * 54_000 * 5 / 1e4, abs=MONEY_ATOL)
    assert vea.replacement == "IEFA" and vea.actionable
    assert vea.safe_after == date(2025, 7, 31)
    bnd = opps[1]
    assert bnd.long_term and bnd.tax_benefit == pytest.approx(600 * 0.20, abs=MONEY_ATOL)
    assert bnd.replacement == "AGG"
    strict = find_harvests(led, prices, ON, RATES, HarvestPolicy(min_net_benefit=200))
    assert [h.actionable for h in strict] == [True, False]


def test_ira_purchase_in_window_is_a_permanent_conflict():
    led = book()
    led.buy(date(2024, 1, 8), "Brokerage", "VEA", 100, 60.0)
    led.buy(date(2025, 6, 20), "IRA", "VEA", 40, 55.0)
    (h,) = find_harvests(led, {"VEA": 50.0}, ON, RATES)
    assert h.washed_quantity == pytest.approx(40)
    assert h.tax_benefit == pytest.approx(1_000 * 0.60 * 0.20, abs=MONEY_ATOL)
    assert any("Rev. Rul. 2008-5" in c for c in h.conflicts)


def test_substitute_rotation_skips_recently_harvested_funds():
    led = book()
    led.buy(date(2024, 1, 8), "Brokerage", "VEA", 300, 60.0)
    led.buy(date(2025, 1, 6), "Brokerage", "IEFA", 100, 80.0)
    led.sell(date(2025, 6, 16), "Brokerage", "IEFA", 100, 70.0)  # IEFA sold at a loss
    led.buy(date(2025, 6, 16), "Brokerage", "SPDW", 200, 40.0)
    opps = {h.asset: h for h in find_harvests(led, {"VEA": 50.0, "SPDW": 40.0}, ON, RATES)}
    assert opps["VEA"].replacement not in ("IEFA", "VEA")  # IEFA would wash its own loss
    assert opps["VEA"].replacement == "SPDW"


def test_transactions_parser_names_bad_rows():
    good = pd.DataFrame({"date": ["2024-01-02"], "account": ["B"], "action": ["buy"],
                         "asset": ["vti"], "quantity": [1], "price": [10]})
    txs, accounts = transactions_from_frame(good)
    assert txs[0].asset == "VTI" and accounts == {"B": AccountType.TAXABLE}
    with pytest.raises(TaxError) as exc:
        transactions_from_frame(good.assign(action="gift"))
    assert exc.value.field == "row 2.action"
    with pytest.raises(TaxError) as exc:
        transactions_from_frame(good.drop(columns="price"))
    assert exc.value.field == "columns"
    with pytest.raises(TaxError):
        transactions_from_frame(good.assign(date="yesterday"))
