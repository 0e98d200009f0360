"""The client portal: an advisor gives a client read-only access to their own household; the
client user reaches nothing else — no other household (404), no advisor page (sign-in
redirect), no API route (401), and no write anywhere."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.routing import Route

from .svc_helpers import ACCOUNT, PASSWORD, PROFILE, make_plan, make_settings, sign_up

from tailorfolio.profile import QUESTIONS
from tailorfolio.service._models import (
    Account,
    AuditEntry,
    Client,
    ClientSession,
    ClientUser,
    Lot,
    PlanJob,
    PlanRecord,
    ProfileVersion,
)

CLIENT_PASSWORD = "blue kettle on the harbour wall"


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page_html).group(1)


def ui_sign_in(c: TestClient, email: str, password: str = PASSWORD) -> None:
    r = c.post("/signin", data={"csrf_token": csrf(c.get("/signin").text), "email": email,
                                "password": password}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/clients", r.text


def portal_sign_in(c: TestClient, email: str, password: str = CLIENT_PASSWORD) -> None:
    r = c.post("/portal/signin", data={"csrf_token": csrf(c.get("/portal/signin").text),
                                       "email": email, "password": password},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal", r.text


def grant(c: TestClient, cid: int, name: str, email: str) -> None:
    page = c.get(f"/clients/{cid}/portal-access")
    assert page.status_code == 200
    r = c.post(f"/clients/{cid}/portal-access", data={
        "csrf_token": csrf(page.text), "name": name, "email": email,
        "password": CLIENT_PASSWORD})
    assert r.status_code == 200 and "can now sign in to the client portal" in r.text, r.text


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    """One service for the module (its plans take seconds to make): the app and the advisor
    Alice's browser."""
    from tailorfolio.service import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("portal")))
    with TestClient(app) as client:
        yield app, client


@pytest.fixture(scope="module")
def world(svc):
    """Firm A (admin Alice): households Garcia (portal user Gabi) and Lee; firm B: Carol's
    household Novak. Each household has a plan."""
    app, client = svc
    alice = sign_up(client, "alice@a.example", "Firm A")
    carol = sign_up(client, "carol@b.example", "Firm B")
    ids = {}
    for who, name in ((alice, "Garcia"), (alice, "Lee"), (carol, "Novak")):
        cid = client.post("/api/v1/clients", headers=who,
                          json={"name": name, "profile": PROFILE}).json()["id"]
        client.post(f"/api/v1/clients/{cid}/accounts", headers=who, json=ACCOUNT)
        ids[name] = (cid, make_plan(client, who, cid)["id"])
    ui_sign_in(client, "alice@a.example")
    grant(client, ids["Garcia"][0], "Gabi Garcia", "gabi@home.example")
    gabi = TestClient(app)  # a second browser (the app already runs in `client`)
    portal_sign_in(gabi, "gabi@home.example")
    return dict(app=app, alice=alice, carol=carol, ids=ids, gabi=gabi, advisor=client)


def _counts(app) -> dict[str, int]:
    with app.state.sessions() as db:
        return {m.__tablename__: db.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (Client, ProfileVersion, Account, Lot, PlanRecord, PlanJob,
                          ClientUser)}


def test_client_user_sees_their_household_read_only(world):
    gabi, (cid, pid) = world["gabi"], world["ids"]["Garcia"]
    home = gabi.get("/portal")
    assert home.status_code == 200
    assert "Garcia" in home.text and "Gabi Garcia" in home.text
    assert "Lee" not in home.text and "Novak" not in home.text
    assert f'href="/portal/plans/{pid}"' in home.text and "read-only" in home.text
    plan = gabi.get(f"/portal/plans/{pid}")
    assert plan.status_code == 200 and 'id="chart-by-class"' in plan.text
    assert "us_small_cap_equity" not in plan.text  # the report in plain words
    report = gabi.get(f"/portal/plans/{pid}/report.html")
    assert report.status_code == 200 and report.text.startswith("<!DOCTYPE html>")
    ips = gabi.get(f"/portal/plans/{pid}/ips")
    assert ips.status_code == 200
    for heading in ("Investment policy summary", "Rebalancing policy", "Agreement"):
        assert heading in ips.text
    assert "Alice" in ips.text.replace("alice", "Alice")  # prepared by the plan's advisor


