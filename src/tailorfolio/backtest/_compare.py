"""Run several strategies on one dataset and tabulate them against a benchmark (1/N)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tailorfolio.backtest._bootstrap import sharpe_difference
from tailorfolio.backtest._costs import TransactionCosts
from tailorfolio.backtest._engine import run_backtest
from tailorfolio.backtest._policy import RebalancePolicy
from tailorfolio.backtest._result import BacktestResult
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.datasets._catalog import ReturnDataset
from tailorfolio.errors import ParameterError


def run_on_dataset(strategy: Strategy, dataset: ReturnDataset, **kwargs) -> BacktestResult:
    """:func:`run_backtest` with the dataset's returns, risk-free rate and predictors."""
    return run_backtest(strategy, dataset.returns, risk_free=dataset.risk_free,
                        predictors=dataset.predictors, broad_class=dataset.broad_class,
                        periods_per_year=dataset.periods_per_year, **kwargs)


def run_many(strategies: Sequence[Strategy], dataset: ReturnDataset, *,
             policy: RebalancePolicy | None = None, costs: TransactionCosts | None = None,
             warmup_periods: int | None = None, start: str | None = None, **kwargs,
             ) -> list[BacktestResult]:
    """Run every strategy over the same periods (the longest warm-up applies to all);
    ``kwargs`` go to :func:`run_backtest` (``initial_value``, ``cash_flows``...)."""
    warm = max([s.min_history for s in strategies] + [warmup_periods or 0])
    return [run_on_dataset(s, dataset, policy=policy, costs=costs, warmup_periods=warm,
                           start=start, **kwargs) for s in strategies]


def comparison_table(results: Sequence[BacktestResult], benchmark: str = "1/N", *,
                     n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One row per strategy: return, volatility, Sharpe, its difference to ``benchmark`` with
    a 95 % block-bootstrap interval and p-value, CEQ, max drawdown, turnover and costs.

    Raises
    ------
    ParameterError
        When ``benchmark`` is not among the results or the results cover different periods.
    """
    by_name = {r.strategy: r for r in results}
    if benchmark not in by_name:
        raise ParameterError(f"The benchmark {benchmark!r} is not among the strategies run.",
                             field="benchmark", value=benchmark,
                             expected=f"one of {sorted(by_name)}")
    base = by_name[benchmark]
    rows = []
    for r in results:
        if not r.returns.index.equals(base.returns.index):
            raise ParameterError(f"{r.strategy!r} covers other periods than {benchmark!r}.",
                                 field="results", fix="run them with run_many")
        mt = r.metrics
        if r is base:
            d = None
        else:
            d = sharpe_difference((r.returns - r.risk_free).to_numpy(),
                                  (base.returns - base.risk_free).to_numpy(),
                                  r.periods_per_year, n_resamples=n_resamples, seed=seed)
        rows.append({
            "strategy": r.strategy,
            "annual_return": mt.annual_return,
            "annual_volatility": mt.annual_volatility,
            "sharpe": mt.sharpe,
            "sharpe_diff": np.nan if d is None else d.difference,
            "ci_low": np.nan if d is None else d.low,
            "ci_high": np.nan if d is None else d.high,
            "p_value": np.nan if d is None else d.p_value,
            "ceq": mt.ceq,
            "max_drawdown": mt.max_drawdown,
            "annual_turnover": mt.annual_turnover,
            "annual_cost": mt.annual_cost,
        })
    return pd.DataFrame(rows).set_index("strategy")


def equity_curves(results: Sequence[BacktestResult]) -> pd.DataFrame:
    """Growth of 1 for each strategy, one column each (for CSV output)."""
    return pd.concat([r.equity_curve() for r in results], axis=1)


def markdown_table(table: pd.DataFrame) -> str:
    """Render :func:`comparison_table` as a Markdown table (percentages where natural)."""
    head = ("| strategy | ann. return | volatility | Sharpe | ΔSharpe vs 1/N [95 % CI] | p | "
            "CEQ | max DD | turnover/yr | costs/yr |")
    lines = [head, "|" + "---|" * 10]
    for name, row in table.iterrows():
        if np.isnan(row["sharpe_diff"]):
            diff, p = "—", "—"
        else:
            diff = f"{row['sharpe_diff']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"
            p = f"{row['p_value']:.2f}"
        lines.append(
            f"| {name} | {row['annual_return']:.2%} | {row['annual_volatility']:.2%} | "
            f"{row['sharpe']:.3f} | {diff} | {p} | {row['ceq']:.2%} | {row['max_drawdown']:.1%} "
            f"| {row['annual_turnover']:.2f} | {row['annual_cost']:.3%} |"
        )
    return "\n".join(lines)
