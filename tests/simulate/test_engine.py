"""The engine against closed forms, conservation, taxes, determinism and chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tailorfolio.errors import ParameterError
from tailorfolio.simulate import GoalSchedule, Pot, SimulationSpec, TaxTreatment, simulate
from tests.simulate._helpers import constant_model, lump, single_asset_lognormal, spec
from tests.tolerances import CLOSED_FORM_RTOL, MC_SIGMAS, MONEY_ATOL


def test_single_lognormal_asset_matches_closed_form_probability() -> None:
    """P(W_T >= G) = Φ((ln(W0/G) + T m) / (s √T)) for a lognormal asset, no cash flows."""
    m, s, years, w0, goal = 0.05, 0.18, 10, 100_000.0, 150_000.0
    n_steps = 12 * (years + 1)
    model = single_asset_lognormal(m, s)
    sp = spec(1, n_steps, initial=(0, 0, w0), goals=[lump("G", 12 * years, goal, n_steps)])
    res = simulate(sp, model, n_paths=40_000, seed=7)
    exact = norm.cdf((np.log(w0 / goal) + years * m) / (s * np.sqrt(years)))
    p, se = res.success_probability(0)
    assert abs(p - exact) <= MC_SIGMAS * np.sqrt(exact * (1 - exact) / res.n_paths)
    assert se == pytest.approx(np.sqrt(p * (1 - p) / res.n_paths))
    # The wealth when due is lognormal too: its median is W0·e^{T m}.
    med = np.median(res.goal_wealth_at_due_real[0])
    se_med = w0 * np.exp(years * m) * s * np.sqrt(years) * np.sqrt(np.pi / 2 / res.n_paths)
    assert abs(med - w0 * np.exp(years * m)) <= MC_SIGMAS * se_med


def test_deterministic_contributions_compound_like_an_annuity_due() -> None:
    r_month, c, w0, n_steps = 0.004, 250.0, 10_000.0, 240
    model = constant_model([np.log1p(r_month)], n_steps)
    res = simulate(spec(1, n_steps, initial=(0, 0, w0), contribution=c), model)
    growth = (1 + r_month) ** n_steps
    expected = w0 * growth + c * (1 + r_month) * (growth - 1) / r_month
    np.testing.assert_allclose(res.final_real_wealth, expected, rtol=1e-6)
    # Yearly snapshots follow the same formula.
    k = 12 * 7
    g7 = (1 + r_month) ** k
    np.testing.assert_allclose(res.real_wealth_by_year[7],
                               w0 * g7 + c * (1 + r_month) * (g7 - 1) / r_month, rtol=1e-6)


def cents(high: float) -> st.SearchStrategy[float]:
    """Amounts of money: whole cents from 0 to ``high`` (a subnormal float is not money)."""
    return st.integers(0, int(round(high * 100))).map(lambda k: k / 100)


@settings(max_examples=25, deadline=None)
@given(w0=cents(1e6), c=cents(5e3), a1=cents(2e5), a2=cents(2e5),
       n_assets=st.integers(1, 4), rebalance=st.sampled_from([0, 1, 3, 12]))
@example(w0=0.0, c=18.43, a1=251.58, a2=0.0, n_assets=1, rebalance=0)  # 13 deposits short, 14 pay
def test_zero_returns_conserve_money(w0, c, a1, a2, n_assets, rebalance) -> None:
    """With zero returns, no fees and no taxes, final wealth = start + deposits − payments."""
    n_steps = 60
    goals = [lump("a", 13, a1, n_steps), lump("b", 40, a2, n_steps, rank=1)]
    res = simulate(spec(n_assets, n_steps, initial=(0, 0, w0), contribution=c, goals=goals,
                        rebalance=rebalance), constant_model([0.0] * n_assets, n_steps))
    paid = res.goal_funded_real.sum(axis=0)
    np.testing.assert_allclose(res.final_real_wealth + paid, w0 + c * n_steps,
                               rtol=1e-9, atol=1e-6)
    assert (res.final_real_wealth >= -1e-9).all()
    # A goal is met exactly when the money was there: month 13's withdrawal follows that
    # month's deposit (the engine's order of events), so 14 deposits (months 0–13) pay it.
    assert res.goal_success[0].all() == (w0 + 14 * c >= a1 * (1 - 1e-9))


def test_taxable_withdrawal_grosses_up_for_capital_gains() -> None:
    n_steps = 12
    tax = TaxTreatment(ordinary_rate=0.3, capital_gains_rate=0.2)
    sp = spec(1, n_steps, initial=(100_000, 0, 0), basis=40_000.0, tax=tax,
              goals=[lump("g", 0, 30_000, n_steps)])
    res = simulate(sp, constant_model([0.0], n_steps))
    gross = 30_000 / (1 - 0.2 * 0.6)
    np.testing.assert_allclose(res.taxes_paid_real, gross - 30_000, atol=MONEY_ATOL)
    np.testing.assert_allclose(res.final_real_wealth, 100_000 - gross, atol=MONEY_ATOL)
    assert res.goal_success.all()


def test_withdrawal_order_taxable_then_traditional_with_penalty_then_roth() -> None:
    n_steps = 12
    tax = TaxTreatment(ordinary_rate=0.25, capital_gains_rate=0.15, early_penalty_rate=0.1,
                       penalty_before_step=6)
    sp = spec(1, n_steps, initial=(10_000, 20_000, 50_000), basis=10_000.0, tax=tax,
              goals=[lump("g", 0, 30_000, n_steps)])
    res = simulate(sp, constant_model([0.0], n_steps))
    # 10,000 taxable at no gain, then 20,000 × (1 − 0.35) = 13,000 net from traditional,
    # then 7,000 from Roth.
    np.testing.assert_allclose(res.taxes_paid_real, 7_000, atol=MONEY_ATOL)
    np.testing.assert_allclose(res.final_real_wealth, 50_000 - 7_000, atol=MONEY_ATOL)


def test_inflation_raises_real_goal_and_deflates_wealth() -> None:
    n_steps = 24
    infl = np.log1p(0.03) / 12
    model = constant_model([infl], n_steps, monthly_log_inflation=infl)
    sp = spec(1, n_steps, initial=(0, 0, 1000.0),
              goals=[lump("g", 12, 1000.0 * 0.5, n_steps, nominal=False)])
    res = simulate(sp, model)
    # Assets keep pace with inflation: half of the real wealth is paid, half remains.
    np.testing.assert_allclose(res.goal_funded_real[0], 500.0, rtol=1e-5)
    np.testing.assert_allclose(res.final_real_wealth, 500.0, rtol=1e-5)


def test_fees_compound_monthly() -> None:
    n_steps = 120
    sp = spec(2, n_steps, initial=(0, 0, 1000.0), expense=[0.001, 0.003], fee_bps=50,
              rebalance=1)
    res = simulate(sp, constant_model([0.0, 0.0], n_steps))
    monthly = 0.5 * (1 - 0.001 / 12) + 0.5 * (1 - 0.003 / 12)
    np.testing.assert_allclose(res.final_real_wealth,
                               1000 * (monthly * (1 - 0.005 / 12)) ** n_steps, rtol=1e-6)


def test_glide_path_rows_are_followed() -> None:
    n_steps = 24
    r = np.log1p(np.array([0.01, 0.0]))
    glide = np.zeros((n_steps, 2))
    glide[:12] = [1.0, 0.0]
    glide[12:] = [0.0, 1.0]
    res = simulate(spec(2, n_steps, initial=(0, 0, 100.0), weights=glide, rebalance=12),
                   constant_model(r, n_steps))
    np.testing.assert_allclose(res.final_real_wealth, 100 * 1.01**12, rtol=CLOSED_FORM_RTOL * 1e4)


def test_priority_order_within_a_month_and_strict_reserve() -> None:
    n_steps = 36
    model = constant_model([0.0], n_steps)
    first = lump("low", 0, 800, n_steps, rank=2)
    second = lump("high", 0, 800, n_steps, rank=0)
    res = simulate(spec(1, n_steps, initial=(0, 0, 1000.0), goals=[first, second]), model)
    assert res.goal_success[1].all() and not res.goal_success[0].any()
    np.testing.assert_allclose(res.goal_funded_real[0], 200.0)
    # Strict priority: a reserve keeps the later essential goal whole.
    early = lump("aspiration", 0, 800, n_steps, rank=2)
    reserve = np.zeros(n_steps)
    reserve[:24] = 700.0
    early = GoalSchedule(early.name, 0, 2, early.real_withdrawal, nominal=True,
                         reserve_real=reserve)
    late = lump("essential", 24, 700, n_steps, rank=0)
    res = simulate(spec(1, n_steps, initial=(0, 0, 1000.0), goals=[early, late]), model)
    np.testing.assert_allclose(res.goal_funded_real[0], 300.0)
    assert res.goal_success[1].all()


def test_determinism_under_a_seed_and_chunking(market) -> None:
    from tailorfolio.simulate import LognormalModel

    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    n = len(market.tickers)
    sp = SimulationSpec(tuple(market.tickers), 120,
                        (Pot("h", np.full(n, 1 / n), np.array([5e4, 3e4, 2e4]), 4e4,
                             np.full(120, 500.0), np.array([0.5, 0.3, 0.2])),), (),
                        np.zeros(n), 25.0, 12, TaxTreatment(0.24, 0.15))
    a = simulate(sp, model, 2500, seed=3, chunk_size=1000)
    b = simulate(sp, model, 2500, seed=3, chunk_size=1000)
    c = simulate(sp, model, 2500, seed=4, chunk_size=1000)
    np.testing.assert_array_equal(a.real_wealth_by_year, b.real_wealth_by_year)
    assert not np.array_equal(a.final_real_wealth, c.final_real_wealth)
    assert a.real_wealth_by_year.shape == (11, 2500)
    # Percentiles are monotone in the percentile and in every year.
    fan = a.fan_chart()
    assert (np.diff(fan.to_numpy(), axis=1) >= 0).all()
    # Another chunking draws the same numbers (common random numbers by path, not by chunk).
    d = simulate(sp, model, 2500, seed=3, chunk_size=2500)
    np.testing.assert_array_equal(a.real_wealth_by_year, d.real_wealth_by_year)


def test_bad_inputs_raise_typed_errors() -> None:
    with pytest.raises(ParameterError):
        spec(1, 13)
    with pytest.raises(ParameterError):
        spec(2, 12, weights=[0.7, 0.7])
    sp = spec(1, 12)
    with pytest.raises(ParameterError):
        simulate(sp, constant_model([0.0, 0.0], 12))


def test_a_resumed_simulation_equals_the_whole_run(market) -> None:
    """A spec that agrees with a checkpointed one before the checkpoint's step resumes from
    it with the same numbers, bit for bit; one that differs earlier is simulated from the
    start (same result as without the checkpoint)."""
    from tailorfolio.simulate import LognormalModel, freeze
    from tailorfolio.simulate._engine import simulate_with_checkpoint

    model = freeze(LognormalModel.from_assumptions(market.assumptions, market.universe),
                   240, 300, seed=5)
    n = len(market.tickers)
    glide = np.linspace(np.full(n, 1 / n), np.eye(n)[0], 240)

    def make(amount: float, contribution: float = 300.0) -> SimulationSpec:
        wd = np.zeros(240)
        wd[120::12] = amount
        return SimulationSpec(tuple(market.tickers), 240,
                              (Pot("h", glide, np.array([4e4, 2e4, 1e4]), 3e4,
                                   np.where(np.arange(240) < 120, contribution, 0.0),
                                   np.array([0.5, 0.3, 0.2])),),
                              (GoalSchedule("income", 0, 0, wd, "income", 1.0),),
                              np.zeros(n), 25.0, 12, TaxTreatment(0.24, 0.15, 0.1, 60))

    first, cp = simulate_with_checkpoint(make(4000.0), model, 300, 0, 120)
    np.testing.assert_array_equal(first.real_wealth_by_year,
                                  simulate(make(4000.0), model, 300).real_wealth_by_year)
    for spec_b, resumes in ((make(9000.0), True), (make(9000.0, 350.0), False)):
        assert cp.resumes(spec_b, model, 300, 0, 10_000) is resumes
        got = simulate(spec_b, model, 300, resume=cp)
        want = simulate(spec_b, model, 300)
        for name in ("real_wealth_by_year", "goal_success", "goal_funded_real",
                     "taxes_paid_real", "final_after_tax_real", "turnover"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), name)
    with pytest.raises(ParameterError):
        simulate_with_checkpoint(make(4000.0), model, 300, 0, 121)  # not a step it stops at


RESULT_ARRAYS = ("real_wealth_by_year", "goal_funded_real", "goal_success",
                 "goal_wealth_at_due_real", "taxes_paid_real", "final_nominal_wealth",
                 "final_price_level", "gains_taxes_real", "turnover", "rebalance_count",
                 "final_after_tax_real", "final_balance_real")


def test_specs_side_by_side_give_the_results_of_one_run_each(market, monkeypatch) -> None:
    """simulate_many runs specs that differ in their weights alone side by side on stored
    paths: every result equals the spec's own simulate, bit for bit (glide paths, monthly
    contributions, taxed withdrawals with income, rebalancing gains taxed); a spec that
    differs in anything else (here its contributions) runs alone, with the same numbers."""
    from tailorfolio.simulate import LognormalModel, _engine, freeze
    from tailorfolio.simulate._engine import simulate_many

    model = freeze(LognormalModel.from_assumptions(market.assumptions, market.universe),
                   240, 300, seed=5)
    n = len(market.tickers)
    rng = np.random.default_rng(3)
    together: list[int] = []
    run = _engine._side_by_side
    monkeypatch.setattr(_engine, "_side_by_side",
                        lambda sps, *a: together.append(len(sps)) or run(sps, *a))

    def make(weights: np.ndarray, contribution: float = 300.0) -> SimulationSpec:
        wd = np.zeros(240)
        wd[120::12] = 4000.0
        wd[60] += 15_000.0
        income = np.where(np.arange(240) >= 120, 500.0, 0.0)
        return SimulationSpec(tuple(market.tickers), 240,
                              (Pot("h", weights, np.array([4e4, 2e4, 1e4]), 3e4,
                                   np.where(np.arange(240) < 120, contribution, 0.0),
                                   np.array([0.5, 0.3, 0.2])),),
                              (GoalSchedule("income", 0, 0, wd, "income", 1.0),),
                              np.full(n, 0.001), 25.0, 12,
                              TaxTreatment(0.24, 0.15, 0.1, 60, tax_rebalancing_gains=True),
                              income_real=income)

    def glide(end: int) -> np.ndarray:
        return np.linspace(rng.dirichlet(np.ones(n)), np.eye(n)[end], 240)

    specs = [make(glide(0)), make(rng.dirichlet(np.ones(n))), make(glide(1), 350.0),
             make(glide(2))]
    got = simulate_many(specs, model, 300)
    assert together == [3] and len(got) == len(specs)  # the odd one out ran alone
    for g, sp in zip(got, specs, strict=True):
        want = simulate(sp, model, 300)
        assert g.spec is sp and g.n_paths == want.n_paths == 300
        for name in RESULT_ARRAYS:
            np.testing.assert_array_equal(getattr(g, name), getattr(want, name), name)


def test_two_pots_with_a_sweep_side_by_side_match_one_run_each(market) -> None:
    """Side by side with two pots (a goal pot swept into the household pot after its goal)
    and a goal paid from each: the same numbers as one run each, bit for bit."""
    from tailorfolio.simulate import LognormalModel, freeze
    from tailorfolio.simulate._engine import simulate_many

    model = freeze(LognormalModel.from_assumptions(market.assumptions, market.universe),
                   120, 200, seed=9)
    n = len(market.tickers)
    rng = np.random.default_rng(4)

    def make(w_goal: np.ndarray, w_home: np.ndarray) -> SimulationSpec:
        wd0, wd1 = np.zeros(120), np.zeros(120)
        wd0[36] = 9000.0
        wd1[60::12] = 3000.0
        goal = Pot("goal", w_goal, np.array([8e3, 0.0, 0.0]), 6e3,
                   np.where(np.arange(120) < 36, 150.0, 0.0), np.array([1.0, 0.0, 0.0]),
                   sweep_to=1, sweep_step=37)
        home = Pot("home", w_home, np.array([2e4, 1e4, 5e3]), 1.5e4, np.full(120, 200.0),
                   np.array([0.6, 0.3, 0.1]))
        return SimulationSpec(tuple(market.tickers), 120, (goal, home),
                              (GoalSchedule("car", 0, 0, wd0, "lump_sum", 1.0),
                               GoalSchedule("income", 1, 1, wd1, "income", 1.0)),
                              np.full(n, 0.002), 30.0, 12, TaxTreatment(0.22, 0.15, 0.1, 24))

    specs = [make(np.linspace(rng.dirichlet(np.ones(n)), np.eye(n)[-1], 120),
                  rng.dirichlet(np.ones(n))) for _ in range(3)]
    for g, sp in zip(simulate_many(specs, model, 200), specs, strict=True):
        want = simulate(sp, model, 200)
        for name in RESULT_ARRAYS:
            np.testing.assert_array_equal(getattr(g, name), getattr(want, name), name)


def test_stored_paths_replayed_again_give_the_numbers_of_a_fresh_store(market) -> None:
    """The products of stored months are computed once and reread by later simulations that
    stop at the same months (``ReplayModel.segment_products``): a spec simulated after others on
    one store gets the numbers it gets first thing on a fresh store of the same draws, and
    one whose stops differ (a withdrawal moved) is not handed another spec's products."""
    from tailorfolio.simulate import LognormalModel, freeze

    lognormal = LognormalModel.from_assumptions(market.assumptions, market.universe)
    n = len(market.tickers)
    weights = np.full(n, 1 / n)

    def make(due: int, contribution: float) -> SimulationSpec:
        wd = np.zeros(240)
        wd[due::12] = 4000.0
        return SimulationSpec(tuple(market.tickers), 240,
                              (Pot("h", weights, np.array([4e4, 2e4, 1e4]), 3e4,
                                   np.where(np.arange(240) < 60, contribution, 0.0),
                                   np.array([0.5, 0.3, 0.2])),),
                              (GoalSchedule("income", 0, 0, wd, "income", 1.0),),
                              np.zeros(n), 25.0, 12, TaxTreatment(0.24, 0.15, 0.1, 60))

    shared = freeze(lognormal, 240, 200, seed=4)
    specs = [make(120, 300.0), make(126, 300.0), make(120, 900.0), make(126, 300.0)]
    warm = [simulate(sp, shared, 200) for sp in specs]
    for sp, got in zip(specs, warm, strict=True):
        want = simulate(sp, freeze(lognormal, 240, 200, seed=4), 200)
        for name in RESULT_ARRAYS:
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), name)
    assert not np.array_equal(warm[0].real_wealth_by_year, warm[1].real_wealth_by_year)


