"""Solving a cvxpy problem through a fallback chain, with every attempt recorded.

Statuses map to outcomes explicitly: ``optimal`` is accepted; ``optimal_inaccurate`` is
accepted but flagged; ``infeasible*`` and ``unbounded*`` are returned for the caller to
explain; a solver exception or any other status moves on to the next solver.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cvxpy (and the scipy.stats it pulls in) loads only when a
    import cvxpy as cp  # function below solves, not on import (the plan makes no solve)

DEFAULT_SOLVERS: tuple[str, ...] = ("CLARABEL", "SCS")
"""Solvers tried in order for conic problems (SCS is cvxpy's bundled first-order fallback)."""


@dataclass(frozen=True)
class SolveAttempt:
    """One solver's try: which solver, its status, and wall time in milliseconds."""

    solver: str
    status: str
    seconds: float
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"solver": self.solver, "status": self.status, "seconds": self.seconds,
                "error": self.error}


@dataclass(frozen=True)
class SolveOutcome:
    """The outcome of the chain.

    Attributes
    ----------
    status : str
        ``optimal``, ``optimal_inaccurate``, ``infeasible``, ``unbounded`` or ``failed``.
    solver : str
        The solver whose answer was kept ("" when all failed).
    attempts : tuple of SolveAttempt
    """

    status: str
    solver: str
    attempts: tuple[SolveAttempt, ...]

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "optimal_inaccurate")

    @property
    def inaccurate(self) -> bool:
        return self.status == "optimal_inaccurate"


_SOLVER_OPTIONS: dict[str, dict[str, object]] = {
    "CLARABEL": {},
    "SCS": {"eps_abs": 1e-7, "eps_rel": 1e-7, "max_iters": 20000},
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 20000, "polish": True},
}


def solve_with_fallback(problem: cp.Problem, solvers: tuple[str, ...] = DEFAULT_SOLVERS
                        ) -> SolveOutcome:
    """Solve ``problem`` with each solver of ``solvers`` until one gives a usable status.

    An ``infeasible`` or ``unbounded`` answer from an accurate solver ends the chain (another
    solver would only agree); inaccurate ones are retried with the next solver.
    """
    import cvxpy as cp

    attempts: list[SolveAttempt] = []
    inaccurate_kept: tuple[str, str] | None = None
    for name in solvers:
        start = time.perf_counter()
        try:
            problem.solve(solver=name, **_SOLVER_OPTIONS.get(name, {}))
            status = str(problem.status)
            err = ""
        except (cp.error.SolverError, ValueError, ArithmeticError) as exc:
            status, err = "solver_error", f"{type(exc).__name__}: {exc}"[:300]
        attempts.append(SolveAttempt(name, status, time.perf_counter() - start, err))
        if status == cp.OPTIMAL:
            return SolveOutcome("optimal", name, tuple(attempts))
        if status in (cp.INFEASIBLE, cp.UNBOUNDED):
            return SolveOutcome(status, name, tuple(attempts))
        if status == cp.OPTIMAL_INACCURATE and inaccurate_kept is None:
            inaccurate_kept = (name, status)
    if inaccurate_kept is not None:
        # Re-solve with the solver that gave the inaccurate answer so its values are current.
        name = inaccurate_kept[0]
        problem.solve(solver=name, **_SOLVER_OPTIONS.get(name, {}))
        return SolveOutcome("optimal_inaccurate", name, tuple(attempts))
    statuses = {a.status for a in attempts}
    if statuses & {cp.INFEASIBLE_INACCURATE}:
        return SolveOutcome("infeasible", attempts[-1].solver, tuple(attempts))
    if statuses & {cp.UNBOUNDED_INACCURATE}:
        return SolveOutcome("unbounded", attempts[-1].solver, tuple(attempts))
    return SolveOutcome("failed", "", tuple(attempts))
