"""Run every policy on every household, on common random numbers, and aggregate.

For one household: build each policy's :class:`SimulationSpec` in the profile's market, freeze
one set of monthly return paths long enough for the longest of them
(:func:`tailorfolio.simulate.freeze` of the capital-market-assumption lognormal model, seeded
per household) and replay that same set for every policy. Differences between policies are
therefore paired path by path.

For a population: households are independent draws, so a population mean's standard error is
``sd / sqrt(n_households)`` of the per-household values (this includes each household's own
path noise), and a paired difference's SE is that of the per-household differences.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tailorfolio.errors import TailorfolioError
from tailorfolio.esg import resolve_market
from tailorfolio.market._market import Market
from tailorfolio.personalization._metrics import (
    GAMMA,
    paired_summary,
    path_outcomes,
    policy_summary,
)
from tailorfolio.personalization._policies import (
    BASELINES,
    PERSONALIZED,
    PolicySpec,
    personalized_spec,
)
from tailorfolio.personalization._population import AS_OF
from tailorfolio.profile import InvestorProfile
from tailorfolio.risk import assess_risk
from tailorfolio.simulate import LognormalModel, freeze, simulate
from tailorfolio.simulate._threads import single_threaded_blas

DEFAULT_PATHS = 200
"""Return paths per household."""


@dataclass(frozen=True)
class HouseholdEvaluation:
    """Every policy on one household.

    Attributes
    ----------
    name : str
    horizon_years : int
        Years simulated (until the last goal ends).
    n_paths : int
    ce_shift : float
        The CE's shift F (one year of spending), currency units.
    risk_level : int
        The questionnaire risk level of today's plan (for breakdowns).
    age : int
    values : dict
        ``values[policy][metric] = (value, SE across paths)``.
    differences : dict
        ``differences[baseline][metric] = (personalized − baseline, paired SE across paths)``,
        plus ``ce_log_ratio``.
    seconds : float
        Wall time of the household (plans, freezing and every simulation).
    """

    name: str
    horizon_years: int
    n_paths: int
    ce_shift: float
    risk_level: int
    age: int
    values: dict[str, dict[str, tuple[float, float]]]
    differences: dict[str, dict[str, tuple[float, float]]]
    seconds: float


FORECAST_ERROR_SD = {"equity": 0.010, "real_asset": 0.010, "bond": 0.005, "cash": 0.0025}
"""Standard deviation of a forecast's error by broad class (annual, decimal): half the width of
Vanguard's published VCMM ranges (2 points for stocks, 1 point for bonds; cash half a bond's).
Used by the "forecasts are wrong" world (``forecast_error=True``)."""


def true_market(market: Market, seed: int) -> Market:
    """``market`` with each asset's expected return replaced by a draw around its forecast
    (independent normal errors, :data:`FORECAST_ERROR_SD` by broad class): the market a
    household meets when the forecasts its policies were built on are off by as much as their
    publisher says they may be. Volatilities, correlations and inflation are unchanged."""
    import dataclasses as dc

    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    a = market.assumptions
    sd = np.array([FORECAST_ERROR_SD.get(market.universe[t].broad_class, 0.01)
                   for t in a.expected_return.index])
    mu = a.expected_return + rng.standard_normal(len(sd)) * sd
    return dc.replace(market, assumptions=dc.replace(a, expected_return=mu))


def evaluate_household(profile: InvestorProfile, market: Market, *,
                       personalized: PolicySpec = personalized_spec,
                       baselines: Mapping[str, PolicySpec] = BASELINES,
                       n_paths: int = DEFAULT_PATHS, seed: int = 0, gamma: float = GAMMA,
                       as_of: date | None = None,
                       forecast_error: bool = False) -> HouseholdEvaluation:
    """Evaluate the personalized policy and the baselines on one household.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market
        Resolved as the plan resolves it (``esg.resolve_market``: screened funds added where
        the profile's exclusions empty a class), and used by every policy.
    personalized : callable
        ``(profile, market, as_of) -> SimulationSpec``; the default is the package's adapter.
    baselines : mapping of name to such callables
    n_paths : int
    seed : int
        Seed of this household's frozen return paths.
    gamma : float
    as_of : date, optional
        Defaults to the profile's own date, then the population's date.
    forecast_error : bool
        Simulate in :func:`true_market` (the forecasts the policies used are off) instead of
        in the forecasts themselves; a policy optimized on the raw forecasts then pays for
        trusting them, as it would out of sample.

    Returns
    -------
    HouseholdEvaluation

    Raises
    ------
    TailorfolioError
        When a policy cannot be built for the profile (e.g. an infeasible plan).
    """
    t0 = time.perf_counter()
    market = resolve_market(profile, market)[0]  # the market the plan itself is made in
    as_of = as_of or profile.as_of or AS_OF
    policies: dict[str, PolicySpec] = {PERSONALIZED: personalized, **baselines}
    specs = {name: fn(profile, market, as_of) for name, fn in policies.items()}
    n_steps = max(s.n_steps for s in specs.values())
    world = true_market(market, seed) if forecast_error else market
    model = LognormalModel.from_assumptions(world.assumptions, world.universe)
    replay = freeze(model, n_steps, n_paths, seed)
    outcomes = {name: path_outcomes(simulate(s, replay, seed=seed))
                for name, s in specs.items()}
    shift = max(float(profile.expenses_per_year), 1.0)
    values = {name: policy_summary(o, shift, gamma) for name, o in outcomes.items()}
    diffs = {name: paired_summary(outcomes[PERSONALIZED], outcomes[name], shift, gamma)
             for name in baselines}
    prices = {lot.asset: market.price_of(lot.asset) for a in profile.accounts for lot in a.lots}
    level = assess_risk(profile, as_of=as_of, prices=prices).level
    return HouseholdEvaluation(profile.name, specs[PERSONALIZED].n_years, n_paths, shift,
                               int(level), profile.age, values, diffs,
                               time.perf_counter() - t0)


@dataclass(frozen=True)
class PopulationEvaluation:
    """Every policy on a population of households.

    Attributes
    ----------
    households : tuple of HouseholdEvaluation
    skipped : tuple of (str, str)
        Households that could not be evaluated and why.
    n_paths : int
    seed : int
    seconds : float
    """

    households: tuple[HouseholdEvaluation, ...]
    skipped: tuple[tuple[str, str], ...]
    n_paths: int
    seed: int
    seconds: float
    policies: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.households)

    def _col(self, get: Callable[[HouseholdEvaluation], float]) -> np.ndarray:
        return np.array([get(h) for h in self.households], float)

    def policy_mean(self, policy: str, metric: str) -> tuple[float, float]:
        """Mean over households of a policy's metric, and its SE across households."""
        return _mean_se(self._col(lambda h: h.values[policy][metric][0]))

    def difference_mean(self, baseline: str, metric: str) -> tuple[float, float]:
        """Mean over households of (personalized − baseline), and its paired SE."""
        return _mean_se(self._col(lambda h: h.differences[baseline][metric][0]))

    def ce_gain(self, baseline: str) -> dict[str, float]:
        """Relative CE gain over ``baseline``: mean log ratio (and SE) over households, as a
        percentage ``exp(mean) − 1``, and per year of horizon ``mean(log ratio / years)``."""
        lr = self._col(lambda h: h.differences[baseline]["ce_log_ratio"][0])
        years = self._col(lambda h: h.horizon_years)
        ok = np.isfinite(lr)
        m, se = _mean_se(lr[ok])
        py, py_se = _mean_se(lr[ok] / years[ok])
        better = float(np.mean(lr[ok] > 0)) if ok.any() else float("nan")
        return {"log_ratio": m, "log_ratio_se": se, "percent": float(np.expm1(m)),
                "per_year": float(np.expm1(py)), "per_year_se": py_se,
                "share_better": better, "n": int(ok.sum())}

    def seconds_per_household(self) -> tuple[float, float]:
        """Mean and maximum wall time per household."""
        s = self._col(lambda h: h.seconds)
        return float(s.mean()), float(s.max())


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def household_seed(seed: int, index: int, stream: int = 0) -> int:
    """Seed of household ``index``'s frozen paths (independent of the population size);
    ``stream`` 0 is the synthetic population, 1 the bundled investors."""
    return int(np.random.SeedSequence([seed, stream, index]).generate_state(1)[0])


def _one(args: tuple[InvestorProfile, Market, int, int, float, PolicySpec, bool]
         ) -> HouseholdEvaluation | tuple[str, str]:
    profile, market, n_paths, seed, gamma, personalized, forecast_error = args
    try:
        with single_threaded_blas():
            return evaluate_household(profile, market, personalized=personalized,
                                      n_paths=n_paths, seed=seed, gamma=gamma,
                                      forecast_error=forecast_error)
    except TailorfolioError as exc:
        return (profile.name, f"{type(exc).__name__}: {exc}")


def evaluate_population(profiles: Iterable[InvestorProfile], market: Market, *,
                        personalized: PolicySpec = personalized_spec,
                        n_paths: int = DEFAULT_PATHS, seed: int = 0, gamma: float = GAMMA,
                        jobs: int = 1,
                        progress: Callable[[int, int], None] | None = None,
                        forecast_error: bool = False) -> PopulationEvaluation:
    """Evaluate the adapter and the baselines on every profile.

    Parameters
    ----------
    profiles : iterable of InvestorProfile
    market : Market
    personalized : callable
        The adapter (a module-level function, so that worker processes can receive it).
    n_paths : int
    seed : int
        Household ``i`` replays the paths seeded by :func:`household_seed` (seed, i).
    gamma : float
    jobs : int
        Worker processes (1: in this process).
    progress : callable, optional
        Called with (done, total) after each household.
    forecast_error : bool
        See :func:`evaluate_household`.

    Returns
    -------
    PopulationEvaluation
    """
    t0 = time.perf_counter()
    profiles = list(profiles)
    tasks = [(p, market, n_paths, household_seed(seed, i), gamma, personalized,
              forecast_error) for i, p in enumerate(profiles)]
    done: list[HouseholdEvaluation | tuple[str, str]] = []
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            for r in pool.map(_one, tasks, chunksize=4):
                done.append(r)
                if progress:
                    progress(len(done), len(tasks))
    else:
        for task in tasks:
            done.append(_one(task))
            if progress:
                progress(len(done), len(tasks))
    ok = tuple(r for r in done if isinstance(r, HouseholdEvaluation))
    skipped = tuple(r for r in done if not isinstance(r, HouseholdEvaluation))
    names = (PERSONALIZED, *BASELINES)
    return PopulationEvaluation(ok, skipped, n_paths, seed, time.perf_counter() - t0, names)

