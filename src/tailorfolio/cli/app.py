"""The ``tailorfolio`` command: one Typer app, commands registered per capability."""

from __future__ import annotations

import atexit
import gc
import os
import sys

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


class _ExitWithoutTeardown:
    """An exit handler that ends a finished command-line process without tearing the
    interpreter down.

    After a command, Python would destroy every module it imported and collect every object
    they made: with numpy, pandas, pyarrow and scipy loaded that takes about 0.1 s after the
    output is complete (a plan's ~1.6 s pays 0.10–0.13 s of it), for memory the operating
    system frees anyway. Registered first, this handler runs last (exit handlers run in
    reverse order), after everything else the process registered — threads joined, pools shut
    down, logging flushed, temporary files removed — and then only flushes the standard
    streams and ends the process with the command's exit status. It steps aside (the normal
    teardown runs) while child processes are alive or a standard stream cannot be flushed
    (a closed pipe), so nothing is lost and errors are reported as usual."""

    def __init__(self) -> None:
        self.status = 1  # until the command says otherwise (an escaping exception is status 1)

    def set_status(self, code: object) -> None:
        """Record a ``SystemExit`` code as Python turns it into an exit status (None: 0; any
        object but a number: 1)."""
        self.status = 0 if code is None else code if isinstance(code, int) else 1

    def __call__(self) -> None:
        mp = sys.modules.get("multiprocessing")
        if mp is not None and mp.active_children():
            return
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            return
        os._exit(self.status)


def main() -> None:
    """Console-script entry point: runs the command, then ends the process without the
    interpreter's teardown (:class:`_ExitWithoutTeardown`). Only for a process's entry point
    (``tailorfolio``, ``python -m tailorfolio``): in-process callers invoke :data:`app`."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    exit_now = _ExitWithoutTeardown()
    atexit.register(exit_now)
    try:
        app()
    except SystemExit as done:
        if isinstance(done.code, str):  # a message: Python prints it only on a full teardown
            print(done.code, file=sys.stderr)
            done.code = 1
        exit_now.set_status(done.code)
        raise
    exit_now.set_status(0)
