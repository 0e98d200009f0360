"""The household policy: the sleeves, added up, month by month.

A household does not keep one brokerage account per goal: money is fungible, and what a goal
does not use (a college fund that did well) serves the goals after it. So the plan's policy is
the household target over time, the **money-weighted sum of the sleeves**: each sleeve's value
is projected at its own expected return with its contributions and withdrawals (today's money);
when a goal's last withdrawal is paid, what is left of its sleeve joins the long-term money.
Month ``t``'s target is ``Σ_j V_j(t) · w_j(t) / Σ_j V_j(t)``, where ``w_j(t)`` is sleeve ``j`` on
its glide path.

The Monte Carlo simulates exactly this: one household pot following this target path, paying
each goal when it falls due (higher priority first within a month), with the contributions,
fees, rebalancing and the household's tax rates. Today's row is the plan's household target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tailorfolio.allocation._sleeves import LONG_TERM, RESERVE, SleevePolicy, as_of_year
from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._timeline import goal_contributions, goal_due_step
from tailorfolio.typing import FloatArray


MEMO_ENTRIES = 256
"""Schedules and value columns a :class:`HouseholdPolicy` keeps, each (a bound on memory)."""


@dataclass(frozen=True)
class HouseholdPolicy:
    """The plan's allocation over time.

    Attributes
    ----------
    policies : dict of str to SleevePolicy
        One per goal name, plus ``emergency reserve`` and ``long-term money``.
    amounts : dict of str to float
        Today's money in each sleeve, currency units.
    expected_return : ndarray of shape (n_assets,)
        Annual arithmetic expected returns, decimals (the plan's).
    inflation : float
        Annual, decimal.
    """

    policies: dict[str, SleevePolicy]
    amounts: dict[str, float]
    expected_return: FloatArray
    inflation: float
    _schedules: dict[tuple[str, float, int], FloatArray] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _columns: dict[tuple[object, ...], tuple[list[float], float | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    """Sleeve schedules and value columns already projected, by their inputs (a lever search
    projects one policy for dozens of profiles that differ in one goal: the other sleeves'
    inputs, and so their results, are the same)."""

    def sleeve_values(self, profile: InvestorProfile, as_of: date, n_steps: int
                      ) -> tuple[list[str], FloatArray, FloatArray]:
        """Projected sleeve values and weights.

        Returns
        -------
        names : list of str
        values : ndarray (n_sleeves, n_steps)
            Start-of-month value of each sleeve, today's money.
        weights : ndarray (n_sleeves, n_steps, n_assets)
        """
        y0 = as_of_year(as_of)
        goals = list(profile.goals)
        names = [g.name for g in goals] + [RESERVE, LONG_TERM]
        t = np.arange(n_steps)
        weights = np.empty((len(names), n_steps, len(self.expected_return)))
        for i, g in enumerate(goals):
            key = (g.name, float(g.years_until(y0)), n_steps)
            schedule = self._schedules.get(key)
            if schedule is None:
                schedule = self.policies[g.name].schedule(g.years_until(y0), n_steps)
                if len(self._schedules) < MEMO_ENTRIES:
                    self._schedules[key] = schedule
            weights[i] = schedule
        for i, name in enumerate((RESERVE, LONG_TERM), start=len(goals)):
            weights[i] = np.broadcast_to(self.policies[name].weights_at_years(0.0),
                                         weights[i].shape)
        real_monthly = (1 + weights @ self.expected_return) ** (1 / 12) / (
            1 + self.inflation) ** (1 / 12) - 1
        deflator = (1 + self.inflation) ** (-t / 12)
        v = np.array([self.amounts.get(n, 0.0) for n in names], float)
        flows_in = np.zeros((len(names), n_steps))
        flows_out = np.zeros((len(names), n_steps))
        last = np.full(len(names), n_steps, int)
        for i, g in enumerate(goals):
            due = goal_due_step(g, as_of)
            flows_in[i] = goal_contributions(g, as_of, n_steps) * deflator
            if g.kind is GoalKind.INCOME:
                idx = np.arange(due, due + 12 * g.duration_years, 12)
                idx = idx[idx < n_steps]
                flows_out[i, idx] = g.amount
                last[i] = int(idx[-1]) + 1 if len(idx) else due + 1
            elif due < n_steps:
                flows_out[i, due] = g.amount
                last[i] = due + 1
        long_term = len(names) - 1
        # The recursion runs on Python floats, one sleeve at a time (a handful of sleeves:
        # numpy's per-call overhead on arrays this small costs more than the arithmetic). A
        # goal's sleeve depends on nothing but its own flows; what is left of it when its last
        # withdrawal is paid moves to the long-term money at the start of the next month
        # (goals in their order), which is then run. The same IEEE operations in the same
        # order as month by month over all sleeves, so the values are identical to it.
        ins, outs = flows_in.tolist(), flows_out.tolist()
        growth = (1 + real_monthly).tolist()
        swept: dict[int, list[float]] = {}
        columns: list[list[float]] = []
        for i in range(len(names)):
            x = float(v[i])
            c_i, o_i, g_i = ins[i], outs[i], growth[i]
            arrivals = swept if i == long_term else {}
            # A sleeve's column depends on these inputs alone (a goal's on its own flows,
            # the long-term money's also on what the goals left it).
            key = (i < len(goals), x, int(last[i]), tuple(c_i), tuple(o_i), tuple(g_i),
                   tuple(sorted((k, tuple(a)) for k, a in arrivals.items())))
            known = self._columns.get(key)
            if known is not None:
                col, left = known
                if left is not None:
                    swept.setdefault(int(last[i]), []).append(left)
                columns.append(col)
                continue
            col = [0.0] * n_steps
            left: float | None = None
            # ``0.0 if y < 0.0 else y`` is ``max(y, 0.0)`` exactly (NaN and -0.0 included)
            # without the call.
            if i < len(goals):
                sweep_at = int(last[i])
                for k in range(n_steps):
                    if k == sweep_at and x > 0:
                        swept.setdefault(k, []).append(x)
                        left = x
                        x = 0.0
                    x = x + c_i[k]
                    col[k] = x
                    x = x - o_i[k]
                    x = (0.0 if x < 0.0 else x) * g_i[k]
            else:
                for k in range(n_steps):
                    if k in arrivals:
                        for amount in arrivals[k]:
                            x += amount
                    x = x + c_i[k]
                    col[k] = x
                    x = x - o_i[k]
                    x = (0.0 if x < 0.0 else x) * g_i[k]
            if len(self._columns) < MEMO_ENTRIES:
                self._columns[key] = (col, left)
            columns.append(col)
        values = np.array(columns, float).reshape(len(names), n_steps)
        return names, values, weights

    def household_weights(self, profile: InvestorProfile, as_of: date, n_steps: int
                          ) -> FloatArray:
        """The household target for each month, ndarray (n_steps, n_assets)."""
        _, values, weights = self.sleeve_values(profile, as_of, n_steps)
        total = values.sum(axis=0)
        fallback = self.policies[LONG_TERM].weights_at_years(0.0)
        out = np.einsum("sk,ska->ka", values, weights)
        empty = total <= 1e-9
        out[~empty] /= total[~empty, None]
        out[empty] = fallback
        out = np.clip(out, 0.0, None)
        return out / out.sum(axis=1, keepdims=True)
