"""Backtest commands: ``backtest``, ``regimes`` and ``evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import math

import typer
from rich.console import Console
from rich.table import Table

from tailorfolio.cli._errors import guarded
from tailorfolio.cli._options import money, number, parse_month, whole
from tailorfolio.errors import ParameterError
from tailorfolio.limits import MAX_FEE_BPS, MAX_MONEY, clip_text

console = Console()

DataOpt = Annotated[str, typer.Option("--data", help="Bundled dataset: ff-industries, "
                                      "us-asset-classes or sp500 (needs skfolio).")]
FromOpt = Annotated[Optional[str], typer.Option("--from", help="First month (YYYY-MM).")]
ToOpt = Annotated[Optional[str], typer.Option("--to", help="Last month (YYYY-MM).")]


def _policy(text: str):
    from tailorfolio.backtest import CalendarPolicy, DriftBandPolicy

    calendar = {"monthly": 1, "quarterly": 3, "annual": 12, "annually": 12, "never": None}
    text = text.strip().lower()
    if text in calendar:
        return CalendarPolicy(calendar[text])
    if text == "drift" or text.startswith("drift:"):
        _, _, band = text.partition(":")
        value = number(band or 0.05, "--rebalance drift:BAND", 0.0, 1.0, lo_open=True,
                       fix="the band is a decimal weight: drift:0.05 for 5 percentage points")
        if value == 1.0:
            raise ParameterError("--rebalance drift:1 never rebalances; use never.",
                                 field="--rebalance", value=text, expected="a band in (0, 1)")
        return DriftBandPolicy(abs_band=value)
    raise ParameterError(f"Unknown rebalancing policy {clip_text(text)}.", field="--rebalance",
                         value=clip_text(text),
                         expected="monthly, quarterly, annual, never or drift[:BAND]")


def _pct(x: float, digits: int = 2) -> str:
    return "—" if not math.isfinite(x) else f"{100 * x:.{digits}f} %"


def register(app: typer.Typer) -> None:
    """Add the backtest commands to ``app``."""

    @app.command("backtest")
    @guarded
    def backtest_cmd(
        strategies: Annotated[list[str], typer.Argument(
            help="Strategies: 1/n, inverse-vol, min-variance, mv[:LEVEL], hrp, risk-parity, "
                 "bl-ml[:ridge|lasso|gbm], regimes[:K], glide-path, fixed:A=w,..., plan.")],
        data: DataOpt = "ff-industries",
        start: FromOpt = None,
        end: ToOpt = None,
        rebalance: Annotated[str, typer.Option(help="monthly, quarterly, annual, never or "
                                               "drift[:BAND] (e.g. drift:0.05).")] = "monthly",
        cost_bps: Annotated[float, typer.Option(help="Proportional cost per trade, bp.")] = 10.0,
        fixed_cost: Annotated[float, typer.Option(help="Fixed cost per asset traded, in units "
                                                  "of --initial.")] = 0.0,
        initial: Annotated[float, typer.Option(help="Initial portfolio value.")] = 1.0,
        window: Annotated[int, typer.Option(help="Estimation window, months.")] = 120,
        goal_date: Annotated[Optional[str], typer.Option(help="Goal date for glide-path "
                                                         "(default: end of data).")] = None,
        profile: Annotated[Optional[Path], typer.Option(help="Investor profile for the 'plan' "
                                                        "strategy.")] = None,
        csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the equity "
                                                        "curves (growth of 1) as CSV.")] = None,
        resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 2000,
        seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    ) -> None:
        """Walk-forward backtest of STRATEGIES against 1/N, net of costs."""
        import numpy as np

        start, end = parse_month(start, "--from"), parse_month(end, "--to")
        if start and end and start > end:
            raise ParameterError(f"--from {start} is after --to {end}.", field="--from",
                                 value=start, expected=f"a month on or before {end}")
        number(cost_bps, "--cost-bps", 0.0, MAX_FEE_BPS, unit=" bp")
        money(fixed_cost, "--fixed-cost")
        number(initial, "--initial", 0.0, MAX_MONEY, lo_open=True)
        whole(window, "--window", 12, 1200, fix="e.g. --window 120 (ten years of months)")
        whole(resamples, "--resamples", 1, 100_000)
        whole(seed, "--seed", 0, 2**32 - 1)
        if goal_date is not None:
            goal_date = parse_month(goal_date, "--goal-date")
        policy = _policy(rebalance)
        from tailorfolio.backtest import (
            TransactionCosts,
            comparison_table,
            equity_curves,
            run_many,
        )
        from tailorfolio.backtest.strategies import EqualWeight, strategy_from_spec
        from tailorfolio.datasets import load_dataset

        ds = load_dataset(data).between(start, end)
        plan_weights = None
        if profile is not None:
            from tailorfolio.io import load_profile
            from tailorfolio.planning import build_plan

            plan_weights = build_plan(load_profile(profile)).class_weights()
        built = [strategy_from_spec(s, window=window, broad_class=ds.broad_class,
                                    goal_date=goal_date or ds.returns.index[-1],
                                    plan_class_weights=plan_weights) for s in strategies]
        if not any(b.name == "1/N" for b in built):
            built.insert(0, EqualWeight())
        with console.status("running walk-forward backtests…"):
            results = run_many(built, ds, policy=policy,
                               costs=TransactionCosts(cost_bps, fixed_cost),
                               initial_value=initial)
        table = comparison_table(results, n_resamples=resamples, seed=seed)
        first, last = results[0].returns.index[[0, -1]]
        t = Table(title=f"{ds.name}: {first:%Y-%m} … {last:%Y-%m}, {len(results[0].returns)} "
                  f"months out of sample, {cost_bps:g} bp costs, rebalance {rebalance}")
        for col in ("strategy", "ann. return", "volatility", "Sharpe",
                    "ΔSharpe vs 1/N [95 % CI]", "p", "max DD", "turnover/yr", "costs/yr"):
            t.add_column(col, justify="left" if col == "strategy" else "right")
        for name, row in table.iterrows():
            diff = ("—" if np.isnan(row["sharpe_diff"]) else
                    f"{row['sharpe_diff']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]")
            p = "—" if np.isnan(row["p_value"]) else f"{row['p_value']:.2f}"
            style = "green" if row["ci_low"] > 0 else ("red" if row["ci_high"] < 0 else "")
            t.add_row(str(name), _pct(row["annual_return"]), _pct(row["annual_volatility"]),
                      f"{row['sharpe']:.3f}", diff, p, _pct(row["max_drawdown"], 1),
                      f"{row['annual_turnover']:.2f}", _pct(row["annual_cost"], 3), style=style)
        console.print(t)
        console.print("Green: Sharpe significantly above 1/N; red: significantly below "
                      "(paired block bootstrap).")
        for r in results:
            for w in r.provenance.warnings:
                console.print(f"[yellow]{r.strategy}: {w}[/yellow]")
        if csv_out is not None:
            from tailorfolio.io import write_text_atomic

            write_text_atomic(csv_out, equity_curves(results).to_csv(index_label="date"))
            console.print(f"[green]Equity curves written to {csv_out}[/green]")

    @app.command("regimes")
    @guarded
    def regimes_cmd(
        data: DataOpt = "us-asset-classes",
        start: FromOpt = None,
        end: ToOpt = None,
        n_regimes: Annotated[int, typer.Option("--regimes", help="Number of HMM states.")] = 2,
        csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the filtered "
                                                        "probabilities as CSV.")] = None,
    ) -> None:
        """Market regimes (Gaussian HMM): moments per regime, timeline, current probability."""
        import numpy as np

        start, end = parse_month(start, "--from"), parse_month(end, "--to")
        whole(n_regimes, "--regimes", 2, 6)
        from tailorfolio.datasets import load_dataset
        from tailorfolio.dynamic import RegimeModel, regime_conditional_moments

        ds = load_dataset(data).between(start, end)
        risky = [a for a in ds.returns.columns if ds.broad_class.get(a) != "cash"]
        model = RegimeModel(n_regimes=n_regimes, periods_per_year=ds.periods_per_year)
        with console.status("fitting the hidden Markov model…"):
            model.fit(ds.returns[risky])
        probs = model.filtered_probabilities(ds.returns[risky])
        moments = regime_conditional_moments(ds.returns, probs, ds.periods_per_year,
                                             model.transmat_)
        hmm_moments = model.regime_moments()
        for j, m in enumerate(moments):
            t = Table(title=f"Regime {j} ({'calmest' if j == 0 else 'more turbulent'}) · "
                      f"expected duration {hmm_moments[j].expected_duration_periods:.0f} months "
                      f"· {probs.iloc[:, j].mean():.0%} of months")
            t.add_column("asset")
            t.add_column("mean/yr", justify="right")
            t.add_column("vol/yr", justify="right")
            for a in ds.returns.columns:
                t.add_column(f"ρ {a[:10]}", justify="right")
            for a in ds.returns.columns:
                t.add_row(a, _pct(m.mean[a], 1), _pct(m.volatility[a], 1),
                          *[f"{m.correlation.loc[a, b]:+.2f}" if np.isfinite(
                              m.correlation.loc[a, b]) else "—" for b in ds.returns.columns])
            console.print(t)
        state = probs.to_numpy().argmax(axis=1)
        runs = Table(title="Most likely regime over time (filtered: each month uses data up to "
                     "that month; the HMM itself is fitted on the whole range)")
        runs.add_column("from")
        runs.add_column("to")
        runs.add_column("regime", justify="right")
        starts = np.flatnonzero(np.r_[True, state[1:] != state[:-1]])
        ends = np.r_[starts[1:] - 1, len(state) - 1]
        shown = list(zip(starts, ends))
        if len(shown) > 40:
            runs.caption = f"last 40 of {len(shown)} spells"
            shown = shown[-40:]
        for s, e in shown:
            runs.add_row(f"{probs.index[s]:%Y-%m}", f"{probs.index[e]:%Y-%m}", str(state[s]))
        console.print(runs)
        last = probs.iloc[-1]
        nxt = model.predicted_probabilities(last.to_numpy())
        console.print(f"Current ({probs.index[-1]:%Y-%m}) regime probabilities: "
                      + ", ".join(f"regime {j} {p:.1%}" for j, p in enumerate(last))
                      + " · next month: " + ", ".join(f"{p:.1%}" for p in nxt))
        if csv_out is not None:
            from tailorfolio.io import write_text_atomic

            write_text_atomic(csv_out, probs.to_csv(index_label="date"))
            console.print(f"[green]Probabilities written to {csv_out}[/green]")

    @app.command("evaluate")
    @guarded
    def evaluate_cmd(
        out: Annotated[Path, typer.Option(help="Markdown file to write.")] =
        Path("docs/evaluation.md"),
        cost_bps: Annotated[float, typer.Option(help="Proportional cost, bp.")] = 10.0,
        quick: Annotated[bool, typer.Option(help="Short smoke version.")] = False,
    ) -> None:
        """Run the standard out-of-sample comparison on bundled data; write a Markdown report."""
        number(cost_bps, "--cost-bps", 0.0, MAX_FEE_BPS, unit=" bp")
        from tailorfolio.backtest import standard_evaluation
        from tailorfolio.io import write_text_atomic

        report = standard_evaluation(costs_bps=cost_bps, quick=quick,
                                     progress=lambda msg: console.print(f"[dim]{msg}[/dim]"))
        write_text_atomic(out, report.to_markdown())
        console.print(report.to_markdown())
        console.print(f"[green]Evaluation written to {out}[/green]")
