"""The plan decides: the risk ladder, goal sleeves, and sections that cannot disagree.

Tolerances: weights and shares are sums of solver outputs (``tolerances.SOLVER_ATOL``);
Monte Carlo figures are compared on common random numbers, so differences are exact for the
stored paths and only their interpretation carries sampling error.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tailorfolio as tf
from tailorfolio.allocation._family import build_family
from tailorfolio.allocation._sleeves import LONG_TERM, RESERVE
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.planning._build import base_constraints, resolve_returns
from tailorfolio.profile import Goal
from tailorfolio.risk import RISK_LADDER
from tests.tolerances import SOLVER_ATOL

FAST = PlanSettings(goal_paths=0, choice_paths=0)
"""Decisions without the Monte Carlo (template paths): the ladder and the sleeves' shape."""


def _saver(goals: tuple[Goal, ...], **update: object) -> tf.InvestorProfile:
    """A 25-year-old saving for retirement in 40 years (the young-saver example, re-goaled)."""
    prof = tf.load_example_profile("young_saver")
    return prof.model_copy(update={"goals": goals, **update})


def _retirement(years_away: int = 40) -> Goal:
    return Goal(name="Retirement", amount=40_000, years=years_away, kind="income",
                duration_years=25, priority="essential", annual_contribution=6_000)


def _equity(weights: dict[str, float], market: tf.Market) -> float:
    return sum(w for t, w in weights.items() if market.universe[t].broad_class == "equity")


# ------------------------------------------------------------------------------ the ladder

def test_ladder_gives_ten_distinct_portfolios_with_rising_equity() -> None:
    plan = build_plan(_saver((_retirement(),)), settings=FAST)
    shares = [r.equity_share for r in plan.ladder]
    assert len(plan.ladder) == 10
    # Strictly rising, from a mostly bond/cash portfolio to (nearly) all stock.
    assert all(b > a + 0.05 for a, b in zip(shares, shares[1:], strict=False)), shares
    assert shares[0] <= 0.15 and shares[-1] >= 0.90
    weights = [tuple(sorted(r.weights.items())) for r in plan.ladder]
    assert len(set(weights)) == 10


def test_ladder_is_diversified_around_total_market_funds() -> None:
    plan = build_plan(tf.load_example_profile("family"), settings=FAST)
    market = plan.resolved_market
    for rung in plan.ladder[3:]:
        # Total-market funds are the core; US and international near market weights.
        assert rung.weights.get("VTI", 0) >= 0.10
        assert rung.weights.get("VEA", 0) > 0
        us = sum(w for t, w in rung.weights.items()
                 if market.universe[t].asset_class in ("us_equity", "us_small_cap_equity"))
        eq = _equity(rung.weights, market)
        assert 0.45 <= us / eq <= 0.80, (rung.level, us / eq)
        assert 1 / sum(w * w for w in rung.weights.values()) >= 3.0


def test_ladder_matches_the_risk_ladder_table() -> None:
    plan = build_plan(_saver((_retirement(),), preferences=tf.load_example_profile(
        "young_saver").preferences.model_copy(update={"max_weight_per_asset": 1.0})),
        settings=FAST)
    for rung in plan.ladder:
        assert rung.equity_share == pytest.approx(RISK_LADDER[rung.level].equity_share,
                                                  abs=SOLVER_ATOL)
        assert rung.volatility <= RISK_LADDER[rung.level].max_volatility


def test_a_small_forecast_change_moves_the_plan_a_little() -> None:
    prof = tf.load_example_profile("family")
    market = tf.default_market()
    a = market.assumptions
    bumped_mu = a.expected_return.copy()
    bumped_mu["VEA"] += 0.005
    bumped = dataclasses.replace(market, assumptions=dataclasses.replace(
        a, expected_return=bumped_mu))
    w0 = build_plan(prof, market, settings=FAST).weights
    w1 = build_plan(prof, bumped, settings=FAST).weights
    moved = 0.5 * sum(abs(w1[t] - w0[t]) for t in w0)
    assert moved < 0.06, moved


