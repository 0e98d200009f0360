"""The portfolio optimizer: objectives and frontiers over compiled, cached problems."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from tailorfolio.kernel import constraint_set_frontier
from tailorfolio.errors import (
    ConstraintConflict,
    InfeasibleError,
    ParameterError,
    SolverError,
    UnboundedError,
)
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._diagnose import explain_infeasible
from tailorfolio.optimize._kkt import (
    DEFAULT_KKT_TOLERANCE,
    KKTResiduals,
    max_sharpe_homogeneous_qp,
    mean_variance_qp,
    polish,
    problem_scale,
)
from tailorfolio.optimize._problem import (
    MaxSharpeProblem,
    MeanVarianceProblem,
    _group_matrix,
    cholesky_factor,
)
from tailorfolio.optimize._qp import LinearMeanVarianceQP, QPSolution, finish, max_sharpe_qp_full
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
)
from tailorfolio.optimize._solve import (
    DEFAULT_SOLVERS,
    SolveAttempt,
    SolveOutcome,
    solve_with_fallback,
)
from tailorfolio.typing import FloatArray

BINDING_TOLERANCE = 1e-5
"""A constraint counts as binding when the solution is within this of its bound."""


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
    """Mean-variance portfolio construction with compiled, re-solvable problems.

    One instance caches a compiled problem per (number of assets, class structure), so
    re-solving for another investor, another risk aversion or another frontier point only
    changes parameter values.

    Parameters
    ----------
    solvers : tuple of str
        Fallback chain (default Clarabel, then SCS).
    with_costs : bool
        Compile linear transaction costs and a turnover cap into the problem.
    fast_path : bool
        Solve max-utility, minimum-variance and target-return problems as a direct Clarabel
        QP first (:mod:`tailorfolio.optimize._qp`), falling back to the cvxpy problem only when
        the volatility ceiling binds or the QP fails. The answer is the same; it is faster.
    kkt_tolerance : float
        Every answer is solved on a scaled problem, polished on its active set and checked
        against the KKT conditions (:mod:`tailorfolio.optimize._kkt`); this is the largest
        primal, dual or complementarity residual accepted (default 1e-9). The residuals are
        reported on :attr:`PortfolioResult.kkt`; an answer that misses the tolerance carries
        a warning.
    polish : bool
        Polish solver points on their active set (default). Off, the solver's point is
        returned with its residuals.

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
        self._mv: dict[tuple[int, bytes], MeanVarianceProblem] = {}
        self._sharpe: dict[tuple[int, bytes], MaxSharpeProblem] = {}

    # ------------------------------------------------------------------ compiled problems

    def _key(self, cs: ConstraintSet) -> tuple[int, bytes]:
        g, _, _ = _group_matrix(cs)
        return cs.n_assets, g.tobytes() + str(g.shape).encode()

    def mean_variance_problem(self, cs: ConstraintSet) -> MeanVarianceProblem:
        """The compiled problem for ``cs``'s structure (built on first use)."""
        key = self._key(cs)
        if key not in self._mv:
            self._mv[key] = MeanVarianceProblem(cs.n_assets, _group_matrix(cs)[0],
                                                with_costs=self.with_costs)
        return self._mv[key]

    def _sharpe_problem(self, cs: ConstraintSet) -> MaxSharpeProblem:
        key = self._key(cs)
        if key not in self._sharpe:
            self._sharpe[key] = MaxSharpeProblem(cs.n_assets, _group_matrix(cs)[0])
        return self._sharpe[key]

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
        warnings: list[str] = []

        if objective is Objective.MAX_SHARPE:
            return self._max_sharpe(mu, cov, constraints, risk_free_rate)

        mu_eff = mu + constraints.esg_tilt * constraints.esg_tilt_scores() / 100.0
        wants_costs = current_weights is not None or max_turnover is not None or np.any(cost_rate)
        if self.fast_path and not wants_costs and objective in (
                Objective.MAX_UTILITY, Objective.MIN_VARIANCE, Objective.TARGET_RETURN):
            fast = self._fast_solve(mu, mu_eff, cov, constraints, objective,
                                    risk_aversion, target, risk_free_rate)
            if fast is not None:
                return fast
        # The conic problem is solved in scaled units (Σ/s, μ/s, σ/√s); weights are unchanged.
        scale = problem_scale(cov)
        root = float(np.sqrt(scale))
        factor = cholesky_factor(cov / scale)
        prob = self.mean_variance_problem(constraints)
        cap = constraints.max_volatility
        if objective is Objective.TARGET_VOLATILITY:
            self._check_target(target, "target volatility")
            cap = float(target) if cap is None else min(float(target), cap)
        prob.set_constraints(constraints if cap is None
                             else constraints.with_volatility_cap(cap / root))
        gamma_eff, linear = 1.0, np.zeros(len(tickers))
        min_return: float | None = None
        if objective is Objective.MAX_UTILITY:
            if risk_aversion is None or risk_aversion < 0 or not np.isfinite(risk_aversion):
                raise ParameterError(
                    "The 'risk_aversion' parameter must be a finite number >= 0 for "
                    f"max_utility. Got {risk_aversion!r} instead.",
                    field="risk_aversion", value=risk_aversion,
                    fix="pass e.g. risk_aversion=3 (higher is more cautious)",
                )
            prob.set_objective(mu_eff / scale, factor, risk_aversion=risk_aversion)
            gamma_eff, linear = float(risk_aversion), mu_eff / scale
        elif objective is Objective.MIN_VARIANCE:
            prob.set_objective(mu_eff / scale, factor, risk_aversion=2.0, return_weight=0.0)
        elif objective is Objective.TARGET_VOLATILITY:
            prob.set_objective(mu_eff / scale, factor, risk_aversion=0.0)
            gamma_eff, linear = 0.0, mu_eff / scale
        else:  # TARGET_RETURN (on the financial expected return, as the QP path)
            self._check_target(target, "target return", allow_negative=True)
            prob.set_objective(mu_eff / scale, factor, risk_aversion=2.0, return_weight=0.0)
            prob.mu_plain.value = mu / scale
            prob.min_return.value = float(target) / scale
            min_return = float(target) / scale
        if wants_costs:
            if not self.with_costs:
                raise ParameterError(
                    "Transaction costs need PortfolioOptimizer(with_costs=True).",
                    field="cost_rate", fix="create the optimizer with with_costs=True",
                )
            w0 = (np.zeros(len(tickers)) if current_weights is None
                  else current_weights.reindex(tickers).fillna(0.0).to_numpy(float))
            prob.set_costs(w0, np.asarray(cost_rate, dtype=float) / scale, max_turnover)

        outcome = solve_with_fallback(prob.problem, self.solvers)
        self._raise_for(outcome, constraints, cov, objective)
        kkt: KKTResiduals | None = None
        if wants_costs:
            w = prob.weights()
        else:
            w, kkt = self._polish_mean_variance(
                np.asarray(prob.w.value, dtype=float), cov / scale, linear, gamma_eff,
                constraints, None if cap is None else cap / root, mu / scale, min_return,
                scale)
            w = w / w.sum()
        if outcome.inaccurate and not (kkt is not None and kkt.polished and kkt.satisfied):
            warnings.append(
                f"The solver {outcome.solver} reported an inaccurate solution; weights may "
                "be off by more than the usual 1e-6."
            )
        elif outcome.inaccurate:
            outcome = SolveOutcome("optimal", outcome.solver, outcome.attempts)
        return self._result(w, mu, cov, constraints, objective, risk_aversion, risk_free_rate,
                            outcome, warnings, kkt)

    def _polish_mean_variance(self, w_raw: FloatArray, cov_s: FloatArray, linear: FloatArray,
                              gamma: float, cs: ConstraintSet, cap_s: float | None,
                              mu_s: FloatArray, min_return_s: float | None, scale: float
                              ) -> tuple[FloatArray, KKTResiduals]:
        """Polish a conic solve's point: on the ceiling when it binds, else as a QP."""
        tol = self.kkt_tolerance
        plain = mean_variance_qp(cov_s, linear, gamma, cs, return_row=mu_s,
                                 min_return=min_return_s, scale=scale)
        if cap_s is not None and float(w_raw @ cov_s @ w_raw) >= cap_s ** 2 * (1 - 1e-6):
            cone = mean_variance_qp(cov_s, linear, gamma, cs, return_row=mu_s,
                                    min_return=min_return_s, cap2=cap_s ** 2, scale=scale)
            done = polish(cone, w_raw, tol) if self.polish else None
            if done is not None:
                return done.x, done.residuals
            if not self.polish:
                return finish(cone, w_raw, tol, False)
            alt = polish(plain, w_raw, tol)
            if alt is not None and float(alt.x @ cov_s @ alt.x) <= cap_s ** 2 * (1 + tol):
                return alt.x, alt.residuals
            return finish(cone, w_raw, tol, False)
        return finish(plain, w_raw, tol, self.polish)

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
        try:
            path = constraint_set_frontier(cov, mu, replace(constraints, max_volatility=None))
        except InfeasibleError:
            raise explain_infeasible(constraints, cholesky_factor(cov)) from None
        if constraints.max_volatility is not None:
            if constraints.max_volatility < float(np.sqrt(path.variance[0])) - 1e-9:
                raise explain_infeasible(constraints, cholesky_factor(cov))
            path = path.truncated(max(constraints.max_volatility,
                                      float(np.sqrt(path.variance[0]))))
        return frontier_from_path(path, n_points, tickers, risk_free_rate,
                                  self.kkt_tolerance)

    # ------------------------------------------------------------------ helpers

    def _fast_solve(self, mu: FloatArray, mu_eff: FloatArray, cov: FloatArray,
                    cs: ConstraintSet, objective: Objective,
                    gamma: float | None, target: float | None, rf: float
                    ) -> PortfolioResult | None:
        """The direct-QP answer, or None when the cvxpy path must decide (ceiling binds)."""
        n = cs.n_assets
        if objective is Objective.MAX_UTILITY:
            if gamma is None or gamma < 0 or not np.isfinite(gamma):
                return None  # let the main path raise the parameter error
            kwargs: dict[str, object] = {"gamma": float(gamma), "linear": mu_eff}
        elif objective is Objective.MIN_VARIANCE:
            kwargs = {"gamma": 1.0, "linear": np.zeros(n)}
        else:
            self._check_target(target, "target return", allow_negative=True)
            kwargs = {"gamma": 1.0, "linear": np.zeros(n), "min_return": float(target),
                      "mu": mu}
        start = time.perf_counter()
        sol = LinearMeanVarianceQP(cov, cs, kkt_tolerance=self.kkt_tolerance,
                                   polish=self.polish).solve_full(**kwargs)
        status, w = sol.status, sol.weights
        attempt = SolveAttempt("CLARABEL-QP", status, time.perf_counter() - start)
        if status == "infeasible":
            err = explain_infeasible(cs, cholesky_factor(cov))
            if objective is Objective.TARGET_RETURN and not err.conflicts:
                raise self._unreachable_return(mu, cov, cs, float(target)) from None
            raise err
        if w is None or status != "optimal":
            return None
        if cs.max_volatility is not None and float(np.sqrt(w @ cov @ w)) > cs.max_volatility:
            return None  # the volatility ceiling binds: solve the conic problem
        outcome = SolveOutcome(status, "CLARABEL-QP", (attempt,))
        return self._result(w, mu, cov, cs, objective, gamma, rf, outcome, [], sol.kkt)

    def _unreachable_return(self, mu: FloatArray, cov: FloatArray, cs: ConstraintSet,
                            target: float) -> InfeasibleError:
        """A return target above what the (feasible) constraints allow, with that maximum."""
        status, w = LinearMeanVarianceQP(cov, cs).solve(gamma=0.0, linear=mu)
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
        if self.fast_path:
            start = time.perf_counter()
            sol: QPSolution = max_sharpe_qp_full(cov, cs, mu - rf,
                                                 kkt_tolerance=self.kkt_tolerance,
                                                 polish=self.polish)
            status, w_fast = sol.status, sol.weights
            if (status == "optimal" and w_fast is not None and (
                    cs.max_volatility is None
                    or float(np.sqrt(w_fast @ cov @ w_fast)) <= cs.max_volatility)):
                attempt = SolveAttempt("CLARABEL-QP", status, time.perf_counter() - start)
                return self._result(w_fast, mu, cov, cs, Objective.MAX_SHARPE, None, rf,
                                    SolveOutcome(status, "CLARABEL-QP", (attempt,)), [],
                                    sol.kkt)
        factor = cholesky_factor(cov)
        # Scaled units: Σ/s, and the excess return divided by its largest magnitude (the
        # homogenised problem's y and κ scale with it; w = y/κ does not).
        scale = problem_scale(cov)
        root = float(np.sqrt(scale))
        excess = mu - rf
        e_norm = max(float(np.abs(excess).max(initial=0.0)), 1e-300)
        cs_s = cs if cs.max_volatility is None else cs.with_volatility_cap(
            cs.max_volatility / root)
        prob = self._sharpe_problem(cs)
        prob.set(cs_s, excess / e_norm, factor / root, 0.0)
        outcome = solve_with_fallback(prob.problem, self.solvers)
        if outcome.status == "infeasible":
            conflicts_err = explain_infeasible(cs, factor)
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
        cov_s = cov / scale
        w_raw = np.asarray(prob.y.value, dtype=float) / float(prob.kappa.value)
        cap_s = None if cs.max_volatility is None else cs.max_volatility / root
        if cap_s is not None and float(w_raw @ cov_s @ w_raw) >= cap_s ** 2 * (1 - 1e-6):
            # The ceiling binds: the best Sharpe ratio is the highest return at the ceiling.
            w, kkt = self._polish_mean_variance(w_raw, cov_s, excess / e_norm, 0.0, cs, cap_s,
                                                mu / scale, None, scale)
        else:
            qp = max_sharpe_homogeneous_qp(cov_s, excess / e_norm, cs, scale=scale)
            x0 = np.concatenate([np.asarray(prob.y.value, dtype=float),
                                 [float(prob.kappa.value)]])
            x, kkt = finish(qp, x0, self.kkt_tolerance, self.polish)
            w = np.clip(x[:-1] / x[-1], cs.lower, cs.upper)
        w = w / w.sum()
        warnings = []
        if outcome.inaccurate and not (kkt.polished and kkt.satisfied):
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
            raise explain_infeasible(cs, cholesky_factor(cov))
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
                warnings: list[str], kkt: KKTResiduals | None = None) -> PortfolioResult:
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
            weights=pd.Series(w, index=cs.tickers),
            objective=objective,
            expected_return=ret,
            volatility=vol,
            sharpe=(ret - rf) / vol if vol > 0 else float("nan"),
            risk_free_rate=rf,
            risk_aversion=gamma,
            status=outcome.status,
            solver=outcome.solver,
            attempts=outcome.attempts,
            binding=tuple(binding_constraints(w, cov, cs)),
            warnings=tuple(warnings),
            kkt=kkt,
        )


def binding_constraints(w: FloatArray, cov: FloatArray, cs: ConstraintSet
                        ) -> list[BindingConstraint]:
    """The user-meaningful constraints active at ``w`` (exclusions are reported separately)."""
    out: list[BindingConstraint] = []
    tol = BINDING_TOLERANCE
    excluded = set(cs.excluded_tickers())
    for i, t in enumerate(cs.tickers):
        if t in excluded:
            continue
        hi, lo = float(cs.upper[i]), float(cs.lower[i])
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
        vol = float(np.sqrt(max(w @ cov @ w, 0.0)))
        # relative, so a daily-unit ceiling (~1 %) is judged as finely as an annual one
        if vol >= cs.max_volatility - min(1e-4, 1e-3 * cs.max_volatility):
            out.append(BindingConstraint(
                "max_volatility", f"volatility at its ceiling {cs.max_volatility:.1%}",
                cs.volatility_field))
    return out


__all__ = ["PortfolioOptimizer", "binding_constraints", "ConstraintConflict"]
