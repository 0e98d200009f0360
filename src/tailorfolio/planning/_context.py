"""What the plan's stages share: the resolved inputs (:class:`PlanContext`) and the plan as it
is being built (:class:`PlanDraft`).

This module sits *below* the stages and the orchestrator: the stages (:mod:`._stages`) and the
orchestrator (:mod:`._build`) import it; it imports neither, so the pipeline has no import
cycle. Both objects are frozen; a stage returns a new draft with its section filled.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from tailorfolio.allocation._choice import SleeveChoice
from tailorfolio.allocation._family import PortfolioFamily
from tailorfolio.allocation._sleeves import SleevePolicy
from tailorfolio.dynamic._plan_policy import DynamicPolicy
from tailorfolio.esg._screen import AddedFund
from tailorfolio.goals._dp_profile import DPComparison
from tailorfolio.market._market import Market
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.planning._sections import (
    AccountsSection,
    EsgSection,
    GoalsSection,
    HouseholdSection,
    FundingSection,
    IncomeStreamsSection,
    ReturnModelSection,
    SleeveSection,
)
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.risk._scoring import RiskAssessment
from tailorfolio.simulate._returns import ReturnModel
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class PlanContext:
    """The resolved inputs every stage reads.

    Attributes
    ----------
    profile : InvestorProfile
    market : Market
        The market the plan uses: screened funds added where the investor's values need them,
        expected returns from the plan's return model (equilibrium-anchored by default).
    forecast_market : Market
        The same market with the capital-market forecasts as given (before the return model).
    settings : PlanSettings
    as_of : date
    prices : dict of str to float
    wealth : float
        Investable wealth: every account at ``prices``, currency units.
    reserve_amount : float
        Emergency reserve held in taxable cash, currency units (<= ``wealth``).
    risk : RiskAssessment
    constraints : ConstraintSet
        The investor's constraints on every sleeve (no volatility ceiling, no reserve minimum:
        the ceiling picks the level's equity share and the reserve is its own sleeve).
    family : PortfolioFamily
        The plan's portfolio for every equity share.
    max_equity_share : float
        The level's cap on any sleeve's equity share after the constraints and the ceiling.
    return_model : ReturnModelSection
    optimizer : PortfolioOptimizer
        Reused by every solve of this plan.
    warnings : tuple of str
    added_funds : tuple of AddedFund
        Screened funds added to the market because the investor's exclusions emptied a class.
    esg_always : bool
        Build the ESG section even without ESG preferences (the baseline of the cost of
        values, the ``tailorfolio esg`` command).
    stored_paths : ReturnModel or None
        Return paths generated once and replayed by every comparison the plan makes (the
        funding rule, each sleeve's path, the alternatives, the what-would-raise search):
        common random numbers. None when the profile has no goals.
    probabilities_only : bool
        A plan made only to be compared with another (the cost of values' plan without ESG
        preferences reads its return, risk, ESG score and each goal's probability): the goals
        stage simulates the probabilities and skips what only a person reading this plan
        would use (what-would-raise levers, alternatives, withdrawal rates).
    dp_alternative : tuple or None
        The goals stage's DP alternative when :func:`~tailorfolio.planning.prepare` solved it
        on a helper thread while the stored paths were drawn: a 1-tuple holding what
        :func:`~tailorfolio.planning._stages.dp_alternative` returns (itself None when there
        is no DP to compare); None when it was not solved early (the goals stage solves it).
    """

    profile: InvestorProfile
    market: Market
    forecast_market: Market
    settings: PlanSettings
    as_of: date
    prices: dict[str, float]
    wealth: float
    reserve_amount: float
    risk: RiskAssessment
    constraints: ConstraintSet
    family: PortfolioFamily
    max_equity_share: float
    return_model: ReturnModelSection
    optimizer: PortfolioOptimizer
    warnings: tuple[str, ...] = ()
    added_funds: tuple[AddedFund, ...] = ()
    esg_always: bool = False
    stored_paths: ReturnModel | None = None
    probabilities_only: bool = False
    dp_alternative: tuple[tuple[DPComparison, int] | None] | None = None


@dataclass(frozen=True)
class PlanDraft:
    """The plan while its stages run: the context plus each stage's section (None until the
    stage has run, or when it does not apply)."""

    ctx: PlanContext
    sleeves: tuple[SleeveSection, ...] = ()
    funding: FundingSection | None = None
    policies: dict[str, SleevePolicy] = dataclasses.field(default_factory=dict)
    choices: dict[str, SleeveChoice] = dataclasses.field(default_factory=dict)
    household: HouseholdSection | None = None
    accounts: AccountsSection | None = None
    goals: GoalsSection | None = None
    esg: EsgSection | None = None
    dynamic: DynamicPolicy | None = None
    income_streams: IncomeStreamsSection | None = None
    warnings: tuple[str, ...] = ()
    stored_score: tuple[float, FloatArray] | None = None
    """The plan's own policy on the stored paths, as the sleeves stage scored it (priority-
    weighted success, per-goal success ndarray (n_goals,)); None when no choice was simulated.
    The goals stage compares the alternatives with it instead of simulating it again."""

    def warn(self, *messages: str) -> PlanDraft:
        """A copy with ``messages`` added to the warnings (duplicates dropped)."""
        return dataclasses.replace(self, warnings=tuple(dict.fromkeys((*self.warnings,
                                                                      *messages))))
