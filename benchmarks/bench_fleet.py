"""Fleet benchmark: personalized max-utility solves per second, and a 50-point frontier.

Run by ``make bench`` (or ``python benchmarks/bench_fleet.py [--quick]``). Everything runs in
ONE process on the same generated inputs:

* **Fleet table** — for a 15- and a 50-asset universe (a seeded factor model), one synthetic
  book of investors (risk aversion, per-asset caps, exclusions, class floors/ceilings, ESG
  floors and tilts, holdings with linear costs, turnover caps). tailorfolio solves the whole
  book (batched, one process; and two worker processes); the peers solve the first investors
  of the SAME book one at a time, as their users would: PyPortfolioOpt (a new
  ``EfficientFrontier`` per investor), skfolio (a ``MeanRisk`` fit per investor) and a
  hand-written cvxpy model with Parameters re-solved by Clarabel. Printed: investors/second,
  tailorfolio's speed-up, and each method's worst utility shortfall relative to the best
  answer any method found for that investor (1e-6 is the accuracy goal).
* **Frontier table** — a 50-point return-targeted frontier at N = 200 (long-only): tailorfolio
  vs PyPortfolioOpt (``efficient_return`` per point, and its critical line algorithm),
  skfolio (``efficient_frontier_size=50``), the cvxpy Parameter loop and the foundation's
  ``PortfolioOptimizer.frontier``.

Timings are wall-clock medians of repeats (one run for the slow peers); the machine's load
average is printed before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from tailorfolio.fleet import (
    FleetModel,
    InvestorBatch,
    batched_frontier,
    factor_model_universe,
    solve_batch,
    synthetic_book,
)
from tailorfolio.fleet._solver import single_threaded_blas

warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------- shared inputs


def market_with_returns(n: int, seed: int, t_obs: int = 1500):
    """A factor-model universe and returns drawn from it; every method uses the sample
    mean and covariance of these returns (skfolio re-estimates them itself)."""
    base = factor_model_universe(n, seed=seed)
    rng = np.random.default_rng(seed + 100)
    x = rng.multivariate_normal(base.expected_return, base.covariance, size=t_obs)
    mu = x.mean(axis=0)
    cov = np.cov(x, rowvar=False, ddof=1)
    model = FleetModel(base.tickers, mu, cov, base.group_names, base.group_matrix,
                       base.esg_scores, base.asset_tags, base.risk_free_rate)
    return model, x


def utility(model: FleetModel, b: InvestorBatch, i: int, w: np.ndarray) -> float:
    mu = model.expected_return + b.esg_tilt[i] * model.esg_vector() / 100
    return float(mu @ w - 0.5 * b.risk_aversion[i] * w @ model.covariance @ w
                 - b.cost_rate[i] @ np.abs(w - b.current_weights[i]))


# --------------------------------------------------------------------------- peers: fleet


def solve_pypfopt(model: FleetModel, b: InvestorBatch, i: int) -> np.ndarray:
    import cvxpy as cp
    from pypfopt import EfficientFrontier

    n = model.n_assets
    mu = model.expected_return + b.esg_tilt[i] * model.esg_vector() / 100
    ef = EfficientFrontier(mu, model.covariance,
                           weight_bounds=list(zip(b.lower[i], b.upper[i])), solver="CLARABEL")
    for g in range(model.n_groups):
        row = model.group_matrix[g]
        if b.group_min[i, g] > 0:
            ef.add_constraint(lambda w, row=row, v=b.group_min[i, g]: row @ w >= v)
        if b.group_max[i, g] < 1:
            ef.add_constraint(lambda w, row=row, v=b.group_max[i, g]: row @ w <= v)
    if np.isfinite(b.min_esg_score[i]):
        s = model.esg_vector()
        ef.add_constraint(lambda w, v=b.min_esg_score[i]: s @ w >= v)
    w0, c = b.current_weights[i], b.cost_rate[i]
    if c.any():
        ef.add_objective(lambda w: c @ cp.abs(w - w0))
    if np.isfinite(b.max_turnover[i]):
        ef.add_constraint(lambda w, tau=b.max_turnover[i]: cp.norm1(w - w0) <= tau)
    ef.max_quadratic_utility(risk_aversion=float(b.risk_aversion[i]))
    return np.array([ef.weights[j] for j in range(n)]) if isinstance(ef.weights, dict) \
        else np.asarray(ef.weights)


def solve_skfolio(model: FleetModel, x: np.ndarray, b: InvestorBatch, i: int) -> np.ndarray:
    import cvxpy as cp
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    rows, rhs = [], []
    for g in range(model.n_groups):
        if b.group_min[i, g] > 0:
            rows.append(-model.group_matrix[g])
            rhs.append(-b.group_min[i, g])
        if b.group_max[i, g] < 1:
            rows.append(model.group_matrix[g])
            rhs.append(b.group_max[i, g])
    if np.isfinite(b.min_esg_score[i]):
        rows.append(-model.esg_vector())
        rhs.append(-b.min_esg_score[i])
    w0 = b.current_weights[i]
    extra = None
    if np.isfinite(b.max_turnover[i]):
        tau = float(b.max_turnover[i])

        def extra(w):
            return [cp.norm1(w - w0) <= tau]
    tilt = b.esg_tilt[i] * model.esg_vector() / 100
    opt = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
        risk_aversion=float(b.risk_aversion[i]) / 2,  # skfolio: μw − λ·wᵀΣw
        min_weights=b.lower[i], max_weights=b.upper[i],
        transaction_costs=b.cost_rate[i], previous_weights=w0,
        left_inequality=np.array(rows) if rows else None,
        right_inequality=np.array(rhs) if rows else None,
        add_constraints=extra,
        overwrite_expected_return=(lambda w: (model.expected_return + tilt) @ w),
        solver="CLARABEL",
    )
    opt.fit(x)
    return np.asarray(opt.weights_)


class CvxpyParameterModel:
    """A hand-written cvxpy model with Parameters (DPP), compiled once, re-solved."""

    def __init__(self, model: FleetModel):
        import cvxpy as cp

        n, k = model.n_assets, model.n_groups
        self.cp = cp
        self.w = cp.Variable(n)
        self.t = cp.Variable(n)
        self.mu = cp.Parameter(n)
        self.half_gamma_sqrt = cp.Parameter(nonneg=True)
        self.lo, self.hi = cp.Parameter(n), cp.Parameter(n)
        self.gmin, self.gmax = cp.Parameter(k), cp.Parameter(k)
        self.floor = cp.Parameter()
        self.w0 = cp.Parameter(n)
        self.cost = cp.Parameter(n, nonneg=True)
        self.tau = cp.Parameter(nonneg=True)
        f = np.linalg.cholesky(model.covariance).T
        w, t = self.w, self.t
        obj = (self.mu @ w - cp.sum_squares(self.half_gamma_sqrt * (f @ w)) - self.cost @ t)
        cons = [cp.sum(w) == 1, w >= self.lo, w <= self.hi,
                model.group_matrix @ w >= self.gmin, model.group_matrix @ w <= self.gmax,
                model.esg_vector() @ w >= self.floor, t >= w - self.w0, t >= self.w0 - w,
                cp.sum(t) <= self.tau]
        self.problem = cp.Problem(cp.Maximize(obj), cons)
        self.model = model

    def solve(self, b: InvestorBatch, i: int) -> np.ndarray:
        m = self.model
        self.mu.value = m.expected_return + b.esg_tilt[i] * m.esg_vector() / 100
        self.half_gamma_sqrt.value = float(np.sqrt(b.risk_aversion[i] / 2))
        self.lo.value, self.hi.value = b.lower[i], b.upper[i]
        self.gmin.value, self.gmax.value = b.group_min[i], b.group_max[i]
        self.floor.value = (float(b.min_esg_score[i]) if np.isfinite(b.min_esg_score[i])
                            else -1e3)
        self.w0.value, self.cost.value = b.current_weights[i], b.cost_rate[i]
        self.tau.value = float(b.max_turnover[i]) if np.isfinite(b.max_turnover[i]) else 1e3
        self.problem.solve(solver="CLARABEL")
        if self.problem.status != "optimal":
            raise RuntimeError(self.problem.status)
        return np.asarray(self.w.value)


# --------------------------------------------------------------------------- fleet table


_POOL_MODEL: FleetModel | None = None


def _pool_init(model: FleetModel) -> None:
    global _POOL_MODEL
    _POOL_MODEL = model


def _pool_solve(batch: InvestorBatch) -> int:
    assert _POOL_MODEL is not None
    return int((solve_batch(_POOL_MODEL, batch).status == "optimal").sum())


def timed(fn, repeats: int) -> float:
    return timed_cpu(fn, repeats)[0]


def timed_cpu(fn, repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of this process."""
    times, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(times), statistics.median(cpus)


