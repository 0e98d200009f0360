"""When to rebalance: on a calendar, or when weights drift outside a band.

A policy says at which periods the strategy is *reviewed* (asked for new target weights) and
whether, at a review, the portfolio is traded to the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.typing import FloatArray


class RebalancePolicy:
    """Base class: ``is_review(k)`` for the k-th decision date, ``should_trade`` at a review."""

    def is_review(self, k: int) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def should_trade(self, current: FloatArray, target: FloatArray) -> bool:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class CalendarPolicy(RebalancePolicy):
    """Trade to target every ``every_periods`` periods (``None``: buy and hold).

    Parameters
    ----------
    every_periods : int or None
        1 monthly, 3 quarterly, 12 annually on monthly data.
    """

    every_periods: int | None = 1

    def __post_init__(self) -> None:
        if self.every_periods is not None and self.every_periods < 1:
            raise ParameterError(f"every_periods must be >= 1 or None. Got {self.every_periods}.",
                                 field="every_periods", value=self.every_periods)

    def is_review(self, k: int) -> bool:
        if self.every_periods is None:
            return k == 0
        return k % self.every_periods == 0

    def should_trade(self, current: FloatArray, target: FloatArray) -> bool:
        return True


@dataclass(frozen=True)
class DriftBandPolicy(RebalancePolicy):
    """Review every ``review_every`` periods; trade to target only when a weight left its band.

    An asset is outside its band when ``|w − target| > abs_band`` or, if ``rel_band`` is given,
    ``|w − target| > rel_band · target`` (the smaller band applies — Vanguard's "5/25" rule is
    ``abs_band=0.05, rel_band=0.25``). The trade goes all the way back to target.

    Parameters
    ----------
    abs_band : float
        Absolute band, decimal weight.
    rel_band : float, optional
        Relative band, fraction of the target weight.
    review_every : int
        Periods between reviews.
    """

    abs_band: float = 0.05
    rel_band: float | None = None
    review_every: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.abs_band < 1:
            raise ParameterError(f"abs_band must be in (0, 1). Got {self.abs_band}.",
                                 field="abs_band", value=self.abs_band)
        if self.rel_band is not None and self.rel_band <= 0:
            raise ParameterError(f"rel_band must be > 0. Got {self.rel_band}.",
                                 field="rel_band", value=self.rel_band)
        if self.review_every < 1:
            raise ParameterError(f"review_every must be >= 1. Got {self.review_every}.",
                                 field="review_every", value=self.review_every)

    def is_review(self, k: int) -> bool:
        return k % self.review_every == 0

    def bands(self, target: FloatArray) -> FloatArray:
        """Allowed absolute deviation per asset."""
        band = np.full_like(target, self.abs_band, dtype=float)
        if self.rel_band is not None:
            band = np.minimum(band, self.rel_band * np.abs(target))
        return band

    def should_trade(self, current: FloatArray, target: FloatArray) -> bool:
        return bool(np.any(np.abs(current - target) > self.bands(target) + 1e-15))
