"""REST API: every route's status and body for its owner, and denial for everyone else."""

from __future__ import annotations

import copy

import pytest
from .svc_helpers import (
    ACCOUNT,
    PASSWORD,
    PROFILE,
    make_plan,
    make_settings,
    sign_in,
    sign_up,
    wait_job,
)

CSV = b"asset,quantity,cost_basis_per_share,acquired\nVEA,100,50.5,2022-03-01\nVWO,10,40,2023-01-05\n"


def api_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) of the API, from the OpenAPI schema the app publishes."""
    return {(m.upper(), path) for path, ops in app.openapi()["paths"].items()
            if path.startswith("/api/v1") for m in ops}


@pytest.fixture
def world(client):
    """Firm A: admin Alice (client, account, lot, plan, API key) and advisor Bob; firm B: Carol."""
    alice = sign_up(client, "alice@a.example", "Firm A")
    r = client.post("/api/v1/advisors", headers=alice, json={
        "name": "Bob", "email": "bob@a.example", "password": PASSWORD})
    assert r.status_code == 202
    bob = sign_in(client, "bob@a.example")
    bob_id = client.get("/api/v1/me", headers=bob).json()["id"]
    bob_key = client.post("/api/v1/api-keys", headers=bob, json={"name": "bob's"}).json()
    carol = sign_up(client, "carol@b.example", "Firm B")
    cid = client.post("/api/v1/clients", headers=alice,
                      json={"name": "Garcia", "profile": PROFILE}).json()["id"]
    acct = client.post(f"/api/v1/clients/{cid}/accounts", headers=alice, json=ACCOUNT).json()
    r = client.post(f"/api/v1/clients/{cid}/plans", headers=alice, json={})
    assert r.status_code == 202 and r.headers["location"] == f"/api/v1/jobs/{r.json()['id']}"
    job_id = r.json()["id"]
    pid = make_plan(client, alice, cid)["id"]
    # Let the first job finish too: a plan stored later would change the snapshots the
    # scoping tests compare (the job queue runs in the background).
    assert wait_job(client, alice, r.json())["status"] == "done"
    key = client.post("/api/v1/api-keys", headers=alice, json={"name": "robo"}).json()
    book = _book_alerts(client, alice)
    return dict(alice=alice, bob=bob, carol=carol, cid=cid, aid=acct["id"],
                lid=acct["lots"][0]["id"], pid=pid, key=key, bob_id=bob_id, bob_key=bob_key,
                job_id=job_id, **book, **_judgement_world(client, alice, cid, pid))


def _book_alerts(client, alice) -> dict[str, int]:
    """Re-plan Alice's book (Garcia drifts and holds a BND loss): the run and two alerts."""
    import time

    run = client.post("/api/v1/book/runs", headers=alice,
                      json={"goal_paths": 20, "as_of": "2025-06-30"}).json()
    while run["status"] == "running":
        time.sleep(0.05)
        run = client.get(f"/api/v1/book/runs/{run['id']}", headers=alice).json()
    kinds = {a["kind"]: a["id"] for a in
             client.get("/api/v1/alerts", headers=alice).json()["items"]}
    return dict(run_id=run["id"], drift_alert=kinds["drift"], harvest_alert=kinds["harvest"])


def _judgement_world(client, alice, cid: int, pid: int) -> dict:
    """Alice's model portfolio, an override and a stored scenario (inserted directly: these
    plans have no goals simulation, which a what-if needs; tests/service/test_whatif.py)."""
    from tailorfolio.service._models_judgement import Scenario

    mid = client.post("/api/v1/model-portfolios", headers=alice, json={
        "name": "Core", "weights": {"VTI": 0.6, "BND": 0.4}}).json()["id"]
    oid = client.post(f"/api/v1/clients/{cid}/overrides", headers=alice, json={
        "kind": "bounds", "target": "VTI", "max": 0.9, "reason": "house view"}).json()["id"]
    me = client.get("/api/v1/me", headers=alice).json()["id"]
    with client.app.state.sessions() as db:
        sc = Scenario(client_id=cid, plan_id=pid, name="stored", changes={}, results={},
                      created_by=me)
        db.add(sc)
        db.commit()
        sid = sc.id
    return dict(mid=mid, oid=oid, sid=sid)


