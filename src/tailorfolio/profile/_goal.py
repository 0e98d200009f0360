"""A financial goal: an amount in today's money, a date, a priority and the money set aside for it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tailorfolio.limits import MAX_MONEY, MAX_YEAR
from tailorfolio.profile._enums import GoalKind, GoalPriority


class Goal(BaseModel):
    """One goal of the investor.

    Amounts are in today's money (real terms) when ``inflation_adjusted`` is true, which is the
    default; the simulation grows them with inflation.

    Attributes
    ----------
    name : str
        Free text shown in reports ("House deposit").
    amount : float
        For a lump-sum goal, the amount needed at the target date; for an income goal, the
        amount needed *per year* for ``duration_years`` years from the target date. Currency
        units, > 0.
    target_year : int, optional
        Calendar year the goal falls due. Give this or ``years``.
    years : float, optional
        Years from the profile's ``as_of`` date until the goal falls due (> 0).
    priority : GoalPriority
        essential / important / aspirational.
    kind : GoalKind
        ``lump_sum`` (default) or ``income``.
    duration_years : int
        Years an income goal lasts (ignored for lump sums).
    current_savings : float
        Money already earmarked for this goal, part of the household's accounts (>= 0).
    annual_contribution : float
        Planned saving toward this goal per year until the target date (>= 0).
    contribution_growth : float
        Yearly growth of the contribution, decimal (0.02 = +2 %/yr).
    inflation_adjusted : bool
        Whether ``amount`` is in today's money (True) or nominal (False).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=120)
    amount: float = Field(gt=0, le=MAX_MONEY)
    target_year: int | None = Field(default=None, ge=1900, le=MAX_YEAR)
    years: float | None = Field(default=None, gt=0, le=100)
    priority: GoalPriority = GoalPriority.IMPORTANT
    kind: GoalKind = GoalKind.LUMP_SUM
    duration_years: int = Field(default=1, ge=1, le=60)
    current_savings: float = Field(default=0.0, ge=0, le=MAX_MONEY)
    annual_contribution: float = Field(default=0.0, ge=0, le=MAX_MONEY)
    contribution_growth: float = Field(default=0.0, ge=-0.5, le=0.5)
    inflation_adjusted: bool = True

    @model_validator(mode="after")
    def _one_date(self) -> Goal:
        if self.target_year is None and self.years is None:
            raise ValueError(
                "a goal needs a date: give 'target_year' (e.g. 2031) or 'years' (e.g. 6)"
            )
        if self.target_year is not None and self.years is not None:
            raise ValueError("give either 'target_year' or 'years', not both")
        return self

    def years_until(self, as_of_year: float) -> float:
        """Years from ``as_of_year`` (fractional calendar year) to the goal's start, >= 0."""
        if self.years is not None:
            return float(self.years)
        assert self.target_year is not None
        return max(0.0, float(self.target_year) - as_of_year)
