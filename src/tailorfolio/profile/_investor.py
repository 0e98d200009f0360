"""The investor profile: everything tailorfolio knows about one household."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tailorfolio.limits import (
    MAX_ACCOUNTS,
    MAX_AS_OF,
    MAX_GOAL_YEARS,
    MAX_GOALS,
    MAX_LOTS,
    MAX_MONEY,
    MIN_DATE,
    clip_text,
)
from tailorfolio.profile._account import Account
from tailorfolio.profile._enums import (
    EmploymentStability,
    FilingStatus,
    GoalKind,
    IncomeStreamKind,
    StreamOwner,
)
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._household import MAX_INCOME_STREAMS, IncomeStream, Person
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

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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
    partner : Person, optional
        The second adult of a two-person household (age, income, retirement age).
    income_streams : list of IncomeStream
        Social Security, pensions, annuities, part-time work: income that pays retirement
        spending (income goals) in the years it is received.
    risk_questionnaire : dict of str to str or int
        Answers keyed by question (see :data:`tailorfolio.profile.QUESTIONS`); every question
        must be answered.
    goals : list of Goal
    accounts : list of Account
    preferences : Preferences
    currency : str
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(default="Investor", min_length=1, max_length=120)
    age: int = Field(ge=18, le=110)
    as_of: date | None = Field(default=None, ge=MIN_DATE, le=MAX_AS_OF)
    annual_income: float = Field(ge=0, le=MAX_MONEY)
    annual_expenses: float | None = Field(default=None, ge=0, le=MAX_MONEY)
    liquid_net_worth: float = Field(default=0.0, ge=0, le=MAX_MONEY)
    employment_stability: EmploymentStability = EmploymentStability.STABLE
    filing_status: FilingStatus = FilingStatus.SINGLE
    tax_rates: TaxRates | None = None
    realized_gains_this_year: RealizedGains = Field(default_factory=RealizedGains)
    dependants: int = Field(default=0, ge=0, le=20)
    retirement_age: int = Field(default=65, ge=30, le=100)
    partner: Person | None = None
    income_streams: tuple[IncomeStream, ...] = Field(default=(), max_length=MAX_INCOME_STREAMS)
    risk_questionnaire: dict[str, str | int] = Field(max_length=100)
    goals: tuple[Goal, ...] = Field(min_length=1, max_length=MAX_GOALS)
    accounts: tuple[Account, ...] = Field(min_length=1, max_length=MAX_ACCOUNTS)
    preferences: Preferences = Field(default_factory=Preferences)
    currency: str = Field(default="USD", pattern="^[A-Z]{3}$")

    @field_validator("risk_questionnaire")
    @classmethod
    def _answers_valid(cls, answers: dict[str, str | int]) -> dict[str, str | int]:
        unknown = sorted(str(k) for k in set(answers) - set(QUESTIONS_BY_KEY))
        if unknown:
            raise ValueError(
                f"unknown question(s) {clip_text(unknown)}; the questions are "
                f"{[q.key for q in QUESTIONS]}"
            )
        missing = [q for q in QUESTIONS if q.key not in answers]
        if missing:
            # the CLI and the API show this text (the portal its own), so it names the options
            # itself instead of pointing at one front end's command
            listed = "; ".join(f"{q.key}: {' | '.join(q.option_keys)}" for q in missing[:4])
            more = (f"; and {len(missing) - 4} more (every question and its options: the "
                    "profile template or the API's profile example)") if len(missing) > 4 else ""
            raise ValueError(
                f"unanswered question(s) {[q.key for q in missing]}; answer each with one "
                f"option key, most cautious first: {listed}{more}"
            )
        normalised: dict[str, str | int] = {}
        for key, answer in answers.items():
            question = QUESTIONS_BY_KEY[key]
            try:
                idx = question.index_of(answer)
            except ValueError as exc:
                raise ValueError(f"answer to '{key}' is {clip_text(answer)}: {exc}") from None
            normalised[key] = question.option_keys[idx]
        return normalised

    @field_validator("accounts")
    @classmethod
    def _unique_accounts(cls, accounts: tuple[Account, ...]) -> tuple[Account, ...]:
        _check_unique([a.name for a in accounts], "account")
        n_lots = sum(len(a.lots) for a in accounts)
        if n_lots > MAX_LOTS:
            raise ValueError(f"the accounts hold {n_lots:,} lots; at most {MAX_LOTS:,} are "
                             "supported (merge lots of the same asset and year)")
        return accounts

    @field_validator("goals")
    @classmethod
    def _unique_goals(cls, goals: tuple[Goal, ...]) -> tuple[Goal, ...]:
        _check_unique([g.name for g in goals], "goal")
        return goals

    @model_validator(mode="after")
    def _streams_have_owners(self) -> InvestorProfile:
        # Each person has one Social Security record; a partner's stream needs a partner.
        claimed: set[StreamOwner] = set()
        for i, st in enumerate(self.income_streams):
            if st.owner is StreamOwner.PARTNER and self.partner is None:
                raise ValueError(
                    f"income_streams[{i}].owner: 'partner' but the profile has no partner; "
                    "add a 'partner' (name, age, annual_income, retirement_age) or set owner "
                    "to 'primary'")
            if st.kind is IncomeStreamKind.SOCIAL_SECURITY:
                if st.owner in claimed:
                    raise ValueError(
                        f"income_streams[{i}].kind: a second Social Security benefit for the "
                        f"{st.owner.value} person; each person has one (give the benefit at "
                        "full retirement age once)")
                claimed.add(st.owner)
        return self

    @model_validator(mode="after")
    def _dates_consistent(self) -> InvestorProfile:
        # Hard date rules (README "Errors"): nothing is bought after the day the profile
        # describes, and a one-off goal cannot fall due before it. Softer oddities are
        # ``validation_warnings``.
        on = self.as_of or date.today()
        for i, acc in enumerate(self.accounts):
            for j, lot in enumerate(acc.lots):
                if lot.acquired > on:
                    raise ValueError(
                        f"accounts[{i}].lots[{j}].acquired: {lot.acquired} is after the "
                        f"profile's as_of date {on}; a lot held today was bought on or "
                        "before it (fix the date, or set as_of)")
        for i, g in enumerate(self.goals):
            if g.target_year is not None and g.target_year > on.year + MAX_GOAL_YEARS:
                raise ValueError(
                    f"goals[{i}].target_year: {g.target_year} is more than {MAX_GOAL_YEARS} "
                    f"years after the as_of year {on.year}; plans look at most "
                    f"{MAX_GOAL_YEARS} years ahead")
            if (g.target_year is not None and g.target_year < on.year
                    and g.kind is GoalKind.LUMP_SUM):
                raise ValueError(
                    f"goals[{i}].target_year: {g.target_year} is before the as_of year "
                    f"{on.year}; a goal in the past cannot be planned for (update or remove "
                    f"the goal {clip_text(g.name, 40)})")
        return self

    @property
    def validation_warnings(self) -> tuple[str, ...]:
        """Plausibility warnings: accepted, but worth showing beside the plan.

        Each names the field. Computed from the profile alone (``as_of`` or today).
        """
        on = self.as_of or date.today()
        out: list[str] = []
        born = on.year - self.age
        for i, acc in enumerate(self.accounts):
            early = [j for j, lot in enumerate(acc.lots) if lot.acquired.year < born]
            if early:
                out.append(
                    f"accounts[{i}].lots[{early[0]}].acquired: "
                    f"{acc.lots[early[0]].acquired} is before the investor was born (about "
                    f"{born}){f' ({len(early)} lots)' if len(early) > 1 else ''}; right only "
                    "for gifted shares, which keep the donor's date")
        for i, g in enumerate(self.goals):
            if g.target_year is not None and g.target_year < on.year:
                out.append(
                    f"goals[{i}].target_year: the income goal {clip_text(g.name, 40)} began "
                    f"in {g.target_year}, before {on.year}; it is planned as starting now "
                    f"for {g.duration_years} year(s)")
        if (self.retirement_age < self.age and self.employment_stability
                not in (EmploymentStability.RETIRED, EmploymentStability.NOT_EMPLOYED)):
            out.append(
                f"retirement_age: {self.retirement_age} is below age {self.age} but "
                f"employment_stability is {self.employment_stability.value}; set it to "
                "'retired' if the investor has retired, or correct the retirement age")
        return tuple(out)

    # ------------------------------------------------------------------ derived facts

    @property
    def expenses_per_year(self) -> float:
        """Household spending per year: ``annual_expenses`` or 70 % of the household's income
        (both people's)."""
        if self.annual_expenses is not None:
            return self.annual_expenses
        return 0.7 * self.household_income

    @property
    def household_income(self) -> float:
        """Earned income of both people per year (the primary's alone without a partner)."""
        return self.annual_income + (self.partner.annual_income if self.partner else 0.0)

    @property
    def years_to_retirement(self) -> int:
        """Years until the last of the household's earners retires (>= 0): the younger
        person's horizon when both work."""
        years = self.retirement_age - self.age
        if self.partner is not None:
            years = max(years, self.partner.retirement_age - self.partner.age)
        return max(years, 0)

    def age_and_birth_year(self, owner: StreamOwner) -> tuple[int, int]:
        """(age, birth year) of the stream owner ``owner``, birth year as ``as_of`` year −
        age (the profile knows ages, not birthdays)."""
        on = self.as_of or date.today()
        age = self.partner.age if owner is StreamOwner.PARTNER and self.partner else self.age
        return age, on.year - age

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


def _check_unique(names: list[str], what: str) -> None:
    """Raise naming the repeated names (linear; the message is bounded)."""
    seen: set[str] = set()
    dupes: list[str] = []
    for n in names:
        if n in seen and n not in dupes:
            dupes.append(n)
        seen.add(n)
    if dupes:
        shown = ", ".join(clip_text(d, 40) for d in dupes[:5])
        more = f" and {len(dupes) - 5} more" if len(dupes) > 5 else ""
        raise ValueError(f"{what} names must be unique; repeated: {shown}{more}")
