"""Market regimes from a Gaussian hidden Markov model, with *filtered* probabilities.

The HMM (hmmlearn's ``GaussianHMM``, fitted by EM) is estimated on returns up to a date. Regime
probabilities come from the forward algorithm only — P(state_t | returns up to t) — never from
the forward–backward smoother, which would use later returns (the look-ahead trap of regime
backtests; see Nystrup et al. 2015). Regimes are ordered by volatility (0 = calmest) so labels
are stable across refits. Regime-conditional moments are the HMM's per-state means and
covariances, annualised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from tailorfolio.errors import InsufficientDataError, MissingDependencyError, ParameterError
from tailorfolio.typing import FloatArray


def _gaussian_hmm():
    try:
        from hmmlearn.hmm import GaussianHMM
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("hmmlearn", "ml") from None
    return GaussianHMM


def forward_filter(log_emission: FloatArray, start_prob: FloatArray, transmat: FloatArray
                   ) -> FloatArray:
    """Filtered state probabilities P(s_t | x_1..x_t) by the forward algorithm (log space).

    Parameters
    ----------
    log_emission : ndarray of shape (n_obs, n_states)
        log p(x_t | s_t = k).
    start_prob : ndarray of shape (n_states,)
    transmat : ndarray of shape (n_states, n_states)
        Row-stochastic, transmat[i, j] = P(s_{t+1}=j | s_t=i).

    Returns
    -------
    ndarray of shape (n_obs, n_states)
    """
    n, k = log_emission.shape
    out = np.empty((n, k))
    log_a = np.log(np.maximum(transmat, 1e-300))
    log_alpha = np.log(np.maximum(start_prob, 1e-300)) + log_emission[0]
    out[0] = log_alpha - logsumexp(log_alpha)
    for t in range(1, n):
        prior = logsumexp(out[t - 1][:, None] + log_a, axis=0)
        log_alpha = prior + log_emission[t]
        out[t] = log_alpha - logsumexp(log_alpha)
    return np.exp(out)


@dataclass(frozen=True)
class RegimeMoments:
    """Annualised moments of one regime.

    Attributes
    ----------
    mean : Series of shape (n_assets,)
    covariance : DataFrame of shape (n_assets, n_assets)
    volatility : Series of shape (n_assets,)
    correlation : DataFrame
    expected_duration_periods : float
        1 / (1 − P(stay)).
    """

    mean: pd.Series
    covariance: pd.DataFrame
    volatility: pd.Series
    correlation: pd.DataFrame
    expected_duration_periods: float


def regime_conditional_moments(returns: pd.DataFrame, probabilities: pd.DataFrame | FloatArray,
                               periods_per_year: int, transmat: FloatArray | None = None
                               ) -> list[RegimeMoments]:
    """Probability-weighted sample moments of ``returns`` in each regime.

    Useful for assets the HMM was not fitted on (e.g. T-bills): with filtered (causal)
    probabilities p_tk as weights, regime k's mean is Σ_t p_tk x_t / Σ_t p_tk and its
    covariance the weighted sample covariance; annualised.

    Parameters
    ----------
    returns : DataFrame of shape (n_obs, n_assets)
    probabilities : array-like of shape (n_obs, n_regimes)
    periods_per_year : int
    transmat : ndarray, optional
        For the expected durations (NaN without it).
    """
    x = returns.to_numpy(float)
    p = np.asarray(probabilities, float)
    cols = list(returns.columns)
    out = []
    for j in range(p.shape[1]):
        w = p[:, j]
        total = w.sum()
        if total <= 1e-9:
            w = np.full(len(x), 1.0 / len(x))
            total = 1.0
        w = w / total
        mean = w @ x
        dev = x - mean
        denom = 1.0 - np.sum(w ** 2)
        cov = (dev * w[:, None]).T @ dev / (denom if denom > 1e-12 else 1.0)
        cov = cov * periods_per_year
        vol = np.sqrt(np.maximum(np.diag(cov), 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(vol, vol)
        dur = (float(1.0 / max(1.0 - transmat[j, j], 1e-12)) if transmat is not None
               else float("nan"))
        out.append(RegimeMoments(pd.Series(mean * periods_per_year, index=cols),
                                 pd.DataFrame(cov, index=cols, columns=cols),
                                 pd.Series(vol, index=cols),
                                 pd.DataFrame(corr, index=cols, columns=cols), dur))
    return out


def mixture(moments: list[RegimeMoments], probabilities: FloatArray, periods_per_year: int
            ) -> tuple[pd.Series, pd.DataFrame]:
    """Annualised mean and covariance of next period's return under a regime mixture.

    Per period, μ = Σ_k p_k μ_k and Σ = Σ_k p_k (Σ_k + μ_k μ_kᵀ) − μμᵀ (law of total
    variance); both are then annualised (× periods_per_year).
    """
    p = np.asarray(probabilities, float)
    ppy = periods_per_year
    mus = [m.mean.to_numpy() / ppy for m in moments]
    covs = [m.covariance.to_numpy() / ppy for m in moments]
    mu = sum(p[j] * mus[j] for j in range(len(moments)))
    second = sum(p[j] * (covs[j] + np.outer(mus[j], mus[j])) for j in range(len(moments)))
    cov = second - np.outer(mu, mu)
    idx = moments[0].mean.index
    return (pd.Series(mu * ppy, index=idx),
            pd.DataFrame(cov * ppy, index=idx, columns=idx))


class RegimeModel:
    """Gaussian HMM on multivariate returns.

    Parameters
    ----------
    n_regimes : int
    periods_per_year : int
    n_iter : int
        EM iterations.
    n_init : int
        EM restarts (different seeds); the best likelihood is kept.
    random_state : int

    Attributes
    ----------
    transmat_ : ndarray of shape (n_regimes, n_regimes)
    startprob_ : ndarray of shape (n_regimes,)
    means_ : ndarray of shape (n_regimes, n_assets)
        Per-period means.
    covars_ : ndarray of shape (n_regimes, n_assets, n_assets)
        Per-period covariances.
    tickers_ : list of str
    """

    def __init__(self, *, n_regimes: int = 2, periods_per_year: int = 12, n_iter: int = 200,
                 n_init: int = 3, random_state: int = 0) -> None:
        self.n_regimes = n_regimes
        self.periods_per_year = periods_per_year
        self.n_iter = n_iter
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, returns: pd.DataFrame) -> Self:
        """Fit by EM on ``returns`` (per-period decimals, dates × assets).

        Raises
        ------
        ParameterError, InsufficientDataError, MissingDependencyError
        """
        if self.n_regimes < 1:
            raise ParameterError(f"n_regimes must be >= 1. Got {self.n_regimes}.",
                                 field="n_regimes", value=self.n_regimes)
        x = returns.to_numpy(float)
        k, d = self.n_regimes, x.shape[1]
        n_params = k * (d + d * (d + 1) / 2) + k * (k - 1)
        if len(x) < max(3 * n_params / max(d, 1), 24):
            raise InsufficientDataError(
                f"{len(x)} periods are too few for a {k}-regime HMM on {d} assets.",
                field="returns", value=len(x))
        hmm_cls = _gaussian_hmm()
        # EM runs on standardised returns (assets as different as T-bills and stocks would
        # otherwise meet hmmlearn's covariance floor); moments are mapped back afterwards.
        loc, scale = x.mean(axis=0), x.std(axis=0, ddof=0)
        scale = np.where(scale > 0, scale, 1.0)
        z = (x - loc) / scale
        best, best_ll = None, -np.inf
        logger = logging.getLogger("hmmlearn")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            for i in range(self.n_init):
                model = hmm_cls(n_components=k, covariance_type="full", n_iter=self.n_iter,
                                random_state=self.random_state + i, min_covar=1e-4)
                model.fit(z)
                ll = model.score(z)
                if ll > best_ll:
                    best, best_ll = model, ll
        finally:
            logger.setLevel(level)
        order = np.argsort([np.trace(c) for c in best.covars_])
        self.means_ = loc + best.means_[order] * scale
        self.covars_ = best.covars_[order] * np.outer(scale, scale)[None, :, :]
        self.startprob_ = best.startprob_[order]
        self.transmat_ = best.transmat_[np.ix_(order, order)]
        self.log_likelihood_ = float(best_ll - len(x) * np.log(scale).sum())
        self.tickers_ = list(returns.columns)
        return self

    def _log_emission(self, x: FloatArray) -> FloatArray:
        return np.column_stack([
            multivariate_normal(self.means_[j], self.covars_[j], allow_singular=True).logpdf(x)
            .reshape(len(x))
            for j in range(self.n_regimes)
        ])

    def filtered_probabilities(self, returns: pd.DataFrame) -> pd.DataFrame:
        """P(regime at t | returns up to t) for each row of ``returns``."""
        x = returns[self.tickers_].to_numpy(float)
        probs = forward_filter(self._log_emission(x), self.startprob_, self.transmat_)
        return pd.DataFrame(probs, index=returns.index,
                            columns=[f"regime_{j}" for j in range(self.n_regimes)])

    def predicted_probabilities(self, filtered_last: FloatArray) -> FloatArray:
        """P(regime next period | data now) = filtered probabilities × transition matrix."""
        return np.asarray(filtered_last) @ self.transmat_

    def regime_moments(self) -> list[RegimeMoments]:
        """Annualised mean, covariance, volatility, correlation and duration of each regime."""
        out = []
        ppy = self.periods_per_year
        for j in range(self.n_regimes):
            cov = self.covars_[j] * ppy
            vol = np.sqrt(np.diag(cov))
            out.append(RegimeMoments(
                pd.Series(self.means_[j] * ppy, index=self.tickers_),
                pd.DataFrame(cov, index=self.tickers_, columns=self.tickers_),
                pd.Series(vol, index=self.tickers_),
                pd.DataFrame(cov / np.outer(vol, vol), index=self.tickers_,
                             columns=self.tickers_),
                float(1.0 / max(1.0 - self.transmat_[j, j], 1e-12)),
            ))
        return out

    def mixture_moments(self, probabilities: FloatArray) -> tuple[pd.Series, pd.DataFrame]:
        """Annualised mixture mean and covariance of the HMM's own regimes (see
        :func:`mixture`)."""
        return mixture(self.regime_moments(), probabilities, self.periods_per_year)
