"""An advisor's whole session in a real browser: sign in, create a client with the
questionnaire, add an account and holdings, run a plan, see the charts, sign out."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_households import add_account_with_lots

SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"
ANSWERS = {"drop_reaction": "hold", "max_annual_loss": "10_to_20", "portfolio_choice": "c",
           "objective": "growth", "experience": "funds", "self_assessment": "researched",
           "sure_or_gamble": "half_5000", "risk_word": "opportunity"}


@pytest.mark.slow
def test_advisor_session_end_to_end(live_server, browser):
    r = httpx.post(live_server + "/api/v1/auth/signup", json={
        "firm_name": "E2E Advisors", "name": "Erin", "email": "erin@e2e.example",
        "password": PASSWORD})
    assert r.status_code == 202
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(live_server + "/")
    assert page.url.endswith("/signin")
    page.get_by_label("E-mail").fill("erin@e2e.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clients")

    page.get_by_role("link", name="New client").first.click()
    page.get_by_label("Client name").fill("Jordan Lee")
    page.get_by_label("Age (years)").fill("38")
    page.get_by_label("Gross annual income").fill("120000")
    page.get_by_label("Annual household spending").fill("70000")
    page.get_by_label("Goal name").fill("Retirement")
    page.get_by_label("Amount in today's money").fill("900000")
    page.get_by_label("Target year").fill("2052")
    # submit once without the questionnaire: the message appears next to it
    page.get_by_role("button", name="Create client").click()
    assert page.locator("#e-risk_questionnaire").is_visible()
    page.get_by_label("Age (years)").fill("12")
    page.get_by_role("button", name="Create client").click()
    assert page.locator("#e-age").is_visible()
    assert page.get_by_label("Age (years)").get_attribute("aria-invalid") == "true"
    page.locator("#e-age").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SHOTS / "form-errors.png"))
    page.get_by_label("Age (years)").fill("38")
    for key, value in ANSWERS.items():
        page.check(f'input[name="q_{key}"][value="{value}"]')
    page.get_by_label("Target year").fill("2052")
    page.get_by_role("button", name="Create client").click()
    page.get_by_role("heading", name="Jordan Lee").wait_for()

    add_account_with_lots(page, "Brokerage", "5000", (("VTI", "200", "210", "2020-03-02"),
                                                      ("BND", "300", "80", "2021-06-15")))

    page.get_by_role("button", name="Run a plan").click()
    page.wait_for_url("**/jobs/*")  # the job page refreshes itself until the plan is ready
    page.wait_for_url("**/plans/*", timeout=120_000)
    page.locator("#chart-frontier .main-svg").first.wait_for(timeout=30_000)
    page.locator("#chart-by-class .main-svg").first.wait_for()
    assert page.get_by_text("Your plan").first.is_visible()
    assert "Risk level" in page.content()
    page.screenshot(path=str(SHOTS / "plan.png"), full_page=False)
    page.locator("#chart-frontier").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "frontier.png"))
    page.locator("#chart-fan .main-svg").first.wait_for()  # the goals section (Monte Carlo)
    page.locator("#h-goals").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / "goals.png"))
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the report (HTML)").click()
    report = Path(dl.value.path()).read_text()
    assert "chart-frontier" in report and "<script src=" not in report

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto(live_server + "/clients")
    assert page.url.endswith("/signin")
    assert errors == [], errors
    page.close()
