"""The efficient frontier as one batch: every point is an investor of the batched solver.

Points are the minimum-variance portfolios at ``n_points`` expected returns spaced evenly from
the minimum-variance portfolio's return to the highest return the constraints allow (the
return-targeted frontier that PyPortfolioOpt's ``efficient_return`` and skfolio's
``efficient_frontier_size`` trace). The two ends are found first (a batch of one and a linear
program); the interior points are then solved together, sharing one factorization, and each
is verified against its KKT conditions like any fleet investor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from tailorfolio.errors import InfeasibleError
from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.kernel._activeset import (
    ROW_LO,
    ROW_OFF,
    ActiveSet,
    ActiveSetOutcome,
    active_set_solve,
    cold_active_set,
    guess_active_set,
)
from tailorfolio.kernel._admm import BatchedAdmm
from tailorfolio.kernel._standard import StandardForm, from_investor_batch
from tailorfolio.fleet._solver import (
    STATUS_OPTIMAL,
    SolverSettings,
    single_threaded_blas,
    solve_batch,
)
from tailorfolio.optimize._result import Frontier

PDAS_STEPS = 50
"""Active-set steps allowed from the structured guesses before the general path takes over."""


def batched_frontier(model: FleetModel, constraints: InvestorBatch | None = None, *,
                     n_points: int = 50, settings: SolverSettings | None = None) -> Frontier:
    """The return-targeted efficient frontier under one investor's constraints.

    Parameters
    ----------
    model : FleetModel
    constraints : InvestorBatch of size 1, optional
        Bounds, class bounds and ESG floor (risk aversion, costs and turnover are ignored);
        default long-only and fully invested.
    n_points : int
        At least 2.

    Returns
    -------
    Frontier
        Sorted by expected return (and volatility).

    Raises
    ------
    InfeasibleError
        When the constraints admit no portfolio.
    """
    with single_threaded_blas():
        return _frontier(model, constraints, n_points, settings)


def _frontier(model: FleetModel, constraints: InvestorBatch | None, n_points: int,
              settings: SolverSettings | None) -> Frontier:
    if n_points < 2:
        from tailorfolio.errors import ParameterError

        raise ParameterError(f"n_points must be >= 2. Got {n_points}.", field="n_points",
                             value=n_points, fix="use e.g. 50")
    base = constraints if constraints is not None else InvestorBatch.uniform(model, 1)
    base = base.take(np.array([0]))
    base.risk_aversion = np.array([np.inf])
    base.cost_rate = np.zeros_like(base.cost_rate)
    base.max_turnover = np.array([np.inf])
    base.max_volatility = np.array([np.nan])
    base.min_return = np.array([np.nan])
    # minimum variance: active-set steps straight from "every bound inactive" (exact and
    # fast for one investor); the general batched path if they do not settle
    sf_min = standard_form(model, base)
    mv = polish(sf_min, _all_free(sf_min), PDAS_STEPS, full_steps=PDAS_STEPS)
    if mv.ok[0]:
        w_min, min_set = mv.w[0], mv.active
    else:
        first = solve_batch(model, base, settings or SolverSettings(check_every=150))
        if first.status[0] != STATUS_OPTIMAL:
            raise InfeasibleError(str(first.message[0])
                                  or "The constraints admit no portfolio.",
                                  field="constraints", fix="relax the conflicting constraints")
        w_min, min_set = first.weights[0], None
    r_min = float(w_min @ model.expected_return)
    r_max = _max_return(model, base)
    targets = np.linspace(r_min, max(r_max, r_min), n_points)
    pts = base.take(np.zeros(n_points - 1, dtype=int))
    pts.min_return = targets[1:].copy()
    # the top point sits on the edge of the feasible set; aim a hair inside it
    pts.min_return[-1] -= 1e-9 * max(1.0, abs(r_max))
    w_pts = np.zeros((n_points - 1, model.n_assets))
    ok = np.zeros(n_points - 1, dtype=bool)
    if min_set is not None:
        # every point from the minimum-variance active set plus its binding return floor
        sf_pts = standard_form(model, pts)
        ret_row = sf_pts.row_names.index("min_return")
        k = n_points - 1
        rows = np.full((k, sf_pts.n_rows), ROW_OFF, dtype=np.int8)
        rows[:, : min_set.row.shape[1]] = min_set.row[0]
        rows[:, ret_row] = ROW_LO
        guess = ActiveSet(np.repeat(min_set.var, k, 0), np.repeat(min_set.sign, k, 0), rows,
                          np.zeros(k, dtype=bool))
        out = polish(sf_pts, guess, PDAS_STEPS, full_steps=PDAS_STEPS)
        w_pts[out.ok], ok = out.w[out.ok], out.ok.copy()
    if not ok.all():  # ADMM for the rest, then a neighbour's exact active set
        w_top = _max_return_weights(model, base)
        lam = (targets[1:] - r_min) / max(r_max - r_min, 1e-300)
        start = (1 - lam)[:, None] * w_min[None, :] + lam[:, None] * w_top[None, :]
        w_rest, ok_rest = _neighbour_polish(model, pts, start)
        fill = ~ok & ok_rest
        w_pts[fill] = w_rest[fill]
        ok |= ok_rest
    statuses = [STATUS_OPTIMAL] * n_points
    if not ok.all():  # what the homotopy did not settle goes through the full batched path
        rest = solve_batch(model, pts.take(~ok), settings)
        w_pts[~ok] = rest.weights
        for j, st in zip(np.flatnonzero(~ok), rest.status):
            statuses[j + 1] = str(st)
    weights = np.vstack([w_min, w_pts])
    rets = weights @ model.expected_return
    vols = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", weights, model.covariance, weights), 0))
    sharpe = (rets - model.risk_free_rate) / vols
    return Frontier(vols, rets, sharpe, pd.DataFrame(weights, columns=list(model.tickers)),
                    model.risk_free_rate, statuses)


def standard_form(model: FleetModel, batch: InvestorBatch) -> StandardForm:
    return from_investor_batch(model, batch, with_volatility=False)


def polish(sf: StandardForm, act: ActiveSet, max_iter: int, full_steps: int = 3
           ) -> ActiveSetOutcome:
    """The kernel's active-set core with the fleet's step schedule."""
    return active_set_solve(sf, act, max_iter=max_iter, full_steps=full_steps, adaptive=False)


def _all_free(sf: StandardForm) -> ActiveSet:
    """Every asset free (except pinned ones), only the budget binding."""
    return cold_active_set(sf)


def _neighbour_polish(model: FleetModel, pts: InvestorBatch, start: np.ndarray,
                      admm_iterations: int = 40, rounds: int = 12
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Solve the frontier points together, then hand each settled point's exact active set
    to its unsettled neighbours (neighbouring targets share almost all active constraints,
    so a KKT solve from a neighbour's set needs one or two corrections)."""
    sf = standard_form(model, pts)
    admm = BatchedAdmm(sf.P, sf.A)
    st = admm.start(sf, start)  # feasible start: mixes of the two ends hit each target
    admm.iterate(sf, st, admm_iterations)
    out = polish(sf, guess_active_set(sf, st.z_box, st.z_row), 4)
    w, ok, act = out.w.copy(), out.ok.copy(), out.active
    assert act is not None
    for _ in range(rounds):
        if ok.all() or not ok.any():
            break
        fails = np.flatnonzero(~ok)
        good = np.flatnonzero(ok)
        pos = np.clip(np.searchsorted(good, fails), 0, len(good) - 1)
        left = good[np.maximum(pos - 1, 0)]
        right = good[pos]
        src = np.where(np.abs(left - fails) <= np.abs(right - fails), left, right)
        guess = ActiveSet(act.var[src].copy(), act.sign[src].copy(), act.row[src].copy(),
                          act.turnover[src].copy())
        res = polish(sf.take(fails), guess, 4)
        w[fails[res.ok]] = res.w[res.ok]
        ok[fails[res.ok]] = True
        assert res.active is not None
        act.var[fails], act.sign[fails] = res.active.var, res.active.sign
        act.row[fails], act.turnover[fails] = res.active.row, res.active.turnover
    return w, ok


def _max_return(model: FleetModel, base: InvestorBatch) -> float:
    return float(model.expected_return @ _max_return_weights(model, base))


def _max_return_weights(model: FleetModel, base: InvestorBatch) -> np.ndarray:
    n = model.n_assets
    a_ub, b_ub = [], []
    if model.n_groups:
        a_ub += [model.group_matrix, -model.group_matrix]
        b_ub += [base.group_max[0], -base.group_min[0]]
    if np.isfinite(base.min_esg_score[0]):
        a_ub.append(-model.esg_vector()[None, :])
        b_ub.append(np.array([-base.min_esg_score[0]]))
    res = linprog(-model.expected_return, A_ub=np.vstack(a_ub) if a_ub else None,
                  b_ub=np.concatenate(b_ub) if b_ub else None, A_eq=np.ones((1, n)),
                  b_eq=[1.0], bounds=list(zip(base.lower[0], base.upper[0])), method="highs")
    return np.clip(np.asarray(res.x, dtype=float), base.lower[0], base.upper[0])
