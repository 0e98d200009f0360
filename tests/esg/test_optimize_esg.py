"""ESG inside the compiled problem: exclusions, floor, tilt, missing scores, diagnosis."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailorfolio.errors import InfeasibleError
from tailorfolio.esg import floor_measure, resolve_esg_preferences
from tailorfolio.market import Asset, Universe, default_market
from tailorfolio.optimize import (
    MissingScorePolicy,
    Objective,
    PortfolioOptimizer,
    constraints_from_preferences,
)
from tailorfolio.optimize._diagnose import best_esg_score
from tailorfolio.profile import Preferences
from tests.tolerances import CONSTRAINT_SLACK, SOLVER_ATOL

TAGS = ("fossil_fuels", "tobacco", "weapons", "gambling", "alcohol")
FLOOR_TOL = 1e-5
"""Score points: the floor holds to the solver's accuracy (scores are O(100))."""


def _market(n: int, seed: int, scores: list[float | None], tags: list[tuple[str, ...]]):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n + 2))
    cov = (a @ a.T) / (n + 2) * 0.04 + np.eye(n) * 0.002
    mu = 0.03 + rng.uniform(0, 0.08, n)
    tickers = [f"A{i}" for i in range(n)]
    uni = Universe(tuple(
        Asset(t, t, "equity_x" if i % 2 else "bond_x", "equity" if i % 2 else "bond",
              sector="s", activities=tags[i], esg_score=scores[i])
        for i, t in enumerate(tickers)))
    return uni, pd.Series(mu, index=tickers), pd.DataFrame(cov, index=tickers, columns=tickers)


@st.composite
def cases(draw):
    n = draw(st.integers(3, 9))
    scores = draw(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=n, max_size=n))
    tags = draw(st.lists(st.lists(st.sampled_from(TAGS), max_size=3, unique=True).map(tuple),
                         min_size=n, max_size=n))
    excluded = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
    floor = draw(st.one_of(st.none(), st.floats(0, 90)))
    policy = draw(st.sampled_from(["exclude", "worst", "ignore"]))
    tilt = draw(st.sampled_from([0.0, 0.02, 0.5]))
    cap = draw(st.sampled_from([1.0, 0.5, 0.35]))
    objective = draw(st.sampled_from([Objective.MAX_UTILITY, Objective.MIN_VARIANCE,
                                      Objective.MAX_SHARPE]))
    seed = draw(st.integers(0, 10_000))
    preset = draw(st.sampled_from([None, "none", "exclusions_only", "best_in_class", "strong"]))
    return n, scores, tags, excluded, floor, policy, tilt, cap, objective, seed, preset


OPT = PortfolioOptimizer()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_exclusions_never_violated_and_floor_holds(case):
    n, scores, tags, excluded, floor, policy, tilt, cap, objective, seed, preset = case
    uni, mu, cov = _market(n, seed, scores, tags)
    prefs = Preferences(excluded_sectors=excluded, min_esg_score=floor, esg_tilt=tilt,
                        esg_missing_score_policy=policy, max_weight_per_asset=cap,
                        esg_preset=preset)
    resolved = resolve_esg_preferences(prefs, uni)
    excluded = list(resolved.preferences.excluded_sectors)  # own tags + the preset's
    dropped = {t for ts in resolved.best_in_class.values() for t in ts}
    floor = resolved.preferences.min_esg_score
    tilt = resolved.preferences.esg_tilt
    cs = constraints_from_preferences(uni, prefs)
    try:
        res = OPT.optimize(mu, cov, cs, objective=objective, risk_aversion=3.0,
                           risk_free_rate=0.0)
    except InfeasibleError as exc:
        assert exc.conflicts or "infeasible" in exc.message.lower()
        return
    w = res.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= -CONSTRAINT_SLACK).all()
    for i, a in enumerate(uni):
        if set(a.activities) & set(excluded) or a.ticker in dropped:
            assert w.iloc[i] <= CONSTRAINT_SLACK, f"{a.ticker} held despite exclusion"
        if policy == "exclude" and (floor is not None or tilt > 0) and a.esg_score is None:
            assert w.iloc[i] <= CONSTRAINT_SLACK, f"{a.ticker} unscored but held"
    if floor is not None:
        wv = w.to_numpy()
        s = cs.esg_scores
        scored = ~np.isnan(s)
        if policy == "ignore":
            # the floor binds the scored part only; with no scored weight it is vacuous
            assert (s[scored] - floor) @ wv[scored] >= -FLOOR_TOL
            if wv[scored].sum() > 1e-6:
                assert floor_measure(cs, wv) >= floor - FLOOR_TOL / wv[scored].sum()
        else:
            assert np.nan_to_num(s, nan=0.0) @ wv >= floor - FLOOR_TOL


def _scored_universe():
    scores = [90.0, 80.0, None, 40.0, 20.0]
    uni, mu, cov = _market(5, 3, scores, [()] * 5)
    return uni, mu, cov


def test_missing_policy_worst_counts_unscored_as_zero():
    uni, mu, cov = _scored_universe()
    cs = constraints_from_preferences(uni, Preferences(min_esg_score=60,
                                                       esg_missing_score_policy="worst"))
    w = OPT.optimize(mu, cov, cs, objective=Objective.MIN_VARIANCE).weights.to_numpy()
    s0 = np.nan_to_num(cs.esg_scores, nan=0.0)
    assert s0 @ w >= 60 - FLOOR_TOL


