"""The batched fleet solver: the kernel's standard form, ADMM guess, exact active-set solve.

:func:`solve_batch` takes one :class:`FleetModel` and an :class:`InvestorBatch` and returns a
:class:`BatchResult` with one row per investor. The batch compiles to the kernel's
:class:`~tailorfolio.kernel.StandardForm`; ADMM (:mod:`tailorfolio.kernel._admm`) gives each
investor an active-set guess and the kernel's exact core finishes it, volatility ceilings
included (a batched search on each capped investor's risk aversion, exact on the ceiling).
Every fast-path answer has passed a KKT check (its residuals are reported per investor); a
ceiling below the lowest volatility the constraints allow is proved there too (the kernel's
minimum-variance solve). Investors the fast path does not settle within its iteration budget
(in practice infeasible ones) get batched proofs first (:mod:`tailorfolio.fleet._feasibility`:
class minima adding above 1, a turnover cap below the smallest turnover), then the kernel's
own exact solve, together; only what is still left is solved one by one by the general path
(:class:`tailorfolio.optimize.PortfolioOptimizer`), which also explains infeasibility by
naming the conflicting constraints. Nothing raises for one investor's sake: a failure is a
status and a message in that investor's row.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tailorfolio.errors import InfeasibleError, SolverError, TailorfolioError
from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.kernel._activeset import (
    ActiveSet,
    ActiveSetOutcome,
    active_set_solve,
    guess_active_set,
)
from tailorfolio.kernel._admm import BatchedAdmm
from tailorfolio.kernel._solve import finish
from tailorfolio.kernel._standard import StandardForm, from_investor_batch
from tailorfolio.typing import FloatArray

STATUS_OPTIMAL = "optimal"
STATUS_INFEASIBLE = "infeasible"
STATUS_FAILED = "failed"
METHOD_BATCHED = "batched"
METHOD_OPTIMIZER = "optimizer"
"""The general path; a solved investor's method names the solver that answered as well
(``optimizer:kernel`` — the kernel's single-problem path — or ``optimizer:clarabel``)."""
METHOD_NONE = ""
METHOD_LP = "lp"
FEASIBILITY_SLACK = 1e-9
TAIL_AFTER_CHECKS = 3
"""Checks after which polish rounds thin out (:attr:`SolverSettings.tail_polish_every`)."""
RETRY_FACTOR = 0.1
"""After a failed polish, an investor's next one waits until ADMM's residual has fallen by
this factor (the failing few otherwise repeat a long polish at every check)."""


@dataclass(frozen=True)
class SolverSettings:
    """Iteration budget of the fast path.

    Attributes
    ----------
    check_every : int
        ADMM iterations between polish attempts.
    max_admm_iterations : int
        After this many, unsettled investors go to the general path (the optimizer).
    polish_iterations : int
        Active-set steps per polish attempt.
    polish_residual : float
        An investor is polished once its ADMM residuals (scaled units) are below this.
    stall_after, stall_residual : int, float
        After ``stall_after`` iterations, an investor whose ADMM primal residual is still
        above ``stall_residual`` and no longer falling is most likely infeasible; it goes to
        the fallback (which proves and explains infeasibility, or solves it if it was merely
        slow).
    fallback : bool
        Solve unsettled investors one by one with the optimizer (else report them ``failed``).
    tail_polish_every : int
        After the first :data:`TAIL_AFTER_CHECKS` checks, a polish round that no investor
        is forced into is held only every this many checks. A round costs about its longest
        active-set sequence (a fixed cost per step, whatever the number of investors), and
        after the first rounds only a few investors become ready at each check; they wait
        on cheap ADMM iterations instead (measured on the hard book: 46 % fewer active-set
        steps, 5 % more ADMM investor-iterations, same answers).
    admm_start_rho : float
        ADMM's first step size (each investor's then adapts on the ladder): on the hard
        book's chunks 0.3 took 23 % fewer ADMM investor-iterations to the polish than the
        kernel's default 0.1, and no more active-set steps (1.0 took fewer still but more
        active-set steps).
    """

    check_every: int = 20
    max_admm_iterations: int = 600
    polish_iterations: int = 6
    stall_after: int = 300
    stall_residual: float = 1e-4
    polish_residual: float = 1e-2
    fallback: bool = True
    tail_polish_every: int = 3
    admm_start_rho: float = 0.3


@dataclass
class BatchResult:
    """One row per investor.

    Attributes
    ----------
    weights : ndarray (B, n_assets)
        Target weights, decimals (NaN rows where no solution).
    status : ndarray (B,) of str
        ``optimal``, ``infeasible`` or ``failed``.
    method : ndarray (B,) of str
        ``batched`` (fast path, KKT-verified; also a ceiling the batch proved infeasible),
        ``optimizer:<solver>`` (the general path, one by one, and the solver that answered
        there: ``kernel`` or ``clarabel``), ``optimizer`` (the general path found it
        infeasible) or ``lp`` (proved infeasible by a linear program).
    message : ndarray (B,) of str
        Why an investor has no solution (conflicting constraints named), else "".
    utility : ndarray (B,)
        μ_effᵀw − (γ/2)wᵀΣw − Σc|w − w0| (for γ = inf: −½wᵀΣw − Σc|Δw|).
    expected_return, volatility, sharpe, turnover, cost : ndarray (B,)
        Annual decimals; turnover is ‖w − w0‖₁; cost is Σc|Δw| (decimal of the account).
    primal_residual : ndarray (B,)
        Largest constraint violation of the returned weights, weight units.
    dual_residual : ndarray (B,)
        Largest KKT stationarity/sign violation, in units of the utility's gradient
        (annual return per unit weight); NaN for the general path (its solver's own
        tolerances apply there).
    iterations : ndarray (B,)
        ADMM iterations spent on the investor.
    """

    weights: FloatArray
    status: np.ndarray
    method: np.ndarray
    message: np.ndarray
    utility: FloatArray
    expected_return: FloatArray
    volatility: FloatArray
    sharpe: FloatArray
    turnover: FloatArray
    cost: FloatArray
    primal_residual: FloatArray
    dual_residual: FloatArray
    iterations: np.ndarray
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.status.shape[0])

    @property
    def kkt_residual(self) -> FloatArray:
        return np.fmax(self.primal_residual, self.dual_residual)


