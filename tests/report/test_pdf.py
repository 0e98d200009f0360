"""The PDF of the report and of the investment-policy summary: real pages with the client's
name, every goal, the charts drawn, and no blank page; a typed error without the browser."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

pytest.importorskip("plotly")  # the report extra (part of dev) is not installed
pytest.importorskip("jinja2")  # the report extra (part of dev) is not installed

from tailorfolio.errors import MissingDependencyError
from tailorfolio.examples import load_example_profile
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.report import report_data
from tailorfolio.report import _pdf
from tailorfolio.report._ips import band_width, ips_data

CHART_BLUE = np.array([0x1F, 0x77, 0xB4])
"""The report's first chart colour (plotly's default blue): its pixels mean a chart drew."""


def pdf_pages(pdf: bytes) -> tuple[list[str], list[np.ndarray]]:
    """Each page's text and its image (RGB array) rendered at 72 dpi with PDFium."""
    pdfium = pytest.importorskip("pypdfium2")  # a dev dependency; absent only outside `dev`
    doc = pdfium.PdfDocument(pdf)
    texts, images = [], []
    for i in range(len(doc)):
        page = doc[i]
        texts.append(page.get_textpage().get_text_range())
        images.append(np.asarray(page.render(scale=1).to_pil().convert("RGB")))
    return texts, images


def _share_of_colour(img: np.ndarray, rgb: np.ndarray, tol: int = 12) -> float:
    return float(np.mean(np.all(np.abs(img.astype(int) - rgb) <= tol, axis=-1)))


@pytest.fixture(scope="module")
def family_data():
    plan = build_plan(load_example_profile("family"),
                      settings=PlanSettings(goal_paths=300, choice_paths=0))
    return report_data(plan)


@pytest.fixture(scope="module")
def chromium_ready():
    pytest.importorskip("playwright.sync_api")  # the pdf extra (part of dev) is not installed
    if _pdf.chromium_path() is None:
        pytest.fail("no Chromium: run scripts/ensure-system-deps.sh (apt-get install chromium)")


@pytest.mark.slow
def test_report_pdf_has_the_client_the_goals_and_the_charts(family_data, chromium_ready):
    pdf = _pdf.report_pdf(family_data)
    assert pdf.startswith(b"%PDF-")
    texts, images = pdf_pages(pdf)
    assert len(texts) >= 2
    everything = " ".join(" ".join(texts).split())  # lines wrap inside table cells
    plan = family_data["plan"]
    assert plan["investor"] in everything
    for outcome in plan["goals"]["outcomes"]:
        assert outcome["name"] in everything, outcome["name"]
    # the charts drew before printing: their titles are SVG text inside each plotly figure,
    # and the first page (allocation donut) has the charts' blue
    for title in ("Target allocation by asset class", "Efficient frontier",
                  "Probability of reaching each goal"):
        assert title in everything, title
    assert _share_of_colour(images[0], CHART_BLUE) > 0.002
    for i, img in enumerate(images):  # no blank page
        assert img.std() > 5, f"page {i + 1} is blank"
    assert f"page 1 of {len(texts)}" in texts[0]
    assert "us_small_cap_equity" not in everything and "_equity" not in everything


@pytest.mark.slow
def test_ips_pdf_is_a_signable_summary(family_data, chromium_ready):
    ips = ips_data(family_data, advisor="Erin Advisor", firm="E2E Advisors")
    texts, images = pdf_pages(_pdf.ips_pdf(ips))
    everything = " ".join(" ".join(texts).split())  # lines wrap inside table cells
    for heading in ("Investment policy summary", "1. Objectives",
                    "2. Risk level and what it means", "3. Target allocation",
                    "4. Rebalancing policy", "5. Constraints and exclusions", "Agreement"):
        assert heading in everything, heading
    plan = family_data["plan"]
    assert plan["investor"].split(" (")[0] in everything
    for outcome in plan["goals"]["outcomes"]:
        assert outcome["name"] in everything
    assert everything.count("Date") >= 2 and "Erin Advisor (advisor)" in everything
    assert f"Risk level {plan['risk']['level']} of 10" in everything
    assert all(img.std() > 5 for img in images)


def test_ips_bands_are_the_tighter_of_the_two_rules(family_data):
    ips = ips_data(family_data)
    reb = ips["rebalancing"]
    assert reb["abs_band"] == family_data["plan"]["dynamic"]["drift_abs_band"]
    for row in reb["rows"]:
        half = min(reb["abs_band"], reb["rel_band"] * row["target"])
        assert row["high"] == pytest.approx(min(1.0, row["target"] + half))
        assert row["low"] == pytest.approx(max(0.0, row["target"] - half))
    assert band_width(0.40, 0.05, 0.25) == 0.05 and band_width(0.04, 0.05, 0.25) == 0.01
    goals = {o["goal"] for o in ips["objectives"]}
    assert goals == {o["name"] for o in family_data["plan"]["goals"]["outcomes"]}
    assert sum(w for _, w in ips["allocation"]["by_class"]) == pytest.approx(1.0, abs=1e-6)


def test_missing_playwright_is_a_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright", None)  # import playwright → ImportError
    with pytest.raises(MissingDependencyError) as err:
        _pdf.html_to_pdf("<p>x</p>")
    assert err.value.fix == "pip install 'tailorfolio[pdf]'"


def test_missing_browser_is_a_typed_error(monkeypatch, tmp_path):
    pytest.importorskip("playwright.sync_api")  # without Playwright the other error applies
    monkeypatch.setenv("TAILORFOLIO_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(_pdf.BrowserNotFoundError) as err:
        _pdf.html_to_pdf("<p>x</p>")
    assert err.value.field == "TAILORFOLIO_CHROMIUM" and "apt-get install chromium" in \
        err.value.fix
    assert os.environ["TAILORFOLIO_CHROMIUM"] in str(err.value.value)
