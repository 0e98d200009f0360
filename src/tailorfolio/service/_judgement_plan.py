"""The plan of a client under the advisor's overrides (called by the job runner's
:func:`~tailorfolio.service._planrun.compute_plan`; plain data in, plan and cost out)."""

from __future__ import annotations

from datetime import date
from typing import Any


def plan_with_overrides(profile: Any, overrides: list[dict[str, Any]], market: Any,
                        settings: Any, as_of: date | None) -> tuple[Any, dict[str, Any]]:
    """The plan with ``overrides`` as constraints, and what they cost as plain data (the
    same plan without them, same market, settings and paths)."""
    from tailorfolio.planning._overrides import cost_of_overrides, overrides_from_dicts

    plan, cost = cost_of_overrides(profile, overrides_from_dicts(overrides), market, settings,
                                   as_of)
    return plan, cost.to_dict()