def fleet_rows(n: int, n_book: int, n_peer: int, repeats: int) -> list[tuple]:
    model, x = market_with_returns(n, seed=n)
    book = synthetic_book(model, n_book, seed=1)
    solve_batch(model, book.take(np.arange(50)))  # warm-up (imports, caches)
    res = solve_batch(model, book)
    t_one, cpu_one = timed_cpu(lambda: solve_batch(model, book), repeats)
    chunks = [book.take(np.arange(s, min(s + 2500, n_book))) for s in range(0, n_book, 2500)]
    with ProcessPoolExecutor(2, initializer=_pool_init, initargs=(model,)) as pool:
        list(pool.map(_pool_solve, chunks[:2]))  # start the workers
        t_two = timed(lambda: list(pool.map(_pool_solve, chunks)), repeats)

    peer_ids = [i for i in range(n_book) if res.status[i] == "optimal"][:n_peer]
    sub = [int(i) for i in peer_ids]
    peers: dict[str, tuple[float, list[np.ndarray]]] = {}
    peer_cpu: dict[str, float] = {}
    param = CvxpyParameterModel(model)
    param.solve(book, sub[0])
    for name, fn in (("PyPortfolioOpt (loop)", lambda i: solve_pypfopt(model, book, i)),
                     ("skfolio (loop)", lambda i: solve_skfolio(model, x, book, i)),
                     ("cvxpy Parameters + Clarabel (loop)", lambda i: param.solve(book, i))):
        fn(sub[0])
        with single_threaded_blas():
            start, cpu = time.perf_counter(), time.process_time()
            ws = [fn(i) for i in sub]
            peers[name] = (time.perf_counter() - start, ws)
            peer_cpu[name] = time.process_time() - cpu

    # utility shortfall of each method vs the best answer found for that investor
    ours = {i: utility(model, book, i, res.weights[i]) for i in sub}
    theirs = {name: {i: utility(model, book, i, w) for i, w in zip(sub, ws)}
              for name, (_, ws) in peers.items()}
    best = {i: max([ours[i]] + [theirs[k][i] for k in theirs]) for i in sub}

    def shortfall(vals: dict[int, float]) -> float:
        return max((best[i] - vals[i]) / abs(best[i]) for i in sub)

    rate1 = n_book / t_one
    rate2 = n_book / t_two
    rows = [(n, "tailorfolio batched (1 process)", n_book, t_one, rate1, n_book / cpu_one,
             None, shortfall(ours)),
            (n, "tailorfolio batched (2 processes)", n_book, t_two, rate2, float("nan"), None,
             shortfall(ours))]
    for name, (sec, _) in peers.items():
        rate = len(sub) / sec
        rows.append((n, name, len(sub), sec, rate, len(sub) / peer_cpu[name],
                     max(rate1, rate2) / rate, shortfall(theirs[name])))
    fast = (res.method == "batched").mean()
    kkt = np.nanmax(res.kkt_residual[res.method == "batched"])
    print(f"  n={n}: {fast:.1%} of the book on the batched path, max KKT residual {kkt:.1e}; "
          f"statuses {dict(zip(*np.unique(res.status.astype(str), return_counts=True)))}",
          flush=True)
    return rows


