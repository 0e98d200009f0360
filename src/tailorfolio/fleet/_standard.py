"""The batch of investor problems in one scaled standard form sharing P and the row matrix.

Dividing investor *i*'s objective by ``γ_i·d`` (``d`` the mean variance of the universe) turns
every problem of the batch into

    minimise    ½ wᵀP w + q_iᵀw + Σ_j κ_ij |w_j − w0_ij|
    subject to  l_i ≤ w ≤ u_i,  lo_i ≤ A w ≤ hi_i,  ‖w − w0_i‖₁ ≤ τ_i

with **one** P = Σ/d and **one** row matrix A (budget, class groups, ESG score, expected
return; each row scaled to unit norm) for the whole batch. Only vectors differ between
investors, which is what lets the batched solver factor one matrix and move every investor
through the same matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.typing import FloatArray

EQUALITY_ROW = 0
"""Index of the budget row (Σw = 1) in every standard form."""


@dataclass
class StandardForm:
    """Scaled problems of ``B`` investors over ``n`` assets and ``R`` rows.

    Attributes
    ----------
    P : ndarray (n, n)
        Σ / d.
    A : ndarray (R, n)
        Unit-norm rows: row 0 is the budget; then merged class groups; ESG; return.
    row_names : list of str
    q : ndarray (B, n)
    lower, upper, w0, kappa : ndarray (B, n)
    row_lo, row_hi : ndarray (B, R)
        ``±inf`` where a row does not bind that investor.
    tau : ndarray (B,)
        Turnover cap (``inf`` for none).
    scale : ndarray (B,)
        Factor from the scaled objective back to the investor's utility (γ·d).
    """

    P: FloatArray
    A: FloatArray
    row_names: list[str]
    q: FloatArray
    lower: FloatArray
    upper: FloatArray
    w0: FloatArray
    kappa: FloatArray
    row_lo: FloatArray
    row_hi: FloatArray
    tau: FloatArray
    scale: FloatArray

    @property
    def size(self) -> int:
        return int(self.q.shape[0])

    @property
    def n(self) -> int:
        return int(self.P.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    def take(self, idx) -> StandardForm:
        return StandardForm(self.P, self.A, self.row_names, self.q[idx], self.lower[idx],
                            self.upper[idx], self.w0[idx], self.kappa[idx], self.row_lo[idx],
                            self.row_hi[idx], self.tau[idx], self.scale[idx])

    def has_turnover(self) -> bool:
        return bool(np.isfinite(self.tau).any())


def merged_groups(model: FleetModel, batch: InvestorBatch
                  ) -> tuple[list[str], FloatArray, FloatArray, FloatArray]:
    """Class groups that bind anyone, with identical memberships merged.

    Returns names, membership (k', n), lower (B, k') and upper (B, k') with ``±inf`` where a
    bound cannot bind (a lower of 0 or an upper of 1 is implied by long-only full investment).
    """
    names: list[str] = []
    rows: list[FloatArray] = []
    los: list[FloatArray] = []
    his: list[FloatArray] = []
    gmin, gmax = batch.group_min, batch.group_max
    for g in range(model.n_groups):
        lo = np.where(gmin[:, g] > 0, gmin[:, g], -np.inf)
        hi = np.where(gmax[:, g] < 1, gmax[:, g], np.inf)
        if not (np.isfinite(lo).any() or np.isfinite(hi).any()):
            continue
        members = model.group_matrix[g]
        for j, r in enumerate(rows):
            if np.array_equal(r, members):
                los[j] = np.maximum(los[j], lo)
                his[j] = np.minimum(his[j], hi)
                names[j] += "|" + model.group_names[g]
                break
        else:
            names.append(model.group_names[g])
            rows.append(members.copy())
            los.append(lo)
            his.append(hi)
    b = batch.size
    if not rows:
        return [], np.zeros((0, model.n_assets)), np.zeros((b, 0)), np.zeros((b, 0))
    return names, np.vstack(rows), np.column_stack(los), np.column_stack(his)


def standard_form(model: FleetModel, batch: InvestorBatch) -> StandardForm:
    """Scale and stack the batch's problems (see module docstring).

    Investors with ``risk_aversion = inf`` minimise variance (plus costs).
    """
    cov = model.covariance
    d = float(np.mean(np.diag(cov)))
    P = cov / d
    gamma = batch.risk_aversion
    finite = np.isfinite(gamma)
    scale = np.where(finite, gamma * d, d)
    scores = model.esg_vector()
    mu_eff = model.expected_return[None, :] + batch.esg_tilt[:, None] * scores[None, :] / 100.0
    q = np.where(finite[:, None], -mu_eff / scale[:, None], 0.0)
    kappa = batch.cost_rate / scale[:, None]

    b, n = batch.size, model.n_assets
    names = ["budget"]
    rows = [np.ones(n)]
    lo = [np.ones(b)]
    hi = [np.ones(b)]
    gnames, gmat, glo, ghi = merged_groups(model, batch)
    for j, name in enumerate(gnames):
        names.append(f"class:{name}")
        rows.append(gmat[j])
        lo.append(glo[:, j])
        hi.append(ghi[:, j])
    floor = batch.min_esg_score
    if np.isfinite(floor).any():
        names.append("esg_floor")
        rows.append(scores.copy())
        lo.append(np.where(np.isfinite(floor), floor, -np.inf))
        hi.append(np.full(b, np.inf))
    if np.isfinite(batch.min_return).any():
        names.append("min_return")
        rows.append(model.expected_return.copy())
        lo.append(np.where(np.isfinite(batch.min_return), batch.min_return, -np.inf))
        hi.append(np.full(b, np.inf))
    A = np.vstack(rows)
    norms = np.linalg.norm(A, axis=1)
    norms[norms == 0] = 1.0
    A = A / norms[:, None]
    row_lo = np.column_stack(lo) / norms[None, :]
    row_hi = np.column_stack(hi) / norms[None, :]
    return StandardForm(P, A, names, q, batch.lower.astype(float), batch.upper.astype(float),
                        batch.current_weights.astype(float), kappa, row_lo, row_hi,
                        batch.max_turnover.astype(float), scale)


def scaled_objective(sf: StandardForm, w: FloatArray) -> FloatArray:
    """½wᵀPw + qᵀw + κᵀ|w − w0| for each row of ``w`` (B, n)."""
    return (0.5 * np.einsum("bi,ij,bj->b", w, sf.P, w) + np.einsum("bi,bi->b", sf.q, w)
            + np.einsum("bi,bi->b", sf.kappa, np.abs(w - sf.w0)))
