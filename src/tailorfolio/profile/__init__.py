"""Investor profiles: who the investor is, what they want, and what they hold."""

from tailorfolio.profile._account import Account, TaxLot
from tailorfolio.profile._enums import (
    PRIORITY_WEIGHT,
    AccountType,
    EmploymentStability,
    FilingStatus,
    GoalKind,
    GoalPriority,
    IncomeStreamKind,
    StreamOwner,
)
from tailorfolio.profile._household import IncomeStream, Person
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._investor import InvestorProfile, TaxRates
from tailorfolio.profile._parse import parse_profile, profile_from_yaml
from tailorfolio.profile._preferences import Bounds, Preferences
from tailorfolio.profile._questionnaire import CONSISTENCY_PAIRS, QUESTIONS, QUESTIONS_BY_KEY, Question
from tailorfolio.profile._realized import RealizedGains

__all__ = [
    "Account",
    "AccountType",
    "Bounds",
    "CONSISTENCY_PAIRS",
    "EmploymentStability",
    "FilingStatus",
    "Goal",
    "GoalKind",
    "GoalPriority",
    "IncomeStream",
    "IncomeStreamKind",
    "InvestorProfile",
    "PRIORITY_WEIGHT",
    "Person",
    "Preferences",
    "QUESTIONS",
    "QUESTIONS_BY_KEY",
    "Question",
    "RealizedGains",
    "StreamOwner",
    "TaxLot",
    "TaxRates",
    "parse_profile",
    "profile_from_yaml",
]
