from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.examples import load_example_profile
from tailorfolio.profile import QUESTIONS
from tailorfolio.risk import LEVEL_TABLE, assess_risk, power_mean

AS_OF = date(2025, 6, 30)
BASE = load_example_profile("family")


def _with(indices: dict[str, int]):
    return BASE.with_answers(**{k: QUESTIONS[[q.key for q in QUESTIONS].index(k)].option_keys[i]
                                for k, i in indices.items()})


answers = st.fixed_dictionaries({q.key: st.integers(0, len(q.options) - 1) for q in QUESTIONS})


@settings(max_examples=60, deadline=None)
@given(answers, st.sampled_from([q.key for q in QUESTIONS]))
def test_level_is_monotone_in_every_answer(idx: dict[str, int], key: str) -> None:
    n = len(QUESTIONS[[q.key for q in QUESTIONS].index(key)].options)
    if idx[key] == n - 1:
        return
    low = assess_risk(_with(idx), as_of=AS_OF)
    up = assess_risk(_with({**idx, key: idx[key] + 1}), as_of=AS_OF)
    assert up.level >= low.level
    assert up.willingness >= low.willingness - 1e-12


def test_level_range_and_table() -> None:
    most = _with({q.key: len(q.options) - 1 for q in QUESTIONS})
    least = _with({q.key: 0 for q in QUESTIONS})
    hi, lo = assess_risk(most, as_of=AS_OF), assess_risk(least, as_of=AS_OF)
    assert 1 <= lo.level < hi.level <= 10
    assert (hi.risk_aversion, hi.max_volatility) == LEVEL_TABLE[hi.level]
    gammas = [LEVEL_TABLE[k][0] for k in range(1, 11)]
    caps = [LEVEL_TABLE[k][1] for k in range(1, 11)]
    assert gammas == sorted(gammas, reverse=True) and caps == sorted(caps)


def test_contradictions_lower_willingness_and_are_reported() -> None:
    consistent = _with({q.key: len(q.options) - 1 for q in QUESTIONS})
    mixed_idx = {q.key: (len(q.options) - 1) // 2 for q in QUESTIONS}
    mixed_idx["drop_reaction"] = 0
    mixed_idx["max_annual_loss"] = 4
    mixed = _with(mixed_idx)
    a, b = assess_risk(consistent, as_of=AS_OF), assess_risk(mixed, as_of=AS_OF)
    assert not a.contradictions and a.consistency_penalty < 1e-12
    assert any("drop_reaction" in c and "max_annual_loss" in c for c in b.contradictions)
    assert b.consistency_penalty > 0.01


def test_conservative_component_weighs_more() -> None:
    r = assess_risk(BASE, as_of=AS_OF)
    lo, hi = sorted([r.willingness, r.capacity])
    assert lo <= r.combined < (lo + hi) / 2


def test_horizon_is_not_part_of_the_level() -> None:
    """The level is the ceiling for long-horizon money; a goal's horizon acts through its
    sleeve's glide path (tests/planning/test_decision.py), not by lowering the level too."""
    r = assess_risk(BASE, as_of=AS_OF)
    assert "capacity.horizon" not in {f.name for f in r.factors}
    assert 0 < r.equity_share <= 1


def test_power_mean_properties() -> None:
    x = np.array([0.2, 0.8])
    w = np.ones(2)
    assert power_mean(np.array([0.5, 0.5]), w, -1) == 0.5
    assert power_mean(x, w, -4) < power_mean(x, w, -1) < x.mean()
