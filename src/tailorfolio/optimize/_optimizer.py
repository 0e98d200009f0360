"""The portfolio optimizer: objectives and frontiers over compiled, cached problems."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tailorfolio.errors import (
    ConstraintConflict,
    InfeasibleError,
    ParameterError,
    SolverError,
    UnboundedError,
)
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.kernel._activeset import ActiveSet, guess_active_set
from tailorfolio.kernel._kkt import DEFAULT_KKT_TOLERANCE, KKTReport
from tailorfolio.kernel._solve import homogeneous_form, point_residuals
from tailorfolio.kernel._solve import max_sharpe as kernel_max_sharpe
from tailorfolio.kernel._solve import solve as kernel_solve
from tailorfolio.kernel._standard import (
    StandardForm,
    cholesky_factor,
    from_constraint_set,
    variance_scale,
)
from tailorfolio.optimize._result import (
    BindingConstraint,
    Frontier,
    Objective,
    PortfolioResult,
    frontier_from_path,
)
from tailorfolio.optimize._validate import (
    check_constraint_set,
    check_estimates,
    check_number,
    short,
    ticker_index,
)
from tailorfolio.optimize._solve import (
    DEFAULT_SOLVERS,
    SolveAttempt,
    SolveOutcome,
)
from tailorfolio.typing import FloatArray

if TYPE_CHECKING:
    from tailorfolio.optimize._problem import MaxSharpeProblem, MeanVarianceProblem, Structure

# Imported where used, not here: the infeasibility diagnosis (optimize._diagnose, on the error
# path), the frontier's critical-line path (kernel._frontier, by frontier()), the highest
# return (optimize._max_return, in an error message) and the conic fallback problems
# (optimize._problem, when the kernel does not settle). A plan's kernel solves need none of
# them, and importing them costs their loading and every dataclass they create (0.5–0.8 ms
# apiece on Python 3.11) for each command that imports the optimizer.

KERNEL = "KERNEL"
"""Solver name of answers from the QP kernel (:mod:`tailorfolio.kernel`)."""
BINDING_TOLERANCE = 1e-5
"""A constraint counts as binding when the solution is within this of its bound."""


WARM_STARTS = 32
"""Problem structures whose last active set a :class:`PortfolioOptimizer` remembers."""


def _warm_key(kind: str, sf: StandardForm) -> tuple[object, ...]:
    """What a warm start must share with the problem it starts: the objective kind, the
    variables and the rows (names and coefficients). A re-solve with new estimates, a new
    risk aversion or new bounds (the plan's candidates, a frontier, a what-if) starts from
    the last answer's active set; the kernel verifies it like any guess, so a stale start
    costs steps, never exactness."""
    return (kind, sf.n, tuple(sf.row_names), sf.A.tobytes())


def _infeasible(cs: ConstraintSet, cov: FloatArray) -> InfeasibleError:
    """The diagnosed error of the infeasible ``cs``: which constraints conflict, and by how
    much (:func:`tailorfolio.optimize._diagnose.explain_infeasible`)."""
    from tailorfolio.optimize._diagnose import explain_infeasible  # the error path only

    return explain_infeasible(cs, cholesky_factor(cov))


def _objective(objective: object) -> Objective:
    try:
        return Objective(objective)
    except ValueError:
        raise ParameterError(
            f"The 'objective' parameter must be one of {[o.value for o in Objective]}. "
            f"Got {short(objective)} instead.", field="objective", value=short(objective),
            expected=f"one of {[o.value for o in Objective]}",
            fix="pass e.g. objective='max_utility' or Objective.MIN_VARIANCE",
        ) from None


class PortfolioOptimizer:
    """Mean-variance portfolio construction on the QP kernel, with a conic general path.

    Every quadratic program (minimum variance, max utility, target return, target
    volatility, max Sharpe; bounds, class bounds, ESG floor, linear costs, turnover cap and
    the volatility ceiling) is solved exactly by the kernel (:mod:`tailorfolio.kernel`). The
    conic problems (:mod:`tailorfolio.optimize._problem`: cvxpy built from the kernel's own
    standard form, one compile per form structure, cached) remain
    the general path for what the kernel does not take: a maximum return with no risk term
    and no ceiling (a linear program), ``fast_path=False`` / ``polish=False``, and problems
    the kernel does not settle; their answer is then finished by the kernel from the conic
    solver's point.

    Parameters
    ----------
    solvers : tuple of str
        Fallback chain (default Clarabel, then SCS).
    with_costs : bool
        Compile linear transaction costs and a turnover cap into the problem.
    fast_path : bool
        Solve with the kernel first (default). Off, the cvxpy problem is solved and its
        point finished by the kernel. The answer is the same; the kernel is faster.
    kkt_tolerance : float
        Every answer is solved on a scaled problem and checked against the KKT conditions
        (:class:`tailorfolio.kernel.KKTReport`); this is the largest primal, dual or
        complementarity residual accepted (default 1e-9). The residuals are reported on
        :attr:`PortfolioResult.kkt`; an answer that misses the tolerance carries a warning.
    polish : bool
        Exact answers (default). Off, the conic solver's raw point is returned with its
        residuals (for comparisons).

    Examples
    --------
    >>> from tailorfolio.market import default_market
    >>> from tailorfolio.optimize import PortfolioOptimizer, unconstrained, Objective
    >>> m = default_market()
    >>> a = m.assumptions
    >>> r = PortfolioOptimizer().optimize(a.expected_return, a.covariance,
    ...     unconstrained(m.universe), objective=Objective.MIN_VARIANCE)
    >>> round(float(r.weights.sum()), 6)
    1.0
    """

    def __init__(self, *, solvers: tuple[str, ...] = DEFAULT_SOLVERS, with_costs: bool = False,
                 fast_path: bool = True, kkt_tolerance: float = DEFAULT_KKT_TOLERANCE,
                 polish: bool = True):
        self.solvers = tuple(solvers)
        self.with_costs = with_costs
        self.fast_path = fast_path
        check_number(kkt_tolerance, "kkt_tolerance", minimum=0.0, strictly=True,
                     fix="pass e.g. kkt_tolerance=1e-9 (the default)")
        self.kkt_tolerance = float(kkt_tolerance)
        self.polish = polish
        self._warm: dict[tuple[object, ...], ActiveSet] = {}
        self._mv: dict[Structure, MeanVarianceProblem] = {}
        self._sharpe: dict[Structure, MaxSharpeProblem] = {}

    # ------------------------------------------------------------------ warm starts

    def _remember(self, key: tuple[object, ...], active: ActiveSet) -> None:
        """Keep the last optimal active set of a problem structure (at most
        :data:`WARM_STARTS` structures): the next solve of that structure starts from it."""
        if key not in self._warm and len(self._warm) >= WARM_STARTS:
            self._warm.pop(next(iter(self._warm)))
        self._warm[key] = active

    # ------------------------------------------------------------------ compiled problems

    def mean_variance_problem(self, sf: StandardForm) -> MeanVarianceProblem:
        """The compiled conic problem of ``sf``'s structure (built on first use, cached),
        loaded with ``sf``'s values."""
        from tailorfolio.optimize._problem import MeanVarianceProblem, structure_of

        key = structure_of(sf)
        if key not in self._mv:
            self._mv[key] = MeanVarianceProblem(key)
        prob = self._mv[key]
        prob.load(sf, structure=key)
        return prob

    def _sharpe_problem(self, hf: StandardForm) -> MaxSharpeProblem:
        """The compiled conic problem of the homogeneous form ``hf`` (cached), loaded."""
        from tailorfolio.optimize._problem import MaxSharpeProblem, structure_of

        key = structure_of(hf, homogeneous=True)
        if key not in self._sharpe:
            self._sharpe[key] = MaxSharpeProblem(key)
        prob = self._sharpe[key]
        prob.load(hf, structure=key)
        return prob

    # ------------------------------------------------------------------ public API

    def optimize(
        self,
        expected_return: pd.Series,
        covariance: pd.DataFrame,
        constraints: ConstraintSet,
        *,
        objective: Objective | str = Objective.MAX_UTILITY,
        risk_aversion: float | None = None,
        target: float | None = None,
        risk_free_rate: float = 0.0,
        current_weights: pd.Series | None = None,
        cost_rate: float | FloatArray = 0.0,
        max_turnover: float | None = None,
    ) -> PortfolioResult:
        """Solve one portfolio problem.

        Parameters
        ----------
        expected_return : Series of shape (n_assets,)
            Arithmetic expected returns, decimals, indexed by ticker. Annual by convention;
            any period works (e.g. daily) if ``covariance``, ``target`` and
            ``risk_free_rate`` use the same one: the answer is exact in either.
        covariance : DataFrame of shape (n_assets, n_assets)
            Covariance in the same units, symmetric positive semidefinite, labelled by
            ticker on both axes.
        constraints : ConstraintSet
            Its ``tickers`` fix the order of the result.
        objective : Objective
        risk_aversion : float
            γ ≥ 0 for ``max_utility``.
        target : float
            Annual volatility (``target_volatility``) or return (``target_return``), decimal.
        risk_free_rate : float
            Annual, decimal; used for Sharpe.
        current_weights, cost_rate, max_turnover
            Linear transaction costs (decimal per unit of weight traded) and a cap on
            one-way-plus-other-way turnover ‖w − w₀‖₁; need ``with_costs=True``.

        Raises
        ------
        InfeasibleError
            Naming the conflicting constraints and the relaxation each needs (bounds that
            conflict by arithmetic alone, e.g. minimum weights summing above 100 %, are said
            so, with the amount).
        ParameterError
            A wrong argument (a list instead of a Series, a negative risk aversion, an unknown
            objective, a non-finite target), naming it, its value, what was expected and the
            fix.
        DataError, MissingAssetsError
            Estimates with NaN/inf, missing or duplicate tickers, an asymmetric or
            indefinite covariance (with its size and the repair function), an empty universe.
        UnboundedError, SolverError

        Notes
        -----
        The problem is solved scaled (Σ and μ divided by Σ's mean variance), polished on its
        active set and checked against its KKT conditions; ``result.kkt`` holds the residuals.
        """
        objective = _objective(objective)
        constraints = check_constraint_set(constraints)
        tickers = constraints.tickers
        mu, cov = check_estimates(expected_return, covariance, constraints)
        risk_free_rate = check_number(risk_free_rate, "risk_free_rate",
                                      fix="pass an annual decimal, e.g. 0.03 for 3 %")
        if objective is Objective.MAX_UTILITY:
            if risk_aversion is None:
                raise ParameterError(
                    "The 'risk_aversion' parameter is required for max_utility (a finite "
                    "number >= 0). Got None.", field="risk_aversion", value=None,
                    expected="a finite number >= 0",
                    fix="pass e.g. risk_aversion=3 (higher is more cautious)",
                )
            risk_aversion = check_number(risk_aversion, "risk_aversion", minimum=0.0,
                                         fix="pass e.g. risk_aversion=3 (higher is more "
                                             "cautious; 0 maximises the expected return)")
        if objective in (Objective.TARGET_VOLATILITY, Objective.TARGET_RETURN):
            self._check_target(target, objective.value.replace("_", " "),
                               allow_negative=objective is Objective.TARGET_RETURN)
        self._check_costs(current_weights, cost_rate, max_turnover, len(tickers))

        if objective is Objective.MAX_SHARPE:
            return self._max_sharpe(mu, cov, constraints, risk_free_rate)

        mu_eff = (mu + constraints.esg_tilt * constraints.esg_tilt_scores() / 100.0
                  if constraints.esg_tilt else mu)
        wants_costs = current_weights is not None or max_turnover is not None or not (
            type(cost_rate) in (int, float) and cost_rate == 0) and bool(np.any(cost_rate))
        if wants_costs and not self.with_costs:
            raise ParameterError(
                "Transaction costs need PortfolioOptimizer(with_costs=True).",
                field="cost_rate", fix="create the optimizer with with_costs=True",
            )
        w0 = (None if current_weights is None
              else current_weights.reindex(tickers).fillna(0.0).to_numpy(float))
        cap = constraints.max_volatility
        if objective is Objective.TARGET_VOLATILITY:
            cap = float(target) if cap is None else min(float(target), cap)
        sf = self._standard_form(mu, mu_eff, cov, constraints, objective, risk_aversion,
                                 target, cap, w0, cost_rate, max_turnover)
        if self.fast_path and sf is not None and self.polish:
            start = time.perf_counter()
            warm_key = _warm_key(objective.value, sf)
            sol = kernel_solve(sf, tol=self.kkt_tolerance, active=self._warm.get(warm_key))
            attempt = SolveAttempt(KERNEL, "optimal" if sol.ok[0] else "not_settled",
                                   time.perf_counter() - start)
            if sol.ok[0]:
                self._remember(warm_key, sol.active)
                return self._result(sol.w[0], mu, cov, constraints, objective, risk_aversion,
                                    risk_free_rate, SolveOutcome("optimal", KERNEL, (attempt,)),
                                    [], sol.report(0))
            if sol.infeasible[0]:
                raise _infeasible(constraints, cov)
        return self._conic_solve(mu, mu_eff, cov, constraints, objective, risk_aversion,
                                 target, risk_free_rate, cap, w0, cost_rate, max_turnover, sf)

    def _standard_form(self, mu: FloatArray, mu_eff: FloatArray, cov: FloatArray,
                       cs: ConstraintSet, objective: Objective, gamma: float | None,
                       target: float | None, cap: float | None, w0: FloatArray | None,
                       cost_rate: float | FloatArray, max_turnover: float | None
                       ) -> StandardForm | None:
        """The kernel's form of the problem; None when it is not a QP the kernel solves (a
        maximum expected return without a ceiling is a linear program)."""
        costs = dict(current_weights=w0, cost_rate=cost_rate, max_turnover=max_turnover,
                     max_volatility=cap)
        if objective is Objective.MAX_UTILITY:
            assert gamma is not None
            if gamma == 0 and cap is None:
                return None
            return from_constraint_set(cs, cov, expected_return=mu_eff,
                                       risk_aversion=float(gamma), **costs)
        if objective is Objective.MIN_VARIANCE:
            return from_constraint_set(cs, cov, **costs)
        if objective is Objective.TARGET_VOLATILITY:
            return from_constraint_set(cs, cov, expected_return=mu_eff, risk_aversion=0.0,
                                       **costs)
        # TARGET_RETURN (on the financial expected return)
        return from_constraint_set(cs, cov, min_return=float(target), return_vector=mu,
                                   **costs)

    def _conic_solve(self, mu: FloatArray, mu_eff: FloatArray, cov: FloatArray,
                     constraints: ConstraintSet, objective: Objective,
                     risk_aversion: float | None, target: float | None,
                     risk_free_rate: float, cap: float | None, w0: FloatArray | None,
                     cost_rate: float | FloatArray, max_turnover: float | None,
                     sf: StandardForm | None) -> PortfolioResult:
        """The general path: the conic problem of the standard form (the kernel's own),
        then the kernel from its point. ``sf`` is None only for a maximum return without a
        ceiling (a linear programme the kernel does not take); its form is built here."""
        form = sf if sf is not None else from_constraint_set(
            constraints, cov, expected_return=mu_eff, risk_aversion=0.0, current_weights=w0,
            cost_rate=cost_rate, max_turnover=max_turnover)
        prob = self.mean_variance_problem(form)
        outcome = prob.solve(self.solvers)
        if (outcome.status == "infeasible" and objective is Objective.TARGET_RETURN):
            err = _infeasible(constraints, cov)
            if not err.conflicts:
                raise self._unreachable_return(mu, constraints, float(target)) from None
            raise err
        self._raise_for(outcome, constraints, cov, objective)
        w_raw = prob.weights()
        w, kkt = self._polish(sf, w_raw)
        warnings: list[str] = []
        if outcome.inaccurate and not (kkt is not None and kkt.polished and kkt.satisfied):
            warnings.append(
                f"The solver {outcome.solver} reported an inaccurate solution; weights may "
                "be off by more than the usual 1e-6."
            )
        elif outcome.inaccurate:
            outcome = SolveOutcome("optimal", outcome.solver, outcome.attempts)
        return self._result(w, mu, cov, constraints, objective, risk_aversion, risk_free_rate,
                            outcome, warnings, kkt)

    def _polish(self, sf: StandardForm | None, w_raw: FloatArray
                ) -> tuple[FloatArray, KKTReport | None]:
        """The kernel's exact answer from a conic solver's point (its active set as the
        guess), or the raw point with its residuals (``polish=False``, or no exact face)."""
        if sf is None:
            return w_raw, None
        guess = guess_active_set(sf, w_raw[None, :])
        if self.polish:
            sol = kernel_solve(sf, active=guess, tol=self.kkt_tolerance)
            if sol.ok[0]:
                return sol.w[0], sol.report(0)
        return w_raw, point_residuals(sf, w_raw, guess, self.kkt_tolerance)

    def frontier(
        self,
        expected_return: pd.Series,
        covariance: pd.DataFrame,
        constraints: ConstraintSet,
        *,
        n_points: int = 50,
        risk_free_rate: float = 0.0,
    ) -> Frontier:
        """The efficient frontier: minimum variance at ``n_points`` expected returns.

        Expected returns are spaced evenly from the minimum-variance portfolio's to the
        maximum-return portfolio's under ``constraints`` (a volatility ceiling, if set, caps
        the top). The points are exact interpolations of the frontier's exact parametric
        path (:func:`tailorfolio.kernel.constraint_set_frontier`, the critical line
        generalised to class bounds and the ESG floor), each with its KKT residuals. The ESG
        tilt, if any, is not applied (the frontier is in terms of the financial expected
        return).

        Raises
        ------
        InfeasibleError, SolverError, ParameterError, DataError, MissingAssetsError
            As for :meth:`optimize`; ``n_points`` must be an integer in [2, 10000].
        """
        if (not isinstance(n_points, (int, np.integer)) or isinstance(n_points, bool)
                or n_points < 2 or n_points > 10_000):
            raise ParameterError(
                f"The 'n_points' parameter must be an integer in [2, 10000]. Got "
                f"{short(n_points)} ({type(n_points).__name__}) instead.", field="n_points",
                value=short(n_points), expected="an integer in [2, 10000]",
                fix="pass e.g. n_points=50")
        constraints = check_constraint_set(constraints)
        tickers = constraints.tickers
        mu, cov = check_estimates(expected_return, covariance, constraints)
        risk_free_rate = check_number(risk_free_rate, "risk_free_rate",
                                      fix="pass an annual decimal, e.g. 0.03 for 3 %")
        from tailorfolio.kernel._frontier import constraint_set_frontier

        try:
            path = constraint_set_frontier(cov, mu, replace(constraints, max_volatility=None))
        except InfeasibleError:
            raise _infeasible(constraints, cov) from None
        if constraints.max_volatility is not None:
            if constraints.max_volatility < float(np.sqrt(path.variance[0])) - 1e-9:
                raise _infeasible(constraints, cov)
            path = path.truncated(max(constraints.max_volatility,
                                      float(np.sqrt(path.variance[0]))))
        return frontier_from_path(path, n_points, tickers, risk_free_rate,
                                  self.kkt_tolerance)

    # ------------------------------------------------------------------ helpers

    def _unreachable_return(self, mu: FloatArray, cs: ConstraintSet, target: float
                            ) -> InfeasibleError:
        """A return target above what the (feasible) constraints allow, with that maximum."""
        from tailorfolio.optimize._max_return import max_return_weights

        w = max_return_weights(cs, mu)
        best = "" if w is None else f", {float(mu @ w):.4%}"
        return InfeasibleError(
            f"The target return {target:.4%} is above the highest expected return the "
            f"constraints allow{best}.", field="target", value=target,
            expected=f"a target of at most{best[1:] or ' the best asset return allowed'}",
            fix="lower the target return or loosen the constraints",
        )

    @staticmethod
    def _check_target(target: float | None, what: str, allow_negative: bool = False) -> None:
        ok = (isinstance(target, (int, float, np.integer, np.floating))
              and not isinstance(target, bool) and np.isfinite(float(target))
              and (allow_negative or float(target) > 0))
        if not ok:
            kind = "number" if allow_negative else "positive number"
            raise ParameterError(
                f"A {what} is required for this objective and must be a finite {kind}. Got "
                f"{short(target)}.", field="target", value=short(target),
                expected=f"a finite {kind} (annual, decimal)",
                fix="pass target=0.10 for 10 %",
            )

    @staticmethod
    def _check_costs(current_weights: object, cost_rate: object, max_turnover: object,
                     n: int) -> None:
        if current_weights is None and max_turnover is None and (
                type(cost_rate) in (int, float) and cost_rate == 0):
            return  # the defaults: no costs
        if current_weights is not None and not isinstance(current_weights, pd.Series):
            raise ParameterError(
                "The 'current_weights' parameter must be a pandas Series indexed by ticker. "
                f"Got {short(current_weights)} ({type(current_weights).__name__}) instead.",
                field="current_weights", value=short(current_weights),
                expected="pandas.Series of decimal weights indexed by ticker",
                fix="pass pd.Series(weights, index=tickers)")
        if current_weights is not None:
            cw = pd.to_numeric(current_weights, errors="coerce").to_numpy(dtype=float)
            if not np.isfinite(cw).all():
                raise ParameterError(
                    f"current_weights contains non-numeric, NaN or infinite values: "
                    f"{short(current_weights.to_dict())}.", field="current_weights",
                    value=short(current_weights.to_dict()), expected="finite decimal weights",
                    fix="give 0 for assets not held")
        try:
            rate = np.asarray(cost_rate, dtype=float)
        except (TypeError, ValueError):
            rate = np.array([np.nan])
        if rate.ndim > 1 or (rate.ndim == 1 and rate.shape != (n,)) or not np.isfinite(
                rate).all() or (rate < 0).any():
            raise ParameterError(
                "The 'cost_rate' parameter must be a finite number >= 0 or one per asset "
                f"({n}). Got {short(cost_rate)} instead.", field="cost_rate",
                value=short(cost_rate), expected="decimal cost per unit of weight traded, >= 0",
                fix="pass e.g. cost_rate=0.001 for 10 bps")
        check_number(max_turnover, "max_turnover", minimum=0.0, allow_none=True,
                     fix="pass e.g. max_turnover=0.2 (20 % one-way-plus-other-way), or None")

    def _max_sharpe(self, mu: FloatArray, cov: FloatArray, cs: ConstraintSet, rf: float
                    ) -> PortfolioResult:
        excess = mu - rf
        sf = from_constraint_set(cs, cov)
        if self.fast_path and self.polish and np.any(excess[np.asarray(cs.upper) > 0] > 0):
            start = time.perf_counter()
            warm_key = _warm_key("max_sharpe", sf)
            sol, _ = kernel_max_sharpe(sf, excess, tol=self.kkt_tolerance,
                                       active=self._warm.get(warm_key))
            w = sol.w[0]
            if sol.ok[0]:
                self._remember(warm_key, sol.active)
                attempt = SolveAttempt(KERNEL, "optimal", time.perf_counter() - start)
                if cs.max_volatility is None or float(np.sqrt(w @ cov @ w)) <= (
                        cs.max_volatility * (1 + 1e-12)):
                    return self._result(w, mu, cov, cs, Objective.MAX_SHARPE, None, rf,
                                        SolveOutcome("optimal", KERNEL, (attempt,)), [],
                                        sol.report(0))
                # The ceiling binds: the best Sharpe ratio is the highest return at the
                # ceiling (Sharpe is unimodal along the frontier).
                capped = kernel_solve(from_constraint_set(
                    cs, cov, expected_return=excess, risk_aversion=0.0,
                    max_volatility=cs.max_volatility), tol=self.kkt_tolerance)
                if capped.ok[0]:
                    return self._result(capped.w[0], mu, cov, cs, Objective.MAX_SHARPE, None,
                                        rf, SolveOutcome("optimal", KERNEL, (attempt,)), [],
                                        capped.report(0))
                if capped.infeasible[0]:
                    raise _infeasible(cs, cov)
        # The homogeneous form (x = (y, k), w = y/k) in the kernel's scaled units, with the
        # ceiling on ‖F y‖/k.
        hf = homogeneous_form(sf, excess)
        if cs.max_volatility is not None:
            from tailorfolio.optimize._problem import with_ceiling

            hf = with_ceiling(hf, cs.max_volatility / float(np.sqrt(variance_scale(cov))))
        prob = self._sharpe_problem(hf)
        outcome = prob.solve(self.solvers)
        if outcome.status == "infeasible":
            conflicts_err = _infeasible(cs, cov)
            if conflicts_err.conflicts:
                raise conflicts_err
            best = float(np.max(mu[np.asarray(cs.upper) > 0])) if np.any(cs.upper > 0) else rf
            raise InfeasibleError(
                "No feasible portfolio has an expected return above the risk-free rate "
                f"({rf:.2%}); the best asset allowed returns {best:.2%}, so the maximum Sharpe "
                "ratio is not defined.", field="risk_free_rate", value=rf,
                fix="use a lower risk-free rate or the minimum-variance objective",
            )
        self._raise_for(outcome, cs, cov, Objective.MAX_SHARPE)
        w_raw = prob.weights(np.asarray(cs.lower, float), np.asarray(cs.upper, float))
        cap = cs.max_volatility
        if cap is not None and float(np.sqrt(w_raw @ cov @ w_raw)) >= cap * (1 - 1e-6):
            w, kkt = self._polish(from_constraint_set(
                cs, cov, expected_return=excess, risk_aversion=0.0, max_volatility=cap), w_raw)
        else:
            w, kkt = w_raw, None
            if self.polish:
                sol, hf = kernel_max_sharpe(sf, excess, tol=self.kkt_tolerance)
                if sol.ok[0]:
                    w, kkt = sol.w[0], sol.report(0)
            if kkt is None:
                hf = homogeneous_form(sf, excess)
                x = np.concatenate([w_raw, [1.0]]) / float(
                    (excess / max(float(np.abs(excess).max()), 1e-300)) @ w_raw)
                kkt = point_residuals(hf, x, guess_active_set(hf, x[None, :]),
                                      self.kkt_tolerance)
        warnings = []
        if outcome.inaccurate and not (kkt is not None and kkt.polished and kkt.satisfied):
            warnings.append(f"The solver {outcome.solver} reported an inaccurate solution.")
        elif outcome.inaccurate:
            outcome = SolveOutcome("optimal", outcome.solver, outcome.attempts)
        return self._result(w, mu, cov, cs, Objective.MAX_SHARPE, None, rf, outcome, warnings,
                            kkt)

    def _raise_for(self, outcome: SolveOutcome, cs: ConstraintSet, cov: FloatArray,
                   objective: Objective) -> None:
        if outcome.ok:
            return
        if outcome.status == "infeasible":
            raise _infeasible(cs, cov)
        if outcome.status == "unbounded":
            raise UnboundedError(
                f"The {objective.value} problem is unbounded; a weight constraint is missing.",
                field="constraints", fix="report this: fully invested long-only problems are "
                "always bounded",
            )
        raise SolverError(
            f"Every solver failed on the {objective.value} problem: "
            + "; ".join(f"{a.solver}: {a.status} {a.error}".strip() for a in outcome.attempts),
            attempts=[a.as_dict() for a in outcome.attempts],
            fix="check the estimates for extreme values; try another solver chain",
        )

    def _result(self, w: FloatArray, mu: FloatArray, cov: FloatArray, cs: ConstraintSet,
                objective: Objective, gamma: float | None, rf: float, outcome: SolveOutcome,
                warnings: list[str], kkt: KKTReport | None = None) -> PortfolioResult:
        warnings = list(warnings)
        if kkt is not None and not kkt.satisfied:
            warnings.append(
                f"The optimality (KKT) conditions hold only to {kkt.max_residual:.1e}, above "
                f"the tolerance {kkt.tolerance:.0e} (primal {kkt.primal:.1e}, dual "
                f"{kkt.dual:.1e}, complementarity {kkt.complementarity:.1e}); the weights are "
                "the solver's point" + ("" if kkt.polished else ", not an exact solution") + "."
            )
        ret = float(w @ mu)
        vol = float(np.sqrt(max(w @ cov @ w, 0.0)))
        return PortfolioResult(
            weights=(np.array(w, dtype=float), ticker_index(tuple(cs.tickers))),
            objective=objective,
            expected_return=ret,
            volatility=vol,
            sharpe=(ret - rf) / vol if vol > 0 else float("nan"),
            risk_free_rate=rf,
            risk_aversion=gamma,
            status=outcome.status,
            solver=outcome.solver,
            attempts=outcome.attempts,
            binding=tuple(binding_constraints(w, cov, cs, vol)),
            warnings=tuple(warnings),
            kkt=kkt,
        )


def binding_constraints(w: FloatArray, cov: FloatArray, cs: ConstraintSet,
                        volatility: float | None = None) -> list[BindingConstraint]:
    """The user-meaningful constraints active at ``w`` (exclusions are reported separately);
    ``volatility``: √(wᵀΣw) when the caller has it."""
    out: list[BindingConstraint] = []
    tol = BINDING_TOLERANCE
    upper, lower = np.asarray(cs.upper, float), np.asarray(cs.lower, float)
    # (an asset at or above a bound below 1, or at or below a positive one; each side
    # re-checked below)
    near = (np.minimum(upper, 1.0) - tol <= w) | (w <= np.where(lower > 0, lower + tol, -1.0))
    hits = near.nonzero()[0].tolist()  # only the assets at a bound (no per-ticker loop)
    excluded = set(cs.excluded_tickers()) if hits and cs.exclusions else set()
    for i in hits:
        t = cs.tickers[i]
        if t in excluded:
            continue
        hi, lo = float(upper[i]), float(lower[i])
        if hi < 1.0 and w[i] >= hi - tol:
            fld = cs.asset_bound_fields.get(t, cs.max_weight_field)
            out.append(BindingConstraint(f"upper:{t}", f"{t} at its maximum {hi:.1%}", fld))
        if lo > 0 and w[i] <= lo + tol:
            fld = cs.asset_bound_fields.get(t, "")
            out.append(BindingConstraint(f"lower:{t}", f"{t} at its minimum {lo:.1%}", fld))
    for g in cs.groups:
        tot = float(g.members @ w)
        if g.min > 0 and tot <= g.min + tol:
            out.append(BindingConstraint(f"class_min:{g.name}",
                                         f"{g.name} at its minimum {g.min:.1%}", g.field_min))
        if g.max < 1 and tot >= g.max - tol:
            out.append(BindingConstraint(f"class_max:{g.name}",
                                         f"{g.name} at its maximum {g.max:.1%}", g.field_max))
    if cs.min_esg_score is not None and cs.esg_scores is not None:
        if float(cs.esg_coefficients() @ w) <= tol * 100:
            out.append(BindingConstraint(
                "esg_floor", f"portfolio ESG score at its floor {cs.min_esg_score:.1f}",
                "preferences.min_esg_score"))
    if cs.max_volatility is not None:
        vol = (float(np.sqrt(max(w @ cov @ w, 0.0))) if volatility is None
               else float(volatility))
        # relative, so a daily-unit ceiling (~1 %) is judged as finely as an annual one
        if vol >= cs.max_volatility - min(1e-4, 1e-3 * cs.max_volatility):
            out.append(BindingConstraint(
                "max_volatility", f"volatility at its ceiling {cs.max_volatility:.1%}",
                cs.volatility_field))
    return out


__all__ = ["PortfolioOptimizer", "binding_constraints", "ConstraintConflict"]
