"""The household beyond the primary person: a partner, and income streams (Social Security,
pensions, annuities, part-time work) that pay for retirement spending besides the portfolio."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tailorfolio.limits import MAX_MONEY
from tailorfolio.profile._enums import IncomeStreamKind, StreamOwner
from tailorfolio.profile._social_security import (
    SS_MAX_CLAIM_AGE,
    SS_MIN_CLAIM_AGE,
    claiming_factor,
)

MAX_INCOME_STREAMS = 20
"""Most income streams in one profile (a household has a handful)."""


class Person(BaseModel):
    """The second adult of a household (spouse or partner).

    Attributes
    ----------
    name : str
    age : int
        Years, 18–110.
    annual_income : float
        Gross earned income per year (>= 0), currency units.
    retirement_age : int
        Age at which the partner stops working, 30–100.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(default="Partner", min_length=1, max_length=120)
    age: int = Field(ge=18, le=110)
    annual_income: float = Field(default=0.0, ge=0, le=MAX_MONEY)
    retirement_age: int = Field(default=65, ge=30, le=100)


class IncomeStream(BaseModel):
    """Income the household receives each year from ``start_age`` of its owner to ``end_age``.

    Amounts are net of tax (like goal amounts: they pay spending directly).

    Attributes
    ----------
    kind : IncomeStreamKind
        ``social_security``, ``pension``, ``annuity`` or ``part_time_work``.
    name : str, optional
        Shown in reports; defaults to the kind ("social security").
    owner : StreamOwner
        ``primary`` (default) or ``partner``: whose ages ``start_age`` and ``end_age`` are.
    annual_amount : float
        Per year, > 0. For Social Security: the benefit at full retirement age (the SSA
        statement's figure, in today's money); the claiming age adjusts it
        (:func:`tailorfolio.profile._social_security.claiming_factor`). For other kinds: the
        amount in the first year it pays (today's money when ``inflation_adjusted``).
    start_age : int
        Owner's age when payments begin, 18–110; for Social Security the claiming age, 62–70.
        An age already passed means the stream pays now.
    end_age : int, optional
        Owner's age when payments stop (exclusive). Default: for life (to the plan's end).
    inflation_adjusted : bool
        True (default): ``annual_amount`` keeps its purchasing power (Social Security's cost-
        of-living adjustment follows the CPI). False: a nominal amount growing by ``cola``.
    cola : float
        Nominal yearly increase of a stream that is not inflation-adjusted, decimal in
        [0, 0.1] (0.02 = +2 %/yr). Must be 0 for an inflation-adjusted stream.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: IncomeStreamKind
    name: str | None = Field(default=None, min_length=1, max_length=120)
    owner: StreamOwner = StreamOwner.PRIMARY
    annual_amount: float = Field(gt=0, le=MAX_MONEY)
    start_age: int = Field(ge=18, le=110)
    end_age: int | None = Field(default=None, ge=19, le=120)
    inflation_adjusted: bool = True
    cola: float = Field(default=0.0, ge=0, le=0.1)

    @model_validator(mode="after")
    def _consistent(self) -> IncomeStream:
        # Messages start with the field they concern, so the profile parser names it.
        if self.kind is IncomeStreamKind.SOCIAL_SECURITY and not (
                SS_MIN_CLAIM_AGE <= self.start_age <= SS_MAX_CLAIM_AGE):
            raise ValueError(
                f"start_age: {self.start_age} is not a Social Security claiming age; benefits "
                f"can be claimed from {SS_MIN_CLAIM_AGE} to {SS_MAX_CLAIM_AGE} (claiming after "
                f"{SS_MAX_CLAIM_AGE} earns no more credits)")
        if self.end_age is not None and self.end_age <= self.start_age:
            raise ValueError(
                f"end_age: {self.end_age} is not after start_age {self.start_age}; leave "
                "end_age out for a stream paid for life")
        if self.inflation_adjusted and self.cola > 0:
            raise ValueError(
                f"cola: {self.cola} is given for an inflation-adjusted stream; a cola applies "
                "to nominal streams only (set inflation_adjusted: false, or drop cola)")
        return self

    @property
    def label(self) -> str:
        """Name for reports: ``name`` or the kind in words."""
        return self.name or self.kind.value.replace("_", " ")

    def first_year_amount(self, owner_birth_year: int) -> float:
        """Yearly amount when it starts: the FRA benefit times the claiming factor for Social
        Security, ``annual_amount`` otherwise (currency units per year)."""
        if self.kind is IncomeStreamKind.SOCIAL_SECURITY:
            return self.annual_amount * claiming_factor(12 * self.start_age, owner_birth_year)
        return self.annual_amount
