"""The simulator core: money conservation, common random numbers, a closed form, chunking."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tailorfolio.simulate import LognormalModel, simulate, us_bootstrap_model
from tailorfolio.simulate._core import (
    FactorModel,
    GaussianFactors,
    GrowthStream,
    simulate_portfolio,
)
from tests.simulate._helpers import lump, single_asset_lognormal, spec
from tests.tolerances import MONEY_ATOL

CLOSED_FORM_SIGMAS = 3.0
"""The brief's tolerance for the closed-form goal probability (tighter than MC_SIGMAS)."""


ROUNDING_RTOL = 1e-13
"""Products of the same draws grouped differently (several steps in one exp) agree to this."""


def zero_return_model(n_assets: int) -> FactorModel:
    """Every asset and the price level grow by exactly exp(0) = 1 each step."""
    return FactorModel(tuple(f"A{i}" for i in range(n_assets)),
                       GaussianFactors(np.zeros(n_assets + 1), np.zeros((1, n_assets + 1))))


def two_asset_model() -> LognormalModel:
    cov = np.array([[0.0030, 0.0004, 0.0001], [0.0004, 0.0010, 0.0000],
                    [0.0001, 0.0000, 0.00001]])
    return LognormalModel(("A0", "A1"), np.array([0.006, 0.003, 0.002]), cov)


@settings(max_examples=40, deadline=None)
@given(initial=st.floats(0.0, 1e6), n_assets=st.integers(1, 4),
       flows=st.lists(st.one_of(st.just(0.0), st.floats(-5e5, 5e5)), min_size=12,
                      max_size=36))
def test_zero_returns_conserve_money(initial, n_assets, flows) -> None:
    """With zero returns, final wealth = initial + contributions − withdrawals paid, and a
    withdrawal is paid in full exactly when the money is there."""
    c = np.array(flows)
    res = simulate_portfolio(zero_return_model(n_assets), len(c),
                             weights=np.full(n_assets, 1 / n_assets), initial_wealth=initial,
                             cash_flows=c, cash_flows_real=False, rebalance_every=5,
                             n_paths=3)
    wealth, paid, short = initial, 0.0, False
    for x in c:
        if x >= 0:
            wealth += x
        else:
            take = min(-x, wealth)
            short |= take < -x * (1 - 1e-12)
            wealth, paid = wealth - take, paid + take
    np.testing.assert_allclose(res.final_wealth, wealth, atol=MONEY_ATOL, rtol=1e-12)
    np.testing.assert_allclose(res.final_wealth, initial + c[c > 0].sum() - res.paid_nominal,
                               atol=MONEY_ATOL, rtol=1e-12)
    np.testing.assert_allclose(res.paid_nominal, paid, atol=MONEY_ATOL, rtol=1e-12)
    np.testing.assert_array_equal(res.price_level, 1.0)


def test_engine_conserves_money_with_zero_returns() -> None:
    n_steps = 36
    sp = spec(3, n_steps, initial=(0.0, 0.0, 1000.0), contribution=25.0,
              goals=[lump("a", 10, 400.0, n_steps), lump("b", 30, 5000.0, n_steps)])
    res = simulate(sp, zero_return_model(3), 5)
    np.testing.assert_allclose(res.goal_funded_real[0], 400.0, atol=MONEY_ATOL)
    paid = res.goal_funded_real.sum(axis=0)
    np.testing.assert_allclose(res.final_nominal_wealth, 1000.0 + 25.0 * n_steps - paid,
                               atol=MONEY_ATOL)
    assert not res.goal_success[1].any()  # 5,000 was never there


