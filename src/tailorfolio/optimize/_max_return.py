"""The highest expected return the linear constraints allow: one linear program (HiGHS).

A maximum return without a risk term is a linear program, which the QP kernel
(:mod:`tailorfolio.kernel`) does not solve; the optimizer needs it to state the reachable
maximum when a return target is too high. The programme is the kernel's standard form of
the constraint set with the pure-return objective, read by
:func:`tailorfolio.optimize._problem.linprog_arguments` (the one encoding of the
constraints).
"""

from __future__ import annotations

import numpy as np

from tailorfolio.kernel._standard import from_constraint_set
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._problem import linprog_arguments
from tailorfolio.typing import FloatArray


def max_return_weights(cs: ConstraintSet, expected_return: FloatArray) -> FloatArray | None:
    """Weights maximising ``expected_returnᵀw`` under ``cs``'s linear constraints (its
    volatility ceiling ignored), or None when they admit no portfolio."""
    from scipy.optimize import linprog  # lazy: importing the optimizer stays light

    sf = from_constraint_set(cs, np.eye(cs.n_assets), expected_return=expected_return,
                             risk_aversion=0.0)
    res = linprog(**linprog_arguments(sf))
    if res.status != 0 or res.x is None:
        return None
    return np.clip(np.asarray(res.x, dtype=float), cs.lower, cs.upper)
