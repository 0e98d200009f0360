"""The plan's dynamic policy: a glide path per dated goal, drift-band rebalancing and an
optional regime overlay.

Defaults and why (measured in ``docs/evaluation.md``, produced by ``make evaluate``):

* **Glide path — on** for every goal with a date. Its job is to cut the equity share as the
  goal nears, so a late crash cannot wreck a goal that has no time to recover; it is not
  meant to raise the Sharpe ratio and the backtest does not claim it does. The template
  (Betterment-style for lump sums, target-date-style for income goals, see
  :class:`GlidePath`) is scaled by the plan's own equity share, since risk aversion is the
  dominant driver of glide-path slope and end point (Vanguard's life-cycle model).
* **Drift-band rebalancing — on** (±5 pp absolute / 25 % relative, reviewed monthly, Vanguard's
  "5/25" rule): in the bundled 60/40 backtest it keeps the risk of calendar rebalancing at a
  fraction of the turnover.
* **Regime overlay — off.** The HMM regime-switching strategy did not beat 1/N or a static
  60/40 after costs out of sample; it can be switched on explicitly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tailorfolio.dynamic._glide import GlidePath

REGIME_OVERLAY_DEFAULT = False
DRIFT_ABS_BAND = 0.05
DRIFT_REL_BAND = 0.25
TEMPLATE_START_EQUITY = 0.9
"""The templates' far-from-goal equity share, rescaled to the plan's own equity share."""


@dataclass(frozen=True)
class GoalGlide:
    """The glide path of one goal.

    Attributes
    ----------
    goal : str
    kind : str
    years_to_goal : float
    glide_path : GlidePath
    equity_share_now : float
    schedule : tuple of (float, float)
        (years from now, equity share) every year until the goal (and after it for income
        goals, until the path is flat).
    """

    goal: str
    kind: str
    years_to_goal: float
    glide_path: GlidePath
    equity_share_now: float
    schedule: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class DynamicPolicy:
    """What the plan does over time (see the module docstring for the defaults)."""

    glide_paths: tuple[GoalGlide, ...]
    drift_abs_band: float
    drift_rel_band: float
    regime_overlay: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the plan's JSON."""
        return {
            "glide_paths": [
                {"goal": g.goal, "kind": g.kind, "years_to_goal": g.years_to_goal,
                 "equity_share_now": g.equity_share_now,
                 "glide_path": dataclasses.asdict(g.glide_path),
                 "schedule": [list(p) for p in g.schedule]}
                for g in self.glide_paths
            ],
            "rebalancing": {"policy": "drift_band", "abs_band": self.drift_abs_band,
                            "rel_band": self.drift_rel_band, "review": "monthly"},
            "regime_overlay": self.regime_overlay,
            "reasons": list(self.reasons),
        }


def personal_glide_path(kind: str, equity_share: float) -> GlidePath:
    """The template for a goal ``kind`` scaled to the plan's ``equity_share`` (decimal)."""
    template = GlidePath.lump_sum() if kind != "income" else GlidePath.retirement()
    scale = min(max(equity_share, 0.0), 1.0) / TEMPLATE_START_EQUITY
    post = template.post_goal_equity
    return dataclasses.replace(
        template,
        start_equity=min(1.0, template.start_equity * scale),
        end_equity=min(1.0, template.end_equity * scale),
        post_goal_equity=None if post is None else min(1.0, post * scale),
    )


def dynamic_policy(goals: list[tuple[str, str, float]], equity_share: float, *,
                   regime_overlay: bool = REGIME_OVERLAY_DEFAULT) -> DynamicPolicy:
    """Build the dynamic policy.

    Parameters
    ----------
    goals : list of (name, kind, years_to_goal)
    equity_share : float
        The plan's current equity (+ real-asset) share, decimal.
    regime_overlay : bool
    """
    glides = []
    for name, kind, years in goals:
        g = personal_glide_path(kind, equity_share)
        end = years + (g.post_goal_years if g.post_goal_equity is not None else 0.0)
        points = [(float(t), float(g.equity_share(years - t)))
                  for t in range(0, int(end) + 1)]
        glides.append(GoalGlide(name, kind, float(years), g,
                                float(g.equity_share(years)), tuple(points)))
    reasons = (
        "Each dated goal follows a glide path: its equity share falls as the goal nears, "
        "scaled to your risk level, so a late market fall cannot wreck a goal with no time to "
        "recover.",
        f"Rebalance when any weight drifts more than {DRIFT_ABS_BAND:.0%} points or "
        f"{DRIFT_REL_BAND:.0%} of its target (checked monthly): in the bundled backtest this "
        "kept the risk of calendar rebalancing with far less trading.",
        "The market-regime overlay is off: out of sample, after costs, it did not beat simple "
        "allocations (docs/evaluation.md)." if not regime_overlay else
        "The market-regime overlay is on at your request; out of sample it did not beat simple "
        "allocations after costs (docs/evaluation.md).",
    )
    return DynamicPolicy(tuple(glides), DRIFT_ABS_BAND, DRIFT_REL_BAND, regime_overlay, reasons)