# --------------------------------------------------------------------------- frontier


def frontier_rows(n: int, points: int, repeats: int) -> list[tuple]:
    import cvxpy as cp
    import pandas as pd
    from pypfopt import CLA, EfficientFrontier
    from skfolio.optimization import MeanRisk

    from tailorfolio.optimize import PortfolioOptimizer, unconstrained

    model, x = market_with_returns(n, seed=7)
    mu, cov = model.expected_return, model.covariance
    batched_frontier(model, n_points=5)
    f = batched_frontier(model, n_points=points)
    t_ours = timed(lambda: batched_frontier(model, n_points=points), repeats)
    targets = f.expected_return

    def pypfopt_loop():
        for r in targets[:-1]:
            ef = EfficientFrontier(mu, cov, solver="CLARABEL")
            ef.efficient_return(float(r))
        ef = EfficientFrontier(mu, cov, solver="CLARABEL")
        ef.max_quadratic_utility(risk_aversion=1e-6)  # the top point: the maximum return

    def pypfopt_cla():
        CLA(mu, cov).efficient_frontier(points=points)

    def skfolio_frontier():
        MeanRisk(efficient_frontier_size=points, solver="CLARABEL").fit(x)

    w = cp.Variable(n)
    rp = cp.Parameter()
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cov)),
                      [cp.sum(w) == 1, w >= 0, mu @ w >= rp])

    variances = []

    def cvxpy_loop():
        variances.clear()
        for r in targets:
            rp.value = float(r) - 1e-12
            prob.solve(solver="CLARABEL")
            variances.append(prob.value)

    tick = list(model.tickers)
    mu_s, cov_df = pd.Series(mu, index=tick), pd.DataFrame(cov, index=tick, columns=tick)
    cs = unconstrained(tick)

    def foundation():
        PortfolioOptimizer().frontier(mu_s, cov_df, cs, n_points=points)

    rows = [("tailorfolio batched frontier", t_ours, None)]
    with single_threaded_blas():
        for name, fn in (("PyPortfolioOpt efficient_return (loop)", pypfopt_loop),
                         ("PyPortfolioOpt CLA", pypfopt_cla),
                         ("skfolio MeanRisk(efficient_frontier_size)", skfolio_frontier),
                         ("cvxpy Parameters + Clarabel (loop)", cvxpy_loop),
                         ("tailorfolio foundation PortfolioOptimizer.frontier", foundation)):
            fn()
            rows.append((name, timed(fn, 1 if name.startswith(("PyP", "sk")) else repeats),
                         None))
    cvxpy_loop()
    excess = max((f.volatility[k] ** 2 - variances[k]) / variances[k] for k in range(points))
    print(f"  frontier N={n}: worst relative variance excess vs Clarabel at the same target "
          f"returns: {excess:.1e} (negative = tailorfolio lower)", flush=True)
    peers = [r[1] for r in rows[1:] if r[0].startswith(("PyP", "sk"))]
    return [(name, sec, (sec / t_ours) if name != rows[0][0] else None) for name, sec, _ in
            rows] + [("(fastest peer library)", min(peers), min(peers) / t_ours)]


