"""Plans: the pipeline from profile and market to an explained, reproducible result."""

from tailorfolio.planning._build import PlanContext, assemble, build_plan, input_hash, optimize_stage, prepare
from tailorfolio.planning._plan import AllocationLine, ExcludedAsset, Plan, Provenance
from tailorfolio.planning._settings import PlanSettings

__all__ = [
    "AllocationLine",
    "ExcludedAsset",
    "Plan",
    "PlanContext",
    "PlanSettings",
    "Provenance",
    "assemble",
    "build_plan",
    "input_hash",
    "optimize_stage",
    "prepare",
]
