"""The book in a real browser: upload a firm price file, open the book dashboard, re-plan the
book, sort it, and act on alerts (queue harvest trades, dismiss with a reason, queue a full
plan that values holdings at the firm's prices)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.service.book_helpers import csv_bytes, price_history

SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"
PROFILE = {
    "age": 52, "annual_income": 160000, "annual_expenses": 95000,
    "risk_questionnaire": {"drop_reaction": "hold", "max_annual_loss": "10_to_20",
                           "portfolio_choice": "c", "objective": "balanced",
                           "experience": "funds", "self_assessment": "cautious",
                           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"},
    "goals": [{"name": "Retirement", "amount": 1_200_000, "target_year": 2040}],
    "as_of": "2025-06-30",
}
CLIENTS = {
    "Dana Drift": [{"name": "Brokerage", "type": "taxable", "cash": 0, "lots": [
        {"asset": "VTI", "quantity": 2500, "cost_basis_per_share": 150,
         "acquired": "2015-03-02"}]}],
    "Lou Loss": [{"name": "Brokerage", "type": "taxable", "cash": 3000, "lots": [
        {"asset": "VTI", "quantity": 150, "cost_basis_per_share": 520, "acquired": "2022-01-10"},
        {"asset": "BND", "quantity": 1500, "cost_basis_per_share": 70, "acquired": "2020-05-01"},
        {"asset": "VEA", "quantity": 500, "cost_basis_per_share": 45,
         "acquired": "2019-05-01"}]}],
    "Bea Balanced": [{"name": "IRA", "type": "traditional", "cash": 1000, "lots": [
        {"asset": "VTI", "quantity": 600, "cost_basis_per_share": 200, "acquired": "2018-02-01"},
        {"asset": "BND", "quantity": 2000, "cost_basis_per_share": 75,
         "acquired": "2018-02-01"}]}],
}


def _seed(base: str) -> None:
    r = httpx.post(base + "/api/v1/auth/signup", json={
        "firm_name": "Book Advisors", "name": "Bo", "email": "bo@e2e.example",
        "password": PASSWORD})
    assert r.status_code == 202
    tok = httpx.post(base + "/api/v1/auth/token", json={"email": "bo@e2e.example",
                                                       "password": PASSWORD}).json()
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    for name, accounts in CLIENTS.items():
        cid = httpx.post(base + "/api/v1/clients", headers=h,
                         json={"name": name, "profile": PROFILE}).json()["id"]
        for acct in accounts:
            assert httpx.post(base + f"/api/v1/clients/{cid}/accounts", headers=h,
                              json=acct).status_code == 201


@pytest.mark.slow
def test_book_dashboard_end_to_end(live_server, browser, tmp_path):
    _seed(live_server)
    SHOTS.mkdir(exist_ok=True)
    prices = tmp_path / "firm-prices.csv"
    prices.write_bytes(csv_bytes(price_history(scale=0.9)))
    bad = price_history()
    bad.iloc[4, 1] = -2.0
    (tmp_path / "bad-prices.csv").write_bytes(csv_bytes(bad))

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/signin")
    page.get_by_label("E-mail").fill("bo@e2e.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clients")

    # Market data: a bad file is refused with the field named, a good one becomes current
    page.get_by_role("link", name="Market data").click()
    assert "bundled default market" in page.locator("#current-market").inner_text()
    page.get_by_label("Price file (CSV or Parquet)").set_input_files(str(tmp_path /
                                                                         "bad-prices.csv"))
    page.get_by_role("button", name="Upload market data").click()
    page.locator("#e-prices").wait_for()
    assert "non-positive" in page.locator("#e-prices").inner_text()
    page.screenshot(path=str(SHOTS / "book-market-error.png"))
    page.get_by_label("Price file (CSV or Parquet)").set_input_files(str(prices))
    page.get_by_label("Note").fill("month-end closes")
    page.get_by_role("button", name="Upload market data").click()
    page.wait_for_url("**/market?uploaded=1")
    assert "firm market version 1" in page.locator("#current-market").inner_text()
    page.screenshot(path=str(SHOTS / "book-market.png"))

    # The book: never re-planned yet; re-plan it and wait for the run to finish
    page.get_by_role("link", name="Book", exact=True).click()
    page.wait_for_url("**/book")
    assert page.get_by_role("cell", name="never").count() == len(CLIENTS)
    page.get_by_role("button", name="Re-plan the book").click()
    page.locator("#run-status", has_text="done").wait_for(timeout=180_000)
    page.screenshot(path=str(SHOTS / "book-dashboard.png"), full_page=True)
    page.get_by_role("link", name="AUM").click()
    page.get_by_role("link", name="AUM ▲").click()  # ascending → descending
    page.wait_for_url("**sort=aum&order=desc**")
    first = page.locator("#book tbody tr").first.locator("td").first.inner_text()
    assert first == "Dana Drift"
    page.get_by_label("Only drift past band").check()
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#book tbody tr").count() >= 1
    page.screenshot(path=str(SHOTS / "book-filtered.png"), full_page=True)

    # Alerts: queue the harvest trades, dismiss a drift alert with a reason, queue a plan
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.wait_for_url("**/alerts")
    page.screenshot(path=str(SHOTS / "book-alerts.png"), full_page=True)
    page.get_by_role("button", name="Queue the harvest trades").first.click()
    page.locator(".notice", has_text="queued").wait_for()
    assert "Queue the harvest trades" not in page.content()
    drift = page.locator("#alerts tbody tr", has_text="from its target weight")
    row = drift.first
    row.get_by_label("Reason").fill("client keeps this on purpose")
    row.get_by_role("button", name="Dismiss").click()
    page.locator(".notice", has_text="dismissed").wait_for()
    page.goto(live_server + "/alerts?status=dismissed")
    assert "client keeps this on purpose" in page.content()
    page.goto(live_server + "/alerts")
    page.locator("#alerts tbody tr").first.get_by_role("button", name="Queue a full plan"
                                                       ).click()
    page.wait_for_url("**/plans/*", timeout=180_000)
    assert "firm market version 1" in page.locator("#plan-market").inner_text()
    page.screenshot(path=str(SHOTS / "book-plan.png"))
    assert errors == [], errors
    page.close()
