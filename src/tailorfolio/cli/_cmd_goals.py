"""Goal commands: ``simulate`` (fan chart, per-goal outcomes, paths summary file)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from tailorfolio.cli._errors import guarded
from tailorfolio.cli._options import (
    AsOfOpt,
    MarketOpt,
    UniverseOpt,
    market_from_options,
    number,
    parse_date,
    whole,
)
from tailorfolio.limits import MAX_FEE_BPS, MAX_PATHS
from tailorfolio.errors import ParameterError

console = Console()


class ModelChoice(str, Enum):
    lognormal = "lognormal"
    bootstrap = "bootstrap"
    historical = "historical"
    regime = "regime"


class ModeChoice(str, Enum):
    household = "household"
    dedicated = "dedicated"


def register(app: typer.Typer) -> None:
    """Add the goal commands to ``app``."""

    @app.command("simulate")
    @guarded
    def simulate_cmd(
        profile: Annotated[Path, typer.Argument(help="Investor profile (YAML or JSON).")],
        paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths (historical: "
                                           "one per window, this is ignored).")] = 10_000,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
        model: Annotated[ModelChoice, typer.Option("--model", help="Return model.")] =
        ModelChoice.lognormal,
        mode: Annotated[ModeChoice, typer.Option("--mode", help="One household pot, or one "
                                                 "sub-portfolio per goal.")] =
        ModeChoice.household,
        strict_priority: Annotated[bool, typer.Option(
            "--strict-priority", help="Pay lower-priority goals only from wealth above the "
            "present value of later higher-priority withdrawals.")] = False,
        fee_bps: Annotated[float, typer.Option("--fee-bps", help="Advisory fee, bps a "
                                               "year.")] = 25.0,
        rebalance_months: Annotated[int, typer.Option(
            "--rebalance-months", help="Rebalance every N months (0 = never).")] = 12,
        out: Annotated[Optional[Path], typer.Option(
            "--out", help="Write the paths' summary (one row per path) to this .csv or "
            ".parquet file.")] = None,
        every: Annotated[int, typer.Option("--every", help="Fan chart rows every N "
                                           "years.")] = 5,
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        as_of: AsOfOpt = None,
    ) -> None:
        """Simulate the plan's allocation: fan chart of wealth by year and every goal's odds."""
        import numpy as np

        from tailorfolio._boundary import check_plan_inputs
        from tailorfolio.cli._render_goals import fan_table, outcomes_table
        from tailorfolio.goals import SimulationOptions, goal_outcome, spec_from_profile
        from tailorfolio.goals._from_profile import as_of_year, goal_due_step
        from tailorfolio.io import load_profile, write_text_atomic
        from tailorfolio.planning._build import build_plan
        from tailorfolio.planning._settings import PlanSettings
        from tailorfolio.simulate import (
            LognormalModel,
            RegimeParameters,
            RegimeSwitchingModel,
            simulate,
            us_bootstrap_model,
            us_historical_model,
        )

        whole(paths, "--paths", 1, MAX_PATHS, fix="10,000 paths give odds to about ±0.5 %")
        whole(seed, "--seed", 0, 2**32 - 1)
        whole(every, "--every", 1, 100)
        whole(rebalance_months, "--rebalance-months", 0, 1200, fix="0 = never, 12 = yearly")
        number(fee_bps, "--fee-bps", 0.0, MAX_FEE_BPS, unit=" bps")
        if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
            raise ParameterError(f"--out must end in .csv or .parquet; got {out.name!r}.",
                                 field="--out", value=str(out), fix="e.g. --out paths.parquet")
        when = parse_date(as_of)
        prof = load_profile(profile)
        mkt = market_from_options(market, universe)
        prof, mkt, _, when = check_plan_inputs(prof, mkt, None, when)
        plan = build_plan(prof, mkt, settings=PlanSettings(goal_paths=0), as_of=when)
        assert plan.resolved_market is not None
        mkt = plan.resolved_market  # the plan's own market (screened funds, its returns)
        day = when or prof.as_of or date.today()
        uni = mkt.universe
        if model is ModelChoice.lognormal:
            ret_model = LognormalModel.from_assumptions(mkt.assumptions, uni)
        elif model is ModelChoice.bootstrap:
            ret_model = us_bootstrap_model(uni)
        elif model is ModelChoice.historical:
            ret_model = us_historical_model(uni)
        else:
            ret_model = RegimeSwitchingModel(
                RegimeParameters.stylised_two_state(mkt.assumptions, uni))
        # The plan's own policy (its sleeves over time) in household mode; in dedicated mode
        # every goal holds today's household target.
        weights = (plan.resolved_policy if mode.value == "household" and plan.resolved_policy
                   is not None else np.array([plan.weights[t] for t in uni.tickers]))
        opts = SimulationOptions(mode=mode.value, advisory_fee_bps=fee_bps,
                                 rebalance_every_months=rebalance_months,
                                 priority_reserve=strict_priority)
        spec = spec_from_profile(prof, mkt, weights, day, opts)
        result = simulate(spec, ret_model, paths, seed)
        y0 = as_of_year(day)
        outcomes = [goal_outcome(result, j, priority=g.priority.value,
                                 due_year=y0 + goal_due_step(g, day) / 12, amount=g.amount)
                    for j, g in enumerate(prof.goals)]
        fan = result.fan_chart()
        fan.index = fan.index + int(y0)
        console.print(f"[bold]{prof.name}[/bold]: {result.n_paths:,} paths, model "
                      f"{ret_model.name}, seed {seed}, {mode.value} mode, plan allocation "
                      f"(expected return {plan.expected_return:.1%}, volatility "
                      f"{plan.volatility:.1%}), advisory fee {fee_bps:g} bps.")
        console.print(fan_table(fan, every=every, currency=prof.currency))
        console.print(outcomes_table(outcomes, prof.currency))
        if model is ModelChoice.historical:
            console.print("[dim]Historical windows overlap, so they are not independent: the "
                          "± understates the uncertainty.[/dim]")
        if out is not None:
            frame = result.paths_summary()
            if out.suffix.lower() == ".parquet":
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_suffix(".parquet.tmp")
                frame.to_parquet(tmp, index=False)
                tmp.replace(out)
            else:
                write_text_atomic(out, frame.to_csv(index=False))
            console.print(f"[green]Paths' summary ({len(frame):,} rows) written to "
                          f"{out}[/green]")
