"""Drift-band rebalancing, turnover, taxes on rebalancing gains and after-tax liquidation value,
against hand-computed reference paths."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import ParameterError
from tailorfolio.simulate import LognormalModel, RebalanceBand, TaxTreatment, simulate
from tests.simulate._helpers import constant_model, lump, spec
from tests.tolerances import CLOSED_FORM_RTOL, MONEY_ATOL


def as_stored(r: np.ndarray) -> np.ndarray:
    """The returns as the replay model stores them (float32)."""
    return np.asarray(r, np.float32).astype(np.float64)


def reference_path(w: np.ndarray, r: np.ndarray, n_steps: int, w0: float,
                   band: RebalanceBand | None, every: int) -> tuple[float, float, int]:
    """One path, month by month, in the engine's order (rebalance, then returns):
    final wealth, turnover, number of rebalancings."""
    r = as_stored(r)
    h = w0 * w
    turnover, count = 0.0, 0
    thr = band.thresholds(w) if band is not None else None
    for t in range(n_steps):
        if t > 0:
            v = h.sum()
            cal = every > 0 and t % every == 0
            drift = thr is not None and bool((np.abs(h / v - w) > thr).any())
            if cal or drift:
                turnover += np.abs(v * w - h).sum() / v
                count += 1
                h = v * w
        h = h * np.exp(r)
    return float(h.sum()), turnover, count


@pytest.mark.parametrize("band, every", [
    (RebalanceBand(0.05, 0.25), 0),
    (RebalanceBand(0.05, None), 0),
    (RebalanceBand(0.05, 0.25), 12),
    (None, 12),
    (None, 0),
])
def test_band_and_calendar_rebalancing_match_a_reference_path(band, every) -> None:
    n_steps = 120
    w = np.array([0.55, 0.3, 0.15])
    r = np.log1p(np.array([0.012, -0.004, 0.002]))
    sp = dataclasses.replace(spec(3, n_steps, initial=(0, 0, 1000.0), weights=w,
                                  rebalance=every), rebalance_band=band)
    res = simulate(sp, constant_model(r, n_steps))
    final, turnover, count = reference_path(w, r, n_steps, 1000.0, band, every)
    np.testing.assert_allclose(res.final_real_wealth, final, rtol=1e-9)
    np.testing.assert_allclose(res.turnover, turnover, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(res.rebalance_count, count)
    if band is not None:
        assert count > 0
    assert np.allclose(res.annual_turnover, turnover / 10)


def test_relative_band_is_the_smaller_one_and_drives_small_targets() -> None:
    band = RebalanceBand(0.05, 0.25)
    np.testing.assert_allclose(band.thresholds(np.array([0.6, 0.1, 0.0])), [0.05, 0.025, 1e-12])
    # A 10 % position drifting to 13 % breaks the 25 % relative band long before 5 pp.
    n_steps = 24
    w = np.array([0.9, 0.1])
    r = np.log1p(np.array([0.0, 0.03]))
    rel = simulate(dataclasses.replace(spec(2, n_steps, initial=(0, 0, 100.0), weights=w,
                                            rebalance=0), rebalance_band=band),
                   constant_model(r, n_steps))
    abs_only = simulate(dataclasses.replace(spec(2, n_steps, initial=(0, 0, 100.0), weights=w,
                                                 rebalance=0),
                                            rebalance_band=RebalanceBand(0.05, None)),
                        constant_model(r, n_steps))
    assert rel.rebalance_count[0] > abs_only.rebalance_count[0] > 0


def test_calendar_turnover_of_one_drift_is_exact() -> None:
    """50/50, asset 0 earns +1 %/month for a year, asset 1 nothing: at month 12 the weights
    are a/(a+1), 1/(a+1) with a = 1.01^12, and the trade back is 2·|a/(a+1) − 1/2|."""
    n_steps = 24
    r = np.log1p(np.array([0.01, 0.0]))
    model = constant_model(np.array(r), n_steps)
    res = simulate(spec(2, n_steps, initial=(0, 0, 100.0), rebalance=12), model)
    a = np.exp(12 * as_stored(r)[0])
    np.testing.assert_allclose(res.turnover, 2 * abs(a / (a + 1) - 0.5), rtol=CLOSED_FORM_RTOL)
    np.testing.assert_array_equal(res.rebalance_count, 1)


def test_rebalancing_gains_are_taxed_only_when_asked() -> None:
    """Taxable pot, basis 0 (all gain): a calendar rebalance sells half the |trades|, taxed at
    the capital-gains rate; the tax leaves the pot and raises the basis of what is bought."""
    n_steps = 24
    r = np.log1p(np.array([0.01, 0.0]))
    model = constant_model(np.array(r), n_steps)
    tax = TaxTreatment(capital_gains_rate=0.2, tax_rebalancing_gains=True)
    base = spec(2, n_steps, initial=(1000.0, 0, 0), basis=0.0, rebalance=12, split=(1, 0, 0))
    free = simulate(dataclasses.replace(base, tax=TaxTreatment(capital_gains_rate=0.2)), model)
    taxed = simulate(dataclasses.replace(base, tax=tax), model)
    a = np.exp(12 * as_stored(r)[0])
    v12 = 500 * a + 500
    sold = v12 * abs(a / (a + 1) - 0.5)
    np.testing.assert_allclose(taxed.gains_taxes_real, 0.2 * sold, atol=MONEY_ATOL)
    np.testing.assert_allclose(taxed.taxes_paid_real, 0.2 * sold, atol=MONEY_ATOL)
    np.testing.assert_array_equal(free.gains_taxes_real, 0.0)
    # Money is conserved: what the tax took is missing at the end, grown at the 50/50 return.
    growth = (0.5 * a + 0.5)
    np.testing.assert_allclose(free.final_real_wealth - taxed.final_real_wealth,
                               0.2 * sold * growth, rtol=1e-9)
    # Liquidation: the basis is the repurchase (sold − tax); the rest of the value is gain.
    v_end = taxed.final_real_wealth
    basis = sold - 0.2 * sold
    np.testing.assert_allclose(taxed.final_after_tax_real, v_end - 0.2 * (v_end - basis),
                               rtol=1e-9)


def test_after_tax_terminal_wealth_by_account_type() -> None:
    n_steps = 12
    tax = TaxTreatment(ordinary_rate=0.3, capital_gains_rate=0.15, penalty_before_step=6)
    model = constant_model([np.log1p(0.01)], n_steps)
    res = simulate(spec(1, n_steps, initial=(1000.0, 2000.0, 500.0), basis=600.0, tax=tax),
                   model)
    g = np.exp(12 * as_stored([np.log1p(0.01)])[0])
    expected = 1000 * g - 0.15 * (1000 * g - 600) + 0.7 * 2000 * g + 500 * g
    np.testing.assert_allclose(res.final_after_tax_real, expected, rtol=1e-9)
    np.testing.assert_allclose(res.final_balance_real[:, 0], [1000 * g, 2000 * g, 500 * g],
                               rtol=1e-9)
    # Ending before 59½ adds the early-withdrawal penalty to traditional money.
    young = dataclasses.replace(tax, penalty_before_step=600)
    res_y = simulate(spec(1, n_steps, initial=(1000.0, 2000.0, 500.0), basis=600.0, tax=young),
                     model)
    np.testing.assert_allclose(res.final_after_tax_real - res_y.final_after_tax_real,
                               0.1 * 2000 * g, rtol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), abs_band=st.floats(0.01, 0.2),
       rel=st.one_of(st.none(), st.floats(0.05, 0.5)), every=st.sampled_from([0, 3, 12]),
       cg=st.floats(0.0, 0.3), basis=st.floats(0.0, 2000.0))
def test_accounting_invariants(seed, abs_band, rel, every, cg, basis) -> None:
    """Taxes and turnover are never negative; after-tax wealth never exceeds wealth; a pot
    with no gain pays no rebalancing tax."""
    rng = np.random.default_rng(seed)
    n_steps = 36
    mean = np.array([0.006, 0.002, 0.0, 0.002])
    a = rng.normal(size=(4, 4)) * 0.02
    model = LognormalModel(("A0", "A1", "A2"), mean, a @ a.T + np.eye(4) * 1e-4)
    n_goals = [lump("g", 20, 300.0, n_steps)]
    sp = dataclasses.replace(
        spec(3, n_steps, initial=(1000.0, 500.0, 200.0), basis=basis, rebalance=every,
             weights=[0.5, 0.3, 0.2], goals=n_goals, contribution=10.0, split=(0.5, 0.3, 0.2),
             tax=TaxTreatment(0.3, cg, tax_rebalancing_gains=True)),
        rebalance_band=RebalanceBand(abs_band, rel))
    res = simulate(sp, model, 200, seed=seed)
    assert (res.turnover >= 0).all() and (res.gains_taxes_real >= -1e-9).all()
    assert (res.taxes_paid_real >= res.gains_taxes_real - 1e-9).all()
    assert (res.final_after_tax_real <= res.final_real_wealth * (1 + 1e-12) + 1e-9).all()
    np.testing.assert_allclose(res.final_balance_real.sum(axis=0), res.final_real_wealth,
                               rtol=1e-9)
    if cg == 0:
        np.testing.assert_array_equal(res.gains_taxes_real, 0.0)


def test_transition_tax_is_counted_once_in_every_path() -> None:
    sp = dataclasses.replace(spec(1, 12, initial=(900.0, 0, 0), basis=900.0),
                             transition_tax=100.0)
    res = simulate(sp, constant_model([0.0], 12))
    np.testing.assert_allclose(res.taxes_paid_real, 100.0)
    np.testing.assert_allclose(res.final_real_wealth, 900.0)
    with pytest.raises(ParameterError, match="transition_tax"):
        dataclasses.replace(sp, transition_tax=-1.0)


def test_bad_bands_raise_typed_errors() -> None:
    with pytest.raises(ParameterError, match="abs_band"):
        RebalanceBand(0.0)
    with pytest.raises(ParameterError, match="rel_band"):
        RebalanceBand(0.05, -0.1)
    with pytest.raises(ParameterError, match="rebalance_every_months"):
        spec(1, 12, rebalance=-1)


def test_sweep_moves_a_finished_sleeve_into_its_receiving_pot() -> None:
    """Zero returns: the car pot pays its goal, the rest joins the retirement pot at the sweep
    month without a trade; the band then trades it to the receiving pot's target."""
    from tailorfolio.simulate import GoalSchedule, Pot, SimulationSpec

    n_steps = 24
    zero = np.zeros(n_steps)
    car = Pot("car", np.array([0.0, 1.0]), np.array([100.0, 0, 0]), 80.0, zero, sweep_to=1,
              sweep_step=7)
    ret = Pot("retirement", np.array([1.0, 0.0]), np.array([0.0, 0, 500.0]), 0.0, zero)
    wd = np.zeros(n_steps)
    wd[6] = 60.0
    sp = SimulationSpec(("A0", "A1"), n_steps, (car, ret),
                        (GoalSchedule("car", 0, 0, wd, nominal=True),), None, 0.0, 0,
                        TaxTreatment(capital_gains_rate=0.2, tax_rebalancing_gains=True),
                        RebalanceBand(0.05, 0.25))
    res = simulate(sp, constant_model([0.0, 0.0], n_steps))
    gross = 60 / (1 - 0.2 * 0.2)  # 20 % of the car pot's value is gain
    left = 100 - gross
    assert res.goal_success.all()
    # The receiving pot held 500 of A0; the swept A1 (left) is sold back to its target.
    total = 500 + left
    np.testing.assert_allclose(res.turnover, 2 * left / total, rtol=1e-9)
    # A pot sells from its buckets pro rata: the taxable share of the sale is left / total,
    # and 20 % of the taxable money is gain (basis 80 × left / 100).
    gain_tax = 0.2 * 0.2 * left * left / total
    np.testing.assert_allclose(res.gains_taxes_real, gain_tax, rtol=1e-9)
    np.testing.assert_allclose(res.final_real_wealth, total - gain_tax, rtol=1e-9)
    with pytest.raises(ParameterError, match="sweep_to"):
        SimulationSpec(("A0", "A1"), n_steps, (dataclasses.replace(car, sweep_to=0), ret))


