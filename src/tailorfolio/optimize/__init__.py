"""Portfolio construction: constraints, compiled problems, objectives, frontiers, diagnosis."""

from tailorfolio.optimize._constraints import (
    ConstraintSet,
    Exclusion,
    GroupBound,
    MissingScorePolicy,
    constraints_from_preferences,
    unconstrained,
)
from tailorfolio.optimize._diagnose import explain_infeasible, find_conflicts
from tailorfolio.kernel import DEFAULT_KKT_TOLERANCE
from tailorfolio.kernel import KKTReport as KKTResiduals  # the public name of the result's report
from tailorfolio.optimize._optimizer import PortfolioOptimizer, binding_constraints
from tailorfolio.optimize._problem import MaxSharpeProblem, MeanVarianceProblem, cholesky_factor
from tailorfolio.optimize._result import BindingConstraint, Frontier, Objective, PortfolioResult
from tailorfolio.optimize._solve import DEFAULT_SOLVERS, SolveAttempt, SolveOutcome, solve_with_fallback

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
