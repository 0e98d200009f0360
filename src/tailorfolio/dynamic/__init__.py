"""Dynamic allocation: HMM market regimes with filtered probabilities, glide paths by goal
horizon, and the policies that use them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.dynamic._glide import GlidePath
    from tailorfolio.dynamic._plan_policy import (
        DynamicPolicy,
        GoalGlide,
        dynamic_policy,
        personal_glide_path,
    )
    from tailorfolio.dynamic._regimes import (
        RegimeModel,
        RegimeMoments,
        forward_filter,
        mixture,
        regime_conditional_moments,
    )

_EXPORTS = {
    "GlidePath": "tailorfolio.dynamic._glide",
    "DynamicPolicy": "tailorfolio.dynamic._plan_policy",
    "GoalGlide": "tailorfolio.dynamic._plan_policy",
    "dynamic_policy": "tailorfolio.dynamic._plan_policy",
    "personal_glide_path": "tailorfolio.dynamic._plan_policy",
    "RegimeModel": "tailorfolio.dynamic._regimes",
    "RegimeMoments": "tailorfolio.dynamic._regimes",
    "forward_filter": "tailorfolio.dynamic._regimes",
    "mixture": "tailorfolio.dynamic._regimes",
    "regime_conditional_moments": "tailorfolio.dynamic._regimes",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "DynamicPolicy",
    "GoalGlide",
    "dynamic_policy",
    "personal_glide_path",
    "GlidePath",
    "RegimeModel",
    "RegimeMoments",
    "forward_filter",
    "mixture",
    "regime_conditional_moments",
]
