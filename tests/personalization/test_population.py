"""The synthetic population: seeded, prefix-stable, and spanning the stated distributions."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.personalization import synthetic_population
from tailorfolio.personalization._population import AGE_RANGE, LIFE_END_AGE
from tailorfolio.profile import AccountType, GoalPriority


@pytest.fixture(scope="module")
def population(market):
    return synthetic_population(200, market, seed=11)


def test_seeded_and_prefix_stable(market, population) -> None:
    again = synthetic_population(20, market, seed=11)
    assert [p.model_dump() for p in again] == [p.model_dump() for p in population[:20]]
    other = synthetic_population(20, market, seed=12)
    assert [p.model_dump() for p in other] != [p.model_dump() for p in again]


def test_households_span_the_stated_distributions(market, population) -> None:
    ages = np.array([p.age for p in population])
    assert ages.min() >= AGE_RANGE[0] and ages.max() <= AGE_RANGE[1]
    assert ages.std() > 10
    types = {a.type for p in population for a in p.accounts}
    assert types == {AccountType.TAXABLE, AccountType.TRADITIONAL, AccountType.ROTH}
    priorities = {g.priority for p in population for g in p.goals}
    assert priorities == set(GoalPriority)
    # Every household plans retirement income to the longevity age.
    for p in population:
        ret = [g for g in p.goals if g.name == "Retirement"]
        assert len(ret) == 1 and ret[0].priority is GoalPriority.ESSENTIAL
        assert max(p.age, p.retirement_age) + ret[0].duration_years == LIFE_END_AGE
    # Lots carry gains and losses.
    ratios = [market.price_of(lot.asset) / lot.cost_basis_per_share
              for p in population for a in p.accounts for lot in a.lots]
    assert 0.1 < np.mean(np.array(ratios) < 1) < 0.4
    # Questionnaire answers vary across households.
    levels = {tuple(sorted(p.risk_questionnaire.items())) for p in population}
    assert len(levels) > 100
