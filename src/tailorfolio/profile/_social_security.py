"""US Social Security claiming-age rules: full retirement age, early reduction, delayed credits.

The benefit a person receives is their benefit at full retirement age (FRA, the "primary
insurance amount") times a factor that depends on how many months before or after FRA they
claim:

* Claiming early reduces the benefit by 5/9 of 1 % for each of the first 36 months before FRA
  and by 5/12 of 1 % for each further month (claiming at 62 with an FRA of 67 is 60 months
  early: 36 × 5/9 % + 24 × 5/12 % = 30 %, a factor of 0.70).
  SSA, "Benefit reduction for early retirement",
  https://www.ssa.gov/benefits/retirement/planner/agereduction.html
* Claiming after FRA earns delayed retirement credits, 2/3 of 1 % a month (8 % a year) for
  people born in 1943 or later, up to age 70 (claiming at 70 with an FRA of 67: 124 %).
  SSA, "Delayed retirement credits", https://www.ssa.gov/benefits/retirement/planner/delayret.html
* FRA rises with the birth year: 66 for 1943–1954, by two months a year for 1955–1959, and 67
  for people born in 1960 or later. SSA, "Retirement age calculator / normal retirement age",
  https://www.ssa.gov/benefits/retirement/planner/ageincrease.html

The research notes in ``/work/shared/reference/planning-methods.md`` list claiming-age
adjustments among the planning features users ask for (§ feature requests); the rules above are
SSA's. Spousal and survivor benefits, the earnings test and the taxation of benefits are not
modelled: each person's own benefit is an income stream.
"""

from __future__ import annotations

SS_MIN_CLAIM_AGE = 62
"""Earliest age at which a retirement benefit can be claimed (SSA)."""

SS_MAX_CLAIM_AGE = 70
"""Delayed retirement credits stop accruing at 70, so claiming later gains nothing (SSA)."""

EARLY_MONTHLY_REDUCTION_FIRST_36 = 5 / 9 / 100
"""Benefit reduction per month of early claiming, first 36 months before FRA (SSA)."""

EARLY_MONTHLY_REDUCTION_BEYOND_36 = 5 / 12 / 100
"""Benefit reduction per month of early claiming beyond 36 months before FRA (SSA)."""

_DELAYED_CREDIT_PER_YEAR: tuple[tuple[int, float], ...] = (
    (1933, 0.055), (1935, 0.06), (1937, 0.065), (1939, 0.07), (1941, 0.075), (1943, 0.08))
"""Delayed retirement credit per year by first birth year of each cohort (SSA's table);
earlier birth years use the 1933 cohort's rate."""


def full_retirement_age_months(birth_year: int) -> int:
    """Full retirement age in months for a person born in ``birth_year`` (SSA's table).

    Examples
    --------
    >>> full_retirement_age_months(1960) / 12
    67.0
    >>> full_retirement_age_months(1957)  # 66 and 6 months
    798
    """
    if birth_year <= 1937:
        return 65 * 12
    if birth_year <= 1942:
        return 65 * 12 + 2 * (birth_year - 1937)
    if birth_year <= 1954:
        return 66 * 12
    if birth_year <= 1959:
        return 66 * 12 + 2 * (birth_year - 1954)
    return 67 * 12


def delayed_credit_per_year(birth_year: int) -> float:
    """Delayed retirement credit per year of claiming after FRA, decimal (0.08 from 1943)."""
    rate = _DELAYED_CREDIT_PER_YEAR[0][1]
    for first_year, r in _DELAYED_CREDIT_PER_YEAR:
        if birth_year >= first_year:
            rate = r
    return rate


def claiming_factor(claim_age_months: int, birth_year: int) -> float:
    """Benefit as a fraction of the FRA benefit when claimed at ``claim_age_months``.

    Parameters
    ----------
    claim_age_months : int
        Age at claiming, months (62 years = 744); clipped to 62–70 years, the ages at which
        claiming is possible (before 62) or still changes the benefit (after 70).
    birth_year : int
        Sets the full retirement age and the delayed-credit rate.

    Returns
    -------
    float
        1.0 at FRA; 0.70 at 62 and 1.24 at 70 for people born in 1960 or later.
    """
    claim = min(max(int(claim_age_months), SS_MIN_CLAIM_AGE * 12), SS_MAX_CLAIM_AGE * 12)
    fra = full_retirement_age_months(birth_year)
    if claim < fra:
        early = fra - claim
        first = min(early, 36)
        return 1.0 - first * EARLY_MONTHLY_REDUCTION_FIRST_36 - (
            early - first) * EARLY_MONTHLY_REDUCTION_BEYOND_36
    return 1.0 + (claim - fra) * delayed_credit_per_year(birth_year) / 12