def requests_for(w) -> dict[tuple[str, str], dict]:
    """A valid request for every route, filled with Alice's ids."""
    cid, aid, lid, pid = w["cid"], w["aid"], w["lid"], w["pid"]
    upd = {"base_version": 1, "profile": {**PROFILE, "age": 42}}
    return {
        ("POST", "/api/v1/auth/signup"): dict(json={"firm_name": "X", "name": "X",
                                                    "email": "x@x.example", "password": PASSWORD}),
        ("POST", "/api/v1/auth/token"): dict(json={"email": "alice@a.example",
                                                   "password": PASSWORD}),
        ("POST", "/api/v1/auth/logout"): {},
        ("GET", "/api/v1/me"): {},
        ("GET", "/api/v1/advisors"): {},
        ("POST", "/api/v1/advisors"): dict(json={"name": "Dan", "email": "dan@a.example",
                                                 "password": PASSWORD}),
        ("GET", "/api/v1/api-keys"): {},
        ("POST", "/api/v1/api-keys"): dict(json={"name": "k"}),
        ("DELETE", "/api/v1/api-keys/{key_id}"): dict(key_id=w["key"]["id"]),
        ("GET", "/api/v1/audit"): {},
        ("GET", "/api/v1/clients"): {},
        ("POST", "/api/v1/clients"): dict(json={"name": "New", "profile": PROFILE}),
        ("GET", "/api/v1/clients/{client_id}"): dict(client_id=cid),
        ("PATCH", "/api/v1/clients/{client_id}"): dict(client_id=cid, json={"name": "Renamed"}),
        ("GET", "/api/v1/clients/{client_id}/profile"): dict(client_id=cid),
        ("PUT", "/api/v1/clients/{client_id}/profile"): dict(client_id=cid, json=upd),
        ("GET", "/api/v1/clients/{client_id}/profile/versions"): dict(client_id=cid),
        ("GET", "/api/v1/clients/{client_id}/profile/versions/{version}"):
            dict(client_id=cid, version=1),
        ("GET", "/api/v1/clients/{client_id}/accounts"): dict(client_id=cid),
        ("POST", "/api/v1/clients/{client_id}/accounts"):
            dict(client_id=cid, json={**ACCOUNT, "name": "IRA", "type": "roth"}),
        ("GET", "/api/v1/clients/{client_id}/accounts/{account_id}"):
            dict(client_id=cid, account_id=aid),
        ("PATCH", "/api/v1/clients/{client_id}/accounts/{account_id}"):
            dict(client_id=cid, account_id=aid, json={"cash": 1.0}),
        ("DELETE", "/api/v1/clients/{client_id}/accounts/{account_id}"):
            dict(client_id=cid, account_id=aid),
        ("POST", "/api/v1/clients/{client_id}/accounts/{account_id}/lots"):
            dict(client_id=cid, account_id=aid, json={"asset": "VEA", "quantity": 5,
                                                      "cost_basis_per_share": 50,
                                                      "acquired": "2024-01-02"}),
        ("POST", "/api/v1/clients/{client_id}/accounts/{account_id}/lots/upload"):
            dict(client_id=cid, account_id=aid, files={"file": ("h.csv", CSV, "text/csv")}),
        ("PATCH", "/api/v1/clients/{client_id}/accounts/{account_id}/lots/{lot_id}"):
            dict(client_id=cid, account_id=aid, lot_id=lid, json={"quantity": 7}),
        ("DELETE", "/api/v1/clients/{client_id}/accounts/{account_id}/lots/{lot_id}"):
            dict(client_id=cid, account_id=aid, lot_id=lid),
        ("GET", "/api/v1/clients/{client_id}/goals"): dict(client_id=cid),
        ("POST", "/api/v1/clients/{client_id}/goals"):
            dict(client_id=cid, json={"goal": {"name": "Car", "amount": 20000, "years": 3}}),
        ("PATCH", "/api/v1/clients/{client_id}/goals/{goal_index}"):
            dict(client_id=cid, goal_index=0, json={"changes": {"amount": 1400000}}),
        ("DELETE", "/api/v1/clients/{client_id}/goals/{goal_index}"):
            dict(client_id=cid, goal_index=1),
        ("POST", "/api/v1/clients/{client_id}/plans"): dict(client_id=cid, json={}),
        ("GET", "/api/v1/clients/{client_id}/plans"): dict(client_id=cid),
        ("GET", "/api/v1/clients/{client_id}/plans/{plan_id}"): dict(client_id=cid, plan_id=pid),
        ("GET", "/api/v1/clients/{client_id}/plans/{plan_id}/report"):
            dict(client_id=cid, plan_id=pid),
        ("GET", "/api/v1/jobs/{job_id}"): dict(job_id=w["job_id"]),
        ("PATCH", "/api/v1/advisors/{advisor_id}"):
            dict(advisor_id=w["bob_id"], json={"is_admin": False}),
        ("DELETE", "/api/v1/advisors/{advisor_id}/sessions"): dict(advisor_id=w["bob_id"]),
        ("GET", "/api/v1/advisors/{advisor_id}/api-keys"): dict(advisor_id=w["bob_id"]),
        ("DELETE", "/api/v1/advisors/{advisor_id}/api-keys/{key_id}"):
            dict(advisor_id=w["bob_id"], key_id=w["bob_key"]["id"]),
        ("GET", "/api/v1/alerts"): {},
        ("POST", "/api/v1/alerts/{alert_id}/dismiss"):
            dict(alert_id=w["drift_alert"], json={"reason": "known"}),
        ("POST", "/api/v1/alerts/{alert_id}/act"):
            dict(alert_id=w["harvest_alert"], json={"action": "harvest"}),
        ("GET", "/api/v1/book"): {},
        ("GET", "/api/v1/book/runs"): {},
        ("GET", "/api/v1/book/runs/{run_id}"): dict(run_id=w["run_id"]),
        ("POST", "/api/v1/book/runs"): dict(json={"goal_paths": 0}),
        ("GET", "/api/v1/market-versions"): {},
        ("GET", "/api/v1/market-versions/current"): {},
        ("POST", "/api/v1/market-versions"): dict(files={"prices": ("p.csv", _prices(),
                                                                    "text/csv")}),
        # what-if, scenarios, compare, model portfolios, overrides (service._api_whatif)
        ("GET", "/api/v1/clients/{client_id}/plans/{plan_id}/whatif"):
            dict(client_id=cid, plan_id=pid),
        ("POST", "/api/v1/clients/{client_id}/plans/{plan_id}/whatif"):
            dict(client_id=cid, plan_id=pid, json={"annual_saving": 1000}),
        ("POST", "/api/v1/clients/{client_id}/plans/{plan_id}/scenarios"):
            dict(client_id=cid, plan_id=pid, json={"name": "s", "changes": {}}),
        ("GET", "/api/v1/clients/{client_id}/scenarios"): dict(client_id=cid),
        ("GET", "/api/v1/clients/{client_id}/scenarios/{scenario_id}"):
            dict(client_id=cid, scenario_id=w["sid"]),
        ("DELETE", "/api/v1/clients/{client_id}/scenarios/{scenario_id}"):
            dict(client_id=cid, scenario_id=w["sid"]),
        ("GET", "/api/v1/clients/{client_id}/compare"): dict(client_id=cid),
        ("GET", "/api/v1/clients/{client_id}/plans/{plan_id}/overrides-cost"):
            dict(client_id=cid, plan_id=pid),
        ("GET", "/api/v1/model-portfolios"): {},
        ("POST", "/api/v1/model-portfolios"):
            dict(json={"name": "Other", "weights": {"VTI": 1.0}}),
        ("GET", "/api/v1/model-portfolios/{model_id}"): dict(model_id=w["mid"]),
        ("PUT", "/api/v1/model-portfolios/{model_id}"):
            dict(model_id=w["mid"], json={"name": "Core", "weights": {"VTI": 1.0}}),
        ("DELETE", "/api/v1/model-portfolios/{model_id}"): dict(model_id=w["mid"]),
        ("GET", "/api/v1/clients/{client_id}/overrides"): dict(client_id=cid),
        ("POST", "/api/v1/clients/{client_id}/overrides"):
            dict(client_id=cid, json={"kind": "bounds", "target": "BND", "min": 0.1,
                                      "reason": "r-e-a-s-o-n"}),
        ("POST", "/api/v1/clients/{client_id}/overrides/{override_id}/remove"):
            dict(client_id=cid, override_id=w["oid"], json={"reason": "ended"}),
        ("DELETE", "/api/v1/clients/{client_id}"): dict(client_id=cid),  # last: soft delete
    }


