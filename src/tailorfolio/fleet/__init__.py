"""Fleet scale: personalized portfolios for a whole book of investors at once.

The batched solver (:func:`solve_batch`) compiles the book to the kernel's standard form
(one covariance factorization for every investor), moves it through vectorised ADMM
iterations for an active-set guess, finishes each answer with the kernel's exact active-set
core (volatility ceilings included), verifies it, and hands the rest to the general path.
"""

from tailorfolio.fleet._frontier import batched_frontier
from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.fleet._solver import (
    BatchResult,
    SolverSettings,
    constraint_set_for,
    obviously_infeasible,
    solve_batch,
)
from tailorfolio.fleet._synthetic import factor_model_universe, synthetic_book
from tailorfolio.fleet._columns import batch_from_table, table_from_batch
from tailorfolio.fleet._engine import (
    RunReport,
    run_dask,
    run_local,
    solve_chunk,
    write_synthetic_book,
)

__all__ = [
    "BatchResult",
    "batched_frontier",
    "FleetModel",
    "InvestorBatch",
    "SolverSettings",
    "constraint_set_for",
    "factor_model_universe",
    "obviously_infeasible",
    "solve_batch",
    "batch_from_table",
    "table_from_batch",
    "RunReport",
    "run_dask",
    "run_local",
    "solve_chunk",
    "write_synthetic_book",
    "synthetic_book",
]
