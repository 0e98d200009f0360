from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import LedoitWolf

from tailorfolio.errors import MissingAssetsError, ParameterError
from tailorfolio.estimate import (
    CovarianceEstimator,
    View,
    black_litterman,
    equilibrium_returns,
    historical_mean_returns,
    nearest_correlation,
)
from tests.tolerances import CLOSED_FORM_RTOL


@pytest.fixture
def returns(rng) -> pd.DataFrame:
    x = rng.multivariate_normal([0.01, 0.005, 0.002], [[4e-3, 1e-3, 0], [1e-3, 2e-3, 0],
                                                        [0, 0, 1e-4]], size=120)
    return pd.DataFrame(x, columns=["A", "B", "C"])


def test_sample_and_ledoit_wolf_match_references(returns) -> None:
    s = CovarianceEstimator(method="sample", periods_per_year=12).fit(returns)
    np.testing.assert_allclose(s.covariance_.to_numpy(), np.cov(returns.T) * 12,
                               rtol=CLOSED_FORM_RTOL)
    lw = CovarianceEstimator(method="ledoit_wolf").fit(returns)
    np.testing.assert_allclose(lw.covariance_.to_numpy(),
                               LedoitWolf().fit(returns.to_numpy()).covariance_ * 12,
                               rtol=CLOSED_FORM_RTOL)
    assert 0 <= lw.shrinkage_ <= 1


def test_ewma_with_long_halflife_approaches_sample(returns) -> None:
    e = CovarianceEstimator(method="ewma", halflife=1e9).fit(returns)
    s = CovarianceEstimator(method="sample").fit(returns)
    np.testing.assert_allclose(e.covariance_.to_numpy(), s.covariance_.to_numpy(), rtol=1e-6)


def test_bad_method_is_named() -> None:
    with pytest.raises(ParameterError, match="'method'.*Got 'magic'"):
        CovarianceEstimator(method="magic").fit(pd.DataFrame(np.zeros((5, 2))))


def test_singular_sample_is_repaired(rng) -> None:
    x = rng.normal(size=(10, 30))  # fewer observations than assets
    est = CovarianceEstimator(method="sample").fit(pd.DataFrame(x))
    assert est.repair_.repaired
    assert np.linalg.eigvalsh(est.covariance_.to_numpy()).min() > 0


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 8), st.integers(0, 10_000))
def test_nearest_correlation_is_a_correlation(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, size=(n, n))
    a = (a + a.T) / 2
    np.fill_diagonal(a, 1.0)
    c, _ = nearest_correlation(a)
    np.testing.assert_allclose(c, c.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(c), 1.0, atol=1e-10)
    assert np.linalg.eigvalsh(c).min() > 0


def test_historical_mean(returns) -> None:
    mu = historical_mean_returns(returns, periods_per_year=12)
    np.testing.assert_allclose(mu.to_numpy(), returns.mean().to_numpy() * 12, rtol=CLOSED_FORM_RTOL)
    g = historical_mean_returns(returns, periods_per_year=12, compounding=True)
    assert (g <= mu + 1e-12).all()  # geometric below arithmetic


def test_equilibrium_is_reverse_optimization() -> None:
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.02]], index=["A", "B"], columns=["A", "B"])
    w = pd.Series({"A": 0.6, "B": 0.4})
    pi = equilibrium_returns(cov, w, risk_aversion=3.0, risk_free_rate=0.02)
    # the market portfolio is the unconstrained optimum for these returns
    w_star = np.linalg.solve(3.0 * cov.to_numpy(), pi.to_numpy() - 0.02)
    np.testing.assert_allclose(w_star, w.to_numpy(), rtol=CLOSED_FORM_RTOL)


def test_black_litterman_closed_form_one_view() -> None:
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.02]], index=["A", "B"], columns=["A", "B"])
    prior = pd.Series({"A": 0.07, "B": 0.05})
    tau = 0.05
    assert black_litterman(prior, cov, []).expected_return.equals(prior)
    view = View.absolute("A", 0.10, confidence=0.5)
    post = black_litterman(prior, cov, [view], tau=tau).expected_return
    # confidence 0.5 => omega = p tau Sigma p' => posterior of A halfway to the view
    assert post["A"] == pytest.approx((0.07 + 0.10) / 2, rel=CLOSED_FORM_RTOL)
    # B moves by the regression coefficient cov(A,B)/var(A) times A's move
    assert post["B"] == pytest.approx(0.05 + 0.25 * 0.015, rel=CLOSED_FORM_RTOL)
    certain = black_litterman(prior, cov, [View.absolute("A", 0.10, confidence=1.0)])
    assert certain.expected_return["A"] == pytest.approx(0.10, abs=1e-9)
    rel = black_litterman(prior, cov, [View.relative("A", "B", 0.05, confidence=1.0)])
    assert rel.expected_return["A"] - rel.expected_return["B"] == pytest.approx(0.05, abs=1e-9)


def test_black_litterman_errors() -> None:
    cov = pd.DataFrame(np.eye(2) * 0.04, index=["A", "B"], columns=["A", "B"])
    prior = pd.Series({"A": 0.07, "B": 0.05})
    with pytest.raises(MissingAssetsError, match="ZZZ"):
        black_litterman(prior, cov, [View.absolute("ZZZ", 0.1)])
    with pytest.raises(ParameterError, match="confidence must be in"):
        black_litterman(prior, cov, [View.absolute("A", 0.1, confidence=1.5)])
