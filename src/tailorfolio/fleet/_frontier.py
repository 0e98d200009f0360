"""The efficient frontier under one fleet investor's constraints.

Points are the minimum-variance portfolios at ``n_points`` expected returns spaced evenly from
the minimum-variance portfolio's return to the highest return the constraints allow (the
return-targeted frontier that PyPortfolioOpt's ``efficient_return`` and skfolio's
``efficient_frontier_size`` trace). The investor compiles to the kernel's standard form
(:func:`tailorfolio.kernel.from_investor_batch`) and the frontier is the kernel's one exact
parametric path (:func:`tailorfolio.kernel.standard_form_frontier`): every point is an exact
interpolation between two KKT-verified breakpoints.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.errors import InfeasibleError, ParameterError
from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.fleet._solver import SolverSettings, single_threaded_blas
from tailorfolio.kernel import from_investor_batch, standard_form_frontier
from tailorfolio.optimize._result import Frontier, frontier_from_path


def batched_frontier(model: FleetModel, constraints: InvestorBatch | None = None, *,
                     n_points: int = 50, settings: SolverSettings | None = None) -> Frontier:
    """The return-targeted efficient frontier under one investor's constraints.

    Parameters
    ----------
    model : FleetModel
    constraints : InvestorBatch of size 1, optional
        Bounds, class bounds and ESG floor (risk aversion, costs, turnover, return floor and
        volatility ceiling are ignored); default long-only and fully invested.
    n_points : int
        At least 2.
    settings : SolverSettings, optional
        Kept for compatibility; the exact path needs no iterative solver settings.

    Returns
    -------
    Frontier
        Sorted by expected return (and volatility); ``kkt`` holds each point's residuals.

    Raises
    ------
    InfeasibleError
        When the constraints admit no portfolio.
    """
    del settings  # the exact path has no tolerances to set
    if n_points < 2:
        raise ParameterError(f"n_points must be >= 2. Got {n_points}.", field="n_points",
                             value=n_points, fix="use e.g. 50")
    base = constraints if constraints is not None else InvestorBatch.uniform(model, 1)
    base = base.take(np.array([0]))
    base.risk_aversion = np.array([np.inf])
    base.cost_rate = np.zeros_like(base.cost_rate)
    base.max_turnover = np.array([np.inf])
    base.max_volatility = np.array([np.nan])
    base.min_return = np.array([np.nan])
    with single_threaded_blas():
        sf = from_investor_batch(model, base)
        try:
            path = standard_form_frontier(sf, model.expected_return)
        except InfeasibleError as exc:
            raise InfeasibleError(
                f"{exc} (fleet investor: bounds, class bounds and ESG floor)",
                field="constraints", fix="relax the conflicting constraints") from None
        return frontier_from_path(path, n_points, list(model.tickers), model.risk_free_rate)
