"""Book re-plan benchmark: 1,000 synthetic clients in a SQLite service database, re-planned
through the fleet engine, every result checked whole.

Run ``python benchmarks/bench_book.py [--clients 1000] [--goal-paths 200] [--kill-test]``.

* **Seed** — ``--clients`` households from the seeded synthetic population
  (:func:`tailorfolio.personalization._population.synthetic_population`: ages 25–75, one to
  five goals, taxable / traditional / Roth accounts with lots at gains and losses) are written
  as one firm's clients (profile facts, accounts, lots) into a fresh SQLite database, with a
  firm market version of 60 month-end prices of the eight funds they hold (drawn from the
  bundled assumptions, ending at the bundled reference prices).
* **Re-plan** — one book run exactly as the service's button, the API and
  ``tailorfolio book-replan`` do it (:func:`tailorfolio.service._book.execute_run`): batched
  fleet targets per chunk of 100 clients, drift, harvest candidates and wash sales, each goal's
  probability on ``--goal-paths`` Monte Carlo paths, alerts; one transaction per chunk. The
  wall-clock time of each phase is printed, with clients per second.
* **Completeness** — the number of stored results equals the number of clients and every
  result has its target, holdings, goals and harvest list; every alert points at a stored
  result.
* **Kill test** (``--kill-test``) — the same run as ``tailorfolio book-replan`` in a
  subprocess, SIGKILLed once some chunks are stored; the stored results must be whole chunks of
  whole results; then the book is re-planned again to completion.

The machine may be shared: the load average is printed before and after. Run with
``OMP_NUM_THREADS=1`` on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tailorfolio.market._defaults import default_market
from tailorfolio.personalization._population import AS_OF, synthetic_population
from tailorfolio.service import _book as B
from tailorfolio.service._db import make_engine, run_migrations, session_factory
from tailorfolio.service._market_store import summary_of, version_data
from tailorfolio.service._market_store import market_from_data
from tailorfolio.service._models import (
    Account,
    Advisor,
    Alert,
    BookResult,
    Client,
    Firm,
    Lot,
    MarketVersion,
    ProfileVersion,
)

HELD = ("VTI", "VEA", "VWO", "VB", "BND", "BNDX", "VNQ", "SGOV")
REQUIRED = ("target", "current", "goals", "harvests", "fleet")


def month_end_prices(months: int = 60, seed: int = 11) -> pd.DataFrame:
    """Month-end prices of the held funds from the bundled assumptions, ending at their
    reference prices on the population's date."""
    m = default_market()
    a = m.assumptions.subset(list(HELD))
    rng = np.random.default_rng(seed)
    rets = rng.multivariate_normal(a.expected_return.to_numpy() / 12,
                                   a.covariance.to_numpy() / 12, size=months - 1)
    rets += a.expected_return.to_numpy() / 12 - rets.mean(axis=0)  # means as assumed
    growth = np.vstack([np.ones(len(HELD)), np.cumprod(1 + rets, axis=0)])
    last = np.array([m.last_prices[t] for t in HELD])
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=months, freq="ME")
    return pd.DataFrame((growth / growth[-1] * last).round(4), index=dates, columns=list(HELD))


def seed(url: str, n: int) -> None:
    """One firm, one admin, ``n`` synthetic clients and a firm market version."""
    engine = make_engine(url)
    run_migrations(engine)
    people = synthetic_population(n, default_market(), seed=2026)
    with session_factory(engine)() as db:
        firm = Firm(name="Benchmark Advisors")
        db.add(firm)
        db.flush()
        adv = Advisor(firm_id=firm.id, email="bench@example.com", name="Bench",
                      password_hash="(not used)", is_admin=True)
        db.add(adv)
        db.flush()
        px = month_end_prices()
        data = version_data(px, None, None, {"prices": "month_end_prices (synthetic)"})
        market = market_from_data(data)
        db.add(MarketVersion(firm_id=firm.id, version=1, created_by=adv.id, note="benchmark",
                             as_of=market.as_of, summary=summary_of(market, data), data=data))
        for person in people:
            facts = person.model_dump(mode="json", exclude_none=True)
            accounts = facts.pop("accounts")
            client = Client(firm_id=firm.id, advisor_id=adv.id, name=facts["name"])
            db.add(client)
            db.flush()
            db.add(ProfileVersion(client_id=client.id, version=1, data=facts,
                                  created_by=adv.id))
            for acct in accounts:
                row = Account(client_id=client.id, name=acct["name"], type=acct["type"],
                              cash=acct.get("cash", 0.0),
                              annual_contribution=acct.get("annual_contribution", 0.0))
                for lot in acct.get("lots", []):
                    row.lots.append(Lot(asset=lot["asset"], quantity=lot["quantity"],
                                        cost_basis_per_share=lot["cost_basis_per_share"],
                                        acquired=date.fromisoformat(lot["acquired"])))
                db.add(row)
        db.commit()
    engine.dispose()


def check_whole(url: str, chunk: int | None = None) -> dict[str, object]:
    """Counts of the stored results; raises AssertionError on any partial result."""
    engine = make_engine(url)
    with session_factory(engine)() as db:
        results = list(db.scalars(sa.select(BookResult)))
        alerts = list(db.scalars(sa.select(Alert)))
        per_run = Counter(r.run_id for r in results)
    engine.dispose()
    ids = {r.id for r in results}
    for r in results:
        if r.status == "ok":
            missing = [k for k in REQUIRED if k not in r.detail]
            assert not missing, f"result {r.id} lacks {missing}"
        assert r.n_alerts == sum(a.result_id == r.id for a in alerts), f"result {r.id} alerts"
    assert all(a.result_id in ids for a in alerts), "an alert without its result"
    if chunk:
        for run_id, count in per_run.items():
            assert count % chunk == 0 or count == max(per_run.values()), (run_id, count)
    return {"results": len(results), "per_run": dict(per_run),
            "status": dict(Counter(r.status for r in results)),
            "alerts": dict(Counter(a.kind for a in alerts if a.status == "open"))}


def replan(url: str, goal_paths: int, chunk: int, workers: int = 1
           ) -> tuple[float, dict[str, float], object]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    t0 = time.perf_counter()
    with sessions() as db:
        run = B.start_run(db, 1, 1, "bench", goal_paths=goal_paths, chunk_size=chunk,
                          as_of=AS_OF, workers=workers)
    run = B.execute_run(sessions, run.id)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds, run.settings["timings"], run


def kill_test(url: str, goal_paths: int, chunk: int) -> None:
    """``tailorfolio book-replan`` in a subprocess, SIGKILLed mid-run; then checked."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TAILORFOLIO_SECRET_KEY": "bench-" + "k" * 40}
    before = check_whole(url)["results"]
    proc = subprocess.Popen([sys.executable, "-m", "tailorfolio", "book-replan",
                             "--database-url", url, "--goal-paths", str(goal_paths),
                             "--chunk-size", str(chunk), "--as-of", AS_OF.isoformat()],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    engine = make_engine(url)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count(BookResult.id))).scalar() or 0
        if n - before >= chunk:
            break
        time.sleep(0.05)
    time.sleep(0.5)  # kill somewhere inside the next chunk
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    engine.dispose()
    after = check_whole(url, chunk)
    got = after["results"] - before
    print(f"kill test: SIGKILL after {got} new results stored (chunks of {chunk}): "
          f"{'whole chunks only' if got % chunk == 0 else 'PARTIAL CHUNK'}; every stored "
          "result complete")
    assert got % chunk == 0, got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--goal-paths", type=int, default=B.BOOK_GOAL_PATHS)
    ap.add_argument("--chunk-size", type=int, default=B.CHUNK_SIZE)
    ap.add_argument("--workers", type=int, default=1, help="worker processes (as the CLI's "
                    "--workers)")
    ap.add_argument("--kill-test", action="store_true")
    ap.add_argument("--database", help="SQLite file to use (default: a temporary one)")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    path = Path(args.database) if args.database else \
        Path(tempfile.mkdtemp(prefix="tf-bench-book-")) / "book.db"
    url = f"sqlite:///{path}"
    t = time.perf_counter()
    seed(url, args.clients)
    print(f"seeded {args.clients} clients into {path} in {time.perf_counter() - t:.1f} s")
    seconds, timings, run = replan(url, args.goal_paths, args.chunk_size, args.workers)
    print(f"book re-plan: {run.n_done}/{run.n_clients} clients, status {run.status}, "
          f"{run.n_failed} not planned, goal paths {args.goal_paths}, workers {args.workers}")
    print("| phase | seconds |\n|---|---:|")
    for k in ("market_s", "read_s", "compute_s", "write_s", "total_s"):
        print(f"| {k[:-2]} | {timings[k]:.2f} |")
    print(f"wall clock {seconds:.1f} s = {run.n_done / seconds:.1f} clients/s")
    summary = check_whole(url, args.chunk_size)
    assert summary["results"] == args.clients, summary
    print(f"complete: {summary['results']} results, status {summary['status']}, open alerts "
          f"{summary['alerts']}")
    if args.kill_test:
        kill_test(url, args.goal_paths, args.chunk_size)
        seconds, timings, run = replan(url, args.goal_paths, args.chunk_size, args.workers)
        print(f"re-run after the kill: {run.status}, {run.n_done} clients in {seconds:.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
