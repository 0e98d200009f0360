"""Asset location: closed-form growth factors and the placement's logic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import InfeasibleError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax import MarginalRates
from tailorfolio.tax._location import after_tax_growth, locate_assets
from tests.tolerances import CLOSED_FORM_RTOL, SOLVER_ATOL, SOLVER_RTOL

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


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12),
       stickiness=st.sampled_from([0.0, 1e-6]))
def test_two_account_closed_form_is_the_linear_programs_optimum(seed, n, stickiness):
    """With two accounts and distinct after-tax advantages, the greedy fill is the placement
    program's unique optimum: the same placement as the LP solver (to its tolerance), with or
    without the L1 pull towards a current placement; near-ties are left to the solver."""
    from scipy.optimize import linprog

    from tailorfolio.tax._location import UNIQUE_GAP, _unique_two_account_optimum

    rng = np.random.default_rng(seed)
    f = 1.0 + 3.0 * rng.random((n, 2))
    tgt = rng.dirichlet(np.ones(n)) * (rng.random(n) > 0.2)
    tgt = tgt / tgt.sum() if tgt.sum() > 0 else np.full(n, 1 / n)
    share = rng.random()
    bal = np.array([share, 1.0 - share])
    cur = rng.dirichlet(np.ones(2 * n)).reshape(n, 2)
    got = _unique_two_account_optimum(f, tgt, bal, stickiness)
    d = np.sort((f[:, 0] - f[:, 1])[tgt > 0])
    if len(d) > 1 and np.min(np.diff(d)) <= UNIQUE_GAP:
        assert got is None
        return
    assert got is not None
    nm = 2 * n
    c = np.concatenate([-f.ravel(), np.full(nm, stickiness)])
    a_eq = np.zeros((n + 2, 2 * nm))
    for i in range(n):
        a_eq[i, 2 * i:2 * i + 2] = 1.0
    for j in range(2):
        a_eq[n + j, j:nm:2] = 1.0
    eye = np.eye(nm)
    res = linprog(c, A_ub=np.block([[eye, -eye], [-eye, -eye]]),
                  b_ub=np.concatenate([cur.ravel(), -cur.ravel()]), A_eq=a_eq,
                  b_eq=np.concatenate([tgt, bal]), bounds=[(0, None)] * (2 * nm),
                  method="highs")
    assert res.status == 0
    # The solver's vertex to its feasibility tolerance (1e-7 of the total, far inside
    # SOLVER_ATOL); the closed form is exact.
    np.testing.assert_allclose(got, res.x[:nm].reshape(n, 2), rtol=0, atol=SOLVER_ATOL)


def test_two_account_closed_form_leaves_ties_to_the_solver():
    from tailorfolio.tax._location import _unique_two_account_optimum

    f = np.array([[2.0, 1.5], [3.0, 2.5], [1.0, 1.2]])  # the first two: the same advantage
    assert _unique_two_account_optimum(f, np.array([0.3, 0.3, 0.4]), np.array([0.5, 0.5]),
                                       1e-6) is None
    one = _unique_two_account_optimum(f[:, :1], np.array([0.3, 0.3, 0.4]), np.array([1.0]),
                                      1e-6)
    np.testing.assert_array_equal(one, [[0.3], [0.3], [0.4]])
    three = np.column_stack([f, f[:, 0]])
    assert _unique_two_account_optimum(three, np.array([0.3, 0.3, 0.4]),
                                       np.array([0.2, 0.3, 0.5]), 1e-6) is None
