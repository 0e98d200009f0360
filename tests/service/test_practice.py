"""Practice operations: password resets (single-use, expiring, hashed at rest, no oracle),
advisor deactivation in the browser, API keys in the browser (shown once, revocable), the
filterable audit log, and a firm admin seeing the whole firm while advisors see their own."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from .svc_helpers import PASSWORD, PROFILE, sign_in, sign_up
from .test_portal import csrf, ui_sign_in

from tailorfolio.service._models import ApiKey, AuditEntry, AuthToken, PasswordReset, utcnow
from tailorfolio.service._security import token_hash

NEW_PASSWORD = "a brand new orchard ladder"


@pytest.fixture
def firm(app, client):
    """Firm A: admin Alice and advisor Bob, each with a client; firm B: Carol with one."""
    alice = sign_up(client, "alice@a.example", "Firm A")
    assert client.post("/api/v1/advisors", headers=alice, json={
        "name": "Bob", "email": "bob@a.example", "password": PASSWORD}).status_code == 202
    bob = sign_in(client, "bob@a.example")
    carol = sign_up(client, "carol@b.example", "Firm B")
    for who, name in ((alice, "Alma Client"), (bob, "Bert Client"), (carol, "Cleo Client")):
        assert client.post("/api/v1/clients", headers=who,
                           json={"name": name, "profile": PROFILE}).status_code == 201
    ui_sign_in(client, "alice@a.example")
    return dict(alice=alice, bob=bob, carol=carol)


def _browser(app, email: str, password: str = PASSWORD) -> TestClient:
    c = TestClient(app)
    ui_sign_in(c, email, password)
    return c


def _request_reset(c: TestClient, email: str):
    page = c.get("/reset")
    return c.post("/reset", data={"csrf_token": csrf(page.text), "email": email})


def _set_password(c: TestClient, link: str, password: str, again: str | None = None):
    page = c.get(link)
    return c.post(link, data={"csrf_token": csrf(page.text), "password": password,
                              "password_again": password if again is None else again})


# ------------------------------------------------------------------ password reset

def test_reset_flow_single_use_and_sessions_end(app, client, firm, monkeypatch, caplog):
    monkeypatch.setenv("TAILORFOLIO_RESET_LINKS", "show")
    bob_browser = _browser(app, "bob@a.example")
    anon = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="tailorfolio.service.reset"):
        r = _request_reset(anon, "Bob@A.example ")
    assert r.status_code == 200 and "If this e-mail address has an account" in r.text
    link = re.search(r'id="reset-link" href="(/reset/[^"]+)"', r.text).group(1)
    token = link.rsplit("/", 1)[1]
    assert link in caplog.text  # delivered through the server log (there is no mail)
    with app.state.sessions() as db:  # only the hash is stored
        rows = list(db.scalars(sa.select(PasswordReset)))
        assert [row.token_hash for row in rows] == [token_hash(token)]
        assert token not in str([(r.token_hash, r.id) for r in rows])
    assert _set_password(anon, link, NEW_PASSWORD, "something else").status_code == 422
    weak = _set_password(anon, link, "password1234")
    assert weak.status_code == 422 and 'id="e-password"' in weak.text
    done = _set_password(anon, link, NEW_PASSWORD)
    assert done.status_code == 200 and "Your password was changed" in done.text
    # single use
    again = anon.get(link)
    assert again.status_code == 401 and "invalid, was already used or has expired" in again.text
    assert _set_password_raw(anon, link).status_code == 401
    # the old password is gone, the new one works, every old session and token ended
    assert client.post("/api/v1/auth/token", json={"email": "bob@a.example",
                                                   "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": "bob@a.example",
                                                   "password": NEW_PASSWORD}).status_code == 201
    assert bob_browser.get("/clients", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=firm["bob"]).status_code == 401
    with app.state.sessions() as db:
        actions = list(db.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.in_(("reset_requested", "password_reset")))))
    assert actions == ["reset_requested", "password_reset"]


def _set_password_raw(c: TestClient, link: str):
    page = c.get("/reset")
    return c.post(link, data={"csrf_token": csrf(page.text), "password": NEW_PASSWORD,
                              "password_again": NEW_PASSWORD})


def test_reset_tokens_expire_and_a_new_request_replaces_the_old(app, firm, monkeypatch):
    monkeypatch.setenv("TAILORFOLIO_RESET_LINKS", "show")
    anon = TestClient(app)
    first = re.search(r'href="(/reset/[^"]+)"', _request_reset(anon, "bob@a.example").text)[1]
    second = re.search(r'href="(/reset/[^"]+)"', _request_reset(anon, "bob@a.example").text)[1]
    assert anon.get(first).status_code == 401  # replaced by the newer link
    assert anon.get(second).status_code == 200
    with app.state.sessions() as db:
        db.execute(sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert anon.get(second).status_code == 401
    assert _set_password_raw(anon, second).status_code == 401


def _without_csrf(html: str) -> str:
    """A page without its CSRF token (which differs between any two pages)."""
    return re.sub(r'value="[0-9a-f]+"', "", html)


def test_reset_request_is_no_oracle_and_is_bounded(app, firm, monkeypatch):
    monkeypatch.setenv("TAILORFOLIO_RESET_LINKS", "log")
    anon = TestClient(app)
    known = _request_reset(anon, "bob@a.example")
    unknown = _request_reset(anon, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf(known.text) == _without_csrf(unknown.text)
    assert "/reset/" not in known.text
    for _ in range(8):
        _request_reset(anon, "bob@a.example")
    with app.state.sessions() as db:
        n = db.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "reset_requested"))
    assert n == 5  # MAX_REQUESTS_PER_HOUR; further requests are answered alike and ignored


def test_admin_makes_a_reset_link_for_an_advisor(app, client, firm):
    page = client.get("/advisors")
    bob_id = client.get("/api/v1/me", headers=firm["bob"]).json()["id"]
    r = client.post(f"/advisors/{bob_id}/reset-link", data={"csrf_token": csrf(page.text)})
    link = re.search(r'id="reset-link">(/reset/[^<]+)<', r.text).group(1)
    assert _set_password(TestClient(app), link, NEW_PASSWORD).status_code == 200
    bob = _browser(app, "bob@a.example", NEW_PASSWORD)
    page = bob.get("/advisors")
    assert "Make a password-reset link" not in page.text  # not an admin
    r = bob.post(f"/advisors/{bob_id}/reset-link", data={"csrf_token": csrf(page.text)})
    assert r.status_code == 403


# ------------------------------------------------------------------ advisors

def test_admin_deactivates_an_advisor_whose_sessions_and_keys_stop(app, client, firm):
    bob_browser = _browser(app, "bob@a.example")
    key = client.post("/api/v1/api-keys", headers=firm["bob"], json={"name": "k"}).json()["key"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code \
        == 200
    bob_id = client.get("/api/v1/me", headers=firm["bob"]).json()["id"]
    # a non-admin cannot deactivate anyone
    page = bob_browser.get("/advisors")
    assert "Deactivate" not in page.text
    r = bob_browser.post("/advisors/1/active", data={"csrf_token": csrf(page.text),
                                                     "active": "0"})
    assert r.status_code == 403
    page = client.get("/advisors")
    assert "Deactivate Bob" in page.text
    r = client.post(f"/advisors/{bob_id}/active", data={"csrf_token": csrf(page.text),
                                                        "active": "0"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "Deactivated" in client.get("/advisors").text
    assert bob_browser.get("/clients", follow_redirects=False).headers["location"] == "/signin"
    assert client.get("/api/v1/me", headers=firm["bob"]).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code \
        == 401
    r = TestClient(app).post("/api/v1/auth/token", json={"email": "bob@a.example",
                                                         "password": PASSWORD})
    assert r.status_code == 401
    # the admin cannot deactivate themself; reactivation lets Bob sign in again
    me_id = client.get("/api/v1/me", headers=firm["alice"]).json()["id"]
    page = client.get("/advisors")
    r = client.post(f"/advisors/{me_id}/active", data={"csrf_token": csrf(page.text),
                                                       "active": "0"})
    assert r.status_code == 409
    client.post(f"/advisors/{bob_id}/active", data={"csrf_token": csrf(page.text),
                                                    "active": "1"})
    _browser(app, "bob@a.example")
    # another firm's admin cannot touch Bob
    carol = _browser(app, "carol@b.example")
    page = carol.get("/advisors")
    assert "bob@a.example" not in page.text
    assert carol.post(f"/advisors/{bob_id}/active", data={"csrf_token": csrf(page.text),
                                                          "active": "0"}).status_code == 404


def test_admin_adds_an_advisor_in_the_browser(app, client, firm):
    page = client.get("/advisors")
    r = client.post("/advisors", data={"csrf_token": csrf(page.text), "name": "Dana",
                                       "email": "dana@a.example", "password": "short"})
    assert r.status_code == 422 and 'id="e-password"' in r.text
    r = client.post("/advisors", data={"csrf_token": csrf(page.text), "name": "Dana",
                                       "email": "dana@a.example", "password": NEW_PASSWORD})
    assert r.status_code == 200 and "dana@a.example" in r.text
    _browser(app, "dana@a.example", NEW_PASSWORD)


# ------------------------------------------------------------------ API keys

def test_api_keys_in_the_browser_shown_once_and_revocable(app, client, firm):
    page = client.get("/api-keys")
    assert "No API keys yet" in page.text
    r = client.post("/api-keys", data={"csrf_token": csrf(page.text), "key_name": ""})
    assert r.status_code == 422 and 'id="e-key_name"' in r.text
    r = client.post("/api-keys", data={"csrf_token": csrf(page.text),
                                       "key_name": "nightly export"})
    assert r.status_code == 201
    key = re.search(r'id="new-api-key">(tfk_[^<]+)<', r.text).group(1)
    listing = client.get("/api-keys")
    assert key not in listing.text and "nightly export" in listing.text
    assert key[:10] in listing.text  # the prefix identifies it
    with app.state.sessions() as db:
        row = db.scalar(sa.select(ApiKey).where(ApiKey.name == "nightly export"))
        assert row.key_hash == token_hash(key)
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/me", headers=auth).json()["email"] == "alice@a.example"
    r = client.post(f"/api-keys/{row.id}/revoke", data={"csrf_token": csrf(listing.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert "Revoked" in client.get("/api-keys").text
    # another advisor cannot revoke (or see) Alice's keys
    bob = _browser(app, "bob@a.example")
    page = bob.get("/api-keys")
    assert "nightly export" not in page.text
    assert bob.post(f"/api-keys/{row.id}/revoke",
                    data={"csrf_token": csrf(page.text)}).status_code == 404


# ------------------------------------------------------------------ audit log

def test_audit_log_page_is_scoped_and_filterable(app, client, firm):
    client.post("/api/v1/api-keys", headers=firm["bob"], json={"name": "bob key"})
    admin_page = client.get("/audit")
    assert admin_page.status_code == 200
    assert "Bob" in admin_page.text and "bob key" in admin_page.text  # the whole firm
    assert "Cleo Client" not in admin_page.text and "carol" not in admin_page.text
    only = client.get("/audit", params={"action": "create", "entity": "api_key"})
    rows = re.findall(r"<tr><td>\d{4}-\d\d-\d\d", only.text)
    assert len(rows) == 1 and "bob key" in only.text and "<td>sign in</td>" not in only.text
    with app.state.sessions() as db:
        bob_id = db.scalar(sa.text("SELECT id FROM advisors WHERE email='bob@a.example'"))
    by_bob = client.get("/audit", params={"advisor": str(bob_id)})
    assert "Alma Client" not in by_bob.text and "bob key" in by_bob.text
    future = client.get("/audit", params={"since": "2999-01-01"})
    assert "0 entries" in future.text
    # a non-admin sees their own actions only
    bob = _browser(app, "bob@a.example")
    page = bob.get("/audit")
    assert "bob key" in page.text and "Alma Client" not in page.text
    assert 'id="f-advisor"' not in page.text
    api = bob.get("/api/v1/audit", headers=firm["bob"]).json()
    assert {e["advisor_id"] for e in api["items"]} == {bob_id}


# ------------------------------------------------------------------ firm scope

def test_a_firm_admin_sees_every_advisors_clients_an_advisor_their_own(app, client, firm):
    admin = client.get("/clients").text
    assert "Alma Client" in admin and "Bert Client" in admin and "Cleo Client" not in admin
    api = client.get("/api/v1/clients", headers=firm["alice"]).json()
    assert {c["name"] for c in api["items"]} == {"Alma Client", "Bert Client"}
    bob = _browser(app, "bob@a.example")
    own = bob.get("/clients").text
    assert "Bert Client" in own and "Alma Client" not in own
    api = bob.get("/api/v1/clients", headers=firm["bob"]).json()
    assert {c["name"] for c in api["items"]} == {"Bert Client"}
    alma = next(c["id"] for c in client.get("/api/v1/clients", headers=firm["alice"])
                .json()["items"] if c["name"] == "Alma Client")
    assert bob.get(f"/clients/{alma}").status_code == 404
    assert bob.get(f"/clients/{alma}/portal-access").status_code == 404
