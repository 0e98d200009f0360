"""A seeded synthetic population of US households, drawn from stated distributions.

Every distribution is a named constant below and is quoted in ``docs/personalization.md``
(:func:`population_assumptions`). The figures are round, published anchors where one exists
(income: US Census median household income 2023, $80,610; wealth by age: Fidelity's
retirement-savings guideline of 1× salary by 30, 3× by 40, 6× by 50, 8× by 60 and 10× by 67;
contribution limits and tax brackets: IRS 2025), otherwise plain modelling choices, said as such.
The population is meant to span the situations a planner meets (ages 25–75, one to five goals,
every account type, gains and losses in taxable lots), not to be a census of US households.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import numpy as np

from tailorfolio.market._market import Market
from tailorfolio.profile import InvestorProfile, parse_profile
from tailorfolio.profile._questionnaire import QUESTIONS

AS_OF = date(2025, 6, 30)
"""Date every synthetic profile describes (the bundled examples' date)."""

AGE_RANGE = (25, 75)
"""Age, years: uniform integers (inclusive)."""
RETIREMENT_AGES = ((62, 0.3), (65, 0.4), (67, 0.3))
"""Planned retirement age and its probability."""
INCOME_MEDIAN = 80_610.0
"""Median gross household income (US Census, 2023): the lognormal's median."""
INCOME_LOG_SD = 0.6
INCOME_BOUNDS = (25_000.0, 600_000.0)
RETIRED_INCOME_SHARE = 0.35
"""Retirees' income (pension, Social Security) as a share of their pre-retirement income."""
EXPENSE_SHARE = (0.55, 0.85)
"""Spending as a share of (pre-retirement) income: uniform."""
SAVED_SHARE_OF_SURPLUS = 0.7
"""Share of (income − spending) invested in the listed accounts each year."""
WEALTH_MULTIPLE_BY_AGE = ((25, 0.3), (30, 1.0), (40, 3.0), (50, 6.0), (60, 8.0), (67, 10.0),
                          (75, 8.5))
"""Median investable wealth as a multiple of income by age (Fidelity's guideline to 67, then
drawn down), linearly interpolated."""
WEALTH_LOG_SD = 0.7
"""Lognormal dispersion of wealth around that median."""
ACCOUNT_DIRICHLET = (1.5, 2.5, 1.0)
"""Dirichlet weights of the taxable / traditional / Roth split; an account below 5 % of
wealth is merged into the largest one."""
MIN_ACCOUNT_SHARE = 0.05
HELD_FUNDS = ("VTI", "VEA", "VWO", "VB", "BND", "BNDX", "VNQ", "SGOV")
"""Funds a self-directed household holds; each account holds 2–4 of them, Dirichlet(1)."""
GAIN_LOG_MEAN, GAIN_LOG_SD = 0.25, 0.35
"""Price / cost basis of each lot: lognormal (median +28 %, about 24 % of lots at a loss)."""
LOT_AGE_YEARS = (1.0, 12.0)
"""Years since each lot was bought: uniform."""
CASH_SHARE = (0.0, 0.05)
"""Uninvested cash as a share of each account: uniform."""
LIMIT_401K, LIMIT_IRA = 23_500.0, 7_000.0
"""IRS 2025 contribution limits; savings fill the 401(k) (60 % of savings at most), then the
Roth IRA, then taxable."""
RETIREMENT_SPENDING_SHARE = (0.5, 0.8)
"""Yearly retirement withdrawal (today's money) as a share of spending: the part not covered
by Social Security or a pension."""
LIFE_END_AGE = 95
"""Retirement income is planned to this age (a longevity planning age)."""
@dataclass(frozen=True)
class LumpGoalDraw:
    """A lump-sum goal drawn with ``probability``, due in ``years`` (uniform), costing
    ``income_multiple`` (uniform) × income."""

    probability: float
    years: tuple[float, float]
    income_multiple: tuple[float, float]


HOME_GOAL = LumpGoalDraw(0.5, (2, 10), (0.4, 1.2))
"""House deposit (working households under 45): important lump sum."""
CHILDREN = ((0, 0.45), (1, 0.2), (2, 0.25), (3, 0.1))
"""Dependants of households under 55; each child's age is uniform 0–17 and college (important,
four years of income from age 18) costs uniform $15k–$35k a year."""
COLLEGE_COST = (15_000.0, 35_000.0)
NEAR_ESSENTIAL = LumpGoalDraw(0.15, (1, 3), (0.2, 0.6))
"""A near essential lump sum (medical, a car the job needs)."""
ASPIRATIONAL = LumpGoalDraw(0.5, (1, 8), (0.1, 0.5))
"""Travel, sabbatical: aspirational lump sum."""
EARMARKED_SHARE = (0.0, 0.5)
"""Savings already set aside for each non-retirement goal as a share of its amount."""
GOAL_SAVINGS_SHARE = {"home": 0.25, "college": 0.10, "near": 0.10, "aspirational": 0.05}
"""Share of yearly savings directed at each non-retirement goal; the rest funds retirement."""
MARRIED_P = 0.55
STATE_RATES = ((0.0, 0.25), (0.04, 0.2), (0.05, 0.25), (0.06, 0.2), (0.09, 0.1))
"""Flat state income-tax rate and its probability."""
EMPLOYMENT = (("stable", 0.6), ("moderate", 0.3), ("variable", 0.1))
RISK_LATENT_AGE_SLOPE = -0.02
"""Latent risk tolerance z ~ N(0, 1) − 0.02·(age − 45); each questionnaire answer is
round(mid + 1.1·(z + N(0, 0.6))) clipped to its options (so answers are correlated but not
identical, and some households answer inconsistently)."""
RISK_ITEM_NOISE, RISK_ITEM_SCALE = 0.6, 1.1

# 2025 federal brackets (IRS Rev. Proc. 2024-40): (taxable income upper bound, marginal rate)
# single and married filing jointly; standard deduction $15,000 / $30,000.
_ORDINARY = {
    "single": ((11_925, 0.10), (48_475, 0.12), (103_350, 0.22), (197_300, 0.24),
               (250_525, 0.32), (626_350, 0.35), (float("inf"), 0.37)),
    "married_joint": ((23_850, 0.10), (96_950, 0.12), (206_700, 0.22), (394_600, 0.24),
                      (501_050, 0.32), (751_600, 0.35), (float("inf"), 0.37)),
}
_LTCG = {"single": ((48_350, 0.0), (533_400, 0.15), (float("inf"), 0.20)),
         "married_joint": ((96_700, 0.0), (600_050, 0.15), (float("inf"), 0.20))}
_STD_DEDUCTION = {"single": 15_000.0, "married_joint": 30_000.0}


def _bracket(table: tuple[tuple[float, float], ...], x: float) -> float:
    return next(rate for top, rate in table if x <= top)


T = TypeVar("T")


def _choice(rng: np.random.Generator, table: tuple[tuple[T, float], ...]) -> T:
    values, probs = zip(*table, strict=True)
    return values[int(rng.choice(len(values), p=np.asarray(probs) / sum(probs)))]


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


def _lots(rng: np.random.Generator, value: float, market: Market, as_of: date
          ) -> list[dict[str, object]]:
    k = int(rng.integers(2, 5))
    funds = rng.choice(HELD_FUNDS, size=k, replace=False)
    shares = rng.dirichlet(np.ones(k))
    lots = []
    for fund, share in zip(funds, shares, strict=True):
        price = market.price_of(str(fund))
        gain = float(np.exp(rng.normal(GAIN_LOG_MEAN, GAIN_LOG_SD)))
        held_days = int(365.25 * _uniform(rng, LOT_AGE_YEARS))
        lots.append({"asset": str(fund), "quantity": round(value * share / price, 4),
                     "cost_basis_per_share": round(price / gain, 2),
                     "acquired": (as_of - timedelta(days=held_days)).isoformat()})
    return [lot for lot in lots if lot["quantity"] > 0]


def synthetic_household(rng: np.random.Generator, market: Market, index: int = 0,
                        as_of: date = AS_OF) -> InvestorProfile:
    """One household drawn from the module's distributions.

    Parameters
    ----------
    rng : numpy.random.Generator
    market : Market
        Prices for the lots (the bundled default market's funds).
    index : int
        Used in the household's name.
    as_of : date

    Returns
    -------
    InvestorProfile
    """
    age = int(rng.integers(AGE_RANGE[0], AGE_RANGE[1] + 1))
    retirement_age = _choice(rng, RETIREMENT_AGES)
    retired = age >= retirement_age
    work_income = float(np.clip(INCOME_MEDIAN * np.exp(rng.normal(0, INCOME_LOG_SD)),
                                *INCOME_BOUNDS))
    expenses = work_income * _uniform(rng, EXPENSE_SHARE)
    income = work_income * RETIRED_INCOME_SHARE if retired else work_income
    savings = 0.0 if retired else SAVED_SHARE_OF_SURPLUS * max(0.0, work_income - expenses)
    ages, multiples = zip(*WEALTH_MULTIPLE_BY_AGE, strict=True)
    wealth = work_income * float(np.interp(age, ages, multiples)) * float(
        np.exp(rng.normal(0, WEALTH_LOG_SD)))
    wealth = max(wealth, 2_000.0)
    filing = "married_joint" if rng.random() < MARRIED_P else "single"
    taxable_income = max(0.0, income - _STD_DEDUCTION[filing])
    rates = {"ordinary": _bracket(_ORDINARY[filing], taxable_income),
             "long_term_gains": _bracket(_LTCG[filing], taxable_income),
             "state": _choice(rng, STATE_RATES)}

    # Accounts: split of wealth, lots, contributions.
    split = rng.dirichlet(ACCOUNT_DIRICHLET)
    small = split < MIN_ACCOUNT_SHARE
    split[np.argmax(split)] += split[small].sum()
    split[small] = 0.0
    to_401k = min(LIMIT_401K, 0.6 * savings)
    to_roth = min(LIMIT_IRA, savings - to_401k)
    to_taxable = max(0.0, savings - to_401k - to_roth)
    contrib = {"taxable": to_taxable, "traditional": to_401k, "roth": to_roth}
    accounts = []
    for kind, share in zip(("taxable", "traditional", "roth"), split, strict=True):
        if share <= 0 and contrib[kind] <= 0:
            continue
        value = wealth * share
        cash = value * _uniform(rng, CASH_SHARE)
        accounts.append({"name": kind.title(), "type": kind, "cash": round(cash, 2),
                         "annual_contribution": round(contrib[kind], 2),
                         "lots": _lots(rng, value - cash, market, as_of) if value > 0 else []})

    # Goals.
    goals: list[dict[str, object]] = []
    goal_savings = 0.0

    def earmark(amount: float) -> float:
        return round(amount * _uniform(rng, EARMARKED_SHARE), 2)

    if not retired and age < 45 and rng.random() < HOME_GOAL.probability:
        c = savings * GOAL_SAVINGS_SHARE["home"]
        amount = work_income * _uniform(rng, HOME_GOAL.income_multiple)
        goals.append({"name": "Home deposit", "amount": round(amount, 2),
                      "years": round(_uniform(rng, HOME_GOAL.years), 1),
                      "priority": "important", "current_savings": earmark(amount),
                      "annual_contribution": round(c, 2)})
        goal_savings += c
    children = _choice(rng, CHILDREN) if age < 55 else 0
    for child in range(children):
        child_age = int(rng.integers(0, 18))
        cost = _uniform(rng, COLLEGE_COST)
        c = savings * GOAL_SAVINGS_SHARE["college"]
        goals.append({"name": f"College {child + 1}", "amount": round(cost, 2), "kind": "income",
                      "years": float(max(1, 18 - child_age)), "duration_years": 4,
                      "priority": "important", "current_savings": earmark(cost * 4),
                      "annual_contribution": round(c, 2)})
        goal_savings += c
    if rng.random() < NEAR_ESSENTIAL.probability:
        amount = work_income * _uniform(rng, NEAR_ESSENTIAL.income_multiple)
        c = savings * GOAL_SAVINGS_SHARE["near"]
        goals.append({"name": "Essential purchase", "amount": round(amount, 2),
                      "years": round(_uniform(rng, NEAR_ESSENTIAL.years), 1),
                      "priority": "essential", "current_savings": earmark(amount),
                      "annual_contribution": round(c, 2)})
        goal_savings += c
    if rng.random() < ASPIRATIONAL.probability:
        amount = work_income * _uniform(rng, ASPIRATIONAL.income_multiple)
        c = savings * GOAL_SAVINGS_SHARE["aspirational"]
        goals.append({"name": "Travel", "amount": round(amount, 2),
                      "years": round(_uniform(rng, ASPIRATIONAL.years), 1),
                      "priority": "aspirational", "current_savings": earmark(amount),
                      "annual_contribution": round(c, 2)})
        goal_savings += c
    start = max(age, retirement_age)
    goals.append({"name": "Retirement", "kind": "income", "priority": "essential",
                  "amount": round(expenses * _uniform(rng, RETIREMENT_SPENDING_SHARE), 2),
                  "years": float(max(1, retirement_age - age)),
                  "duration_years": max(1, LIFE_END_AGE - start),
                  "annual_contribution": round(max(0.0, savings - goal_savings), 2),
                  "contribution_growth": 0.02})

    # Questionnaire from a latent risk tolerance.
    z = rng.normal() + RISK_LATENT_AGE_SLOPE * (age - 45)
    answers = {}
    for q in QUESTIONS:
        n = len(q.options)
        raw = (n - 1) / 2 + RISK_ITEM_SCALE * (z + rng.normal(0, RISK_ITEM_NOISE))
        answers[q.key] = int(np.clip(round(raw), 0, n - 1))

    employment = "retired" if retired else _choice(rng, EMPLOYMENT)
    data = {
        "name": f"Synthetic household {index}", "age": age, "as_of": as_of.isoformat(),
        "annual_income": round(income, 2), "annual_expenses": round(expenses, 2),
        "liquid_net_worth": round(expenses * _uniform(rng, (0.0, 0.5)), 2),
        "employment_stability": employment, "filing_status": filing, "tax_rates": rates,
        "dependants": children, "retirement_age": retirement_age,
        "risk_questionnaire": answers, "goals": goals, "accounts": accounts,
    }
    return parse_profile(data)


def synthetic_population(n: int, market: Market, seed: int = 0, as_of: date = AS_OF
                         ) -> list[InvestorProfile]:
    """``n`` households; household ``i`` uses its own stream spawned from ``seed``, so the
    first ``k`` households are the same whatever ``n`` is.

    Returns
    -------
    list of InvestorProfile
    """
    children = np.random.SeedSequence(seed).spawn(n)
    return [synthetic_household(np.random.default_rng(c), market, i, as_of)
            for i, c in enumerate(children)]


def population_assumptions() -> list[tuple[str, str]]:
    """(variable, distribution) rows stating how the population is drawn (for the report)."""
    ret = ", ".join(f"{a} ({p:.0%})" for a, p in RETIREMENT_AGES)
    wealth = ", ".join(f"{m:g}× at {a}" for a, m in WEALTH_MULTIPLE_BY_AGE)
    state = ", ".join(f"{r:.0%} ({p:.0%})" for r, p in STATE_RATES)
    kids = ", ".join(f"{k} ({p:.0%})" for k, p in CHILDREN)
    return [
        ("age", f"uniform integer {AGE_RANGE[0]}–{AGE_RANGE[1]}"),
        ("retirement age", ret),
        ("income", f"lognormal, median ${INCOME_MEDIAN:,.0f} (US Census 2023), log-sd "
                   f"{INCOME_LOG_SD}, clipped to ${INCOME_BOUNDS[0]:,.0f}–${INCOME_BOUNDS[1]:,.0f}; "
                   f"retirees {RETIRED_INCOME_SHARE:.0%} of it"),
        ("spending", f"uniform {EXPENSE_SHARE[0]:.0%}–{EXPENSE_SHARE[1]:.0%} of (pre-retirement) "
                     "income"),
        ("yearly savings", f"{SAVED_SHARE_OF_SURPLUS:.0%} of income − spending while working: "
                           f"401(k) up to ${LIMIT_401K:,.0f} (≤ 60 % of savings), then Roth up "
                           f"to ${LIMIT_IRA:,.0f}, then taxable (IRS 2025 limits)"),
        ("investable wealth", f"income × multiple by age ({wealth}; Fidelity's guideline to 67), "
                              f"× lognormal(0, {WEALTH_LOG_SD}), at least $2,000"),
        ("accounts", f"taxable / traditional / Roth split Dirichlet{ACCOUNT_DIRICHLET}; accounts "
                     f"under {MIN_ACCOUNT_SHARE:.0%} merged into the largest"),
        ("lots", f"2–4 of {', '.join(HELD_FUNDS)} per account, Dirichlet(1) shares; price / basis "
                 f"lognormal(log-mean {GAIN_LOG_MEAN}, sd {GAIN_LOG_SD}); bought "
                 f"{LOT_AGE_YEARS[0]:g}–{LOT_AGE_YEARS[1]:g} years ago; cash "
                 f"{CASH_SHARE[0]:.0%}–{CASH_SHARE[1]:.0%} of each account"),
        ("retirement goal", f"essential income from the retirement age to {LIFE_END_AGE}, "
                            f"{RETIREMENT_SPENDING_SHARE[0]:.0%}–{RETIREMENT_SPENDING_SHARE[1]:.0%} "
                            "of spending a year (today's money), funded by the savings not "
                            "directed elsewhere (growing 2 %/yr)"),
        ("house deposit", f"under 45 and working: probability {HOME_GOAL.probability:.0%}, "
                          "important, in 2–10 years, 0.4–1.2 × income"),
        ("college", f"households under 55: children {kids}; each child aged 0–17, four years "
                    f"of ${COLLEGE_COST[0]:,.0f}–${COLLEGE_COST[1]:,.0f} a year from 18, important"),
        ("near essential goal", f"probability {NEAR_ESSENTIAL.probability:.0%}, in 1–3 years, "
                                "0.2–0.6 × income"),
        ("aspirational goal", f"probability {ASPIRATIONAL.probability:.0%}, in 1–8 years, "
                              "0.1–0.5 × income"),
        ("earmarked savings", f"uniform {EARMARKED_SHARE[0]:.0%}–{EARMARKED_SHARE[1]:.0%} of each "
                              "non-retirement goal's amount; savings shares per goal "
                              + ", ".join(f"{k} {v:.0%}" for k, v in GOAL_SAVINGS_SHARE.items())),
        ("tax", f"married filing jointly {MARRIED_P:.0%}, else single; federal ordinary and "
                "long-term-gains rates from the 2025 brackets at income − standard deduction; "
                f"state {state}"),
        ("questionnaire", "latent tolerance z ~ N(0, 1) − 0.02·(age − 45); each answer "
                          f"round(mid + {RISK_ITEM_SCALE}·(z + N(0, {RISK_ITEM_NOISE}))), clipped"),
        ("employment", ", ".join(f"{e} ({p:.0%})" for e, p in EMPLOYMENT) + "; retired past the "
                       "retirement age"),
    ]
