"""The investable world: asset universe, capital-market assumptions, prices, datasets."""

from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._defaults import (
    asset_from_row,
    correlation_from_pairs,
    default_market,
    default_universe_table,
)
from tailorfolio.market._equilibrium import (
    DEFAULT_TAU,
    DEFAULT_VIEW_CONFIDENCE,
    EquilibriumReport,
    ReturnModel,
    ViewShift,
    planning_assumptions,
)
from tailorfolio.market._from_prices import market_from_prices
from tailorfolio.market._market import Market
from tailorfolio.market._market_weights import (
    UniverseMarketWeights,
    global_market_weights_table,
    market_weights_for,
    validate_market_weights_table,
)
from tailorfolio.market._prices import (
    infer_periods_per_year,
    prices_from_long,
    simple_returns,
    validate_prices,
)
from tailorfolio.market._universe import BROAD_CLASSES, Asset, Universe

__all__ = [
    "DEFAULT_TAU",
    "DEFAULT_VIEW_CONFIDENCE",
    "EquilibriumReport",
    "ReturnModel",
    "ViewShift",
    "planning_assumptions",
    "Asset",
    "BROAD_CLASSES",
    "CapitalMarketAssumptions",
    "Market",
    "Universe",
    "UniverseMarketWeights",
    "asset_from_row",
    "correlation_from_pairs",
    "default_market",
    "default_universe_table",
    "global_market_weights_table",
    "infer_periods_per_year",
    "market_from_prices",
    "market_weights_for",
    "prices_from_long",
    "simple_returns",
    "validate_market_weights_table",
    "validate_prices",
]
