"""Asset location: closed-form growth factors and the placement's logic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.errors import InfeasibleError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax import MarginalRates
from tailorfolio.tax._location import after_tax_growth, locate_assets
from tests.tolerances import CLOSED_FORM_RTOL, SOLVER_RTOL

R = MarginalRates(0.24, 0.15, 0.0, 0.05)
T, D, X = AccountType.TAXABLE, AccountType.TRADITIONAL, AccountType.ROTH


def test_growth_factors_closed_form():
    assert after_tax_growth(0.06, 0.02, 0.5, X, R, 10) == pytest.approx(1.06 ** 10,
                                                                        rel=CLOSED_FORM_RTOL)
    assert after_tax_growth(0.06, 0.02, 0.5, D, R, 10) == pytest.approx(
        1.06 ** 10 * (1 - 0.29), rel=CLOSED_FORM_RTOL)
    # No yield: pure deferral, value − LT rate × gain.
    v = 1.07 ** 20
    assert after_tax_growth(0.07, 0.0, 1.0, T, R, 20) == pytest.approx(
        v - 0.20 * (v - 1), rel=CLOSED_FORM_RTOL)
    # All yield, non-qualified: taxed every year at 29 %, no deferred gain left.
    assert after_tax_growth(0.04, 0.04, 0.0, T, R, 5) == pytest.approx(
        (1 + 0.04 * 0.71) ** 5, rel=CLOSED_FORM_RTOL)
    # Municipal interest: only the state rate.
    assert after_tax_growth(0.03, 0.03, 0.0, T, R, 5, federally_exempt=True) == pytest.approx(
        (1 + 0.03 * 0.95) ** 5, rel=CLOSED_FORM_RTOL)


def test_bonds_go_to_tax_deferred_stocks_to_taxable_and_roth():
    target = pd.Series({"VTI": 60_000.0, "BND": 40_000.0})
    growth = pd.Series({"VTI": 0.07, "BND": 0.04})
    yields = pd.Series({"VTI": 0.013, "BND": 0.038})
    qual = pd.Series({"VTI": 0.95, "BND": 0.0})
    accts = {"Brokerage": (T, 50_000.0), "401k": (D, 40_000.0), "Roth": (X, 10_000.0)}
    res = locate_assets(target, accts, growth, yields, qual, R, 20)
    a = res.amounts
    assert a.loc["BND", "401k"] == pytest.approx(40_000.0, rel=SOLVER_RTOL)
    assert a.loc["VTI", "Brokerage"] == pytest.approx(50_000.0, rel=SOLVER_RTOL)
    assert a.loc["VTI", "Roth"] == pytest.approx(10_000.0, rel=SOLVER_RTOL)
    np.testing.assert_allclose(a.sum(axis=1), target, rtol=1e-9)
    np.testing.assert_allclose(a.sum(axis=0), [50_000, 40_000, 10_000], rtol=1e-9)
    assert res.after_tax_value >= res.pro_rata_value
    assert res.annual_benefit > 0


def test_single_account_has_no_location_benefit_and_mismatch_is_infeasible():
    target = pd.Series({"VTI": 60.0, "BND": 40.0})
    s = pd.Series({"VTI": 0.05, "BND": 0.03})
    res = locate_assets(target, {"B": (T, 100.0)}, s, s / 2, s * 0, R, 10)
    assert res.annual_benefit == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InfeasibleError):
        locate_assets(target, {"B": (T, 90.0)}, s, s / 2, s * 0, R, 10)
