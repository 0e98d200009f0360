"""Certainty equivalents and paired differences against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.personalization import (
    GAMMA,
    PathOutcomes,
    certainty_equivalent,
    paired_ce_difference,
    paired_summary,
    policy_summary,
)
from tests.tolerances import CLOSED_FORM_RTOL, MC_SIGMAS


def test_ce_of_a_sure_amount_is_the_amount() -> None:
    ce, se = certainty_equivalent(np.full(50, 123_456.0), shift=40_000.0)
    assert ce == pytest.approx(123_456.0, rel=CLOSED_FORM_RTOL)
    assert se == pytest.approx(0.0, abs=1e-9)


def test_ce_closed_form_for_two_outcomes() -> None:
    w = np.array([0.0, 100_000.0] * 10)
    shift, g = 10_000.0, 3.0
    m = 0.5 * (1.0 + 11.0 ** (1 - g))
    expected = shift * (m ** (1 / (1 - g)) - 1)
    ce, _ = certainty_equivalent(w, shift, g)
    assert ce == pytest.approx(expected, rel=CLOSED_FORM_RTOL)
    assert 0 < ce < w.mean()  # risk aversion: below the mean, above the worst case


def test_delta_method_se_matches_the_spread_of_ce_over_replications() -> None:
    rng = np.random.default_rng(42)
    def draws(n: int) -> np.ndarray:
        return np.exp(rng.normal(11.5, 0.6, n))
    ses = [certainty_equivalent(draws(400), 50_000.0)[1] for _ in range(5)]
    spread = np.std([certainty_equivalent(draws(400), 50_000.0)[0] for _ in range(300)])
    assert np.mean(ses) == pytest.approx(spread, rel=0.25)


def test_paired_differences_are_consistent_with_the_levels() -> None:
    rng = np.random.default_rng(42)
    common = rng.normal(size=300)
    wa = np.exp(12 + 0.5 * common + 0.05 * rng.normal(size=300))
    wb = np.exp(11.9 + 0.5 * common)
    shift = 30_000.0
    d = paired_ce_difference(wa, wb, shift)
    ca, _ = certainty_equivalent(wa, shift)
    cb, _ = certainty_equivalent(wb, shift)
    assert d["diff"] == pytest.approx(ca - cb, rel=CLOSED_FORM_RTOL)
    assert d["log_ratio"] == pytest.approx(np.log(ca / cb), rel=CLOSED_FORM_RTOL)
    # Common random numbers: the paired SE is far below the unpaired one.
    unpaired = np.hypot(certainty_equivalent(wa, shift)[1], certainty_equivalent(wb, shift)[1])
    assert d["diff_se"] < 0.5 * unpaired
    same = paired_ce_difference(wa, wa, shift)
    assert same["diff"] == 0 and same["diff_se"] == pytest.approx(0.0, abs=1e-9)


def test_summaries_of_linear_metrics() -> None:
    rng = np.random.default_rng(1)
    n = 500
    a = PathOutcomes(rng.random(n), rng.lognormal(12, 0.5, n), rng.random(n) * 1e4,
                     rng.random(n) * 0.05)
    b = PathOutcomes(rng.random(n), rng.lognormal(12, 0.5, n), rng.random(n) * 1e4,
                     rng.random(n) * 0.05)
    sa, sb, d = policy_summary(a, 1e4), policy_summary(b, 1e4), paired_summary(a, b, 1e4)
    for m in ("goal_success", "lifetime_taxes", "turnover"):
        assert d[m][0] == pytest.approx(sa[m][0] - sb[m][0], rel=1e-12, abs=1e-12)
        assert sa[m][1] == pytest.approx(np.std(getattr(a, m), ddof=1) / np.sqrt(n))
    assert abs(d["goal_success"][0]) < MC_SIGMAS * d["goal_success"][1] + 0.1
    assert GAMMA == 3.0
