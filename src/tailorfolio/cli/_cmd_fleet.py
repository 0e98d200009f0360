"""``tailorfolio fleet``: optimize a whole book of investors (or generate a synthetic one)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from tailorfolio.cli._errors import guarded
from tailorfolio.cli._options import MarketOpt, UniverseOpt, market_from_options
from tailorfolio.cli._options import whole
from tailorfolio.errors import ParameterError
from tailorfolio.limits import MAX_FLEET_INVESTORS

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console(stderr=True)


class Engine(str, Enum):
    local = "local"
    dask = "dask"


def _progress() -> Progress:
    from rich.progress import (  # only when a fleet runs: not on the --help path
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console, transient=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``fleet`` command to ``app``."""

    @app.command("fleet")
    @guarded
    def fleet_cmd(
        investors: Annotated[Path, typer.Argument(
            help="Investor book (Parquet; columns in the README's 'Fleet scale' section). "
            "With --generate, the file to write.")],
        out: Annotated[Optional[Path], typer.Option(
            "--out", help="Plans to write (Parquet): target weights, status, metrics and "
            "KKT residuals per investor.")] = None,
        generate: Annotated[Optional[int], typer.Option(
            "--generate", min=1, help="Write a realistic synthetic book of N investors to "
            "INVESTORS instead of solving.")] = None,
        assets: Annotated[Optional[int], typer.Option(
            "--assets", min=3, help="With --generate: use a seeded N-asset factor-model "
            "universe (recorded in the book) instead of the market's universe.")] = None,
        seed: Annotated[int, typer.Option(help="Seed of --generate.")] = 0,
        engine: Annotated[Engine, typer.Option(help="local: processes on this machine; "
                                               "dask: a dask.distributed cluster.")]
        = Engine.local,
        scheduler: Annotated[Optional[str], typer.Option(
            help="Dask scheduler address (tcp://host:8786); without it --engine dask starts "
            "a local cluster.")] = None,
        workers: Annotated[Optional[int], typer.Option(
            min=0, help="Local worker processes (default: all cores; 0 = this process).")]
        = None,
        chunk_size: Annotated[int, typer.Option(
            "--chunk-size", min=1, help="Investors per chunk (memory ~ chunk × workers).")]
        = 20_000,
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        report_json: Annotated[Optional[Path], typer.Option(
            "--report-json", help="Also write the run summary as JSON.")] = None,
    ) -> None:
        """Optimize every investor of a Parquet book; infeasible investors are reported in
        their row and the run goes on."""
        from tailorfolio.fleet._engine import (
            book_rows,
            model_for_book,
            run_dask,
            run_local,
            write_synthetic_book,
        )
        from tailorfolio.fleet._model import FleetModel
        from tailorfolio.fleet._synthetic import factor_model_universe

        whole(seed, "--seed", 0, 2**32 - 1)
        whole(chunk_size, "--chunk-size", 1, 1_000_000)
        if workers is not None:
            whole(workers, "--workers", 0, 1024)
        if generate is not None:
            whole(generate, "--generate", 1, MAX_FLEET_INVESTORS)
            if assets is not None:
                whole(assets, "--assets", 3, 5_000)
                model = factor_model_universe(assets, seed=seed)
                tag = f"factor:{assets}:{seed}"
            else:
                model = FleetModel.from_market(market_from_options(market, universe))
                tag = ""
            with _progress() as prog:
                task = prog.add_task("generating", total=generate, rate="")
                write_synthetic_book(investors, model, generate, seed=seed, model_tag=tag,
                                     chunk_size=min(chunk_size * 5, 100_000),
                                     progress=lambda k, _c: prog.advance(task, k))
            console.print(f"Wrote {generate:,} investors over {model.n_assets} assets to "
                          f"{investors}.")
            return
        if out is None:
            raise ParameterError("fleet needs --out plans.parquet (or --generate N).",
                                 field="--out", fix="add --out plans.parquet")
        default = (FleetModel.from_market(market_from_options(market, universe))
                   if market is not None or universe is not None else None)
        if default is None:
            from tailorfolio.market._defaults import default_market

            try:
                model = model_for_book(investors, None)
            except ParameterError:
                model = FleetModel.from_market(default_market())
        else:
            model = model_for_book(investors, default)
        total = book_rows(investors)
        with _progress() as prog:
            task = prog.add_task("optimizing", total=total, rate="")
            import time

            start = time.perf_counter()

            def tick(k: int, _c: int) -> None:
                done = prog.tasks[0].completed + k
                rate = done / max(time.perf_counter() - start, 1e-9)
                prog.update(task, advance=k, rate=f"{rate:,.0f} investors/s")

            if engine is Engine.local:
                rep = run_local(model, investors, out, workers=workers, chunk_size=chunk_size,
                                progress=tick)
            else:
                rep = run_dask(model, investors, out, scheduler=scheduler,
                               chunk_size=chunk_size, progress=tick)
        _print_summary(rep, out)
        if report_json is not None:
            report_json.write_text(json.dumps(rep.to_dict(), indent=2, default=str) + "\n",
                                   encoding="utf-8")


def _print_summary(rep, out: Path) -> None:
    t = Table(title=f"fleet run → {out}", show_header=False)
    t.add_row("investors", f"{rep.investors:,}")
    for k, v in sorted(rep.by_status.items()):
        t.add_row(f"  {k}", f"{v:,}")
    for k, v in sorted(rep.by_method.items()):
        t.add_row(f"  solved by {k}", f"{v:,}")
    t.add_row("engine", f"{rep.engine} ({rep.workers} workers)")
    t.add_row("wall time", f"{rep.seconds:,.1f} s")
    t.add_row("throughput", f"{rep.investors_per_second:,.0f} investors/s")
    t.add_row("max KKT residual", f"{rep.max_kkt_residual:.1e}")
    t.add_row("peak memory", f"driver {rep.peak_rss_mb_driver:,.0f} MB, largest worker "
              f"{rep.peak_rss_mb_worker:,.0f} MB")
    Console().print(t)
