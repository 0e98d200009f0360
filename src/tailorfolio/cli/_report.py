"""Write a plan's HTML report (the ``report`` extra: jinja2 and plotly)."""

from __future__ import annotations

from pathlib import Path

from tailorfolio.errors import MissingDependencyError
from tailorfolio.market._market import Market
from tailorfolio.planning._plan import Plan
from tailorfolio.profile._investor import InvestorProfile


def write_html_report(path: Path, plan: Plan, profile: InvestorProfile, market: Market | None
                      ) -> None:
    """Render the self-contained report of ``plan`` and write it atomically to ``path``."""
    from tailorfolio.io import write_text_atomic

    for module, package in (("jinja2", "jinja2"), ("plotly", "plotly")):
        try:
            __import__(module)
        except ImportError:
            raise MissingDependencyError(package, "report") from None
    from tailorfolio.report import render_report, report_data

    write_text_atomic(path, render_report(report_data(plan, profile, market)))
