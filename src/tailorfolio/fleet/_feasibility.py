"""Batched proofs that a turnover cap cannot hold, and a counting proof for class minima.

**Smallest turnover.** For investor i, T* = min ‖w − w0‖₁ over the bounds and the linear
rows (budget, class bounds, ESG floor). The kernel solves the batch of regularised problems
``min ε/2·‖w‖² + ‖w − w0‖₁`` (ε = 1e-5) exactly; its answer w_ε is feasible, so
T* ≤ ‖w_ε − w0‖₁. Its row multipliers ν give a certificate the other way: by weak duality
every ν (with the sign each row's finite side allows) bounds

    T* ≥ g(ν) = Σ_j min_{l_j ≤ w_j ≤ u_j} (|w_j − w0_j| + (Aᵀν)_j w_j)
                − Σ_r (max(ν_r, 0)·hi_r + min(ν_r, 0)·lo_r),

where each one-dimensional minimum of a convex piecewise-linear function lies at l_j, u_j
or clip(w0_j) — so g is evaluated exactly, batched. ``g(ν) > τ`` proves the cap infeasible
(whatever the accuracy of ν); ``‖w_ε − w0‖₁ ≤ τ`` proves the turnover is not the obstacle.
The two agree to about ε in practice, so the message can quote the trading needed.

**Class minima.** Pairwise disjoint classes whose minima add to more than 1 cannot all hold.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.kernel._activeset import ActiveSet, active_set_solve, guess_active_set
from tailorfolio.kernel._standard import StandardForm, from_investor_batch
from tailorfolio.typing import FloatArray

REGULARIZATION = 1e-5
"""ε of the regularised smallest-turnover problem (T(w_ε) − T* ≤ ε/2·max‖w‖² ≤ ε/2; smaller
ε makes the near-LP faces slower to settle: 1e-6 took 1.8× the time on the hard book)."""
QUOTE_GAP = 1e-4
"""Bounds this close quote the plan's turnover as the trading needed (4 decimals shown)."""
PROOF_SLACK = 1e-9
"""A bound must clear the cap by this much to count as a proof (rounding)."""


def turnover_bounds(model: FleetModel, batch: InvestorBatch
                    ) -> tuple[FloatArray, FloatArray]:
    """(lower, upper) bounds on each investor's smallest turnover T* (see module docstring).

    ``lower`` is −inf and ``upper`` +inf where the kernel did not settle the regularised
    problem (e.g. when the linear constraints themselves cannot hold).
    """
    b, n = batch.size, model.n_assets
    plain = batch.take(np.arange(b))
    plain.max_turnover = np.full(b, np.inf)
    plain.max_volatility = np.full(b, np.nan)
    plain.min_return = np.full(b, np.nan)
    sf = from_investor_batch(model, plain, with_volatility=False)
    lp = StandardForm(REGULARIZATION * np.eye(n), sf.A, sf.row_names, np.zeros((b, n)),
                      sf.lower, sf.upper, sf.w0, np.ones((b, n)), sf.row_lo, sf.row_hi,
                      np.full(b, np.inf), np.ones(b))
    # the bare core, no rescue: an unsettled problem is only "not proved" (the caller's
    # per-investor path takes it); linear constraints that cannot hold never settle
    sol = active_set_solve(lp, least_trading_start(lp), max_iter=30 + 2 * n, full_steps=5,
                           stall=1)
    w = sol.w
    upper = np.where(sol.ok, np.abs(w - sf.w0).sum(axis=1), np.inf)
    lower = np.where(sol.ok, dual_bound(lp, sol.nu), -np.inf)
    return lower, upper


def least_trading_start(lp: StandardForm) -> ActiveSet:
    """The active set of w = clip(w0, l, u): every asset held within its bounds stays at its
    kink, the others at the bound nearest w0 (the answer when the rows need no trading; else
    a few switches away from it, where the cold start was some twenty). Any start gives the
    same answer: the regularised problem is strictly convex."""
    return guess_active_set(lp, np.clip(lp.w0, lp.lower, lp.upper), tol=1e-12)


def dual_bound(lp: StandardForm, nu: FloatArray) -> FloatArray:
    """g(ν) of the module docstring for each problem of ``lp`` (its rows, bounds and w0)."""
    nu = np.where((nu > 0) & ~np.isfinite(lp.row_hi), 0.0, nu)
    nu = np.where((nu < 0) & ~np.isfinite(lp.row_lo), 0.0, nu)
    c = nu @ lp.A
    lo, up, w0 = lp.lower, lp.upper, lp.w0
    cands = np.stack([lo, up, np.clip(w0, lo, up)])
    phi = np.abs(cands - w0) + c * cands
    rows = (np.where(nu > 0, nu * np.where(np.isfinite(lp.row_hi), lp.row_hi, 0.0), 0.0)
            + np.where(nu < 0, nu * np.where(np.isfinite(lp.row_lo), lp.row_lo, 0.0), 0.0))
    return phi.min(axis=0).sum(axis=1) - rows.sum(axis=1)


def turnover_message(cap: float, lower: float, upper: float) -> str:
    """Why ``max_turnover`` cannot hold (``lower`` proved, ``upper`` reached by a plan)."""
    close = upper - lower <= QUOTE_GAP
    need = upper if close else lower
    at_least = f"{need:.4f}" if close else f"more than {lower:.4f}"
    return (f"max_turnover {cap:.4f} is below the {at_least} of trading the other "
            "constraints force (bounds, exclusions of held assets, class bounds, ESG floor, "
            f"investing the cash); raise max_turnover to at least {need:.4f} or relax those "
            "constraints.")


def class_minima_conflict(model: FleetModel, batch: InvestorBatch, i: int) -> str:
    """A message when pairwise disjoint classes of investor ``i`` have minima adding to more
    than 1 (else "")."""
    g = model.group_matrix > 0
    mins = batch.group_min[i]
    taken: list[int] = []
    used = np.zeros(model.n_assets, dtype=bool)
    for k in np.argsort(-mins, kind="stable"):
        if mins[k] <= 0:
            break
        if not (used & g[k]).any():
            taken.append(int(k))
            used |= g[k]
    total = float(mins[taken].sum()) if taken else 0.0
    if total <= 1 + PROOF_SLACK:
        return ""
    names = [model.group_names[k] for k in taken]
    lines = "\n".join(f"  - minimum {name} allocation {100 * mins[k]:.1f} % (set by "
                      f"class_bounds.{name})" for name, k in zip(names, taken))
    return (f"These constraints cannot all hold:\n{lines}\nThese classes share no asset, and "
            f"their minima add to {100 * total:.1f} %, more than the whole portfolio; lower "
            f"them by {100 * (total - 1):.1f} % in total.")
