"""The household sleeves' month-by-month recursion, written plainly: the reference the
sleeve-by-sleeve implementation is checked against, bit for bit."""

from __future__ import annotations

from datetime import date

import numpy as np

from tailorfolio.allocation._household import HouseholdPolicy
from tailorfolio.allocation._sleeves import LONG_TERM, RESERVE, as_of_year
from tailorfolio.profile import GoalKind, InvestorProfile


def sleeve_values_reference(pol: HouseholdPolicy, prof: InvestorProfile, as_of: date,
                            n_steps: int) -> np.ndarray:
    """Every sleeve advanced together each month, with arrays (the model as written; the
    reference for ``HouseholdPolicy.sleeve_values``, which runs each sleeve on its own)."""
    y0 = as_of_year(as_of)
    goals = list(prof.goals)
    names = [g.name for g in goals] + [RESERVE, LONG_TERM]
    t = np.arange(n_steps)
    weights = np.empty((len(names), n_steps, len(pol.expected_return)))
    for i, g in enumerate(goals):
        weights[i] = pol.policies[g.name].schedule(g.years_until(y0), n_steps)
    for i, name in enumerate((RESERVE, LONG_TERM), start=len(goals)):
        weights[i] = np.broadcast_to(pol.policies[name].weights_at_years(0.0), weights[i].shape)
    real_monthly = (1 + weights @ pol.expected_return) ** (1 / 12) / (
        1 + pol.inflation) ** (1 / 12) - 1
    deflator = (1 + pol.inflation) ** (-t / 12)
    values = np.zeros((len(names), n_steps))
    v = np.array([pol.amounts.get(n, 0.0) for n in names], float)
    flows_in = np.zeros((len(names), n_steps))
    flows_out = np.zeros((len(names), n_steps))
    last = np.full(len(names), n_steps, int)
    for i, g in enumerate(goals):
        due = int(round(12 * g.years_until(y0)))
        c = g.annual_contribution / 12 * (1 + g.contribution_growth) ** (t // 12)
        c[min(due, n_steps):] = 0.0
        flows_in[i] = c * deflator
        if g.kind is GoalKind.INCOME:
            idx = np.arange(due, due + 12 * g.duration_years, 12)
            idx = idx[idx < n_steps]
            flows_out[i, idx] = g.amount
            last[i] = int(idx[-1]) + 1 if len(idx) else due + 1
        elif due < n_steps:
            flows_out[i, due] = g.amount
            last[i] = due + 1
    for k in range(n_steps):
        for i in range(len(goals)):
            if k == last[i] and v[i] > 0:
                v[-1] += v[i]
                v[i] = 0.0
        v = v + flows_in[:, k]
        values[:, k] = v
        v = np.maximum(v - flows_out[:, k], 0.0) * (1 + real_monthly[:, k])
    return values
