"""Write a plan's HTML report (the ``report`` extra: jinja2 and plotly)."""

from __future__ import annotations

from pathlib import Path

from tailorfolio.errors import MissingDependencyError
from tailorfolio.planning._plan import Plan


def write_html_report(path: Path, plan: Plan) -> None:
    """Render the self-contained report of ``plan`` (from the plan alone) and write it
    atomically to ``path``."""
    from tailorfolio.io import write_text_atomic

    for module, package in (("jinja2", "jinja2"), ("plotly", "plotly")):
        try:
            __import__(module)
        except ImportError:
            raise MissingDependencyError(package, "report") from None
    from tailorfolio.report import render_report, report_data

    write_text_atomic(path, render_report(report_data(plan)))