def solve_batch(model: FleetModel, batch: InvestorBatch,
                settings: SolverSettings | None = None) -> BatchResult:
    """Optimize every investor of ``batch`` (see module docstring).

    Parameters
    ----------
    model : FleetModel
    batch : InvestorBatch
    settings : SolverSettings, optional

    Returns
    -------
    BatchResult

    Raises
    ------
    ParameterError
        Only for malformed arrays (wrong shapes, negative bounds); per-investor problems
        are reported in the result.
    """
    with single_threaded_blas():
        return _solve_batch(model, batch, settings or SolverSettings())


def single_threaded_blas():
    """A context with one BLAS thread.

    The solver's products are small (n ≤ a few hundred) and many; multi-threaded BLAS only
    adds synchronisation (ruinous on a loaded machine), and the engines parallelise across
    chunks instead.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _solve_batch(model: FleetModel, batch: InvestorBatch, settings: SolverSettings
                 ) -> BatchResult:
    batch.validate(model)
    b, n = batch.size, model.n_assets
    weights = np.full((b, n), np.nan)
    status = np.full(b, STATUS_FAILED, dtype=object)
    method = np.full(b, METHOD_NONE, dtype=object)
    message = np.full(b, "", dtype=object)
    prim_r = np.full(b, np.nan)
    dual_r = np.full(b, np.nan)
    iters = np.zeros(b, dtype=np.int64)

    fast = ~obviously_infeasible(model, batch)
    idx_fast = np.flatnonzero(fast)
    leftover = list(np.flatnonzero(~fast))
    if len(idx_fast):
        sf = from_investor_batch(model, batch.take(idx_fast))
        w, ok, pr, dr, it, over = _fast_path(sf, settings)
        good = idx_fast[ok]
        weights[good] = w[ok]
        status[good] = STATUS_OPTIMAL
        method[good] = METHOD_BATCHED
        prim_r[idx_fast] = pr
        dual_r[idx_fast] = dr * sf.scale
        iters[idx_fast] = it
        if over.any():  # a ceiling below the lowest volatility: proved by the batch
            bad = idx_fast[over]
            status[bad], method[bad] = STATUS_INFEASIBLE, METHOD_BATCHED
            lowest = np.sqrt(np.maximum(np.einsum("bi,ij,bj->b", w[over], model.covariance,
                                                  w[over]), 0.0))
            message[bad] = [ceiling_message(float(c), float(v))
                            for c, v in zip(batch.max_volatility[bad], lowest)]
            prim_r[bad] = dual_r[bad] = np.nan
        leftover.extend(idx_fast[~ok & ~over].tolist())
    leftover = sorted(leftover)
    n_left = len(leftover)
    if leftover and settings.fallback:
        left = np.asarray(leftover, dtype=np.int64)
        prim_r[left] = np.nan
        dual_r[left] = np.nan
        left = _batched_verdicts(model, batch, left, status, method, message)
        left = _kernel_retry(model, batch, left, fast, weights, status, method, message,
                             prim_r, dual_r)
        if len(left):
            with warnings.catch_warnings():
                # cvxpy warns that the cost term makes the foundation's problem non-DPP (it
                # is then recompiled per solve); that is a speed note, not for the user
                warnings.filterwarnings("ignore", message=".*not DPP.*")
                _fallback(model, batch, left, weights, status, method, message, prim_r,
                          dual_r)
        n_left = len(left)
    elif leftover:
        message[leftover] = "not settled by the batched solver (fallback disabled)"
    res = _metrics(model, batch, weights)
    return BatchResult(weights, status, method, message, *res, prim_r, dual_r, iters,
                       {"fast_path": float(fast.sum()), "fallback": float(n_left)})


def ceiling_message(ceiling: float, lowest: float) -> str:
    """Why a volatility ceiling cannot hold (the lowest volatility was solved exactly)."""
    return (f"max_volatility {ceiling:.4f} is below {lowest:.4f}, the lowest volatility the "
            "other constraints allow (bounds, exclusions, class bounds, ESG floor, turnover "
            f"cap); raise max_volatility to at least {lowest:.4f} or relax those constraints.")


def _fast_path(sf: StandardForm, settings: SolverSettings
               ) -> tuple[FloatArray, np.ndarray, FloatArray, FloatArray, np.ndarray,
                          np.ndarray]:
    """(w, ok, primal, dual, iterations, ceiling proved infeasible) per investor; where the
    last is True, ``w`` is the minimum-variance answer (the proof)."""
    b, n = sf.size, sf.n
    over = np.zeros(b, dtype=bool)
    w_out = np.zeros((b, n))
    ok = np.zeros(b, dtype=bool)
    prim = np.full(b, np.inf)
    dual = np.full(b, np.inf)
    iters = np.zeros(b, dtype=np.int64)
    act_out: ActiveSet | None = None
    nu_out = np.zeros((b, sf.n_rows))
    admm = BatchedAdmm(sf.P, sf.A)
    todo = np.arange(b)
    cur = sf
    st = admm.start(cur, rho=settings.admm_start_rho)
    done_iter = 0
    last_res = np.full(b, np.inf)
    # residual an investor's ADMM point must reach before its (next) polish: after a failed
    # polish, RETRY_FACTOR lower than at that attempt (a guess that failed is retried once
    # ADMM has moved, not every check: the failing few cost as much as the rest)
    gate = np.full(b, settings.polish_residual)
    failed_once = np.zeros(b, dtype=bool)
    while len(todo) and done_iter < settings.max_admm_iterations:
        admm.iterate(cur, st, settings.check_every)
        done_iter += settings.check_every
        prim_res, dual_res = admm.residuals(cur, st)
        res_max = np.maximum(prim_res, dual_res)
        # stalled: most likely infeasible, it leaves the fast path after this check
        stalled = (done_iter >= settings.stall_after) & (prim_res > settings.stall_residual) & (
            prim_res > 0.9 * last_res[todo])
        # polish only investors whose ADMM point is close enough for a good active-set guess;
        # from half the budget on, every investor not yet failed; the stalled before they
        # leave, and all at the last check
        last = done_iter >= settings.max_admm_iterations
        forced = (done_iter >= settings.max_admm_iterations // 2) & ~failed_once[todo]
        ready = (res_max < gate[todo]) | forced | stalled | last
        checks = done_iter // settings.check_every
        if checks > TAIL_AFTER_CHECKS and checks % settings.tail_polish_every and not last:
            ready = forced | stalled  # the few ready in between wait for the next round
        iters[todo] = done_iter
        keep = np.ones(len(todo), dtype=bool)
        if ready.any():
            sub = cur.take(ready)
            act = guess_active_set(sub, st.z_box[ready], st.z_row[ready])
            # first attempt: a few steps (most investors are right at once); later attempts,
            # on the few left: longer sequences. Simultaneous switches while the count of
            # violations falls, else one switch per step (measured on the hard book: a third
            # fewer steps than three full steps then single switches, more settled)
            steps = (settings.polish_iterations if done_iter <= settings.check_every
                     else settings.polish_iterations + 2 * n)
            out = active_set_solve(sub, act, max_iter=steps, full_steps=2, stall=1)
            rt = todo[ready]
            prim[rt] = out.primal_residual
            dual[rt] = out.dual_residual
            w_out[rt[out.ok]] = out.w[out.ok]
            nu_out[rt] = out.nu
            ok[rt[out.ok]] = True
            if act_out is None:
                act_out = ActiveSet(np.zeros((b, n), np.int8), np.zeros((b, n)),
                                    np.zeros((b, sf.n_rows), np.int8), np.zeros(b, bool))
            act_out.put(rt, out.active)
            keep[np.flatnonzero(ready)[out.ok]] = False
            failed = rt[~out.ok]
            gate[failed] = RETRY_FACTOR * res_max[ready][~out.ok]
            failed_once[failed] = True
        keep &= ~stalled
        last_res[todo] = prim_res
        todo = todo[keep]
        cur = cur.take(keep)
        st = st.take(keep)
    capped = ok & np.isfinite(sf.vol_cap)
    if capped.any() and act_out is not None:
        # volatility ceilings: the exact search on the capped investors' risk aversion
        idx = np.flatnonzero(capped)
        plain = ActiveSetOutcome(w_out[idx], nu_out[idx], np.zeros(len(idx)), ok[idx],
                                 prim[idx], dual[idx], np.zeros(len(idx)), iters[idx],
                                 act_out.take(idx))
        done = finish(sf.take(idx), plain)
        w_out[idx] = done.w
        ok[idx] = done.ok
        prim[idx] = done.primal
        dual[idx] = done.dual
        over[idx] = done.infeasible
    return w_out, ok, prim, dual, iters, over


def obviously_infeasible(model: FleetModel, batch: InvestorBatch) -> np.ndarray:
    """(B,) True where simple counting proves infeasibility (sent to the explaining path).

    Checks: Σl > 1, Σu < 1, a class minimum above its members' maxima (or maximum below
    their minima), an ESG floor above the best score reachable within the bounds (a greedy
    fill by descending score is exact for bounds plus budget), and a turnover cap below the
    trades forced by the bounds.
    """
    lo, up = batch.lower, batch.upper
    slack = FEASIBILITY_SLACK
    bad = (lo.sum(axis=1) > 1 + slack) | (up.sum(axis=1) < 1 - slack) | (lo > up + slack).any(1)
    if model.n_groups:
        g = model.group_matrix
        bad |= (batch.group_min > up @ g.T + slack).any(axis=1)
        bad |= (batch.group_max < lo @ g.T - slack).any(axis=1)
        bad |= (batch.group_min > batch.group_max + slack).any(axis=1)
    floor = batch.min_esg_score
    has = np.isfinite(floor)
    if has.any():
        s = model.esg_vector()
        order = np.argsort(-s, kind="stable")
        room = np.maximum(up - lo, 0.0)[:, order]
        budget = np.maximum(1.0 - lo.sum(axis=1), 0.0)
        cum = np.cumsum(room, axis=1)
        fill = np.clip(budget[:, None] - (cum - room), 0.0, room)
        best = lo @ s + fill @ s[order]
        bad |= has & (best < np.where(has, floor, -np.inf) - 1e-9 * (1 + np.abs(floor)))
    w0 = batch.current_weights
    inside = np.clip(w0, lo, up)
    forced = np.abs(inside - w0).sum(axis=1) + np.abs(1.0 - inside.sum(axis=1))
    bad |= forced > batch.max_turnover + slack
    return bad


def constraint_set_for(model: FleetModel, batch: InvestorBatch, i: int):
    """The foundation's :class:`ConstraintSet` for investor ``i`` (for the general path)."""
    from tailorfolio.optimize._constraints import ConstraintSet, GroupBound, MissingScorePolicy

    groups = tuple(
        GroupBound(name, "asset_class", model.group_matrix[g].copy(),
                   float(batch.group_min[i, g]), float(batch.group_max[i, g]),
                   f"class_bounds.{name}" if batch.group_min[i, g] > 0 else "",
                   f"class_bounds.{name}" if batch.group_max[i, g] < 1 else "")
        for g, name in enumerate(model.group_names))
    floor = float(batch.min_esg_score[i])
    upper = batch.upper[i].astype(float)
    return ConstraintSet(
        tickers=list(model.tickers), lower=batch.lower[i].astype(float), upper=upper,
        groups=groups, esg_scores=np.asarray(model.esg_scores, dtype=float),
        min_esg_score=floor if np.isfinite(floor) else None,
        missing_score_policy=MissingScorePolicy.WORST, esg_tilt=float(batch.esg_tilt[i]),
        max_volatility=(float(batch.max_volatility[i]) if np.isfinite(batch.max_volatility[i])
                        else None),
        max_weight_field="upper", asset_bound_fields={t: f"lower/upper[{t}]"
                                                      for t in model.tickers},
    )


