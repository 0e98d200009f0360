"""The streams' cover of income goals (what the sleeve funding nets out) is the income the
simulation credits: same months, same amounts, same priority order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.allocation._sleeves import (
    fund_sleeves,
    income_present_value,
    need_present_value,
)
from tailorfolio.goals import spec_from_profile
from tailorfolio.profile._stream_income import credited_stream_months, income_flows
from tailorfolio.profile._stream_cover import stream_cover
from tailorfolio.profile import parse_profile
from tailorfolio.simulate import LognormalModel, simulate
from tests.tolerances import CLOSED_FORM_RTOL, MONEY_ATOL

ANSWERS = {"drop_reaction": "hold", "max_annual_loss": "10_to_20", "portfolio_choice": "c",
           "objective": "balanced", "experience": "funds", "self_assessment": "cautious",
           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"}
INFLATION = 0.025


def _profile(streams=(), goals=None, cash=300_000.0):
    """Age 45 on 2025-01-01 (born 1980: full retirement age 67), retiring in 20 years (month
    240) on 60,000 a year for 25 years."""
    goals = goals or [{"name": "Retirement", "kind": "income", "amount": 60_000, "years": 20,
                       "duration_years": 25, "priority": "essential"}]
    return parse_profile({
        "age": 45, "annual_income": 120_000, "as_of": "2025-01-01",
        "risk_questionnaire": ANSWERS, "retirement_age": 65, "goals": goals,
        "accounts": [{"name": "Brokerage", "type": "taxable", "cash": cash}],
        "income_streams": list(streams)})


SS = {"kind": "social_security", "annual_amount": 30_000, "start_age": 67}
PENSION = {"kind": "pension", "name": "Pension", "annual_amount": 12_000, "start_age": 65,
           "inflation_adjusted": False, "cola": 0.01}


def test_social_security_covers_its_years_at_the_claimed_amount() -> None:
    # Claiming at full retirement age: the full 30,000 a year (today's money) from age 67,
    # i.e. the goal's third year on; the first two years are the portfolio's alone.
    cover = stream_cover(_profile([SS]), _profile().as_of, INFLATION)
    got = cover.by_goal["Retirement"]
    assert got.shape == (25,)
    assert got[:2] == pytest.approx([0.0, 0.0], abs=0)
    assert got[2:] == pytest.approx(np.full(23, 30_000.0), rel=CLOSED_FORM_RTOL)
    assert cover.by_stream[0]["Retirement"] == pytest.approx(got, rel=CLOSED_FORM_RTOL)


def test_cover_is_capped_at_the_withdrawal_and_split_between_streams() -> None:
    # 30,000 + 40,000 of inflation-adjusted income against a 60,000 withdrawal: the goal is
    # covered exactly (the surplus is spent, as in the simulation) and the streams share the
    # 60,000 in proportion to their income (3/7 and 4/7).
    big = {"kind": "pension", "annual_amount": 40_000, "start_age": 65}
    cover = stream_cover(_profile([SS, big]), _profile().as_of, INFLATION)
    got = cover.by_goal["Retirement"]
    assert got[2:] == pytest.approx(np.full(23, 60_000.0), rel=CLOSED_FORM_RTOL)
    assert got[:2] == pytest.approx(np.full(2, 40_000.0), rel=CLOSED_FORM_RTOL)
    ss_part, pension_part = (c["Retirement"] for c in cover.by_stream)
    assert ss_part[2:] == pytest.approx(np.full(23, 60_000 * 3 / 7), rel=CLOSED_FORM_RTOL)
    assert ss_part + pension_part == pytest.approx(got, rel=CLOSED_FORM_RTOL)


def test_nominal_stream_is_deflated_at_the_expected_inflation() -> None:
    cover = stream_cover(_profile([PENSION]), _profile().as_of, INFLATION)
    got = cover.by_goal["Retirement"]
    # Year k of the goal is month 240 + 12k; the pension pays 12,000 × 1.01^k nominal then.
    k = np.arange(25)
    want = 12_000 * 1.01 ** k / (1 + INFLATION) ** ((240 + 12 * k) / 12)
    assert got == pytest.approx(want, rel=CLOSED_FORM_RTOL)


def test_cover_is_the_income_the_simulation_credits(market) -> None:
    # The same months and amounts the spec hands the Monte Carlo (inflation-adjusted income
    # below the withdrawal: nothing capped).
    prof = _profile([SS])
    w = np.zeros(len(market.universe.tickers))
    w[list(market.universe.tickers).index("BND")] = 1.0
    spec = spec_from_profile(prof, market, w, prof.as_of)
    assert spec.income_real is not None
    due = 240 + 12 * np.arange(25)
    cover = stream_cover(prof, prof.as_of, INFLATION)
    assert spec.income_real[due] == pytest.approx(cover.by_goal["Retirement"],
                                                  rel=CLOSED_FORM_RTOL)
    assert spec.income_real.sum() == pytest.approx(cover.by_goal["Retirement"].sum(),
                                                   rel=CLOSED_FORM_RTOL)
    # And a pension paying the whole spending: the simulation never touches the portfolio
    # (funded on every path), the funding needs nothing.
    full = {"kind": "pension", "annual_amount": 60_000, "start_age": 65}
    prof_full = _profile([full], cash=1_000.0)
    res = simulate(spec_from_profile(prof_full, market, w, prof.as_of),
                   LognormalModel.from_assumptions(market.assumptions, market.universe),
                   200, seed=1)
    assert res.goal_success[0].all()
    cov_full = stream_cover(prof_full, prof.as_of, INFLATION).by_goal
    assert need_present_value(prof_full.goals[0], prof.as_of, covered=cov_full["Retirement"]) \
        == 0.0


def test_income_flows_is_the_sum_of_the_credited_streams() -> None:
    prof = _profile([SS, PENSION])
    months = np.arange(240, 540, 12)
    flows = income_flows(prof, months, 12 * 45)
    per_stream = credited_stream_months(prof, months, 12 * 45)
    assert [real for _, real in per_stream] == [True, False]
    assert flows.real == pytest.approx(per_stream[0][0], rel=CLOSED_FORM_RTOL)
    assert flows.nominal == pytest.approx(per_stream[1][0], rel=CLOSED_FORM_RTOL)


def test_streams_lower_the_income_goals_need_by_their_present_value() -> None:
    prof = _profile([SS])
    goal = prof.goals[0]
    cover = stream_cover(prof, prof.as_of, INFLATION).by_goal["Retirement"]
    without = need_present_value(goal, prof.as_of)
    with_ = need_present_value(goal, prof.as_of, covered=cover)
    assert without - with_ == pytest.approx(income_present_value(goal, prof.as_of, cover),
                                            rel=CLOSED_FORM_RTOL)
    assert 0 < with_ < without


def test_no_streams_no_change_in_the_funding() -> None:
    goals = [{"name": "Retirement", "kind": "income", "amount": 60_000, "years": 20,
              "duration_years": 25, "priority": "essential"},
             {"name": "Boat", "amount": 80_000, "years": 8, "priority": "aspirational"}]
    prof = _profile(goals=goals, cash=500_000.0)
    cover = stream_cover(prof, prof.as_of, INFLATION)
    assert not cover.any and cover.by_stream == ()
    for rule in ("nearest_first", "priority_first", "pro_rata"):
        assert fund_sleeves(prof, 450_000.0, prof.as_of, rule, cover.by_goal) \
            == fund_sleeves(prof, 450_000.0, prof.as_of, rule)


def test_streams_free_money_for_the_other_goals() -> None:
    # Retirement first (priority first): with Social Security covering half its spending
    # from year 3, it needs less, and the boat gets what retirement no longer needs.
    goals = [{"name": "Retirement", "kind": "income", "amount": 60_000, "years": 20,
              "duration_years": 25, "priority": "essential"},
             {"name": "Boat", "amount": 80_000, "years": 8, "priority": "aspirational"}]
    base = _profile(goals=goals, cash=700_000.0)
    prof = _profile([SS], goals=goals, cash=700_000.0)
    cover = stream_cover(prof, prof.as_of, INFLATION).by_goal
    f0, left0 = fund_sleeves(base, 700_000.0, base.as_of, "priority_first")
    f1, left1 = fund_sleeves(prof, 700_000.0, prof.as_of, "priority_first", cover)
    freed = income_present_value(prof.goals[0], prof.as_of, cover["Retirement"])
    assert f1[0].need_present_value == pytest.approx(f0[0].need_present_value - freed,
                                                     rel=CLOSED_FORM_RTOL)
    assert f1[0].amount < f0[0].amount
    assert f1[1].amount > f0[1].amount
    total0 = sum(f.amount for f in f0) + left0
    total1 = sum(f.amount for f in f1) + left1
    assert total1 == pytest.approx(total0, abs=MONEY_ATOL)


def test_goals_due_together_take_the_income_in_priority_order() -> None:
    # The engine pays goals falling due in a month in priority order, each taking the month's
    # income first: a 70,000 pension covers the essential 60,000 in full and leaves 10,000 of
    # the aspirational 30,000.
    goals = [{"name": "Travel", "kind": "income", "amount": 30_000, "years": 20,
              "duration_years": 15, "priority": "aspirational"},
             {"name": "Retirement", "kind": "income", "amount": 60_000, "years": 20,
              "duration_years": 25, "priority": "essential"}]
    pension = {"kind": "pension", "annual_amount": 70_000, "start_age": 65}
    prof = _profile([pension], goals=goals)
    cover = stream_cover(prof, prof.as_of, INFLATION).by_goal
    assert cover["Retirement"] == pytest.approx(np.full(25, 60_000.0), rel=CLOSED_FORM_RTOL)
    assert cover["Travel"] == pytest.approx(np.full(15, 10_000.0), rel=CLOSED_FORM_RTOL)


money = st.floats(1_000, 150_000)


@settings(max_examples=40, deadline=None)
@given(amounts=st.lists(money, min_size=1, max_size=3),
       starts=st.lists(st.integers(50, 80), min_size=3, max_size=3),
       nominal=st.lists(st.booleans(), min_size=3, max_size=3),
       spending=money, years=st.integers(1, 30), duration=st.integers(1, 35))
def test_cover_is_never_negative_nor_above_the_withdrawal_and_splits_exactly(
        amounts, starts, nominal, spending, years, duration) -> None:
    streams = [{"kind": "annuity", "annual_amount": a, "start_age": s,
                "inflation_adjusted": not n, **({"cola": 0.02} if n else {})}
               for a, s, n in zip(amounts, starts, nominal, strict=False)]
    goals = [{"name": "Retirement", "kind": "income", "amount": spending, "years": years,
              "duration_years": duration, "priority": "essential"}]
    prof = _profile(streams, goals=goals)
    cover = stream_cover(prof, prof.as_of, INFLATION)
    got = cover.by_goal["Retirement"]
    assert got.shape == (duration,)
    assert (got >= 0).all() and (got <= spending * (1 + 1e-12)).all()
    parts = sum((c.get("Retirement", np.zeros(duration)) for c in cover.by_stream),
                np.zeros(duration))
    assert parts == pytest.approx(got, rel=1e-9, abs=MONEY_ATOL)
    need = need_present_value(prof.goals[0], prof.as_of, covered=got)
    assert need == pytest.approx(max(0.0, need_present_value(prof.goals[0], prof.as_of)
                                     - income_present_value(prof.goals[0], prof.as_of, got)),
                                 rel=1e-9, abs=MONEY_ATOL)


def test_risk_capacity_and_the_dp_net_the_same_stream_income() -> None:
    """The funded ratio behind risk capacity and the goals DP read the streams through the
    same cover as the sleeve funding (one stream model): the goals' present value falls by
    exactly the present value of the covered withdrawals, and the DP's cash flows by the
    covered amounts."""
    from tailorfolio.goals._dp_profile import dp_problem_for_profile
    from tailorfolio.market import default_market
    from tailorfolio.profile._timeline import as_of_year
    from tailorfolio.risk._scoring import (
        REAL_DISCOUNT_RATE,
        STREAM_PV_INFLATION,
        goals_present_value,
    )

    plain, with_ss = _profile(), _profile([SS])
    as_of = plain.as_of
    covered = stream_cover(with_ss, as_of, STREAM_PV_INFLATION).by_goal["Retirement"]
    start = plain.goals[0].years_until(as_of_year(as_of))
    pv_cover = sum(c / (1 + REAL_DISCOUNT_RATE) ** (start + k) for k, c in enumerate(covered))
    assert pv_cover > 0
    assert goals_present_value(with_ss, as_of) == pytest.approx(
        goals_present_value(plain, as_of) - pv_cover, rel=1e-12)

    market = default_market()
    infl = market.assumptions.inflation
    args = dict(portfolio_return=[0.05], portfolio_volatility=[0.1], portfolio_expense=[0.001])
    p0, _ = dp_problem_for_profile(plain, market, as_of, **args)
    p1, _ = dp_problem_for_profile(with_ss, market, as_of, **args)
    paid = stream_cover(with_ss, as_of, infl).by_goal["Retirement"]
    np.testing.assert_allclose(p1.cash_flows - p0.cash_flows,
                               np.pad(paid, (len(p0.cash_flows) - len(paid), 0)), atol=1e-9)
