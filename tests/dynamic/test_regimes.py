"""Regimes: forward filter correctness, no smoothing, ordering, mixture moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.dynamic import RegimeModel, forward_filter, mixture, regime_conditional_moments
from tests.tolerances import CLOSED_FORM_RTOL

pytest.importorskip("hmmlearn")


def _two_regime_returns(rng, n=400):
    idx = pd.date_range("1980-01-31", periods=n, freq="ME")
    state = np.zeros(n, dtype=int)
    for t in range(1, n):
        stay = 0.97 if state[t - 1] == 0 else 0.9
        state[t] = state[t - 1] if rng.random() < stay else 1 - state[t - 1]
    mu = np.where(state[:, None] == 0, [0.01, 0.003], [-0.02, 0.006])
    sd = np.where(state[:, None] == 0, [0.03, 0.01], [0.08, 0.02])
    x = mu + sd * rng.normal(size=(n, 2))
    return pd.DataFrame(x, index=idx, columns=["stocks", "bonds"]), state


def test_forward_filter_matches_bayes_by_hand():
    log_e = np.log(np.array([[0.5, 0.1], [0.2, 0.4]]))
    start = np.array([0.6, 0.4])
    a = np.array([[0.9, 0.1], [0.3, 0.7]])
    p = forward_filter(log_e, start, a)
    f0 = start * [0.5, 0.1]
    f0 /= f0.sum()
    f1 = (f0 @ a) * [0.2, 0.4]
    f1 /= f1.sum()
    np.testing.assert_allclose(p, [f0, f1], rtol=CLOSED_FORM_RTOL)


def test_filtered_probabilities_do_not_use_later_data(rng):
    x, _ = _two_regime_returns(rng, n=250)
    model = RegimeModel(random_state=0, n_init=1).fit(x)
    full = model.filtered_probabilities(x)
    part = model.filtered_probabilities(x.iloc[:200])
    np.testing.assert_allclose(full.iloc[:200].to_numpy(), part.to_numpy(), rtol=1e-10)


def test_last_filtered_equals_hmmlearn_posterior_at_the_end(rng):
    # at the last date filtering and smoothing coincide — a check against hmmlearn
    from hmmlearn.hmm import GaussianHMM

    x, _ = _two_regime_returns(rng, n=300)
    model = RegimeModel(n_init=1).fit(x)
    ref = GaussianHMM(n_components=2, covariance_type="full")
    ref.startprob_, ref.transmat_ = model.startprob_, model.transmat_
    ref.means_, ref.covars_ = model.means_, model.covars_
    smoothed = ref.predict_proba(x.to_numpy())
    filt = model.filtered_probabilities(x).to_numpy()
    np.testing.assert_allclose(filt[-1], smoothed[-1], atol=1e-8)
    assert np.abs(filt[:-1] - smoothed[:-1]).max() > 1e-3  # they differ before the end


@pytest.mark.slow
def test_recovers_regimes_ordered_by_volatility(rng):
    x, state = _two_regime_returns(rng)
    model = RegimeModel(random_state=0, n_init=1).fit(x)
    m = model.regime_moments()
    assert m[0].volatility["stocks"] < m[1].volatility["stocks"]
    guess = model.filtered_probabilities(x).to_numpy().argmax(axis=1)
    assert (guess == state).mean() > 0.85


def test_mixture_law_of_total_variance(rng):
    x, state = _two_regime_returns(rng)
    probs = np.column_stack([state == 0, state == 1]).astype(float)
    moments = regime_conditional_moments(x, probs, 12)
    mu, cov = mixture(moments, np.array([1.0, 0.0]), 12)
    np.testing.assert_allclose(mu, x[state == 0].mean() * 12, rtol=1e-10)
    np.testing.assert_allclose(cov, x[state == 0].cov() * 12, rtol=1e-10)
    mu_all, cov_all = mixture(moments, probs.mean(axis=0), 12)
    np.testing.assert_allclose(mu_all, x.mean() * 12, rtol=1e-10)
    # population (ddof 0) version of total variance ≈ sample covariance
    np.testing.assert_allclose(cov_all, x.cov() * 12, rtol=0.02)
