"""What-if, scenarios, comparison, model portfolios and overrides over the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tailorfolio.service import create_app

from .svc_helpers import ACCOUNT, PROFILE, make_plan, make_settings, sign_up

RETIREE = {**PROFILE, "retirement_age": 65, "goals": [
    {"name": "Retirement", "amount": 60000, "target_year": 2047, "kind": "income",
     "duration_years": 25, "annual_contribution": 20000},
    {"name": "Boat", "amount": 40000, "target_year": 2032, "priority": "aspirational"}]}


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    """One app with a goals simulation (small), one client with a plan."""
    tmp = tmp_path_factory.mktemp("whatif")
    app = create_app(make_settings(tmp, goal_paths=300))
    with TestClient(app) as c:
        h = sign_up(c, "w@w.example")
        cid = c.post("/api/v1/clients", headers=h, json={"name": "Ana", "profile": RETIREE}
                     ).json()["id"]
        assert c.post(f"/api/v1/clients/{cid}/accounts", headers=h, json=ACCOUNT
                      ).status_code == 201
        plan = make_plan(c, h, cid)
        yield c, h, cid, plan


def _url(cid: int, pid: int) -> str:
    return f"/api/v1/clients/{cid}/plans/{pid}/whatif"


def test_unchanged_whatif_is_the_stored_plan(svc) -> None:
    c, h, cid, plan = svc
    r = c.post(_url(cid, plan["id"]), headers=h, json={})
    assert r.status_code == 200, r.text
    view = r.json()
    stored = {g["name"]: g["probability"] for g in plan["plan"]["goals"]["outcomes"]}
    assert {g["name"]: g["probability"] for g in view["goals"]} == stored
    assert view["reproduces_stored_plan"] and all(g["change"] == 0 for g in view["goals"])
    assert view["plan_inputs"]["annual_saving"] == 20000
    assert view["plan_inputs"]["retirement_age"] == 65
    assert c.get(_url(cid, plan["id"]), headers=h).json()["goals"] == view["goals"]


def test_more_saving_and_later_retirement_raise_retirement_odds(svc) -> None:
    c, h, cid, plan = svc
    base = c.post(_url(cid, plan["id"]), headers=h, json={}).json()
    more = c.post(_url(cid, plan["id"]), headers=h,
                  json={"annual_saving": 60000, "retirement_age": 68}).json()
    odds = {g["name"]: g for g in more["goals"]}
    assert odds["Retirement"]["probability"] >= odds["Retirement"]["plan_probability"]
    assert odds["Retirement"]["change"] == pytest.approx(
        odds["Retirement"]["probability"] - base["goals"][0]["probability"])
    assert more["inputs"]["retirement_age"] == 68
    low = c.post(_url(cid, plan["id"]), headers=h, json={"risk_level": 1}).json()
    assert low["equity_share_now"] < base["equity_share_now"]


@pytest.mark.parametrize("body, field", [
    ({"risk_level": 11}, "risk_level"), ({"annual_saving": -5}, "annual_saving"),
    ({"goal_amounts": {"Yacht": 5}}, "goal_amounts"), ({"colour": "red"}, "colour")])
def test_bad_whatif_inputs_are_422_with_the_field(svc, body, field) -> None:
    c, h, cid, plan = svc
    r = c.post(_url(cid, plan["id"]), headers=h, json=body)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_whatif_needs_sign_in_and_csrf_and_scoping(svc) -> None:
    c, h, cid, plan = svc
    assert c.post(_url(cid, plan["id"]), json={}).status_code == 401
    other = sign_up(c, "x@x.example", "Other firm")
    assert c.post(_url(cid, plan["id"]), headers=other, json={}).status_code == 404
    c.cookies.set("tf_session", "not-a-session")
    try:
        assert c.post(_url(cid, plan["id"]), json={}).status_code == 401
    finally:
        c.cookies.clear()


def test_scenarios_are_saved_listed_compared_and_deleted(svc) -> None:
    c, h, cid, plan = svc
    url = f"/api/v1/clients/{cid}/plans/{plan['id']}/scenarios"
    r = c.post(url, headers=h, json={"name": "retire at 68",
                                     "changes": {"retirement_age": 68}})
    assert r.status_code == 201, r.text
    sc = r.json()
    assert sc["changes"] == {"retirement_age": 68, "goal_amounts": {}}
    assert sc["results"]["inputs"]["retirement_age"] == 68
    assert c.post(url, headers=h, json={"name": "retire at 68"}).status_code == 409
    listed = c.get(f"/api/v1/clients/{cid}/scenarios", headers=h).json()
    assert [s["id"] for s in listed["items"]] == [sc["id"]] or sc["id"] in [
        s["id"] for s in listed["items"]]
    cmp_ = c.get(f"/api/v1/clients/{cid}/compare", headers=h,
                 params={"a": f"plan:{plan['id']}", "b": f"scenario:{sc['id']}"}).json()
    goals = {g["name"]: g for g in cmp_["goals"]}
    assert goals["Retirement"]["difference"] == pytest.approx(
        goals["Retirement"]["b"] - goals["Retirement"]["a"])
    assert cmp_["tax"]["difference"] == 0.0  # a scenario makes no new trades
    assert "no new trades" in cmp_["b"]["trades_note"]
    assert {r["ticker"] for r in cmp_["allocation"]} >= {"VTI"}
    assert c.get(f"/api/v1/clients/{cid}/compare", headers=h,
                 params={"a": "plan:1", "b": "bogus"}).status_code == 404
    # one plan only: nothing to compare by default
    assert c.get(f"/api/v1/clients/{cid}/compare", headers=h).status_code == 404
    log = c.get("/api/v1/audit", headers=h).json()["items"]
    assert any(e["entity"] == "scenario" and e["action"] == "create" for e in log)
    assert c.delete(f"/api/v1/clients/{cid}/scenarios/{sc['id']}", headers=h
                    ).status_code == 204
    assert c.get(f"/api/v1/clients/{cid}/scenarios/{sc['id']}", headers=h).status_code == 404


def test_model_portfolio_crud(svc) -> None:
    c, h, _, _ = svc
    body = {"name": "Core 60/40", "weights": {"VTI": 0.4, "VEA": 0.2, "BND": 0.4},
            "tolerance": 0.05}
    r = c.post("/api/v1/model-portfolios", headers=h, json=body)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert c.post("/api/v1/model-portfolios", headers=h, json=body).status_code == 409
    bad = c.post("/api/v1/model-portfolios", headers=h,
                 json={**body, "name": "bad", "weights": {"VTI": 0.5}})
    assert bad.status_code == 422 and bad.json()["field"] == "weights"
    r = c.put(f"/api/v1/model-portfolios/{mid}", headers=h, json={**body, "tolerance": 0.1})
    assert r.status_code == 200 and r.json()["tolerance"] == 0.1
    assert len(c.get("/api/v1/model-portfolios", headers=h).json()["items"]) == 1
    other = sign_up(c, "y@y.example", "Firm Y")
    assert c.get(f"/api/v1/model-portfolios/{mid}", headers=other).status_code == 404
    assert c.delete(f"/api/v1/model-portfolios/{mid}", headers=h).status_code == 204


def test_override_needs_a_reason_and_is_checked_and_audited(svc) -> None:
    c, h, cid, _ = svc
    url = f"/api/v1/clients/{cid}/overrides"
    assert c.post(url, headers=h, json={"kind": "lock", "target": "VTI", "min": 0.3}
                  ).status_code == 422
    r = c.post(url, headers=h, json={"kind": "lock", "target": "ZZZ", "min": 0.3,
                                     "reason": "typo"})
    assert r.status_code == 422 and r.json()["field"] == "target"
    r = c.post(url, headers=h, json={"kind": "lock", "target": "vnq", "min": 0.05,
                                     "reason": "client's employer stock proxy"})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert c.get(url, headers=h).json()["total"] == 1
    assert c.post(f"{url}/{oid}/remove", headers=h, json={}).status_code == 422  # no reason
    r = c.post(f"{url}/{oid}/remove", headers=h, json={"reason": "client changed employer"})
    assert r.status_code == 200 and r.json()["removed_at"]
    assert c.get(url, headers=h).json()["total"] == 0
    log = c.get("/api/v1/audit", headers=h).json()["items"]
    removed = [e for e in log if e["entity"] == "override" and e["action"] == "remove"]
    assert removed and removed[0]["detail"]["reason"] == "client changed employer"


@pytest.mark.slow
def test_plan_with_overrides_reports_their_cost_and_whatif_keeps_them(svc) -> None:
    c, h, cid, base_plan = svc
    url = f"/api/v1/clients/{cid}/overrides"
    oid = c.post(url, headers=h, json={"kind": "lock", "target": "VNQ", "min": 0.10,
                                       "reason": "real-estate view"}).json()["id"]
    try:
        plan = make_plan(c, h, cid)
        assert plan["inputs"]["overrides"][0]["reason"] == "real-estate view"
        assert plan["plan"]["household"]["weights"]["VNQ"] > 0.05
        view = c.post(_url(cid, plan["id"]), headers=h, json={}).json()
        assert view["reproduces_stored_plan"]
        cost = c.get(f"/api/v1/clients/{cid}/plans/{plan['id']}/overrides-cost",
                     headers=h).json()["cost"]
        assert cost["overrides"][0]["target"] == "VNQ"
        assert cost["return_cost"] == pytest.approx(
            cost["base_expected_return"] - cost["expected_return"])
        assert {g["name"] for g in cost["goals"]} == {"Retirement", "Boat"}
        assert c.get(f"/api/v1/clients/{cid}/plans/{base_plan['id']}/overrides-cost",
                     headers=h).json()["cost"] is None
    finally:
        c.post(f"{url}/{oid}/remove", headers=h, json={"reason": "test over"})


# ------------------------------------------------------------------ pages

def _ui(c: TestClient, email: str) -> str:
    from .test_ui import csrf, ui_sign_in

    ui_sign_in(c, email)
    return csrf(c.get("/clients").text)


def test_pages_whatif_compare_models_overrides(svc) -> None:
    import re

    c, h, cid, plan = svc
    token = _ui(c, "w@w.example")
    try:
        page = c.get(f"/clients/{cid}/plans/{plan['id']}/whatif").text
        for key in ("annual_saving", "retirement_age", "retirement_spending", "risk_level"):
            assert f'id="s-{key}"' in page
        assert 'data-goal="Boat"' in page and "/static/whatif.js" in page
        assert f'data-csrf="{token}"' in page
        # the browser's what-if call: cookie + CSRF header; without the header it is refused
        url = _url(cid, plan["id"])
        assert c.post(url, json={"risk_level": 2}).status_code == 403
        r = c.post(url, json={"risk_level": 2}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and r.json()["inputs"]["risk_level"] == 2
        r = c.post(f"/api/v1/clients/{cid}/plans/{plan['id']}/scenarios",
                   json={"name": "cautious", "changes": {"risk_level": 2}},
                   headers={"X-CSRF-Token": token})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        cmp_page = c.get(f"/clients/{cid}/compare",
                         params={"a": f"plan:{plan['id']}", "b": f"scenario:{sid}"}).text
        assert 'id="chart-compare"' in cmp_page and 'id="compare-allocation"' in cmp_page
        assert "Scenario &#39;cautious&#39;" in cmp_page and "Retirement" in cmp_page
        assert c.get(f"/clients/{cid}/compare", params={"a": "x", "b": "y"}).status_code == 404

        r = c.post("/model-portfolios", data={"csrf_token": token, "name": "Growth",
                                              "tolerance": "5", "weights": "VTI 50\nXYZ 50"})
        assert r.status_code == 422 and 'id="e-new-weights"' in r.text and "XYZ" in r.text
        r = c.post("/model-portfolios", data={"csrf_token": token, "name": "Growth",
                                              "tolerance": "5", "weights": "VTI 70\nBND 30"},
                   follow_redirects=False)
        assert r.status_code == 303
        models = c.get("/model-portfolios").text
        mid = re.search(r'id="model-(\d+)"', models).group(1)
        r = c.post(f"/clients/{cid}/overrides", data={
            "csrf_token": token, "kind": "model", "model_portfolio_id": mid, "reason": ""})
        assert r.status_code == 422 and 'id="e-reason"' in r.text
        r = c.post(f"/clients/{cid}/overrides", data={
            "csrf_token": token, "kind": "bounds", "target": "VTI", "min": "60", "max": "20",
            "reason": "house view"})
        assert r.status_code == 422 and "above max" in r.text
        r = c.post(f"/clients/{cid}/overrides", data={
            "csrf_token": token, "kind": "model", "model_portfolio_id": mid,
            "reason": "firm growth model"}, follow_redirects=False)
        assert r.status_code == 303
        page = c.get(f"/clients/{cid}/overrides").text
        oid = re.search(r'id="override-(\d+)"', page).group(1)
        assert "firm growth model" in page and "Growth" in page
        r = c.post(f"/model-portfolios/{mid}/delete", data={"csrf_token": token})
        assert r.status_code == 409 and "remove those overrides first" in r.text
        r = c.post(f"/clients/{cid}/overrides/{oid}/remove", data={"csrf_token": token,
                                                                    "reason": "x"})
        assert r.status_code == 409
        r = c.post(f"/clients/{cid}/overrides/{oid}/remove",
                   data={"csrf_token": token, "reason": "back to the optimizer"},
                   follow_redirects=False)
        assert r.status_code == 303
    finally:
        c.post("/signout", data={"csrf_token": token})
        c.cookies.clear()