def _prices() -> bytes:
    from .book_helpers import csv_bytes, price_history

    return csv_bytes(price_history())


ADVISOR_ROUTES = {("PATCH", "/api/v1/advisors/{advisor_id}"),
                  ("DELETE", "/api/v1/advisors/{advisor_id}/sessions"),
                  ("GET", "/api/v1/advisors/{advisor_id}/api-keys"),
                  ("DELETE", "/api/v1/advisors/{advisor_id}/api-keys/{key_id}")}


FIRM_ROUTES = {  # the firm's model portfolios: every advisor of the firm, no one outside it
    ("GET", "/api/v1/model-portfolios/{model_id}"), ("PUT", "/api/v1/model-portfolios/{model_id}"),
    ("DELETE", "/api/v1/model-portfolios/{model_id}")}


PUBLIC = {("POST", "/api/v1/auth/signup"), ("POST", "/api/v1/auth/token")}
UNSCOPED_OK = {  # routes without a client id: allowed, but only show the caller's own data
    ("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/me"), ("GET", "/api/v1/advisors"),
    ("GET", "/api/v1/api-keys"), ("POST", "/api/v1/api-keys"), ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/clients"), ("POST", "/api/v1/clients"), ("POST", "/api/v1/advisors"),
    ("GET", "/api/v1/alerts"), ("GET", "/api/v1/book"), ("GET", "/api/v1/book/runs"),
    ("POST", "/api/v1/book/runs"), ("GET", "/api/v1/market-versions"),
    ("GET", "/api/v1/market-versions/current"), ("POST", "/api/v1/market-versions"),
    ("GET", "/api/v1/model-portfolios"), ("POST", "/api/v1/model-portfolios"),
}


