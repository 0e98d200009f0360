"""Browser UI over HTTP: CSRF, cookie flags, validation messages next to fields, scoping."""

from __future__ import annotations

import os
import re
import stat

from fastapi.testclient import TestClient
from .svc_helpers import ACCOUNT, PASSWORD, PROFILE, make_plan, make_settings, sign_up

from tailorfolio.profile import QUESTIONS
from tailorfolio.service import create_app


def follow_job(c, job_url: str, timeout: float = 120) -> str:
    """Poll a job page (as the browser's refresh does) until it redirects to the plan."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = c.get(job_url, follow_redirects=False)
        if r.status_code == 303:
            return r.headers["location"]
        assert r.status_code == 200 and "could not be made" not in r.text, r.text[-2000:]
        time.sleep(0.05)
    raise AssertionError("the plan job did not finish")


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page_html).group(1)


def ui_sign_in(c: TestClient, email: str) -> None:
    token = csrf(c.get("/signin").text)
    r = c.post("/signin", data={"csrf_token": token, "email": email, "password": PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303, r.text


def test_sign_in_needs_csrf_and_sets_hardened_cookies(client):
    sign_up(client, "ui@u.example")
    page = client.get("/signin")
    assert re.search(r"tf_csrf=[^;]+; HttpOnly; Path=/; SameSite=strict",
                     page.headers["set-cookie"])
    r = client.post("/signin", data={"email": "ui@u.example", "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    r = client.post("/signin", data={"csrf_token": "0" * 64, "email": "ui@u.example",
                                     "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/signin", data={"csrf_token": csrf(page.text), "email": "ui@u.example",
                                     "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/clients"
    cookie = r.headers["set-cookie"]
    assert "tf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in auto mode
    assert client.get("/clients").status_code == 200


def test_cookies_are_secure_over_https_or_when_forced(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, cookie_secure="true"))) as c:
        sign_up(c, "s@s.example")
        token = csrf(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": token, "email": "s@s.example",
                                    "password": PASSWORD}, follow_redirects=False)
        assert "Secure" in r.headers["set-cookie"]
    with TestClient(create_app(make_settings(tmp_path)), base_url="https://testserver") as c:
        assert "Secure" in c.get("/signin").headers["set-cookie"]


def test_wrong_password_message_next_to_the_field(client):
    sign_up(client, "w@w.example")
    token = csrf(client.get("/signin").text)
    r = client.post("/signin", data={"csrf_token": token, "email": "w@w.example",
                                     "password": "nope nope nope"})
    assert r.status_code == 401
    assert re.search(r'id="f-password"[^>]*aria-invalid="true"', r.text)
    assert 'id="e-password"' in r.text and "E-mail or password is wrong." in r.text


def _client_form(token: str, **over: str) -> dict[str, str]:
    data = {"csrf_token": token, "client_name": "Lee", "age": "35", "annual_income": "90000",
            "goal_name": "House", "goal_amount": "80000", "goal_target_year": "2031",
            "goal_kind": "lump_sum", "goal_priority": "important"}
    data.update({f"q_{q.key}": q.option_keys[2] for q in QUESTIONS})
    data.update(over)
    return data


def test_client_form_shows_messages_next_to_fields(client):
    sign_up(client, "f@f.example")
    ui_sign_in(client, "f@f.example")
    token = csrf(client.get("/clients/new").text)
    form = _client_form(token, age="12", goal_amount="-5")
    del form["q_drop_reaction"]
    r = client.post("/clients/new", data=form)
    assert r.status_code == 422
    assert re.search(r'id="f-age"[^>]*aria-invalid="true"', r.text)
    assert re.search(r'id="e-age"[^>]*>Input should be greater than or equal to 18', r.text)
    assert re.search(r'id="e-goal_amount"[^>]*>Input should be greater than 0', r.text)
    assert re.search(r'id="e-risk_questionnaire"[^>]*>Please answer every question of the '
                     r"risk questionnaire \(1 missing: “Your portfolio loses 20 % in a month",
                     r.text)  # in plain words: no Python list, no command line
    assert 'value="12"' in r.text  # what was typed is kept
    r = client.post("/clients/new", data=_client_form(token), follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(r"/clients/\d+", r.headers["location"])


def test_full_ui_flow_with_upload_plan_compare_and_download(client):
    sign_up(client, "flow@f.example")
    ui_sign_in(client, "flow@f.example")
    token = csrf(client.get("/clients/new").text)
    loc = client.post("/clients/new", data=_client_form(token), follow_redirects=False
                      ).headers["location"]
    r = client.post(loc + "/accounts", data={"csrf_token": token, "account_name": "IRA",
                                             "account_type": "roth", "account_cash": "100"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(loc).text
    aid = re.search(r'id="account-(\d+)"', page).group(1)
    r = client.post(f"{loc}/accounts/{aid}/lots", data={
        "csrf_token": token, "asset": "ZZZ", "quantity": "1", "cost_basis_per_share": "1",
        "acquired": "2024-01-01"})
    assert r.status_code == 422 and f'id="e-lot{aid}_asset"' in r.text
    csv = b"asset,quantity,cost_basis_per_share,acquired\nVTI,50,200,2020-05-01\nBND,100,80,2021-02-03\n"
    r = client.post(f"{loc}/accounts/{aid}/upload", data={"csrf_token": token},
                    files={"file": ("h.csv", csv, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"{loc}/plans", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "/jobs/" in r.headers["location"]
    job_page = client.get(r.headers["location"], follow_redirects=False)
    assert job_page.status_code in (200, 303)
    if job_page.status_code == 200:
        assert '<meta http-equiv="refresh" content="1">' in job_page.text
    plan_url = follow_job(client, r.headers["location"])
    plan_page = client.get(plan_url).text
    assert "/assets/plotly.min.js" in plan_page and 'id="chart-frontier"' in plan_page
    assert "cdn" not in plan_page.lower()
    r2 = client.post(f"{loc}/plans", data={"csrf_token": token}, follow_redirects=False)
    follow_job(client, r2.headers["location"])
    compare = client.get(f"{loc}/compare").text
    assert 'id="chart-compare"' in compare and compare.count("<tr>") >= 3
    dl = client.get(plan_url + "/report.html")
    assert "attachment" in dl.headers["content-disposition"] and len(dl.text) > 1_000_000
    js = client.get("/assets/plotly.min.js")
    assert js.status_code == 200 and "plotly" in js.text[:2000].lower()
    r = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(loc, follow_redirects=False).status_code == 303  # signed out


def test_other_advisors_pages_are_not_found(client, tmp_path):
    alice = sign_up(client, "a@a.example", "A")
    cid = client.post("/api/v1/clients", headers=alice, json={"name": "Secret",
                                                             "profile": PROFILE}).json()["id"]
    aid = client.post(f"/api/v1/clients/{cid}/accounts", headers=alice, json=ACCOUNT
                      ).json()["id"]
    pid = make_plan(client, alice, cid)["id"]
    sign_up(client, "m@m.example", "M")
    ui_sign_in(client, "m@m.example")
    token = csrf(client.get("/clients").text)
    assert "Secret" not in client.get("/clients").text
    for url in (f"/clients/{cid}", f"/clients/{cid}/plans/{pid}", f"/clients/{cid}/compare",
                f"/clients/{cid}/plans/{pid}/report.html"):
        r = client.get(url)
        assert r.status_code == 404 and "Secret" not in r.text, url
    for url, extra in ((f"/clients/{cid}/accounts", {"account_name": "X",
                                                     "account_type": "roth"}),
                       (f"/clients/{cid}/accounts/{aid}/lots", {
                           "asset": "VTI", "quantity": "1", "cost_basis_per_share": "1",
                           "acquired": "2024-01-01"}),
                       (f"/clients/{cid}/plans", {})):
        r = client.post(url, data={"csrf_token": token, **extra})
        assert r.status_code == 404, url
    r = client.post(f"/clients/{cid}/accounts/{aid}/upload", data={"csrf_token": token},
                    files={"file": ("h.csv", b"asset,quantity,cost_basis_per_share,acquired\n"
                                    b"VTI,1,1,2024-01-01\n", "text/csv")})
    assert r.status_code == 404
    assert len(client.get(f"/api/v1/clients/{cid}/plans", headers=alice).json()["items"]) == 1


def test_security_headers_and_secret_outside_the_database(client, tmp_path):
    r = client.get("/signin")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_generated_secret_is_private_and_stable(tmp_path, monkeypatch):
    from tailorfolio.service import ServiceSettings

    monkeypatch.delenv("TAILORFOLIO_SECRET_KEY", raising=False)
    first = ServiceSettings.from_env(data_dir=tmp_path / "d")
    second = ServiceSettings.from_env(data_dir=tmp_path / "d")
    path = tmp_path / "d" / "secret.key"
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 60
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    monkeypatch.setenv("TAILORFOLIO_SECRET_KEY", "from-env")
    assert ServiceSettings.from_env(data_dir=tmp_path / "d").secret_key == "from-env"


def test_production_password_hash_uses_argon2id_defaults(monkeypatch):
    import argon2

    from tailorfolio.service._security import _hasher, hash_password, verify_password

    monkeypatch.delenv("TAILORFOLIO_INSECURE_FAST_PASSWORD_HASH")
    h = _hasher().hash("a long enough password")
    params = argon2.extract_parameters(h)
    assert params.type is argon2.Type.ID and params.memory_cost >= 19_456
    assert verify_password(h, "a long enough password")
    assert not verify_password(h, "a long enough passwort")
    assert verify_password(hash_password("x" * 12), "x" * 12)


def test_profile_edit_form_makes_a_new_version_and_refuses_stale_edits(client):
    sign_up(client, "ed@e.example")
    ui_sign_in(client, "ed@e.example")
    token = csrf(client.get("/clients/new").text)
    loc = client.post("/clients/new", data=_client_form(token), follow_redirects=False
                      ).headers["location"]
    page = client.get(loc + "/profile").text
    assert 'name="base_version" value="1"' in page and 'value="35"' in page
    form = _client_form(token, age="36", base_version="1")
    del form["client_name"]
    r = client.post(loc + "/profile", data=form, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(loc + "/profile", data={**form, "age": "37"})  # still based on version 1
    assert r.status_code == 409 and 'id="e-base_version"' in r.text
    r = client.post(loc + "/profile", data={**form, "base_version": "2", "age": "7"})
    assert r.status_code == 422 and 'id="e-age"' in r.text
    assert "Profile version 2" in client.get(loc).text


def test_add_advisor_command_creates_a_firm_admin(tmp_path):
    from typer.testing import CliRunner

    from tailorfolio.cli.app import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    args = ["add-advisor", "boss@c.example", "--name", "Boss", "--firm", "C & Co",
            "--database-url", url, "--data-dir", str(tmp_path)]
    r = runner.invoke(app, args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert "created as admin of firm 'C & Co'" in r.output
    r = runner.invoke(app, args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(app, [*args[:1], "x@c.example", *args[2:]], input="short\nshort\n")
    assert r.exit_code == 2 and "password" in r.output
    with TestClient(create_app(make_settings(tmp_path, url))) as c:
        tok = c.post("/api/v1/auth/token", json={"email": "boss@c.example",
                                                 "password": PASSWORD})
        assert tok.status_code == 201
