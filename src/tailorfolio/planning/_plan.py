"""The Plan: one immutable, serialisable result with its provenance."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from tailorfolio.optimize._result import BindingConstraint
from tailorfolio.risk._scoring import RiskAssessment


@dataclass(frozen=True)
class AllocationLine:
    """One row of the recommended allocation.

    Attributes
    ----------
    ticker, name, asset_class, broad_class : str
    weight : float
        Decimal share of the household's investable wealth.
    amount : float
        ``weight`` × investable wealth, currency units.
    expected_return, volatility : float
        The asset's own annual assumptions, decimals.
    """

    ticker: str
    name: str
    asset_class: str
    broad_class: str
    weight: float
    amount: float
    expected_return: float
    volatility: float


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
    solver, status : str
    attempts : list of dict
    """

    input_hash: str
    library_version: str
    as_of: str
    assumptions: str
    assumption_sources: dict[str, str]
    settings: dict[str, Any]
    solver: str
    status: str
    attempts: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Plan:
    """A personalized plan for one household.

    Attributes
    ----------
    investor : str
    currency : str
    investable_wealth : float
        Sum of all accounts at current prices, currency units.
    risk : RiskAssessment
    allocation : tuple of AllocationLine
        Household target weights, largest first; zero weights omitted.
    weights : dict of str to float
        Every universe asset's target weight (zeros included), universe order.
    expected_return, volatility, sharpe : float
        Annual, decimals, under the stated assumptions.
    risk_free_rate : float
    objective : str
    risk_aversion : float
    max_volatility : float
    binding : tuple of BindingConstraint
    excluded : tuple of ExcludedAsset
    warnings : tuple of str
    rationale : tuple of str
        Plain-language paragraphs.
    provenance : Provenance
    goal_outcomes : tuple
        Per-goal probabilities (filled by the goals engine when present).
    account_plans : tuple
        Per-account targets and trades (filled by the tax engine when present).
    esg : object or None
        ESG profile of the plan (filled by the ESG module when present).
    """

    investor: str
    currency: str
    investable_wealth: float
    risk: RiskAssessment
    allocation: tuple[AllocationLine, ...]
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    risk_free_rate: float
    objective: str
    risk_aversion: float
    max_volatility: float
    binding: tuple[BindingConstraint, ...]
    excluded: tuple[ExcludedAsset, ...]
    warnings: tuple[str, ...]
    rationale: tuple[str, ...]
    provenance: Provenance
    goal_outcomes: tuple[Any, ...] = ()
    account_plans: tuple[Any, ...] = ()
    esg: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def class_weights(self, level: str = "broad_class") -> dict[str, float]:
        """Total weight per ``broad_class`` or ``asset_class``, largest first."""
        out: dict[str, float] = {}
        for line in self.allocation:
            key = getattr(line, level)
            out[key] = out.get(key, 0.0) + line.weight
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): every field, recursively."""
        return _plain(dataclasses.asdict(self))

    def to_json(self, *, indent: int | None = 2) -> str:
        """The plan as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _plain(dataclasses.asdict(obj))
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj
