"""A bounded load test against a real server process (uvicorn, loopback only), on both
backends: 100 concurrent plan requests, with readers polling alongside.

Every answer must be 202 (accepted: a job) or 429/503 with Retry-After (saturated), never a
5xx; every accepted job must finish, and each done job's plan must be stored whole (weights,
provenance, the audit entry). The queue is set smaller than the burst so that saturation is
exercised too.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from .svc_helpers import ACCOUNT, PROFILE, ServerProcess, sign_up

N_REQUESTS = 100
QUEUE = 60
DEADLINE_SECONDS = 240


@pytest.fixture
def server(database_url, tmp_path):
    srv = ServerProcess(tmp_path, database_url, goal_paths=0, env={
        "TAILORFOLIO_PLAN_WORKERS": "2", "TAILORFOLIO_MAX_QUEUED_JOBS": str(QUEUE),
        "TAILORFOLIO_MAX_JOBS_PER_ADVISOR": str(N_REQUESTS)}).start()
    yield srv, database_url
    srv.stop()


@pytest.mark.slow
def test_100_concurrent_plan_requests(server):
    srv, url = server
    with httpx.Client(base_url=srv.base, timeout=60) as c:
        h = sign_up(c, "load@l.example")
        cids = []
        for i in range(4):
            cid = c.post("/api/v1/clients", headers=h, json={"name": f"L{i}", "profile": PROFILE}
                         ).json()["id"]
            assert c.post(f"/api/v1/clients/{cid}/accounts", headers=h, json=ACCOUNT
                          ).status_code == 201
            cids.append(cid)
    statuses: Counter[int] = Counter()
    read_statuses: Counter[int] = Counter()
    accepted: list[dict] = []
    missing_retry_after = 0
    lock = threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(N_REQUESTS)

    def submit(i: int) -> None:
        nonlocal missing_retry_after
        with httpx.Client(base_url=srv.base, timeout=120) as cl:
            barrier.wait(timeout=60)
            r = cl.post(f"/api/v1/clients/{cids[i % len(cids)]}/plans", headers=h, json={})
        with lock:
            statuses[r.status_code] += 1
            if r.status_code == 202:
                accepted.append(r.json())
            elif r.status_code in (429, 503) and "retry-after" not in r.headers:
                missing_retry_after += 1

    def reader() -> None:
        with httpx.Client(base_url=srv.base, timeout=120) as cl:
            while not stop.is_set():
                for path in ("/api/v1/clients", f"/api/v1/clients/{cids[0]}/plans",
                             f"/api/v1/clients/{cids[1]}/profile"):
                    r = cl.get(path, headers=h)
                    with lock:
                        read_statuses[r.status_code] += 1

    t0 = time.perf_counter()
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    with ThreadPoolExecutor(N_REQUESTS) as pool:
        list(pool.map(submit, range(N_REQUESTS)))
    submitted = time.perf_counter() - t0

    # poll every accepted job until it finishes
    jobs = {}
    with httpx.Client(base_url=srv.base, timeout=60) as c:
        pending = {j["id"] for j in accepted}
        deadline = time.monotonic() + DEADLINE_SECONDS
        while pending and time.monotonic() < deadline:
            for jid in list(pending):
                r = c.get(f"/api/v1/jobs/{jid}", headers=h)
                assert r.status_code == 200, r.text
                if r.json()["status"] in ("done", "failed"):
                    jobs[jid] = r.json()
                    pending.discard(jid)
            time.sleep(0.2)
        stop.set()
        for t in readers:
            t.join(timeout=60)
        seconds = time.perf_counter() - t0
        assert not pending, f"{len(pending)} accepted jobs never finished"
        done = [j for j in jobs.values() if j["status"] == "done"]
        failed = [j for j in jobs.values() if j["status"] == "failed"]
        assert not failed, failed[:3]
        for j in done:  # stored whole
            r = c.get(j["links"]["plan"], headers=h)
            assert r.status_code == 200
            plan = r.json()
            assert abs(sum(plan["plan"]["weights"].values()) - 1) < 1e-6
            assert plan["plan"]["provenance"]["input_hash"] == plan["input_hash"]
            assert plan["inputs"]["profile"]["accounts"][0]["lots"]
        total_plans = sum(c.get(f"/api/v1/clients/{cid}/plans", headers=h).json()["total"]
                          for cid in cids)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        audited = conn.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE entity = 'plan'")
                               ).scalar()
        job_rows = dict(conn.execute(sa.text("SELECT status, COUNT(*) FROM plan_jobs "
                                             "GROUP BY status")).all())
    engine.dispose()

    server_errors = sum(n for code, n in statuses.items() if code >= 500 and code != 503)
    read_errors = sum(n for code, n in read_statuses.items() if code >= 500)
    backend = sa.make_url(url).get_backend_name()
    print(f"\n[load/{backend}] {N_REQUESTS} concurrent plan requests -> "
          f"{dict(sorted(statuses.items()))} in {submitted:.1f} s; {len(done)} jobs done, "
          f"{len(failed)} failed, {total_plans} plans stored whole, {audited} audited; "
          f"readers {dict(sorted(read_statuses.items()))}; all finished after {seconds:.1f} s "
          f"({len(done) / seconds:.1f} plans/s); job rows {job_rows}")
    assert server_errors == 0 and read_errors == 0
    assert missing_retry_after == 0
    assert set(statuses) <= {202, 429, 503} and statuses[202] >= 1
    assert len(done) == statuses[202] == total_plans == audited
    assert job_rows == {"done": len(done)}