def call(client, method, path, headers=None, **kw):
    params = {k: v for k, v in kw.items() if k not in ("json", "files")}
    url = path.format(**params)
    return client.request(method, url, headers=headers, json=kw.get("json"),
                          files=kw.get("files"))


def test_every_route_has_a_test_request(app, world):
    assert set(requests_for(world)) == api_routes(app)


def test_every_private_route_requires_authentication(client, world):
    for (method, path), kw in requests_for(world).items():
        if (method, path) in PUBLIC:
            continue
        for headers in (None, {"Authorization": "Bearer not-a-token"},
                        {"Authorization": "Bearer tfk_forged"}):
            r = call(client, method, path, headers, **kw)
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.json()["field"] == "Authorization"


@pytest.mark.parametrize("who", ["carol", "bob"])
def test_no_route_reaches_another_advisors_client(client, world, who):
    """Firm B's admin and firm A's non-admin advisor get 404 on every route with Alice's ids
    (the service never says the record exists), and Alice's data is unchanged afterwards."""
    headers = world[who]
    before = _snapshot(client, world)
    for (method, path), kw in requests_for(world).items():
        if (method, path) in PUBLIC or (method, path) in UNSCOPED_OK:
            continue
        if who == "bob" and (method, path) in ADVISOR_ROUTES | FIRM_ROUTES:
            continue  # Bob's own advisor record (test_admin_manages_advisors covers these)
        r = call(client, method, path, headers, **copy.deepcopy(kw))
        assert r.status_code == 404, (who, method, path, r.status_code, r.text)
        assert r.json()["error"] == "NotFoundError"
    assert _snapshot(client, world) == before
    listed = client.get("/api/v1/clients", headers=headers).json()
    assert world["cid"] not in [c["id"] for c in listed["items"]]
    audit = client.get("/api/v1/audit", headers=headers).json()["items"]
    assert all(e["entity_id"] != world["cid"] or e["entity"] != "client" for e in audit)


def _snapshot(client, w):
    a = w["alice"]
    base = f"/api/v1/clients/{w['cid']}"
    return (client.get(base, headers=a).json(), client.get(base + "/profile", headers=a).json(),
            client.get(base + "/accounts", headers=a).json(),
            client.get(base + "/plans", headers=a).json()["total"],
            client.get("/api/v1/api-keys", headers=a).json())


