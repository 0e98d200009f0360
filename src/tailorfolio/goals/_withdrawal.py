"""Sustainable withdrawal rates: Monte Carlo and the historical rolling-period test.

For a fixed path of returns, wealth after each withdrawal is linear in the withdrawal rate
(withdrawals are sold pro rata, so they do not change the asset mix and the portfolio's
growth does not depend on them): with growth index ``A_t`` and accumulated, grown withdrawals
per unit rate ``B_t``, wealth is ``W_0 (A_t − rate · B_t)``. The largest rate a path sustains is
therefore ``min_t A_t / B_t`` (checked right after each withdrawal), computed exactly in one
pass; the rate sustained with probability ``s`` is the ``1 − s`` quantile over paths. The same
per-path rate over every overlapping historical window is the Bengen (1994) / Trinity
(Cooley, Hubbard & Walz 1998) test: a fixed initial withdrawal, raised with inflation each
year, success when the money lasts. Withdrawals are pre-tax, taken at the start of each year,
and fees (expense ratios, advisory fee) are deducted monthly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.simulate._engine import BLOCK_MONTHS
from tailorfolio.simulate._threads import single_threaded_blas
from tailorfolio.simulate._returns import HistoricalWindowsModel, ReturnModel
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class WithdrawalAnalysis:
    """Per-path sustainable initial withdrawal rates.

    Attributes
    ----------
    years : int
        Retirement length.
    max_rates : ndarray (n_paths,)
        Largest initial withdrawal rate (share of the initial portfolio per year, raised with
        inflation) each path sustains for ``years`` years.
    model_name : str
    labels : list
        Start year of each path for historical windows, else empty.
    """

    years: int
    max_rates: FloatArray
    model_name: str
    labels: list[object]

    def sustainable_rate(self, success: float = 0.90) -> float:
        """Initial rate sustained on at least ``success`` of the paths."""
        return float(np.quantile(self.max_rates, 1 - success, method="lower"))

    def success_rate(self, rate: float) -> float:
        """Share of paths on which ``rate`` lasts ``years`` years."""
        return float(np.mean(self.max_rates >= rate))

    def worst(self) -> tuple[object, float]:
        """Label (start year) and rate of the worst path."""
        i = int(np.argmin(self.max_rates))
        return (self.labels[i] if self.labels else i), float(self.max_rates[i])


def withdrawal_analysis(weights: FloatArray, model: ReturnModel, years: int, *,
                        expense_ratio: FloatArray | None = None,
                        advisory_fee_bps: float = 0.0, rebalance_every_months: int = 12,
                        n_paths: int = 10_000, seed: int = 0) -> WithdrawalAnalysis:
    """Sustainable rates over ``years`` years for a portfolio held at ``weights``.

    Parameters
    ----------
    weights : ndarray (n_assets,)
        Target weights (model's asset order), rebalanced every ``rebalance_every_months``.
    model : ReturnModel
        Historical windows give the rolling-period test (one path per start year).
    years : int
    expense_ratio : ndarray (n_assets,), optional
    advisory_fee_bps : float
    n_paths, seed : int

    Returns
    -------
    WithdrawalAnalysis
    """
    w = np.asarray(weights, float)
    n_steps = 12 * years
    fixed = model.fixed_n_paths(n_steps)
    p = fixed if fixed is not None else n_paths
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    sampler = (model.sampler(rng, p, first_path=0)
               if fixed is not None else model.sampler(rng, p))
    er = np.zeros(len(w)) if expense_ratio is None else np.asarray(expense_ratio, float)
    fee = (1 - er / 12) * (1 - advisory_fee_bps / 1e4 / 12)
    h = np.outer(np.ones(p), w)  # holdings of one unit of initial wealth
    growth = np.ones(p)  # A_t: value of the unit, no withdrawals
    owed = np.zeros(p)  # B_t: grown withdrawals per unit rate
    price = np.ones(p)
    best = np.full(p, np.inf)
    with single_threaded_blas():
        for t0 in range(0, n_steps, BLOCK_MONTHS):
            nb = min(BLOCK_MONTHS, n_steps - t0)
            lr, li = sampler.next(nb)
            gross = np.exp(lr) * fee
            infl = np.exp(li)
            for s in range(nb):
                t = t0 + s
                if t % 12 == 0:
                    owed += price
                    best = np.minimum(best, growth / owed)
                if rebalance_every_months and t % rebalance_every_months == 0 and t > 0:
                    h = h.sum(axis=1)[:, None] * w
                v0 = h.sum(axis=1)
                h *= gross[s]
                g = h.sum(axis=1) / v0
                growth *= g
                owed *= g
                price *= infl[s]
    labels = (list(model.window_starts(n_steps)) if isinstance(model, HistoricalWindowsModel)
              else [])
    return WithdrawalAnalysis(years, best, model.name, labels)
