"""Small-problem kernel benchmark: one plan-sized solve, kernel alone and through the optimizer.

Workloads (N = 10, 16, 30, 50; a seeded 3-factor universe, long-only, fully invested, a
30 % minimum on the first third of the assets (the "bond" class) and a 25 % cap per asset):
minimum variance, maximum utility (γ = 3), maximum utility under a binding volatility
ceiling (80 % of the unconstrained answer's volatility: every plan has one) and maximum
Sharpe. ``kernel`` times
``kernel.solve`` (or ``kernel.max_sharpe``) on the compiled standard form, compile included;
``optimizer`` times ``PortfolioOptimizer.optimize`` (validation, the kernel, the result) on
a fresh optimizer each time (a cold solve); ``warm`` times a re-solve by an optimizer that
has just solved the neighbouring problem (risk aversion or returns 10 % apart, as the plan's
candidates, a frontier or a what-if re-solve one structure), which starts from that answer's
active set. ``plan`` rows are the default market's 16 assets (its estimated covariance,
condition number ≈ 4e7) with the same constraints. ``iters`` is the active-set iteration
count the kernel reports (faces solved: dual-method steps, primal-dual steps and faces
walked along the path in t). ``optimizer_cpu_ms`` is the cold optimizer's median CPU time
(``time.process_time``), the number to judge on a shared machine. Every answer's KKT
report is checked (``satisfied``) and a failure is printed. The target (issue 14): a plan-sized solve ≤ 1 ms at N ≤ 50.

Run: ``OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_kernel_small.py [--repeat K]``.
Prints medians over K solves (default 200) in milliseconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from _common import median_ms

from tailorfolio.kernel import from_constraint_set, max_sharpe
from tailorfolio.kernel import solve as kernel_solve
from tailorfolio.optimize import GroupBound, Objective, PortfolioOptimizer, unconstrained

GAMMA = 3.0


def universe(n: int, seed: int = 7) -> tuple[pd.Series, pd.DataFrame]:
    """Annual μ and Σ of a seeded 3-factor model over ``n`` tickers."""
    rng = np.random.default_rng(seed + n)
    loadings = rng.normal(0.0, 0.12, (n, 3))
    cov = loadings @ loadings.T + np.diag(rng.uniform(0.01, 0.06, n) ** 2)
    mu = 0.02 + 0.5 * np.sqrt(np.diag(cov)) * rng.uniform(0.3, 1.0, n)
    tickers = [f"A{i:02d}" for i in range(n)]
    return pd.Series(mu, index=tickers), pd.DataFrame(cov, index=tickers, columns=tickers)


def plan_universe() -> tuple[pd.Series, pd.DataFrame, np.ndarray]:
    """The default market's μ, Σ and bond membership."""
    from tailorfolio.market import default_market

    m = default_market()
    bond = np.array([1.0 if a.broad_class == "bond" else 0.0 for a in m.universe])
    return m.assumptions.expected_return, m.assumptions.covariance, bond


def run(sizes: list[int], repeat: int) -> pd.DataFrame:
    rows = []
    cases: list[tuple[str, pd.Series, pd.DataFrame, np.ndarray]] = []
    for n in sizes:
        mu, cov = universe(n)
        bond = np.zeros(n)
        bond[: n // 3] = 1.0
        cases.append((str(n), mu, cov, bond))
    cases.append(("16 plan", *plan_universe()))
    for label, mu, cov, bond in cases:
        n = len(mu)
        cs = dataclasses.replace(unconstrained(list(mu.index)), upper=np.full(n, 0.25),
                                 groups=(GroupBound("bond", "broad_class", bond, 0.3, 1.0),))
        m, c = mu.to_numpy(), cov.to_numpy()
        free_vol = PortfolioOptimizer().optimize(mu, cov, cs, risk_aversion=GAMMA).volatility
        cap = 0.8 * free_vol  # a binding volatility ceiling, as a plan's risk level sets
        capped = dataclasses.replace(cs, max_volatility=cap)
        kernels: dict[str, Callable[[], object]] = {
            "min_variance": lambda: kernel_solve(from_constraint_set(cs, c)),
            "max_utility": lambda: kernel_solve(from_constraint_set(
                cs, c, expected_return=m, risk_aversion=GAMMA)),
            "max_utility+ceiling": lambda: kernel_solve(from_constraint_set(
                cs, c, expected_return=m, risk_aversion=GAMMA, max_volatility=cap)),
            "max_sharpe": lambda: max_sharpe(from_constraint_set(cs, c), m)[0],
        }
        for name, kern in kernels.items():
            ceiling = name.endswith("+ceiling")
            objective = Objective(name.removesuffix("+ceiling"))
            problem_cs = capped if ceiling else cs
            kw = dict(risk_aversion=GAMMA) if objective is Objective.MAX_UTILITY else {}
            near = (dict(risk_aversion=GAMMA * 1.1) if objective is Objective.MAX_UTILITY
                    else {})
            mu_near = mu if objective is Objective.MAX_UTILITY else mu * 1.1
            res = PortfolioOptimizer().optimize(mu, cov, problem_cs, objective=objective, **kw)
            sol = kern()
            rep = res.kkt
            if not rep.satisfied:
                print(f"KKT NOT satisfied: N={label} {name}: {rep}")
            warm_opt = PortfolioOptimizer()

            def warm() -> object:
                warm_opt.optimize(mu_near, cov, problem_cs, objective=objective, **near)
                t = time.perf_counter()
                warm_opt.optimize(mu, cov, problem_cs, objective=objective, **kw)
                return time.perf_counter() - t

            warm_ms = statistics.median(float(warm()) * 1000 for _ in range(repeat))
            rows.append(dict(
                N=label, workload=name,
                kernel_ms=median_ms(kern, repeat, warm_up=True),
                optimizer_ms=median_ms(lambda: PortfolioOptimizer().optimize(
                    mu, cov, problem_cs, objective=objective, **kw), repeat, warm_up=True),
                optimizer_cpu_ms=median_ms(lambda: PortfolioOptimizer().optimize(
                    mu, cov, problem_cs, objective=objective, **kw), repeat, warm_up=True,
                    clock=time.process_time),
                warm_ms=warm_ms,
                iters=int(sol.iterations[0]), max_residual=rep.max_residual))
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    table = run([10, 16, 30, 50], args.repeat)
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3g}".format):
        print(f"small-problem kernel benchmark (medians of {args.repeat}, ms; target "
              "<= 1 ms at N <= 50)")
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