def _fallback(model: FleetModel, batch: InvestorBatch, idx: np.ndarray, weights, status, method,
              message, prim_r, dual_r) -> None:
    from tailorfolio.optimize._optimizer import PortfolioOptimizer
    from tailorfolio.optimize._result import Objective

    opt = PortfolioOptimizer(with_costs=True)
    prim_r[idx] = np.nan
    dual_r[idx] = np.nan
    mu = pd.Series(model.expected_return, index=list(model.tickers))
    cov = pd.DataFrame(model.covariance, index=list(model.tickers), columns=list(model.tickers))
    for i in idx:
        verdict = feasibility_verdict(model, batch, int(i))
        if verdict:
            status[i], method[i], message[i] = STATUS_INFEASIBLE, METHOD_LP, verdict
            continue
        try:
            cs = constraint_set_for(model, batch, int(i))
            gamma = float(batch.risk_aversion[i])
            kwargs = dict(current_weights=pd.Series(batch.current_weights[i], index=mu.index),
                          cost_rate=batch.cost_rate[i].astype(float),
                          max_turnover=(float(batch.max_turnover[i])
                                        if np.isfinite(batch.max_turnover[i]) else None))
            if np.isfinite(batch.min_return[i]):
                r = opt.optimize(mu, cov, cs, objective=Objective.TARGET_RETURN,
                                 target=float(batch.min_return[i]), **kwargs)
            elif np.isfinite(gamma):
                r = opt.optimize(mu, cov, cs, objective=Objective.MAX_UTILITY,
                                 risk_aversion=gamma, **kwargs)
            else:
                r = opt.optimize(mu, cov, cs, objective=Objective.MIN_VARIANCE, **kwargs)
        except InfeasibleError as exc:
            status[i], method[i], message[i] = STATUS_INFEASIBLE, METHOD_OPTIMIZER, exc.message
            continue
        except TailorfolioError as exc:
            status[i], method[i], message[i] = STATUS_FAILED, METHOD_OPTIMIZER, exc.message
            continue
        w = r.weights.to_numpy(dtype=float)
        weights[i] = w
        status[i] = STATUS_OPTIMAL
        method[i] = f"{METHOD_OPTIMIZER}:{str(r.solver).lower()}"
        if r.inaccurate:
            message[i] = "; ".join(r.warnings)
        prim_r[i] = _primal_violation(model, batch, int(i), w)
        dual_r[i] = np.nan


