"""Households through the API: two people, several goals, income streams; edit and delete
goals, lots, accounts and clients, each change in the audit log with before and after."""

from __future__ import annotations

from .svc_helpers import ACCOUNT, PROFILE, make_plan, sign_up

HOUSEHOLD = {
    **PROFILE, "filing_status": "married_joint",
    "partner": {"name": "Alex", "age": 39, "annual_income": 90000, "retirement_age": 67},
    "income_streams": [
        {"kind": "social_security", "annual_amount": 30000, "start_age": 67},
        {"kind": "social_security", "owner": "partner", "annual_amount": 22000,
         "start_age": 70},
        {"kind": "pension", "annual_amount": 12000, "start_age": 65,
         "inflation_adjusted": False, "cola": 0.01}],
    "goals": [
        {"name": "Retirement", "kind": "income", "amount": 90000, "target_year": 2049,
         "duration_years": 30, "priority": "essential", "annual_contribution": 20000},
        {"name": "College", "amount": 120000, "target_year": 2036, "priority": "important"},
        {"name": "Boat", "amount": 40000, "target_year": 2030, "priority": "aspirational"}],
}


def _client(c, a) -> int:
    r = c.post("/api/v1/clients", headers=a, json={"name": "The Lees", "profile": HOUSEHOLD})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _audit(c, a) -> list[dict]:
    return c.get("/api/v1/audit", headers=a, params={"limit": 100}).json()["items"]


def test_household_profile_round_trips(client) -> None:
    a = sign_up(client, "h1@x.example")
    cid = _client(client, a)
    data = client.get(f"/api/v1/clients/{cid}/profile", headers=a).json()["data"]
    assert data["partner"]["name"] == "Alex" and len(data["income_streams"]) == 3
    assert [g["name"] for g in data["goals"]] == ["Retirement", "College", "Boat"]
    goals = client.get(f"/api/v1/clients/{cid}/goals", headers=a).json()
    assert goals["version"] == 1 and len(goals["goals"]) == 3


def test_invalid_household_fields_are_named(client) -> None:
    a = sign_up(client, "h2@x.example")
    bad = {**HOUSEHOLD, "partner": {"age": 12},
           "income_streams": [{"kind": "social_security", "annual_amount": 1000,
                               "start_age": 60}]}
    r = client.post("/api/v1/clients", headers=a, json={"name": "X", "profile": bad})
    assert r.status_code == 422
    fields = {i["field"] for i in r.json()["issues"]}
    assert {"profile.partner.age", "profile.income_streams[0].start_age"} <= fields


def test_goal_add_edit_delete_with_versions_and_audit(client) -> None:
    a = sign_up(client, "h3@x.example")
    cid = _client(client, a)
    r = client.post(f"/api/v1/clients/{cid}/goals", headers=a, json={
        "goal": {"name": "Wedding", "amount": 30000, "target_year": 2028}})
    assert r.status_code == 201 and r.json()["version"] == 2
    r = client.patch(f"/api/v1/clients/{cid}/goals/1", headers=a,
                     json={"changes": {"amount": 150000}, "base_version": 2})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["goals"][1] == {**HOUSEHOLD["goals"][1], "amount": 150000.0,
                                            **{k: v for k, v in r.json()["data"]["goals"][1]
                                               .items() if k not in ("name", "amount",
                                                                     "target_year",
                                                                     "priority")}}
    stale = client.patch(f"/api/v1/clients/{cid}/goals/1", headers=a,
                         json={"changes": {"amount": 1}, "base_version": 2})
    assert stale.status_code == 409
    bad = client.patch(f"/api/v1/clients/{cid}/goals/1", headers=a,
                       json={"changes": {"amount": -5}})
    assert bad.status_code == 422 and bad.json()["issues"][0]["field"] == "goal.amount"
    assert client.patch(f"/api/v1/clients/{cid}/goals/9", headers=a,
                        json={"changes": {"amount": 1}}).status_code == 404
    r = client.delete(f"/api/v1/clients/{cid}/goals/3", headers=a)
    assert r.status_code == 200 and [g["name"] for g in r.json()["data"]["goals"]] == [
        "Retirement", "College", "Boat"]
    # the old versions are kept
    v1 = client.get(f"/api/v1/clients/{cid}/profile/versions/1", headers=a).json()
    assert v1["data"]["goals"][1]["amount"] == 120000
    log = _audit(client, a)
    upd = next(e for e in log if e["entity"] == "goal" and e["action"] == "update")
    assert upd["advisor_id"] is not None and upd["entity_id"] == 1
    assert upd["detail"]["before"]["amount"] == 120000
    assert upd["detail"]["after"]["amount"] == 150000
    dele = next(e for e in log if e["entity"] == "goal" and e["action"] == "delete")
    assert dele["detail"]["before"]["name"] == "Wedding"


