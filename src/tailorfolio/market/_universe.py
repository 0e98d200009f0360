"""The asset universe: which assets may be held, and what is known about each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from tailorfolio.errors import DataError, MissingAssetsError

BROAD_CLASSES = ("equity", "bond", "real_asset", "cash")
"""Broad asset classes every asset maps to (used for class bounds and reports)."""


@dataclass(frozen=True)
class Asset:
    """One investable asset and its metadata.

    Attributes
    ----------
    ticker : str
        Unique identifier, upper case.
    name : str
    asset_class : str
        Fine class, snake_case (``us_equity``, ``us_aggregate_bond``...).
    broad_class : str
        One of :data:`BROAD_CLASSES`.
    region : str
    sector : str
        Sector (GICS sector for stocks; ``diversified``, ``government``... for funds).
    activities : tuple of str
        Business-activity tags the asset has exposure to (``fossil_fuels``, ``tobacco``...),
        lower case; used for exclusions.
    esg_score : float or None
        Total ESG score on a 0–100 scale, higher is better; None when unknown.
    esg_e, esg_s, esg_g : float or None
        Pillar scores on the same scale, when known.
    carbon_intensity : float or None
        Tonnes CO2e per $1M revenue (scope 1+2), when known.
    expense_ratio : float
        Annual fund expense, decimal.
    yield_ : float
        Annual distribution yield, decimal.
    qualified_dividend_share : float
        Share of distributions that are qualified dividends, in [0, 1].
    index_tracked : str
        Benchmark index; same index means substantially identical (wash sales).
    """

    ticker: str
    name: str
    asset_class: str
    broad_class: str
    region: str = ""
    sector: str = ""
    activities: tuple[str, ...] = ()
    esg_score: float | None = None
    esg_e: float | None = None
    esg_s: float | None = None
    esg_g: float | None = None
    carbon_intensity: float | None = None
    expense_ratio: float = 0.0
    yield_: float = 0.0
    qualified_dividend_share: float = 0.0
    index_tracked: str = ""

    def __post_init__(self) -> None:
        if self.broad_class not in BROAD_CLASSES:
            raise DataError(
                f"Asset {self.ticker}: broad_class {self.broad_class!r} is not one of "
                f"{list(BROAD_CLASSES)}.",
                field=f"universe.{self.ticker}.broad_class",
                value=self.broad_class,
                expected=f"one of {list(BROAD_CLASSES)}",
                fix="correct the broad_class column of the universe file",
            )
        if self.esg_score is not None and not 0 <= self.esg_score <= 100:
            raise DataError(
                f"Asset {self.ticker}: esg_score {self.esg_score} is outside 0..100.",
                field=f"universe.{self.ticker}.esg_score",
                value=self.esg_score,
                expected="a number in [0, 100], higher is better",
                fix="rescale the scores to 0..100 (invert risk ratings where higher is worse)",
            )

    def tags(self) -> set[str]:
        """Every label an exclusion can match: ticker, classes, sector and activities (lower)."""
        return {
            self.ticker.lower(),
            self.asset_class.lower(),
            self.broad_class.lower(),
            self.sector.lower(),
            *(a.lower() for a in self.activities),
        } - {""}


@dataclass(frozen=True)
class Universe:
    """An ordered, immutable set of assets.

    The order of ``assets`` fixes the order of every weight vector and matrix built from it.
    """

    assets: tuple[Asset, ...]
    name: str = "custom"
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.assets:
            raise DataError(
                "The universe is empty.", field="universe", value=0,
                expected="at least one asset", fix="list assets in the universe file",
            )
        tickers = [a.ticker for a in self.assets]
        dupes = sorted({t for t in tickers if tickers.count(t) > 1})
        if dupes:
            raise DataError(
                f"The universe lists {dupes} more than once.", field="universe.ticker",
                value=dupes, expected="unique tickers", fix="remove the duplicate rows",
            )
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(tickers)})

    def __len__(self) -> int:
        return len(self.assets)

    def __iter__(self) -> Iterator[Asset]:
        return iter(self.assets)

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._index

    def __getitem__(self, ticker: str) -> Asset:
        try:
            return self.assets[self._index[ticker]]
        except KeyError:
            raise MissingAssetsError(
                f"Asset {ticker!r} is not in the universe {self.name!r}.",
                missing=[ticker], field="asset", expected=f"one of {self.tickers}",
                fix="add it to the universe or correct the ticker",
            ) from None

    @property
    def tickers(self) -> list[str]:
        """Tickers in universe order."""
        return [a.ticker for a in self.assets]

    def index_of(self, ticker: str) -> int:
        """Position of ``ticker`` in the universe order."""
        self[ticker]
        return self._index[ticker]

    def require(self, tickers: Iterable[str], *, what: str, fix: str) -> None:
        """Raise :class:`MissingAssetsError` naming every ticker of ``tickers`` not present."""
        missing = sorted({t for t in tickers if t not in self._index})
        if missing:
            raise MissingAssetsError(
                f"{what} refer(s) to {missing}, which the universe {self.name!r} does not "
                f"contain (it has {self.tickers}).",
                missing=missing, field=what, fix=fix,
            )

    def subset(self, tickers: Sequence[str]) -> Universe:
        """A universe of only ``tickers``, in the given order."""
        self.require(tickers, what="subset", fix="choose tickers from the universe")
        return Universe(tuple(self[t] for t in tickers), name=self.name)

    def with_assets(self, assets: Sequence[Asset]) -> Universe:
        """A copy with ``assets`` replacing same-ticker assets (others kept)."""
        by = {a.ticker: a for a in assets}
        return replace(self, assets=tuple(by.get(a.ticker, a) for a in self.assets))

    def classes(self, level: str = "asset_class") -> list[str]:
        """Per-asset class labels in universe order; ``level`` is asset_class or broad_class."""
        return [getattr(a, level) for a in self.assets]

    def to_frame(self) -> pd.DataFrame:
        """Metadata table, one row per asset, indexed by ticker."""
        rows = []
        for a in self.assets:
            rows.append(
                {
                    "ticker": a.ticker, "name": a.name, "asset_class": a.asset_class,
                    "broad_class": a.broad_class, "region": a.region, "sector": a.sector,
                    "activities": ";".join(a.activities), "esg_score": a.esg_score,
                    "esg_e": a.esg_e, "esg_s": a.esg_s, "esg_g": a.esg_g,
                    "carbon_intensity": a.carbon_intensity,
                    "expense_ratio": a.expense_ratio, "yield": a.yield_,
                    "index_tracked": a.index_tracked,
                }
            )
        return pd.DataFrame(rows).set_index("ticker")
