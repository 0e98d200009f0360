"""Fleet scale: personalized portfolios for a whole book of investors at once.

The batched solver (:func:`solve_batch`) shares one covariance factorization across every
investor, moves them through vectorised ADMM iterations, polishes each answer to an exact
KKT point and verifies it, and hands the rest to the foundation's cvxpy path.
"""

from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.fleet._solver import (
    BatchResult,
    SolverSettings,
    constraint_set_for,
    obviously_infeasible,
    solve_batch,
)
from tailorfolio.fleet._synthetic import factor_model_universe, synthetic_book

__all__ = [
    "BatchResult",
    "FleetModel",
    "InvestorBatch",
    "SolverSettings",
    "constraint_set_for",
    "factor_model_universe",
    "obviously_infeasible",
    "solve_batch",
    "synthetic_book",
]