@pytest.mark.parametrize("case", ["all_held", "some_empty", "no_traditional", "all_taxed"])
def test_lean_withdrawal_gives_the_bits_of_the_reference(case: str) -> None:
    """The engine's withdrawal skips masks no path needs and an empty traditional bucket:
    byte for byte the numbers of the form that applies every mask to every path."""
    from tailorfolio.simulate._engine import _withdraw
    from tests.simulate.withdraw_reference import withdraw_reference

    rng = np.random.default_rng(7)
    p = 257
    vals = rng.uniform(0, 5_000, (3, p))
    basis = vals[0] * rng.uniform(0, 1.3, p)
    need = rng.uniform(0, 9_000, p)
    cg = 0.2
    if case == "some_empty":
        vals[0, ::3] = 0.0
        basis[::3] = 0.0
        vals[2, ::5] = 0.0
    elif case == "no_traditional":
        vals[1] = 0.0
    elif case == "all_taxed":  # a 100 % rate: the keep factor is zero where all is gain
        cg = 1.0
        basis[::2] = 0.0
    tax = TaxTreatment(ordinary_rate=0.3, capital_gains_rate=cg, penalty_before_step=10)
    sp = spec(2, 24, tax=tax)
    for t in (3, 12):
        want_vals, want_basis = vals.copy(), basis.copy()
        got_vals, got_basis = vals.copy(), basis.copy()
        want = withdraw_reference(want_vals, want_basis, need, sp, t)
        got = _withdraw(got_vals, got_basis, need, sp, t)
        for a, b in zip((*want, want_vals, want_basis), (*got, got_vals, got_basis)):
            assert a.tobytes() == b.tobytes()
