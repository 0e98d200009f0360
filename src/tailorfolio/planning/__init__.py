"""Plans: the pipeline from profile and market to an explained, reproducible result."""

from tailorfolio.planning._build import STAGES, assemble, build_plan, input_hash, prepare, run_stages
from tailorfolio.planning._context import PlanContext, PlanDraft
from tailorfolio.planning._plan import ExcludedAsset, Plan, Provenance, plan_json_schema
from tailorfolio.planning._sections import AllocationLine
from tailorfolio.planning._settings import PlanSettings

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