def test_raw_forecasts_stay_available_and_differ() -> None:
    prof = tf.load_example_profile("family")
    eq = build_plan(prof, settings=FAST)
    raw = build_plan(prof, settings=PlanSettings(goal_paths=0, choice_paths=0,
                                                 return_model="forecasts"))
    assert eq.market.return_model.model == "equilibrium_views"
    assert raw.market.return_model.model == "forecasts"
    assert raw.weights.get("VTI", 0) < eq.weights.get("VTI", 0)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_family_equity_share_is_what_was_asked(s1: float, s2: float) -> None:
    market = _FAMILY_MARKET
    fam = _FAMILY
    lo, hi = sorted((s1, s2))
    w_lo, w_hi = fam.weights_at(lo), fam.weights_at(hi)
    is_eq = np.array([market.universe[t].broad_class == "equity" for t in fam.tickers])
    e_lo, e_hi = float(w_lo[is_eq].sum()), float(w_hi[is_eq].sum())
    assert e_lo == pytest.approx(float(fam.clip(lo)), abs=1e-6)
    assert e_lo <= e_hi + 1e-9
    assert w_lo.sum() == pytest.approx(1.0) and (w_lo >= 0).all()


def _family_setup() -> tuple[tf.Market, object]:
    prof = tf.load_example_profile("family")
    market, _ = resolve_returns(tf.default_market(), PlanSettings())
    return market, build_family(market, base_constraints(prof, market, PlanSettings()))


_FAMILY_MARKET, _FAMILY = _family_setup()


# ------------------------------------------------------------------------------ goals decide

def test_a_near_essential_goal_changes_the_household_target() -> None:
    long_only = build_plan(_saver((_retirement(),)), settings=FAST)
    wealth = long_only.investable_wealth
    near = Goal(name="Home", amount=0.6 * wealth, years=3, priority="essential")
    both = build_plan(_saver((_retirement(), near)), settings=FAST)
    market = both.resolved_market
    assert _equity(long_only.weights, market) >= 0.5
    assert _equity(both.weights, market) < _equity(long_only.weights, market) - 0.25
    home = next(s for s in both.sleeves if s.name == "Home")
    assert home.equity_share_now <= 0.15  # an essential goal 3 years away: mostly safe
    assert home.amount > 0


def test_a_lump_sum_sleeve_reaches_no_stocks_at_its_date() -> None:
    goal = Goal(name="Car", amount=20_000, years=12, priority="important")
    plan = build_plan(_saver((_retirement(), goal)), settings=FAST)
    car = next(s for s in plan.sleeves if s.name == "Car")
    shares = dict(car.glide)
    assert shares[12.0] <= 0.01
    assert max(shares.values()) <= car.max_equity_share + 1e-9


def test_college_tuition_de_risks_like_a_lump_sum() -> None:
    college = Goal(name="College", amount=25_000, years=8, kind="income", duration_years=4,
                   priority="important")
    plan = build_plan(_saver((_retirement(), college)), settings=FAST)
    sleeve = next(s for s in plan.sleeves if s.name == "College")
    assert dict(sleeve.glide)[8.0] <= 0.01


def test_retirement_keeps_growth_assets_into_retirement() -> None:
    plan = build_plan(_saver((_retirement(10),)), settings=FAST)
    ret = next(s for s in plan.sleeves if s.name == "Retirement")
    shares = dict(ret.glide)
    assert shares[10.0] >= 0.3  # target-date style: about half in stocks at retirement


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.integers(1, 35), st.sampled_from(["essential", "important", "aspirational"]),
       st.sampled_from(["lump_sum", "income"]), st.integers(1, 40))
