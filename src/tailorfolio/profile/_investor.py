"""The investor profile: everything tailorfolio knows about one household."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tailorfolio.profile._account import Account
from tailorfolio.profile._enums import EmploymentStability, FilingStatus
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._preferences import Preferences
from tailorfolio.profile._realized import RealizedGains
from tailorfolio.profile._questionnaire import QUESTIONS, QUESTIONS_BY_KEY


class TaxRates(BaseModel):
    """Marginal tax rates, decimals. When omitted, tax features derive them from income and the
    dated federal tables (tax module); these override.

    Attributes
    ----------
    ordinary : float
        Marginal federal rate on ordinary income (and short-term gains).
    long_term_gains : float
        Marginal federal rate on long-term gains and qualified dividends.
    state : float
        Flat state income-tax rate applied to all income and gains.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ordinary: float = Field(default=0.24, ge=0, le=0.6)
    long_term_gains: float = Field(default=0.15, ge=0, le=0.4)
    state: float = Field(default=0.0, ge=0, le=0.2)


class InvestorProfile(BaseModel):
    """One investor (or household).

    Money is in the profile's ``currency`` units; rates are decimals. See the README's
    "Profile format" section and ``tailorfolio profile-template`` for a commented example.

    Attributes
    ----------
    name : str
    age : int
        Years, 18–110.
    as_of : date, optional
        The date the profile describes; goal dates and holding periods count from it.
        Defaults to the day the plan is made (recorded in the plan's provenance).
    annual_income : float
        Gross earned income per year (>= 0).
    annual_expenses : float, optional
        Household spending per year; defaults to 70 % of income (a warning says so).
    liquid_net_worth : float, optional
        Liquid assets outside the listed accounts (savings, other brokerage) that could
        absorb a shock. Defaults to 0.
    employment_stability : EmploymentStability
    filing_status : FilingStatus
    tax_rates : TaxRates, optional
    realized_gains_this_year : RealizedGains
        Net short- and long-term gains already realized this tax year (default 0).
    dependants : int
    retirement_age : int
    risk_questionnaire : dict of str to str or int
        Answers keyed by question (see :data:`tailorfolio.profile.QUESTIONS`); every question
        must be answered.
    goals : list of Goal
    accounts : list of Account
    preferences : Preferences
    currency : str
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="Investor", min_length=1, max_length=120)
    age: int = Field(ge=18, le=110)
    as_of: date | None = None
    annual_income: float = Field(ge=0)
    annual_expenses: float | None = Field(default=None, ge=0)
    liquid_net_worth: float = Field(default=0.0, ge=0)
    employment_stability: EmploymentStability = EmploymentStability.STABLE
    filing_status: FilingStatus = FilingStatus.SINGLE
    tax_rates: TaxRates | None = None
    realized_gains_this_year: RealizedGains = Field(default_factory=RealizedGains)
    dependants: int = Field(default=0, ge=0, le=20)
    retirement_age: int = Field(default=65, ge=30, le=100)
    risk_questionnaire: dict[str, str | int]
    goals: tuple[Goal, ...] = Field(min_length=1)
    accounts: tuple[Account, ...] = Field(min_length=1)
    preferences: Preferences = Field(default_factory=Preferences)
    currency: str = Field(default="USD", pattern="^[A-Z]{3}$")

    @field_validator("risk_questionnaire")
    @classmethod
    def _answers_valid(cls, answers: dict[str, str | int]) -> dict[str, str | int]:
        unknown = sorted(set(answers) - set(QUESTIONS_BY_KEY))
        if unknown:
            raise ValueError(
                f"unknown question(s) {unknown}; the questions are {[q.key for q in QUESTIONS]}"
            )
        missing = [q.key for q in QUESTIONS if q.key not in answers]
        if missing:
            raise ValueError(
                f"unanswered question(s) {missing}; run `tailorfolio profile-template` to see "
                "every question and its options"
            )
        normalised: dict[str, str | int] = {}
        for key, answer in answers.items():
            question = QUESTIONS_BY_KEY[key]
            try:
                idx = question.index_of(answer)
            except ValueError as exc:
                raise ValueError(f"answer to '{key}' is {answer!r}: {exc}") from None
            normalised[key] = question.option_keys[idx]
        return normalised

    @model_validator(mode="after")
    def _unique_names(self) -> InvestorProfile:
        names = [a.name for a in self.accounts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"account names must be unique; repeated: {dupes}")
        gnames = [g.name for g in self.goals]
        gdupes = sorted({n for n in gnames if gnames.count(n) > 1})
        if gdupes:
            raise ValueError(f"goal names must be unique; repeated: {gdupes}")
        return self

    # ------------------------------------------------------------------ derived facts

    @property
    def expenses_per_year(self) -> float:
        """Household spending per year: ``annual_expenses`` or 70 % of income."""
        if self.annual_expenses is not None:
            return self.annual_expenses
        return 0.7 * self.annual_income

    @property
    def held_assets(self) -> list[str]:
        """Tickers held in any account, sorted."""
        return sorted({lot.asset for a in self.accounts for lot in a.lots})

    def answer_index(self, key: str) -> int:
        """Index of the answer to question ``key`` (0 = most cautious)."""
        return QUESTIONS_BY_KEY[key].index_of(self.risk_questionnaire[key])

    def with_answers(self, **answers: Any) -> InvestorProfile:
        """A copy with some questionnaire answers replaced (used by what-if analysis)."""
        merged = {**self.risk_questionnaire, **answers}
        return self.model_copy(update={"risk_questionnaire": merged})
