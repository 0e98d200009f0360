"""Plans: the pipeline from profile and market to an explained, reproducible result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.planning._build import (
        STAGES,
        assemble,
        build_plan,
        input_hash,
        prepare,
        run_stages,
    )
    from tailorfolio.planning._context import PlanContext, PlanDraft
    from tailorfolio.planning._plan import ExcludedAsset, Plan, Provenance, plan_json_schema
    from tailorfolio.planning._sections import AllocationLine
    from tailorfolio.planning._settings import PlanSettings

_EXPORTS = {
    "STAGES": "tailorfolio.planning._build",
    "assemble": "tailorfolio.planning._build",
    "build_plan": "tailorfolio.planning._build",
    "input_hash": "tailorfolio.planning._build",
    "prepare": "tailorfolio.planning._build",
    "run_stages": "tailorfolio.planning._build",
    "PlanContext": "tailorfolio.planning._context",
    "PlanDraft": "tailorfolio.planning._context",
    "ExcludedAsset": "tailorfolio.planning._plan",
    "Plan": "tailorfolio.planning._plan",
    "Provenance": "tailorfolio.planning._plan",
    "plan_json_schema": "tailorfolio.planning._plan",
    "AllocationLine": "tailorfolio.planning._sections",
    "PlanSettings": "tailorfolio.planning._settings",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "STAGES",
    "AllocationLine",
    "ExcludedAsset",
    "Plan",
    "PlanContext",
    "PlanDraft",
    "PlanSettings",
    "Provenance",
    "assemble",
    "build_plan",
    "input_hash",
    "plan_json_schema",
    "prepare",
    "run_stages",
]
