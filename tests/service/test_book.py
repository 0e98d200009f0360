"""The book: re-plan every client through the fleet engine, store each result whole, raise
alerts (drift, goals below aim, harvests, wash sales), act on or dismiss them; the dashboard's
sorting and filtering."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from .svc_helpers import PROFILE, sign_in, sign_up, wait_job

from tailorfolio.service import _book as B
from tailorfolio.service._alerts import DRIFT_BAND, HARVEST_MIN_LOSS, raise_alerts
from tailorfolio.service._models import Alert, BookResult, BookRun

AS_OF = date(2025, 6, 30)
"""The book's date in these tests (the profiles' date; lots are dated around it)."""

DRIFTED = {"name": "Brokerage", "type": "taxable", "cash": 0,
           "lots": [{"asset": "VTI", "quantity": 3000, "cost_basis_per_share": 150,
                     "acquired": "2015-03-02"}]}
"""Everything in one US equity fund: far from any diversified target."""
LOSS = {"name": "Brokerage", "type": "taxable", "cash": 2000,
        "lots": [{"asset": "VTI", "quantity": 100, "cost_basis_per_share": 500,
                  "acquired": "2022-01-10"},
                 {"asset": "BND", "quantity": 900, "cost_basis_per_share": 72,
                  "acquired": "2020-05-01"},
                 {"asset": "VEA", "quantity": 300, "cost_basis_per_share": 45,
                  "acquired": "2019-05-01"}]}
"""A VTI lot bought at 500 a share, worth 325: a 17,500 loss to harvest."""
WASH_TAXABLE = {**LOSS}
WASH_ROTH = {"name": "Roth", "type": "roth", "cash": 0,
             "lots": [{"asset": "VTI", "quantity": 10, "cost_basis_per_share": 320,
                       "acquired": "2025-06-20"}]}
"""VTI bought ten days before the book's date: selling the taxable VTI lot at a loss now
would be a wash sale (and in a Roth the loss would be lost for good)."""
UNREACHABLE = {**PROFILE, "goals": [{"name": "Island", "amount": 90_000_000,
                                     "target_year": 2030, "priority": "essential"}]}


def add_client(c, headers, name: str, accounts: list[dict], profile: dict = PROFILE) -> int:
    cid = c.post("/api/v1/clients", headers=headers, json={"name": name, "profile": profile}
                 ).json()["id"]
    for acct in accounts:
        r = c.post(f"/api/v1/clients/{cid}/accounts", headers=headers, json=acct)
        assert r.status_code == 201, r.text
    return cid


def seed_book(c) -> tuple[dict[str, str], dict[str, int]]:
    a = sign_up(c, "book@b.example", firm="Book Advisors")
    ids = {"drifted": add_client(c, a, "Dana Drift", [DRIFTED]),
           "loss": add_client(c, a, "Lou Loss", [LOSS]),
           "wash": add_client(c, a, "Wes Wash", [WASH_TAXABLE, WASH_ROTH]),
           "short": add_client(c, a, "Sky Short", [LOSS], UNREACHABLE)}
    return a, ids


def run_book(app, firm_id: int = 1, advisor_id: int | None = 1, chunk_size: int = 100,
             goal_paths: int = 60) -> BookRun:
    with app.state.sessions() as db:
        run = B.start_run(db, firm_id, advisor_id, "test", goal_paths=goal_paths,
                          chunk_size=chunk_size, as_of=AS_OF)
    return B.execute_run(app.state.sessions, run.id)


def alerts_of(app, client_id: int, status: str = "open") -> dict[str, Alert]:
    with app.state.sessions() as db:
        rows = db.scalars(sa.select(Alert).where(Alert.client_id == client_id,
                                                 Alert.status == status))
        return {a.kind: a for a in rows}


# ------------------------------------------------------------------ the rules

def test_alert_rules_fire_on_their_thresholds_only():
    goal = {"name": "G", "priority": "important", "probability": 0.74, "aim": 0.75}
    lot = {"account": "T", "lot_id": "T:VTI:1", "asset": "VTI", "quantity": 10.0,
           "loss": HARVEST_MIN_LOSS, "tax_benefit": 200.0, "replacement": "ITOT",
           "actionable": True, "conflicts": [], "safe_after": "2025-08-01"}
    kinds = [a.kind for a in raise_alerts(DRIFT_BAND + 1e-6, "VTI", [goal], [lot])]
    assert kinds == ["drift", "goal", "harvest"]
    quiet = raise_alerts(DRIFT_BAND, "VTI", [{**goal, "probability": 0.75}],
                         [{**lot, "loss": HARVEST_MIN_LOSS - 1}])
    assert quiet == []
    washed = raise_alerts(None, None, [], [{**lot, "actionable": False,
                                            "conflicts": ["10 sh VTI bought 2025-06-20"]}])
    assert [a.kind for a in washed] == ["wash_sale"]


# ------------------------------------------------------------------ a run

def test_book_run_raises_the_constructed_alerts_and_stores_every_result(app, client):
    a, ids = seed_book(client)
    run = run_book(app)
    assert run.status == B.DONE and run.n_clients == 4 and run.n_done == 4
    with app.state.sessions() as db:
        results = {r.client_id: r for r in db.scalars(sa.select(BookResult))}
    assert set(results) == set(ids.values())
    for r in results.values():
        assert r.status == "ok", r.message
        assert r.risk_level is not None and r.aum > 0 and r.drift is not None
        assert abs(sum(r.detail["target"].values()) - 1) < 1e-5  # rounded to 6 decimals
        assert r.detail["goals"] and all(g["change"] is None for g in r.detail["goals"])
    # drift: all in VTI, far past the band
    d = results[ids["drifted"]]
    assert d.drift > DRIFT_BAND and d.detail["drift_asset"] == "VTI"
    assert d.aum == pytest.approx(3000 * 325.0)
    assert "drift" in alerts_of(app, ids["drifted"])
    # harvest: the 17,500 VTI loss, with a substitute to buy
    loss = alerts_of(app, ids["loss"])
    assert "harvest" in loss and "wash_sale" not in loss
    trades = loss["harvest"].detail["trades"]
    assert [(t["asset"], t["quantity"]) for t in trades] == [("VTI", 100.0)]
    assert trades[0]["loss"] == pytest.approx(100 * (500 - 325.0)) and trades[0]["buy"]
    assert results[ids["loss"]].harvestable_loss == pytest.approx(17_500.0)
    # wash sale: the same loss, but VTI was bought in the Roth ten days ago
    wash = alerts_of(app, ids["wash"])
    assert "wash_sale" in wash and "harvest" not in wash
    assert "2025-06-20" in wash["wash_sale"].message and "Roth" in wash["wash_sale"].message
    assert results[ids["wash"]].harvestable_loss == 0.0
    # a goal far out of reach
    short = alerts_of(app, ids["short"])
    assert short["goal"].detail["probability"] < short["goal"].detail["aim"] == 0.9
    assert results[ids["short"]].worst_goal_gap < 0


def test_a_second_run_reports_the_change_and_supersedes_old_alerts(app, client):
    a, ids = seed_book(client)
    run_book(app)
    first = alerts_of(app, ids["drifted"])["drift"]
    run_book(app)
    assert alerts_of(app, ids["drifted"], "superseded")["drift"].id == first.id
    assert alerts_of(app, ids["drifted"])["drift"].id != first.id
    with app.state.sessions() as db:
        newest = db.scalar(sa.select(BookResult).where(BookResult.client_id == ids["short"])
                           .order_by(BookResult.id.desc()))
    assert [g["change"] for g in newest.detail["goals"]] == [0.0]  # same markets, same goal


def test_a_crash_mid_run_leaves_only_whole_results(app, client, monkeypatch):
    """Chunks of two: the second chunk's transaction fails after writing one result; the
    stored results are exactly the first chunk's, each complete, with their alerts."""
    a, ids = seed_book(client)
    real = B.store_outcomes
    calls = {"n": 0}

    def crash_in_second_chunk(db, run, outcomes):
        calls["n"] += 1
        if calls["n"] == 2:
            real(db, run, outcomes[:1])
            db.flush()
            raise RuntimeError("power cut")
        real(db, run, outcomes)

    monkeypatch.setattr(B, "store_outcomes", crash_in_second_chunk)
    run = run_book(app, chunk_size=2)
    assert run.status == B.FAILED and run.n_done == 2
    with app.state.sessions() as db:
        rows = list(db.scalars(sa.select(BookResult).order_by(BookResult.client_id)))
        alerts = list(db.scalars(sa.select(Alert)))
    assert [r.client_id for r in rows] == sorted(ids.values())[:2]
    for r in rows:
        assert r.status == "ok" and r.detail["goals"] and r.detail["target"]
        assert r.n_alerts == sum(x.result_id == r.id for x in alerts)
    assert {x.result_id for x in alerts} <= {r.id for r in rows}
    assert calls["n"] == 2


