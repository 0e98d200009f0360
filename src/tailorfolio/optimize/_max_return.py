"""The highest expected return the linear constraints allow: one linear program (HiGHS).

A maximum return without a risk term is a linear program, which the QP kernel
(:mod:`tailorfolio.kernel`) does not solve; the optimizer needs it for the top of a frontier
and to state the reachable maximum when a return target is too high.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.typing import FloatArray


def max_return_weights(cs: ConstraintSet, expected_return: FloatArray) -> FloatArray | None:
    """Weights maximising ``expected_returnᵀw`` under ``cs``'s linear constraints (its
    volatility ceiling ignored), or None when they admit no portfolio."""
    n = cs.n_assets
    a_ub, b_ub = [], []
    for g in cs.groups:
        if g.max < 1:
            a_ub.append(np.asarray(g.members, float)[None, :])
            b_ub.append([g.max])
        if g.min > 0:
            a_ub.append(-np.asarray(g.members, float)[None, :])
            b_ub.append([-g.min])
    esg = cs.esg_coefficients()
    if cs.min_esg_score is not None and np.any(esg != 0):
        a_ub.append(-esg[None, :])
        b_ub.append([0.0])
    from scipy.optimize import linprog  # ~0.5 s to import: only when called

    res = linprog(-np.asarray(expected_return, float),
                  A_ub=np.vstack(a_ub) if a_ub else None,
                  b_ub=np.concatenate(b_ub) if b_ub else None, A_eq=np.ones((1, n)),
                  b_eq=[1.0], bounds=list(zip(cs.lower, cs.upper)), method="highs")
    if res.status != 0 or res.x is None:
        return None
    return np.clip(np.asarray(res.x, dtype=float), cs.lower, cs.upper)