def _kernel_retry(model: FleetModel, batch: InvestorBatch, idx: np.ndarray, fast: np.ndarray,
                  weights, status, method, message, prim_r, dual_r) -> np.ndarray:
    """The investors the fast path left unsettled (its iteration budget, a cycling polish)
    and no proof showed infeasible, solved together by the kernel's own exact solve (its
    restarts included; ceilings by its search; KKT-checked). Returns those still left."""
    from tailorfolio.kernel._solve import solve

    cand = idx[fast[idx]]
    if not len(cand):
        return idx
    sf = from_investor_batch(model, batch.take(cand))
    sol = solve(sf)
    good = sol.ok
    i = cand[good]
    weights[i] = sol.w[good]
    status[i], method[i] = STATUS_OPTIMAL, METHOD_BATCHED
    prim_r[i] = sol.primal[good]
    dual_r[i] = sol.dual[good] * sf.scale[good]
    over = sol.infeasible & ~good
    if over.any():
        j = cand[over]
        lowest = np.sqrt(np.maximum(np.einsum("bi,ij,bj->b", sol.w[over], model.covariance,
                                              sol.w[over]), 0.0))
        status[j], method[j] = STATUS_INFEASIBLE, METHOD_BATCHED
        message[j] = [ceiling_message(float(c), float(v))
                      for c, v in zip(batch.max_volatility[j], lowest)]
    return np.setdiff1d(idx, cand[good | over])