def test_the_last_goal_cannot_be_deleted(client) -> None:
    a = sign_up(client, "h4@x.example")
    r = client.post("/api/v1/clients", headers=a, json={"name": "Solo", "profile": PROFILE})
    cid = r.json()["id"]
    r = client.delete(f"/api/v1/clients/{cid}/goals/0", headers=a)
    assert r.status_code == 409 and r.json()["field"] == "goal_index"


def test_lot_edit_and_delete_are_audited(client) -> None:
    a = sign_up(client, "h5@x.example")
    cid = _client(client, a)
    acct = client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT).json()
    lot = acct["lots"][0]
    url = f"/api/v1/clients/{cid}/accounts/{acct['id']}/lots/{lot['id']}"
    r = client.patch(url, headers=a, json={"quantity": 250, "acquired": "2019-09-01"})
    assert r.status_code == 200 and r.json()["quantity"] == 250
    assert r.json()["acquired"] == "2019-09-01"
    assert client.patch(url, headers=a, json={"acquired": "2999-01-01"}).status_code == 422
    assert client.patch(url, headers=a, json={"asset": "NOPE"}).status_code == 422
    assert client.delete(url, headers=a).status_code == 204
    assert client.delete(url, headers=a).status_code == 404
    log = _audit(client, a)
    upd = next(e for e in log if e["entity"] == "lot" and e["action"] == "update")
    assert upd["detail"]["before"]["quantity"] == 300 and upd["detail"]["after"][
        "quantity"] == 250
    dele = next(e for e in log if e["entity"] == "lot" and e["action"] == "delete")
    assert dele["detail"]["before"]["asset"] == "VTI"
    r = client.patch(f"/api/v1/clients/{cid}/accounts/{acct['id']}", headers=a,
                     json={"annual_contribution": 7000})
    assert r.status_code == 200
    acc_log = next(e for e in _audit(client, a) if e["entity"] == "account"
                   and e["action"] == "update")
    assert acc_log["detail"]["before"]["annual_contribution"] == 0
    assert acc_log["detail"]["after"]["annual_contribution"] == 7000


def test_deleting_a_client_is_soft_and_audited(client) -> None:
    a = sign_up(client, "h6@x.example")
    cid = _client(client, a)
    client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
    assert client.delete(f"/api/v1/clients/{cid}", headers=a).status_code == 204
    assert client.get(f"/api/v1/clients/{cid}", headers=a).status_code == 404
    assert client.get(f"/api/v1/clients/{cid}/plans", headers=a).status_code == 404
    assert client.delete(f"/api/v1/clients/{cid}", headers=a).status_code == 404
    assert cid not in [c["id"] for c in client.get("/api/v1/clients", headers=a).json()[
        "items"]]
    entry = next(e for e in _audit(client, a) if e["entity"] == "client"
                 and e["action"] == "delete")
    assert entry["entity_id"] == cid and entry["detail"]["soft"] is True
    assert entry["detail"]["before"] == {"name": "The Lees", "profile_version": 1,
                                         "goals": 3, "accounts": 1, "plans": 0}
    # the history is still in the database
    from tailorfolio.service._models import Client, ProfileVersion

    with client.app.state.sessions() as db:
        row = db.get(Client, cid)
        assert row.deleted_at is not None and row.deleted_by is not None
        assert db.query(ProfileVersion).filter_by(client_id=cid).count() == 1


def test_another_firm_cannot_edit_or_delete(client) -> None:
    a = sign_up(client, "h7@x.example", firm="A")
    b = sign_up(client, "h8@x.example", firm="B")
    cid = _client(client, a)
    assert client.delete(f"/api/v1/clients/{cid}", headers=b).status_code == 404
    assert client.patch(f"/api/v1/clients/{cid}/goals/0", headers=b,
                        json={"changes": {"amount": 1}}).status_code == 404
    assert client.delete(f"/api/v1/clients/{cid}/goals/0", headers=b).status_code == 404


def test_a_plan_of_a_household_with_social_security(client) -> None:
    a = sign_up(client, "h9@x.example")
    cid = _client(client, a)
    client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
    plan = make_plan(client, a, cid)
    assert plan["inputs"]["profile"]["partner"]["name"] == "Alex"
    assert len(plan["inputs"]["profile"]["income_streams"]) == 3
