"""The cost of one's values: the plan with ESG preferences against the same plan without."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._preferences import Preferences

ESG_FIELDS = ("excluded_sectors", "min_esg_score", "esg_tilt", "esg_preset")
"""Preference fields that express values; the baseline plan drops them. ``excluded_assets``
(ticker exclusions, often not about values), concentration limits, class bounds, the cash
reserve and ``esg_fund_alternatives`` (which only widens the universe) are kept."""


def has_esg_preferences(preferences: Preferences) -> bool:
    """True when any values field is set (a preset other than ``none`` counts)."""
    return bool(preferences.excluded_sectors or preferences.min_esg_score is not None
                or preferences.esg_tilt > 0
                or preferences.esg_preset not in (None, "none"))


def without_esg(profile: InvestorProfile) -> InvestorProfile:
    """``profile`` with its ESG preferences removed (everything else identical)."""
    prefs = profile.preferences.model_copy(update={
        "excluded_sectors": (), "min_esg_score": None, "esg_tilt": 0.0, "esg_preset": None,
    })
    return profile.model_copy(update={"preferences": prefs})


def goal_probabilities(plan: Any) -> dict[str, float]:
    """Goal name → success probability from ``plan.goal_outcomes`` (empty without a goals
    engine). Reads the usual attribute or key names."""
    out: dict[str, float] = {}
    for item in getattr(plan, "goal_outcomes", ()) or ():
        def get(name: str, item: Any = item) -> Any:
            return item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        name = get("name") or get("goal")
        prob = None
        for key in ("success_probability", "probability", "p_success", "probability_of_success"):
            if get(key) is not None:
                prob = get(key)
                break
        if name is not None and prob is not None:
            out[str(name)] = float(prob)
    return out


@dataclass(frozen=True)
class CostOfValues:
    """Metrics of the plan with and without ESG preferences (annual decimals).

    Attributes
    ----------
    with_esg, without_esg : dict of str to float
        ``expected_return``, ``volatility``, ``sharpe``, ``esg_score`` (score of the scored
        holdings, NaN when unscored).
    wealth : float
        Investable wealth, currency units (to put the return gap in money).
    goals_with, goals_without : dict of str to float
        Goal-success probabilities (empty when no goals engine filled ``goal_outcomes``).
    goals_available : bool
    frontier_sharpe_cost : float or None
        Pedersen–Fitzgibbons–Pomorski cost of the ESG preference: the tangency Sharpe ratio
        minus the best Sharpe ratio at the plan's score (set by the ``esg`` command).
    risk_matched_return : float or None
        The highest expected return without ESG preferences at the ESG plan's volatility
        (same other constraints): the cost of values with risk held equal.
    notes : tuple of str
    """

    with_esg: dict[str, float]
    without_esg: dict[str, float]
    wealth: float
    currency: str = "USD"
    goals_with: dict[str, float] = field(default_factory=dict)
    goals_without: dict[str, float] = field(default_factory=dict)
    goals_available: bool = False
    frontier_sharpe_cost: float | None = None
    risk_matched_return: float | None = None
    notes: tuple[str, ...] = ()

    def delta(self, key: str) -> float:
        return self.with_esg[key] - self.without_esg[key]

    def summary(self) -> list[str]:
        """The comparison in plain words."""
        r0, r1 = self.without_esg["expected_return"], self.with_esg["expected_return"]
        v0, v1 = self.without_esg["volatility"], self.with_esg["volatility"]
        s0, s1 = self.without_esg["sharpe"], self.with_esg["sharpe"]
        dr = r1 - r0
        money = abs(dr) * self.wealth
        out = []
        if abs(dr) < 5e-5:
            out.append(f"Your values cost nothing in expected return: {_pct(r1)} a year with "
                       f"them and {_pct(r0)} without.")
        elif dr < 0:
            out.append(f"Your values cost {100 * -dr:.2f} percentage points of expected return "
                       f"a year ({_pct(r0)} without them, {_pct(r1)} with them), about "
                       f"{money:,.0f} {self.currency} a year on your {self.wealth:,.0f}.")
        else:
            out.append(f"Your values raise the expected return by {100 * dr:.2f} percentage "
                       f"points a year ({_pct(r0)} → {_pct(r1)}); the plan without them takes "
                       "less risk instead.")
        dv = v1 - v0
        risk = ("the same risk" if abs(dv) < 5e-5 else
                f"{'more' if dv > 0 else 'less'} risk: volatility {_pct(v1)} against {_pct(v0)}")
        out.append(f"The ESG plan takes {risk}; its Sharpe ratio (return per unit of risk) is "
                   f"{s1:.2f} against {s0:.2f} ({s1 - s0:+.2f}).")
        if self.risk_matched_return is not None and abs(v1 - v0) >= 5e-5:
            gap = self.risk_matched_return - r1
            out.append(f"Matched for risk: at your ESG plan's volatility ({_pct(v1)}) the best "
                       f"plan without ESG preferences expects {_pct(self.risk_matched_return)}, "
                       + (f"so your values cost {100 * gap:.2f} points a year at equal risk."
                          if gap > 5e-5 else "so at equal risk your values cost nothing."))
        if self.frontier_sharpe_cost is not None:
            out.append(f"On the ESG-efficient frontier, reaching your plan's ESG score costs "
                       f"{self.frontier_sharpe_cost:.3f} of the best attainable Sharpe ratio.")
        if self.goals_available and self.goals_with:
            parts = []
            for g, p1 in self.goals_with.items():
                p0 = self.goals_without.get(g)
                if p0 is not None:
                    parts.append(f"{g} {p1:.0%} (without ESG {p0:.0%}, {100 * (p1 - p0):+.0f} pts)")
            out.append("Chance of reaching each goal: " + "; ".join(parts) + ".")
        else:
            out.append("Goal-success probabilities are not compared: the plans carry none "
                       "(the profile has no goals).")
        out.extend(self.notes)
        return out


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"
