"""Metrics of one policy on one household's paths, and their standard errors.

Per path (all in today's money):

* **goal success** — priority-weighted share of the household's goals met in full:
  ``sum_j w_j 1[goal j met] / sum_j w_j`` with w = 1 essential, 0.6 important, 0.3
  aspirational (the goal's ``GoalSchedule.weight``);
* **after-tax terminal wealth** — liquidation value at the end of the horizon
  (``SimulationResult.final_after_tax_real``);
* **lifetime taxes** — taxes paid over the horizon: the transition from current lots, on
  withdrawals, and on rebalancing gains (liquidation tax at the end is in the terminal wealth,
  not here);
* **turnover** — rebalancing trades per year, ``sum |trade| / wealth`` (buys and sells).

Across paths: means, and the **certainty equivalent** of after-tax terminal wealth under CRRA
utility with relative risk aversion :data:`GAMMA`, applied to wealth plus a shift ``F`` of one
year of the household's spending (so that a path ending at zero has finite utility):
``CE = F · (mean((W/F + 1)^(1−γ)))^(1/(1−γ)) − F``. Standard errors are across paths
(``sd / sqrt(n_paths)``; for the CE by the delta method), and differences between two policies
are paired path by path — they ran on the same frozen return paths (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.simulate import SimulationResult
from tailorfolio.typing import FloatArray

GAMMA = 3.0
"""CRRA relative risk aversion of the certainty equivalent (3: the middle of the 2–5 range
used in life-cycle studies, e.g. Blanchett & Kaplan 2013 use several)."""

METRICS = ("goal_success", "ce_wealth", "lifetime_taxes", "turnover")
"""Metric keys, in report order."""
METRIC_LABELS = {
    "goal_success": "priority-weighted goal success",
    "ce_wealth": f"certainty-equivalent after-tax terminal wealth (CRRA γ={GAMMA:g})",
    "lifetime_taxes": "lifetime taxes",
    "turnover": "turnover per year",
}
HIGHER_IS_BETTER = {"goal_success": True, "ce_wealth": True, "lifetime_taxes": False,
                    "turnover": False}


@dataclass(frozen=True)
class PathOutcomes:
    """One policy's per-path outcomes on one household (arrays of shape (n_paths,))."""

    goal_success: FloatArray
    after_tax_wealth: FloatArray
    lifetime_taxes: FloatArray
    turnover: FloatArray

    @property
    def n_paths(self) -> int:
        return len(self.goal_success)


def path_outcomes(result: SimulationResult) -> PathOutcomes:
    """The per-path outcomes of a simulation."""
    weights = np.array([g.weight for g in result.spec.goals], float)
    if len(weights):
        success = weights @ result.goal_success.astype(float) / weights.sum()
    else:
        success = np.ones(result.n_paths)
    return PathOutcomes(success, result.final_after_tax_real, result.taxes_paid_real,
                        result.annual_turnover)


def _utilities(wealth: FloatArray, shift: float, gamma: float) -> FloatArray:
    return (np.maximum(wealth, 0.0) / shift + 1.0) ** (1.0 - gamma)


def _ce_from_mean(m: float, shift: float, gamma: float) -> float:
    return shift * (m ** (1.0 / (1.0 - gamma)) - 1.0)


def _ce_gradient(m: float, shift: float, gamma: float) -> float:
    """d CE / d mean-utility."""
    a = 1.0 / (1.0 - gamma)
    return shift * a * m ** (a - 1.0)


def certainty_equivalent(wealth: FloatArray, shift: float, gamma: float = GAMMA
                         ) -> tuple[float, float]:
    """CRRA certainty equivalent of ``wealth`` (see the module docstring) and its standard
    error across paths (delta method).

    Parameters
    ----------
    wealth : ndarray (n_paths,)
    shift : float
        ``F`` > 0, currency units.
    gamma : float
        Relative risk aversion, > 1.

    Returns
    -------
    (float, float)
    """
    u = _utilities(wealth, shift, gamma)
    m = float(u.mean())
    se = abs(_ce_gradient(m, shift, gamma)) * float(u.std(ddof=1)) / np.sqrt(len(u))
    return _ce_from_mean(m, shift, gamma), se


def paired_ce_difference(wealth_a: FloatArray, wealth_b: FloatArray, shift: float,
                         gamma: float = GAMMA) -> dict[str, float]:
    """CE(a) − CE(b) and log(CE(a) / CE(b)) on the same paths, with paired delta-method SEs.

    Returns
    -------
    dict
        ``diff``, ``diff_se``, ``log_ratio``, ``log_ratio_se`` (the log ratio is NaN when a CE
        is not positive).
    """
    ua, ub = _utilities(wealth_a, shift, gamma), _utilities(wealth_b, shift, gamma)
    ma, mb = float(ua.mean()), float(ub.mean())
    ga, gb = _ce_gradient(ma, shift, gamma), _ce_gradient(mb, shift, gamma)
    cov = np.cov(ua, ub) / len(ua)
    ce_a, ce_b = _ce_from_mean(ma, shift, gamma), _ce_from_mean(mb, shift, gamma)
    var_d = ga**2 * cov[0, 0] + gb**2 * cov[1, 1] - 2 * ga * gb * cov[0, 1]
    out = {"diff": ce_a - ce_b, "diff_se": float(np.sqrt(max(var_d, 0.0))),
           "log_ratio": float("nan"), "log_ratio_se": float("nan")}
    if ce_a > 0 and ce_b > 0:
        la, lb = ga / ce_a, gb / ce_b
        var_l = la**2 * cov[0, 0] + lb**2 * cov[1, 1] - 2 * la * lb * cov[0, 1]
        out["log_ratio"] = float(np.log(ce_a / ce_b))
        out["log_ratio_se"] = float(np.sqrt(max(var_l, 0.0)))
    return out


def _mean_se(x: FloatArray) -> tuple[float, float]:
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def policy_summary(o: PathOutcomes, shift: float, gamma: float = GAMMA
                   ) -> dict[str, tuple[float, float]]:
    """Each metric's value and its SE across paths; also two diagnostics: ``depleted``, the
    share of paths ending with less than ``shift`` (one year of spending) after tax, and
    ``median_wealth`` (SE not computed, NaN)."""
    return {
        "goal_success": _mean_se(o.goal_success),
        "ce_wealth": certainty_equivalent(o.after_tax_wealth, shift, gamma),
        "lifetime_taxes": _mean_se(o.lifetime_taxes),
        "turnover": _mean_se(o.turnover),
        "depleted": _mean_se((o.after_tax_wealth < shift).astype(float)),
        "median_wealth": (float(np.median(o.after_tax_wealth)), float("nan")),
    }


def paired_summary(a: PathOutcomes, b: PathOutcomes, shift: float, gamma: float = GAMMA
                   ) -> dict[str, tuple[float, float]]:
    """Metric of ``a`` minus metric of ``b``, with paired SEs across paths; also
    ``ce_log_ratio``, log(CE(a) / CE(b))."""
    ce = paired_ce_difference(a.after_tax_wealth, b.after_tax_wealth, shift, gamma)
    return {
        "goal_success": _mean_se(a.goal_success - b.goal_success),
        "ce_wealth": (ce["diff"], ce["diff_se"]),
        "lifetime_taxes": _mean_se(a.lifetime_taxes - b.lifetime_taxes),
        "turnover": _mean_se(a.turnover - b.turnover),
        "ce_log_ratio": (ce["log_ratio"], ce["log_ratio_se"]),
    }
