"""The service under abuse (issue 12): one test per class of hostile request.

Each test names the rule it checks; the README's Security section states the same rules.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tailorfolio.service import _config as limits
from tailorfolio.service import create_app

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
from .test_ui import csrf, ui_sign_in

HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy",
           "content-security-policy", "cross-origin-opener-policy", "permissions-policy")


def _client_with_account(c, email="abuse@a.example"):
    h = sign_up(c, email)
    cid = c.post("/api/v1/clients", headers=h, json={"name": "A", "profile": PROFILE}
                 ).json()["id"]
    acct = c.post(f"/api/v1/clients/{cid}/accounts", headers=h, json=ACCOUNT).json()
    return h, cid, acct["id"]


def _assert_secure_headers(r):
    missing = [k for k in HEADERS if k not in r.headers]
    assert not missing, (r.status_code, r.request.url, missing)


# ------------------------------------------------------------------ body limit, headers

def test_chunked_body_over_the_limit_is_refused_on_the_stream_before_authentication(tmp_path):
    app = create_app(make_settings(tmp_path, max_body_bytes=100_000))
    read = []

    def chunks():  # no Content-Length: the server only learns the size while reading
        for _ in range(60):
            read.append(1)
            yield b"[" * 10_000

    with TestClient(app) as c:
        r = c.post("/api/v1/clients", content=chunks(),
                   headers={"Content-Type": "application/json"})  # no credentials at all
        assert r.status_code == 413, r.text  # not 401: refused before authentication
        assert r.json()["error"] == "PayloadTooLargeError" and r.json()["field"] == "body"
        _assert_secure_headers(r)
        assert r.headers["cache-control"] == "no-store"
        r = c.post("/api/v1/auth/token", content=b"x" * 200_000,
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["field"] == "Content-Length"
        _assert_secure_headers(r)
        # a body within the limit still works, through the buffered replay
        assert sign_up(c, "ok@b.example")


def test_security_headers_and_no_store_on_every_kind_of_response(client):
    h = sign_up(client, "hdr@h.example")
    cid = client.post("/api/v1/clients", headers=h, json={"name": "H", "profile": PROFILE}
                      ).json()["id"]
    responses = [
        client.get(f"/api/v1/clients/{cid}", headers=h),  # personal data
        client.get(f"/api/v1/clients/{cid}/profile", headers=h),
        client.get("/api/v1/clients/999999", headers=h),  # 404
        client.get("/api/v1/clients?limit=0", headers=h),  # 422
        client.get("/api/v1/me"),  # 401
        client.get("/signin"), client.get("/no/such/page"), client.get("/health"),
    ]
    for r in responses:
        _assert_secure_headers(r)
        assert r.headers["cache-control"] == "no-store", (r.request.url, r.headers)
    static = client.get("/static/app.css")
    _assert_secure_headers(static)
    assert static.headers["cache-control"].startswith("public")


def test_docs_are_off_by_default_and_pinned_by_a_csp_when_enabled(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.get("/docs").status_code == 404 and c.get("/redoc").status_code == 404
        assert c.get("/openapi.json").status_code == 200
    with TestClient(create_app(make_settings(tmp_path, enable_docs=True))) as c:
        r = c.get("/docs")
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "script-src https://cdn.jsdelivr.net 'sha256-" in csp
        assert "'unsafe-inline'" not in csp and "default-src 'none'" in csp


def test_deeply_nested_json_is_a_4xx(client):
    h = sign_up(client, "deep@d.example")
    body = '{"name": "x", "profile": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = client.post("/api/v1/clients", headers={**h, "Content-Type": "application/json"},
                    content=body.encode())
    assert 400 <= r.status_code < 500, r.text[:300]


# ------------------------------------------------------------------ sign-in throttling

def _token(c, email, password):
    return c.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_guessing_from_one_address_does_not_lock_out_the_owner(app, client):
    """Rule: per (e-mail, address) 5 free failures, then waits of 1 s, 2 s, 4 s ... (429 with
    Retry-After); the owner from another address signs in at once."""
    from tailorfolio.service._logic import THROTTLE_FREE

    sign_up(client, "owner@o.example")
    attacker = TestClient(app, client=("203.0.113.9", 40000))
    owner = TestClient(app, client=("198.51.100.7", 40001))
    waits = []
    for i in range(THROTTLE_FREE["acct"] + 4):
        r = _token(attacker, "owner@o.example", f"guess number {i}!")
        if r.status_code == 429:
            waits.append(int(r.headers["retry-after"]))
            with app.state.sessions() as db:  # skip the wait: age the block by hand
                db.execute(sa.text("UPDATE signin_throttle SET blocked_until = "
                                   "'1970-01-01 00:00:00+00:00'"))
                db.commit()
            r = _token(attacker, "owner@o.example", f"guess number {i}!")
        assert r.status_code == 401, r.text
    r = _token(attacker, "owner@o.example", PASSWORD)  # even the right password must wait
    assert r.status_code == 429 and r.json()["field"] == "email"
    blocked_for = int(r.headers["retry-after"])
    assert blocked_for >= 8  # 5 free, then 1, 2, 4, 8: exponential, not a fixed lockout
    assert _token(owner, "owner@o.example", PASSWORD).status_code == 201
    with app.state.sessions() as db:  # the counters live in the database
        keys = {k for (k,) in db.execute(sa.text("SELECT key FROM signin_throttle"))}
    assert "acct:owner@o.example|203.0.113.9" in keys and "addr:203.0.113.9" in keys


def test_spraying_many_emails_from_one_address_is_throttled(app, client):
    from tailorfolio.service._logic import THROTTLE_FREE

    sprayer = TestClient(app, client=("192.0.2.50", 40002))
    statuses = [_token(sprayer, f"user{i}@spray.example", "Spring2024!!").status_code
                for i in range(THROTTLE_FREE["addr"])]
    assert statuses[:THROTTLE_FREE["addr"]] == [401] * THROTTLE_FREE["addr"]
    r = _token(sprayer, "user999@spray.example", "Spring2024!!")
    assert r.status_code == 429 and r.json()["field"] == "address"
    sign_up(client, "elsewhere@e.example")  # other addresses are not affected
    assert _token(TestClient(app, client=("192.0.2.51", 1)), "elsewhere@e.example",
                  PASSWORD).status_code == 201


# ------------------------------------------------------------------ enumeration

def test_signup_answers_the_same_whether_or_not_the_email_exists(client, monkeypatch):
    """Same status, same body, similar time (production argon2 parameters), across firms."""
    from argon2 import PasswordHasher

    from tailorfolio.service import _security

    sign_up(client, "taken@t.example", "Firm T")
    monkeypatch.setattr(_security, "_HASHER", PasswordHasher())
    times = {"new": [], "taken": []}
    bodies = {}
    for i in range(4):
        for kind, email in (("new", f"fresh{i}@t.example"), ("taken", "taken@t.example")):
            t0 = time.perf_counter()
            r = client.post("/api/v1/auth/signup", json={
                "firm_name": f"Other {i}", "name": "X", "email": email, "password": PASSWORD})
            times[kind].append(time.perf_counter() - t0)
            bodies.setdefault(kind, set()).add((r.status_code, r.text))
    assert bodies["new"] == bodies["taken"] and len(bodies["new"]) == 1
    ratio = statistics.median(times["taken"]) / statistics.median(times["new"])
    print(f"\n[enumeration] signup median new {statistics.median(times['new']) * 1000:.0f} ms, "
          f"taken {statistics.median(times['taken']) * 1000:.0f} ms (ratio {ratio:.2f})")
    assert 0.6 < ratio < 1.6
    # the owner of the taken address is untouched
    assert _token(client, "taken@t.example", PASSWORD).status_code == 201


def test_advisor_creation_is_no_oracle_across_firms(client):
    alice = sign_up(client, "alice@a.example", "A")
    sign_up(client, "carol@b.example", "B")
    answers = set()
    for email in ("carol@b.example", "newbie@a.example"):
        r = client.post("/api/v1/advisors", headers=alice, json={
            "name": "N", "email": email, "password": PASSWORD})
        answers.add((r.status_code, r.text))
    assert len(answers) == 1 and answers.pop()[0] == 202
    emails = {a["email"] for a in client.get("/api/v1/advisors", headers=alice).json()["items"]}
    assert emails == {"alice@a.example", "newbie@a.example"}
    r = client.post("/api/v1/advisors", headers=alice, json={  # own firm: 409 is no leak
        "name": "N", "email": "newbie@a.example", "password": PASSWORD})
    assert r.status_code == 409 and r.json()["field"] == "email"


# ------------------------------------------------------------------ credentials

def test_logout_with_an_api_key_revokes_that_key(client):
    h = sign_up(client, "key@k.example")
    key = client.post("/api/v1/api-keys", headers=h, json={"name": "robo"}).json()
    kh = {"Authorization": f"Bearer {key['key']}"}
    assert client.get("/api/v1/me", headers=kh).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=kh).status_code == 204
    assert client.get("/api/v1/me", headers=kh).status_code == 401
    keys = client.get("/api/v1/api-keys", headers=h).json()["items"]
    assert keys[0]["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=h).status_code == 200  # the session is separate


def test_admin_revokes_sessions_and_keys_and_deactivates_advisors(client):
    alice = sign_up(client, "alice@a.example", "A")
    client.post("/api/v1/advisors", headers=alice, json={
        "name": "Bob", "email": "bob@a.example", "password": PASSWORD})
    carol = sign_up(client, "carol@b.example", "B")
    bob = sign_in(client, "bob@a.example")
    bob_id = client.get("/api/v1/me", headers=bob).json()["id"]
    alice_id = client.get("/api/v1/me", headers=alice).json()["id"]
    key = client.post("/api/v1/api-keys", headers=bob, json={"name": "b"}).json()
    kh = {"Authorization": f"Bearer {key['key']}"}
    # firm-scoped: another firm's admin does not even see Bob
    assert client.delete(f"/api/v1/advisors/{bob_id}/sessions", headers=carol).status_code == 404
    assert client.patch(f"/api/v1/advisors/{bob_id}", headers=carol,
                        json={"is_active": False}).status_code == 404
    # a non-admin cannot manage others
    r = client.patch(f"/api/v1/advisors/{alice_id}", headers=bob, json={"is_active": False})
    assert r.status_code == 403
    # the admin ends Bob's sessions; his API key still works until revoked
    assert client.delete(f"/api/v1/advisors/{bob_id}/sessions", headers=alice).status_code == 204
    assert client.get("/api/v1/me", headers=bob).status_code == 401
    assert client.get("/api/v1/me", headers=kh).status_code == 200
    listed = client.get(f"/api/v1/advisors/{bob_id}/api-keys", headers=alice).json()
    assert [k["id"] for k in listed["items"]] == [key["id"]]
    r = client.delete(f"/api/v1/advisors/{bob_id}/api-keys/{key['id']}", headers=alice)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=kh).status_code == 401
    # deactivation: every credential dies, sign-in gives the generic answer
    bob = sign_in(client, "bob@a.example")
    key2 = client.post("/api/v1/api-keys", headers=bob, json={"name": "b2"}).json()
    r = client.patch(f"/api/v1/advisors/{bob_id}", headers=alice, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=bob).status_code == 401
    assert client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {key2['key']}"}).status_code == 401
    r = _token(client, "bob@a.example", PASSWORD)
    assert r.status_code == 401 and r.json()["message"] == "E-mail or password is wrong."
    r = client.patch(f"/api/v1/advisors/{alice_id}", headers=alice, json={"is_active": False})
    assert r.status_code == 409  # no admin can lock themselves out
    client.patch(f"/api/v1/advisors/{bob_id}", headers=alice, json={"is_active": True})
    assert _token(client, "bob@a.example", PASSWORD).status_code == 201


def test_csrf_token_is_bound_to_the_session(app, client):
    sign_up(client, "csrf@c.example")
    ui_sign_in(client, "csrf@c.example")
    token_a = csrf(client.get("/clients/new").text)
    other = TestClient(app)
    sign_up(other, "csrf2@c.example")
    ui_sign_in(other, "csrf2@c.example")
    # the other browser's own token works for it ...
    r = other.post("/signout", data={"csrf_token": csrf(other.get("/clients").text)},
                   follow_redirects=False)
    assert r.status_code == 303
    # ... but a token of session A, replayed with session A's nonce in another session, fails
    ui_sign_in(other, "csrf2@c.example")
    other.cookies.set("tf_csrf", client.cookies.get("tf_csrf"))
    r = other.post("/clients/new", data={"csrf_token": token_a, "client_name": "X"})
    assert r.status_code == 403 and "security token" in r.text
    # a token from before sign-in does not carry over into the session
    fresh = TestClient(app)
    pre = csrf(fresh.get("/signin").text)
    ui_sign_in(fresh, "csrf@c.example")
    fresh_nonce = fresh.cookies.get("tf_csrf")
    assert fresh_nonce  # rotated at sign-in
    r = fresh.post("/clients/new", data={"csrf_token": pre, "client_name": "X"})
    assert r.status_code == 403


@pytest.mark.parametrize("password,why", [
    ("short pw 1", "at least 12"),
    ("aaaaaaaaaaaaaaaa", "repeated"),
    ("abababababababab", "repeated"),
    ("abcdefghijklmnop", "consecutive"),
    ("1234567890123", "consecutive"),
    ("policy@p.example", "e-mail"),
    ("policy@p.example2024", "e-mail"),
    ("Password123456!", "common"),
    ("qwertyuiop123", "common"),
    ("iloveyou1234", "common"),
])
def test_password_policy(client, password, why):
    r = client.post("/api/v1/auth/signup", json={"firm_name": "P", "name": "P",
                                                 "email": "policy@p.example",
                                                 "password": password})
    assert r.status_code == 422 and r.json()["field"] == "password", r.text
    assert why in r.json()["message"]


# ------------------------------------------------------------------ hostile data

def test_csv_with_a_bare_carriage_return_and_a_lot_in_9999_are_field_level_4xx(client):
    h, cid, aid = _client_with_account(client)
    url = f"/api/v1/clients/{cid}/accounts/{aid}/lots/upload"
    bare_cr = (b"asset,quantity,cost_basis_per_share,acquired\nVTI,1,1,2020-01-01\n"
               b"BND,1\r,1,2020-01-01\n")
    r = client.post(url, headers=h, files={"file": ("h.csv", bare_cr, "text/csv")})
    assert r.status_code == 422 and r.json()["field"].startswith("file line"), r.text
    far = b"asset,quantity,cost_basis_per_share,acquired\nVTI,1,1,9999-12-31\n"
    r = client.post(url, headers=h, files={"file": ("h.csv", far, "text/csv")})
    assert r.status_code == 422 and r.json()["field"] == "file line 2.acquired", r.text
    r = client.post(f"/api/v1/clients/{cid}/accounts/{aid}/lots", headers=h, json={
        "asset": "VTI", "quantity": 1, "cost_basis_per_share": 1, "acquired": "9999-12-31"})
    assert r.status_code == 422 and r.json()["field"] == "acquired"
    r = client.post(url, headers=h, files={"file": ("h.csv", b"a,b\x00\n", "text/csv")})
    assert r.status_code == 422
    # nothing was stored and the client's plans still work
    plan = make_plan(client, h, cid)
    assert abs(sum(plan["plan"]["household"]["weights"].values()) - 1) < 1e-6


def test_a_stored_lot_from_before_the_limits_gives_a_field_error_not_a_broken_plan(app, client):
    h, cid, aid = _client_with_account(client)
    with app.state.sessions() as db:  # as written by an older version without the check
        db.execute(sa.text("UPDATE lots SET acquired = '9999-12-31' WHERE account_id = :a"),
                   {"a": aid})
        db.commit()
    r = client.post(f"/api/v1/clients/{cid}/plans", headers=h, json={})
    assert r.status_code == 422 and r.json()["field"].endswith(".acquired"), r.text
    assert "Brokerage" in r.json()["field"]


@pytest.mark.parametrize("body,field", [
    ({"as_of": "0001-01-01"}, "as_of"),
    ({"as_of": "9999-12-31"}, "as_of"),
    ({"return_model": "max_everything"}, "return_model"),
])
def test_plan_request_bounds(client, body, field):
    h, cid, _ = _client_with_account(client)
    r = client.post(f"/api/v1/clients/{cid}/plans", headers=h, json=body)
    assert r.status_code == 422 and r.json()["field"] == field, r.text


@pytest.mark.parametrize("change,field", [
    ({"as_of": "0001-01-01"}, "profile.as_of"),
    ({"goals": [{"name": f"G{i}", "amount": 1000, "target_year": 2040}
                for i in range(limits.MAX_GOALS + 1)]}, "profile.goals"),
    ({"goals": [{"name": "G", "amount": 1000, "target_year": 99999}]},
     "profile.goals[0].target_year"),
])
def test_profile_bounds(client, change, field):
    h = sign_up(client, "bounds@b.example")
    r = client.post("/api/v1/clients", headers=h, json={"name": "B",
                                                       "profile": {**PROFILE, **change}})
    assert r.status_code == 422, r.text
    assert field in {i["field"] for i in r.json()["issues"]}


def test_account_and_lot_counts_are_bounded(client, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ACCOUNTS_PER_CLIENT", 2)
    monkeypatch.setattr(limits, "MAX_LOTS_PER_ACCOUNT", 3)
    h, cid, aid = _client_with_account(client)  # 2 lots
    assert client.post(f"/api/v1/clients/{cid}/accounts", headers=h,
                       json={"name": "IRA", "type": "roth"}).status_code == 201
    r = client.post(f"/api/v1/clients/{cid}/accounts", headers=h,
                    json={"name": "HSA", "type": "roth"})
    assert r.status_code == 422 and r.json()["field"] == "accounts"
    lot = {"asset": "VTI", "quantity": 1, "cost_basis_per_share": 1, "acquired": "2020-01-01"}
    assert client.post(f"/api/v1/clients/{cid}/accounts/{aid}/lots", headers=h,
                       json=lot).status_code == 201
    r = client.post(f"/api/v1/clients/{cid}/accounts/{aid}/lots", headers=h, json=lot)
    assert r.status_code == 422 and r.json()["field"] == "lots"


def test_huge_ids_in_ui_urls_and_forms_are_4xx(client):
    sign_up(client, "ids@i.example")
    ui_sign_in(client, "ids@i.example")
    token = csrf(client.get("/clients/new").text)
    huge = "9" * 30
    for url in (f"/clients/{huge}", f"/clients/{huge}/plans/1", f"/clients/1/plans/{huge}",
                f"/clients/{huge}/jobs/1", f"/clients/-1", "/clients/1e3"):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code)
    for url in (f"/clients/{huge}/accounts", f"/clients/1/accounts/{huge}/lots",
                f"/clients/{huge}/plans", f"/clients/{huge}/profile",
                f"/clients/1/accounts/{huge}/upload"):
        r = client.post(url, data={"csrf_token": token, "account_name": "X",
                                   "account_type": "roth"})
        assert r.status_code == 404, (url, r.status_code, r.text[:200])
    h = sign_in(client, "ids@i.example")
    cid = client.post("/api/v1/clients", headers=h, json={"name": "I", "profile": PROFILE}
                      ).json()["id"]
    r = client.post(f"/clients/{cid}/profile", data={"csrf_token": token, "base_version": huge,
                                                     "client_name": "I"})
    assert r.status_code == 422 and 'id="e-base_version"' in r.text or "version" in r.text
    r = client.get(f"/api/v1/clients/{huge}", headers=h)
    assert r.status_code == 422 and r.json()["field"] == "client_id"


# ------------------------------------------------------------------ jobs: saturation, budget

@pytest.fixture
def slow_plans(monkeypatch):
    """Plans that take ``delay[0]`` seconds (thread executor), or raise ``boom``."""
    from tailorfolio.service import _planrun

    real = _planrun.compute_plan
    state = {"delay": 0.0, "boom": None}

    def fake(**kw):
        time.sleep(state["delay"])
        if state["boom"]:
            raise state["boom"]
        return real(**kw)

    monkeypatch.setattr(_planrun, "compute_plan", fake)
    return state


def test_saturation_answers_503_or_429_with_retry_after(tmp_path, slow_plans):
    slow_plans["delay"] = 0.5
    app = create_app(make_settings(tmp_path, plan_workers=1, max_queued_jobs=3,
                                   max_jobs_per_advisor=2))
    with TestClient(app) as c:
        h, cid, _ = _client_with_account(c)
        h2, cid2, _ = _client_with_account(c, "second@s.example")
        url = f"/api/v1/clients/{cid}/plans"
        got = [c.post(url, headers=h, json={}) for _ in range(3)]
        assert [r.status_code for r in got] == [202, 202, 429]
        assert int(got[2].headers["retry-after"]) >= 1 and got[2].json()["field"] == "plan"
        r = c.post(f"/api/v1/clients/{cid2}/plans", headers=h2, json={})
        assert r.status_code == 202
        r = c.post(f"/api/v1/clients/{cid2}/plans", headers=h2, json={})
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        for job in (got[0].json(), got[1].json()):
            assert wait_job(c, h, job)["status"] == "done"


def test_a_plan_over_its_budget_or_crashing_fails_its_job_not_the_server(tmp_path, slow_plans):
    app = create_app(make_settings(tmp_path, plan_time_budget_seconds=1))
    with TestClient(app) as c:
        h, cid, _ = _client_with_account(c)
        slow_plans["delay"] = 1.3
        job = wait_job(c, h, c.post(f"/api/v1/clients/{cid}/plans", headers=h, json={}).json())
        assert job["status"] == "failed" and job["error"]["error"] == "PlanTimeBudgetExceeded"
        assert job["error_status"] == 422 and job["plan_id"] is None
        slow_plans["delay"], slow_plans["boom"] = 0, RuntimeError("bug")
        job = wait_job(c, h, c.post(f"/api/v1/clients/{cid}/plans", headers=h, json={}).json())
        assert job["status"] == "failed" and job["error"]["error"] == "InternalError"
        slow_plans["boom"] = None
        # the worker carries on: a real plan, given a budget it can meet on a loaded machine
        # (a whole plan within 1 s is not what this test is about)
        c.app.state.jobs.budget = 120
        assert "plan" in make_plan(c, h, cid)
        assert c.get(f"/api/v1/clients/{cid}/plans", headers=h).json()["total"] == 1


@pytest.mark.slow
def test_process_worker_is_killed_at_its_budget_and_replaced(tmp_path):
    """The production executor: a plan over budget is stopped by killing its process."""
    app = create_app(make_settings(tmp_path, plan_executor="process", plan_workers=1,
                                   plan_time_budget_seconds=1, goal_paths=200_000))
    with TestClient(app) as c:
        h, cid, _ = _client_with_account(c)
        t0 = time.monotonic()
        job = wait_job(c, h, c.post(f"/api/v1/clients/{cid}/plans", headers=h, json={}).json(),
                       timeout=240)
        assert job["status"] == "failed" and job["error"]["error"] == "PlanTimeBudgetExceeded"
    assert time.monotonic() - t0 < 200


def test_jobs_left_by_a_previous_run_are_failed_at_start(tmp_path):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as c:
        h, cid, _ = _client_with_account(c)
    with create_app(settings).state.sessions() as db:
        db.execute(sa.text(
            "INSERT INTO plan_jobs (firm_id, client_id, created_by, status, progress, stage, "
            "profile_version, created_at) VALUES (1, :c, 1, 'running', 0.1, 'computing', 1, "
            "CURRENT_TIMESTAMP)"), {"c": cid})
        db.commit()
    with TestClient(create_app(settings)) as c:
        job = c.get("/api/v1/jobs/1", headers=h).json()
        assert job["status"] == "failed" and job["error"]["error"] == "JobInterrupted"


# ------------------------------------------------------------------ the database under load

def test_reads_do_not_take_the_sqlite_write_lock(app, client):
    """A writer holds SQLite's write lock; GET requests still answer at once."""
    h, cid, _ = _client_with_account(client)
    with app.state.engine.connect() as conn:
        trans = conn.begin()  # BEGIN IMMEDIATE: holds the write lock
        conn.exec_driver_sql("UPDATE clients SET name = name")
        try:
            t0 = time.perf_counter()
            for path in (f"/api/v1/clients/{cid}", f"/api/v1/clients/{cid}/accounts",
                         f"/api/v1/clients/{cid}/plans", "/api/v1/me", "/clients"):
                assert client.get(path, headers=h).status_code in (200, 303)
            assert time.perf_counter() - t0 < 5  # the busy timeout is 30 s
        finally:
            trans.rollback()