def test_common_random_numbers_across_policies() -> None:
    """Two runs with the same seed and different policies see the same returns: each
    single-asset holder's wealth is that asset's growth along the core's own draws."""
    model = two_asset_model()
    n_steps, n_paths, seed = 48, 2_000, 5
    growth = np.ones((3, n_paths))
    for _, g in GrowthStream(model, n_steps, seed, 0, n_paths, n_paths):
        growth *= g
    in_s = simulate_portfolio(model, n_steps, weights=[1.0, 0.0], n_paths=n_paths, seed=seed)
    flows = np.where(np.arange(n_steps) % 12 == 6, -0.01, 0.002)

    def switch(t: int, wealth: np.ndarray) -> np.ndarray:  # a policy depending on wealth
        return np.where(wealth > 1.0, [[0.0], [1.0]], [[1.0], [0.0]])

    switching = simulate_portfolio(model, n_steps, policy=switch, cash_flows=flows,
                                   rebalance_every=3, n_paths=n_paths, seed=seed)
    in_b = simulate_portfolio(model, n_steps, weights=[0.0, 1.0], n_paths=n_paths, seed=seed)
    np.testing.assert_allclose(in_s.final_wealth, growth[0], rtol=1e-12)
    np.testing.assert_allclose(in_b.final_wealth, growth[1], rtol=1e-12)
    # The same draws; each run multiplies them out over the steps it needs (cash flows,
    # rebalancing dates), so the products agree to rounding.
    np.testing.assert_allclose(switching.price_level, in_s.price_level, rtol=ROUNDING_RTOL)
    np.testing.assert_allclose(in_s.price_level[-1], growth[2], rtol=1e-12)
    # The engine draws the same markets whatever the spec holds.
    a = simulate(spec(2, n_steps, weights=[1.0, 0.0]), model, n_paths, seed=seed)
    b = simulate(spec(2, n_steps, weights=[0.3, 0.7], contribution=10.0), model, n_paths,
                 seed=seed)
    np.testing.assert_allclose(a.final_price_level, b.final_price_level, rtol=ROUNDING_RTOL)
    np.testing.assert_allclose(a.final_nominal_wealth, 1000.0 * growth[0], rtol=1e-12)


def test_lognormal_goal_probability_matches_the_closed_form() -> None:
    """P(W_T >= G) = Φ((T m − ln(G/W0)) / (s √T)) for one lognormal asset, within 3 s.e."""
    m, s, years, w0, goal = 0.05, 0.18, 10, 100.0, 150.0
    res = simulate_portfolio(single_asset_lognormal(m, s), 12 * years, weights=[1.0],
                             initial_wealth=w0, n_paths=30_000, seed=3)
    exact = norm.cdf((years * m - np.log(goal / w0)) / (s * np.sqrt(years)))
    p, se = res.probability(res.final_wealth >= goal)
    assert abs(p - exact) <= CLOSED_FORM_SIGMAS * np.sqrt(exact * (1 - exact) / res.n_paths)
    assert se > 0


def test_results_do_not_depend_on_the_chunk_size(market) -> None:
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    n = len(market.tickers)
    n_steps, n_paths = 36, 12_345
    w = np.full(n, 1 / n)
    flows = np.where(np.arange(n_steps) % 12 == 0, -0.03, 0.001)
    runs = [simulate_portfolio(model, n_steps, weights=w, cash_flows=flows, n_paths=n_paths,
                               seed=9, chunk_size=size) for size in (10_000, 3_000, 7_777)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].wealth_nominal, other.wealth_nominal)
        np.testing.assert_array_equal(runs[0].price_level, other.price_level)
    sp = dataclasses.replace(
        spec(n, n_steps, initial=(500.0, 300.0, 200.0), basis=400.0, contribution=20.0,
             split=(0.5, 0.3, 0.2), goals=[lump("g", 30, 900.0, n_steps)]),
        tickers=tuple(market.tickers))
    eng = [simulate(sp, model, 12_000, seed=2, chunk_size=size) for size in (10_000, 4_321)]
    np.testing.assert_array_equal(eng[0].real_wealth_by_year, eng[1].real_wealth_by_year)
    np.testing.assert_array_equal(eng[0].taxes_paid_real, eng[1].taxes_paid_real)
    np.testing.assert_array_equal(eng[0].goal_success, eng[1].goal_success)
    boot = us_bootstrap_model(market.universe)
    bs = [simulate(sp, boot, 2_500, seed=4, chunk_size=size) for size in (2_500, 1_000)]
    np.testing.assert_array_equal(bs[0].real_wealth_by_year, bs[1].real_wealth_by_year)