def test_one_run_at_a_time_per_firm(app, client):
    seed_book(client)
    from tailorfolio.service._errors import ConflictError

    with app.state.sessions() as db:
        first = B.start_run(db, 1, 1, "test", as_of=AS_OF)
        with pytest.raises(ConflictError) as err:
            B.start_run(db, 1, 1, "test", as_of=AS_OF)
    assert err.value.field == "book_run" and err.value.value == first.id
    B.execute_run(app.state.sessions, first.id)
    with app.state.sessions() as db:
        second = B.start_run(db, 1, 1, "test", as_of=AS_OF)
    assert second.id == first.id + 1
    # a run whose process was killed (its pid is gone on this host) does not block the next
    with app.state.sessions() as db:
        db.execute(sa.update(BookRun).where(BookRun.id == second.id).values(
            settings={**second.settings, "pid": 2 ** 22 + 12345}))
        db.commit()
        third = B.start_run(db, 1, 1, "test", as_of=AS_OF)
        assert db.get(BookRun, second.id).status == B.INTERRUPTED
    assert third.status == B.RUNNING


def test_a_client_that_cannot_be_planned_gets_an_error_result_and_the_book_goes_on(
        app, client):
    a, ids = seed_book(client)
    from tailorfolio.service._models import ProfileVersion

    with app.state.sessions() as db:  # a stored profile the library now refuses
        pv = ProfileVersion(client_id=ids["loss"], version=2, created_by=1,
                            data={**PROFILE, "age": -3})
        db.add(pv)
        db.commit()
    run = run_book(app)
    assert run.status == B.DONE and run.n_done == 4 and run.n_failed == 1
    with app.state.sessions() as db:
        bad = db.scalar(sa.select(BookResult).where(BookResult.client_id == ids["loss"]))
    assert bad.status == "error" and "age" in bad.message


