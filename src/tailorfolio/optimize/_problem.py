"""The conic backend: the kernel's :class:`~tailorfolio.kernel.StandardForm` as a cvxpy problem.

One compiled problem serves every problem of one *structure* (number of variables and rows,
which bounds and row sides are finite, which rows are equalities, whether there is a risk
term, costs, a turnover cap or a volatility ceiling). Every number of the form is a cvxpy
``Parameter``, so re-solving with other estimates, bounds, group memberships, costs or
ceilings only loads values and cvxpy canonicalises once (DPP). The problem is the form's
own (scaled units)::

    minimise    ½ r‖F_P x‖² + qᵀx + κᵀt
    subject to  x_L ≥ l_L,  x_U ≤ u_U,  A_E x = b_E,  A_lo x ≥ lo,  A_hi x ≤ hi,
                t ≥ ±(x − w0),  Σt ≤ τ,  ‖F_P x‖ ≤ c      (c·x_n for a homogeneous form)

with F_P the factor of the form's P (:func:`tailorfolio.kernel._standard.covariance_factor`).

* :class:`MeanVarianceProblem` — a w-space form (:func:`~tailorfolio.kernel.from_constraint_set`):
  minimum variance, max utility, target return / volatility, a pure maximum return (a linear
  programme the kernel does not take).
* :class:`MaxSharpeProblem` — the homogeneous form of the tangency problem
  (:func:`~tailorfolio.kernel.homogeneous_form`, Cornuéjols & Tütüncü), x = (y, k),
  w = y/k; a ceiling ``σ_max`` becomes ``‖F y‖ ≤ σ_max·k``.

The LP of the infeasibility diagnosis (:mod:`tailorfolio.optimize._diagnose`) reads the same
forms through :func:`linprog_arguments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tailorfolio.kernel._standard import (
    StandardForm,
    cholesky_factor,
    covariance_factor,
    form_factor,
)
from tailorfolio.optimize._solve import DEFAULT_SOLVERS, SolveOutcome, solve_with_fallback
from tailorfolio.typing import FloatArray

if TYPE_CHECKING:  # cvxpy (and the scipy.stats it pulls in) loads only when a
    import cvxpy as cp  # function below solves, not on import (the plan makes no solve)

__all__ = ["ConicProblem", "MaxSharpeProblem", "MeanVarianceProblem", "Structure",
           "cholesky_factor", "covariance_factor", "linprog_arguments", "structure_of"]


@dataclass(frozen=True)
class Structure:
    """What a compiled problem is specialised to (the cache key): sizes and index sets."""

    n: int
    lower: tuple[int, ...]
    upper: tuple[int, ...]
    eq_rows: tuple[int, ...]
    lo_rows: tuple[int, ...]
    hi_rows: tuple[int, ...]
    n_rows: int
    risk: bool
    costs: bool
    turnover: bool
    ceiling: bool
    homogeneous: bool


def _row_sides(sf: StandardForm, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    eq = sf.equality_rows()[i]
    lo = np.isfinite(sf.row_lo[i]) & ~eq
    hi = np.isfinite(sf.row_hi[i]) & ~eq
    return np.flatnonzero(eq), np.flatnonzero(lo), np.flatnonzero(hi)


def structure_of(sf: StandardForm, i: int = 0, *, homogeneous: bool = False) -> Structure:
    """The :class:`Structure` of problem ``i`` of ``sf``."""
    eq, lo, hi = _row_sides(sf, i)
    tup = lambda idx: tuple(int(k) for k in idx)
    return Structure(
        sf.n, tup(np.flatnonzero(np.isfinite(sf.lower[i]))),
        tup(np.flatnonzero(np.isfinite(sf.upper[i]))), tup(eq), tup(lo), tup(hi), sf.n_rows,
        bool(sf.risk_weight[i] > 0), bool(np.any(sf.kappa[i] != 0)),
        bool(np.isfinite(sf.tau[i])), bool(np.isfinite(sf.vol_cap[i])), homogeneous)


class ConicProblem:
    """The compiled cvxpy problem of one :class:`Structure`; :meth:`load` sets a form's values.

    Parameters
    ----------
    structure : Structure
        From :func:`structure_of`.
    """

    def __init__(self, structure: Structure):
        import cvxpy as cp

        s = self.structure = structure
        n = s.n
        self.x = cp.Variable(n, name="x")
        x = self.x
        par = self._par = {}

        def p(name: str, shape: Any, **kw: Any) -> cp.Parameter:
            par[name] = cp.Parameter(shape, name=name, **kw)
            return par[name]

        f_obj = p("F_risk", (n, n)) if s.risk else None
        objective = p("q", n) @ x
        if f_obj is not None:
            objective = objective + cp.sum_squares(f_obj @ x)
        cons: list[cp.Constraint] = []
        if s.lower:
            cons.append(x[list(s.lower)] >= p("lower", len(s.lower)))
        if s.upper:
            cons.append(x[list(s.upper)] <= p("upper", len(s.upper)))
        for side, rows in (("eq", s.eq_rows), ("lo", s.lo_rows), ("hi", s.hi_rows)):
            if not rows:
                continue
            lhs = p(f"A_{side}", (len(rows), n)) @ x
            rhs = p(f"b_{side}", len(rows))
            cons.append(lhs == rhs if side == "eq" else lhs >= rhs if side == "lo"
                        else lhs <= rhs)
        if s.costs or s.turnover:
            # |x − w0| through an auxiliary variable so that κ·|trade| stays DPP
            # (a parameter times a variable) and the problem compiles once.
            trade = x - p("w0", n)
            self.trade_size = cp.Variable(n, nonneg=True, name="trade_size")
            cons += [self.trade_size >= trade, self.trade_size >= -trade]
            if s.costs:
                objective = objective + p("kappa", n, nonneg=True) @ self.trade_size
            if s.turnover:
                cons.append(cp.sum(self.trade_size) <= p("tau", (), nonneg=True))
        if s.ceiling:
            cap = p("vol_cap", (), nonneg=True)
            rhs = cap * x[n - 1] if s.homogeneous else cap
            cons.append(cp.norm(p("F", (n, n)) @ x, 2) <= rhs)
        self.constraints = cons
        self.problem = cp.Problem(cp.Minimize(objective), cons)

    def load(self, sf: StandardForm, i: int = 0, *, structure: Structure | None = None
             ) -> None:
        """Set every parameter from problem ``i`` of ``sf``, whose structure must match
        (pass it as ``structure`` when just computed, to skip recomputing it)."""
        s = self.structure
        got = structure or structure_of(sf, i, homogeneous=s.homogeneous)
        if got != s:
            raise ValueError("the form's structure differs from the compiled problem's")
        values: dict[str, Any] = {"q": sf.q[i]}
        factor = form_factor(sf) if (s.risk or s.ceiling) else None
        if s.risk:
            values["F_risk"] = np.sqrt(0.5 * sf.risk_weight[i]) * factor
        if s.lower:
            values["lower"] = sf.lower[i, list(s.lower)]
        if s.upper:
            values["upper"] = sf.upper[i, list(s.upper)]
        for side, rows, bound in (("eq", s.eq_rows, sf.row_lo), ("lo", s.lo_rows, sf.row_lo),
                                  ("hi", s.hi_rows, sf.row_hi)):
            if rows:
                values[f"A_{side}"] = sf.A[list(rows)]
                values[f"b_{side}"] = bound[i, list(rows)]
        if s.costs or s.turnover:
            values["w0"] = sf.w0[i]
        if s.costs:
            values["kappa"] = sf.kappa[i]
        if s.turnover:
            values["tau"] = float(sf.tau[i])
        if s.ceiling:
            values["vol_cap"] = float(sf.vol_cap[i])
            values["F"] = factor
        for name, v in values.items():
            self._par[name].value = v
        self.form = sf.take(slice(i, i + 1))

    def solve(self, solvers: tuple[str, ...] = DEFAULT_SOLVERS) -> SolveOutcome:
        """Solve through the fallback chain (:func:`solve_with_fallback`)."""
        return solve_with_fallback(self.problem, solvers)

    def point(self) -> FloatArray:
        """The solver's x (n,)."""
        return np.asarray(self.x.value, dtype=float)

    def scaled_objective(self) -> float:
        """The optimal value in the form's scaled units."""
        return float(self.problem.value)


