"""Income streams as monthly cash inflows that pay income goals (retirement spending).

Conventions (README "Profile format"):

* A stream pays ``first_year_amount / 12`` in each month in which its owner's age
  (``age + month / 12``) is in ``[start_age, end_age)``; a start age already passed pays from
  today. An inflation-adjusted stream is in today's money (the simulation multiplies it by
  each path's price level); a nominal one grows by ``cola`` each year after its first.
* Income goals withdraw a year's spending at the start of each of their years (the Bengen /
  Trinity convention); a year's stream income is credited at that same withdrawal, so each
  month of income goes to the latest income-goal withdrawal at or before it, within 12 months.
  Goals falling due in the same month take the income in priority order.
* Income received while no income goal is paying (before retirement spending starts, or after
  it ends) is not counted: it is assumed spent, not saved. Enter planned saving as
  contributions instead.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from tailorfolio.profile._household import IncomeStream
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class IncomeFlows:
    """Stream income credited to income-goal withdrawals, per month.

    Attributes
    ----------
    real : ndarray (n_steps,)
        Inflation-adjusted income, today's money (multiplied by the path's price level).
    nominal : ndarray (n_steps,)
        Nominal income, currency units.
    """

    real: FloatArray
    nominal: FloatArray

    @property
    def any(self) -> bool:
        return bool(self.real.any() or self.nominal.any())


def stream_months(stream: IncomeStream, profile: InvestorProfile, n_steps: int
                  ) -> tuple[FloatArray, bool]:
    """Monthly payments of one stream over ``n_steps`` months from ``as_of``.

    Returns
    -------
    payments : ndarray (n_steps,)
        Today's money when the stream is inflation-adjusted, nominal otherwise.
    real : bool
        Whether ``payments`` are in today's money.
    """
    age, birth_year = profile.age_and_birth_year(stream.owner)
    t = np.arange(n_steps)
    start = max(0, 12 * (stream.start_age - age))
    end = n_steps if stream.end_age is None else max(0, 12 * (stream.end_age - age))
    pay = np.zeros(n_steps)
    if start >= min(end, n_steps):
        return pay, stream.inflation_adjusted
    monthly = stream.first_year_amount(birth_year) / 12
    window = slice(start, min(end, n_steps))
    if stream.inflation_adjusted:
        pay[window] = monthly
    else:
        pay[window] = monthly * (1 + stream.cola) ** ((t[window] - start) // 12)
    return pay, stream.inflation_adjusted


def credited_stream_months(profile: InvestorProfile, withdrawal_months: FloatArray,
                           n_steps: int) -> tuple[tuple[FloatArray, bool], ...]:
    """Each stream's income, moved onto the income goals' withdrawal months.

    Each month of a stream's payments goes to the latest withdrawal month at or before it,
    within 12 months; income in months no income goal covers is dropped (see the module's
    conventions). :func:`income_flows` is the sum of these; the plan's sleeve funding and
    its list of streams read them one by one.

    Parameters
    ----------
    profile : InvestorProfile
    withdrawal_months : ndarray of int
        Months (from ``as_of``) in which some income goal withdraws.
    n_steps : int
        Months simulated.

    Returns
    -------
    tuple of (ndarray (n_steps,), bool)
        Per stream, in ``profile.income_streams`` order: the income credited to each month
        and whether it is in today's money (else nominal). Empty without streams; all zeros
        for every stream when no income goal withdraws.
    """
    wd_months = np.unique(np.asarray(withdrawal_months, dtype=int))
    wd_months = wd_months[(wd_months >= 0) & (wd_months < n_steps)]
    out = []
    t = np.arange(n_steps)
    # Latest withdrawal month at or before t; usable only within the 12 months after it.
    idx = np.searchsorted(wd_months, t, side="right") - 1
    ok = idx >= 0
    target = np.where(ok, wd_months[np.clip(idx, 0, None)] if len(wd_months) else 0, 0)
    ok &= t - target < 12
    for stream in profile.income_streams:
        pay, is_real = stream_months(stream, profile, n_steps)
        credited = np.zeros(n_steps)
        if len(wd_months):
            np.add.at(credited, target[ok], pay[ok])
        out.append((credited, is_real))
    return tuple(out)


def income_flows(profile: InvestorProfile, withdrawal_months: FloatArray, n_steps: int
                 ) -> IncomeFlows:
    """The household's stream income, gathered onto the income goals' withdrawal months.

    Parameters
    ----------
    profile : InvestorProfile
    withdrawal_months : ndarray of int
        Months (from ``as_of``) in which some income goal withdraws.
    n_steps : int
        Months simulated.

    Returns
    -------
    IncomeFlows
        Zero arrays when the profile has no streams or no income goal.
    """
    real, nominal = np.zeros(n_steps), np.zeros(n_steps)
    for credited, is_real in credited_stream_months(profile, withdrawal_months, n_steps):
        (real if is_real else nominal)[:] += credited
    return IncomeFlows(real, nominal)
