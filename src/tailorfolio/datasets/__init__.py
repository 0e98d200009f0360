"""Real historical data shipped with tailorfolio or read from packages it depends on.

Nothing here downloads anything: every dataset is a file inside this package (with its source
and licence stated next to it) or inside a dependency's package data.
"""

from tailorfolio.datasets._us_annual_returns import (
    US_ANNUAL_RETURNS_SOURCE,
    US_SERIES,
    us_annual_returns,
)

__all__ = ["US_ANNUAL_RETURNS_SOURCE", "US_SERIES", "us_annual_returns"]
