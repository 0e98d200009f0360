"""Income streams in the goals simulation: Social Security raises the retirement goal's odds,
a stream that covers the spending makes the goal certain, nominal streams follow their COLA."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tailorfolio.goals import spec_from_profile
from tailorfolio.profile._stream_income import income_flows, stream_months
from tailorfolio.profile import parse_profile
from tailorfolio.risk._scoring import goals_present_value
from tailorfolio.simulate import LognormalModel, simulate
from tests.tolerances import CLOSED_FORM_RTOL, MC_SIGMAS

ANSWERS = {"drop_reaction": "hold", "max_annual_loss": "10_to_20", "portfolio_choice": "c",
           "objective": "balanced", "experience": "funds", "self_assessment": "cautious",
           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"}


def _profile(streams=(), *, cash=300_000.0, spending=60_000.0, partner=None, **extra):
    """Age 45 today (2025-01-01), retiring in exactly 20 years (month 240) on ``spending`` a
    year for 25 years, from one taxable account of ``cash``."""
    data = {"age": 45, "annual_income": 120_000, "as_of": "2025-01-01",
            "risk_questionnaire": ANSWERS, "retirement_age": 65,
            "goals": [{"name": "Retirement", "kind": "income", "amount": spending, "years": 20,
                       "duration_years": 25, "priority": "essential"}],
            "accounts": [{"name": "Brokerage", "type": "taxable", "cash": cash}],
            "income_streams": list(streams), **extra}
    if partner is not None:
        data["partner"] = partner
    return parse_profile(data)


def _success(market, prof, n_paths=2000, seed=3):
    w = np.zeros(len(market.universe.tickers))
    w[list(market.universe.tickers).index("VTI")] = 0.6
    w[list(market.universe.tickers).index("BND")] = 0.4
    spec = spec_from_profile(prof, market, w, prof.as_of)
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    res = simulate(spec, model, n_paths, seed=seed)
    return res, spec


def test_social_security_raises_the_retirement_goal_probability(market) -> None:
    base, _ = _success(market, _profile())
    ss = {"kind": "social_security", "annual_amount": 30_000, "start_age": 67}
    with_ss, spec = _success(market, _profile([ss]))
    p0 = base.goal_success[0].mean()
    p1 = with_ss.goal_success[0].mean()
    se = np.sqrt(p0 * (1 - p0) / 2000 + p1 * (1 - p1) / 2000)
    assert p0 < 0.9  # the portfolio alone is short (the test can fail)
    assert p1 > p0 + MC_SIGMAS * se
    # Claiming at FRA (67 for people born 1980): the full benefit, from month 264.
    assert spec.income_real is not None and spec.income_real[:264].sum() == 0
    assert spec.income_real[264] == pytest.approx(30_000, rel=CLOSED_FORM_RTOL)


def test_a_stream_covering_the_spending_makes_the_goal_certain(market) -> None:
    # Closed form: the pension pays exactly the 60,000 a year the goal needs, from the
    # goal's first year for life, inflation-adjusted like the goal: nothing is drawn, every
    # path succeeds, even with almost no savings.
    pension = {"kind": "pension", "annual_amount": 60_000, "start_age": 65}
    res, spec = _success(market, _profile([pension], cash=1_000.0), n_paths=500)
    assert res.goal_success[0].all()
    assert res.goal_funded_real[0] == pytest.approx(60_000 * 25, rel=1e-9)
    # One dollar less a year and the thin savings run out on some path.
    short = {**pension, "annual_amount": 59_000}
    res2, _ = _success(market, _profile([short], cash=1_000.0), n_paths=500)
    assert not res2.goal_success[0].all()


def test_nominal_stream_grows_by_its_cola_and_is_not_inflated(market) -> None:
    annuity = {"kind": "annuity", "annual_amount": 12_000, "start_age": 65,
               "inflation_adjusted": False, "cola": 0.02}
    prof = _profile([annuity])
    pay, real = stream_months(prof.income_streams[0], prof, 12 * 45)
    assert not real and pay[239] == 0
    assert pay[240] == pytest.approx(1_000) and pay[252] == pytest.approx(1_020)
    flows = income_flows(prof, np.arange(240, 540, 12), 12 * 45)
    # A year of income is credited at the year's withdrawal (start of the goal year).
    assert flows.nominal[240] == pytest.approx(12_000) and flows.nominal[241] == 0
    assert flows.nominal[252] == pytest.approx(12_240)
    assert flows.real.sum() == 0


def test_end_age_and_owner_ages(market) -> None:
    partner = {"name": "Sam", "age": 40, "annual_income": 80_000, "retirement_age": 67}
    work = {"kind": "part_time_work", "owner": "partner", "annual_amount": 24_000,
            "start_age": 60, "end_age": 70}
    prof = _profile([work], partner=partner)
    pay, real = stream_months(prof.income_streams[0], prof, 12 * 45)
    # Sam is 40: pays from month 240 (age 60) to month 360 (age 70), exclusive.
    assert real and pay[239] == 0 and pay[240] == 2_000 and pay[359] == 2_000 and pay[360] == 0
    assert prof.household_income == 200_000
    assert prof.years_to_retirement == 27  # Sam's 27 years, later than the primary's 20


def test_income_is_counted_once_when_two_income_goals_overlap(market) -> None:
    prof = _profile([{"kind": "pension", "annual_amount": 10_000, "start_age": 45}])
    flows = income_flows(prof, np.array([0, 6, 12, 18]), 24)
    assert flows.real.sum() == pytest.approx(10_000 * 2)  # two years, not four
    assert flows.real[0] == pytest.approx(5_000) and flows.real[6] == pytest.approx(5_000)


def test_streams_lower_the_present_value_of_goals() -> None:
    on = date(2025, 1, 1)
    base = goals_present_value(_profile(), on)
    covered = goals_present_value(
        _profile([{"kind": "pension", "annual_amount": 60_000, "start_age": 65}]), on)
    half = goals_present_value(
        _profile([{"kind": "pension", "annual_amount": 30_000, "start_age": 65}]), on)
    assert covered == pytest.approx(0.0, abs=1e-9)
    assert half == pytest.approx(base / 2, rel=CLOSED_FORM_RTOL)


def test_the_goals_dp_counts_the_streams(market) -> None:
    from tailorfolio.goals._dp_profile import dp_problem_for_profile

    m = len(market.universe.tickers)
    args = (np.array([0.05]), np.array([0.1]), np.array([0.001]))
    base, _ = dp_problem_for_profile(_profile(), market, date(2025, 1, 1), *args)
    covered, _ = dp_problem_for_profile(
        _profile([{"kind": "pension", "annual_amount": 60_000, "start_age": 65}]), market,
        date(2025, 1, 1), *args)
    assert m > 0 and base.cash_flows[20] == pytest.approx(-60_000)
    assert covered.cash_flows[20:] == pytest.approx(0.0)
    assert covered.cash_flows[:20] == pytest.approx(base.cash_flows[:20])


def test_the_spec_refuses_malformed_income(market) -> None:
    import dataclasses

    from tailorfolio.errors import ParameterError

    _, spec = _success(market, _profile([{"kind": "pension", "annual_amount": 1_000,
                                          "start_age": 65}]), n_paths=10)
    with pytest.raises(ParameterError, match="income_real"):
        dataclasses.replace(spec, income_real=np.zeros(5))
    with pytest.raises(ParameterError, match="income_nominal"):
        dataclasses.replace(spec, income_nominal=-np.ones(spec.n_steps))
