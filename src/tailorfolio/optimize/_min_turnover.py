"""The least trading the linear constraints force: one linear program (HiGHS).

``min ‖w − w0‖₁`` over the weights a constraint set allows (bounds, exclusions, class bounds,
ESG floor, budget; its volatility ceiling, costs and turnover cap are not read). The
programme is the kernel's standard form of the constraint set read by
:func:`tailorfolio.optimize._problem.linprog_arguments` (the one encoding of the
constraints), with one auxiliary ``t_j ≥ |w_j − w0_j|`` per asset. The fleet uses it to say
why an investor's turnover cap cannot hold, and by how much to raise it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import SolverError
from tailorfolio.kernel._standard import from_constraint_set
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._problem import linprog_arguments
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class MinTurnover:
    """The least-trading portfolio: ``weights`` (n,) and its ``turnover`` ‖w − w0‖₁
    (decimal of the portfolio's value)."""

    weights: FloatArray
    turnover: float


def min_turnover(cs: ConstraintSet, current_weights: FloatArray) -> MinTurnover | None:
    """The weights closest to ``current_weights`` (n,) in ‖·‖₁ that ``cs``'s linear
    constraints allow, or None when they admit no portfolio.

    Raises
    ------
    SolverError
        When HiGHS stops without an answer either way (iteration limit, numerical trouble).
    """
    from scipy.optimize import linprog  # lazy: importing the optimizer stays light

    n = cs.n_assets
    w0 = np.asarray(current_weights, dtype=float)
    sf = from_constraint_set(cs, np.eye(n), expected_return=np.zeros(n), risk_aversion=0.0)
    lp = linprog_arguments(sf)
    eye = np.eye(n)
    # variables (w, t): minimise Σt with t ≥ w − w0 and t ≥ w0 − w
    a_ub = [np.hstack([eye, -eye]), np.hstack([-eye, -eye])]
    b_ub = [w0, -w0]
    if "A_ub" in lp:
        a_ub.insert(0, np.hstack([lp["A_ub"], np.zeros((len(lp["b_ub"]), n))]))
        b_ub.insert(0, lp["b_ub"])
    kwargs = {}
    if "A_eq" in lp:
        kwargs = {"A_eq": np.hstack([lp["A_eq"], np.zeros((len(lp["b_eq"]), n))]),
                  "b_eq": lp["b_eq"]}
    res = linprog(np.concatenate([np.zeros(n), np.ones(n)]), A_ub=np.vstack(a_ub),
                  b_ub=np.concatenate(b_ub), bounds=lp["bounds"] + [(0.0, None)] * n,
                  method="highs", **kwargs)
    if res.status == 2:  # infeasible
        return None
    if res.status != 0 or res.x is None:
        raise SolverError(f"The least-turnover linear program stopped without an answer "
                          f"(HiGHS status {res.status}: {res.message}).",
                          attempts=[{"solver": "HIGHS", "status": int(res.status),
                                     "message": str(res.message)}])
    w = np.clip(np.asarray(res.x[:n], dtype=float), cs.lower, cs.upper)
    return MinTurnover(w, float(res.fun))