def test_firm_scoping_of_unscoped_routes(client, world):
    carol = world["carol"]
    assert [a["email"] for a in client.get("/api/v1/advisors", headers=carol).json()["items"]] \
        == ["carol@b.example"]
    r = client.post("/api/v1/advisors", headers=world["bob"], json={
        "name": "Eve", "email": "eve@a.example", "password": PASSWORD})
    assert r.status_code == 403 and r.json()["field"] == "is_admin"
    assert client.get("/api/v1/api-keys", headers=carol).json()["total"] == 0


def test_owner_gets_every_route(client, world):
    """Alice: each route's status and body (in an order where deletes come last)."""
    a, cid, aid, pid = world["alice"], world["cid"], world["aid"], world["pid"]
    reqs = requests_for(world)
    expect = {("POST", "/api/v1/auth/signup"): 202, ("POST", "/api/v1/auth/token"): 201,
              ("POST", "/api/v1/advisors"): 202, ("POST", "/api/v1/api-keys"): 201,
              ("POST", "/api/v1/clients"): 201, ("PUT", "/api/v1/clients/{client_id}/profile"):
              201, ("POST", "/api/v1/clients/{client_id}/accounts"): 201,
              ("POST", "/api/v1/clients/{client_id}/accounts/{account_id}/lots"): 201,
              ("POST", "/api/v1/clients/{client_id}/accounts/{account_id}/lots/upload"): 201,
              ("POST", "/api/v1/clients/{client_id}/plans"): 202,
              ("POST", "/api/v1/book/runs"): 202, ("POST", "/api/v1/market-versions"): 201,
              ("DELETE", "/api/v1/advisors/{advisor_id}/sessions"): 204,
              ("DELETE", "/api/v1/clients/{client_id}/accounts/{account_id}"): 204,
              ("DELETE", "/api/v1/clients/{client_id}/accounts/{account_id}/lots/{lot_id}"): 204,
              ("POST", "/api/v1/clients/{client_id}/goals"): 201,
              ("DELETE", "/api/v1/clients/{client_id}"): 204,
              ("POST", "/api/v1/auth/logout"): 204,
              # these plans have no goals simulation (goal_paths=0): nothing to re-simulate
              ("GET", "/api/v1/clients/{client_id}/plans/{plan_id}/whatif"): 409,
              ("POST", "/api/v1/clients/{client_id}/plans/{plan_id}/whatif"): 409,
              ("POST", "/api/v1/clients/{client_id}/plans/{plan_id}/scenarios"): 409,
              ("DELETE", "/api/v1/clients/{client_id}/scenarios/{scenario_id}"): 204,
              ("POST", "/api/v1/model-portfolios"): 201,
              ("DELETE", "/api/v1/model-portfolios/{model_id}"): 204,
              ("POST", "/api/v1/clients/{client_id}/overrides"): 201}
    order = sorted(reqs, key=lambda k: (k == ("POST", "/api/v1/auth/logout"),
                                        k[0] == "DELETE" and "lots" not in k[1]))
    bodies = {}
    for key in order:
        r = call(client, key[0], key[1], a, **copy.deepcopy(reqs[key]))
        assert r.status_code == expect.get(key, 200), (key, r.status_code, r.text)
        bodies[key] = r
    assert bodies[("GET", "/api/v1/me")].json()["email"] == "alice@a.example"
    assert bodies[("PATCH", "/api/v1/clients/{client_id}")].json()["name"] == "Renamed"
    prof = bodies[("PUT", "/api/v1/clients/{client_id}/profile")].json()
    assert prof["version"] == 2 and prof["data"]["age"] == 42
    versions = bodies[("GET", "/api/v1/clients/{client_id}/profile/versions")].json()
    assert versions["total"] >= 1 and versions["limit"] == 50 and versions["offset"] == 0
    up = bodies[("POST", "/api/v1/clients/{client_id}/accounts/{account_id}/lots/upload")].json()
    assert up["created"] == 2 and [lot["asset"] for lot in up["lots"]] == ["VEA", "VWO"]
    plan = bodies[("GET", "/api/v1/clients/{client_id}/plans/{plan_id}")].json()
    assert plan["id"] == pid and 1 <= plan["risk_level"] <= 10
    assert abs(sum(plan["plan"]["household"]["weights"].values()) - 1) < 1e-6
    assert plan["inputs"]["profile"]["accounts"][0]["name"] == "Brokerage"
    assert plan["assumptions"]["sources"]["VTI"].startswith("Vanguard")
    report = bodies[("GET", "/api/v1/clients/{client_id}/plans/{plan_id}/report")]
    assert report.headers["content-type"].startswith("text/html")
    assert "attachment" in report.headers["content-disposition"]
    assert "chart-frontier" in report.text
    key = bodies[("POST", "/api/v1/api-keys")].json()
    assert key["key"].startswith("tfk_") and key["prefix"] == key["key"][:10]
    revoked = bodies[("DELETE", "/api/v1/api-keys/{key_id}")].json()
    assert revoked["revoked_at"] is not None
    # the logout revoked Alice's token
    assert client.get("/api/v1/me", headers=a).status_code == 401
    del aid


