"""A market: universe + assumptions + (optionally) price history and current prices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from tailorfolio.errors import DataError
from tailorfolio.market._assumptions import CapitalMarketAssumptions
from tailorfolio.market._universe import Universe


@dataclass(frozen=True)
class Market:
    """Everything the engine knows about the investable world.

    Attributes
    ----------
    universe : Universe
    assumptions : CapitalMarketAssumptions
        Aligned with ``universe`` (same tickers, same order).
    prices : pandas.DataFrame or None
        Historical prices (dates × tickers), validated, if any were supplied.
    last_prices : dict of str to float
        Price per share used to value holdings, currency units.
    as_of : str
        Date of ``last_prices`` (ISO), recorded in plans.
    """

    universe: Universe
    assumptions: CapitalMarketAssumptions
    prices: pd.DataFrame | None = None
    last_prices: dict[str, float] = field(default_factory=dict)
    as_of: str = ""

    def __post_init__(self) -> None:
        if self.assumptions.tickers != self.universe.tickers:
            raise DataError(
                "The assumptions and the universe list different tickers: "
                f"{self.assumptions.tickers} vs {self.universe.tickers}.",
                field="market.assumptions", value=self.assumptions.tickers,
                fix="give assumptions for exactly the universe's assets, in its order",
            )

    @property
    def tickers(self) -> list[str]:
        return self.universe.tickers

    def price_of(self, ticker: str) -> float:
        """Current price of ``ticker``; raises :class:`DataError` if unknown."""
        try:
            return self.last_prices[ticker]
        except KeyError:
            raise DataError(
                f"No current price for {ticker!r}, so its holdings cannot be valued.",
                field="market.last_prices", value=ticker,
                fix="supply prices with --market (a price file whose last row is today's)",
            ) from None

    def subset(self, tickers: list[str]) -> Market:
        """The market restricted to ``tickers``."""
        return replace(
            self,
            universe=self.universe.subset(tickers),
            assumptions=self.assumptions.subset(tickers),
            prices=None if self.prices is None else self.prices[tickers],
            last_prices={t: p for t, p in self.last_prices.items() if t in tickers},
        )
