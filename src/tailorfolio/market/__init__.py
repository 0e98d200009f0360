"""The investable world: asset universe, capital-market assumptions, prices, datasets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
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

_EXPORTS = {
    "CapitalMarketAssumptions": "tailorfolio.market._assumptions",
    "asset_from_row": "tailorfolio.market._defaults",
    "correlation_from_pairs": "tailorfolio.market._defaults",
    "default_market": "tailorfolio.market._defaults",
    "default_universe_table": "tailorfolio.market._defaults",
    "DEFAULT_TAU": "tailorfolio.market._equilibrium",
    "DEFAULT_VIEW_CONFIDENCE": "tailorfolio.market._return_model",
    "EquilibriumReport": "tailorfolio.market._equilibrium",
    "ReturnModel": "tailorfolio.market._return_model",
    "ViewShift": "tailorfolio.market._equilibrium",
    "planning_assumptions": "tailorfolio.market._equilibrium",
    "market_from_prices": "tailorfolio.market._from_prices",
    "Market": "tailorfolio.market._market",
    "UniverseMarketWeights": "tailorfolio.market._market_weights",
    "global_market_weights_table": "tailorfolio.market._market_weights",
    "market_weights_for": "tailorfolio.market._market_weights",
    "validate_market_weights_table": "tailorfolio.market._market_weights",
    "infer_periods_per_year": "tailorfolio.market._prices",
    "prices_from_long": "tailorfolio.market._prices",
    "simple_returns": "tailorfolio.market._prices",
    "validate_prices": "tailorfolio.market._prices",
    "BROAD_CLASSES": "tailorfolio.market._universe",
    "Asset": "tailorfolio.market._universe",
    "Universe": "tailorfolio.market._universe",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

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
