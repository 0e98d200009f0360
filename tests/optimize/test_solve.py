"""Solver outcomes are explicit: fallbacks recorded, inaccurate answers flagged, failures typed."""

from __future__ import annotations

import cvxpy as cp
import pytest

from tailorfolio.errors import SolverError
from tailorfolio.optimize import PortfolioOptimizer, solve_with_fallback, unconstrained


class _FakeProblem:
    """Stands in for a cvxpy Problem: each solver name maps to a status or an exception."""

    def __init__(self, outcomes: dict[str, object]):
        self.outcomes = outcomes
        self.status = None
        self.calls: list[str] = []

    def solve(self, solver: str, **_: object) -> None:
        self.calls.append(solver)
        out = self.outcomes[solver]
        if isinstance(out, Exception):
            raise out
        self.status = out


def test_fallback_is_recorded() -> None:
    prob = _FakeProblem({"A": cp.error.SolverError("boom"), "B": cp.OPTIMAL})
    out = solve_with_fallback(prob, ("A", "B"))
    assert out.ok and out.solver == "B"
    assert [a.status for a in out.attempts] == ["solver_error", "optimal"]
    assert "boom" in out.attempts[0].error


def test_inaccurate_is_flagged_after_trying_the_rest() -> None:
    prob = _FakeProblem({"A": cp.OPTIMAL_INACCURATE, "B": cp.error.SolverError("x")})
    out = solve_with_fallback(prob, ("A", "B"))
    assert out.status == "optimal_inaccurate" and out.inaccurate and out.solver == "A"


def test_infeasible_ends_the_chain() -> None:
    prob = _FakeProblem({"A": cp.INFEASIBLE, "B": cp.OPTIMAL})
    out = solve_with_fallback(prob, ("A", "B"))
    assert out.status == "infeasible" and prob.calls == ["A"]


def test_real_fallback_to_scs(market) -> None:
    a = market.assumptions
    opt = PortfolioOptimizer(solvers=("NOT_A_SOLVER", "SCS"), fast_path=False)
    r = opt.optimize(a.expected_return, a.covariance, unconstrained(market.universe),
                     risk_aversion=3.0)
    assert r.solver == "SCS"
    assert r.attempts[0].solver == "NOT_A_SOLVER" and r.attempts[0].status == "solver_error"
    assert r.weights.sum() == pytest.approx(1.0)


def test_all_solvers_failing_is_a_typed_error(market) -> None:
    a = market.assumptions
    opt = PortfolioOptimizer(solvers=("NOPE1", "NOPE2"), fast_path=False)
    with pytest.raises(SolverError, match="Every solver failed") as info:
        opt.optimize(a.expected_return, a.covariance, unconstrained(market.universe),
                     risk_aversion=3.0)
    assert len(info.value.attempts) == 2