class MeanVarianceProblem(ConicProblem):
    """The conic problem of a w-space form (budget row, bounds, groups, ESG floor, return
    floor, costs, turnover cap, ceiling). Build with :meth:`for_form`."""

    @classmethod
    def for_form(cls, sf: StandardForm, i: int = 0) -> MeanVarianceProblem:
        prob = cls(structure_of(sf, i))
        prob.load(sf, i)
        return prob

    def weights(self) -> FloatArray:
        """The solution, clipped to the bounds' numerical noise and renormalised."""
        w = np.clip(self.point(), self.form.lower[0], self.form.upper[0])
        return w / w.sum()


class MaxSharpeProblem(ConicProblem):
    """The conic problem of a homogeneous form (x = (y, k)); its ``vol_cap`` reads
    ``‖F y‖ ≤ σ·k``. Build with :meth:`for_form`, from the w-space form's bounds."""

    @classmethod
    def for_form(cls, hf: StandardForm, i: int = 0) -> MaxSharpeProblem:
        prob = cls(structure_of(hf, i, homogeneous=True))
        prob.load(hf, i)
        return prob

    def weights(self, lower: FloatArray, upper: FloatArray) -> FloatArray:
        """w = y/k, clipped to the w-space bounds ``lower``, ``upper`` and renormalised."""
        x = self.point()
        w = np.clip(x[:-1] / x[-1], lower, upper)
        return w / w.sum()


def with_ceiling(hf: StandardForm, vol_cap: float) -> StandardForm:
    """The homogeneous form ``hf`` with the ceiling (scaled units, σ/√d) on ``‖F y‖/k``."""
    out = hf.take(slice(None))
    out.vol_cap = np.full(hf.size, float(vol_cap))
    return out


def linprog_arguments(sf: StandardForm, i: int = 0) -> dict[str, Any]:
    """``scipy.optimize.linprog`` keyword arguments for problem ``i`` of a linear form
    (no risk term, no costs, no turnover cap, no ceiling)."""
    if sf.risk_weight[i] > 0 or np.any(sf.kappa[i] != 0) or np.isfinite(sf.tau[i]) or (
            np.isfinite(sf.vol_cap[i])):
        raise ValueError("linprog takes linear forms only")
    eq, lo, hi = _row_sides(sf, i)
    a_ub = np.vstack([-sf.A[lo], sf.A[hi]])
    b_ub = np.concatenate([-sf.row_lo[i, lo], sf.row_hi[i, hi]])
    bounds = [(None if not np.isfinite(a) else float(a), None if not np.isfinite(b) else float(b))
              for a, b in zip(sf.lower[i], sf.upper[i])]
    out: dict[str, Any] = {"c": sf.q[i], "bounds": bounds, "method": "highs"}
    if len(b_ub):
        out.update(A_ub=a_ub, b_ub=b_ub)
    if len(eq):
        out.update(A_eq=sf.A[eq], b_eq=sf.row_lo[i, eq])
    return out
