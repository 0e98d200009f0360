"""Efficient-frontier benchmark: tailorfolio's exact parametric path vs PyPortfolioOpt,
skfolio and a hand-written cvxpy loop.

Workload: a 50-point return-targeted efficient frontier (minimum variance at 50 expected
returns evenly spaced from the minimum-variance portfolio's to the maximum return),
long-only and fully invested, at N = 20 (skfolio's bundled S&P 500 prices, daily returns
2018–2022), 50, 200 and 500 (a seeded 5-factor model, 750 daily returns). Every library gets
the same annualised sample mean and covariance.

* tailorfolio: ``PortfolioOptimizer().frontier(..., n_points=50)`` — the public call, input
  validation included; the points are exact interpolations of the kernel's critical-line
  path (``tailorfolio.kernel.constraint_set_frontier``), each with its KKT residuals.
* PyPortfolioOpt CLA: ``CLA(mu, cov).efficient_frontier(points=50)`` (its own critical line
  algorithm, pure numpy).
* PyPortfolioOpt loop: ``EfficientFrontier(...).efficient_return(r)`` per point with
  Clarabel (a new problem per point, as its documentation shows).
* skfolio: ``MeanRisk(efficient_frontier_size=50, solver="CLARABEL").fit(X)``.
* cvxpy loop: one problem with a ``Parameter`` for the target return, re-solved with
  Clarabel for each point (the fastest way to write it by hand).

Also printed: the worst relative variance difference between tailorfolio's points and the
cvxpy loop's at the same target returns (negative: tailorfolio's variance is lower), and
tailorfolio's largest KKT residual.

Run: ``python benchmarks/bench_frontier.py [--quick]`` (``--quick``: N = 20, 50, 200 only, one
repeat). Prints medians in milliseconds and the ratio peer / tailorfolio (> 1: tailorfolio
faster), all measured in the same run, single-threaded BLAS.
"""

from __future__ import annotations

import argparse
import warnings

import pandas as pd
from threadpoolctl import threadpool_limits

from tailorfolio.optimize import PortfolioOptimizer, unconstrained

from _common import median_ms, returns_for

warnings.filterwarnings("ignore")
POINTS = 50
PER_YEAR = 252


def run(sizes: list[int], repeat: int) -> pd.DataFrame:
    import cvxpy as cp
    from pypfopt import CLA, EfficientFrontier
    from skfolio.optimization import MeanRisk

    rows = []
    for n in sizes:
        x, label = returns_for(n)
        tickers = list(x.columns)
        mu_s = x.mean() * PER_YEAR
        cov_df = x.cov() * PER_YEAR
        mu, cov = mu_s.to_numpy(), cov_df.to_numpy()
        cs = unconstrained(tickers)
        opt = PortfolioOptimizer()
        fr = opt.frontier(mu_s, cov_df, cs, n_points=POINTS)
        targets = fr.expected_return

        def ours() -> object:
            return opt.frontier(mu_s, cov_df, cs, n_points=POINTS)

        def cla() -> object:
            c = CLA(mu_s, cov_df)
            return c.efficient_frontier(points=POINTS)

        def pypfopt_loop() -> object:
            for r in targets[:-1]:
                ef = EfficientFrontier(mu_s, cov_df, solver="CLARABEL")
                ef.efficient_return(float(r))
            ef = EfficientFrontier(mu_s, cov_df, solver="CLARABEL")
            return ef.max_quadratic_utility(risk_aversion=1e-6)  # the top: maximum return

        def skf() -> object:
            return MeanRisk(efficient_frontier_size=POINTS, solver="CLARABEL").fit(x)

        w = cp.Variable(n)
        rp = cp.Parameter()
        prob = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov))),
                          [cp.sum(w) == 1, w >= 0, mu @ w >= rp])
        variances: list[float] = []

        def cvx_loop() -> object:
            variances.clear()
            for r in targets:
                rp.value = float(r) - 1e-12 * max(1.0, abs(float(r)))
                prob.solve(solver="CLARABEL")
                variances.append(float(prob.value))
            return variances

        peer_repeat = 1 if n >= 200 else repeat
        times = {"tailorfolio frontier": median_ms(ours, max(repeat, 3))}
        for name, fn in (("PyPortfolioOpt CLA", cla),
                         ("PyPortfolioOpt efficient_return loop", pypfopt_loop),
                         ("skfolio efficient_frontier_size", skf),
                         ("cvxpy Parameter + Clarabel loop", cvx_loop)):
            fn()  # warm (cvxpy canonicalisation, imports)
            times[name] = median_ms(fn, peer_repeat)
        cvx_loop()
        ours_var = fr.volatility ** 2
        gap = max((ours_var[k] - variances[k]) / variances[k] for k in range(POINTS))
        kkt = max(k.max_residual for k in fr.kkt if k is not None)
        t_ours = times["tailorfolio frontier"]
        fastest = min(v for k, v in times.items() if k != "tailorfolio frontier")
        for name, ms in times.items():
            rows.append({"size": label, "method": name, "median_ms": round(ms, 2),
                         "peer/tailorfolio": (None if name == "tailorfolio frontier"
                                              else round(ms / t_ours, 1))})
        rows.append({"size": label, "method": "(fastest peer)", "median_ms": round(fastest, 2),
                     "peer/tailorfolio": round(fastest / t_ours, 1)})
        print(f"{label}: worst relative variance vs cvxpy loop at the same returns "
              f"{gap:+.1e} (negative = tailorfolio lower); max KKT residual {kkt:.1e}",
              flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 20, 50, 200, one repeat")
    args = parser.parse_args()
    sizes = [20, 50, 200] if args.quick else [20, 50, 200, 500]
    with threadpool_limits(1):
        table = run(sizes, 1 if args.quick else 5)
    with pd.option_context("display.width", 140, "display.max_rows", 200):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
