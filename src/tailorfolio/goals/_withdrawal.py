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
and fees (expense ratios, advisory fee) are deducted monthly. The paths come from the
simulator core (:func:`tailorfolio.simulate._core.simulate_portfolio`): one unit of wealth,
no cash flows, the growth index and price level recorded at the start of every year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.simulate._core import log_fee_of, simulate_portfolio
from tailorfolio.simulate._returns import HistoricalWindowsModel, ReturnModel
from tailorfolio.simulate._threads import single_threaded_blas
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
    with single_threaded_blas():
        unit = simulate_portfolio(model, n_steps, weights=w, initial_wealth=1.0,
                                  rebalance_every=rebalance_every_months,
                                  log_fee=log_fee_of(expense_ratio, advisory_fee_bps, len(w)),
                                  record_every=12, n_paths=n_paths, seed=seed)
    # Growth index A_y and price level P_y at the start of each year y < years: the grown
    # withdrawals per unit rate are B_y = A_y sum_{s<=y} P_s / A_s, so A_y / B_y falls every
    # year and the binding check is the last withdrawal.
    labels = (list(model.window_starts(n_steps)) if isinstance(model, HistoricalWindowsModel)
              else [])
    return WithdrawalAnalysis(years, _max_rates(unit.wealth_nominal[:years],
                                                unit.price_level[:years]), model.name, labels)


def _max_rates(growth: FloatArray, price: FloatArray) -> FloatArray:
    """Each path's sustainable rate from its growth index and price level at the start of
    each year (ndarrays (years, n_paths))."""
    return 1.0 / (price / growth).sum(axis=0)


def withdrawal_analysis_from_growth(weights: FloatArray, growth_by_year: FloatArray, years: int,
                                    model_name: str) -> WithdrawalAnalysis:
    """:func:`withdrawal_analysis` on growth factors another simulation already drew (rebalanced
    yearly; fees are those the factors are net of).

    Parameters
    ----------
    weights : ndarray (n_assets,)
    growth_by_year : ndarray (>= years − 1, n_assets + 1, n_paths)
        Each asset's growth over each year, then the price level's
        (:func:`tailorfolio.simulate._engine.simulate_with_growth`).
    years : int
    model_name : str

    Returns
    -------
    WithdrawalAnalysis
        The same rates as :func:`withdrawal_analysis` on the same markets, to rounding: a
        portfolio rebalanced to ``weights`` every year grows by ``weights · growth`` a year.
    """
    w = np.asarray(weights, float)
    g = np.asarray(growth_by_year, float)[:years - 1]
    if g.shape[0] != years - 1 or g.shape[1] != len(w) + 1:
        raise ParameterError(f"growth_by_year has shape {np.shape(growth_by_year)}; expected "
                             f"at least {years - 1} years of {len(w) + 1} factors.",
                             field="growth_by_year", value=np.shape(growth_by_year),
                             fix="record as many years of growth as the retirement lasts")
    n_paths = g.shape[2]
    growth = np.ones((years, n_paths))
    price = np.ones((years, n_paths))
    np.cumprod(np.einsum("a,yap->yp", w, g[:, :-1]), axis=0, out=growth[1:])
    np.cumprod(g[:, -1], axis=0, out=price[1:])
    return WithdrawalAnalysis(years, _max_rates(growth, price), model_name, [])
