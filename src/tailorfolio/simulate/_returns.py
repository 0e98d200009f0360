"""Return models for the Monte Carlo engine: each produces monthly log returns and inflation.

A return model is an immutable description (parameters, history); ``model.sampler(rng,
n_paths)`` starts a stateful sampler for one chunk of paths whose ``next(n_steps)`` returns the
next ``n_steps`` months for every path:

* ``log_returns`` — ndarray (n_steps, n_paths, n_assets): monthly log total returns, gross of
  fund fees (the engine deducts expense ratios and the advisory fee);
* ``log_inflation`` — ndarray (n_steps, n_paths): monthly log change of the price level.

Four models:

* :class:`LognormalModel` — multivariate lognormal from capital-market assumptions, with
  stochastic inflation correlated with the assets;
* :class:`BootstrapModel` — stationary block bootstrap (Politis & Romano 1994) of a history;
* :class:`HistoricalWindowsModel` — sequential historical windows, one path per start year
  (the Bengen / Trinity method);
* :class:`RegimeSwitchingModel` — Markov regime switching with explicit per-regime parameters
  (:class:`RegimeParameters`, which a hidden-Markov fit can fill).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError, ParameterError
from tailorfolio.estimate._psd import nearest_correlation, repair_covariance
from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._universe import Universe
from tailorfolio.simulate._core import GaussianFactors
from tailorfolio.simulate._threads import single_threaded_blas
from tailorfolio.typing import FloatArray, IntArray

MONTHS_PER_YEAR = 12

# Correlation of each asset class's annual return with annual US CPI inflation, from the
# project's table of Damodaran's US annual returns 1928–2024 (datasets.us_annual_returns):
# S&P 500 +0.01, small caps 0.00, 3-month bills +0.38, 10-year Treasuries -0.11, Baa corporates
# -0.13, gold +0.29. REITs use the equity figure (the table's real-estate column is house
# prices, not REITs); TIPS, whose principal is indexed to CPI and which have no long series,
# use the bills figure (an assumption, stated in the README).
INFLATION_CORRELATION_BY_CLASS: dict[str, float] = {
    "us_equity": 0.01, "us_small_cap_equity": 0.0, "developed_ex_us_equity": 0.01,
    "emerging_equity": 0.01, "us_reit": 0.01, "commodities": 0.29,
    "us_aggregate_bond": -0.11, "us_treasury_short": 0.38, "us_treasury_intermediate": -0.11,
    "us_tips": 0.38, "us_ig_credit": -0.13, "us_high_yield": -0.13, "us_municipal": -0.11,
    "global_ex_us_bond": -0.11, "em_sovereign_bond": -0.13, "us_cash": 0.38,
}
INFLATION_CORRELATION_BY_BROAD_CLASS: dict[str, float] = {
    "equity": 0.01, "bond": -0.11, "real_asset": 0.29, "cash": 0.38,
}
"""Fallback by broad class for asset classes not listed above (same source)."""


class ReturnSampler(Protocol):
    """A stateful stream of monthly returns for one chunk of paths."""

    n_paths: int

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        """The next ``n_steps`` months: (log_returns (s, p, n), log_inflation (s, p))."""
        ...


class ReturnModel(Protocol):
    """An immutable return model (see the module docstring)."""

    tickers: tuple[str, ...]
    name: str

    def sampler(self, rng: np.random.Generator, n_paths: int) -> ReturnSampler:
        ...

    def fixed_n_paths(self, n_steps: int) -> int | None:
        """Number of paths the model imposes for a horizon (historical windows), else None."""
        ...


def _lognormal_monthly(expected_return: FloatArray, covariance: FloatArray
                       ) -> tuple[FloatArray, FloatArray]:
    """Monthly log-return mean and covariance matching annual arithmetic moments.

    With annual gross return ``exp(Y)``, ``Y ~ N(m, S)``: ``E = exp(m + S_ii/2) = 1 + mu_i`` and
    ``Cov = E_i E_j (exp(S_ij) - 1)``, so ``S_ij = ln(1 + cov_ij / ((1+mu_i)(1+mu_j)))`` and
    ``m_i = ln(1 + mu_i) - S_ii / 2``; a random walk in logs gives monthly ``m/12``, ``S/12``.
    """
    gross = 1.0 + expected_return
    s = np.log1p(covariance / np.outer(gross, gross))
    m = np.log(gross) - np.diag(s) / 2
    return m / MONTHS_PER_YEAR, s / MONTHS_PER_YEAR


@dataclass(frozen=True)
class LognormalModel:
    """Multivariate lognormal monthly returns with correlated stochastic inflation.

    Parameters
    ----------
    tickers : tuple of str
    monthly_log_mean : ndarray (n_assets + 1,)
        Mean monthly log return of each asset, then of the price level (last entry).
    monthly_log_cov : ndarray (n_assets + 1, n_assets + 1)
        Covariance of the monthly log changes (assets then inflation), positive definite.
    name : str
    """

    tickers: tuple[str, ...]
    monthly_log_mean: FloatArray
    monthly_log_cov: FloatArray
    name: str = "lognormal"
    _upper: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.tickers) + 1
        if self.monthly_log_mean.shape != (n,) or self.monthly_log_cov.shape != (n, n):
            raise ParameterError(
                f"LognormalModel needs a mean of shape ({n},) and a covariance ({n}, {n}) "
                f"(assets then inflation); got {self.monthly_log_mean.shape} and "
                f"{self.monthly_log_cov.shape}.", field="monthly_log_cov",
                fix="append the inflation row/column after the assets")
        try:
            chol = np.linalg.cholesky(self.monthly_log_cov)
        except np.linalg.LinAlgError:
            raise ParameterError(
                "The covariance of monthly log returns and inflation is not positive definite.",
                field="monthly_log_cov", expected="symmetric positive definite",
                fix="repair it with tailorfolio.estimate.repair_covariance") from None
        object.__setattr__(self, "_upper", np.ascontiguousarray(chol.T))

    @classmethod
    def from_assumptions(cls, assumptions: CapitalMarketAssumptions,
                         universe: Universe | None = None, *,
                         inflation_correlation: pd.Series | None = None) -> LognormalModel:
        """Build from capital-market assumptions (annual arithmetic means, vols, correlations).

        Parameters
        ----------
        assumptions : CapitalMarketAssumptions
            Also supplies expected inflation and its volatility.
        universe : Universe, optional
            Used for the default asset–inflation correlations by asset class
            (:data:`INFLATION_CORRELATION_BY_CLASS`); without it they are zero.
        inflation_correlation : pandas.Series, optional
            Correlation of each ticker's annual return with inflation; overrides the defaults.

        Notes
        -----
        Each asset's annual gross return is lognormal with exactly the stated arithmetic mean
        and volatility; the log-space correlation matrix including inflation is repaired to the
        nearest positive-definite one if the stated correlations are inconsistent.
        """
        tickers = assumptions.tickers
        mu = assumptions.expected_return.to_numpy(float)
        vol = assumptions.volatility.to_numpy(float)
        if inflation_correlation is None:
            rho_pi = np.zeros(len(tickers))
            if universe is not None:
                for i, t in enumerate(tickers):
                    a = universe[t]
                    rho_pi[i] = INFLATION_CORRELATION_BY_CLASS.get(
                        a.asset_class, INFLATION_CORRELATION_BY_BROAD_CLASS.get(a.broad_class,
                                                                                0.0))
        else:
            rho_pi = inflation_correlation.reindex(tickers).fillna(0.0).to_numpy(float)
        corr = np.eye(len(tickers) + 1)
        corr[:-1, :-1] = assumptions.correlation.to_numpy(float)
        corr[-1, :-1] = corr[:-1, -1] = rho_pi
        corr, _ = nearest_correlation(corr)
        mean_all = np.append(mu, assumptions.inflation)
        vol_all = np.append(vol, max(assumptions.inflation_volatility, 1e-6))
        m, s = _lognormal_monthly(mean_all, corr * np.outer(vol_all, vol_all))
        s, _ = repair_covariance(s)  # the log transform can cost a tiny eigenvalue
        return cls(tuple(tickers), m, s)

    def fixed_n_paths(self, n_steps: int) -> int | None:
        return None

    def factors(self) -> GaussianFactors:
        """The model as Gaussian factors: the upper Cholesky factor of the covariance (the
        simulator core's fast path, :class:`tailorfolio.simulate._core.GrowthStream`)."""
        return GaussianFactors(self.monthly_log_mean, self._upper)

    def sampler(self, rng: np.random.Generator, n_paths: int) -> _LognormalSampler:
        return _LognormalSampler(self, rng, n_paths)


class _LognormalSampler:
    def __init__(self, model: LognormalModel, rng: np.random.Generator, n_paths: int):
        self.model, self.rng, self.n_paths = model, rng, n_paths

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        m = self.model
        k = len(m.monthly_log_mean)
        z = self.rng.standard_normal((n_steps * self.n_paths, k))
        x = z @ m._upper  # one matrix product for the whole block
        x += m.monthly_log_mean
        x = x.reshape(n_steps, self.n_paths, k)
        return x[..., :-1], x[..., -1]


def _check_history(log_returns: FloatArray, log_inflation: FloatArray, tickers: tuple[str, ...],
                   what: str) -> None:
    if log_returns.ndim != 2 or log_returns.shape[1] != len(tickers):
        raise DataError(f"{what}: history must have shape (n_periods, {len(tickers)}); got "
                        f"{log_returns.shape}.", field="history", value=log_returns.shape)
    if log_inflation.shape != (log_returns.shape[0],):
        raise DataError(f"{what}: inflation history must have one value per period.",
                        field="inflation", value=log_inflation.shape)
    if not (np.isfinite(log_returns).all() and np.isfinite(log_inflation).all()):
        raise DataError(f"{what}: history contains NaN or infinite values (or returns <= -100 %).",
                        field="history", fix="drop or fill the missing periods")


@dataclass(frozen=True)
class BootstrapModel:
    """Stationary block bootstrap of a history (Politis & Romano 1994, JASA 89:1303–1313).

    Each path starts at a uniformly drawn period; at every new period it continues with the
    next historical period (circularly) with probability ``1 - 1/mean_block_length`` or jumps to
    a uniformly drawn period otherwise, so block lengths are geometric with the given mean and
    cross-asset and asset–inflation dependence within a period is kept.

    Parameters
    ----------
    tickers : tuple of str
    log_returns : ndarray (n_periods, n_assets)
        Historical log total returns per period.
    log_inflation : ndarray (n_periods,)
        Historical log inflation per period.
    periods_per_year : int
        1 (annual history: each period is spread evenly over 12 months) or 12 (monthly).
    mean_block_length : float
        Mean block length in periods (>= 1).
    """

    tickers: tuple[str, ...]
    log_returns: FloatArray
    log_inflation: FloatArray
    periods_per_year: int = 1
    mean_block_length: float = 5.0
    name: str = "bootstrap"

    def __post_init__(self) -> None:
        _check_history(self.log_returns, self.log_inflation, self.tickers, "BootstrapModel")
        if self.periods_per_year not in (1, 12):
            raise ParameterError("periods_per_year must be 1 (annual) or 12 (monthly).",
                                 field="periods_per_year", value=self.periods_per_year)
        if self.mean_block_length < 1:
            raise ParameterError("mean_block_length must be >= 1 period.",
                                 field="mean_block_length", value=self.mean_block_length)

    def fixed_n_paths(self, n_steps: int) -> int | None:
        return None

    def sampler(self, rng: np.random.Generator, n_paths: int) -> _BootstrapSampler:
        return _BootstrapSampler(self, rng, n_paths)


class _BootstrapSampler:
    def __init__(self, model: BootstrapModel, rng: np.random.Generator, n_paths: int):
        self.model, self.rng, self.n_paths = model, rng, n_paths
        self.months_per_period = MONTHS_PER_YEAR // model.periods_per_year
        self.n_periods = model.log_returns.shape[0]
        self.pos: IntArray = rng.integers(0, self.n_periods, n_paths)
        self.month = 0  # month within the current period (all paths aligned)
        self.per_month_r = model.log_returns / self.months_per_period
        self.per_month_i = model.log_inflation / self.months_per_period

    def _advance(self) -> None:
        jump = self.rng.random(self.n_paths) < 1.0 / self.model.mean_block_length
        self.pos = np.where(jump, self.rng.integers(0, self.n_periods, self.n_paths),
                            (self.pos + 1) % self.n_periods)

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        idx = np.empty((n_steps, self.n_paths), dtype=np.int64)
        for s in range(n_steps):
            if self.month == self.months_per_period:
                self._advance()
                self.month = 0
            idx[s] = self.pos
            self.month += 1
        return self.per_month_r[idx], self.per_month_i[idx]


@dataclass(frozen=True)
class HistoricalWindowsModel:
    """Sequential historical windows: path ``k`` replays the history from period ``k`` on.

    This is the rolling-period method of Bengen (1994) and the Trinity study (Cooley, Hubbard,
    Walz 1998): every overlapping window of the record that fits the horizon is one path, in
    chronological order. With ``wrap=True`` windows running past the end continue from the
    start (circular), so every period starts a path.

    Parameters
    ----------
    tickers : tuple of str
    log_returns : ndarray (n_periods, n_assets)
    log_inflation : ndarray (n_periods,)
    periods_per_year : int
        1 or 12, as for :class:`BootstrapModel`.
    start_labels : tuple, optional
        Label of each period (e.g. calendar years), to name the windows.
    wrap : bool
    """

    tickers: tuple[str, ...]
    log_returns: FloatArray
    log_inflation: FloatArray
    periods_per_year: int = 1
    start_labels: tuple[object, ...] = ()
    wrap: bool = False
    name: str = "historical"

    def __post_init__(self) -> None:
        _check_history(self.log_returns, self.log_inflation, self.tickers,
                       "HistoricalWindowsModel")
        if self.periods_per_year not in (1, 12):
            raise ParameterError("periods_per_year must be 1 (annual) or 12 (monthly).",
                                 field="periods_per_year", value=self.periods_per_year)

    def periods_needed(self, n_steps: int) -> int:
        months_per_period = MONTHS_PER_YEAR // self.periods_per_year
        return -(-n_steps // months_per_period)

    def fixed_n_paths(self, n_steps: int) -> int | None:
        n_periods = self.log_returns.shape[0]
        need = self.periods_needed(n_steps)
        if self.wrap:
            return n_periods
        if need > n_periods:
            raise DataError(
                f"The horizon needs {need} periods of history but the record has {n_periods}.",
                field="horizon", value=need, expected=f"<= {n_periods} periods",
                fix="shorten the horizon, use wrap=True, or use the bootstrap model")
        return n_periods - need + 1

    def window_starts(self, n_steps: int) -> list[object]:
        """Label of each window's first period, in path order."""
        n = self.fixed_n_paths(n_steps) or 0
        labels = self.start_labels or tuple(range(self.log_returns.shape[0]))
        return list(labels[:n])

    def sampler(self, rng: np.random.Generator, n_paths: int,
                first_path: int = 0) -> _WindowsSampler:
        return _WindowsSampler(self, n_paths, first_path)


class _WindowsSampler:
    def __init__(self, model: HistoricalWindowsModel, n_paths: int, first_path: int):
        self.model, self.n_paths = model, n_paths
        self.months_per_period = MONTHS_PER_YEAR // model.periods_per_year
        self.n_periods = model.log_returns.shape[0]
        self.start = np.arange(first_path, first_path + n_paths)
        self.t = 0

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        period = (self.t + np.arange(n_steps)) // self.months_per_period
        idx = (period[:, None] + self.start[None, :]) % self.n_periods
        self.t += n_steps
        m = self.model
        return (m.log_returns[idx] / self.months_per_period,
                m.log_inflation[idx] / self.months_per_period)


@dataclass(frozen=True)
class RegimeParameters:
    """Explicit parameters of a Markov regime-switching model of monthly log returns.

    This is the object a hidden-Markov fit fills: one Gaussian per regime for the monthly log
    returns of the assets *and* the log change of the price level, and a monthly transition
    matrix.

    Attributes
    ----------
    tickers : tuple of str
    regime_names : tuple of str
        e.g. ("calm", "stress").
    monthly_log_mean : ndarray (n_regimes, n_assets + 1)
        Per-regime mean monthly log return of each asset, then of the price level.
    monthly_log_cov : ndarray (n_regimes, n_assets + 1, n_assets + 1)
        Per-regime covariance (assets then inflation), each positive definite.
    transition : ndarray (n_regimes, n_regimes)
        Monthly transition probabilities, rows sum to 1 (``transition[i, j]`` = P(j next | i)).
    initial : ndarray (n_regimes,), optional
        Probabilities of the regime in the first month; default the stationary distribution.
    """

    tickers: tuple[str, ...]
    regime_names: tuple[str, ...]
    monthly_log_mean: FloatArray
    monthly_log_cov: FloatArray
    transition: FloatArray
    initial: FloatArray | None = None

    def __post_init__(self) -> None:
        k, n = len(self.regime_names), len(self.tickers) + 1
        shapes = {"monthly_log_mean": (self.monthly_log_mean.shape, (k, n)),
                  "monthly_log_cov": (self.monthly_log_cov.shape, (k, n, n)),
                  "transition": (self.transition.shape, (k, k))}
        for name, (got, want) in shapes.items():
            if got != want:
                raise ParameterError(f"RegimeParameters.{name} has shape {got}; expected {want} "
                                     "(regimes × assets-then-inflation).", field=name,
                                     value=got, expected=str(want))
        t = self.transition
        if (t < 0).any() or not np.allclose(t.sum(axis=1), 1.0, atol=1e-10):
            raise ParameterError("Each row of the transition matrix must be probabilities "
                                 "summing to 1.", field="transition", value=t.tolist())
        for r in range(k):
            try:
                np.linalg.cholesky(self.monthly_log_cov[r])
            except np.linalg.LinAlgError:
                raise ParameterError(
                    f"The covariance of regime {self.regime_names[r]!r} is not positive "
                    "definite.", field=f"monthly_log_cov[{r}]",
                    fix="repair it with tailorfolio.estimate.repair_covariance") from None

    @property
    def stationary(self) -> FloatArray:
        """Stationary distribution of the regime chain, ndarray (n_regimes,)."""
        vals, vecs = np.linalg.eig(self.transition.T)
        v = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
        return v / v.sum()

    @classmethod
    def stylised_two_state(cls, assumptions: CapitalMarketAssumptions,
                           universe: Universe | None = None, *, p_stay_calm: float = 0.98,
                           p_stay_stress: float = 0.90, stress_vol_multiple: float = 2.0,
                           stress_mean_shift_sd: float = 1.0,
                           stress_correlation_pull: float = 0.3) -> RegimeParameters:
        """A calm/stress pair whose mixture reproduces the lognormal model's moments.

        The stress regime's mean is lower along the market factor (``stress_mean_shift_sd``
        monthly standard deviations of the equal-weighted market, scaled by each asset's
        beta), volatilities are ``stress_vol_multiple`` times the calm ones and correlations are
        pulled toward +1 by ``stress_correlation_pull`` (bear markets are more volatile and
        more correlated: Ang & Bekaert 2002, 2004). The calm regime's mean and covariance are
        then solved so that the stationary mixture has exactly the monthly log mean and
        covariance of :meth:`LognormalModel.from_assumptions`. These are illustrative
        defaults for ``--model regime`` until a fitted model supplies its own parameters.
        """
        base = LognormalModel.from_assumptions(assumptions, universe)
        m, s = base.monthly_log_mean, base.monthly_log_cov
        trans = np.array([[p_stay_calm, 1 - p_stay_calm], [1 - p_stay_stress, p_stay_stress]])
        pi_s = (1 - p_stay_calm) / (2 - p_stay_calm - p_stay_stress)
        pi_c = 1 - pi_s
        sd = np.sqrt(np.diag(s))
        # The stress regime's mean is lower along the market factor (equal-weighted assets):
        # asset i shifts by shift × cov(r_i, r_m) / sd(r_m), so equities fall most, bonds
        # little, and the mixture covariance stays positive definite: πc πs d' S⁻¹ d equals
        # shift² πs / πc, below 1 for shifts up to about 2 sd.
        w_m = np.append(np.full(len(base.tickers), 1 / len(base.tickers)), 0.0)
        beta_sd = s @ w_m / np.sqrt(w_m @ s @ w_m)
        d = stress_mean_shift_sd * beta_sd / pi_c
        m_s = m - pi_c * d
        m_c = m + pi_s * d
        corr = s / np.outer(sd, sd)
        corr_s = np.where(corr > 0, corr + stress_correlation_pull * (1 - corr), corr)
        np.fill_diagonal(corr_s, 1.0)
        corr_s, _ = nearest_correlation(corr_s)
        # Mixture covariance: pi_c S_c + pi_s S_s + pi_c pi_s d d' = S, with S_s = k² D C_s D.
        c_mat = np.outer(sd, sd) * corr_s
        target = s - pi_c * pi_s * np.outer(d, d)
        # Calm covariance = (target - pi_s k² c_mat)/pi_c with calm vol = stress vol / multiple:
        # solve the scale k² so that diag(S_s) = multiple² diag(S_c).
        mult2 = stress_vol_multiple**2
        k2 = mult2 * np.diag(target) / (np.diag(c_mat) * (pi_c + pi_s * mult2))
        k2 = float(np.min(k2))
        s_s = k2 * c_mat
        s_c = (target - pi_s * s_s) / pi_c
        # The default universe's correlation table is nearly singular; where subtracting the
        # stress covariance leaves a (tiny) negative eigenvalue, clip it (repair_covariance):
        # the mixture then matches the lognormal moments except in those null directions.
        s_c, _ = repair_covariance(s_c)
        return cls(base.tickers, ("calm", "stress"), np.vstack([m_c, m_s]),
                   np.stack([s_c, s_s]), trans)


@dataclass(frozen=True)
class RegimeSwitchingModel:
    """Markov regime switching: each month the regime moves by the transition matrix and the
    month's log returns and inflation are drawn from that regime's Gaussian.

    Parameters
    ----------
    params : RegimeParameters
    """

    params: RegimeParameters
    name: str = "regime"

    @property
    def tickers(self) -> tuple[str, ...]:
        return self.params.tickers

    def fixed_n_paths(self, n_steps: int) -> int | None:
        return None

    def sampler(self, rng: np.random.Generator, n_paths: int) -> _RegimeSampler:
        return _RegimeSampler(self.params, rng, n_paths)


class _RegimeSampler:
    def __init__(self, params: RegimeParameters, rng: np.random.Generator, n_paths: int):
        self.p, self.rng, self.n_paths = params, rng, n_paths
        init = params.initial if params.initial is not None else params.stationary
        self.cum_init = np.cumsum(init)
        self.cum_trans = np.cumsum(params.transition, axis=1)
        self.upper = np.stack([np.linalg.cholesky(c).T for c in params.monthly_log_cov])
        self.state: IntArray | None = None

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        p, rng = self.p, self.rng
        n = len(p.tickers) + 1
        out = np.empty((n_steps, self.n_paths, n))
        states = np.empty((n_steps, self.n_paths), dtype=np.int64)
        for s in range(n_steps):
            u = rng.random(self.n_paths)
            if self.state is None:
                st = np.searchsorted(self.cum_init, u, side="right")
            else:
                st = (u[:, None] >= self.cum_trans[self.state]).sum(axis=1)
            self.state = np.minimum(st, len(p.regime_names) - 1)
            states[s] = self.state
        z = rng.standard_normal((n_steps, self.n_paths, n))
        for r in range(len(p.regime_names)):
            mask = states == r
            out[mask] = z[mask] @ self.upper[r] + p.monthly_log_mean[r]
        return out[..., :-1], out[..., -1]


SEGMENT_PRODUCT_VALUES = 1 << 23
"""Growth factors a :class:`ReplayModel` keeps as products of several months, per fee
vector (64 MB of float64)."""


@dataclass(frozen=True)
class ReplayModel:
    """Stored draws of another model, replayed identically on every simulation.

    Used for common random numbers: comparing allocations or searching a lever on exactly the
    same market paths makes the comparison exact up to the policy and the search monotone.
    Build it with :func:`freeze`.

    Attributes
    ----------
    tickers : tuple of str
    log_returns : ndarray (n_steps, n_paths, n_assets), float32
    log_inflation : ndarray (n_steps, n_paths), float32
    name : str
        Months a simulation asks for beyond ``n_steps`` are drawn then when :func:`freeze` was
        given a ``max_steps`` (the arrays grow; the numbers are those of one draw of all).
    """

    tickers: tuple[str, ...]
    log_returns: np.ndarray
    log_inflation: np.ndarray
    name: str = "replay"
    _growth: dict[bytes, FloatArray] = field(default_factory=dict, init=False, repr=False,
                                             compare=False)
    _products: dict[bytes, dict[tuple[int, int, int, int], FloatArray]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _more: _MoreMonths | None = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                  compare=False)
    """Held while months are drawn or the monthly growth is computed: simulations on helper
    threads (:mod:`tailorfolio.simulate._concurrent`) replay the same store, and its sampler
    must draw each month once."""

    def _cover(self, n_steps: int) -> None:
        """Draw the months up to ``n_steps`` still owed by :func:`freeze` (``max_steps``)."""
        if self._more is None or n_steps <= self.log_returns.shape[0]:
            return
        with self._lock:
            more = self._more
            have = self.log_returns.shape[0]
            if more is None or n_steps <= have:
                return
            r, i = more.draw(have, n_steps)
            object.__setattr__(self, "log_returns", np.concatenate([self.log_returns, r]))
            object.__setattr__(self, "log_inflation", np.concatenate([self.log_inflation, i]))
            self._growth.clear()  # computed for fewer months
            self._products.clear()

    def monthly_growth(self, log_fee: FloatArray) -> FloatArray:
        """The stored months as gross growth factors net of ``log_fee``, asset-major.

        Entry ``[t, i, path]`` is ``exp(log return + log_fee)`` of asset ``i`` over month
        ``t`` (the last ``i``: ``exp(log inflation)``). Computed once per fee vector and kept,
        read-only: the lever and choice searches replay the same paths under the same fees
        dozens of times, and each replay then only reads it.

        Parameters
        ----------
        log_fee : ndarray (n_assets,)
            Log of each asset's monthly fee multiplier.

        Returns
        -------
        ndarray (n_steps, n_assets + 1, n_paths), float64, read-only
        """
        fee = np.ascontiguousarray(log_fee, dtype=float)
        key = fee.tobytes()
        cached = self._growth.get(key)
        if cached is not None:
            return cached
        with self._lock:
            return self._monthly_growth_locked(fee, key)

    def _monthly_growth_locked(self, fee: FloatArray, key: bytes) -> FloatArray:
        cached = self._growth.get(key)
        if cached is None:
            n_steps, n_paths, n_assets = self.log_returns.shape
            out = np.empty((n_steps, n_assets + 1, n_paths))
            np.add(self.log_returns.transpose(0, 2, 1), fee[None, :, None],
                   out=out[:, :n_assets])
            out[:, n_assets] = self.log_inflation
            np.exp(out, out=out)
            out.flags.writeable = False
            if len(self._growth) >= 2:  # a few fee vectors at most; bound the memory
                self._growth.clear()
                self._products.clear()
            cached = self._growth[key] = out
        return cached

    def segment_products(self, log_fee: FloatArray) -> dict[tuple[int, int, int, int],
                                                              FloatArray]:
        """The products of stored months already computed under ``log_fee`` (the
        simulator core fills it): ``(first month, months, first path, paths)`` to the
        read-only growth ``(n_assets + 1, paths)`` over those months. Emptied with the
        monthly growth, and when it holds more than :data:`SEGMENT_PRODUCT_VALUES` numbers."""
        key = np.ascontiguousarray(log_fee, dtype=float).tobytes()
        products = self._products.setdefault(key, {})
        # list(): one atomic copy, as simulations on helper threads may add products meanwhile
        if sum(g.size for g in list(products.values())) > SEGMENT_PRODUCT_VALUES:
            products.clear()
        return products

    def fixed_n_paths(self, n_steps: int) -> int | None:
        self._cover(n_steps)
        if n_steps > self.log_returns.shape[0]:
            raise ParameterError(
                f"The stored draws cover {self.log_returns.shape[0]} months; {n_steps} needed.",
                field="n_steps", value=n_steps, fix="freeze the model for the longer horizon")
        return int(self.log_returns.shape[1])

    def sampler(self, rng: np.random.Generator, n_paths: int,
                first_path: int = 0) -> _ReplaySampler:
        return _ReplaySampler(self, n_paths, first_path)


class _ReplaySampler:
    def __init__(self, model: ReplayModel, n_paths: int, first_path: int):
        self.m, self.n_paths, self.t = model, n_paths, 0
        self.cols = slice(first_path, first_path + n_paths)

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        rows = slice(self.t, self.t + n_steps)
        self.t += n_steps
        return (self.m.log_returns[rows, self.cols].astype(np.float64),
                self.m.log_inflation[rows, self.cols].astype(np.float64))


FREEZE_BLOCK_VALUES = 1 << 18
"""Normal draws per block when :func:`freeze` draws a lognormal model (2 MB of float64 per
temporary): the draws, their correlation product and the cast to float32 then run on
cache-sized blocks instead of three arrays of the whole (n_steps · n_paths · n_assets)."""


class _MoreMonths:
    """The months of a frozen lognormal model not drawn yet: its sampler, left where the last
    block stopped, draws them block after block on the same schedule as one draw of all
    ``max_steps`` months would (:func:`freeze`), so the stored numbers are the same bit for
    bit whether a month was drawn at once or on demand."""

    def __init__(self, sampler: _LognormalSampler, n_paths: int, k: int, block: int,
                 max_steps: int):
        self.sampler, self.n_paths, self.k = sampler, n_paths, k
        self.block, self.max_steps = block, max_steps

    def whole_blocks(self, n_steps: int) -> int:
        """``n_steps`` rounded up to the end of its block (at most ``max_steps``)."""
        return min(-(-n_steps // self.block) * self.block, self.max_steps)

    def draw(self, have: int, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Months ``have`` (a block's start) to the end of the block holding month
        ``n_steps − 1``, float32: (months, n_paths, k) returns and (months, n_paths)
        inflation."""
        stop_all = self.whole_blocks(n_steps)
        r = np.empty((stop_all - have, self.n_paths, self.k), np.float32)
        i = np.empty((stop_all - have, self.n_paths), np.float32)
        with single_threaded_blas():
            for start in range(have, stop_all, self.block):
                stop = min(start + self.block, stop_all)
                r[start - have:stop - have], i[start - have:stop - have] = \
                    self.sampler.next(stop - start)
        return r, i


def freeze(model: ReturnModel, n_steps: int, n_paths: int, seed: int = 0, *,
           max_steps: int | None = None) -> ReplayModel:
    """Draw ``n_steps`` months of ``n_paths`` paths from ``model`` once and store them
    (float32: 4 bytes per asset-month-path).

    A :class:`LognormalModel` is drawn in blocks of months straight into the float32 store:
    its sampler draws its normals month-block after month-block from one generator, so the
    blocks are the very numbers one call for all months would draw (the same stream, the same
    products row by row, the same rounding to float32) at a fraction of the memory traffic.

    ``max_steps`` (> ``n_steps``): the store may be asked for up to that many months (a
    plan's lever search postpones goals by years); a lognormal model then draws only the
    blocks covering ``n_steps`` now and the rest when a simulation first needs them — the
    same numbers as drawing all ``max_steps`` months at once, without drawing the months no
    simulation reads. Other models draw all ``max_steps`` months now.
    """
    total = max(n_steps, max_steps or n_steps)
    fixed = model.fixed_n_paths(total)
    n_paths = fixed if fixed is not None else n_paths
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if fixed is not None:
        sampler = model.sampler(rng, n_paths, first_path=0)
    else:
        sampler = model.sampler(rng, n_paths)
    if isinstance(sampler, _LognormalSampler):
        k = len(model.tickers)
        block = max(1, FREEZE_BLOCK_VALUES // max(1, n_paths * (k + 1)))
        more = _MoreMonths(sampler, n_paths, k, block, total)
        r, i = more.draw(0, n_steps)
        return ReplayModel(tuple(model.tickers), r, i, name=f"{model.name} (replayed)",
                           _more=more if more.whole_blocks(n_steps) < total else None)
    with single_threaded_blas():
        r64, i64 = sampler.next(total)
    r, i = r64.astype(np.float32), i64.astype(np.float32)
    return ReplayModel(tuple(model.tickers), r, i, name=f"{model.name} (replayed)")
