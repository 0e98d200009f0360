"""The ``tailorfolio`` command: one Typer app, commands registered per capability."""

from __future__ import annotations

import gc

import typer

from tailorfolio.cli._root_help import RootGroup
from tailorfolio.cli import (
    _cmd_backtest,
    _cmd_book,
    _cmd_core,
    _cmd_esg,
    _cmd_fleet,
    _cmd_goals,
    _cmd_serve,
    _cmd_tax,
)

app = typer.Typer(
    name="tailorfolio",
    cls=RootGroup,
    help="Personalized portfolio optimization: from your goals, accounts, taxes and values "
    "to an explained plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        from tailorfolio._version import __version__  # importlib.metadata: only when asked

        typer.echo(f"tailorfolio {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """tailorfolio command line."""


_cmd_core.register(app)
_cmd_serve.register(app)
_cmd_book.register(app)
_cmd_backtest.register(app)
_cmd_tax.register(app)
_cmd_goals.register(app)
_cmd_esg.register(app)
_cmd_fleet.register(app)


GC_YOUNG_THRESHOLD = 20_000
"""Allocations between young-generation collections in a command-line process (Python's
default is 700). A command imports a few hundred modules and builds large, acyclic numpy and
pandas structures: at the default, the collector runs about 250 times in one plan, three of
them full passes over every object the imports made (~0.1 s of a plan's CPU); at this
threshold it runs a dozen times. Cyclic garbage is still collected, only in larger batches."""


def main() -> None:
    """Console-script entry point."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    app()