def _batched_verdicts(model: FleetModel, batch: InvestorBatch, idx: np.ndarray, status,
                      method, message) -> np.ndarray:
    """Infeasibility proved for many investors at once (:mod:`tailorfolio.fleet._feasibility`):
    disjoint class minima above 1 by counting, a turnover cap below the smallest turnover by
    the kernel's batched solve and its dual bound. Returns the investors left unproved."""
    from tailorfolio.fleet._feasibility import (
        PROOF_SLACK,
        class_minima_conflict,
        turnover_bounds,
        turnover_message,
    )

    left = []
    for i in idx:
        why = class_minima_conflict(model, batch, int(i))
        if why:
            status[i], method[i], message[i] = STATUS_INFEASIBLE, METHOD_BATCHED, why
        else:
            left.append(int(i))
    rest = np.asarray(left, dtype=np.int64)
    capped = rest[np.isfinite(batch.max_turnover[rest])]
    if not len(capped):
        return rest
    lower, upper = turnover_bounds(model, batch.take(capped))
    tau = batch.max_turnover[capped]
    proved = lower > tau + PROOF_SLACK
    for k in np.flatnonzero(proved):
        i = capped[k]
        status[i], method[i] = STATUS_INFEASIBLE, METHOD_BATCHED
        message[i] = turnover_message(float(tau[k]), float(lower[k]), float(upper[k]))
    return np.setdiff1d(rest, capped[proved])


