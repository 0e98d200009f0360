"""Portfolio construction: constraints, compiled problems, objectives, frontiers, diagnosis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.optimize._constraints import (
        ConstraintSet,
        Exclusion,
        GroupBound,
        MissingScorePolicy,
        constraints_from_preferences,
        unconstrained,
    )
    from tailorfolio.optimize._diagnose import explain_infeasible, find_conflicts
    from tailorfolio.kernel._kkt import DEFAULT_KKT_TOLERANCE
    from tailorfolio.kernel._kkt import KKTReport as KKTResiduals  # the result's report
    from tailorfolio.optimize._optimizer import PortfolioOptimizer, binding_constraints
    from tailorfolio.optimize._problem import MaxSharpeProblem, MeanVarianceProblem, cholesky_factor
    from tailorfolio.optimize._result import BindingConstraint, Frontier, Objective, PortfolioResult
    from tailorfolio.optimize._solve import (
        DEFAULT_SOLVERS,
        SolveAttempt,
        SolveOutcome,
        solve_with_fallback,
    )

_EXPORTS = {
    "ConstraintSet": "tailorfolio.optimize._constraints",
    "Exclusion": "tailorfolio.optimize._constraints",
    "GroupBound": "tailorfolio.optimize._constraints",
    "MissingScorePolicy": "tailorfolio.optimize._constraints",
    "constraints_from_preferences": "tailorfolio.optimize._constraints",
    "unconstrained": "tailorfolio.optimize._constraints",
    "explain_infeasible": "tailorfolio.optimize._diagnose",
    "find_conflicts": "tailorfolio.optimize._diagnose",
    "DEFAULT_KKT_TOLERANCE": "tailorfolio.kernel._kkt",
    "KKTResiduals": "tailorfolio.kernel._kkt:KKTReport",  # the result's report, public name
    "PortfolioOptimizer": "tailorfolio.optimize._optimizer",
    "binding_constraints": "tailorfolio.optimize._optimizer",
    "MaxSharpeProblem": "tailorfolio.optimize._problem",
    "MeanVarianceProblem": "tailorfolio.optimize._problem",
    "cholesky_factor": "tailorfolio.optimize._problem",
    "BindingConstraint": "tailorfolio.optimize._result",
    "Frontier": "tailorfolio.optimize._result",
    "Objective": "tailorfolio.optimize._result",
    "PortfolioResult": "tailorfolio.optimize._result",
    "DEFAULT_SOLVERS": "tailorfolio.optimize._solve",
    "SolveAttempt": "tailorfolio.optimize._solve",
    "SolveOutcome": "tailorfolio.optimize._solve",
    "solve_with_fallback": "tailorfolio.optimize._solve",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "BindingConstraint",
    "ConstraintSet",
    "DEFAULT_KKT_TOLERANCE",
    "DEFAULT_SOLVERS",
    "Exclusion",
    "Frontier",
    "GroupBound",
    "KKTResiduals",
    "MaxSharpeProblem",
    "MeanVarianceProblem",
    "MissingScorePolicy",
    "Objective",
    "PortfolioOptimizer",
    "PortfolioResult",
    "SolveAttempt",
    "SolveOutcome",
    "binding_constraints",
    "cholesky_factor",
    "constraints_from_preferences",
    "explain_infeasible",
    "find_conflicts",
    "solve_with_fallback",
    "unconstrained",
]
