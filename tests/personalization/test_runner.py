"""Smoke test of the evaluation: 8 synthetic households × 50 paths, its structure and
invariants, the pluggable adapter, and the report."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tailorfolio.examples import load_example_profile
from tailorfolio.personalization import (
    BASELINES,
    METRICS,
    PERSONALIZED,
    evaluate_household,
    evaluate_population,
    personalization_markdown,
    sixty_forty_spec,
    synthetic_population,
)

N_HOUSEHOLDS, N_PATHS = 8, 50


@pytest.fixture(scope="module")
def population(market):
    t0 = time.perf_counter()
    pop = evaluate_population(synthetic_population(N_HOUSEHOLDS, market, seed=5), market,
                              n_paths=N_PATHS, seed=5)
    return pop, time.perf_counter() - t0


def test_structure_and_invariants(population) -> None:
    pop, seconds = population
    assert pop.n + len(pop.skipped) == N_HOUSEHOLDS and pop.n >= N_HOUSEHOLDS - 1
    assert pop.policies == (PERSONALIZED, *BASELINES)
    for h in pop.households:
        assert h.n_paths == N_PATHS and h.horizon_years > 0 and h.seconds > 0
        for policy in pop.policies:
            v = h.values[policy]
            assert 0.0 <= v["goal_success"][0] <= 1.0
            assert v["lifetime_taxes"][0] >= 0 and v["turnover"][0] >= 0
            assert all(v[m][1] >= 0 for m in METRICS)
            assert 0.0 <= v["depleted"][0] <= 1.0
        for base in BASELINES:
            d = h.differences[base]
            for m in ("goal_success", "lifetime_taxes", "turnover"):
                # Paired differences of means are the differences of the means.
                assert d[m][0] == pytest.approx(
                    h.values[PERSONALIZED][m][0] - h.values[base][m][0], rel=1e-9, abs=1e-9)
            assert d["ce_wealth"][0] == pytest.approx(
                h.values[PERSONALIZED]["ce_wealth"][0] - h.values[base]["ce_wealth"][0],
                rel=1e-9, abs=1e-6)
            assert all(se >= 0 for _, se in d.values() if np.isfinite(se))
    for m in METRICS:
        for base in BASELINES:
            d, se = pop.difference_mean(base, m)
            a, _ = pop.policy_mean(PERSONALIZED, m)
            b, _ = pop.policy_mean(base, m)
            assert d == pytest.approx(a - b, rel=1e-9, abs=1e-6) and se >= 0
    gain = pop.ce_gain("risk-level-only plan")
    assert 0 <= gain["share_better"] <= 1 and gain["log_ratio_se"] >= 0
    # About 10 s on a quiet core; the guard leaves room for a machine shared by many.
    assert seconds < 60


def test_adapter_is_pluggable(market) -> None:
    """Plug a baseline in as the 'personalized' policy: every difference against it is 0."""
    profile = load_example_profile("retiree")
    h = evaluate_household(profile, market, personalized=sixty_forty_spec, n_paths=N_PATHS,
                           seed=1)
    for m, (d, se) in h.differences["60/40 fund"].items():
        assert d == pytest.approx(0.0, abs=1e-9), m
        assert se == pytest.approx(0.0, abs=1e-9) or not np.isfinite(se), m
    assert h.differences["target-date fund"]["goal_success"][1] >= 0


def test_report_states_placeholder_anchors_and_distributions(population, market) -> None:
    pop, _ = population
    bundled = {"retiree": evaluate_household(load_example_profile("retiree"), market,
                                             n_paths=N_PATHS, seed=2)}
    text = personalization_markdown(bundled, pop)
    for needle in ("personalized_spec", "Blanchett & Kaplan", "0.48 %/yr", "22.6 %",
                   "How the synthetic population is drawn", "common random numbers",
                   "`retiree`", "target-date fund", "across households", "across paths"):
        assert needle in text, needle
