"""Map tailorfolio errors to clear messages and distinct exit codes (see ``errors.py``)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.panel import Panel

from tailorfolio.errors import TailorfolioError

INTERNAL_ERROR_EXIT = 70
F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True)


def render_error(exc: TailorfolioError) -> None:
    """Print ``exc`` for a person: message, field, expected value and fix."""
    body = exc.message
    extra = []
    if exc.field and exc.field not in body:
        extra.append(f"field: {exc.field}")
    if exc.expected and exc.expected not in body:
        extra.append(f"expected: {exc.expected}")
    if exc.fix and exc.fix not in body:
        extra.append(f"fix: {exc.fix}")
    for note in getattr(exc, "__notes__", []) or []:
        extra.append(note)
    if extra:
        body += "\n\n" + "\n".join(extra)
    err_console.print(Panel(body, title=f"[bold red]{type(exc).__name__}", border_style="red",
                            expand=False))


def guarded(fn: F) -> F:
    """Run a command; turn tailorfolio errors into messages and exit codes, never tracebacks."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TailorfolioError as exc:
            render_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # an engine bug: say so plainly, keep the trace for debugging
            if os.environ.get("TAILORFOLIO_DEBUG"):
                traceback.print_exc(file=sys.stderr)
            err_console.print(Panel(
                f"Internal error: {type(exc).__name__}: {exc}\n\nThis is a bug in tailorfolio, "
                "not in your input. Set TAILORFOLIO_DEBUG=1 to see the traceback and please "
                "report it.", title="[bold red]InternalError", border_style="red", expand=False))
            raise typer.Exit(INTERNAL_ERROR_EXIT) from None

    return wrapper
