"""``tailorfolio book-replan``: re-plan every client of the service's firms (cron-friendly)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from tailorfolio.cli._errors import guarded
from tailorfolio.errors import MissingDependencyError


def register(app: typer.Typer) -> None:
    """Add the ``book-replan`` command to ``app``."""

    @app.command("book-replan")
    @guarded
    def book_replan_cmd(
        data_dir: Annotated[Optional[Path], typer.Option(help="As for serve.")] = None,
        database_url: Annotated[Optional[str], typer.Option(
            "--database-url", "--database", help="As for serve (SQLAlchemy URL).")] = None,
        firm: Annotated[Optional[list[int]], typer.Option(
            help="Firm id to re-plan (repeatable; default: every firm).")] = None,
        goal_paths: Annotated[int, typer.Option(
            help="Monte Carlo paths per client for the goals (0 skips them).", min=0,
            max=2000)] = 200,
        chunk_size: Annotated[int, typer.Option(
            help="Clients solved together and stored in one transaction.", min=1,
            max=10_000)] = 100,
        workers: Annotated[int, typer.Option(
            help="Worker processes evaluating the chunks (1: in this process).", min=1,
            max=64)] = 1,
        as_of: Annotated[Optional[str], typer.Option(
            help="Date to re-plan for, YYYY-MM-DD (default today, UTC).")] = None,
    ) -> None:
        """Re-plan the whole book of each firm through the fleet engine and raise alerts.

        Meant for cron (e.g. ``15 6 * * 1-5 tailorfolio book-replan --database-url ...``):
        one JSON line per firm on stdout; exit code 1 when a firm's run failed. Results are
        stored per chunk in one transaction, so an interrupted run leaves only whole results;
        a firm whose run is still going is skipped.
        """
        try:
            import sqlalchemy as sa

            from tailorfolio.service import ServiceSettings
            from tailorfolio.service import _book as B
            from tailorfolio.service._db import (
                make_engine,
                read_session_factory,
                run_migrations,
                session_factory,
            )
            from tailorfolio.service._errors import ConflictError
            from tailorfolio.service._models import Firm
        except ImportError as exc:
            raise MissingDependencyError(exc.name or "fastapi", "service") from None
        from tailorfolio.errors import ParameterError

        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise ParameterError(f"--as-of {as_of[:20]!r} is not a YYYY-MM-DD date.",
                                 field="--as-of", value=as_of[:20],
                                 fix="e.g. --as-of 2025-06-30") from None
        settings = ServiceSettings.from_env(data_dir=data_dir, database_url=database_url)
        engine = make_engine(settings.database_url)
        run_migrations(engine)
        sessions, reads = session_factory(engine), read_session_factory(engine)
        with reads() as db:
            firms = firm or list(db.scalars(sa.select(Firm.id).order_by(Firm.id)))
            db.commit()
        failed = False
        for firm_id in firms:
            try:
                with sessions() as db:
                    run = B.start_run(db, firm_id, None, "cli", goal_paths=goal_paths,
                                      chunk_size=chunk_size, as_of=day, workers=workers)
            except ConflictError as exc:
                typer.echo(json.dumps({"firm_id": firm_id, "skipped": exc.message}))
                continue
            run = B.execute_run(sessions, run.id, reads)
            failed |= run.status != B.DONE
            typer.echo(json.dumps({"firm_id": firm_id, "run_id": run.id, "status": run.status,
                                   "clients": run.n_clients, "done": run.n_done,
                                   "not_planned": run.n_failed,
                                   "seconds": run.settings.get("timings", {}).get("total_s"),
                                   "error": run.error}))
        engine.dispose()
        if failed:
            raise typer.Exit(1)