def test_api_key_authenticates_and_revocation_ends_it(client, world):
    key = world["key"]["key"]
    h = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/me", headers=h).json()["email"] == "alice@a.example"
    client.delete(f"/api/v1/api-keys/{world['key']['id']}", headers=world["alice"])
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_api_keys_and_tokens_are_hashed_at_rest(app, client, world):
    import sqlalchemy as sa

    from tailorfolio.service._security import token_hash

    key = world["key"]["key"]
    token = world["alice"]["Authorization"].split()[1]
    with app.state.engine.connect() as conn:
        dump = repr(conn.execute(sa.text("SELECT * FROM api_keys")).all()) + repr(
            conn.execute(sa.text("SELECT * FROM auth_tokens")).all()) + repr(
            conn.execute(sa.text("SELECT password_hash FROM advisors")).all())
    assert key not in dump and token not in dump and PASSWORD not in dump
    assert token_hash(key) in dump and token_hash(token) in dump
    assert "$argon2id$" in dump


def test_expired_token_is_rejected(app, client, world):
    import sqlalchemy as sa

    with app.state.engine.begin() as conn:
        conn.execute(sa.text("UPDATE auth_tokens SET expires_at = :t"),
                     {"t": "2000-01-01 00:00:00+00:00"})
    r = client.get("/api/v1/me", headers=world["alice"])
    assert r.status_code == 401


def test_wrong_password_names_the_field_not_which_part(client, world):
    for email, pw in (("alice@a.example", "wrong password!"), ("nobody@a.example", PASSWORD)):
        r = client.post("/api/v1/auth/token", json={"email": email, "password": pw})
        assert r.status_code == 401
        assert r.json()["message"] == "E-mail or password is wrong."