def test_missing_policy_ignore_floors_the_scored_part_only():
    uni, mu, cov = _scored_universe()
    cs = constraints_from_preferences(uni, Preferences(min_esg_score=85,
                                                       esg_missing_score_policy="ignore"))
    w = OPT.optimize(mu, cov, cs, objective=Objective.MIN_VARIANCE).weights.to_numpy()
    scored = ~np.isnan(cs.esg_scores)
    avg = w[scored] @ cs.esg_scores[scored] / w[scored].sum()
    assert avg >= 85 - FLOOR_TOL
    # under 'worst' a floor of 85 would force the unscored asset out entirely; here it may stay
    assert cs.exclusions == ()


def test_missing_policy_exclude_removes_unscored_and_reports_it():
    uni, mu, cov = _scored_universe()
    cs = constraints_from_preferences(uni, Preferences(min_esg_score=30,
                                                       esg_missing_score_policy="exclude"))
    assert [(e.rule, e.tickers) for e in cs.exclusions] == [("missing ESG score", ("A2",))]
    w = OPT.optimize(mu, cov, cs, objective=Objective.MIN_VARIANCE).weights
    assert w["A2"] <= CONSTRAINT_SLACK


def test_ignore_policy_tilt_is_neutral_for_unscored_assets():
    uni, mu, cov = _scored_universe()
    cs = constraints_from_preferences(uni, Preferences(esg_tilt=0.1,
                                                       esg_missing_score_policy="ignore"))
    t = cs.esg_tilt_scores()
    assert t[2] == pytest.approx(np.mean([90, 80, 40, 20]))
    worst = dataclasses.replace(cs, missing_score_policy=MissingScorePolicy.WORST)
    assert worst.esg_tilt_scores()[2] == 0.0


def test_tilt_raises_portfolio_score():
    m = default_market()
    a = m.assumptions
    base = constraints_from_preferences(m.universe, Preferences(max_weight_per_asset=0.35))
    tilted = dataclasses.replace(base, esg_tilt=0.05)
    w0 = OPT.optimize(a.expected_return, a.covariance, base, risk_aversion=3).weights
    w1 = OPT.optimize(a.expected_return, a.covariance, tilted, risk_aversion=3).weights
    assert floor_measure(base, w1.to_numpy()) > floor_measure(base, w0.to_numpy())


def test_infeasible_floor_names_the_best_achievable_score():
    m = default_market()
    a = m.assumptions
    cs = constraints_from_preferences(
        m.universe, Preferences(min_esg_score=77, max_weight_per_asset=0.35,
                                excluded_assets=["VGSH", "VGIT", "MUB", "SGOV"]))
    # the only 80-scored fund left is SCHP (cap 35 %), then VNQ 78.67 (35 %), then 70s
    best = 0.35 * 80 + 0.35 * 78.67 + 0.30 * 70
    assert best_esg_score(cs) == pytest.approx(best, abs=1e-4)
    with pytest.raises(InfeasibleError, match=r"minimum portfolio ESG score of 77\.0 is above "
                       r"the best achievable 76\.5") as err:
        OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=3)
    assert any(c.field == "preferences.min_esg_score" for c in err.value.conflicts)


def test_best_achievable_under_ignore_is_the_scored_average():
    uni, mu, cov = _scored_universe()
    cs = constraints_from_preferences(uni, Preferences(min_esg_score=95,
                                                       esg_missing_score_policy="ignore",
                                                       max_weight_per_asset=0.5))
    # With a 50 % cap, A0 (90) 50 % and the unscored A2 50 % give a scored-part average of 90:
    # under 'ignore' the unscored weight does not dilute the score.
    assert best_esg_score(cs) == pytest.approx(90.0, abs=1e-4)
    with pytest.raises(InfeasibleError, match="above the best achievable 90.0"):
        OPT.optimize(mu, cov, cs, objective=Objective.MIN_VARIANCE)


def test_plan_with_esg_floor_matches_scipy():
    """An independent check of the floor inside the compiled problem (SLSQP)."""
    from scipy.optimize import minimize

    m = default_market()
    a = m.assumptions
    cs = constraints_from_preferences(m.universe, Preferences(min_esg_score=72,
                                                              max_weight_per_asset=0.35))
    mu = a.expected_return.to_numpy()
    cov = a.covariance.to_numpy()
    gamma = 3.0
    res = OPT.optimize(a.expected_return, a.covariance, cs, risk_aversion=gamma)
    s = cs.esg_scores

    def f(w):
        return -(mu @ w - gamma / 2 * w @ cov @ w)

    sp = minimize(f, np.full(len(mu), 1 / len(mu)), method="SLSQP",
                  bounds=[(0, 0.35)] * len(mu),
                  constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1},
                               {"type": "ineq", "fun": lambda w: s @ w - 72}],
                  options={"ftol": 1e-14, "maxiter": 1000})
    assert -f(res.weights.to_numpy()) == pytest.approx(-sp.fun, abs=SOLVER_ATOL)
    np.testing.assert_allclose(res.weights.to_numpy(), sp.x, atol=1e-4)
