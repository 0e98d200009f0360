"""Dated US federal tax parameter tables and the marginal rates derived from them.

Sources (each figure below is copied from these IRS publications):

* 2024: Rev. Proc. 2023-34, §3.01 (tax rate tables), §3.03 (maximum capital gains rate
  breakpoints), §3.15 (standard deduction) — https://www.irs.gov/pub/irs-drop/rp-23-34.pdf
* 2025: Rev. Proc. 2024-40, §3.01, §3.03 — https://www.irs.gov/pub/irs-drop/rp-24-40.pdf ;
  standard deduction as amended retroactively for 2025 by Pub. L. 119-21 (July 4, 2025):
  15,750 single / married filing separately, 31,500 joint, 23,625 head of household (Rev. Proc.
  2024-40 §3.15 had published 15,000 / 30,000 / 22,500).
* Net investment income tax: IRC §1411, 3.8 % over MAGI thresholds 200,000 single / head of
  household, 250,000 married filing jointly, 125,000 married filing separately (not indexed).
* Capital-loss limit: IRC §1211(b), 3,000 (1,500 married filing separately) against ordinary
  income, the rest carried forward indefinitely keeping its character (IRC §1212(b)).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from tailorfolio.errors import TaxError
from tailorfolio.profile._enums import FilingStatus
from tailorfolio.profile._investor import InvestorProfile

ORDINARY_RATES: tuple[float, ...] = (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)
"""The seven federal ordinary-income rates (both years)."""

NIIT_RATE = 0.038
"""Net investment income tax rate, IRC §1411."""

_S, _J, _M, _H = (FilingStatus.SINGLE, FilingStatus.MARRIED_JOINT,
                  FilingStatus.MARRIED_SEPARATE, FilingStatus.HEAD_OF_HOUSEHOLD)


@dataclass(frozen=True)
class TaxYearTable:
    """The federal parameters of one tax year.

    Attributes
    ----------
    year : int
    ordinary_thresholds : dict FilingStatus -> tuple of float
        Lower edges (taxable income, dollars) of the 12 %, 22 %, 24 %, 32 %, 35 % and 37 %
        brackets; the 10 % bracket starts at 0.
    ltcg_thresholds : dict FilingStatus -> (float, float)
        Taxable income at which the 15 % and the 20 % long-term gain rates start.
    standard_deduction : dict FilingStatus -> float
    niit_threshold : dict FilingStatus -> float
        Modified AGI above which the 3.8 % NIIT applies.
    loss_limit : dict FilingStatus -> float
        Net capital loss deductible against ordinary income per year.
    source : str
    notes : str
    """

    year: int
    ordinary_thresholds: dict[FilingStatus, tuple[float, ...]]
    ltcg_thresholds: dict[FilingStatus, tuple[float, float]]
    standard_deduction: dict[FilingStatus, float]
    niit_threshold: dict[FilingStatus, float]
    loss_limit: dict[FilingStatus, float]
    source: str
    notes: str = ""

    def ordinary_rate(self, status: FilingStatus, taxable_income: float) -> float:
        """Marginal ordinary rate at ``taxable_income`` (dollars): the rate on the next dollar,
        so exactly at a bracket edge the higher rate applies."""
        edges = (0.0, *self.ordinary_thresholds[status])
        return ORDINARY_RATES[max(bisect_right(edges, max(taxable_income, 0.0)) - 1, 0)]

    def ordinary_tax(self, status: FilingStatus, taxable_income: float) -> float:
        """Federal tax on ``taxable_income`` of ordinary income, dollars (exact, not rounded
        to the IRS tax-table $50 rows)."""
        edges = (0.0, *self.ordinary_thresholds[status], float("inf"))
        x = max(taxable_income, 0.0)
        return sum(r * max(min(x, hi) - lo, 0.0)
                   for r, lo, hi in zip(ORDINARY_RATES, edges[:-1], edges[1:]))

    def ltcg_rate(self, status: FilingStatus, taxable_income: float) -> float:
        """Marginal rate on the next dollar of long-term gain stacked on ``taxable_income``:
        0, 0.15 or 0.20 (the 0 % band covers taxable income *not over* the first threshold)."""
        lo, hi = self.ltcg_thresholds[status]
        x = max(taxable_income, 0.0)
        return 0.0 if x < lo else (0.15 if x < hi else 0.20)


TABLES: dict[int, TaxYearTable] = {
    2024: TaxYearTable(
        year=2024,
        ordinary_thresholds={
            _S: (11_600, 47_150, 100_525, 191_950, 243_725, 609_350),
            _J: (23_200, 94_300, 201_050, 383_900, 487_450, 731_200),
            _M: (11_600, 47_150, 100_525, 191_950, 243_725, 365_600),
            _H: (16_550, 63_100, 100_500, 191_950, 243_700, 609_350),
        },
        ltcg_thresholds={_S: (47_025, 518_900), _J: (94_050, 583_750),
                         _M: (47_025, 291_850), _H: (63_000, 551_350)},
        standard_deduction={_S: 14_600, _J: 29_200, _M: 14_600, _H: 21_900},
        niit_threshold={_S: 200_000, _J: 250_000, _M: 125_000, _H: 200_000},
        loss_limit={_S: 3_000, _J: 3_000, _M: 1_500, _H: 3_000},
        source="Rev. Proc. 2023-34 §3.01, §3.03, §3.15; IRC §1411; IRC §1211(b)",
    ),
    2025: TaxYearTable(
        year=2025,
        ordinary_thresholds={
            _S: (11_925, 48_475, 103_350, 197_300, 250_525, 626_350),
            _J: (23_850, 96_950, 206_700, 394_600, 501_050, 751_600),
            _M: (11_925, 48_475, 103_350, 197_300, 250_525, 375_800),
            _H: (17_000, 64_850, 103_350, 197_300, 250_500, 626_350),
        },
        ltcg_thresholds={_S: (48_350, 533_400), _J: (96_700, 600_050),
                         _M: (48_350, 300_000), _H: (64_750, 566_700)},
        standard_deduction={_S: 15_750, _J: 31_500, _M: 15_750, _H: 23_625},
        niit_threshold={_S: 200_000, _J: 250_000, _M: 125_000, _H: 200_000},
        loss_limit={_S: 3_000, _J: 3_000, _M: 1_500, _H: 3_000},
        source="Rev. Proc. 2024-40 §3.01, §3.03; Pub. L. 119-21 (standard deduction); "
               "IRC §1411; IRC §1211(b)",
        notes="Rev. Proc. 2024-40 §3.15 published a 15,000 / 30,000 / 22,500 standard "
              "deduction; Pub. L. 119-21 raised it for 2025 to the figures used here.",
    ),
}


def tax_table(year: int) -> TaxYearTable:
    """The table for ``year``; years after the last table use the last one (stated in
    :class:`MarginalRates.source`), earlier years are an error."""
    if year in TABLES:
        return TABLES[year]
    last = max(TABLES)
    if year > last:
        return TABLES[last]
    raise TaxError(f"No federal tax table for {year}.", field="tax_year", value=year,
                   expected=f"a year in {sorted(TABLES)} or later",
                   fix="use a later as_of date, or give tax_rates in the profile")


@dataclass(frozen=True)
class MarginalRates:
    """The marginal rates every tax computation of a household uses (decimals).

    Attributes
    ----------
    ordinary : float
        Federal rate on ordinary income and short-term gains.
    long_term : float
        Federal rate on long-term gains and qualified dividends.
    niit : float
        3.8 % when income is above the NIIT threshold, else 0.
    state : float
        Flat state rate on all income and gains.
    loss_limit : float
        Net capital loss deductible against ordinary income per year (dollars).
    source : str
    """

    ordinary: float
    long_term: float
    niit: float
    state: float
    loss_limit: float = 3_000.0
    source: str = ""

    @property
    def short_term_total(self) -> float:
        """All-in rate on short-term gains and non-qualified dividends."""
        return self.ordinary + self.niit + self.state

    @property
    def long_term_total(self) -> float:
        """All-in rate on long-term gains and qualified dividends."""
        return self.long_term + self.niit + self.state

    @property
    def ordinary_offset(self) -> float:
        """Value of one dollar of net loss deducted against ordinary income (no NIIT)."""
        return self.ordinary + self.state

    def dividend_rate(self, qualified_share: float) -> float:
        """All-in rate on a distribution of which ``qualified_share`` is qualified."""
        return qualified_share * self.long_term_total + (1 - qualified_share) * self.short_term_total


def marginal_rates(profile: InvestorProfile, year: int) -> MarginalRates:
    """The household's marginal rates in ``year``.

    Taxable income is the earned income less the standard deduction for the filing status:
    both people's income (``household_income``) when filing jointly, the primary person's
    otherwise (partners filing separately each have their own return).
    ``profile.tax_rates``, when given, overrides the federal ordinary and long-term rates and
    sets the state rate; NIIT is added from the table whenever income exceeds its threshold
    (profile rates are read as excluding NIIT).
    """
    table = tax_table(year)
    status = profile.filing_status
    income = (profile.household_income if status is FilingStatus.MARRIED_JOINT
              else profile.annual_income)
    taxable = income - table.standard_deduction[status]
    niit = NIIT_RATE if income > table.niit_threshold[status] else 0.0
    source = table.source if year in TABLES else f"{table.source} (latest table, for {year})"
    if profile.tax_rates is not None:
        r = profile.tax_rates
        return MarginalRates(r.ordinary, r.long_term_gains, niit, r.state,
                             table.loss_limit[status], f"profile tax_rates; NIIT per {source}")
    return MarginalRates(table.ordinary_rate(status, taxable), table.ltcg_rate(status, taxable),
                         niit, 0.0, table.loss_limit[status], source)
