"""Capital gains the household has already realized this tax year (an input of the plan)."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_ABS_GAINS = 1e12
"""Largest |gain| accepted, currency units (anything larger is a typo)."""


class RealizedGains(BaseModel):
    """Net realized capital gains of the current tax year so far, before this plan's trades.

    The tax stage nets the plan's sales with them (IRC §1222) and applies the year's loss limit
    (IRC §1211(b)) and any realized-gains budget to the year's total.

    Attributes
    ----------
    short_term : float
        Net short-term gain (a net loss negative), currency units.
    long_term : float
        Net long-term gain (a net loss negative), currency units.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    short_term: float = Field(default=0.0, ge=-MAX_ABS_GAINS, le=MAX_ABS_GAINS)
    long_term: float = Field(default=0.0, ge=-MAX_ABS_GAINS, le=MAX_ABS_GAINS)

    @field_validator("short_term", "long_term")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number of currency units, got {v!r}")
        return v

    @property
    def net(self) -> float:
        """Short- plus long-term, currency units."""
        return self.short_term + self.long_term
