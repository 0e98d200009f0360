"""Engine settings for building a plan (explicit arguments, no global configuration)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tailorfolio.optimize._result import Objective


class PlanSettings(BaseModel):
    """How a plan is built.

    Attributes
    ----------
    objective : Objective
        ``max_utility`` (default: at the risk level's γ, under its volatility ceiling),
        ``max_sharpe``, ``min_variance`` or ``target_volatility`` (at the ceiling).
    max_weight_per_asset : float
        Engine-wide diversification cap applied on top of the profile's own cap. Mean-variance
        optimization concentrates in whatever the assumptions favour; 35 % keeps at least three
        assets in every plan while leaving the assumptions to speak.
    class_caps : dict of str to float
        Engine-wide caps on *satellite* asset classes (emerging-market stocks and debt, high
        yield, REITs, commodities), applied unless the profile sets bounds for the class.
        Robo-advisors hold such classes as diversifiers in bounded amounts; without caps,
        mean-variance optimization can put a third of a family's money in one of them on the
        strength of a one-point difference in forecasts.
    frontier_points : int
        Points on frontiers drawn for the plan.
    solvers : tuple of str
        Solver fallback chain.
    goal_paths : int
        Monte Carlo paths for the goals section (0 skips it: probabilities, levers,
        goal-based allocation, DP and withdrawal rates).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    objective: Objective = Objective.MAX_UTILITY
    max_weight_per_asset: float = Field(default=0.35, gt=0, le=1)
    class_caps: dict[str, float] = Field(default_factory=lambda: {
        "emerging_equity": 0.15, "em_sovereign_bond": 0.10, "us_high_yield": 0.10,
        "us_reit": 0.15, "commodities": 0.10,
    })
    frontier_points: int = Field(default=50, ge=2, le=500)
    solvers: tuple[str, ...] = ("CLARABEL", "SCS")
    goal_paths: int = Field(default=2000, ge=0, le=1_000_000)
