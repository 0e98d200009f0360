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


def _write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically (temporary file + rename)."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # any failure, even an interrupt: drop the temp file, then re-raise
        Path(tmp).unlink(missing_ok=True)
        raise


def write_pdf_report(path: Path, plan: Plan) -> None:
    """Print the report of ``plan`` to a PDF (the ``pdf`` extra: Playwright and a Chromium)."""
    from tailorfolio.report import report_data
    from tailorfolio.report._pdf import report_pdf

    _write_bytes_atomic(path, report_pdf(report_data(plan)))


def write_ips_pdf(path: Path, plan: Plan) -> None:
    """Print the investment-policy summary of ``plan`` (to sign) to a PDF."""
    from tailorfolio.report import report_data
    from tailorfolio.report._ips import ips_data
    from tailorfolio.report._pdf import ips_pdf

    _write_bytes_atomic(path, ips_pdf(ips_data(report_data(plan))))
