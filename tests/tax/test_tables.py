"""Tax tables against figures computed by hand from the Rev. Procs, and loss netting."""

from __future__ import annotations

import pytest

from tailorfolio.examples import load_example_profile
from tailorfolio.profile._enums import FilingStatus
from tailorfolio.tax import MarginalRates, marginal_rates, net_capital_gains, tax_table
from tests.tolerances import MONEY_ATOL

S, J = FilingStatus.SINGLE, FilingStatus.MARRIED_JOINT


def test_ordinary_tax_single_100k():
    # 2024: 1,160 + 4,266 + 11,627 ; 2025: 1,192.50 + 4,386 + 11,335.50
    assert tax_table(2024).ordinary_tax(S, 100_000) == pytest.approx(17_053.00, abs=MONEY_ATOL)
    assert tax_table(2025).ordinary_tax(S, 100_000) == pytest.approx(16_914.00, abs=MONEY_ATOL)
    assert tax_table(2025).ordinary_tax(J, 0) == 0


def test_marginal_and_ltcg_rates():
    t = tax_table(2025)
    assert t.ordinary_rate(J, 155_000) == 0.22
    assert t.ordinary_rate(S, 11_925) == 0.12 and t.ordinary_rate(S, 11_924.99) == 0.10
    assert t.ltcg_rate(J, 96_699) == 0.0 and t.ltcg_rate(J, 96_700) == 0.15
    assert t.ltcg_rate(S, 533_400) == 0.20
    assert tax_table(2024).ltcg_thresholds[S] == (47_025, 518_900)
    assert tax_table(2030).year == 2025
    assert tax_table(2025).standard_deduction[J] == 31_500  # Pub. L. 119-21
    assert tax_table(2024).standard_deduction[FilingStatus.HEAD_OF_HOUSEHOLD] == 21_900
    # A single filer with 63,000 of wages in 2024: 48,400 taxable → 22 % / 15 %.
    t24 = tax_table(2024)
    assert t24.ordinary_rate(S, 63_000 - 14_600) == 0.22
    assert t24.ltcg_rate(S, 63_000 - 14_600) == 0.15


def test_profile_override_and_derivation():
    fam = load_example_profile("family")
    r = marginal_rates(fam, 2025)
    assert (r.ordinary, r.long_term, r.state, r.niit) == (0.24, 0.15, 0.06, 0.0)
    derived = marginal_rates(fam.model_copy(update={"tax_rates": None}), 2025)
    assert (derived.ordinary, derived.long_term) == (0.22, 0.15)  # 185,000 − 31,500 MFJ
    rich = fam.model_copy(update={"tax_rates": None, "annual_income": 900_000})
    rr = marginal_rates(rich, 2025)
    assert (rr.ordinary, rr.long_term, rr.niit) == (0.37, 0.20, 0.038)


RATES = MarginalRates(0.24, 0.15, 0.0, 0.05)


def test_net_loss_limited_to_3000_and_carried_forward():
    y = net_capital_gains(-5_000, 1_000, RATES)
    assert y.long_term_taxable == 0 and y.ordinary_deduction == 3_000
    assert y.carryforward_short == pytest.approx(1_000) and y.carryforward_long == 0
    assert y.tax == pytest.approx(-3_000 * 0.29, abs=MONEY_ATOL)
    y2 = net_capital_gains(-2_000, -4_000, RATES)
    assert y2.carryforward_short == 0 and y2.carryforward_long == pytest.approx(3_000)
    y3 = net_capital_gains(2_000, 500, RATES, carry_long=1_500)
    # The long-term carryforward turns LT into −1,000, which offsets short-term gains.
    assert (y3.short_term_taxable, y3.long_term_taxable) == (1_000, 0)
    assert y3.tax == pytest.approx(1_000 * 0.29, abs=MONEY_ATOL)
    y4 = net_capital_gains(1_000, -4_000, RATES)
    assert y4.short_term_taxable == 0 and y4.carryforward_long == 0
    assert y4.ordinary_deduction == 3_000
