"""The equity range's closed form equals the linear program it replaced.

:func:`tailorfolio.allocation._family.equity_range` finds the smallest and largest equity
share of a fully invested portfolio under asset bounds and class bounds without a solver when
the class groups are laminar (a broad class and the fine classes inside it). Here random
universes, bounds and class bounds are solved both ways — the closed form and an independent
``scipy.optimize.linprog`` (HiGHS) — and must agree on feasibility and on both ends.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tailorfolio.allocation._family import (
    NOT_LAMINAR,
    _laminar_equity_range,
    equity_group,
    equity_range,
)
from tailorfolio.errors import InfeasibleError
from tailorfolio.optimize._constraints import ConstraintSet, GroupBound
from tests.tolerances import SOLVER_ATOL

BROAD = ("equity", "bond", "cash")
GRID = [round(0.05 * k, 2) for k in range(21)]  # bounds on a 5-point grid: exact ties occur


def _groups(broad: list[str], fine: list[str], bounds: dict[str, tuple[float, float]]
            ) -> tuple[GroupBound, ...]:
    out = []
    for level, labels in (("broad_class", broad), ("asset_class", fine)):
        for name in dict.fromkeys(labels):
            members = np.array([1.0 if lab == name else 0.0 for lab in labels])
            lo, hi = bounds.get(name, (0.0, 1.0))
            out.append(GroupBound(name, level, members, lo, hi))
    return tuple(out)


@st.composite
def constraint_sets(draw: st.DrawFn, laminar: bool = True) -> ConstraintSet:
    n = draw(st.integers(1, 7))
    broad = [draw(st.sampled_from(BROAD)) for _ in range(n)]
    if laminar:  # a fine class lies inside one broad class
        fine = [f"{b}_{draw(st.integers(0, 1))}" for b in broad]
    else:  # fine classes may straddle broad classes
        fine = [f"mixed_{draw(st.integers(0, 2))}" for _ in range(n)]
    lower = np.array([draw(st.sampled_from(GRID[:7])) for _ in range(n)])
    upper = np.array([min(1.0, lo + draw(st.sampled_from(GRID))) for lo in lower])
    bounds = {}
    for name in dict.fromkeys([*broad, *fine]):
        if draw(st.booleans()):
            lo = draw(st.sampled_from(GRID[:11]))
            hi = draw(st.sampled_from([g for g in GRID if g >= lo]))
            bounds[name] = (lo, hi)
    return ConstraintSet(tickers=[f"A{i}" for i in range(n)], lower=lower, upper=upper,
                         groups=_groups(broad, fine, bounds))


def _range_by_linprog(cs: ConstraintSet) -> tuple[float, float] | None:
    """Independent reference: every group bound as LP rows (inactive ones too)."""
    eq = equity_group(cs)
    assert eq is not None
    a_ub = np.array([m for g in cs.groups for m in (g.members, -g.members)])
    b_ub = np.array([b for g in cs.groups for b in (g.max, -g.min)])
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(sign * eq.members, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, cs.n_assets)),
                      b_eq=[1.0], bounds=list(zip(cs.lower, cs.upper, strict=True)),
                      method="highs")
        if res.status != 0:
            return None
        ends.append(sign * res.fun)
    return max(0.0, ends[0]), min(1.0, ends[1])


def _range_or_none(cs: ConstraintSet) -> tuple[float, float] | None:
    try:
        return equity_range(cs)
    except InfeasibleError:
        return None


@settings(max_examples=400, deadline=None)
@given(constraint_sets())
def test_the_closed_form_equals_the_linear_program(cs: ConstraintSet) -> None:
    if equity_group(cs) is None:
        assert equity_range(cs) == (0.0, 0.0)
        return
    assert _laminar_equity_range(cs, equity_group(cs)) is not NOT_LAMINAR
    expected, got = _range_by_linprog(cs), _range_or_none(cs)
    assert (got is None) == (expected is None), (got, expected)
    if expected is not None:
        assert got == pytest.approx(expected, abs=SOLVER_ATOL)


@settings(max_examples=100, deadline=None)
@given(constraint_sets(laminar=False))
def test_straddling_classes_still_get_the_linear_programs_answer(cs: ConstraintSet) -> None:
    if equity_group(cs) is None:
        return
    expected, got = _range_by_linprog(cs), _range_or_none(cs)
    assert (got is None) == (expected is None), (got, expected)
    if expected is not None:
        assert got == pytest.approx(expected, abs=SOLVER_ATOL)


def test_a_straddling_class_is_not_laminar() -> None:
    broad, fine = ["equity", "bond", "bond"], ["x", "x", "y"]
    cs = ConstraintSet(["A", "B", "C"], np.zeros(3), np.ones(3),
                       _groups(broad, fine, {"x": (0.2, 0.9), "equity": (0.1, 0.8),
                                             "bond": (0.0, 0.7)}))
    assert _laminar_equity_range(cs, equity_group(cs)) is NOT_LAMINAR
    assert equity_range(cs) == pytest.approx((0.3, 0.8), abs=SOLVER_ATOL)  # bonds ≤ 70 %


def test_a_worked_example() -> None:
    """Stocks A, B (each ≤ 40 %), bonds C, D, cash E ≥ 10 %; bonds at least 30 %: the equity
    share runs from 0 (all bonds and cash) to 60 % (100 − 30 − 10), not the 80 % the stock
    caps alone would allow."""
    broad = ["equity", "equity", "bond", "bond", "cash"]
    fine = ["us", "intl", "gov", "corp", "cash"]
    upper = np.array([0.4, 0.4, 1.0, 1.0, 1.0])
    cs = ConstraintSet(list("ABCDE"), np.zeros(5), upper,
                       _groups(broad, fine, {"cash": (0.1, 1.0), "bond": (0.3, 1.0)}))
    assert equity_range(cs) == pytest.approx((0.0, 0.6), abs=1e-12)
    # Bonds at most 35 % and cash at most 20 %: at least 45 % must be stocks.
    tight = ConstraintSet(list("ABCDE"), np.zeros(5), upper,
                          _groups(broad, fine, {"cash": (0.1, 0.2), "bond": (0.3, 0.35),
                                                "gov": (0.05, 1.0)}))
    assert equity_range(tight) == pytest.approx((0.45, 0.6), abs=1e-12)


def test_conflicting_bounds_are_infeasible() -> None:
    broad = ["equity", "bond"]
    cs = ConstraintSet(["A", "B"], np.zeros(2), np.array([0.3, 0.3]),
                       _groups(broad, ["us", "gov"], {}))
    assert _laminar_equity_range(cs, equity_group(cs)) is None
    with pytest.raises(InfeasibleError):
        equity_range(cs)
