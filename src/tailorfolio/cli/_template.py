"""The commented profile template printed by ``tailorfolio profile-template``."""

from __future__ import annotations

from tailorfolio.profile._questionnaire import QUESTIONS

_HEAD = """\
# tailorfolio investor profile. Edit the values, then run: tailorfolio plan me.yaml
# Money is in `currency` units; rates and weights are decimals (0.25 = 25 %).
name: Sam Example
age: 35                      # years
as_of: 2025-06-30            # the date this profile describes (YYYY-MM-DD)
annual_income: 95000         # gross earned income per year
annual_expenses: 60000       # household spending per year (default: 70 % of income)
liquid_net_worth: 10000      # liquid savings outside the accounts below
employment_stability: stable # stable | moderate | variable | retired | not_employed
filing_status: single        # single | married_joint | married_separate | head_of_household
tax_rates:                   # marginal rates (optional)
  ordinary: 0.24             # federal rate on wages and short-term gains
  long_term_gains: 0.15      # federal rate on long-term gains and qualified dividends
  state: 0.05                # flat state rate
realized_gains_this_year:    # net gains already realized this tax year (losses negative)
  short_term: 0              # held one year or less
  long_term: 0               # held more than one year
dependants: 0
retirement_age: 65
# partner:                   # a two-person household (optional; set filing_status to match)
#   name: Alex Example
#   age: 33
#   annual_income: 70000
#   retirement_age: 67
income_streams:              # income besides the portfolio that pays income goals (optional)
  - kind: social_security    # social_security | pension | annuity | part_time_work
    owner: primary           # primary | partner
    annual_amount: 24000     # Social Security: the benefit at full retirement age (SSA statement)
    start_age: 67            # claiming age 62-70: early claiming reduces, delaying raises it
#   end_age: 90              # optional; default: for life
#   inflation_adjusted: true # false: a nominal amount, growing by `cola` (e.g. 0.02) a year

# Risk questionnaire: answer every question with one option key (listed most cautious first).
risk_questionnaire:
"""

_TAIL = """
goals:                       # one or more
  - name: House deposit
    amount: 50000            # in today's money
    target_year: 2030        # or: years: 5
    priority: important      # essential | important | aspirational
    current_savings: 10000   # already set aside (part of the accounts below)
    annual_contribution: 6000
  - name: Retirement
    kind: income             # lump_sum (default) | income: `amount` per year
    amount: 60000            # per year, today's money
    target_year: 2055
    duration_years: 30
    priority: essential
    annual_contribution: 12000
    contribution_growth: 0.02

accounts:                    # taxable | traditional (IRA, 401(k)) | roth
  - name: Brokerage
    type: taxable
    cash: 5000
    annual_contribution: 6000
    lots:                    # one row per purchase (tax lot)
      - {asset: VTI, quantity: 150, cost_basis_per_share: 250.0, acquired: 2022-01-10}
      - {asset: BND, quantity: 300, cost_basis_per_share: 70.0, acquired: 2023-05-02}
  - name: Roth IRA
    type: roth
    cash: 2000
    lots:
      - {asset: VEA, quantity: 100, cost_basis_per_share: 50.0, acquired: 2024-03-01}

preferences:
  excluded_assets: []        # tickers never to hold
  excluded_sectors: []       # e.g. [fossil_fuels, tobacco, weapons]
  min_esg_score: null        # portfolio ESG score floor, 0-100 (needs ESG scores in the universe)
  esg_tilt: 0.0              # 0 = none
  esg_missing_score_policy: worst  # unscored assets: exclude | worst (count as 0) | ignore
  esg_preset: null           # none | exclusions_only | best_in_class | strong
  esg_fund_alternatives: false  # add ESG-screened funds (ESGV, VSGX, VCEB) to the default universe
  max_weight_per_asset: 0.4
  cash_reserve_months: 3     # months of expenses kept in cash-like assets
  asset_class_bounds:        # by broad class (equity, bond, real_asset, cash) or asset class
    bond: {min: 0.1, max: 0.8}
"""

_EXAMPLE_ANSWERS = {
    "drop_reaction": "hold", "max_annual_loss": "10_to_20", "portfolio_choice": "c",
    "objective": "growth", "experience": "funds", "self_assessment": "researched",
    "sure_or_gamble": "half_5000", "risk_word": "opportunity",
}


def profile_template() -> str:
    """A complete, valid, commented example profile (YAML text)."""
    lines = [_HEAD]
    for q in QUESTIONS:
        lines.append(f"  # {q.text}\n")
        for key, label in q.options:
            lines.append(f"  #   {key}: {label}\n")
        lines.append(f"  {q.key}: {_EXAMPLE_ANSWERS[q.key]}\n")
    lines.append(_TAIL)
    return "".join(lines)
