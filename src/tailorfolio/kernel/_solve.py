"""The kernel's solve: exact active-set QP, volatility ceiling by a search on the linear
factor, maximum Sharpe by the homogeneous reformulation; every answer with its KKT report.

**Volatility ceiling.** For ``min ½ r·wᵀPw + qᵀw + κᵀ|w − w0|`` under the linear constraints
and ``wᵀPw ≤ c²``, the Lagrangian adds ``ρ(wᵀPw − c²)``: stationarity is that of the QP
``min ½wᵀPw + t(qᵀw + κᵀ|w − w0|)`` with ``t = 1/(r + 2ρ)``. For max utility that is the
max-utility answer at the larger risk aversion γ* = γ/t; its volatility is non-decreasing in
t. So each problem whose plain answer breaks its ceiling first follows the solution path from
t = 1 downward, face by face (:func:`_ceiling_path`: on a face everything is affine in t, a
ratio test finds the next breakpoint, the face's root of ``vol(t) = c`` ends the path and is
KKT-checked); what leaves the path gets a safeguarded 1-D search on t
(all such problems together, batched): on the current active set the answer is affine in t,
``w(t) = w_c + t·w_l`` (one factorization, two right-hand sides), so ``w(t)ᵀPw(t) = c²`` is
a quadratic solved exactly; the QP is re-solved at that t (warm, from that active set) and
the bracket ``[t_lo, t_hi]`` (``vol(t_lo) ≤ c ≤ vol(t_hi)``) shrinks; a Newton point outside
the bracket is replaced by bisection. When the re-solve confirms the active set, the point is
exactly on the ceiling and satisfies every KKT condition of the cone problem with
``ρ = (1/t − r)/2 ≥ 0`` (r = 1: needs t ≤ 1, which the bracket keeps; r = 0: a pure return
objective, ``target_volatility``, any t > 0). The residuals reported are the cone problem's.

**Maximum Sharpe.** In ``x = (y, k)``, ``w = y/k`` (Cornuéjols & Tütüncü, *Optimization
Methods in Finance*, §8.2): ``min ½yᵀPy`` s.t. ``eᵀy = 1`` (e the excess return, unit
max-norm), ``1ᵀy = k``, every row ``lo ≤ aᵀw ≤ hi`` as ``lo·k ≤ aᵀy ≤ hi·k``, ``l·k ≤ y ≤
u·k``, ``k ≥ 0``: a QP in n + 1 variables solved by the same active-set core.

**Cold start.** Problems start from the active set of the unconstrained solution's
projection onto the bounds and budget (:func:`cold_start`); a caller with a previous answer
passes its active set (``active=``), and the fleet passes ADMM's guess. A problem whose
primal-dual steps stall (they can cycle on degenerate faces) is restarted from an ADMM guess
and finished one change per step, which cannot cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.kernel._activeset import (
    FREE,
    KKT_TOLERANCE,
    ActiveSet,
    ActiveSetOutcome,
    active_set_solve,
    cold_active_set,
    complementarity,
    guess_active_set,
    kkt_check,
    solve_active_set,
    solve_active_set_affine,
    update_active_set,
)
from tailorfolio.kernel._ceiling import ceiling_single, warm_ceiling
from tailorfolio.kernel._kkt import KKTReport
from tailorfolio.kernel._project import project_box_budget
from tailorfolio.kernel._single import CeilingAnswer, eligible, solve_single
from tailorfolio.kernel._standard import StandardForm, assemble_rows
from tailorfolio.kernel._tangency import tangency_single
from tailorfolio.typing import FloatArray

CEILING_ITERATIONS = 60
"""Outer steps of the volatility-ceiling search."""
CEILING_PATH_STEPS = 12
"""Breakpoints followed along the solution path in t before the bracketed search."""
MIN_VARIANCE_CHECK = 1.0 / 64
"""Once the bracket's upper end falls below this t, the minimum-variance answer (t = 0) is
solved: a ceiling below its volatility is proved infeasible at once (instead of halving t
down to zero)."""
MAX_LINEAR_FACTOR = 1e12
"""Upper end of the search for a pure return objective (beyond it: the max-return corner)."""
LARGE = 200
"""Problems with more variables start from projected-gradient steps (see :func:`cold_start`)."""


@dataclass
class KernelSolution:
    """Answers of a batch, one row per problem.

    Attributes
    ----------
    w : ndarray (B, n)
        The solution (w-space; for the homogeneous Sharpe form already divided by k).
    ok : ndarray (B,) bool
        Every KKT condition (of the problem as posed, ceiling included) holds to tolerance.
    infeasible : ndarray (B,) bool
        The ceiling is below the lowest volatility the linear constraints allow (proved by
        the minimum-variance solve, whose answer is then the row of ``w``); other
        infeasibility shows as not ``ok``.
    primal, dual, complementarity : ndarray (B,)
        KKT residuals (scaled units).
    iterations : ndarray (B,)
        Active-set solves used.
    linear_factor : ndarray (B,)
        t of the module docstring (1 where the ceiling does not bind).
    ceiling_multiplier : ndarray (B,)
        ρ in the problem's own units (0 where the ceiling does not bind).
    active : ActiveSet
        Final active sets (warm starts for a next solve).
    nu : ndarray (B, R)
        Row multipliers of the scaled cone problem.
    """

    w: FloatArray
    ok: np.ndarray
    infeasible: np.ndarray
    primal: FloatArray
    dual: FloatArray
    complementarity: FloatArray
    iterations: np.ndarray
    linear_factor: FloatArray
    ceiling_multiplier: FloatArray
    active: ActiveSet
    nu: FloatArray
    scale: float = 1.0
    tolerance: float = KKT_TOLERANCE

    @property
    def size(self) -> int:
        return int(self.ok.shape[0])

    def report(self, i: int = 0) -> KKTReport:
        """The :class:`KKTReport` of problem ``i``."""
        return KKTReport(float(self.primal[i]), float(self.dual[i]),
                         float(self.complementarity[i]), float(self.tolerance),
                         bool(self.ok[i]), int(self.iterations[i]), float(self.scale),
                         float(self.ceiling_multiplier[i]))


def _vol2(sf: StandardForm, w: FloatArray) -> FloatArray:
    return np.einsum("bi,ij,bj->b", w, sf.P, w)


def solve(sf: StandardForm, *, active: ActiveSet | None = None,
          tol: float = KKT_TOLERANCE, max_iter: int | None = None) -> KernelSolution:
    """Solve every problem of ``sf`` exactly (see module docstring).

    Parameters
    ----------
    sf : StandardForm
    active : ActiveSet, optional
        Warm start (e.g. the previous solve's :attr:`KernelSolution.active`, or ADMM's
        guess); default the cold set (everything free).
    tol : float
        KKT tolerance (scaled units).
    max_iter : int, optional
        Active-set steps per solve (default 30 + 2n).

    Returns
    -------
    KernelSolution
    """
    n = sf.n
    max_iter = max_iter or 30 + 2 * n
    if ((sf.risk_weight <= 0) & ~np.isfinite(sf.vol_cap)).any():
        raise ValueError("a pure return objective (risk_weight 0) needs a volatility ceiling")
    if eligible(sf):  # one problem: the lean path finds and certifies the face
        if active is not None and np.isfinite(sf.vol_cap[0]) and sf.q.any():
            on_face = warm_ceiling(sf, active, tol)  # the warm face holds the answer
            if on_face is not None:
                return _ceiling_solution(sf, *on_face, tol)
        guess = active if active is not None or n <= LARGE else cold_start(sf)
        single = solve_single(sf, guess, tol, ceiling=True)
        if isinstance(single, CeilingAnswer):  # the walk from the corner ended on the ceiling
            return _ceiling_solution(sf, single.outcome, single.t, single.rho, tol)
        if single is not None:
            if not np.isfinite(sf.vol_cap[0]):  # (its arrays are its own: no copies)
                return KernelSolution(single.w, single.ok, np.zeros(1, dtype=bool),
                                      single.primal_residual, single.dual_residual,
                                      single.complementarity, single.iterations, np.ones(1),
                                      np.zeros(1), single.active, single.nu,
                                      sf.variance_scale, tol)
            capped = _single_ceiling(sf, single, tol)
            return capped if capped is not None else finish(sf, single, tol=tol,
                                                              max_iter=max_iter)
    start = active if active is not None else cold_start(sf)
    # full steps while they make progress, then one change per step (small problems switch
    # at the first step without progress: measured fewer steps on plan-sized problems)
    out = active_set_solve(sf, start, max_iter=max_iter, full_steps=5, tol=tol,
                           stall=1 if n <= 100 else 3)
    if not out.ok.all():
        _rescue(sf, out, tol, max_iter)
    return finish(sf, out, tol=tol, max_iter=max_iter)


def _single_ceiling(sf: StandardForm, plain: ActiveSetOutcome, tol: float
                    ) -> KernelSolution | None:
    """Problem 0's binding ceiling on its faces (:mod:`tailorfolio.kernel._ceiling`) from
    its answer without the ceiling, ``plain``; None when the ceiling does not bind or the
    batched search must settle it."""
    if not np.isfinite(sf.vol_cap[0]) or not sf.q.any():
        return None
    if float(_vol2(sf, plain.w)[0]) <= float(sf.vol_cap[0]) ** 2 * (1 + 1e-13):
        return None
    found = ceiling_single(sf, plain, tol)
    if found is None:
        return None
    out, t, rho = found
    return _ceiling_solution(sf, out, t, rho, tol)


def _ceiling_solution(sf: StandardForm, out: ActiveSetOutcome, t: float, rho: float,
                      tol: float) -> KernelSolution:
    """The kernel's solution of a one-problem answer on the ceiling: linear factor ``t``,
    ceiling multiplier ``rho`` (scaled units, reported in the form's own)."""
    return KernelSolution(out.w, out.ok, np.zeros(1, dtype=bool), out.primal_residual,
                          out.dual_residual, out.complementarity, out.iterations,
                          np.array([t]), np.array([rho]) * sf.scale / sf.variance_scale,
                          out.active, out.nu, sf.variance_scale, tol)


def cold_start(sf: StandardForm) -> ActiveSet:
    """The active set of the unconstrained solution's projection (no ADMM).

    The equality-constrained solution (every variable free) is projected onto the bounds
    and the budget (:func:`~tailorfolio.kernel._project.project_box_budget`, exact); the
    bounds it lands on and the rows it breaks or meets are the guess. Forms without a
    w-space budget row or with infinite bounds (the homogeneous Sharpe form) start from
    the cold set itself.
    """
    act = cold_active_set(sf)
    if sf.row_names[:1] != ["budget"] or not (np.isfinite(sf.lower).all()
                                             and np.isfinite(sf.upper).all()):
        return act
    total = sf.row_lo[:, 0] / sf.A[0, 0]
    if sf.n > LARGE:
        return guess_active_set(sf, _projected_gradient(sf, total), tol=1e-9)
    w, _, _ = solve_active_set(sf, act)
    if not np.isfinite(w).all():
        return act
    wp = project_box_budget(w, sf.lower, sf.upper, total)
    return guess_active_set(sf, wp, tol=1e-12)


def _projected_gradient(sf: StandardForm, total: FloatArray, iterations: int = 60
                        ) -> FloatArray:
    """A few accelerated projected-gradient steps (FISTA) on ½wᵀPw + qᵀw over the bounds
    and budget: the cold start of large problems, whose all-free system is expensive and,
    with fewer observations than assets, singular."""
    v = np.ones(sf.n) / np.sqrt(sf.n)
    for _ in range(12):  # power iteration for the step 1/L
        v = sf.P @ v
        v /= max(float(np.linalg.norm(v)), 1e-300)
    lip = max(float(v @ sf.P @ v), 1e-12) * 1.05
    w = project_box_budget(np.zeros_like(sf.q), sf.lower, sf.upper, total)
    y, t = w.copy(), 1.0
    for _ in range(iterations):
        w_new = project_box_budget(y - (y @ sf.P + sf.q) / lip, sf.lower, sf.upper, total)
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        y = w_new + ((t - 1) / t_new) * (w_new - w)
        w, t = w_new, t_new
    return w


def _rescue(sf: StandardForm, out: ActiveSetOutcome, tol: float, max_iter: int) -> None:
    """Problems whose primal-dual steps stalled (they can cycle when the first faces are
    far from the answer, e.g. at a low risk aversion): a continuation in the linear factor
    from t = 0 (minimum variance, where the steps settle at once) to t = 1, each stage
    warm-started from the previous one's active set, with the step shortened when a stage
    stalls; ADMM's guess (:mod:`tailorfolio.kernel._admm`) as the last resort."""
    for i in np.flatnonzero(~out.ok):
        one = sf.take(np.array([i]))
        res = _continuation(one, tol, max_iter)
        if res is None or not res.ok[0]:
            res = _admm_restart(one, tol, max_iter)
        out.w[i], out.nu[i], out.lam[i] = res.w[0], res.nu[0], res.lam[0]
        out.ok[i] = res.ok[0]
        out.primal_residual[i], out.dual_residual[i] = res.primal_residual[0], \
            res.dual_residual[0]
        out.complementarity[i] = res.complementarity[0]
        out.iterations[i] += res.iterations[0]
        out.active.put(np.array([i]), res.active)


def _continuation(sf: StandardForm, tol: float, max_iter: int) -> ActiveSetOutcome | None:
    """The homotopy t: 0 → 1 of :func:`_rescue` for one problem."""
    zero = sf.with_linear_factor(np.zeros(1))
    res = active_set_solve(zero, cold_start(zero), max_iter=max_iter, tol=tol,
                           stop_on_stall=True)
    if not res.ok[0]:
        return None
    t_good, step, used = 0.0, 1.0 / 16, int(res.iterations[0])
    act = res.active
    while t_good < 1.0:
        t_try = min(1.0, t_good + step)
        trial = active_set_solve(sf.with_linear_factor(np.array([t_try])), act,
                                 max_iter=max_iter, tol=tol, stop_on_stall=True)
        used += int(trial.iterations[0])
        if trial.ok[0]:
            t_good, act, res = t_try, trial.active, trial
            step *= 2
        else:
            step /= 4
            if step < 1e-8:
                return None
    res.iterations[0] = used
    return res


ADMM_RESTART_ROUNDS = (150, 350, 1500)
"""ADMM iterations before each of the last resort's active-set polishes (cumulative 150,
500, 2,000): the first settles most stalled problems; degenerate faces (class rows that sum
to the budget row, with costs and a turnover cap) need an iterate within ~1e-4 of the answer
for its active set to be right, which took 500–2,000 iterations on the draws that needed it
(``tests/kernel/test_conic_backend.py``)."""


def _admm_restart(sf: StandardForm, tol: float, max_iter: int) -> ActiveSetOutcome:
    """One problem's last resort: ADMM's iterate guesses the active set, the active-set
    steps polish it (and certify it); a guess that does not settle gets more ADMM
    iterations (:data:`ADMM_RESTART_ROUNDS`) and a new polish."""
    from tailorfolio.kernel._admm import BatchedAdmm

    if not (np.isfinite(sf.lower).all() and np.isfinite(sf.upper).all()):
        return active_set_solve(sf, cold_active_set(sf), max_iter=max_iter, full_steps=3,
                                tol=tol)
    admm = BatchedAdmm(sf.P, sf.A)
    st = admm.start(sf)
    used = 0
    for rounds in ADMM_RESTART_ROUNDS:
        admm.iterate(sf, st, rounds)
        out = active_set_solve(sf, guess_active_set(sf, st.z_box, st.z_row),
                               max_iter=max_iter, full_steps=3, tol=tol)
        used += int(out.iterations[0])
        if out.ok[0]:
            break
    out.iterations[0] = used
    return out


def finish(sf: StandardForm, out: ActiveSetOutcome, *, tol: float = KKT_TOLERANCE,
           max_iter: int | None = None) -> KernelSolution:
    """A :class:`KernelSolution` from the plain QP's outcome (t = 1), with the volatility
    ceiling applied where it binds (the fleet calls this after its ADMM-guessed solve)."""
    b, n = sf.size, sf.n
    max_iter = max_iter or 30 + 2 * n
    pure = sf.risk_weight <= 0
    capped = np.isfinite(sf.vol_cap)
    sol = KernelSolution(out.w.copy(), out.ok.copy(), np.zeros(b, dtype=bool),
                         out.primal_residual.copy(), out.dual_residual.copy(),
                         out.complementarity.copy(), out.iterations.copy(), np.ones(b),
                         np.zeros(b), out.active.copy(), out.nu.copy(), sf.variance_scale, tol)
    if capped.any():
        vol2 = _vol2(sf, out.w)
        # a pure objective needs its ceiling to bind (else the answer is an LP corner)
        over = capped & (pure | (vol2 > sf.vol_cap ** 2 * (1 + 1e-13)))
        if over.any():
            _ceiling_search(sf, sol, np.flatnonzero(over), tol, max_iter)
    return sol


def _face_root(ls: StandardForm, wc: FloatArray, wl: FloatArray, cap2: FloatArray
               ) -> FloatArray:
    """The larger root t of (w_c + t w_l)ᵀP(w_c + t w_l) = c² (NaN where there is none)."""
    a2 = _vol2(ls, wl)
    a1 = np.einsum("bi,ij,bj->b", wc, ls.P, wl)
    a0 = _vol2(ls, wc) - cap2
    disc = a1 * a1 - a2 * a0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((a2 > 0) & (disc >= 0), (-a1 + np.sqrt(np.maximum(disc, 0)))
                        / np.where(a2 > 0, a2, 1.0), np.nan)


def _ceiling_path(sub: StandardForm, act: ActiveSet, cap2: FloatArray, tol: float,
                  steps: int = CEILING_PATH_STEPS, max_iter: int | None = None):
    """The solution path in t from 1 (where the QP's face ``act`` is optimal and breaks the
    ceiling) down to the ceiling, face by face (risk weight 1).

    On a face every KKT quantity is affine in t (w, ν, λ and so every violation amount);
    from the amounts at t_cur and t_cur/2 a ratio test gives the breakpoint t_b < t_cur where
    the first constraint of the face would break. If the face's own root t_f of
    ``vol(t) = c`` lies in [t_b, t_cur], its point is checked (every KKT condition at t_f)
    and, passing, is the cone problem's answer; otherwise the constraints breaking at t_b
    switch and the path goes on from t_b. A face optimal down to t = 0 without reaching
    the ceiling holds the minimum-variance answer: re-solved (KKT-checked) at t = 0 from
    that face and above the ceiling, it proves the ceiling infeasible. Problems that leave
    (a failed check, a degenerate breakpoint) keep the last face optimal at t_cur and the
    bracket [0, t_cur] for the bracketed search.

    Returns (done, w, ν, λ, t, primal, dual, complementarity, steps used, t_hi,
    infeasible), where infeasible rows of w hold the minimum-variance answer (the proof);
    faces in place on ``act``.
    """
    k, n = sub.size, sub.n
    max_iter = max_iter or 30 + 2 * n
    floor = np.zeros(k, dtype=bool)
    done = np.zeros(k, dtype=bool)
    w = np.zeros((k, n))
    nu = np.zeros((k, sub.n_rows))
    lam = np.zeros(k)
    t = np.ones(k)
    prim = np.full(k, np.inf)
    dual = np.full(k, np.inf)
    comp = np.full(k, np.inf)
    used = np.zeros(k, dtype=np.int64)
    t_cur = np.ones(k)
    live = np.flatnonzero(sub.risk_weight > 0)
    for _ in range(steps):
        if not len(live):
            break
        ls, la = sub.take(live), act.take(live)
        wc, nc, lc, wl, nl, ll = solve_active_set_affine(ls, la)
        used[live] += 1
        tc = t_cur[live]
        th = 0.5 * tc

        def at(tv: FloatArray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
            _, _, dom, amt = kkt_check(ls.with_linear_factor(tv), la, wc + tv[:, None] * wl,
                                       nc + tv[:, None] * nl, lc + tv * ll, -np.inf)
            return dom, amt

        dom, amt_c = at(tc)
        _, amt_h = at(th)
        dom["wrong_side"] &= la.sign != 0  # (sign 0: not affine in t; verified below)
        t_b = np.zeros(len(live))
        cross: dict[str, np.ndarray] = {}
        for key, d in dom.items():
            a_c, a_h = amt_c[key], amt_h[key]
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (a_c - a_h) / (tc - th).reshape((-1,) + (1,) * (a_c.ndim - 1))
                # amount(t) = a_c + slope·(t − t_cur) reaches 0 at t_c (rising as t falls)
                tcr = np.where(d & np.isfinite(a_c) & (slope < 0),
                               (tc.reshape(slope.shape[:1] + (1,) * (a_c.ndim - 1))
                                - a_c / np.where(slope < 0, slope, -1.0)), -np.inf)
            cross[key] = tcr
            t_b = np.maximum(t_b, tcr.reshape(len(live), -1).max(axis=1, initial=-np.inf)
                             if tcr.ndim > 1 else tcr)
        t_b = np.minimum(t_b, tc)
        # the first crossing of the ceiling as t falls from t_cur: the largest root of
        # (w_c + t w_l)ᵀP(w_c + t w_l) = c² in [t_b, t_cur]
        a2 = _vol2(ls, wl)
        a1 = np.einsum("bi,ij,bj->b", wc, ls.P, wl)
        a0 = _vol2(ls, wc) - cap2[live]
        disc = a1 * a1 - a2 * a0
        with np.errstate(invalid="ignore", divide="ignore"):
            sq = np.sqrt(np.maximum(disc, 0.0))
            den = np.where(a2 > 0, a2, 1.0)
            roots = np.where(((a2 > 0) & (disc >= 0))[:, None],
                             np.stack([(-a1 + sq) / den, (-a1 - sq) / den], axis=1), np.nan)
        inside = (roots >= (t_b - 1e-12)[:, None]) & (roots <= (tc + 1e-12)[:, None]) & (
            roots > 0)
        tf = np.where(inside, roots, -np.inf).max(axis=1)
        on_face = np.isfinite(tf)
        tt = np.where(on_face, tf, t_b)
        lt = ls.with_linear_factor(np.where(on_face, tf, 1.0))
        wv = wc + tt[:, None] * wl
        nv = nc + tt[:, None] * nl
        lv = lc + tt * ll
        good = np.zeros(len(live), dtype=bool)
        if on_face.any():
            o = np.flatnonzero(on_face)
            pv, dv, _, _ = kkt_check(lt.take(o), la.take(o), wv[o], nv[o], lv[o], tol)
            ok_o = (pv <= tol) & (dv <= tol)
            good[o[ok_o]] = True
            g = live[o[ok_o]]
            done[g] = True
            w[g], nu[g], lam[g], t[g] = wv[o[ok_o]], nv[o[ok_o]], lv[o[ok_o]], tt[o[ok_o]]
            prim[g], dual[g] = pv[ok_o], dv[ok_o]
            sel = o[ok_o]
            comp[g] = complementarity(lt.take(sel), la.take(sel), wv[sel], nv[sel], lv[sel])
        # the rest move to their breakpoint (still above the ceiling there, else the
        # crossing was missed: they stop) and switch what breaks there
        wb = wc + t_b[:, None] * wl
        above = ~on_face & (_vol2(ls, wb) > cap2[live])
        move = above & (t_b > 0)
        if move.any():  # the face must still be optimal at t_b (a missed breakpoint: stop)
            mv = np.flatnonzero(move)
            pb, db, _, _ = kkt_check(ls.take(mv).with_linear_factor(t_b[mv]), la.take(mv),
                                     wb[mv], nc[mv] + t_b[mv, None] * nl[mv],
                                     lc[mv] + t_b[mv] * ll[mv], tol)
            move[mv[(pb > tol) | (db > tol)]] = False
        # optimal down to t = 0 (no breakpoint left) and still above: the minimum variance
        # is above the ceiling, re-solved (checked) at t = 0 from this face
        low = np.flatnonzero(above & (t_b <= 0))
        if len(low):
            mvs = active_set_solve(ls.take(low).with_linear_factor(np.zeros(len(low))),
                                   la.take(low), max_iter=max_iter, full_steps=5, tol=tol,
                                   stall=1 if n <= 100 else 3)
            g = live[low]
            used[g] += mvs.iterations
            proof = mvs.ok & (_vol2(ls.take(low), mvs.w) > cap2[g] * (1 + 1e-12))
            floor[g[proof]] = True
            w[g[proof]] = mvs.w[proof]
            act.put(g[mvs.ok], mvs.active.take(mvs.ok))
        if not move.any():
            break
        mv = np.flatnonzero(move)
        m = {}
        for key, tcr in cross.items():
            tb = t_b[mv].reshape((-1,) + (1,) * (tcr.ndim - 1))
            m[key] = tcr[mv] >= tb - 1e-12 * np.maximum(1.0, tb)
        la_m = la.take(mv)
        update_active_set(ls.take(mv).with_linear_factor(t_b[mv]), la_m, m)
        act.put(live[mv], la_m)
        t_cur[live[mv]] = t_b[mv]
        live = live[mv]
    return done, w, nu, lam, t, prim, dual, comp, used, t_cur, floor


def _ceiling_search(sf: StandardForm, sol: KernelSolution, idx: np.ndarray, tol: float,
                    max_iter: int) -> None:
    """The batched search on t for the problems ``idx`` (in place on ``sol``): first
    :func:`_ceiling_path` (most problems end there), then for the rest the safeguarded
    bracketed search of the module docstring."""
    sub = sf.take(idx)
    k = len(idx)
    cap2 = sub.vol_cap ** 2
    pure = sub.risk_weight <= 0
    t_lo = np.zeros(k)
    t_hi = np.where(pure, np.inf, 1.0)
    act = sol.active.take(idx)
    (f_done, f_w, f_nu, f_lam, f_t, f_prim, f_dual, f_comp, f_used, f_hi,
     f_floor) = _ceiling_path(sub, act, cap2, tol, max_iter=max_iter)
    t_hi = np.where(pure, t_hi, f_hi)
    # where t = 1 was solved and breaks the ceiling, it is the bracket's upper end
    vol2_1 = _vol2(sub, sol.w[idx])
    t_hi = np.where(pure & (vol2_1 > cap2), 1.0, t_hi)
    t_lo = np.where(pure & (vol2_1 <= cap2), 1.0, t_lo)
    t = np.ones(k)
    done = np.zeros(k, dtype=bool)
    infeasible = np.zeros(k, dtype=bool)
    res: ActiveSetOutcome | None = None
    w = sol.w[idx].copy()
    nu = sol.nu[idx].copy()
    lam = np.zeros(k)
    prim = np.full(k, np.inf)
    dual = np.full(k, np.inf)
    comp = np.full(k, np.inf)
    iters = sol.iterations[idx].copy()
    checked_min = np.zeros(k, dtype=bool)
    lp_corner = np.zeros(k, dtype=bool)
    if f_done.any():
        done[f_done] = True
        w[f_done], nu[f_done], lam[f_done], t[f_done] = (f_w[f_done], f_nu[f_done],
                                                         f_lam[f_done], f_t[f_done])
        prim[f_done], dual[f_done], comp[f_done] = (f_prim[f_done], f_dual[f_done],
                                                    f_comp[f_done])
    if f_floor.any():  # the minimum variance above the ceiling, proved on the path
        infeasible[f_floor] = done[f_floor] = checked_min[f_floor] = True
        w[f_floor] = f_w[f_floor]
    iters += f_used
    for _ in range(CEILING_ITERATIONS):
        live = np.flatnonzero(~done)
        if not len(live):
            break
        ls = sub.take(live)
        la = act.take(live)
        # Newton point on the current face: (w_c + t w_l)ᵀP(w_c + t w_l) = c²
        wc, _, _, wl, _, _ = solve_active_set_affine(ls, la)
        t_face = _face_root(ls, wc, wl, cap2[live])
        lo, hi = t_lo[live], t_hi[live]
        # a pure return objective on a face that no longer moves with t, below its ceiling:
        # the linear program's corner (the ceiling does not bind); certified with P = 0
        corner = (pure[live] & ~np.isfinite(hi) & (np.abs(wl).max(axis=1) <= 1e-13)
                  & (_vol2(ls, wc) < cap2[live]) & (lo >= 1.0))
        if corner.any():
            c = np.flatnonzero(corner)
            lp = ls.take(c)
            lp.P = np.zeros_like(lp.P)
            ca = la.take(c)
            wz, nz, lz = solve_active_set(lp, ca)
            pz, dz, _, _ = kkt_check(lp, ca, wz, nz, lz, tol)
            good = (pz <= tol) & (dz <= tol)
            j = live[c[good]]
            w[j], nu[j], lam[j] = wz[good], nz[good], lz[good]
            prim[j], dual[j] = pz[good], dz[good]
            comp[j] = complementarity(lp.take(good), ca.take(good), wz[good], nz[good],
                                      lz[good])
            t[j] = 1.0  # reported with ρ = 0: the residuals above are the LP's own
            lp_corner[j] = True
            done[j] = True
            keep = ~np.isin(live, j)
            live, ls, la = live[keep], ls.take(keep), la.take(keep)
            wc, wl, t_face = wc[keep], wl[keep], t_face[keep]
            lo, hi = lo[keep], hi[keep]
            if not len(live):
                break
        # no upper end yet (a pure objective): at most a tenfold step
        hi_step = np.where(np.isfinite(hi), hi, 10 * np.maximum(lo, 1.0))
        inside = np.isfinite(t_face) & (t_face > lo) & (t_face < hi_step)
        mid = np.where(np.isfinite(hi), 0.5 * (lo + hi), hi_step)
        t_new = np.where(inside, t_face, mid)
        # re-solve the QP at t_new, warm from the face (as :func:`solve` does: full steps
        # while they make progress, then one change per step; the continuation if stalled)
        at_t = ls.with_linear_factor(t_new)
        res = active_set_solve(at_t, la, max_iter=max_iter, full_steps=5, tol=tol,
                               stall=1 if sub.n <= 100 else 3)
        if not res.ok.all():
            _rescue(at_t, res, tol, max_iter)
        iters[live] += res.iterations + 1
        v2 = _vol2(ls, res.w)
        exact = inside & res.ok & (res.iterations == 1) & (
            np.abs(v2 - cap2[live]) <= 1e-12 * (1 + cap2[live]))
        # only a settled QP answer moves the bracket (an unsettled one says nothing of vol(t))
        below = res.ok & (v2 <= cap2[live])
        above = res.ok & (v2 > cap2[live])
        t_lo[live] = np.where(below, np.maximum(lo, t_new), lo)
        t_hi[live] = np.where(above, np.minimum(hi, t_new), hi)
        done[live[~res.ok]] = True  # not settled even by the continuation: reported not ok
        act.put(live, res.active)
        t[live] = t_new
        w[live], nu[live], lam[live] = res.w, res.nu, res.lam
        prim[live], dual[live], comp[live] = (res.primal_residual, res.dual_residual,
                                              res.complementarity)
        done[live[exact]] = True
        # a ceiling below the minimum variance: t → 0 without reaching it
        tiny = ~done[live] & (t_hi[live] < MIN_VARIANCE_CHECK) & ~checked_min[live]
        if tiny.any():
            j = live[tiny]
            mv = active_set_solve(sub.take(j).with_linear_factor(np.zeros(len(j))),
                                  act.take(j), max_iter=max_iter, tol=tol)
            checked_min[j] = True
            infeasible[j] = mv.ok & (_vol2(sub.take(j), mv.w) > cap2[j] * (1 + 1e-12))
            done[j[infeasible[j]]] = True
            w[j[infeasible[j]]] = mv.w[infeasible[j]]  # the proof: the lowest volatility
        huge = ~done[live] & (t_lo[live] >= MAX_LINEAR_FACTOR)
        done[live[huge]] = True  # the ceiling never binds: flagged not ok below
    # report the cone problem's residuals: the QP's at t, rescaled by 1/t
    rw = sub.risk_weight
    rho_s = np.where(done & ~infeasible & ~lp_corner,
                     (1.0 / np.maximum(t, 1e-300) - rw) / 2, 0.0)
    v2 = _vol2(sub, w)
    prim_c = np.maximum(prim, np.maximum(v2 - cap2, 0.0))
    inv_t = np.where(lp_corner, 1.0, 1.0 / np.maximum(t, 1e-300))
    dual_c = dual * inv_t
    comp_c = np.maximum(comp * inv_t, rho_s * np.abs(cap2 - v2))
    ok = done & ~infeasible & (rho_s >= -tol) & (prim_c <= tol) & (dual_c <= tol) & (
        comp_c <= tol) & (t_lo < MAX_LINEAR_FACTOR)
    sol.w[idx] = w
    sol.nu[idx] = nu * inv_t[:, None]
    sol.ok[idx] = ok
    sol.infeasible[idx] = infeasible
    sol.primal[idx], sol.dual[idx], sol.complementarity[idx] = prim_c, dual_c, comp_c
    sol.iterations[idx] = iters
    sol.linear_factor[idx] = t
    sol.ceiling_multiplier[idx] = rho_s * sub.scale / sub.variance_scale
    sol.active.put(idx, act)


# --------------------------------------------------------------------------- max Sharpe


def homogeneous_form(sf: StandardForm, excess: FloatArray) -> StandardForm:
    """The maximum-Sharpe problem of the w-space form ``sf`` (B = 1) in x = (y, k).

    ``excess`` (n,) is μ − r_f in any units (normalised to unit max-norm here).
    """
    n = sf.n
    e = np.asarray(excess, float)
    e = e / max(float(np.abs(e).max(initial=0.0)), 1e-300)
    lo, up = sf.lower[0], sf.upper[0]
    named: list[tuple[str, FloatArray, FloatArray, FloatArray]] = [
        ("normalisation", np.concatenate([e, [0.0]]), np.ones(1), np.ones(1)),
        ("budget", np.concatenate([np.ones(n), [-1.0]]), np.zeros(1), np.zeros(1)),
    ]
    for r in range(sf.n_rows):
        if sf.row_names[r] == "budget":
            continue
        a, rl, rh = sf.A[r], sf.row_lo[0, r], sf.row_hi[0, r]
        if np.isfinite(rl) and np.isfinite(rh) and rl == rh:
            named.append((sf.row_names[r], np.concatenate([a, [-rl]]), np.zeros(1), np.zeros(1)))
            continue
        if np.isfinite(rl):
            named.append((sf.row_names[r] + ":lo", np.concatenate([a, [-rl]]), np.zeros(1),
                          np.full(1, np.inf)))
        if np.isfinite(rh):
            named.append((sf.row_names[r] + ":hi", np.concatenate([a, [-rh]]),
                          np.full(1, -np.inf), np.zeros(1)))
    ylo = np.zeros(n + 1)
    yhi = np.full(n + 1, np.inf)
    for j in np.flatnonzero(lo > 0):  # y_j − l_j k ≥ 0
        row = np.zeros(n + 1)
        row[j], row[n] = 1.0, -lo[j]
        named.append((f"lower:{j}", row, np.zeros(1), np.full(1, np.inf)))
    yhi[:n] = np.where(up <= 0, 0.0, np.inf)
    for j in np.flatnonzero((up > 0) & (up < 1)):  # y_j − u_j k ≤ 0
        row = np.zeros(n + 1)
        row[j], row[n] = 1.0, -up[j]
        named.append((f"upper:{j}", row, np.full(1, -np.inf), np.zeros(1)))
    A, names, row_lo, row_hi = assemble_rows(n + 1, 1, named)
    P = np.zeros((n + 1, n + 1))
    P[:n, :n] = sf.P
    z = np.zeros((1, n + 1))
    return StandardForm(P, A, names, z.copy(), ylo[None, :], yhi[None, :], z.copy(), z.copy(),
                        row_lo, row_hi, np.array([np.inf]), np.ones(1), np.full(1, np.inf),
                        np.ones(1), sf.variance_scale, np.full(1, np.inf))


def max_sharpe(sf: StandardForm, excess: FloatArray, *, tol: float = KKT_TOLERANCE,
               active: ActiveSet | None = None) -> tuple[KernelSolution, StandardForm | None]:
    """Maximum Sharpe ratio under ``sf``'s linear constraints (B = 1; no costs).

    First on the frontier's faces in w-space (:mod:`tailorfolio.kernel._tangency`: the
    maximum-utility answer at the risk aversion where ``wᵀΣw = t·eᵀw``; residuals of that
    problem plus the tangency condition); when that does not settle, the homogeneous QP.
    Returns the solution and the homogeneous form (None when the w-space path answered);
    pass ``solution.active`` back as ``active`` to warm-start a related solve with the same
    structure. A ceiling in ``sf`` is NOT applied here: the caller
    checks the tangency portfolio's volatility and, when it exceeds the ceiling, solves the
    pure-return problem at the ceiling (the best Sharpe ratio under a binding ceiling).
    """
    if eligible(sf) and not sf.q.any():  # on the frontier's faces, in w-space
        found = tangency_single(sf, excess, tol, active)
        if found is not None:
            out, t = found
            return KernelSolution(out.w, out.ok, np.zeros(1, dtype=bool), out.primal_residual,
                                  out.dual_residual, out.complementarity, out.iterations,
                                  np.array([t]), np.zeros(1), out.active, out.nu,
                                  sf.variance_scale, tol), None
    hf = homogeneous_form(sf, excess)
    if active is not None and active.row.shape != (1, hf.n_rows):
        active = None
    sol = solve(hf, active=active, tol=tol)
    x = sol.w[0]
    k = x[-1]
    ok = bool(sol.ok[0]) and k > 0
    w = np.clip(x[:-1] / k, sf.lower[0], sf.upper[0]) if k > 0 else np.full(sf.n, np.nan)
    out = KernelSolution(w[None, :], np.array([ok]), np.zeros(1, dtype=bool), sol.primal,
                         sol.dual, sol.complementarity, sol.iterations, sol.linear_factor,
                         sol.ceiling_multiplier, sol.active, sol.nu, sol.scale, tol)
    return out, hf


def free_count(sol: KernelSolution) -> np.ndarray:
    """Number of free (strictly interior) variables per problem."""
    return (sol.active.var == FREE).sum(axis=1)


def point_residuals(sf: StandardForm, w: FloatArray, act: ActiveSet,
                    tol: float = KKT_TOLERANCE) -> KKTReport:
    """The KKT residuals of an arbitrary point ``w`` (n,) of problem 0 of ``sf`` (a conic
    solver's raw answer), with the multipliers of the guessed active set ``act``'s exact
    face; ``polished`` is False."""
    _, nu, lam = solve_active_set(sf, act)
    x = np.asarray(w, float)[None, :]
    prim, dual, _, _ = kkt_check(sf, act, x, nu, lam, tol)
    comp = complementarity(sf, act, x, nu, lam)
    p = float(prim[0])
    if np.isfinite(sf.vol_cap[0]):
        p = max(p, float(_vol2(sf, x)[0] - sf.vol_cap[0] ** 2))
    return KKTReport(p, float(dual[0]), float(comp[0]), float(tol), False, 1,
                     float(sf.variance_scale))