def test_a_policy_of_asset_indices_equals_its_one_hot_weights() -> None:
    """A policy may name one asset per path (the goal DP's portfolios): the gathered stepping
    gives exactly the numbers of the same policy written as one-hot weights, cash flows,
    withdrawals beyond the wealth and ruined paths included."""
    model = two_asset_model()
    n_steps, n_paths = 60, 1_500
    flows = np.where(np.arange(n_steps) % 12 == 6, -0.25, 0.01)

    def index(t: int, wealth: np.ndarray) -> np.ndarray:
        return (wealth > 1.0 + 0.002 * t).astype(np.intp)

    def one_hot(t: int, wealth: np.ndarray) -> np.ndarray:
        k = index(t, wealth)
        w = np.zeros((2, wealth.size))
        w[k, np.arange(wealth.size)] = 1.0
        return w

    runs = [simulate_portfolio(model, n_steps, policy=pol, cash_flows=flows, rebalance_every=3,
                               n_paths=n_paths, seed=11, chunk_size=600)
            for pol in (index, one_hot)]
    assert not runs[0].alive.all() and runs[0].alive.any()  # some paths were ruined
    for field in ("wealth_nominal", "price_level", "paid_nominal", "shortfall", "alive"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))


def _engine_run(market, monkeypatch, pipeline_min: int, *, batch_numbers: int | None = None,
                contribution: object = 20.0, n_paths: int = 3_000):
    import tailorfolio.simulate._core as core

    monkeypatch.setattr(core, "PIPELINE_MIN_NUMBERS", pipeline_min)
    if batch_numbers is not None:  # batched however few months fit (the path under test)
        monkeypatch.setattr(core, "BATCH_NUMBERS", batch_numbers)
        monkeypatch.setattr(core, "MIN_BATCH_MONTHS", 1)
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    n_steps = 60
    sp = dataclasses.replace(
        spec(len(market.tickers), n_steps, initial=(500.0, 300.0, 200.0), basis=400.0,
             contribution=contribution, split=(0.5, 0.3, 0.2),
             goals=[lump("g", 30, 900.0, n_steps)]),
        tickers=tuple(market.tickers))
    return simulate(sp, model, n_paths, seed=5)


@pytest.mark.parametrize("batch_numbers", [1, 40_000, 200_000, None])
@pytest.mark.parametrize("contribution", ["monthly", "some months", "none"])
def test_batched_draws_on_the_second_thread_are_the_numbers_of_one_thread(
        market, monkeypatch, batch_numbers, contribution) -> None:
    """A pipelined run on one whole stream draws batches of segments (one call for their
    normals, their products in one call): byte for byte the one-thread numbers, for
    one-month segments, longer ones, mixes of both, and segments longer than a batch."""
    flows = {"monthly": 20.0, "none": 0.0,
             "some months": np.where(np.arange(60) % 7 < 3, 20.0, 0.0)}[contribution]
    alone = _engine_run(market, monkeypatch, 10**18, contribution=flows, n_paths=1_001)
    ahead = _engine_run(market, monkeypatch, 0, batch_numbers=batch_numbers,
                        contribution=flows, n_paths=1_001)
    for f in dataclasses.fields(alone):
        a, b = getattr(alone, f.name), getattr(ahead, f.name)
        if isinstance(a, np.ndarray):
            assert a.tobytes() == b.tobytes(), f.name


def test_draws_one_step_ahead_on_a_second_thread_are_the_same_numbers(market,
                                                                       monkeypatch) -> None:
    """The pipelined Gaussian stream (a worker thread draws step t + 1 while the engine
    steps t) gives bit for bit the one-thread results."""
    alone = _engine_run(market, monkeypatch, 10**18)
    ahead = _engine_run(market, monkeypatch, 0)
    for name in ("real_wealth_by_year", "goal_funded_real", "goal_success",
                 "taxes_paid_real", "final_real_wealth"):
        np.testing.assert_array_equal(getattr(alone, name), getattr(ahead, name))


def test_a_consumer_that_stops_early_stops_the_draw_thread() -> None:
    import threading

    from tailorfolio.simulate._core import _pipelined

    def buffers() -> np.ndarray:
        return np.zeros((1, 1))

    def fill(t: int, into: np.ndarray) -> np.ndarray:
        into[:] = t
        return into

    steps = list(range(100))
    got = []
    for t, growth in _pipelined(steps, fill, buffers):
        got.append(float(growth[0, 0]))
        if t == 5:
            break
    assert got == [0, 1, 2, 3, 4, 5]  # each array read before the next step wrote it
    assert not [th for th in threading.enumerate() if th.name == "tailorfolio-draws"]

    def failing(t: int, into: np.ndarray) -> np.ndarray:
        if t == 3:
            raise FloatingPointError("boom")
        return into

    with pytest.raises(FloatingPointError, match="boom"):
        list(_pipelined(steps, failing, buffers))
    assert not [th for th in threading.enumerate() if th.name == "tailorfolio-draws"]
