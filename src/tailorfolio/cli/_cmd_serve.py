"""``tailorfolio serve``: run the web service (the ``service`` extra) with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tailorfolio.cli._errors import guarded
from tailorfolio.errors import MissingDependencyError


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    @guarded
    def serve_cmd(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
        data_dir: Annotated[Optional[Path], typer.Option(
            help="Where the SQLite database and generated secret live (default "
                 "$TAILORFOLIO_DATA_DIR or ~/.local/share/tailorfolio).")] = None,
        database_url: Annotated[Optional[str], typer.Option(
            help="SQLAlchemy URL (default $TAILORFOLIO_DATABASE_URL, else SQLite in the data "
                 "directory), e.g. postgresql+psycopg://user:pw@host/db.")] = None,
        proxy_headers: Annotated[bool, typer.Option(
            help="Trust X-Forwarded-* from the proxy in front (HTTPS detection).")] = False,
    ) -> None:
        """Start the web service: browser UI at /, REST API at /api/v1, OpenAPI at /openapi.json
        (interactive docs at /docs with TAILORFOLIO_ENABLE_DOCS=1)."""
        try:
            import uvicorn

            from tailorfolio.service import ServiceSettings, create_app
        except ImportError as exc:
            raise MissingDependencyError(exc.name or "fastapi", "service") from None
        settings = ServiceSettings.from_env(data_dir=data_dir, database_url=database_url)
        typer.echo(f"tailorfolio service on http://{host}:{port}/ (database: "
                   f"{settings.database_url.split('@')[-1]})")
        uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=proxy_headers,
                    log_level="info")

    @app.command("add-advisor")
    @guarded
    def add_advisor_cmd(
        email: Annotated[str, typer.Argument(help="The advisor's e-mail (sign-in name).")],
        name: Annotated[str, typer.Option(help="The advisor's name.")],
        firm: Annotated[str, typer.Option(help="Firm name: a new firm is created, with this "
                                                "advisor as its admin.")],
        password: Annotated[str, typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True,
            help="At least 12 characters, not the e-mail, not a common password (prompted).")],
        data_dir: Annotated[Optional[Path], typer.Option(help="As for serve.")] = None,
        database_url: Annotated[Optional[str], typer.Option(help="As for serve.")] = None,
    ) -> None:
        """Create a firm and its first advisor (admin) when web sign-up is disabled."""
        try:
            from tailorfolio.service import ServiceSettings
            from tailorfolio.service._db import make_engine, run_migrations, session_factory
            from tailorfolio.service._logic import signup
            from tailorfolio.service._schemas import SignupCreate
        except ImportError as exc:
            raise MissingDependencyError(exc.name or "fastapi", "service") from None
        from pydantic import ValidationError

        from tailorfolio.errors import ParameterError

        settings = ServiceSettings.from_env(data_dir=data_dir, database_url=database_url)
        try:
            body = SignupCreate(firm_name=firm, name=name, email=email, password=password)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ParameterError(f"{err['loc'][0]}: {err['msg']}", field=str(err["loc"][0]),
                                 fix="correct it and run the command again") from None
        engine = make_engine(settings.database_url)
        run_migrations(engine)
        with session_factory(engine)() as db:
            adv = signup(db, body, reveal=True)
        engine.dispose()
        typer.echo(f"Advisor {adv.email} (id {adv.id}) created as admin of firm {firm!r}.")
