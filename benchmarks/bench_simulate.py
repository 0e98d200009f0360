"""Benchmark of the Monte Carlo engine and the goal DP (run by `make bench`).

Workload: 10,000 paths × 40 years of monthly steps × the default universe (16 assets plus
stochastic inflation), monthly contributions, yearly withdrawals in the last 15 years (taxable /
traditional / Roth buckets), fees, yearly rebalancing. Compared with this machine's own limits:

* random-number floor: drawing the same number of standard normals with the same generator
  (numpy's default_rng: PCG64, ziggurat) into a reused buffer — the engine cannot be faster
  than its random numbers; engine and floor are timed in turn (interleaved) and the ratio of
  their medians is printed with the ratio of their best runs (the machine is shared);
* memory-bandwidth pass: in-place multiplies over a 64 MiB array, as many elements as there
  are random numbers (read + write of every number once, out of cache);
* a straightforward per-path loop (each path simulated month by month with numpy on the
  asset vector), timed on a subset of paths and scaled linearly to 10,000.

Also: peak traced memory for 100,000 paths (chunked, 10,000 per chunk) versus the size of the
full array of draws, and the time of the Das et al. DP base case (goal: under a second).
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tailorfolio.goals import das_base_case, solve_goal_dp
from tailorfolio.market import default_market
from tailorfolio.simulate._threads import single_threaded_blas
from tailorfolio.simulate import (
    GoalSchedule,
    LognormalModel,
    Pot,
    SimulationSpec,
    TaxTreatment,
    simulate,
)

N_PATHS = 10_000
YEARS = 40
N_STEPS = 12 * YEARS
REPEATS = 5


def workload():
    market = default_market()
    tickers = tuple(market.tickers)
    n = len(tickers)
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    w = np.full(n, 1 / n)
    contrib = np.zeros(N_STEPS)
    contrib[: 12 * 25] = 1_500.0
    wd = np.zeros(N_STEPS)
    wd[12 * 25::12] = 60_000.0
    pot = Pot("household", w, np.array([200_000.0, 150_000.0, 50_000.0]), 150_000.0, contrib,
              np.array([0.5, 0.4, 0.1]))
    spec = SimulationSpec(tickers, N_STEPS, (pot,),
                          (GoalSchedule("retirement", 0, 0, wd, "income"),),
                          np.array([market.universe[t].expense_ratio for t in tickers]), 25.0,
                          12, TaxTreatment(0.28, 0.2))
    return spec, model


def timed(fn, repeats: int = 3) -> float:
    out = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def per_path_loop(spec: SimulationSpec, model: LognormalModel, n_paths: int) -> None:
    """The straightforward way: one path at a time, month by month."""
    rng = np.random.default_rng(0)
    upper = np.linalg.cholesky(model.monthly_log_cov).T
    mean = model.monthly_log_mean
    pot = spec.pots[0]
    w = np.asarray(pot.weights)
    fee = spec.monthly_fee_factor()
    wd = spec.goals[0].real_withdrawal
    for _ in range(n_paths):
        h = pot.initial_total * w
        price = 1.0
        for t in range(spec.n_steps):
            if pot.monthly_contribution[t] > 0:
                h = h + pot.monthly_contribution[t] * w
            if wd[t] > 0:
                v = h.sum()
                take = min(wd[t] * price / (1 - 0.28), v)
                h = h * (1 - take / v) if v > 0 else h
            if t % 12 == 0 and t > 0:
                h = h.sum() * w
            x = rng.standard_normal(len(mean)) @ upper + mean
            h = h * np.exp(x[:-1]) * fee
            price *= np.exp(x[-1])


def rng_floor(n_assets: int):
    """The engine's random-number floor: the same count of standard normals from the same
    generator (PCG64, ziggurat), drawn the fastest way numpy can — one month of every path per
    call, into one reused buffer (no allocation, no other work)."""
    buf = np.empty((N_PATHS, n_assets + 1))

    def draw() -> None:
        rng = np.random.default_rng(1)
        for _ in range(N_STEPS):
            rng.standard_normal(out=buf)

    return draw


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Wall and CPU times of each function, run in turn ``repeats`` times (A B A B …), so a
    change in the machine's load hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    times.update({f"{name} cpu": [] for name in fns})
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - t0)
            times[f"{name} cpu"].append(time.process_time() - c0)
    return times


def main() -> None:
    spec, model = workload()
    n_normals = N_PATHS * N_STEPS * (len(spec.tickers) + 1)
    simulate(spec, model, 500, 0)  # warm-up

    runs = interleaved({"engine": lambda: simulate(spec, model, N_PATHS, 1),
                        "floor": rng_floor(len(spec.tickers))}, repeats=REPEATS)
    t_engine, t_rng = statistics.median(runs["engine"]), statistics.median(runs["floor"])
    best_ratio = min(runs["engine"]) / min(runs["floor"])
    cpu_ratio = (statistics.median(runs["engine cpu"])
                 / statistics.median(runs["floor cpu"]))
    big = 8 * 2**20  # 64 MiB of float64, far beyond the caches
    buf = np.ones(big)
    passes = n_normals / big

    def bandwidth() -> None:
        for _ in range(int(passes)):
            np.multiply(buf, 1.0000001, out=buf)
        np.multiply(buf[: int((passes % 1) * big)], 1.0000001,
                    out=buf[: int((passes % 1) * big)])

    t_bw = timed(bandwidth)
    loop_paths = 100
    with single_threaded_blas():  # the same BLAS setting as the engine
        t_loop = timed(lambda: per_path_loop(spec, model, loop_paths), repeats=1) * (
            N_PATHS / loop_paths)

    tracemalloc.start()
    simulate(spec, model, 100_000, 2, chunk_size=10_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full_bytes = 100_000 * N_STEPS * (len(spec.tickers) + 1) * 8

    problem = das_base_case()
    solve_goal_dp(problem)
    t_dp = timed(lambda: solve_goal_dp(problem), repeats=5)
    dp = solve_goal_dp(problem)

    print(f"Monte Carlo engine: {N_PATHS:,} paths × {YEARS} years monthly × "
          f"{len(spec.tickers)} assets + inflation ({n_normals / 1e6:,.1f} M normals), "
          "cash flows, taxes, fees, yearly rebalancing")
    rows = [
        ("tailorfolio simulate (vectorised, chunked)", t_engine),
        ("random-number floor: same normals, same generator", t_rng),
        ("memory-bandwidth pass over the same array", t_bw),
        (f"per-path loop (timed on {loop_paths} paths, scaled)", t_loop),
    ]
    print(f"{'workload':<52}{'seconds':>10}{'engine / this':>15}")
    for name, sec in rows:
        print(f"{name:<52}{sec:>10.3f}{t_engine / sec:>15.2f}")
    print(f"engine / random-number floor = {t_engine / t_rng:.2f} (median of {REPEATS} "
          f"interleaved runs; best run / best run = {best_ratio:.2f}; CPU time "
          f"{cpu_ratio:.2f}; goal <= 1.3); per-path loop / engine = {t_loop / t_engine:.0f}x")
    print(f"peak traced memory, 100,000 paths chunked by 10,000: {peak / 2**20:,.0f} MiB "
          f"(all draws at once would be {full_bytes / 2**30:,.1f} GiB)")
    print(f"DP base case (Das et al.: W0 100, G 200, T 10, 15 portfolios, "
          f"{len(dp.wealth_grid)} grid points): {t_dp * 1000:.0f} ms (goal < 1 s); "
          f"P = {dp.probability:.4f} vs best static {dp.static_probabilities.max():.4f}")


if __name__ == "__main__":
    main()
