"""The one place that solves a mean-variance QP.

Every mean-variance problem of tailorfolio (the optimizer's objectives, the ESG sweep, the
fleet's batches, frontiers) compiles to one batched :class:`StandardForm` and is solved by one
exact active-set core with KKT verification.

Stable API
----------
Compile
    ``from_constraint_set(cs, covariance, *, expected_return=None, risk_aversion=inf,
    min_return=None, return_vector=None, current_weights=None, cost_rate=0.0,
    max_turnover=None, max_volatility=None) -> StandardForm`` (B = 1; ``risk_aversion``
    ``inf`` = minimum variance, ``γ > 0`` = max utility, ``0`` = pure return, which needs
    ``max_volatility``); ``from_investor_batch(model, batch) -> StandardForm`` (the fleet);
    ``StandardForm.take(idx)``, ``StandardForm.concat(parts)`` and
    ``StandardForm.with_linear_factor(t)`` (B problems sharing P and A).
Solve
    ``solve(sf, *, active=None, tol=1e-9, max_iter=None) -> KernelSolution`` — exact QP per
    problem, the volatility ceiling (``sf.vol_cap``) exactly by a batched search on the
    linear factor; ``active`` warm-starts from a previous :attr:`KernelSolution.active` or
    :func:`guess_active_set` (an approximate point, e.g. ADMM's).
    ``max_sharpe(sf, excess, *, tol=1e-9, active=None) -> (KernelSolution, homogeneous
    form)`` (B = 1, homogeneous reformulation; the caller applies a ceiling, see its doc).
    ``active_set_solve(sf, act, ...)`` is the bare QP core (no ceiling); ``finish(sf,
    outcome)`` applies the ceilings to its outcome; ``point_residuals(sf, w, act)`` gives
    the :class:`KKTReport` of an arbitrary (unpolished) point.
Results
    :class:`KernelSolution`: ``w`` (B, n), ``ok``, ``infeasible``, ``primal``, ``dual``,
    ``complementarity``, ``iterations``, ``linear_factor``, ``ceiling_multiplier``,
    ``active``, ``nu``; ``report(i) -> KKTReport`` (frozen dataclass: primal, dual,
    complementarity, tolerance, polished, iterations, scale, ceiling_multiplier,
    ``max_residual``, ``satisfied``).

Units: any period (daily, annual) — the form divides Σ by its mean variance, so the same
problem in either gives the same weights. Residuals are in those scaled units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.kernel._activeset import (
        ActiveSet,
        active_set_solve,
        cold_active_set,
        guess_active_set,
    )
    from tailorfolio.kernel._frontier import (
        FrontierPath,
        constraint_set_frontier,
        standard_form_frontier,
    )
    from tailorfolio.kernel._kkt import DEFAULT_KKT_TOLERANCE, KKTReport
    from tailorfolio.kernel._solve import (
        KernelSolution,
        finish,
        homogeneous_form,
        max_sharpe,
        point_residuals,
        solve,
    )
    from tailorfolio.kernel._standard import (
        StandardForm,
        from_constraint_set,
        from_investor_batch,
        scaled_objective,
        variance_scale,
    )

_EXPORTS = {
    "ActiveSet": "tailorfolio.kernel._activeset",
    "active_set_solve": "tailorfolio.kernel._activeset",
    "cold_active_set": "tailorfolio.kernel._activeset",
    "guess_active_set": "tailorfolio.kernel._activeset",
    "FrontierPath": "tailorfolio.kernel._frontier",
    "constraint_set_frontier": "tailorfolio.kernel._frontier",
    "standard_form_frontier": "tailorfolio.kernel._frontier",
    "DEFAULT_KKT_TOLERANCE": "tailorfolio.kernel._kkt",
    "KKTReport": "tailorfolio.kernel._kkt",
    "KernelSolution": "tailorfolio.kernel._solve",
    "finish": "tailorfolio.kernel._solve",
    "homogeneous_form": "tailorfolio.kernel._solve",
    "max_sharpe": "tailorfolio.kernel._solve",
    "point_residuals": "tailorfolio.kernel._solve",
    "solve": "tailorfolio.kernel._solve",
    "StandardForm": "tailorfolio.kernel._standard",
    "from_constraint_set": "tailorfolio.kernel._standard",
    "from_investor_batch": "tailorfolio.kernel._standard",
    "scaled_objective": "tailorfolio.kernel._standard",
    "variance_scale": "tailorfolio.kernel._standard",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "ActiveSet",
    "DEFAULT_KKT_TOLERANCE",
    "FrontierPath",
    "KKTReport",
    "KernelSolution",
    "StandardForm",
    "active_set_solve",
    "cold_active_set",
    "constraint_set_frontier",
    "finish",
    "from_constraint_set",
    "from_investor_batch",
    "guess_active_set",
    "homogeneous_form",
    "max_sharpe",
    "point_residuals",
    "scaled_objective",
    "solve",
    "standard_form_frontier",
    "variance_scale",
]
