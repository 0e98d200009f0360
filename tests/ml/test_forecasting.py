"""ML forecasts: causal features, gapped time-series CV, OOS R², skill-weighted views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.backtest import CalendarPolicy, TransactionCosts, run_backtest
from tailorfolio.backtest.strategies import BlackLittermanML
from tailorfolio.estimate import black_litterman
from tailorfolio.ml import (
    combination_weight,
    date_splits,
    excess_over_mean_target,
    feature_panel,
    forecast_views,
    oos_r2,
    walk_forward_forecasts,
)
from tests.tolerances import CLOSED_FORM_RTOL


def _panel_returns(rng, n=180, k=5, ar=0.0):
    idx = pd.date_range("1990-01-31", periods=n, freq="ME")
    x = np.zeros((n, k))
    eps = rng.normal(0, 0.04, size=(n, k))
    for t in range(n):
        x[t] = 0.006 + (ar * (x[t - 1] - 0.006) if t else 0) + eps[t]
    return pd.DataFrame(x, index=idx, columns=[f"A{i}" for i in range(k)])


def test_features_are_causal(rng):
    r = _panel_returns(rng)
    full = feature_panel(r)
    cut = feature_panel(r.iloc[:100])
    common = cut.index
    pd.testing.assert_frame_equal(full.loc[common], cut)


def test_target_is_next_excess_minus_known_mean(rng):
    r = _panel_returns(rng, n=30)
    target, bench = excess_over_mean_target(r)
    t = r.index[10]
    assert target.loc[(t, "A0")] == pytest.approx(r["A0"].iloc[11] - r["A0"].iloc[:11].mean())
    assert bench.loc[(t, "A0")] == pytest.approx(r["A0"].iloc[:11].mean())


def test_date_splits_keep_dates_whole_and_leave_a_gap():
    dates = pd.Index(np.repeat(pd.date_range("2000-01-31", periods=40, freq="ME"), 3))
    for train, val in date_splits(dates, n_splits=3, gap=2):
        last_train = dates[train].max()
        first_val = dates[val].min()
        assert (first_val.to_period("M") - last_train.to_period("M")).n == 3
        assert set(dates[train]).isdisjoint(set(dates[val]))


def test_oos_r2_and_beta_closed_forms():
    r = np.array([0.01, -0.02, 0.03, 0.0])
    m = np.zeros(4)
    assert oos_r2(r, m, m) == 0.0
    assert oos_r2(r, r, m) == 1.0
    assert combination_weight(r, r, m) == 1.0
    assert combination_weight(r, -r, m) == 0.0
    assert combination_weight(r, 2 * r, m) == pytest.approx(0.5)


def test_single_view_moves_prior_by_beta():
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["a", "b"], columns=["a", "b"])
    prior = pd.Series([0.05, 0.06], index=["a", "b"])
    forecast = pd.Series({"a": 0.15})
    views = forecast_views(forecast, cov, beta=0.3, tau=0.05)
    post = black_litterman(prior, cov, views, tau=0.05).expected_return
    assert post["a"] == pytest.approx(0.05 + 0.3 * (0.15 - 0.05), rel=CLOSED_FORM_RTOL)


def test_useless_forecast_gives_no_view():
    cov = pd.DataFrame([[0.04]], index=["a"], columns=["a"])
    assert forecast_views(pd.Series({"a": 0.5}), cov, beta=0.0) == []


def test_walk_forward_finds_predictable_reversal(rng):
    r = _panel_returns(rng, n=200, ar=-0.3)
    ev = walk_forward_forecasts(r, min_train=80, refit_every=24)
    assert ev.oos_r2 > 0.02
    assert ev.combination_weight > 0.3
    # forecasts are made before their target period: index is strictly after training data
    assert ev.forecasts.index[0] == r.index[81]


def test_walk_forward_on_noise_does_not_beat_the_mean(rng):
    r = _panel_returns(rng, n=200, ar=0.0)
    ev = walk_forward_forecasts(r, min_train=80, refit_every=24)
    assert ev.oos_r2 < 0.02


@pytest.mark.slow
def test_bl_ml_strategy_tilts_only_with_skill(rng):
    policy = CalendarPolicy(3)
    costs = TransactionCosts(0.0)
    skill = _panel_returns(rng, n=216, ar=-0.3)
    res = run_backtest(BlackLittermanML(window=60, min_train=60, min_scored=8), skill,
                       policy=policy, costs=costs, warmup_periods=60)
    betas = np.array(res.extras["beta"])
    assert betas[-1] > 0.2
    assert np.abs(res.targets.iloc[-10:].to_numpy() - 0.2).max() > 0.05
    noise = _panel_returns(np.random.default_rng(7), n=216, ar=0.0)
    res0 = run_backtest(BlackLittermanML(window=60, min_train=60, min_scored=8), noise,
                        policy=policy, costs=costs, warmup_periods=60)
    b0 = np.array(res0.extras["beta"])
    dev0 = np.abs(res0.targets.to_numpy() - 0.2).max(axis=1)
    # whenever the measured skill is nil the portfolio is exactly 1/N
    assert (dev0[b0 == 0.0] < 1e-6).all()
    assert b0.mean() < betas.mean()
