"""A two-person household and income streams in the profile: SSA's claiming rules, field-level
validation, and the household facts (combined income, the later retirement)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailorfolio.errors import ProfileValidationError
from tailorfolio.profile import parse_profile
from tailorfolio.profile._social_security import (
    claiming_factor,
    full_retirement_age_months,
)
from tailorfolio.tax import marginal_rates
from tests.tolerances import CLOSED_FORM_RTOL

ANSWERS = {"drop_reaction": "hold", "max_annual_loss": "10_to_20", "portfolio_choice": "c",
           "objective": "balanced", "experience": "funds", "self_assessment": "cautious",
           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"}


def _data(**extra):
    return {"age": 50, "annual_income": 100_000, "as_of": "2025-06-30",
            "risk_questionnaire": ANSWERS,
            "goals": [{"name": "Retirement", "kind": "income", "amount": 50_000,
                       "target_year": 2040, "duration_years": 25}],
            "accounts": [{"name": "Brokerage", "type": "taxable", "cash": 10_000}], **extra}


# SSA's published examples (ssa.gov/benefits/retirement/planner/agereduction.html and
# delayret.html), for a person born in 1960 or later (FRA 67).
@pytest.mark.parametrize("claim_age, factor", [
    (62, 0.70), (63, 0.75), (64, 0.80), (65, 0.8666666666666667), (66, 0.9333333333333333),
    (67, 1.00), (68, 1.08), (69, 1.16), (70, 1.24)])
def test_claiming_factor_matches_ssa_for_fra_67(claim_age, factor) -> None:
    assert claiming_factor(12 * claim_age, 1962) == pytest.approx(factor, rel=CLOSED_FORM_RTOL)


def test_full_retirement_age_by_birth_year() -> None:
    assert full_retirement_age_months(1950) == 66 * 12
    assert full_retirement_age_months(1955) == 66 * 12 + 2
    assert full_retirement_age_months(1959) == 66 * 12 + 10
    assert full_retirement_age_months(1960) == 67 * 12
    # FRA 66 (born 1943–54): 62 is 48 months early, 36 × 5/9 % + 12 × 5/12 % = 25 %.
    assert claiming_factor(62 * 12, 1954) == pytest.approx(0.75, rel=CLOSED_FORM_RTOL)
    assert claiming_factor(70 * 12, 1954) == pytest.approx(1.32, rel=CLOSED_FORM_RTOL)


@given(st.integers(1943, 2010), st.integers(62 * 12, 70 * 12 - 1))
def test_claiming_later_never_pays_less(birth_year, months) -> None:
    assert claiming_factor(months + 1, birth_year) > claiming_factor(months, birth_year)
    assert 0.7 - 1e-12 <= claiming_factor(months, birth_year) <= 1.32 + 1e-12


def test_two_person_household_facts() -> None:
    prof = parse_profile(_data(
        filing_status="married_joint",
        partner={"name": "Alex", "age": 44, "annual_income": 60_000, "retirement_age": 67},
        income_streams=[
            {"kind": "social_security", "annual_amount": 28_000, "start_age": 67},
            {"kind": "social_security", "owner": "partner", "annual_amount": 20_000,
             "start_age": 70},
            {"kind": "pension", "annual_amount": 12_000, "start_age": 65,
             "inflation_adjusted": False, "cola": 0.01}]))
    assert prof.household_income == 160_000
    assert prof.expenses_per_year == pytest.approx(0.7 * 160_000)
    assert prof.years_to_retirement == 23  # Alex: 67 - 44
    assert prof.age_and_birth_year(prof.income_streams[1].owner) == (44, 1981)
    assert prof.income_streams[1].first_year_amount(1981) == pytest.approx(24_800)
    assert prof.income_streams[0].label == "social security"
    single = prof.model_copy(update={"partner": None, "income_streams": ()})
    # Filing jointly the marginal rate reads both incomes: 160k less the 30k standard
    # deduction is in the 22 % bracket of 2025; the primary's 100k alone would be in the 12 %.
    assert marginal_rates(prof, 2025).ordinary == pytest.approx(0.22)
    assert marginal_rates(single, 2025).ordinary == pytest.approx(0.12)


@pytest.mark.parametrize("extra, field, words", [
    ({"income_streams": [{"kind": "social_security", "annual_amount": 20_000,
                          "start_age": 60}]},
     "income_streams[0].start_age", "claiming age"),
    ({"income_streams": [{"kind": "social_security", "annual_amount": 20_000,
                          "start_age": 71}]},
     "income_streams[0].start_age", "62 to 70"),
    ({"income_streams": [{"kind": "pension", "annual_amount": 20_000, "start_age": 65,
                          "end_age": 60}]},
     "income_streams[0].end_age", "not after start_age"),
    ({"income_streams": [{"kind": "pension", "annual_amount": 20_000, "start_age": 65,
                          "cola": 0.02}]},
     "income_streams[0].cola", "nominal streams only"),
    ({"income_streams": [{"kind": "pension", "owner": "partner", "annual_amount": 20_000,
                          "start_age": 65}]},
     "income_streams[0].owner", "no partner"),
    ({"income_streams": [{"kind": "social_security", "annual_amount": 20_000,
                          "start_age": 67},
                         {"kind": "social_security", "annual_amount": 10_000,
                          "start_age": 62}]},
     "income_streams[1].kind", "second Social Security"),
    ({"income_streams": [{"kind": "lottery", "annual_amount": 1, "start_age": 65}]},
     "income_streams[0].kind", ""),
    ({"income_streams": [{"kind": "pension", "annual_amount": -5, "start_age": 65}]},
     "income_streams[0].annual_amount", ""),
    ({"partner": {"age": 12}}, "partner.age", ""),
    ({"partner": {"age": 40, "annual_income": "lots"}}, "partner.annual_income", ""),
    ({"partner": {"age": 40, "salary": 1}}, "partner.salary", ""),
])
def test_invalid_household_fields_are_named(extra, field, words) -> None:
    with pytest.raises(ProfileValidationError) as info:
        parse_profile(_data(**extra))
    fields = [i.field for i in info.value.issues]
    assert field in fields, fields
    issue = info.value.issues[fields.index(field)]
    assert words in issue.message
