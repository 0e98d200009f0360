"""Dynamic allocation: HMM market regimes with filtered probabilities, glide paths by goal
horizon, and the policies that use them."""

from tailorfolio.dynamic._glide import GlidePath
from tailorfolio.dynamic._regimes import (
    RegimeModel,
    RegimeMoments,
    forward_filter,
    mixture,
    regime_conditional_moments,
)

__all__ = [
    "GlidePath",
    "RegimeModel",
    "RegimeMoments",
    "forward_filter",
    "mixture",
    "regime_conditional_moments",
]