def test_client_user_cannot_open_another_households_plan(world):
    gabi = world["gabi"]
    for other in ("Lee", "Novak"):
        other_pid = world["ids"][other][1]
        for suffix in ("", "/report.html", "/report.pdf", "/ips", "/ips.pdf"):
            r = gabi.get(f"/portal/plans/{other_pid}{suffix}")
            assert r.status_code == 404, (other, suffix, r.status_code)
            assert other not in r.text
    # the portal takes no client id: a query parameter does not change the household
    lee_cid = world["ids"]["Lee"][0]
    r = gabi.get(f"/portal?client_id={lee_cid}")
    assert "Lee" not in r.text and "Garcia" in r.text


def _fill(path: str, world) -> str:
    cid, pid = world["ids"]["Lee"]
    values = {"client_id": cid, "plan_id": pid, "job_id": 1, "account_id": 1, "advisor_id": 1,
              "key_id": 1, "user_id": 1, "token": "x" * 43}
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(values.get(m.group(1), 1)), path)


def page_routes() -> list:
    """Every route of the browser pages' routers (advisor, practice and portal pages)."""
    from tailorfolio.service import _ui, _ui_admin, _ui_portal

    return [*_ui.router.routes, *_ui_admin.router.routes, *_ui_portal.router.routes]


def test_client_user_reaches_no_advisor_page_and_writes_nothing(world):
    app = world["app"]
    """Every page route of the app that is not the portal's own or public, with the client
    user's cookies: a GET is sent to the sign-in page, a POST is refused; nothing changes."""
    gabi = world["gabi"]
    before = _counts(app)
    public = ("/portal", "/signin", "/signup", "/reset", "/assets/", "/static", "/health",
              "/openapi", "/docs", "/api/")
    tested = 0
    for route in page_routes():
        if not isinstance(route, Route) or route.path.startswith(public) or route.path == "/":
            continue
        for method in sorted(route.methods - {"HEAD"}):
            url = _fill(route.path, world)
            data = {"csrf_token": csrf(gabi.get("/portal").text), "name": "x", "email":
                    "x@x.example", "password": CLIENT_PASSWORD, "active": "0"}
            r = gabi.request(method, url, data=data if method == "POST" else None,
                             follow_redirects=False)
            tested += 1
            assert r.status_code in (303, 403), (method, url, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"] == "/signin", (method, url)
            assert "Lee" not in r.text
    assert tested >= 20
    assert _counts(app) == before


def test_client_user_tokens_open_no_api_route(world):
    gabi = world["gabi"]
    token = gabi.cookies.get("tf_portal")
    assert token
    cid, pid = world["ids"]["Garcia"]
    for path in ("/api/v1/me", "/api/v1/clients", f"/api/v1/clients/{cid}",
                 f"/api/v1/clients/{cid}/plans/{pid}", "/api/v1/audit"):
        r = gabi.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, path
    r = gabi.post("/api/v1/clients", headers={"Authorization": f"Bearer {token}"},
                  json={"name": "Evil", "profile": PROFILE})
    assert r.status_code == 401


def test_portal_needs_a_portal_session_not_an_advisor_session(world):
    advisor = world["advisor"]  # signed in to the advisor pages only
    pid = world["ids"]["Garcia"][1]
    for url in ("/portal", f"/portal/plans/{pid}", f"/portal/plans/{pid}/ips"):
        r = advisor.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/portal/signin", url
    r = world["gabi"].post(f"/portal/plans/{pid}", data={})
    assert r.status_code == 405  # nothing to write in the portal


def test_access_is_scoped_to_the_advisor_and_can_be_turned_off(world):
    app, advisor = world["app"], world["advisor"]
    cid = world["ids"]["Lee"][0]
    carol = TestClient(app)
    ui_sign_in(carol, "carol@b.example")
    assert carol.get(f"/clients/{cid}/portal-access").status_code == 404
    page = carol.get("/clients")
    r = carol.post(f"/clients/{cid}/portal-access", data={
        "csrf_token": csrf(page.text), "name": "X", "email": "x@x.example",
        "password": CLIENT_PASSWORD})
    assert r.status_code == 404
    grant(advisor, cid, "Lou Lee", "lou@home.example")
    lou = TestClient(app)
    portal_sign_in(lou, "lou@home.example")
    assert "Lee" in lou.get("/portal").text
    page = advisor.get(f"/clients/{cid}/portal-access")
    assert "lou@home.example" in page.text and "Turn off access" in page.text
    with app.state.sessions() as db:
        user_id = db.scalar(sa.select(ClientUser.id).where(ClientUser.email ==
                                                           "lou@home.example"))
    r = advisor.post(f"/clients/{cid}/portal-access/{user_id}/active",
                     data={"csrf_token": csrf(page.text), "active": "0"},
                     follow_redirects=False)
    assert r.status_code == 303
    r = lou.get("/portal", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/signin"
    r = lou.post("/portal/signin", data={"csrf_token": csrf(lou.get("/portal/signin").text),
                                         "email": "lou@home.example",
                                         "password": CLIENT_PASSWORD})
    assert r.status_code == 401 and "E-mail or password is wrong" in r.text
    with app.state.sessions() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(ClientSession).where(
            ClientSession.client_user_id == user_id)) == 0
        actions = set(db.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.entity == "client_user", AuditEntry.entity_id == user_id)))
    assert {"create", "portal_sign_in", "update"} <= actions
    assert world["gabi"].get("/portal").status_code == 200  # another user is unaffected


