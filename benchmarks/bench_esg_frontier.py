"""ESG-efficient frontier benchmark: tailorfolio vs PyPortfolioOpt and skfolio.

Workload: the Pedersen–Fitzgibbons–Pomorski ESG-efficient frontier — the maximum-Sharpe
portfolio at 20 ESG floors evenly spaced from the unconstrained tangency portfolio's score to
the best achievable score — long-only, fully invested, at most 35 % per asset (so the top of
the curve is a real trade-off), at N = 20 (skfolio's bundled S&P 500 prices, daily returns
2018–2022), 50 and 200 (a seeded 5-factor model, 750 daily returns). ESG scores are seeded
uniform draws on 0–100: they are timing inputs, not data.

Every library gets the same annualised sample mean and covariance. The peers have no ESG
frontier, so each floor is a maximum-Sharpe fit with the floor as a linear constraint
(PyPortfolioOpt ``add_constraint`` + ``max_sharpe`` with Clarabel — its default solver stops
at an iteration limit on these problems; skfolio ``MeanRisk(MAXIMIZE_RATIO)`` with
``left_inequality``/``right_inequality``), the way a user of those libraries would write it.
tailorfolio's ``esg_frontier`` includes its own tangency solve and best-score LP; each floor's
maximum Sharpe is read off the kernel's exact frontier path for that floor
(``tailorfolio.kernel.standard_form_frontier``, warm-started from the previous floor's active
set and traced only up to the first breakpoint past the best ratio). "rebuild" is the
kernel's homogenised maximum-Sharpe solve (``tailorfolio.kernel.max_sharpe``) from a cold
start for every floor, to show what the path saves.

Also reported: the largest Sharpe-ratio difference between each peer and tailorfolio over the
curve (they solve the same problems, so it should be at solver accuracy).

Run: ``python benchmarks/bench_esg_frontier.py [--quick]`` (also run by ``make bench``).
Prints medians in milliseconds and the ratio peer / tailorfolio (> 1: tailorfolio faster).
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings

import numpy as np
import pandas as pd

from tailorfolio.esg import esg_frontier
from tailorfolio.market import Asset, Universe
from tailorfolio.optimize import constraints_from_preferences
from tailorfolio.kernel import from_constraint_set, max_sharpe
from tailorfolio.profile import Preferences

from _common import median_ms, returns_for

warnings.filterwarnings("ignore")
POINTS = 20
CAP = 0.35
PER_YEAR = 252


def sharpe(w: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    return float(w @ mu / np.sqrt(w @ cov @ w))


def run(sizes: list[int], repeat: int) -> pd.DataFrame:
    from pypfopt import EfficientFrontier
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    rows = []
    for n in sizes:
        x, label = returns_for(n)
        tickers = list(x.columns)
        mu_s = x.mean() * PER_YEAR
        cov_df = x.cov() * PER_YEAR
        mu, cov = mu_s.to_numpy(), cov_df.to_numpy()
        scores = np.random.default_rng(11).uniform(0, 100, n)
        uni = Universe(tuple(Asset(t, t, "eq", "equity", esg_score=float(s))
                             for t, s in zip(tickers, scores)))
        cs = constraints_from_preferences(uni, Preferences(max_weight_per_asset=CAP))
        fr = esg_frontier(mu_s, cov_df, cs, n_points=POINTS)
        floors = fr.floors

        def tf() -> object:
            return esg_frontier(mu_s, cov_df, cs, n_points=POINTS)

        def rebuild() -> list[np.ndarray]:
            return [max_sharpe(from_constraint_set(
                dataclasses.replace(cs, min_esg_score=float(f)), cov), mu)[0].w[0]
                for f in floors]

        def pypfopt() -> list[np.ndarray]:
            out = []
            for f in floors:
                ef = EfficientFrontier(mu_s, cov_df, weight_bounds=(0, CAP), solver="CLARABEL")
                ef.add_constraint(lambda w, f=f: scores @ w >= f)
                ef.max_sharpe(risk_free_rate=0.0)
                out.append(np.array(list(ef.clean_weights(cutoff=0, rounding=None).values())))
            return out

        def skf() -> list[np.ndarray]:
            out = []
            for f in floors:
                m = MeanRisk(risk_measure=RiskMeasure.VARIANCE,
                             objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
                             prior_estimator=EmpiricalPrior(), max_weights=CAP,
                             left_inequality=-scores[None, :], right_inequality=np.array([-f]))
                out.append(np.asarray(m.fit(x).weights_))
            return out

        def max_gap(ws: list[np.ndarray]) -> float:
            return max(abs(sharpe(w, mu, cov) - s) for w, s in zip(ws, fr.sharpe))

        gaps = {"rebuild": max_gap(rebuild()), "PyPortfolioOpt": max_gap(pypfopt()),
                "skfolio": max_gap(skf())}
        t_tf = median_ms(tf, repeat)
        t_rb = median_ms(rebuild, repeat)
        t_pp = median_ms(pypfopt, max(3, repeat // 3))
        t_sk = median_ms(skf, max(3, repeat // 3))
        rows.append({
            "workload": label, "tailorfolio ms": t_tf, "rebuild ms": t_rb,
            "PyPortfolioOpt ms": t_pp, "skfolio ms": t_sk,
            "rebuild / tf": t_rb / t_tf, "PyPortfolioOpt / tf": t_pp / t_tf,
            "skfolio / tf": t_sk / t_tf,
            "max |ΔSharpe| PyPortfolioOpt": gaps["PyPortfolioOpt"],
            "max |ΔSharpe| skfolio": gaps["skfolio"],
            "max |ΔSharpe| rebuild": gaps["rebuild"],
        })
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="N = 20 and 50 only, fewer repeats")
    args = ap.parse_args()
    sizes = [20, 50] if args.quick else [20, 50, 200]
    repeat = 5 if args.quick else 15
    table = run(sizes, repeat)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    print(f"ESG-efficient frontier ({POINTS} floors, max {CAP:.0%} per asset): median ms and "
          "ratios (peer / tailorfolio; > 1 = tailorfolio faster)")
    timing = table[["workload", "tailorfolio ms", "rebuild ms", "PyPortfolioOpt ms",
                    "skfolio ms", "rebuild / tf", "PyPortfolioOpt / tf", "skfolio / tf"]]
    print(timing.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print("\nAgreement (largest Sharpe-ratio difference to tailorfolio over the curve):")
    agree = table[["workload", "max |ΔSharpe| PyPortfolioOpt", "max |ΔSharpe| skfolio",
                   "max |ΔSharpe| rebuild"]]
    print(agree.to_string(index=False, float_format=lambda v: f"{v:.1e}"))


if __name__ == "__main__":
    main()