def test_each_sleeve_de_risks_toward_its_date(years: int, priority: str, kind: str,
                                              duration: int) -> None:
    from tailorfolio.allocation._sleeves import SleevePolicy, sleeve_glide_path
    from tailorfolio.profile._enums import GoalKind, GoalPriority

    glide = sleeve_glide_path(GoalKind(kind), GoalPriority(priority), duration)
    for cap in (0.3, 0.6, 1.0):
        pol = SleevePolicy(_FAMILY, glide, 1.0, cap)
        y = np.arange(years, -1, -1, dtype=float)  # from today to the goal's date
        s = pol.equity_share(y)
        assert (np.diff(s) <= 1e-12).all()
        assert (s <= cap + 1e-12).all()


# ------------------------------------------------------- sections that cannot disagree

@pytest.fixture(scope="module")
def family_plan() -> tf.Plan:
    return build_plan(tf.load_example_profile("family"), settings=PlanSettings(goal_paths=400))


def test_household_is_the_money_weighted_sum_of_the_sleeves(family_plan: tf.Plan) -> None:
    plan = family_plan
    total = sum(s.amount for s in plan.sleeves)
    assert total == pytest.approx(plan.investable_wealth, rel=1e-9)
    for t, w in plan.weights.items():
        mixed = sum(s.amount * s.weights.get(t, 0.0) for s in plan.sleeves) / total
        assert w == pytest.approx(mixed, abs=2e-4)


def test_the_simulated_policy_starts_at_the_household_target(family_plan: tf.Plan) -> None:
    plan = family_plan
    prof = tf.load_example_profile("family")
    row0 = plan.resolved_policy.household_weights(prof, date.fromisoformat(
        plan.provenance.as_of), 12)[0]
    tickers = list(plan.resolved_market.tickers)
    assert np.abs(row0 - np.array([plan.weights[t] for t in tickers])).sum() < 2e-3


def test_glide_paths_and_sleeves_say_the_same(family_plan: tf.Plan) -> None:
    plan = family_plan
    by_name = {s.name: s for s in plan.sleeves}
    for g in plan.dynamic.glide_paths:
        assert g.equity_share_now == pytest.approx(by_name[g.goal].equity_share_now)
        assert tuple(g.schedule) == by_name[g.goal].glide


def test_one_probability_per_goal_labelled_with_its_model(family_plan: tf.Plan) -> None:
    plan = family_plan
    names = [o.name for o in plan.goals.outcomes]
    assert names == [g.name for g in tf.load_example_profile("family").goals]
    assert "plan's own policy" in plan.goals.model
    for alt in plan.goals.alternatives:
        assert alt.description and alt.model
        assert 0 <= alt.probability <= 1 and 0 <= alt.plan_probability <= 1


def test_monte_carlo_uses_the_tax_stages_rates(family_plan: tf.Plan) -> None:
    plan = family_plan
    rates = plan.accounts.tax.rates
    assert f"{rates.ordinary + rates.state:.0%} ordinary" in plan.goals.model


def test_reserve_and_long_term_sleeves_are_present(family_plan: tf.Plan) -> None:
    names = [s.name for s in family_plan.sleeves]
    assert RESERVE in names and LONG_TERM in names
    reserve = next(s for s in family_plan.sleeves if s.name == RESERVE)
    market = family_plan.resolved_market
    assert all(market.universe[t].broad_class == "cash" for t in reserve.weights)


def test_plan_json_matches_its_schema(family_plan: tf.Plan) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tailorfolio.planning import plan_json_schema

    jsonschema.validate(family_plan.to_dict(), plan_json_schema())


# -------------------------------------------------------------------------------- values

def test_tobacco_exclusion_keeps_a_retiree_in_stocks() -> None:
    plan = build_plan(tf.load_example_profile("retiree"), settings=FAST)
    assert "tobacco" in tf.load_example_profile("retiree").preferences.excluded_sectors
    assert _equity(plan.weights, plan.resolved_market) > 0.1
    assert any("screened" in w.lower() or "esg" in w.lower() for w in plan.warnings)


def test_no_esg_section_without_esg_preferences() -> None:
    assert build_plan(tf.load_example_profile("family"), settings=FAST).esg is None
    assert build_plan(tf.load_example_profile("esg_minded"), settings=FAST).esg is not None
