"""What a simulation returns: per-path summaries (never the full monthly paths)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tailorfolio.typing import FloatArray

if TYPE_CHECKING:
    from tailorfolio.simulate._spec import SimulationSpec

FAN_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
"""Percentiles shown in fan charts."""


@dataclass(frozen=True)
class SimulationResult:
    """Per-path results of :func:`tailorfolio.simulate.simulate`.

    Attributes
    ----------
    spec : SimulationSpec
    model_name : str
    seed : int
    n_paths : int
    real_wealth_by_year : ndarray (n_years + 1, n_paths)
        Total wealth of all pots at the start of each year (before that month's flows) and at
        the end of the horizon, in today's money (deflated by the path's price level).
    goal_funded_real : ndarray (n_goals, n_paths)
        Net amount each goal received, today's money.
    goal_success : ndarray (n_goals, n_paths) of bool
        Whether every withdrawal of the goal was met in full.
    goal_wealth_at_due_real : ndarray (n_goals, n_paths)
        Wealth of the goal's pot when the goal fell due (before its first withdrawal), today's
        money.
    taxes_paid_real : ndarray (n_paths,)
        Taxes (and penalties) paid during the horizon, today's money (each payment deflated by
        the price level when paid): on withdrawals, plus ``gains_taxes_real``.
    final_nominal_wealth, final_price_level : ndarray (n_paths,)
    gains_taxes_real : ndarray (n_paths,)
        Capital-gains tax on rebalancing sales, today's money (zero unless the spec's
        ``TaxTreatment.tax_rebalancing_gains`` is set).
    turnover : ndarray (n_paths,)
        Sum over every rebalancing trade of ``sum |trade| / household wealth`` (buys and sells
        both counted), over the whole horizon; deposits and withdrawals are not trades.
    rebalance_count : ndarray (n_paths,)
        Number of pot rebalancings (calendar or drift band) on each path.
    final_after_tax_real : ndarray (n_paths,)
        Liquidation value at the end, today's money: taxable money less capital-gains tax on
        its gain over basis, traditional money less ordinary tax (and the early-withdrawal
        penalty if the horizon ends before 59½), Roth as is.
    final_balance_real : ndarray (3, n_paths)
        Taxable, traditional and Roth money at the end, today's money (before tax).
    """

    spec: SimulationSpec
    model_name: str
    seed: int
    n_paths: int
    real_wealth_by_year: FloatArray
    goal_funded_real: FloatArray
    goal_success: np.ndarray
    goal_wealth_at_due_real: FloatArray
    taxes_paid_real: FloatArray
    final_nominal_wealth: FloatArray
    final_price_level: FloatArray
    gains_taxes_real: FloatArray
    turnover: FloatArray
    rebalance_count: FloatArray
    final_after_tax_real: FloatArray
    final_balance_real: FloatArray

    @property
    def goal_names(self) -> list[str]:
        return [g.name for g in self.spec.goals]

    @property
    def final_real_wealth(self) -> FloatArray:
        """Wealth at the end of the horizon in today's money, ndarray (n_paths,)."""
        return self.real_wealth_by_year[-1]

    @property
    def annual_turnover(self) -> FloatArray:
        """Turnover per year of the horizon, ndarray (n_paths,)."""
        return self.turnover / self.spec.n_years

    def success_probability(self, goal: int) -> tuple[float, float]:
        """Probability that goal ``goal`` is met in full, and its Monte Carlo standard error
        ``sqrt(p (1 - p) / n)``."""
        p = float(self.goal_success[goal].mean())
        return p, float(np.sqrt(p * (1 - p) / self.n_paths))

    def fan_chart(self, percentiles: tuple[int, ...] = FAN_PERCENTILES) -> pd.DataFrame:
        """Percentiles of total real wealth by year.

        Returns
        -------
        pandas.DataFrame
            Index ``year`` (0 = today … n_years), one column per percentile (``p5`` …), today's
            money. Columns are non-decreasing in the percentile by construction.
        """
        q = np.percentile(self.real_wealth_by_year, percentiles, axis=1).T
        return pd.DataFrame(q, index=pd.RangeIndex(q.shape[0], name="year"),
                            columns=[f"p{p}" for p in percentiles])

    def paths_summary(self) -> pd.DataFrame:
        """One row per path: final real wealth, taxes, each goal's outcome, yearly wealth.

        Columns: ``path``, ``final_real_wealth``, ``min_real_wealth``, ``taxes_paid_real``,
        ``gains_taxes_real``, ``turnover``, ``final_after_tax_real``, then per goal ``<name>: success``, ``<name>: funded_real``,
        ``<name>: wealth_at_due_real``, then ``wealth_year_<k>`` for every year (today's
        money).
        """
        cols: dict[str, object] = {
            "path": np.arange(self.n_paths),
            "final_real_wealth": self.final_real_wealth,
            "min_real_wealth": self.real_wealth_by_year.min(axis=0),
            "taxes_paid_real": self.taxes_paid_real,
            "gains_taxes_real": self.gains_taxes_real,
            "turnover": self.turnover,
            "final_after_tax_real": self.final_after_tax_real,
        }
        for j, name in enumerate(self.goal_names):
            cols[f"{name}: success"] = self.goal_success[j]
            cols[f"{name}: funded_real"] = self.goal_funded_real[j]
            cols[f"{name}: wealth_at_due_real"] = self.goal_wealth_at_due_real[j]
        for y in range(self.real_wealth_by_year.shape[0]):
            cols[f"wealth_year_{y}"] = self.real_wealth_by_year[y]
        return pd.DataFrame(cols)
