"""The infeasibility diagnosis on the standard form: its items are the form, its conflicts
are irreducible, and its "how far" figures are the hand-computed ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import InfeasibleError
from tailorfolio.kernel import from_constraint_set, solve
from tailorfolio.kernel._standard import cholesky_factor
from tailorfolio.market import default_market
from tailorfolio.optimize import (
    ConstraintSet,
    PortfolioOptimizer,
    constraints_from_preferences,
    explain_infeasible,
)
from tailorfolio.optimize._diagnose import Diagnosis
from tailorfolio.profile import Bounds, Preferences

OPT = PortfolioOptimizer()
MARKET = default_market()
CLASSES = ("bond", "equity", "cash", "us_cash", "us_equity", "real_asset", "us_reit")


@st.composite
def preference_sets(draw):
    bounds = {}
    for name in draw(st.lists(st.sampled_from(CLASSES), max_size=3, unique=True)):
        lo = draw(st.sampled_from([0.0, 0.05, 0.2, 0.5]))
        hi = draw(st.sampled_from([0.3, 0.6, 1.0]))
        bounds[name] = Bounds(min=min(lo, hi), max=hi)
    prefs = Preferences(
        max_weight_per_asset=draw(st.sampled_from([0.2, 0.35, 1.0])),
        excluded_sectors=tuple(draw(st.lists(st.sampled_from(["fossil_fuels", "government",
                                                             "tobacco"]), max_size=2,
                                             unique=True))),
        asset_class_bounds=bounds,
        min_esg_score=draw(st.sampled_from([None, 40.0, 70.0])),
        esg_missing_score_policy=draw(st.sampled_from(["worst", "ignore"])),
    )
    cap = draw(st.sampled_from([None, 0.08, 0.2]))
    return constraints_from_preferences(MARKET.universe, prefs,
                                        cash_reserve_weight=draw(st.sampled_from([0.0, 0.05])),
                                        max_volatility=cap, default_max_weight=0.4)


@settings(max_examples=40, deadline=None)
@given(preference_sets())
def test_the_items_together_are_exactly_the_standard_form(cs) -> None:
    """Every finite bound, row side and the ceiling of the form is owned by an item, and
    the items imply nothing the form does not hold."""
    diag = Diagnosis(cs, cholesky_factor(MARKET.assumptions.covariance.to_numpy()))
    sf, got = diag.sf, diag.form(diag.items)
    np.testing.assert_array_equal(got.lower, sf.lower)
    np.testing.assert_array_equal(np.minimum(got.upper, 1.0), np.minimum(sf.upper, 1.0))
    np.testing.assert_allclose(got.row_lo, sf.row_lo, rtol=1e-15, atol=0)
    np.testing.assert_allclose(got.row_hi, sf.row_hi, rtol=1e-15, atol=0)
    assert got.vol_cap[0] == sf.vol_cap[0]
    names = {it.name for it in diag.items}
    assert ("max_volatility" in names) == (cs.max_volatility is not None)
    assert ("esg_floor" in names) == ("esg_floor" in sf.row_names)


def _scored(n_scores=(90.0, 50.0, 30.0), cap=0.4, floor=80.0) -> ConstraintSet:
    n = len(n_scores)
    return ConstraintSet([f"A{i}" for i in range(n)], np.zeros(n), np.full(n, cap),
                         max_weight_per_asset=cap, esg_scores=np.array(n_scores),
                         min_esg_score=floor)


def test_esg_floor_against_the_cap_moves_by_the_hand_computed_amounts() -> None:
    """Scores 90/50/30, at most 40 % each: the best score is 0.4·90 + 0.4·50 + 0.2·30 = 62,
    18 short of a floor of 80; the cap must rise by s with 90(0.4+s) + 50(0.6−s) = 80,
    s = 0.35 (to 75 %)."""
    err = explain_infeasible(_scored())
    got = {c.name: c.violation for c in err.conflicts}
    assert got == pytest.approx({"esg_floor": 18.0, "max_weight": 0.35}, abs=1e-7)
    msg = str(err)
    assert "the portfolio ESG score can reach at most 62.0, below its minimum of 80.0" in msg
    assert "must be at least 75.0 %, above its maximum of 40.0 %" in msg
    assert "best achievable 62.0" in msg and "preferences.min_esg_score" in err.fix


def test_every_conflict_set_is_irreducible() -> None:
    """Dropping any one conflict leaves the rest feasible; all of them together are not."""
    prefs = Preferences(excluded_sectors=("fossil_fuels", "government"), max_weight_per_asset=0.35,
                        asset_class_bounds={"bond": Bounds(min=0.4), "equity": Bounds(min=0.5)},
                        min_esg_score=60.0)
    cs = constraints_from_preferences(MARKET.universe, prefs, max_volatility=0.06)
    diag = Diagnosis(cs, cholesky_factor(MARKET.assumptions.covariance.to_numpy()))
    conflicts = {c.name for c in diag.conflicts()}
    kept = [it for it in diag.items if it.name in conflicts]
    assert len(kept) >= 2 and not diag.feasible(kept)
    for it in kept:
        assert diag.feasible([k for k in kept if k is not it]), it.name


def test_the_ceilings_how_far_is_the_minimum_volatility_under_the_others() -> None:
    a = MARKET.assumptions
    cov = a.covariance.to_numpy()
    prefs = Preferences(asset_class_bounds={"equity": Bounds(min=0.9)})
    cs = constraints_from_preferences(MARKET.universe, prefs, max_volatility=0.05)
    err = explain_infeasible(cs, cholesky_factor(cov))
    w = solve(from_constraint_set(cs, cov)).w[0]  # the kernel's exact minimum variance
    lowest = float(np.sqrt(w @ cov @ w))
    vol = next(c for c in err.conflicts if c.name == "max_volatility")
    assert vol.violation == pytest.approx(lowest - 0.05, abs=1e-6)
    assert f"must be at least {100 * lowest:.1f} %" in str(err)


def test_a_feasible_set_has_no_conflicts_and_says_the_objective_is_at_fault() -> None:
    cs = constraints_from_preferences(MARKET.universe, Preferences())
    err = explain_infeasible(cs)
    assert isinstance(err, InfeasibleError) and not err.conflicts
    assert "objective's own requirement" in str(err)


def test_importing_the_diagnosis_and_the_conic_backend_loads_no_solver_stack() -> None:
    """cvxpy (and the scipy.stats it pulls in) load when a diagnosis solves, not on import."""
    probe = ("import json, sys; import tailorfolio.optimize._diagnose, "
             "tailorfolio.optimize._problem; print(json.dumps(sorted(sys.modules)))")
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(src)}, check=True, timeout=120)
    loaded = set(json.loads(out.stdout))
    assert not {m for m in loaded if m.split(".")[0] == "cvxpy"}
    assert "scipy.stats" not in loaded
