"""What-if, scenarios, comparison and an override with its reason, in a real browser."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"
PROFILE = {
    "age": 41, "annual_income": 185000, "annual_expenses": 120000, "retirement_age": 65,
    "risk_questionnaire": {"drop_reaction": "hold", "max_annual_loss": "10_to_20",
                           "portfolio_choice": "c", "objective": "balanced",
                           "experience": "funds", "self_assessment": "cautious",
                           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"},
    "goals": [{"name": "Retirement", "amount": 60000, "target_year": 2049, "kind": "income",
               "duration_years": 25, "annual_contribution": 24000},
              {"name": "Sabbatical", "amount": 50000, "target_year": 2031,
               "priority": "aspirational"}],
    "as_of": "2025-06-30",
}
ACCOUNT = {"name": "Brokerage", "type": "taxable", "cash": 5000,
           "lots": [{"asset": "VTI", "quantity": 900, "cost_basis_per_share": 180,
                     "acquired": "2019-08-12"},
                    {"asset": "BND", "quantity": 1500, "cost_basis_per_share": 82,
                     "acquired": "2021-01-11"}]}


def _api_client(base: str) -> tuple[dict[str, str], int]:
    r = httpx.post(base + "/api/v1/auth/signup", json={
        "firm_name": "What-if Advisors", "name": "Wes", "email": "wes@e2e.example",
        "password": PASSWORD})
    assert r.status_code == 202
    tok = httpx.post(base + "/api/v1/auth/token", json={"email": "wes@e2e.example",
                                                        "password": PASSWORD}).json()
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    cid = httpx.post(base + "/api/v1/clients", headers=h,
                     json={"name": "Morgan Diaz", "profile": PROFILE}).json()["id"]
    assert httpx.post(base + f"/api/v1/clients/{cid}/accounts", headers=h,
                      json=ACCOUNT).status_code == 201
    return h, cid


def _resimulated(page, action) -> None:
    """Do ``action`` and wait until the what-if's answer is on the page."""
    with page.expect_response(lambda r: r.url.endswith("/whatif")
                              and r.request.method == "POST", timeout=60_000):
        action()
    page.wait_for_function(
        "document.getElementById('whatif-status').textContent.startsWith('Re-simulated ')")


def _move(page, label: str, value: str) -> None:
    """Move a range slider (fires its input event) and wait for the re-simulation."""
    _resimulated(page, lambda: page.get_by_label(label).fill(value))


@pytest.mark.slow
def test_whatif_scenarios_compare_and_override(live_server, browser):
    h, cid = _api_client(live_server)
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/signin")
    page.get_by_label("E-mail").fill("wes@e2e.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clients")
    page.goto(live_server + f"/clients/{cid}")
    page.get_by_role("button", name="Run a plan").click()
    page.wait_for_url("**/plans/*", timeout=180_000)

    # what-if: move the saving slider, watch the odds change
    page.get_by_role("link", name="What if…").click()
    page.wait_for_url("**/whatif")
    row = page.locator('#whatif-goals tr[data-goal="Retirement"]')
    plan_odds = row.locator(".plan").inner_text()
    _move(page, "Annual saving", "60000")
    assert row.locator(".change").inner_text().startswith("+")
    assert row.locator(".whatif").inner_text() != plan_odds
    page.screenshot(path=str(SHOTS / "whatif-slider.png"), full_page=True)

    page.get_by_label("Scenario name").fill("save 60k")
    page.get_by_role("button", name="Save as scenario").click()
    page.get_by_text("Saved “save 60k”").wait_for()
    _resimulated(page, page.get_by_role("button", name="Back to the plan").click)
    assert row.locator(".change").inner_text() == "±0.0 pts"
    _move(page, "Retirement age", "62")
    _move(page, "Risk level", "3")
    page.get_by_label("Scenario name").fill("retire at 62, cautious")
    page.get_by_role("button", name="Save as scenario").click()
    page.get_by_text("Saved “retire at 62, cautious”").wait_for()
    page.screenshot(path=str(SHOTS / "whatif-scenarios.png"), full_page=True)

    # compare the two scenarios side by side
    page.get_by_role("link", name="Compare plans and scenarios").first.click()
    page.get_by_label("Compare (A)", exact=True).select_option(
        label="Scenario 'save 60k' (plan #1)")
    page.get_by_label("with (B)", exact=True).select_option(
        label="Scenario 'retire at 62, cautious' (plan #1)")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator("#chart-compare .main-svg").first.wait_for(timeout=30_000)
    goals = page.locator("#compare-goals tbody tr")
    assert goals.count() == 2
    assert "pts" in page.locator("#compare-allocation tbody tr").first.inner_text()
    page.screenshot(path=str(SHOTS / "whatif-compare.png"), full_page=True)

    # an override with its reason, then a plan that reports what it costs
    page.goto(live_server + f"/clients/{cid}/overrides")
    page.get_by_label("Kind of override").select_option("lock")
    page.get_by_label("Asset or class").fill("VNQ")
    page.get_by_label("Min %").fill("8")
    page.get_by_role("button", name="Add override").click()
    assert page.locator("#e-reason").is_visible()  # the reason is required
    page.get_by_label("Reason (required)").fill("Client wants a fixed real-estate stake")
    page.get_by_role("button", name="Add override").click()
    page.get_by_role("cell", name="Client wants a fixed real-estate stake").wait_for()
    page.screenshot(path=str(SHOTS / "whatif-override.png"), full_page=True)
    page.goto(live_server + f"/clients/{cid}")
    page.get_by_role("button", name="Run a plan").click()
    page.wait_for_url("**/plans/*", timeout=300_000)
    page.get_by_role("heading", name="What the advisor's overrides cost").wait_for()
    page.locator("#overrides-cost").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "whatif-override-cost.png"))
    log = httpx.get(live_server + "/api/v1/audit", headers=h).json()["items"]
    assert any(e["entity"] == "override" and e["detail"]["reason"].startswith("Client wants")
               for e in log)
    assert not errors, errors
