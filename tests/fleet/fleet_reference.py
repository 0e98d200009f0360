"""An independent reference for the fleet tests: each investor by hand-written cvxpy."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from tailorfolio.fleet import FleetModel, InvestorBatch


def clarabel_reference(model: FleetModel, batch: InvestorBatch, i: int
                       ) -> tuple[str, float | None, np.ndarray | None]:
    """Investor ``i`` solved by an independent hand-written cvxpy model with Clarabel."""
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
    prob = cp.Problem(cp.Maximize(obj), cons)
    prob.solve(solver="CLARABEL")
    if prob.status != "optimal":
        return str(prob.status), None, None
    return "optimal", float(prob.value), np.asarray(w.value)