def test_library_errors_map_to_4xx_with_the_field(client, world):
    a, cid = world["alice"], world["cid"]
    r = client.post("/api/v1/clients", headers=a, json={
        "name": "X", "profile": {**PROFILE, "age": 12, "annual_income": -1}})
    assert r.status_code == 422
    fields = {i["field"] for i in r.json()["issues"]}
    assert {"profile.age", "profile.annual_income"} <= fields
    r = client.post(f"/api/v1/clients/{cid}/accounts/{world['aid']}/lots", headers=a,
                    json={"asset": "NOPE", "quantity": 1, "cost_basis_per_share": 1,
                          "acquired": "2024-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "asset"
    r = client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
    assert r.status_code == 409 and r.json()["field"] == "name"
    r = client.put(f"/api/v1/clients/{cid}/profile", headers=a,
                   json={"base_version": 7, "profile": PROFILE})
    assert r.status_code == 409 and r.json()["field"] == "base_version"
    r = client.get("/api/v1/clients?limit=0", headers=a)
    assert r.status_code == 422 and r.json()["field"] == "limit"
    # infeasible preferences: the library names the conflicting constraint's field
    r = client.put(f"/api/v1/clients/{cid}/profile", headers=a, json={"base_version": 1,
                   "profile": {**PROFILE, "preferences": {"asset_class_bounds": {
                       "bond": {"min": 0.9}, "equity": {"min": 0.5}}}}})
    assert r.status_code in (201, 422)
    if r.status_code == 201:
        err = make_plan(client, a, cid)  # the job fails with the library's field-level error
        assert err["status_code"] == 422 and err["field"].startswith("preferences")
        assert err["conflicts"]


def test_pagination(client, world):
    a = world["alice"]
    for i in range(5):
        client.post("/api/v1/clients", headers=a, json={"name": f"C{i}", "profile": PROFILE})
    p1 = client.get("/api/v1/clients?limit=2&offset=0", headers=a).json()
    p2 = client.get("/api/v1/clients?limit=2&offset=2", headers=a).json()
    assert p1["total"] == p2["total"] == 6 and len(p1["items"]) == len(p2["items"]) == 2
    assert not {c["id"] for c in p1["items"]} & {c["id"] for c in p2["items"]}
    assert client.get("/api/v1/clients?q=C3", headers=a).json()["total"] == 1


def test_upload_limits(tmp_path):
    from fastapi.testclient import TestClient

    from tailorfolio.service import create_app

    app = create_app(make_settings(tmp_path, max_upload_bytes=200, max_body_bytes=5000))
    with TestClient(app) as c:
        a = sign_up(c, "u@u.example")
        cid = c.post("/api/v1/clients", headers=a, json={"name": "U", "profile": PROFILE}
                     ).json()["id"]
        aid = c.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT).json()["id"]
        big = CSV + b"VTI,1,1,2020-01-01\n" * 20
        r = c.post(f"/api/v1/clients/{cid}/accounts/{aid}/lots/upload", headers=a,
                   files={"file": ("h.csv", big, "text/csv")})
        assert r.status_code == 413 and r.json()["field"] == "file"
        r = c.post(f"/api/v1/clients/{cid}/accounts/{aid}/lots/upload", headers=a,
                   files={"file": ("h.csv", b"asset,quantity\nVTI,1\n", "text/csv")})
        assert r.status_code == 422 and "cost_basis_per_share" in r.json()["message"]
        r = c.post(f"/api/v1/clients/{cid}/accounts/{aid}/lots/upload", headers=a,
                   files={"file": ("h.csv", CSV.replace(b"100", b"-5"), "text/csv")})
        assert r.status_code == 422 and r.json()["field"] == "file line 2.quantity"
        r = c.post("/api/v1/clients", headers=a, content=b"x" * 6000,
                   )
        assert r.status_code == 413
        assert c.get(f"/api/v1/clients/{cid}/accounts/{aid}", headers=a).json()["lots"] \
            == c.get(f"/api/v1/clients/{cid}/accounts/{aid}", headers=a).json()["lots"]
        assert len(c.get(f"/api/v1/clients/{cid}/accounts/{aid}", headers=a).json()["lots"]) == 2


def test_health_and_openapi(client):
    assert client.get("/health").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/clients/{client_id}/plans" in spec["paths"]
    assert client.get("/docs").status_code == 404  # off by default (see test_abuse)


def test_plans_are_immutable(app, world):
    from sqlalchemy.orm import Session

    from tailorfolio.service._models import PlanRecord

    with Session(app.state.engine) as db:
        row = db.get(PlanRecord, world["pid"])
        row.risk_level = 1
        with pytest.raises(RuntimeError, match="immutable"):
            db.commit()
        db.rollback()
        with pytest.raises(RuntimeError, match="never deleted"):
            db.delete(db.get(PlanRecord, world["pid"]))
            db.commit()


def test_repeated_failed_sign_ins_are_throttled(client, world):
    """After the free failures for (e-mail, address) the next try waits (429, Retry-After),
    even with the right password; another e-mail from the same address still signs in."""
    from tailorfolio.service._logic import THROTTLE_FREE

    for _ in range(THROTTLE_FREE["acct"]):
        r = client.post("/api/v1/auth/token", json={"email": "bob@a.example",
                                                    "password": "wrong guess!!"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"email": "bob@a.example",
                                                "password": PASSWORD})
    assert r.status_code == 429 and r.json()["field"] == "email"
    assert int(r.headers["retry-after"]) >= 1
    assert client.post("/api/v1/auth/token", json={"email": "carol@b.example",
                                                   "password": PASSWORD}).status_code == 201
