"""Risk profiling: willingness and capacity combined into a risk level 1–10."""

from tailorfolio.risk._ladder import (
    RISK_LADDER,
    RiskRung,
    risk_aversion_for_equity_share,
    rung,
)
from tailorfolio.risk._scoring import (
    LEVEL_TABLE,
    RiskAssessment,
    RiskFactor,
    answer_score,
    assess_risk,
    goal_horizon_years,
    goals_present_value,
    household_wealth,
    power_mean,
)

__all__ = [
    "RISK_LADDER",
    "RiskRung",
    "risk_aversion_for_equity_share",
    "rung",
    "LEVEL_TABLE",
    "RiskAssessment",
    "RiskFactor",
    "answer_score",
    "assess_risk",
    "goal_horizon_years",
    "goals_present_value",
    "household_wealth",
    "power_mean",
]
