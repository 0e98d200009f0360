"""Real historical data shipped with tailorfolio or read from packages it depends on.

Nothing here downloads anything: every dataset is a file inside this package (with its source
and licence stated next to it, ``datasets/data/README.md``) or inside a dependency's package
data (skfolio's S&P 500 sample).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.datasets._catalog import (
        DatasetName,
        ReturnDataset,
        constant_maturity_bond_returns,
        load_dataset,
        load_sp500_prices,
    )
    from tailorfolio.datasets._french import load_ff_factors, load_ff_industries
    from tailorfolio.datasets._shiller import load_shiller, valuation_predictors
    from tailorfolio.datasets._us_annual_returns import (
        US_ANNUAL_RETURNS_SOURCE,
        US_SERIES,
        us_annual_returns,
    )

_EXPORTS = {
    "DatasetName": "tailorfolio.datasets._catalog",
    "ReturnDataset": "tailorfolio.datasets._catalog",
    "constant_maturity_bond_returns": "tailorfolio.datasets._catalog",
    "load_dataset": "tailorfolio.datasets._catalog",
    "load_sp500_prices": "tailorfolio.datasets._catalog",
    "load_ff_factors": "tailorfolio.datasets._french",
    "load_ff_industries": "tailorfolio.datasets._french",
    "load_shiller": "tailorfolio.datasets._shiller",
    "valuation_predictors": "tailorfolio.datasets._shiller",
    "US_ANNUAL_RETURNS_SOURCE": "tailorfolio.datasets._us_annual_returns",
    "US_SERIES": "tailorfolio.datasets._us_annual_returns",
    "us_annual_returns": "tailorfolio.datasets._us_annual_returns",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "US_ANNUAL_RETURNS_SOURCE",
    "US_SERIES",
    "DatasetName",
    "ReturnDataset",
    "constant_maturity_bond_returns",
    "load_dataset",
    "load_ff_factors",
    "load_ff_industries",
    "load_shiller",
    "load_sp500_prices",
    "us_annual_returns",
    "valuation_predictors",
]