# --------------------------------------------------------------------------- streaming


def streaming_run(size: int) -> None:
    """Generate a book of ``size`` investors (default universe) on disk and stream it through
    the local engine; print time and peak memory."""
    import tempfile

    from tailorfolio.fleet import run_local, write_synthetic_book
    from tailorfolio.market import default_market

    model = FleetModel.from_market(default_market())
    with tempfile.TemporaryDirectory() as tmp:
        book = os.path.join(tmp, "book.parquet")
        start = time.perf_counter()
        write_synthetic_book(book, model, size, seed=2)
        gen = time.perf_counter() - start
        rep = run_local(model, book, os.path.join(tmp, "plans.parquet"))
        size_mb = os.path.getsize(book) / 2**20
    print(f"Streaming: {size:,} investors, {model.n_assets} assets, local engine "
          f"({rep.workers} processes, chunks of 20,000)")
    print(f"  book written in {gen:,.1f} s ({size_mb:,.0f} MB Parquet); solved in "
          f"{rep.seconds:,.1f} s = {rep.investors_per_second:,.0f} investors/s")
    print(f"  statuses {rep.by_status}; methods {rep.by_method}; max KKT residual "
          f"{rep.max_kkt_residual:.1e}")
    print(f"  peak memory: driver {rep.peak_rss_mb_driver:,.0f} MB, largest worker "
          f"{rep.peak_rss_mb_worker:,.0f} MB")


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--book-size", type=int, default=200_000,
                    help="investors in the streaming run (1000000 for the million-investor run)")
    args = ap.parse_args()
    q = args.quick
    load0 = os.getloadavg()
    print(f"tailorfolio fleet benchmark — {os.cpu_count()} cores, load average "
          f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} at start", flush=True)
    rows = []
    for n, size in ((15, 4_000 if q else 40_000), (50, 2_000 if q else 20_000)):
        rows += fleet_rows(n, size, 10 if q else 60, 1 if q else 3)
    print()
    print("Fleet: personalized max-utility solves (same investors for every method)")
    hdr = (f"{'n':>3}  {'method':<38} {'investors':>9} {'seconds':>8} {'inv/s':>9} "
           f"{'inv/CPU-s':>10} {'tailorfolio ×':>13} {'worst utility gap':>17}")
    print(hdr)
    print("-" * len(hdr))
    for n, name, cnt, sec, rate, per_cpu, ratio, gap in rows:
        rs = f"{ratio:,.0f}×" if ratio else "—"
        pc = f"{per_cpu:,.0f}" if np.isfinite(per_cpu) else "—"
        print(f"{n:>3}  {name:<38} {cnt:>9,} {sec:>8.2f} {rate:>9,.0f} {pc:>10} {rs:>13} "
              f"{gap:>17.1e}")
    print("(inv/s: wall clock; inv/CPU-s: per CPU-second of this process, load-independent; "
          "tailorfolio ×: the faster tailorfolio row's inv/s over the peer's)")
    print()
    fr = frontier_rows(50 if q else 200, 50, 1 if q else 3)
    print(f"Frontier: 50 points, N = {50 if q else 200}, long-only")
    hdr = f"{'method':<52} {'seconds':>8} {'vs tailorfolio':>15}"
    print(hdr)
    print("-" * len(hdr))
    for name, sec, ratio in fr:
        rs = f"{ratio:,.1f}× slower" if ratio else "—"
        print(f"{name:<52} {sec:>8.3f} {rs:>15}")
    print()
    streaming_run(20_000 if q else args.book_size)
    load1 = os.getloadavg()
    print(f"\nload average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")


if __name__ == "__main__":
    main()
