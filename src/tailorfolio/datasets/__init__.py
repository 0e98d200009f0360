"""Real historical data shipped with tailorfolio or read from packages it depends on.

Nothing here downloads anything: every dataset is a file inside this package (with its source
and licence stated next to it, ``datasets/data/README.md``) or inside a dependency's package
data (skfolio's S&P 500 sample).
"""

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
