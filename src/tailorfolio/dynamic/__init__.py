"""Dynamic allocation: HMM market regimes with filtered probabilities, glide paths by goal
horizon, and the policies that use them."""

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
