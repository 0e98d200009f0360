"""Engine settings for building a plan (explicit arguments, no global configuration)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tailorfolio.market._return_model import DEFAULT_VIEW_CONFIDENCE, ReturnModel


class PlanSettings(BaseModel):
    """How a plan is built.

    Attributes
    ----------
    return_model : ReturnModel
        Where the expected returns come from. ``equilibrium_views`` (default): returns that
        make the global market portfolio optimal (reverse optimization), with the
        capital-market forecasts entering as Black–Litterman views at ``view_confidence``, as
        Wealthfront and Betterment do; ``equilibrium``: the implied returns alone;
        ``forecasts``: mean-variance on the raw forecasts (concentrates in whatever they
        favour).
    view_confidence : float
        Confidence of each forecast view, in (0, 1] (0.25: a third of the prior's weight).
    max_weight_per_asset : float
        Engine-wide guard on any one *risky* asset, on top of the profile's own cap. With
        equilibrium returns a total-market fund can be the core of a portfolio, so the guard
        (80 %) is there only to stop a degenerate corner; it rarely binds.
    class_caps : dict of str to float
        Engine-wide guards on *satellite* asset classes (emerging-market stocks and debt, high
        yield, REITs, commodities), applied unless the profile sets bounds for the class:
        about twice their market weight, so they bind only when the forecasts push hard.
    frontier_points : int
        Points on frontiers drawn for the plan.
    solvers : tuple of str
        Solver fallback chain.
    goal_paths : int
        Monte Carlo paths for the goals section (0 skips it: probabilities, levers,
        alternatives and withdrawal rates). It never changes the plan's decisions.
    choice_paths : int
        Stored Monte Carlo paths on which the plan *decides* (how today's money is split
        across the goals, each sleeve's path intensity) and compares alternatives; 0 keeps
        the template paths and the nearest-first split.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    return_model: ReturnModel = ReturnModel.EQUILIBRIUM_VIEWS
    view_confidence: float = Field(default=DEFAULT_VIEW_CONFIDENCE, gt=0, le=1)
    max_weight_per_asset: float = Field(default=0.80, gt=0, le=1)
    class_caps: dict[str, float] = Field(default_factory=lambda: {
        "emerging_equity": 0.15, "em_sovereign_bond": 0.10, "us_high_yield": 0.10,
        "us_reit": 0.10, "commodities": 0.05,
    })
    frontier_points: int = Field(default=50, ge=2, le=500)
    solvers: tuple[str, ...] = ("CLARABEL", "SCS")
    goal_paths: int = Field(default=2000, ge=0, le=1_000_000)
    choice_paths: int = Field(default=500, ge=0, le=100_000)