def feasibility_verdict(model: FleetModel, batch: InvestorBatch, i: int) -> str:
    """The empty string when investor ``i``'s constraints can all hold, else why not.

    The least trading the other constraints force (:func:`~tailorfolio.optimize._min_turnover.
    min_turnover`, one linear program on the investor's constraint set) decides: if no
    portfolio meets them, the foundation's diagnosis names the conflicting constraints and the
    relaxation each needs; if that least trading exceeds the cap, the message says by how
    much.
    """
    from tailorfolio.optimize._min_turnover import min_turnover

    cs = constraint_set_for(model, batch, i)
    try:
        least = min_turnover(cs, batch.current_weights[i])
    except SolverError:
        return ""  # undecided: the general path tries the investor and reports what it finds
    if least is None:
        from tailorfolio.optimize._diagnose import explain_infeasible
        from tailorfolio.kernel._standard import cholesky_factor

        return explain_infeasible(cs, cholesky_factor(model.covariance)).message
    if np.isfinite(batch.max_turnover[i]):
        need = least.turnover
        cap = float(batch.max_turnover[i])
        if need > cap + FEASIBILITY_SLACK:
            return (f"max_turnover {cap:.4f} is below the {need:.4f} of trading the other "
                    "constraints force (bounds, exclusions of held assets, class bounds, "
                    "ESG floor, investing the cash); raise max_turnover to at least "
                    f"{need:.4f} or relax those constraints.")
    return ""


def _primal_violation(model: FleetModel, batch: InvestorBatch, i: int, w: FloatArray) -> float:
    v = [abs(w.sum() - 1.0), float(np.max(batch.lower[i] - w)), float(np.max(w - batch.upper[i]))]
    if model.n_groups:
        gw = model.group_matrix @ w
        v += [float(np.max(batch.group_min[i] - gw)), float(np.max(gw - batch.group_max[i]))]
    if np.isfinite(batch.min_esg_score[i]):
        v.append(float(batch.min_esg_score[i] - model.esg_vector() @ w) / 100.0)
    if np.isfinite(batch.max_turnover[i]):
        v.append(float(np.abs(w - batch.current_weights[i]).sum() - batch.max_turnover[i]))
    return max(0.0, *v)


def _metrics(model: FleetModel, batch: InvestorBatch, w: FloatArray) -> tuple[FloatArray, ...]:
    mu, cov = model.expected_return, model.covariance
    var = np.einsum("bi,ij,bj->b", w, cov, w)
    ret = w @ mu
    vol = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        sharpe = (ret - model.risk_free_rate) / vol
    trade = np.abs(w - batch.current_weights)
    turnover = trade.sum(axis=1)
    cost = (batch.cost_rate * trade).sum(axis=1)
    mu_eff = ret + batch.esg_tilt * (w @ model.esg_vector()) / 100.0
    gamma = batch.risk_aversion
    with np.errstate(invalid="ignore"):
        utility = np.where(np.isfinite(gamma), mu_eff - 0.5 * gamma * var - cost,
                           -0.5 * var - cost)
    return utility, ret, vol, sharpe, turnover, cost
