"""An independent reference for the fleet tests: each investor by hand-written cvxpy."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from tailorfolio.fleet import FleetModel, InvestorBatch


def clarabel_reference(model: FleetModel, batch: InvestorBatch, i: int, *,
                       ceiling: bool = False, tight: bool = False
                       ) -> tuple[str, float | None, np.ndarray | None]:
    """Investor ``i`` solved by an independent hand-written cvxpy model with Clarabel.

    ``ceiling`` adds the volatility ceiling wᵀΣw ≤ max_volatility² (a second-order cone);
    ``tight`` asks Clarabel for 1e-12 gaps and feasibility.
    """
    n = model.n_assets
    w = cp.Variable(n)
    mu = model.expected_return + batch.esg_tilt[i] * model.esg_vector() / 100
    w0 = batch.current_weights[i]
    obj = (mu @ w - 0.5 * batch.risk_aversion[i] * cp.quad_form(w, model.covariance)
           - batch.cost_rate[i] @ cp.abs(w - w0))
    cons = [cp.sum(w) == 1, w >= batch.lower[i], w <= batch.upper[i],
            model.group_matrix @ w >= batch.group_min[i],
            model.group_matrix @ w <= batch.group_max[i]]
    if np.isfinite(batch.min_esg_score[i]):
        cons.append(model.esg_vector() @ w >= batch.min_esg_score[i])
    if np.isfinite(batch.max_turnover[i]):
        cons.append(cp.norm1(w - w0) <= batch.max_turnover[i])
    if ceiling and np.isfinite(batch.max_volatility[i]):
        chol = np.linalg.cholesky(model.covariance + 1e-16 * np.eye(n))
        cons.append(cp.norm(chol.T @ w) <= batch.max_volatility[i])
    prob = cp.Problem(cp.Maximize(obj), cons)
    opts = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12) if tight else {}
    prob.solve(solver="CLARABEL", **opts)
    # with tight tolerances Clarabel may stop one step short of 1e-12 ("inaccurate"): its
    # point is still far closer than the default tolerances give
    if prob.status != "optimal" and not (tight and prob.status == "optimal_inaccurate"):
        return str(prob.status), None, None
    return "optimal", float(prob.value), np.asarray(w.value)
