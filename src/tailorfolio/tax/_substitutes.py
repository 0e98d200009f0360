"""Which securities are "substantially identical" (IRC §1091) and which can replace which.

The IRS has not defined "substantially identical"; the engine follows industry practice:
two funds are substantially identical when they track the same index (or are the same
ticker). Substitutes come from the bundled ``data/substitutes.csv`` (a correlated fund per
asset class tracking a different index; see ``data/substitutes_notes.md``) and from any
universe assets of the same ``asset_class``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from tailorfolio.market._universe import Universe


@dataclass(frozen=True)
class Security:
    """A fund known to the substitute table."""

    ticker: str
    name: str
    asset_class: str
    index_tracked: str
    rank: int


@lru_cache(maxsize=1)
def _bundled() -> tuple[Security, ...]:
    text = resources.files("tailorfolio.tax").joinpath("data/substitutes.csv").read_text("utf-8")
    df = pd.read_csv(io.StringIO(text))
    return tuple(Security(r.ticker, r.name, r.asset_class, r.index_tracked, int(r.rank))
                 for r in df.itertuples(index=False))


class SubstituteTable:
    """Substitute groups and the substantially-identical relation.

    Parameters
    ----------
    securities : sequence of Security, optional
        Defaults to the bundled table.
    universe : Universe, optional
        Its assets are added (their ``index_tracked`` and ``asset_class``) when missing.
    """

    def __init__(self, securities: tuple[Security, ...] | None = None,
                 universe: Universe | None = None) -> None:
        secs = {s.ticker: s for s in (securities if securities is not None else _bundled())}
        if universe is not None:
            for a in universe:
                if a.ticker not in secs:
                    secs[a.ticker] = Security(a.ticker, a.name, a.asset_class,
                                              a.index_tracked or a.ticker, 1)
        self._by_ticker = secs

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._by_ticker

    def get(self, ticker: str) -> Security | None:
        return self._by_ticker.get(ticker)

    def index_of(self, ticker: str) -> str:
        """The index ``ticker`` tracks (the ticker itself when unknown)."""
        s = self._by_ticker.get(ticker)
        return s.index_tracked if s is not None and s.index_tracked else ticker

    def identical(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` are substantially identical (same ticker or same index)."""
        return a == b or self.index_of(a) == self.index_of(b)

    def identical_set(self, ticker: str) -> set[str]:
        """``ticker`` and every known security substantially identical to it."""
        return {t for t in self._by_ticker if self.identical(t, ticker)} | {ticker}

    def group(self, ticker: str) -> list[Security]:
        """The securities of ``ticker``'s asset class, by rank."""
        s = self._by_ticker.get(ticker)
        if s is None:
            return []
        return sorted((x for x in self._by_ticker.values() if x.asset_class == s.asset_class),
                      key=lambda x: (x.rank, x.ticker))

    def replacements(self, ticker: str, avoid: set[str] = frozenset()) -> list[Security]:
        """Substitutes for ``ticker`` in rotation order: same asset class, not substantially
        identical to ``ticker`` nor to any ticker in ``avoid`` (e.g. sold at a loss in the last
        30 days)."""
        blocked = set(avoid) | {ticker}
        return [s for s in self.group(ticker)
                if not any(self.identical(s.ticker, b) for b in blocked)]


def substitute_table(universe: Universe | None = None) -> SubstituteTable:
    """The bundled substitute table, completed with ``universe``'s assets."""
    return SubstituteTable(universe=universe)
