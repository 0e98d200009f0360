"""The household's sleeve projection, sleeve by sleeve, equals the month-by-month recursion;
the family's interpolation of all assets at once equals ``np.interp`` asset by asset.

:meth:`HouseholdPolicy.sleeve_values` runs each sleeve's recursion on its own (a goal's sleeve
depends only on its own flows; the long-term money receives what is left of each goal after
its last withdrawal). The reference here is the plain form of the model: all sleeves advanced
together, month by month. The two must agree bit for bit — the plan's Monte Carlo follows
these values, so any difference would change its results.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.allocation._family import PortfolioFamily, interpolate_rows
from tailorfolio.allocation._household import HouseholdPolicy
from tailorfolio.allocation._sleeves import (
    LONG_TERM,
    RESERVE,
    SleevePolicy,
    fund_sleeves,
    sleeve_glide_path,
)
from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.profile import InvestorProfile

from tests.allocation._reference import sleeve_values_reference


def _family() -> PortfolioFamily:
    """Three assets (stocks, bonds, cash) on a grid of equity shares; no solver needed."""
    shares = np.linspace(0.0, 1.0, 11)
    weights = np.stack([shares, 0.9 * (1 - shares), 0.1 * (1 - shares)], axis=1)
    mu = weights @ np.array([0.07, 0.035, 0.02])
    vol = np.sqrt((weights * np.array([0.16, 0.05, 0.005])) ** 2 @ np.ones(3))
    return PortfolioFamily(("STK", "BND", "CSH"), shares, weights, mu, vol, 0.0, 1.0)


def _policy(profile: InvestorProfile, as_of: date, rule: str, intensity: float,
            reserve: float, wealth: float, overfund: float = 1.0) -> HouseholdPolicy:
    fam = _family()
    policies = {g.name: SleevePolicy(fam, sleeve_glide_path(g.kind, g.priority,
                                                            g.duration_years), intensity, 0.8)
                for g in profile.goals}
    policies[LONG_TERM] = SleevePolicy(fam, None, 1.0, 0.8)
    policies[RESERVE] = SleevePolicy(fam, None, 1.0, 0.8, fixed_weights=np.array([0, 0, 1.0]))
    fundings, surplus = fund_sleeves(profile, max(0.0, wealth - reserve), as_of, rule)
    amounts = ({f.goal: overfund * f.need_present_value for f in fundings} if overfund > 1
               else {f.goal: f.amount for f in fundings}) | {RESERVE: reserve, LONG_TERM: surplus}
    return HouseholdPolicy(policies, amounts, np.array([0.07, 0.035, 0.02]), 0.025)


@pytest.mark.parametrize("name", list(EXAMPLE_PROFILES))
@pytest.mark.parametrize(("rule", "intensity", "reserve", "wealth", "overfund"),
                         [("nearest_first", 1.0, 20_000.0, 250_000.0, 1.0),  # part-funded
                          ("priority_first", 1.5, 0.0, 40_000.0, 1.0),
                          ("pro_rata", 0.5, 5_000.0, 5_000_000.0, 1.0),  # long-term money
                          # every goal holds 3x its need: what is left after its last
                          # withdrawal moves to the long-term money
                          ("nearest_first", 1.0, 1_000.0, 0.0, 3.0)])
def test_sleeve_by_sleeve_equals_month_by_month(name: str, rule: str, intensity: float,
                                                reserve: float, wealth: float,
                                                overfund: float) -> None:
    profile = load_example_profile(name)
    as_of = profile.as_of or date(2025, 6, 30)
    policy = _policy(profile, as_of, rule, intensity, reserve, wealth, overfund)
    n_steps = 12 * 70
    names, values, weights = policy.sleeve_values(profile, as_of, n_steps)
    expected = sleeve_values_reference(policy, profile, as_of, n_steps)
    assert names == [g.name for g in profile.goals] + [RESERVE, LONG_TERM]
    assert values.shape == (len(names), n_steps) and weights.shape == (len(names), n_steps, 3)
    assert values.tobytes() == expected.tobytes()  # bit for bit
    if overfund > 1:  # the leftovers arrived: the long-term money starts at 0 and grows
        assert policy.amounts[LONG_TERM] == 0 and values[-1, -1] > 0


@given(st.integers(2, 25), st.integers(1, 18), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_interpolating_all_assets_at_once_is_np_interp_bit_for_bit(k: int, n: int,
                                                                    seed: int) -> None:
    rng = np.random.default_rng(seed)
    xp = np.unique(np.round(np.sort(rng.uniform(0.0, 1.0, k)), rng.integers(2, 12)))
    if len(xp) < 2:
        xp = np.array([0.0, 1.0])
    fp = rng.dirichlet(np.ones(n), len(xp)) * rng.choice([1.0, 1e-9, 3.0])
    fp[rng.random(fp.shape) < 0.3] = 0.0  # assets that enter and leave the family
    x = np.concatenate([xp, rng.uniform(xp[0], xp[-1], 40), [xp[0], xp[-1]],
                        (xp[:-1] + xp[1:]) / 2, np.nextafter(xp[1:], -np.inf)])
    expected = np.stack([np.interp(x, xp, fp[:, j]) for j in range(n)], axis=1)
    assert interpolate_rows(x, xp, fp).tobytes() == expected.tobytes()
    outside = np.array([xp[0] - 0.1, xp[-1] + 0.1, np.nan])  # numpy's own rules there
    expected = np.stack([np.interp(outside, xp, fp[:, j]) for j in range(n)], axis=1)
    np.testing.assert_array_equal(interpolate_rows(outside, xp, fp), expected)


@pytest.mark.parametrize("name", list(EXAMPLE_PROFILES))
def test_one_policy_projecting_changed_goals_equals_a_fresh_policy(name: str) -> None:
    """A policy keeps each sleeve's schedule and value column by its inputs (a lever search
    projects one policy for profiles that differ in one goal): whatever it projected before,
    every profile gets the values and weights a fresh policy gives it, bit for bit."""
    profile = load_example_profile(name)
    as_of = profile.as_of or date(2025, 6, 30)
    kept = _policy(profile, as_of, "nearest_first", 1.0, 5_000.0, 250_000.0)
    variants = [profile]
    for j, g in enumerate(profile.goals):
        for update in ({"annual_contribution": g.annual_contribution + 1_200.0},
                       {"amount": 0.6 * g.amount},
                       {"target_year": g.target_year + 3} if g.target_year is not None
                       else {"years": (g.years or 0.0) + 3}):
            goals = list(profile.goals)
            goals[j] = g.model_copy(update=update)
            variants.append(profile.model_copy(update={"goals": tuple(goals)}))
    n_steps = 12 * 70
    for p in variants + variants[::-1]:
        fresh = _policy(profile, as_of, "nearest_first", 1.0, 5_000.0, 250_000.0)
        got = kept.sleeve_values(p, as_of, n_steps)
        want = fresh.sleeve_values(p, as_of, n_steps)
        assert got[0] == want[0]
        assert got[1].tobytes() == want[1].tobytes() and got[2].tobytes() == want[2].tobytes()
        assert (kept.household_weights(p, as_of, n_steps).tobytes()
                == fresh.household_weights(p, as_of, n_steps).tobytes())
