"""An advisor's practice, start to finish, in a real browser (headless Chromium, loopback).

The advisor uploads the firm's price file, creates a two-person household with three goals
and Social Security for both, uploads its lots, makes a plan (valued at the firm's prices),
runs a what-if and saves two scenarios, compares them side by side, exports the PDF, finds the
client on the book dashboard, re-plans the book and acts on an alert; then the client signs in
to the portal and sees only their own household.

Every step saves a screenshot, ``tests/e2e/screenshots/walkthrough-NN-*.png``; the README's
service section shows a selection of them (copied to ``docs/images/``).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_households import fill_park_household
from tests.e2e.test_whatif import _move, _resimulated
from tests.service.book_helpers import csv_bytes, price_history
from tests.service.svc_helpers import ACCOUNT, PROFILE

SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"
CLIENT_PASSWORD = "blue kettle on the harbour wall"
LOTS_CSV = (b"asset,quantity,cost_basis_per_share,acquired\n"
            b"VTI,900,150,2016-03-02\n"
            b"BND,1500,80,2019-06-14\n"
            b"VEA,600,75,2021-11-08\n")  # VEA bought high: a loss worth harvesting


class Shots:
    """Numbered screenshots of the walkthrough."""

    def __init__(self, page) -> None:
        self.page, self.n = page, 0
        SHOTS.mkdir(exist_ok=True)

    def __call__(self, name: str, full_page: bool = True) -> None:
        self.n += 1
        self.page.screenshot(path=str(SHOTS / f"walkthrough-{self.n:02d}-{name}.png"),
                             full_page=full_page)


def _other_household(base: str) -> None:
    """A second household of the same advisor, which the portal client must never see."""
    tok = httpx.post(base + "/api/v1/auth/token", json={
        "email": "avery@practice.example", "password": PASSWORD}).json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    cid = httpx.post(base + "/api/v1/clients", headers=h,
                     json={"name": "The Lindqvists", "profile": PROFILE}).json()["id"]
    assert httpx.post(base + f"/api/v1/clients/{cid}/accounts", headers=h,
                      json=ACCOUNT).status_code == 201


@pytest.mark.slow
def test_an_advisors_practice_end_to_end(live_server, browser, tmp_path):
    r = httpx.post(live_server + "/api/v1/auth/signup", json={
        "firm_name": "Harbour Wealth", "name": "Avery", "email": "avery@practice.example",
        "password": PASSWORD})
    assert r.status_code == 202
    _other_household(live_server)
    prices = tmp_path / "firm-prices.csv"
    prices.write_bytes(csv_bytes(price_history(scale=0.9)))
    lots = tmp_path / "lots.csv"
    lots.write_bytes(LOTS_CSV)
    errors: list[str] = []
    advisor = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = advisor.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    shot = Shots(page)

    page.goto(live_server + "/signin")
    page.get_by_label("E-mail").fill("avery@practice.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clients")

    # 1. the firm's prices become its current market
    page.get_by_role("link", name="Market data").click()
    page.get_by_label("Price file (CSV or Parquet)").set_input_files(str(prices))
    page.get_by_label("Note").fill("month-end closes from our custodian")
    page.get_by_role("button", name="Upload market data").click()
    page.wait_for_url("**/market?uploaded=1")
    assert "firm market version 1" in page.locator("#current-market").inner_text()
    shot("market-data")

    # 2. a two-person household: three goals, Social Security for both
    fill_park_household(page, "68")
    shot("household-form")
    page.get_by_role("button", name="Create client").click()
    page.get_by_role("heading", name="Kim and Ali Park").wait_for()
    assert page.locator("#goals tbody tr").count() == 3
    assert "social security" in page.locator("#household").inner_text()
    client_url = page.url
    shot("household")

    # 3. an account and its lots, uploaded as a CSV file
    page.get_by_label("Account name").fill("Joint brokerage")
    page.get_by_label("Type").select_option("taxable")
    page.get_by_label("Cash").fill("15000")
    page.get_by_role("button", name="Add account").click()
    upload = page.get_by_role("form", name="Upload holdings CSV to Joint brokerage")
    upload.locator('input[type="file"]').set_input_files(str(lots))
    upload.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_role("cell", name="VEA", exact=True).wait_for()
    shot("lots")

    # 4. the plan, valued at the firm's prices
    page.get_by_role("button", name="Run a plan").click()
    page.wait_for_url("**/plans/*", timeout=300_000)
    assert "firm market version 1" in page.locator("#plan-market").inner_text()
    plan_url = page.url
    plan_id = int(plan_url.rstrip("/").rsplit("/", 1)[1])
    shot("plan")

    # 5. what-if: more saving, then a later retirement; each saved as a scenario
    page.get_by_role("link", name="What if…").click()
    page.wait_for_url("**/whatif")
    _move(page, "Annual saving", "60000")
    assert "+" in page.locator("#whatif-goals").inner_text()
    page.get_by_label("Scenario name").fill("save 60k a year")
    page.get_by_role("button", name="Save as scenario").click()
    page.get_by_text("Saved “save 60k a year”").wait_for()
    shot("whatif")
    _resimulated(page, page.get_by_role("button", name="Back to the plan").click)
    _move(page, "Retirement age", "67")
    page.get_by_label("Scenario name").fill("retire at 67")
    page.get_by_role("button", name="Save as scenario").click()
    page.get_by_text("Saved “retire at 67”").wait_for()

    # 6. the two scenarios side by side
    page.get_by_role("link", name="Compare plans and scenarios").first.click()
    page.get_by_label("Compare (A)", exact=True).select_option(
        label=f"Scenario 'save 60k a year' (plan #{plan_id})")
    page.get_by_label("with (B)", exact=True).select_option(
        label=f"Scenario 'retire at 67' (plan #{plan_id})")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator("#chart-compare .main-svg").first.wait_for(timeout=60_000)
    assert page.locator("#compare-goals tbody tr").count() == 3
    shot("compare")

    # 7. the client-ready PDF
    page.goto(plan_url)
    with page.expect_download(timeout=180_000) as dl:
        page.get_by_role("link", name="Download the report (PDF)").click()
    pdf_path = tmp_path / "plan.pdf"
    dl.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    pdfium = pytest.importorskip("pypdfium2")  # a dev dependency; absent only outside `dev`
    doc = pdfium.PdfDocument(str(pdf_path))
    assert len(doc) >= 2
    text = " ".join(" ".join(doc[i].get_textpage().get_text_range()
                             for i in range(len(doc))).split())
    assert "Kim and Ali Park" in text and "College for Maya" in text
    n = shot.n + 1
    doc[0].render(scale=1.5).to_pil().save(SHOTS / f"walkthrough-{n:02d}-pdf-page1.png")
    shot.n = n

    # 8. the book: the client is on the dashboard; re-plan the whole book; act on an alert
    page.get_by_role("link", name="Book", exact=True).click()
    page.wait_for_url("**/book")
    assert page.locator("#book tbody tr", has_text="Kim and Ali Park").count() == 1
    page.get_by_role("button", name="Re-plan the book").click()
    page.locator("#run-status", has_text="done").wait_for(timeout=300_000)
    row = page.locator("#book tbody tr", has_text="Kim and Ali Park")
    assert "never" not in row.inner_text()
    shot("book")
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.wait_for_url("**/alerts")
    harvest = page.locator("#alerts tbody tr", has_text="Kim and Ali Park").filter(
        has=page.get_by_role("button", name="Queue the harvest trades"))
    assert harvest.count() >= 1, page.locator("#alerts").inner_text()
    shot("alerts")
    harvest.first.get_by_role("button", name="Queue the harvest trades").click()
    page.locator(".notice", has_text="queued").wait_for()
    shot("alert-acted", full_page=False)

    # 9. the client's own sign-in to the read-only portal
    page.goto(client_url)
    page.get_by_role("link", name="Client portal and documents").click()
    form = page.get_by_role("form", name="Give portal access")
    form.get_by_label("Client's name").fill("Kim Park")
    form.get_by_label("Client's e-mail").fill("kim@home.example")
    form.get_by_label("Initial password").fill(CLIENT_PASSWORD)
    form.get_by_role("button", name="Give portal access").click()
    page.get_by_role("cell", name="kim@home.example").wait_for()
    shot("portal-access")

    client = browser.new_context(viewport={"width": 1280, "height": 900})
    cpage = client.new_page()
    cpage.on("pageerror", lambda e: errors.append(str(e)))
    cpage.goto(live_server + "/portal")
    cpage.get_by_label("E-mail").fill("kim@home.example")
    cpage.get_by_label("Password").fill(CLIENT_PASSWORD)
    cpage.get_by_role("button", name="Sign in").click()
    cpage.wait_for_url("**/portal")
    assert cpage.get_by_role("heading", name="Kim and Ali Park").is_visible()
    assert "The Lindqvists" not in cpage.content()
    cpage.screenshot(path=str(SHOTS / f"walkthrough-{shot.n + 1:02d}-portal.png"),
                     full_page=True)
    cpage.get_by_role("link", name="View my plan").click()
    cpage.locator("#chart-by-class .main-svg").first.wait_for(timeout=60_000)
    assert "us_small_cap_equity" not in cpage.content()
    cpage.screenshot(path=str(SHOTS / f"walkthrough-{shot.n + 2:02d}-portal-plan.png"),
                     full_page=True)
    # nothing of anyone else's: the advisor's pages send the client to sign in
    cpage.goto(f"{live_server}/clients")
    assert cpage.url.endswith("/signin") and "The Lindqvists" not in cpage.content()
    assert errors == [], errors
    client.close()
    advisor.close()
