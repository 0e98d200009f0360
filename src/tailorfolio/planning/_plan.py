"""The Plan: one immutable, serialisable result of typed sections, with its provenance."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tailorfolio.allocation._household import HouseholdPolicy
from tailorfolio.dynamic._plan_policy import DynamicPolicy
from tailorfolio.goals._outcomes import GoalOutcome
from tailorfolio.market._market import Market
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._result import BindingConstraint
from tailorfolio.planning._sections import (
    AccountsSection,
    AllocationLine,
    ConstraintsSection,
    EsgSection,
    FundingSection,
    GoalsSection,
    HouseholdSection,
    IncomeStreamsSection,
    LadderRung,
    MarketSection,
    SleeveSection,
    plain,
)
from tailorfolio.risk._scoring import RiskAssessment
from tailorfolio.tax._plan_stage import AccountPlan

__all__ = ["AllocationLine", "ExcludedAsset", "Plan", "Provenance", "plan_json_schema"]


@dataclass(frozen=True)
class ExcludedAsset:
    """An asset the investor's values or rules removed, and why."""

    ticker: str
    reason: str
    field: str


@dataclass(frozen=True)
class Provenance:
    """Everything needed to reproduce a plan.

    Attributes
    ----------
    input_hash : str
        SHA-256 of the canonical profile, market and settings.
    library_version : str
    as_of : str
        ISO date the plan was made for.
    assumptions : str
        Name of the capital-market assumptions used.
    assumption_sources : dict of str to str
    settings : dict
    seed : int
        Seed of the plan's simulations.
    """

    input_hash: str
    library_version: str
    as_of: str
    assumptions: str
    assumption_sources: dict[str, str]
    settings: dict[str, Any]
    seed: int = 0


_LIVE = {"serialize": False}
"""Field metadata: a live object for in-process callers, left out of the plan's JSON."""


@dataclass(frozen=True)
class Plan:
    """A personalized plan for one household.

    Attributes
    ----------
    investor, currency : str
    investable_wealth : float
        Sum of all accounts at current prices, currency units.
    risk : RiskAssessment
        Willingness, capacity and the risk level (a rung of the risk ladder).
    household : HouseholdSection
        The household target today: the money-weighted sum of the sleeves.
    sleeves : tuple of SleeveSection
        One per goal, plus the emergency reserve and long-term money.
    funding : FundingSection or None
        How today's money was split across the goals.
    ladder : tuple of LadderRung
        What each of the ten risk levels would hold for long-horizon money.
    accounts : AccountsSection or None
        Per-account targets and the tax-aware transition (None without investable wealth).
    goals : GoalsSection or None
        One probability per goal from the simulation of this plan's policy.
    esg : EsgSection or None
        Present only when the investor expressed ESG preferences.
    dynamic : DynamicPolicy or None
    market : MarketSection
        The resolved market (screened funds, the plan's expected returns).
    constraints : ConstraintsSection
    excluded : tuple of ExcludedAsset
    warnings : tuple of str
    rationale : tuple of str
        Plain-language paragraphs.
    provenance : Provenance
    income_streams : IncomeStreamsSection or None
        The income streams (Social Security, pensions, ...) the sleeve funding and the goals'
        simulation counted on, and which income goal each pays; None when the profile lists
        none.
    resolved_market, resolved_constraints, resolved_policy
        The live market, constraint set and household policy (the sleeves over time, what the
        Monte Carlo simulates) behind the sections (not serialised; for in-process callers
        such as the report and ``tailorfolio simulate``).
    """

    investor: str
    currency: str
    investable_wealth: float
    risk: RiskAssessment
    household: HouseholdSection
    sleeves: tuple[SleeveSection, ...]
    funding: FundingSection | None
    ladder: tuple[LadderRung, ...]
    accounts: AccountsSection | None
    goals: GoalsSection | None
    esg: EsgSection | None
    dynamic: DynamicPolicy | None
    market: MarketSection
    constraints: ConstraintsSection
    excluded: tuple[ExcludedAsset, ...]
    warnings: tuple[str, ...]
    rationale: tuple[str, ...]
    provenance: Provenance
    income_streams: IncomeStreamsSection | None = None
    resolved_market: Market | None = field(default=None, repr=False, compare=False,
                                           metadata=_LIVE)
    resolved_constraints: ConstraintSet | None = field(default=None, repr=False,
                                                       compare=False, metadata=_LIVE)
    resolved_policy: HouseholdPolicy | None = field(default=None, repr=False, compare=False,
                                                    metadata=_LIVE)

    # Shortcuts to the household section (what most callers want).
    @property
    def allocation(self) -> tuple[AllocationLine, ...]:
        return self.household.allocation

    @property
    def weights(self) -> dict[str, float]:
        return self.household.weights

    @property
    def expected_return(self) -> float:
        return self.household.expected_return

    @property
    def volatility(self) -> float:
        return self.household.volatility

    @property
    def sharpe(self) -> float:
        return self.household.sharpe

    @property
    def binding(self) -> tuple[BindingConstraint, ...]:
        return self.household.binding

    @property
    def risk_free_rate(self) -> float:
        return self.market.risk_free_rate

    @property
    def max_volatility(self) -> float:
        return self.risk.max_volatility

    @property
    def risk_aversion(self) -> float:
        return self.risk.risk_aversion

    @property
    def goal_outcomes(self) -> tuple[GoalOutcome, ...]:
        return () if self.goals is None else self.goals.outcomes

    @property
    def account_plans(self) -> tuple[AccountPlan, ...]:
        return () if self.accounts is None else self.accounts.plans

    def class_weights(self, level: str = "broad_class") -> dict[str, float]:
        """Total weight per ``broad_class`` or ``asset_class``, largest first."""
        out: dict[str, float] = {}
        for line in self.allocation:
            key = getattr(line, level)
            out[key] = out.get(key, 0.0) + line.weight
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): every serialised field, recursively (see
        :func:`plan_json_schema`)."""
        out = plain(self)
        assert isinstance(out, dict)
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        """The plan as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)


@cache
def plan_json_schema() -> dict[str, Any]:
    """The JSON schema of :meth:`Plan.to_dict` (draft 2020-12), generated from the typed
    sections; the report and the service validate against it. Every section is required
    except those added later with a default (``income_streams``)."""
    from pydantic import TypeAdapter

    serialised = [f for f in dataclasses.fields(Plan) if f.metadata.get("serialize", True)]
    namespace = {f.name: f.type for f in serialised}
    shape = dataclasses.make_dataclass("Plan", [(f.name, f.type) for f in serialised],
                                       frozen=True, namespace={"__module__": __name__})
    del namespace
    schema = TypeAdapter(shape).json_schema(mode="serialization")
    # Sections added with a default (``income_streams``) are always written but may be absent
    # from a plan stored before they existed: such a plan still validates and renders.
    later = {f.name for f in serialised if f.default is not dataclasses.MISSING}
    schema["required"] = [k for k in schema.get("required", []) if k not in later]
    schema["title"] = "tailorfolio Plan"
    return schema