# ------------------------------------------------------------------ API

def _run_via_api(c, headers) -> dict:
    r = c.post("/api/v1/book/runs", headers=headers, json={"goal_paths": 40,
                                                                 "as_of": AS_OF.isoformat()})
    assert r.status_code == 202, r.text
    run = r.json()
    assert r.headers["location"] == f"/api/v1/book/runs/{run['id']}"
    import time

    deadline = time.monotonic() + 120
    while run["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
        run = c.get(f"/api/v1/book/runs/{run['id']}", headers=headers).json()
    return run


def test_book_api_runs_sorts_and_filters(client):
    a, ids = seed_book(client)
    run = _run_via_api(client, a)
    assert run["status"] == "done" and run["n_done"] == 4, run
    book = client.get("/api/v1/book", headers=a, params={"sort": "aum", "order": "desc"}).json()
    aums = [row["aum"] for row in book["items"]]
    assert book["total"] == 4 and aums == sorted(aums, reverse=True)
    assert book["items"][0]["client_id"] == ids["drifted"]
    row = book["items"][0]
    assert row["drift_asset"] == "VTI" and row["goals"] and row["open_alerts"] >= 1
    names = [r["name"] for r in client.get("/api/v1/book", headers=a,
                                           params={"sort": "name"}).json()["items"]]
    assert names == sorted(names)
    over = client.get("/api/v1/book", headers=a, params={"over_band": True}).json()["items"]
    assert ids["drifted"] in {r["client_id"] for r in over}
    assert all(r["drift"] > DRIFT_BAND for r in over)
    below = client.get("/api/v1/book", headers=a, params={"below_aim": True}).json()["items"]
    assert ids["short"] in {r["client_id"] for r in below}
    assert all(r["worst_goal_gap"] < 0 for r in below)
    level = row["risk_level"]
    same = client.get("/api/v1/book", headers=a, params={"risk_level": level}).json()["items"]
    assert same and all(r["risk_level"] == level for r in same)
    q = client.get("/api/v1/book", headers=a, params={"q": "wash"}).json()["items"]
    assert [r["client_id"] for r in q] == [ids["wash"]]
    assert client.get("/api/v1/book", headers=a, params={"sort": "secret"}).status_code == 422
    wash = client.get("/api/v1/alerts", headers=a, params={"kind": "wash_sale"}).json()
    assert [x["client_id"] for x in wash["items"]] == [ids["wash"]]


def _wait_idle(c, headers) -> None:
    import time

    for run in c.get("/api/v1/book/runs", headers=headers).json():
        while run["status"] == "running":
            time.sleep(0.1)
            run = c.get(f"/api/v1/book/runs/{run['id']}", headers=headers).json()


def test_only_admins_replan_and_advisors_see_only_their_clients(client):
    a, ids = seed_book(client)
    r = client.post("/api/v1/advisors", headers=a, json={
        "name": "Nat", "email": "nat@b.example", "password": "correct horse battery staple",
        "is_admin": False})
    assert r.status_code == 202
    nat = sign_in(client, "nat@b.example")
    assert client.post("/api/v1/book/runs", headers=nat, json={}).status_code == 403
    mine = add_client(client, nat, "Nat's client", [LOSS])
    _run_via_api(client, a)
    seen = client.get("/api/v1/book", headers=nat).json()["items"]
    assert [r["client_id"] for r in seen] == [mine]
    assert client.get("/api/v1/book", headers=a).json()["total"] == 5
    other = sign_up(client, "x@x.example", firm="Elsewhere")
    assert client.get("/api/v1/book", headers=other).json()["total"] == 0
    assert client.get("/api/v1/alerts", headers=other).json()["total"] == 0


def test_dismiss_is_recorded_in_the_audit_log_with_who_and_why(client):
    a, ids = seed_book(client)
    _run_via_api(client, a)
    alert = client.get("/api/v1/alerts", headers=a, params={"kind": "drift"}).json()["items"][0]
    url = f"/api/v1/alerts/{alert['id']}/dismiss"
    assert client.post(url, headers=a, json={"reason": ""}).status_code == 422
    r = client.post(url, headers=a, json={"reason": "client keeps VTI on purpose"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert client.post(url, headers=a, json={"reason": "again"}).status_code == 409
    me = client.get("/api/v1/me", headers=a).json()
    log = client.get("/api/v1/audit", headers=a).json()["items"]
    entry = next(e for e in log if e["action"] == "dismiss")
    assert entry["entity"] == "alert" and entry["entity_id"] == alert["id"]
    assert entry["advisor_id"] == me["id"]
    assert entry["detail"]["reason"] == "client keeps VTI on purpose"
    assert entry["detail"]["kind"] == "drift"
    other = sign_up(client, "y@y.example", firm="Y")
    assert client.post(url, headers=other, json={"reason": "x"}).status_code == 404


def test_acting_queues_a_full_plan_or_the_harvest_trades(client):
    a, ids = seed_book(client)
    _run_via_api(client, a)
    harvest = client.get("/api/v1/alerts", headers=a, params={"kind": "harvest"}
                         ).json()["items"][0]
    r = client.post(f"/api/v1/alerts/{harvest['id']}/act", headers=a,
                    json={"action": "harvest"})
    assert r.status_code == 200, r.text
    assert r.json()["alert"]["status"] == "acted" and r.json()["job_id"] is None
    log = client.get("/api/v1/audit", headers=a).json()["items"]
    ticket = next(e for e in log if e["action"] == "queue_harvest")
    assert ticket["detail"]["trades"][0]["asset"] == "VTI"
    drift = client.get("/api/v1/alerts", headers=a, params={"kind": "drift"}).json()["items"][0]
    r = client.post(f"/api/v1/alerts/{drift['id']}/act", headers=a, json={"action": "harvest"})
    assert r.status_code == 422 and r.json()["field"] == "action"
    r = client.post(f"/api/v1/alerts/{drift['id']}/act", headers=a, json={"action": "plan"})
    assert r.status_code == 200, r.text
    job = wait_job(client, a, client.get(f"/api/v1/jobs/{r.json()['job_id']}",
                                         headers=a).json())
    assert job["status"] == "done" and job["client_id"] == drift["client_id"]


# ------------------------------------------------------------------ pages

def test_book_page_sorts_filters_and_replans(client):
    from .test_ui import csrf, ui_sign_in

    a, ids = seed_book(client)
    ui_sign_in(client, "book@b.example")
    page = client.get("/book")
    assert page.status_code == 200 and "never" in page.text
    r = client.post("/book/replan", data={"csrf_token": csrf(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    _wait_idle(client, a)
    page = client.get("/book?sort=aum&order=desc").text
    assert page.index("Dana Drift") < page.index("Wes Wash")
    assert 'aria-sort="descending"' in page and "sort=aum&order=asc" in page
    page = client.get("/book?over_band=1").text
    assert "Dana Drift" in page
    alerts = client.get("/alerts")
    assert "Queue the harvest trades" in alerts.text and "wash sale" in alerts.text
    with client.app.state.sessions() as db:
        alert = db.scalar(sa.select(Alert).where(Alert.kind == "drift", Alert.status == "open"))
    token = csrf(alerts.text)
    r = client.post(f"/alerts/{alert.id}/dismiss", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422 and f'id="e-reason{alert.id}"' in r.text
    r = client.post(f"/alerts/{alert.id}/dismiss", data={"csrf_token": token,
                                                         "reason": "rebalanced by hand"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "rebalanced by hand" in client.get("/alerts?status=dismissed").text


def test_the_cron_command_replans_every_firm(app, client, tmp_path):
    from typer.testing import CliRunner

    from tailorfolio.cli.app import app as cli

    a, ids = seed_book(client)
    url = app.state.settings.database_url
    out = CliRunner().invoke(cli, ["book-replan", "--database-url", url, "--goal-paths", "30",
                                   "--as-of", AS_OF.isoformat()])
    assert out.exit_code == 0, out.output
    import json

    line = json.loads(out.output.strip().splitlines()[-1])
    assert line["status"] == "done" and line["done"] == 4 and line["firm_id"] == 1
    with app.state.sessions() as db:
        assert db.scalar(sa.select(sa.func.count(BookResult.id))) == 4
        assert db.scalar(sa.select(BookRun.trigger)) == "cli"
    bad = CliRunner().invoke(cli, ["book-replan", "--database-url", url, "--as-of", "30/06"])
    assert bad.exit_code != 0 and "--as-of" in bad.output


@pytest.mark.slow
def test_worker_processes_store_the_same_results(app, client):
    """Two spawned workers, chunks of one client: the same results as in one process."""
    a, ids = seed_book(client)
    one = run_book(app, chunk_size=1)
    with app.state.sessions() as db:
        run = B.start_run(db, 1, 1, "test", goal_paths=60, chunk_size=1, as_of=AS_OF,
                          workers=2)
    two = B.execute_run(app.state.sessions, run.id)
    assert two.status == B.DONE and two.n_done == 4
    with app.state.sessions() as db:
        rows = list(db.scalars(sa.select(BookResult)))
    by_run = {r: {x.client_id: x for x in rows if x.run_id == r} for r in (one.id, two.id)}
    for cid in ids.values():
        x, y = by_run[one.id][cid], by_run[two.id][cid]
        assert (x.aum, x.risk_level, x.drift, x.harvestable_loss) == \
            (y.aum, y.risk_level, y.drift, y.harvestable_loss)
        assert [g["probability"] for g in x.detail["goals"]] == \
            [g["probability"] for g in y.detail["goals"]]
