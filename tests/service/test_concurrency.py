"""Concurrency and crash safety against a real server process (uvicorn), on both backends."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa
from .svc_helpers import ACCOUNT, PROFILE, ServerProcess, sign_up, wait_job

N_PLANS = 10
N_WRITERS = 6
EDITS_PER_WRITER = 3


@pytest.fixture
def server(database_url, tmp_path):
    # plans with the goals section (Monte Carlo), as in production: bigger writes
    srv = ServerProcess(tmp_path, database_url, goal_paths=2000).start()
    yield srv, database_url
    srv.stop()


def _setup(base: str) -> tuple[dict[str, str], int]:
    with httpx.Client(base_url=base, timeout=120) as c:
        h = sign_up(c, "conc@c.example")
        cid = c.post("/api/v1/clients", headers=h, json={"name": "C", "profile": PROFILE}
                     ).json()["id"]
        assert c.post(f"/api/v1/clients/{cid}/accounts", headers=h, json=ACCOUNT
                      ).status_code == 201
    return h, cid


@pytest.mark.slow
def test_simultaneous_plans_and_profile_updates(server):
    """N_PLANS plan requests and N_WRITERS read-modify-write profile editors at once: every plan
    is complete, every edit lands exactly once (stale bases get 409 and retry), versions are
    contiguous."""
    srv, url = server
    h, cid = _setup(srv.base)
    conflicts = []

    def run_plan(_: int) -> str:
        with httpx.Client(base_url=srv.base, timeout=300) as c:
            r = c.post(f"/api/v1/clients/{cid}/plans", headers=h, json={})
            assert r.status_code == 202, r.text
            return wait_job(c, h, r.json(), timeout=600)["status"]

    def edit(worker: int) -> list[int]:
        landed = []
        with httpx.Client(base_url=srv.base, timeout=120) as c:
            for k in range(EDITS_PER_WRITER):
                income = 100_000 + worker * 1000 + k
                while True:
                    cur = c.get(f"/api/v1/clients/{cid}/profile", headers=h).json()
                    body = {"base_version": cur["version"],
                            "profile": {**PROFILE, "annual_income": income}}
                    r = c.put(f"/api/v1/clients/{cid}/profile", headers=h, json=body)
                    if r.status_code == 201:
                        landed.append(income)
                        break
                    assert r.status_code == 409, r.text
                    conflicts.append(worker)
        return landed

    t0 = time.perf_counter()
    with ThreadPoolExecutor(N_PLANS + N_WRITERS) as pool:
        plan_futs = [pool.submit(run_plan, i) for i in range(N_PLANS)]
        edit_futs = [pool.submit(edit, w) for w in range(N_WRITERS)]
        statuses = [f.result() for f in plan_futs]
        landed = [x for f in edit_futs for x in f.result()]
    seconds = time.perf_counter() - t0
    assert statuses == ["done"] * N_PLANS

    with httpx.Client(base_url=srv.base, timeout=120) as c:
        versions = c.get(f"/api/v1/clients/{cid}/profile/versions?limit=200", headers=h).json()
        plans = c.get(f"/api/v1/clients/{cid}/plans?limit=200", headers=h).json()
        details = [c.get(f"/api/v1/clients/{cid}/plans/{p['id']}", headers=h).json()
                   for p in plans["items"]]
    nums = sorted(v["version"] for v in versions["items"])
    incomes = sorted(v["data"]["annual_income"] for v in versions["items"] if v["version"] > 1)
    assert nums == list(range(1, 1 + N_WRITERS * EDITS_PER_WRITER + 1))
    assert incomes == sorted(landed)  # no lost update, no duplicate
    assert plans["total"] == N_PLANS
    for d in details:
        assert abs(sum(d["plan"]["weights"].values()) - 1) < 1e-6
        assert d["plan"]["provenance"]["input_hash"] == d["input_hash"]
        assert d["frontier"] and len(d["frontier"]["volatility"]) > 2
        assert d["plan"]["goal_outcomes"] and "fan_chart_real" in d["plan"]["extras"]["goals"]
    backend = sa.make_url(url).get_backend_name()
    print(f"\n[concurrency/{backend}] {N_PLANS} simultaneous plan requests -> "
          f"{statuses.count('done')} jobs done, {plans['total']} complete plans stored; "
          f"{N_WRITERS} writers x {EDITS_PER_WRITER} read-modify-write edits -> "
          f"{len(landed)} landed, {len(conflicts)} stale-version 409s retried, versions "
          f"1..{nums[-1]} contiguous, lost updates 0; {seconds:.1f} s")


@pytest.mark.slow
def test_killing_the_server_during_writes_leaves_a_consistent_database(tmp_path):
    """SIGKILL the server while threads create clients, edit profiles and run plans; the
    SQLite database (the embedded default, whose durability is ours to configure: WAL,
    synchronous=FULL) is consistent afterwards and the restarted server carries on. On
    PostgreSQL crash safety is the server's own; the concurrency test covers that backend."""
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    srv = ServerProcess(tmp_path, database_url).start()
    h, cid = _setup(srv.base)
    stop = threading.Event()
    done = {"ok": 0, "failed": 0}

    def writer(i: int) -> None:
        with httpx.Client(base_url=srv.base, timeout=30) as c:
            k = 0
            while not stop.is_set():
                k += 1
                try:
                    if i % 3 == 0:
                        c.post(f"/api/v1/clients/{cid}/plans", headers=h, json={})
                    elif i % 3 == 1:
                        r = c.post("/api/v1/clients", headers=h,
                                   json={"name": f"K{i}-{k}", "profile": PROFILE})
                        new = r.json()["id"]
                        c.post(f"/api/v1/clients/{new}/accounts", headers=h, json=ACCOUNT)
                    else:
                        v = c.get(f"/api/v1/clients/{cid}/profile", headers=h).json()["version"]
                        c.put(f"/api/v1/clients/{cid}/profile", headers=h, json={
                            "base_version": v, "profile": {**PROFILE, "age": 30 + k % 50}})
                    done["ok"] += 1
                except (httpx.HTTPError, KeyError, ValueError):
                    done["failed"] += 1
                    return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(2.5)
    srv.kill()
    stop.set()
    for t in threads:
        t.join(timeout=60)

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        q = lambda s: conn.execute(sa.text(s)).all()
        # every client has a first profile version (client + v1 are one transaction)
        assert q("SELECT c.id FROM clients c LEFT JOIN profile_versions p ON p.client_id = c.id "
                 "AND p.version = 1 WHERE p.id IS NULL") == []
        # versions are contiguous per client
        for client_id, n, top in q("SELECT client_id, COUNT(*), MAX(version) FROM "
                                   "profile_versions GROUP BY client_id"):
            assert n == top, client_id
        # every plan is complete and has its audit entry (same transaction)
        plans = q("SELECT id, report, inputs FROM plans")
        for pid, report, inputs in plans:
            report = json.loads(report) if isinstance(report, str) else report
            inputs = json.loads(inputs) if isinstance(inputs, str) else inputs
            assert abs(sum(report["plan"]["weights"].values()) - 1) < 1e-6
            assert inputs["profile"]["accounts"]
        audited = {r[0] for r in q("SELECT entity_id FROM audit_log WHERE entity = 'plan'")}
        assert {p[0] for p in plans} == audited
        n_clients = q("SELECT COUNT(*) FROM clients")[0][0]
    engine.dispose()

    again = ServerProcess(tmp_path, database_url).start()
    try:
        with httpx.Client(base_url=again.base, timeout=120) as c:
            assert c.get("/health").json()["database"] == "ok"
            r = c.post(f"/api/v1/clients/{cid}/plans", headers=h, json={})
            assert r.status_code == 202
            assert wait_job(c, h, r.json(), timeout=300)["status"] == "done"
            left = c.get("/api/v1/jobs/1", headers=h).json()["status"]
            assert left in ("done", "failed")  # none is left queued or running
    finally:
        again.stop()
    print(f"\n[restart/{engine.dialect.name}] killed during {done['ok']} completed writes; "
          f"{len(plans)} plans, {n_clients} clients, all consistent; restarted OK")