def test_an_email_of_the_firm_cannot_become_a_client_user(world):
    advisor, cid = world["advisor"], world["ids"]["Lee"][0]
    page = advisor.get(f"/clients/{cid}/portal-access")
    r = advisor.post(f"/clients/{cid}/portal-access", data={
        "csrf_token": csrf(page.text), "name": "Alice", "email": "alice@a.example",
        "password": CLIENT_PASSWORD})
    assert r.status_code == 409 and "already signs in to your firm" in r.text
    r = advisor.post(f"/clients/{cid}/portal-access", data={
        "csrf_token": csrf(page.text), "name": "Lee", "email": "lee@home.example",
        "password": "password123"})
    assert r.status_code == 422 and 'id="e-password"' in r.text


def test_signing_out_ends_the_portal_session(world):
    browser = TestClient(world["app"])
    portal_sign_in(browser, "gabi@home.example")
    r = browser.post("/portal/signout", data={"csrf_token": csrf(browser.get("/portal").text)},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/signin"
    assert browser.get("/portal", follow_redirects=False).status_code == 303
    assert world["gabi"].get("/portal").status_code == 200  # only that session ended


@pytest.mark.slow
def test_portal_pdfs_are_pdfs_of_the_own_household(world):
    pytest.importorskip("playwright.sync_api")  # the pdf extra (part of dev) is not installed
    gabi, pid = world["gabi"], world["ids"]["Garcia"][1]
    for suffix in ("report.pdf", "ips.pdf"):
        r = gabi.get(f"/portal/plans/{pid}/{suffix}")
        assert r.status_code == 200, r.text[:500]
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF-")


def test_missing_questionnaire_answers_are_named_in_plain_words(client):
    sign_up(client, "q@q.example")
    ui_sign_in(client, "q@q.example")
    page = client.get("/clients/new")
    answered = {f"q_{q.key}": q.options[0][0] for q in QUESTIONS[:-3]}
    r = client.post("/clients/new", data={
        "csrf_token": csrf(page.text), "client_name": "Q", "age": "40",
        "annual_income": "90000", "goal_name": "House", "goal_amount": "100000",
        "goal_target_year": "2035", **answered})
    assert r.status_code == 422
    message = re.search(r'id="e-risk_questionnaire"[^>]*>([^<]*)<', r.text).group(1)
    assert message.startswith("Please answer every question of the risk questionnaire "
                              "(3 missing:")
    for q in QUESTIONS[-3:]:
        assert q.text.replace("'", "&#39;").replace('"', "&#34;") in message
    assert "profile-template" not in r.text and "['" not in message
