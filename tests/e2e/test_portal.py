"""Client-ready output and practice operations in a real browser: the advisor exports the
plan's PDF, gives the client portal access, creates and revokes an API key and reads the audit
log; the client signs in to the portal, sees only their own household, and resets a forgotten
password. Screenshots: ``tests/e2e/screenshots/portal-*.png``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.service.svc_helpers import ACCOUNT, PROFILE, make_plan

SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"
CLIENT_PASSWORD = "blue kettle on the harbour wall"
NEW_CLIENT_PASSWORD = "seven quiet herons at dawn"


def _setup(base: str) -> dict:
    """Through the API: an advisor with two households, each with a plan."""
    with httpx.Client(base_url=base, timeout=60) as api:
        r = api.post("/api/v1/auth/signup", json={
            "firm_name": "Portal Advisors", "name": "Petra", "email": "petra@e2e.example",
            "password": PASSWORD})
        assert r.status_code == 202
        tok = api.post("/api/v1/auth/token", json={"email": "petra@e2e.example",
                                                   "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {tok['access_token']}"}
        ids = {}
        for name in ("The Okafors", "The Lindqvists"):
            cid = api.post("/api/v1/clients", headers=auth,
                           json={"name": name, "profile": PROFILE}).json()["id"]
            api.post(f"/api/v1/clients/{cid}/accounts", headers=auth, json=ACCOUNT)
            ids[name] = (cid, make_plan(api, auth, cid, {})["id"])
    return ids


def _pdf_first_page_png(pdf_path: Path, png_path: Path) -> str:
    """Render the PDF's first page to PNG (PDFium); returns the whole document's text."""
    pdfium = pytest.importorskip("pypdfium2")  # a dev dependency; absent only outside `dev`
    doc = pdfium.PdfDocument(str(pdf_path))
    doc[0].render(scale=1.5).to_pil().save(png_path)
    return " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


@pytest.mark.slow
def test_portal_and_practice_end_to_end(live_server, browser, monkeypatch, tmp_path):
    monkeypatch.setenv("TAILORFOLIO_RESET_LINKS", "show")  # no mail server: show the link
    ids = _setup(live_server)
    (cid, pid), (other_cid, other_pid) = ids["The Okafors"], ids["The Lindqvists"]
    SHOTS.mkdir(exist_ok=True)
    errors: list[str] = []

    # ---------------------------------------------------------------- the advisor
    advisor = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = advisor.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/signin")
    page.get_by_label("E-mail").fill("petra@e2e.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clients")

    page.goto(f"{live_server}/clients/{cid}/plans/{pid}")
    with page.expect_download(timeout=120_000) as dl:
        page.get_by_role("link", name="Download the report (PDF)").click()
    pdf_path = tmp_path / "plan.pdf"
    dl.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    text = " ".join(_pdf_first_page_png(pdf_path, SHOTS / "portal-pdf-page1.png").split())
    assert "The Okafors" in text and "Retirement" in text

    page.goto(f"{live_server}/clients/{cid}")
    page.get_by_role("link", name="Client portal and documents").click()
    form = page.get_by_role("form", name="Give portal access")
    form.get_by_label("Client's name").fill("Ada Okafor")
    form.get_by_label("Client's e-mail").fill("ada@home.example")
    form.get_by_label("Initial password").fill(CLIENT_PASSWORD)
    form.get_by_role("button", name="Give portal access").click()
    page.get_by_role("cell", name="ada@home.example").wait_for()
    page.screenshot(path=str(SHOTS / "portal-access.png"))

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Key name").fill("nightly export")
    page.get_by_role("button", name="Create API key").click()
    key = page.locator("#new-api-key").inner_text()
    page.screenshot(path=str(SHOTS / "portal-api-key.png"))
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.get(live_server + "/api/v1/me", headers=auth).status_code == 200
    page.get_by_role("button", name="Revoke nightly export").click()
    page.get_by_role("cell", name="Revoked", exact=False).wait_for()
    assert httpx.get(live_server + "/api/v1/me", headers=auth).status_code == 401

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Record").select_option("api_key")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?**")
    assert page.get_by_role("cell", name="revoke").is_visible()
    page.screenshot(path=str(SHOTS / "portal-audit.png"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")

    # ---------------------------------------------------------------- the client
    client = browser.new_context(viewport={"width": 1280, "height": 900})
    cpage = client.new_page()
    cpage.on("pageerror", lambda e: errors.append(str(e)))
    cpage.goto(live_server + "/portal")
    assert cpage.url.endswith("/portal/signin")
    cpage.get_by_label("E-mail").fill("ada@home.example")
    cpage.get_by_label("Password").fill(CLIENT_PASSWORD)
    cpage.get_by_role("button", name="Sign in").click()
    cpage.wait_for_url("**/portal")
    assert cpage.get_by_role("heading", name="The Okafors").is_visible()
    assert "The Lindqvists" not in cpage.content()
    cpage.screenshot(path=str(SHOTS / "portal-home.png"))
    cpage.get_by_role("link", name="View my plan").click()
    cpage.locator("#chart-by-class .main-svg").first.wait_for(timeout=30_000)
    assert "us_small_cap_equity" not in cpage.content()
    cpage.screenshot(path=str(SHOTS / "portal-plan.png"))
    cpage.get_by_role("link", name="Investment policy summary").first.click()
    cpage.get_by_role("heading", name="4. Rebalancing policy").wait_for()
    cpage.screenshot(path=str(SHOTS / "portal-ips.png"))
    # nothing else is reachable
    r = cpage.goto(f"{live_server}/portal/plans/{other_pid}")
    assert r.status == 404 and "The Lindqvists" not in cpage.content()
    cpage.goto(f"{live_server}/clients/{other_cid}")
    assert cpage.url.endswith("/signin") and "The Lindqvists" not in cpage.content()
    cpage.goto(live_server + "/portal")
    cpage.get_by_role("button", name="Sign out").click()
    cpage.wait_for_url("**/portal/signin")

    # ---------------------------------------------------------------- forgotten password
    cpage.get_by_role("link", name="Forgot your password?").click()
    cpage.get_by_label("E-mail").fill("ada@home.example")
    cpage.get_by_role("button", name="Send me a reset link").click()
    cpage.locator("#reset-link").click()
    cpage.get_by_label("New password (at least 12 characters)").fill(NEW_CLIENT_PASSWORD)
    cpage.get_by_label("New password again").fill(NEW_CLIENT_PASSWORD)
    cpage.get_by_role("button", name="Set the new password").click()
    cpage.get_by_text("Your password was changed").wait_for()
    cpage.screenshot(path=str(SHOTS / "portal-reset.png"))
    cpage.get_by_role("link", name="Sign in with your new password").click()
    cpage.get_by_label("E-mail").fill("ada@home.example")
    cpage.get_by_label("Password").fill(NEW_CLIENT_PASSWORD)
    cpage.get_by_role("button", name="Sign in").click()
    cpage.wait_for_url("**/portal")
    assert errors == [], errors
    advisor.close()
    client.close()
