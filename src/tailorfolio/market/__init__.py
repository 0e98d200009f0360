"""The investable world: asset universe, capital-market assumptions, prices, datasets."""

from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._defaults import (
    asset_from_row,
    correlation_from_pairs,
    default_market,
    default_universe_table,
)
from tailorfolio.market._from_prices import market_from_prices
from tailorfolio.market._market import Market
from tailorfolio.market._prices import (
    infer_periods_per_year,
    prices_from_long,
    simple_returns,
    validate_prices,
)
from tailorfolio.market._universe import BROAD_CLASSES, Asset, Universe

__all__ = [
    "Asset",
    "BROAD_CLASSES",
    "CapitalMarketAssumptions",
    "Market",
    "Universe",
    "asset_from_row",
    "correlation_from_pairs",
    "default_market",
    "default_universe_table",
    "infer_periods_per_year",
    "market_from_prices",
    "prices_from_long",
    "simple_returns",
    "validate_prices",
]