def test_a_locked_database_is_503_with_retry_after_not_500(tmp_path, monkeypatch):
    from tailorfolio.service import _db

    monkeypatch.setattr(_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as c:
        h = sign_up(c, "lock@l.example")
        with app.state.engine.connect() as conn:
            trans = conn.begin()  # BEGIN IMMEDIATE: holds the write lock
            conn.exec_driver_sql("UPDATE clients SET name = name")
            try:
                r = c.post("/api/v1/clients", headers=h, json={"name": "L", "profile": PROFILE})
            finally:
                trans.rollback()
        assert r.status_code == 503 and r.headers["retry-after"] == "2", r.text
        _assert_secure_headers(r)


def test_no_write_in_a_get_session(app):
    from tailorfolio.service._models import Firm

    with app.state.read_sessions() as db:
        db.add(Firm(name="x"))
        with pytest.raises(RuntimeError, match="read-only"):
            db.flush()


def test_concurrent_sign_in_failures_count_exactly(app, client):
    """The counters are updated in the database, atomically, by concurrent requests."""
    sign_up(client, "race@r.example")
    c = TestClient(app, client=("203.0.113.77", 1))

    statuses = []

    def fail() -> None:
        statuses.append(_token(TestClient(app, client=("203.0.113.77", 1)), "race@r.example",
                               "not the password!").status_code)

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.state.sessions() as db:
        n = db.execute(sa.text("SELECT failures FROM signin_throttle WHERE key = "
                               "'acct:race@r.example|203.0.113.77'")).scalar()
    assert statuses == [401] * 4 and n == 4


def test_signups_from_one_address_are_throttled(app, client):
    """Each sign-up costs an argon2 hash: 10 per address and hour, then 429 + Retry-After."""
    from tailorfolio.service._logic import THROTTLE_FREE

    c = TestClient(app, client=("192.0.2.99", 1))
    for i in range(THROTTLE_FREE["signup"]):
        r = c.post("/api/v1/auth/signup", json={"firm_name": "S", "name": "S",
                                                "email": f"s{i}@s.example", "password": PASSWORD})
        assert r.status_code == 202
    r = c.post("/api/v1/auth/signup", json={"firm_name": "S", "name": "S",
                                            "email": "late@s.example", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert sign_up(client, "other@address.example")  # another address signs up
