"""Goal-based choice of each sleeve's path: the Monte Carlo decides, within the risk level.

For every sleeve the template glide path is tried at a few intensities (its equity share ×0.5,
×0.75, ×1, ×1.25, ×1.5, always under the level's cap), each simulated on one set of stored
return paths (common random numbers) as part of the whole household policy.

The rule: keep the template unless another intensity raises the household's priority-weighted
probability of success by more than :data:`MIN_GAIN` (one point); then take the *least risky*
intensity within that point of the best. A sleeve that is ahead of its goal therefore
de-risks (a lower intensity keeps its success while cutting risk) and one that is behind takes
more risk where that helps, as the goals-based literature prescribes (Das, Ostrov,
Radhakrishnan & Srivastav 2020: risk up when behind, down when ahead) — but never above the
level's equity share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from tailorfolio.allocation._sleeves import SleevePolicy
from tailorfolio.typing import FloatArray

INTENSITIES = (0.5, 0.75, 1.0, 1.25, 1.5)
"""Multipliers of the template's equity share tried for each sleeve."""

MIN_GAIN = 0.01
"""A different intensity is chosen only when it raises success by more than this."""


@dataclass(frozen=True)
class IntensityTrial:
    """One intensity tried for one sleeve.

    Attributes
    ----------
    intensity : float
    equity_share_now : float
        The sleeve's equity share today at that intensity, decimal.
    probability : float
        The goal's simulated probability of success on the stored paths.
    """

    intensity: float
    equity_share_now: float
    probability: float


@dataclass(frozen=True)
class SleeveChoice:
    """The chosen intensity of one goal's sleeve and the evidence.

    Attributes
    ----------
    goal : str
    intensity : float
    trials : tuple of IntensityTrial
    reason : str
    """

    goal: str
    intensity: float
    trials: tuple[IntensityTrial, ...]
    reason: str


def choose_intensities(goal_names: list[str], policies: dict[str, SleevePolicy],
                       years_to_goal: dict[str, float],
                       score: Callable[[dict[str, SleevePolicy]], tuple[float, FloatArray]],
                       score_all: Callable[[list[dict[str, SleevePolicy]]],
                                           list[tuple[float, FloatArray]]] | None = None,
                       ) -> dict[str, SleeveChoice]:
    """Choose each goal's intensity (see the module docstring).

    The goals are visited in order (one pass of coordinate ascent): for each, every intensity
    is scored with the other sleeves as already chosen, by the household's priority-weighted
    probability of success on the same stored paths.

    Parameters
    ----------
    goal_names : list of str
        Goals in the order of the simulation's goal schedules.
    policies : dict of str to SleevePolicy
        Every sleeve's policy (the goals' at intensity 1).
    years_to_goal : dict of goal name to float
    score : callable
        ``policies -> (priority-weighted success, per-goal success ndarray (n_goals,))`` on
        stored paths (common random numbers).
    score_all : callable, optional
        ``score`` of a list of policies at once (the same scores; a goal's trials then run
        side by side).
    """
    current = dict(policies)
    out: dict[str, SleeveChoice] = {}
    for j, name in enumerate(goal_names):
        pol = current[name]
        if pol.glide is None:
            continue
        trials_w, trials_p = [], []
        candidates = [{**current, name: dataclasses.replace(pol, intensity=k)}
                      for k in INTENSITIES]
        scored = (score_all(candidates) if score_all is not None
                  else [score(c) for c in candidates])
        for w, p in scored:
            trials_w.append(w)
            trials_p.append(float(p[j]))
        base = INTENSITIES.index(1.0)
        trials = tuple(IntensityTrial(k, float(dataclasses.replace(pol, intensity=k)
                                               .equity_share(years_to_goal[name])), trials_p[i])
                       for i, k in enumerate(INTENSITIES))
        best = max(trials_w)
        if trials_w[base] >= best - MIN_GAIN:
            out[name] = SleeveChoice(name, 1.0, trials, (
                "its glide path for its kind and priority: no other path tried raises the "
                f"household's weighted chance of success by more than {MIN_GAIN:.0%}"))
            continue
        good = [i for i in range(len(INTENSITIES)) if trials_w[i] >= best - MIN_GAIN]
        pick = min(good, key=lambda i: (trials[i].equity_share_now, INTENSITIES[i]))
        k = INTENSITIES[pick]
        current[name] = dataclasses.replace(pol, intensity=k)
        direction = "less" if k < 1.0 else "more"
        out[name] = SleeveChoice(name, k, trials, (
            f"holding {direction} stock than its template path (×{k:g}) raises the "
            f"household's weighted chance of success from {trials_w[base]:.0%} to "
            f"{trials_w[pick]:.0%} on the same simulated markets ('{name}' alone: "
            f"{trials_p[base]:.0%} → {trials_p[pick]:.0%}), within your risk level"))
    return out