def test_one_goals_probability_until_its_last_withdrawal_is_the_whole_runs(market) -> None:
    """``success_probability`` stops after the goal's last withdrawal: the same number as a
    whole run's, alone, resumed, checkpointed (whose state serves like a whole run's) and
    over several chunks."""
    from tailorfolio.simulate import LognormalModel, freeze
    from tailorfolio.simulate._engine import simulate_with_checkpoint, success_probability

    model = freeze(LognormalModel.from_assumptions(market.assumptions, market.universe),
                   240, 300, seed=6)
    n = len(market.tickers)
    glide = np.linspace(np.full(n, 1 / n), np.eye(n)[0], 240)

    def make(amount: float) -> SimulationSpec:
        early, late = np.zeros(240), np.zeros(240)
        early[30] = 6e4
        late[120::12] = amount
        return SimulationSpec(tuple(market.tickers), 240,
                              (Pot("h", glide, np.array([4e4, 2e4, 1e4]), 3e4,
                                   np.where(np.arange(240) < 120, 600.0, 0.0),
                                   np.array([0.5, 0.3, 0.2])),),
                              (GoalSchedule("house", 0, 1, early, "lump_sum", 0.6),
                               GoalSchedule("income", 0, 0, late, "income", 1.0)),
                              np.zeros(n), 25.0, 12, TaxTreatment(0.24, 0.15, 0.1, 60))

    for goal in (0, 1):
        for amount in (3000.0, 9000.0):
            whole = simulate(make(amount), model, 300)
            assert success_probability(make(amount), model, 300, 0, goal)[0] == (
                whole.success_probability(goal)[0])
            assert success_probability(make(amount), model, 300, 0, goal, chunk_size=70)[0] \
                == whole.success_probability(goal)[0]
    _, cp = simulate_with_checkpoint(make(4000.0), model, 300, 0, 120)
    p, own = success_probability(make(4000.0), model, 300, 0, 0, checkpoint_at=120)
    assert own is not None and own.step == 120
    for amount in (2500.0, 9000.0):
        want = simulate(make(amount), model, 300).success_probability(1)[0]
        for checkpoint in (cp, own):
            assert success_probability(make(amount), model, 300, 0, 1,
                                       resume=checkpoint)[0] == want
            whole = simulate(make(amount), model, 300, resume=checkpoint)
            assert whole.success_probability(1)[0] == want
    with pytest.raises(ParameterError):
        success_probability(make(4000.0), model, 300, 0, 1, checkpoint_at=121)
