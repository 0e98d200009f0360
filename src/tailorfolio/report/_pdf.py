"""PDF documents: the report's HTML printed by headless Chromium (the ``pdf`` extra).

The report's charts are plotly figures drawn by JavaScript, so the PDF is made by a real
browser engine: Playwright drives a headless Chromium, which loads the self-contained HTML
(plotly.js inlined, nothing fetched), waits until every chart has drawn its SVG, and prints the
page with ``page.pdf()``. The charts stay vector graphics in the PDF and its text is real text
(searchable, copyable).

Which Chromium: ``$TAILORFOLIO_CHROMIUM`` if set, else the system's ``chromium`` (Debian's
package; ``scripts/ensure-system-deps.sh`` installs it), else the browser Playwright installed
itself (``playwright install chromium``). Only one PDF is printed at a time per process.
"""

from __future__ import annotations

import os
import shutil
import threading
from typing import Any

from tailorfolio.errors import MissingDependencyError, TailorfolioError

PAGE_FORMAT = "Letter"
PAGE_MARGIN = "12mm"
PRINT_WIDTH_PX = 740
"""Viewport width while the charts are drawn: Letter (8.5 in) less the margins, at 96 px/in,
so every chart is drawn at the width it is printed at."""
RENDER_TIMEOUT_MS = 60_000
_PRINT_LOCK = threading.Lock()


class BrowserNotFoundError(MissingDependencyError):
    """No Chromium for printing PDFs was found."""

    def __init__(self, detail: str) -> None:
        TailorfolioError.__init__(
            self, f"Printing a PDF needs a Chromium browser, and none could be started: "
                  f"{detail}", field="TAILORFOLIO_CHROMIUM",
            value=os.environ.get("TAILORFOLIO_CHROMIUM"),
            expected="a Chromium executable",
            fix="install Debian's chromium (apt-get install chromium, or run "
                "scripts/ensure-system-deps.sh), run `playwright install chromium`, or set "
                "TAILORFOLIO_CHROMIUM to a Chromium executable")


def chromium_path() -> str | None:
    """The Chromium to print with: ``$TAILORFOLIO_CHROMIUM``, else ``chromium`` on the PATH,
    else ``None`` (Playwright's own browser, when it has one)."""
    explicit = os.environ.get("TAILORFOLIO_CHROMIUM")
    if explicit:
        return explicit
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name) if not os.path.isabs(name) else (
            name if os.path.exists(name) else None)
        if found:
            return found
    return None


def _sync_api() -> Any:
    try:
        from playwright import sync_api
    except ImportError:
        raise MissingDependencyError("playwright", "pdf") from None
    return sync_api


def html_to_pdf(html: str, *, page_format: str = PAGE_FORMAT,
                footer: str | None = None) -> bytes:
    """Print a self-contained HTML document to PDF with headless Chromium.

    Waits until every plotly chart of the page has drawn (``.js-plotly-plot .main-svg``).

    Parameters
    ----------
    html : str
        A complete document that needs no network (the report's plotly.js is inlined).
    page_format : str
        Paper size (``Letter``, ``A4``...).
    footer : str, optional
        Plain text printed at the bottom left of every page, next to "page N of M".

    Returns
    -------
    bytes
        The PDF file.

    Raises
    ------
    MissingDependencyError
        Playwright is not installed (``pip install 'tailorfolio[pdf]'``).
    BrowserNotFoundError
        No Chromium could be started.
    """
    sync_api = _sync_api()
    from markupsafe import escape

    footer_html = (
        '<div style="font-size:8px;width:100%;padding:0 12mm;color:#666;display:flex;'
        'justify-content:space-between"><span>' + str(escape(footer or "")) + "</span>"
        '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span>'
        "</span></div>")
    with _PRINT_LOCK, sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
        except sync_api.Error as exc:
            raise BrowserNotFoundError(str(exc).splitlines()[0][:300]) from None
        try:
            page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
            page.set_content(html, wait_until="load", timeout=RENDER_TIMEOUT_MS)
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".every(d => d.querySelector('.main-svg'))", timeout=RENDER_TIMEOUT_MS)
            page.emulate_media(media="print")
            return page.pdf(format=page_format, print_background=True,
                            display_header_footer=True, header_template="<div></div>",
                            footer_template=footer_html,
                            margin={"top": PAGE_MARGIN, "bottom": "16mm",
                                    "left": PAGE_MARGIN, "right": PAGE_MARGIN})
        finally:
            browser.close()


def report_pdf(data: dict[str, Any]) -> bytes:
    """The plan's report (:func:`tailorfolio.report.render_report`) as a PDF.

    Parameters
    ----------
    data : dict
        As returned by :func:`tailorfolio.report.report_data`.
    """
    from tailorfolio.report._render import render_report

    plan = data["plan"]
    return html_to_pdf(render_report(data),
                       footer=f"Plan for {plan['investor']} · as of "
                              f"{plan['provenance']['as_of']}")


def ips_pdf(ips: dict[str, Any]) -> bytes:
    """The investment-policy summary (:func:`tailorfolio.report._ips.ips_data`) as a PDF."""
    from tailorfolio.report._ips import render_ips

    return html_to_pdf(render_ips(ips),
                       footer=f"Investment policy summary · {ips['investor']} · "
                              f"{ips['as_of']}")
