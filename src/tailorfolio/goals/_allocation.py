"""Goal-based choice of the risk level: simulate every frontier portfolio within the investor's
risk ceiling on the same market paths and pick

* the one with the highest importance-weighted probability of meeting the goals, or
* the one with the best average of the 5th–50th percentile outcomes (the rule Betterment
  describes for its goal-based advice: it favours the bad-to-typical outcomes over the upside).

The outcome for the percentile rule is, per path, the importance-weighted share of the goals'
needs that was paid (income goals count every year paid); ties (common when every goal is
certain) go to the higher 5th–50th percentile average of final real wealth, then to the lower
volatility. Wealth alone would not do: when an income goal runs the money down to zero on most
paths, every percentile up to the median is zero for every candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from tailorfolio.goals._from_profile import SimulationOptions, spec_from_profile
from tailorfolio.goals._outcomes import weighted_success
from tailorfolio.market._market import Market
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.simulate._engine import simulate
from tailorfolio.simulate._result import SimulationResult
from tailorfolio.simulate._returns import ReturnModel
from tailorfolio.typing import FloatArray

PERCENTILE_BAND = (5, 50)
"""Percentiles averaged by the percentile rule (inclusive, every whole percentile)."""


@dataclass(frozen=True)
class AllocationCandidate:
    """One frontier portfolio, simulated.

    Attributes
    ----------
    volatility, expected_return : float
        Annual, arithmetic, nominal.
    weights : dict of str to float
    weighted_success : float
        Importance-weighted mean probability of the goals.
    goal_probabilities : tuple of float
        Per goal, profile order.
    band_mean_funded : float
        Mean of the 5th…50th percentiles of the importance-weighted funded share.
    band_mean_real : float
        Mean of the 5th…50th percentiles of final real wealth.
    """

    volatility: float
    expected_return: float
    weights: dict[str, float]
    weighted_success: float
    goal_probabilities: tuple[float, ...]
    band_mean_funded: float
    band_mean_real: float


@dataclass(frozen=True)
class GoalBasedAllocation:
    """Candidates and the two rules' choices (indices into ``candidates``)."""

    candidates: tuple[AllocationCandidate, ...]
    best_by_probability: int
    best_by_percentiles: int
    n_paths: int

    def summary(self) -> dict[str, object]:
        bp = self.candidates[self.best_by_probability]
        bq = self.candidates[self.best_by_percentiles]
        return {
            "n_candidates": len(self.candidates), "n_paths": self.n_paths,
            "by_probability": {"volatility": bp.volatility,
                               "expected_return": bp.expected_return,
                               "weighted_success": bp.weighted_success},
            "by_percentiles": {"volatility": bq.volatility,
                               "expected_return": bq.expected_return,
                               "band_mean_funded_share": bq.band_mean_funded,
                               "band_mean_real": bq.band_mean_real,
                               "weighted_success": bq.weighted_success},
        }


def band_mean(values: FloatArray, band: tuple[int, int] = PERCENTILE_BAND) -> float:
    """Mean of the percentiles ``band[0]`` … ``band[1]`` of ``values``."""
    return float(np.mean(np.percentile(values, np.arange(band[0], band[1] + 1))))


def _funded_share(res: SimulationResult) -> FloatArray:
    """Per path, the importance-weighted share of the goals' needs that was paid."""
    w = np.array([g.weight for g in res.spec.goals], float)
    need = np.array([g.need_real for g in res.spec.goals], float)
    share = np.minimum(res.goal_funded_real / np.maximum(need, 1e-12)[:, None], 1.0)
    return w @ share / w.sum()


def choose_goal_based_allocation(profile: InvestorProfile, market: Market, as_of: date,
                                 volatility: FloatArray, expected_return: FloatArray,
                                 weights: FloatArray, model: ReturnModel, *,
                                 n_paths: int = 1000, seed: int = 0,
                                 options: SimulationOptions | None = None
                                 ) -> GoalBasedAllocation:
    """Simulate each candidate portfolio and apply both rules.

    Parameters
    ----------
    volatility, expected_return : ndarray (m,)
        The candidates (frontier points within the risk ceiling).
    weights : ndarray (m, n_assets)
        Their weights, universe order.
    model : ReturnModel
        Use a :class:`~tailorfolio.simulate.ReplayModel` (or a fixed seed) so every candidate
        sees the same market paths.

    Returns
    -------
    GoalBasedAllocation
    """
    tickers = market.universe.tickers
    cands = []
    done = 0
    for v, r, w in zip(volatility, expected_return, weights, strict=True):
        spec = spec_from_profile(profile, market, np.asarray(w, float), as_of, options)
        res = simulate(spec, model, n_paths, seed)
        done = res.n_paths
        cands.append(AllocationCandidate(
            float(v), float(r), {t: float(x) for t, x in zip(tickers, w, strict=True)},
            weighted_success(res), tuple(float(x) for x in res.goal_success.mean(axis=1)),
            band_mean(_funded_share(res)), band_mean(res.final_real_wealth)))
    # Ties (common with few paths) go to the lower-volatility portfolio.
    ws = np.array([c.weighted_success for c in cands])
    best_p = int(np.flatnonzero(ws >= ws.max() - 1e-12)[0])
    best_q = max(range(len(cands)), key=lambda i: (round(cands[i].band_mean_funded, 9),
                                                   cands[i].band_mean_real, -i))
    return GoalBasedAllocation(tuple(cands), best_p, best_q, done)
