"""Closed sets of choices used in investor profiles."""

from __future__ import annotations

from enum import Enum


class FilingStatus(str, Enum):
    """US federal filing status."""

    SINGLE = "single"
    MARRIED_JOINT = "married_joint"
    MARRIED_SEPARATE = "married_separate"
    HEAD_OF_HOUSEHOLD = "head_of_household"


class EmploymentStability(str, Enum):
    """How dependable the investor's earned income is (a risk-capacity input)."""

    STABLE = "stable"  # salaried, tenured, long-standing employer
    MODERATE = "moderate"  # salaried in a cyclical industry, contract renewals
    VARIABLE = "variable"  # commission, self-employed, seasonal
    RETIRED = "retired"  # living on pensions / portfolio
    NOT_EMPLOYED = "not_employed"


class AccountType(str, Enum):
    """Tax treatment of an account."""

    TAXABLE = "taxable"  # brokerage: dividends and realized gains taxed yearly
    TRADITIONAL = "traditional"  # traditional IRA / 401(k): tax-deferred, withdrawals ordinary income
    ROTH = "roth"  # Roth IRA / Roth 401(k): tax-free qualified withdrawals


class GoalPriority(str, Enum):
    """How much a goal matters; essential goals are funded first and weigh most."""

    ESSENTIAL = "essential"
    IMPORTANT = "important"
    ASPIRATIONAL = "aspirational"


class GoalKind(str, Enum):
    """A lump sum at a date, or a yearly income drawn for a number of years from a date."""

    LUMP_SUM = "lump_sum"
    INCOME = "income"


class IncomeStreamKind(str, Enum):
    """Where a household's retirement income comes from (besides the portfolio)."""

    SOCIAL_SECURITY = "social_security"  # US Social Security retirement benefit
    PENSION = "pension"  # defined-benefit pension
    ANNUITY = "annuity"  # income annuity bought from an insurer
    PART_TIME_WORK = "part_time_work"  # earnings while (semi-)retired


class StreamOwner(str, Enum):
    """Whose income stream it is: the profile's primary person or the partner."""

    PRIMARY = "primary"
    PARTNER = "partner"


PRIORITY_WEIGHT: dict[GoalPriority, float] = {
    GoalPriority.ESSENTIAL: 1.0,
    GoalPriority.IMPORTANT: 0.6,
    GoalPriority.ASPIRATIONAL: 0.3,
}
"""Relative weight of each priority when goals are combined (capacity, goal-weighted success)."""
