"""Plans run as jobs: a bounded queue, a fixed pool of workers, a time budget per plan.

A plan is CPU-bound numpy/cvxpy work that holds the GIL for much of its run, so by default each
worker is a separate **process** (``spawn``ed once, kept for many plans): plans use every core,
the web threads stay responsive, and a plan over its time budget is stopped by killing its
process (a new one replaces it). With ``plan_executor="thread"`` (tests) the plan runs in a
thread of the server and the budget is checked when it returns.

Admission is decided in memory under one lock, before anything is written: at most
``max_queued_jobs`` jobs waiting or running (else 503) and ``max_jobs_per_advisor`` per advisor
(else 429), both with ``Retry-After``. The job row is written at its transitions only (queued,
running, done/failed), each in one short transaction; the finished plan, its audit entry and the
job's ``done`` are one transaction, so a done job always has its whole plan.
"""

from __future__ import annotations

import importlib
import logging
import math
import multiprocessing as mp
import queue
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from tailorfolio.service._errors import ServiceBusyError, TooManyJobsError

log = logging.getLogger("tailorfolio.service.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
WORKER_START_SECONDS = 180
"""How long a new worker process may take to import the library (not part of any budget)."""


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs for one plan (inputs are read when the job is submitted)."""

    job_id: int
    firm_id: int
    advisor_id: int
    client_id: int
    profile_version: int
    inputs: dict[str, Any]
    return_model: str
    as_of: date | None
    goal_paths: int | None
    market: dict[str, Any] | None = None
    """The firm's current market version when the plan was requested (None: bundled)."""


class BudgetExceeded(Exception):
    """The plan ran past its time budget."""


class WorkerDied(Exception):
    """The worker process ended while computing (crash, out of memory, killed)."""


def _error(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"status": status, "body": body}


def budget_error(seconds: int) -> dict[str, Any]:
    return _error(422, {
        "error": "PlanTimeBudgetExceeded", "field": "plan", "value": seconds,
        "message": f"The plan took longer than its time budget of {seconds} s and was stopped.",
        "expected": f"a plan that finishes within {seconds} s",
        "fix": "simplify the profile (fewer goals, accounts or lots), or ask the operator to "
               "raise TAILORFOLIO_PLAN_TIME_BUDGET_SECONDS"})


def internal_error() -> dict[str, Any]:
    return _error(500, {
        "error": "InternalError", "field": None, "value": None, "expected": None,
        "message": "The plan failed unexpectedly; the server logged the error.",
        "fix": "try again; if it persists, report it to the operator"})


# ------------------------------------------------------------------ worker process

def _worker_main(conn: Any) -> None:  # pragma: no cover - runs in the child process
    """Loop of a worker process: receive a job's arguments, send back the result."""
    from tailorfolio.errors import TailorfolioError
    from tailorfolio.service._errors import http_status
    from tailorfolio.service._planrun import compute_plan

    # Load the plan pipeline before the worker signals readiness, so the first plan does not
    # pay the import time inside its time budget.
    for module in ("tailorfolio.market._defaults", "tailorfolio.planning._build",
                   "tailorfolio.report"):
        importlib.import_module(module)

    conn.send(("ready", None))
    while True:
        try:
            kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = compute_plan(**kwargs, progress=lambda f, s: conn.send(("progress", (f, s))))
            conn.send(("ok", result))
        except TailorfolioError as exc:
            conn.send(("error", _error(http_status(exc), exc.to_dict())))
        except Exception:
            conn.send(("crash", traceback.format_exc()))


class _ProcessWorker:
    """One long-lived worker process, replaced when it dies or overruns a budget."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self.proc = self._ctx.Process(target=_worker_main, args=(child,), daemon=True,
                                      name="tailorfolio-plan-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        try:
            if not parent.poll(WORKER_START_SECONDS):
                raise EOFError
            parent.recv()  # ("ready", None)
        except (EOFError, OSError):
            self.kill()
            raise WorkerDied("the worker process did not start (see its error above)") from None

    def warm(self) -> None:
        """Start the process now, so that the first plan does not wait for its imports."""
        if self.proc is None or not self.proc.is_alive():
            self._start()

    def compute(self, kwargs: dict[str, Any], budget: float, progress: Any) -> dict[str, Any]:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send(kwargs)
        deadline = time.monotonic() + budget
        while True:
            left = deadline - time.monotonic()
            try:
                ready = left > 0 and self.conn.poll(left)
                if not ready:
                    self.kill()
                    raise BudgetExceeded()
                kind, value = self.conn.recv()
            except (EOFError, OSError):
                self.kill()
                raise WorkerDied("the worker process ended") from None
            if kind == "progress":
                progress(*value)
            elif kind == "ok":
                return value
            elif kind == "error":
                raise _JobError(value)
            else:
                log.error("plan worker crashed:\n%s", value)
                raise _JobError(internal_error())

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(10)
            self.proc = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class _ThreadWorker:
    """Computes in the calling thread (tests); the budget is checked afterwards."""

    def compute(self, kwargs: dict[str, Any], budget: float, progress: Any) -> dict[str, Any]:
        from tailorfolio.errors import TailorfolioError
        from tailorfolio.service._errors import http_status
        from tailorfolio.service._planrun import compute_plan

        t0 = time.monotonic()
        try:
            result = compute_plan(**kwargs, progress=progress)
        except TailorfolioError as exc:
            raise _JobError(_error(http_status(exc), exc.to_dict())) from None
        if time.monotonic() - t0 > budget:
            raise BudgetExceeded()
        return result

    def kill(self) -> None:
        pass

    def warm(self) -> None:
        pass


class _JobError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["body"].get("message"))
        self.error = error


# ------------------------------------------------------------------ the runner

class JobRunner:
    """The bounded queue and worker pool of one service instance.

    Parameters
    ----------
    sessions : sessionmaker
        Write sessions for the job's transitions.
    settings : ServiceSettings
    """

    def __init__(self, sessions: sessionmaker[Session], settings: Any) -> None:
        self.sessions = sessions
        self.workers = settings.plan_workers
        self.executor = settings.plan_executor
        self.max_queued = settings.max_queued_jobs
        self.max_per_advisor = settings.max_jobs_per_advisor
        self.budget = settings.plan_time_budget_seconds
        self._queue: queue.Queue[JobSpec | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0
        self._per_advisor: Counter[int] = Counter()
        self._threads: list[threading.Thread] = []
        self._pool: list[Any] = []
        self._progress: dict[int, tuple[float, str]] = {}
        self._mean_seconds = 1.0

    # -------------------------------------------------------------- admission
    def retry_after(self) -> int:
        """Seconds until a slot is likely free (the queue ahead over the workers)."""
        waves = max(1, self._pending) / max(1, self.workers)
        return max(1, min(120, math.ceil(waves * self._mean_seconds)))

    def reserve(self, advisor_id: int) -> None:
        """Claim a queue slot for one job of ``advisor_id``.

        Raises
        ------
        ServiceBusyError
            503: the server's queue is full.
        TooManyJobsError
            429: this advisor already has ``max_jobs_per_advisor`` jobs waiting or running.
        """
        with self._lock:
            if self._pending >= self.max_queued:
                wait = self.retry_after()
                raise ServiceBusyError(
                    f"The server is busy: {self._pending} plans are waiting or running, the "
                    f"most it queues. Try again in {wait} s.", field="plan", value=self._pending,
                    expected=f"fewer than {self.max_queued} queued plans",
                    fix=f"retry after {wait} seconds", retry_after=wait)
            if self._per_advisor[advisor_id] >= self.max_per_advisor:
                wait = self.retry_after()
                raise TooManyJobsError(
                    f"You already have {self._per_advisor[advisor_id]} plans waiting or "
                    f"running, the most one advisor may have. Try again in {wait} s.",
                    field="plan", value=self._per_advisor[advisor_id],
                    expected=f"fewer than {self.max_per_advisor} of your plans at once",
                    fix="wait for your plans to finish (poll their jobs)", retry_after=wait)
            self._pending += 1
            self._per_advisor[advisor_id] += 1

    def release(self, advisor_id: int) -> None:
        with self._lock:
            self._pending -= 1
            self._per_advisor[advisor_id] -= 1
            if self._per_advisor[advisor_id] <= 0:
                del self._per_advisor[advisor_id]

    def enqueue(self, spec: JobSpec) -> None:
        """Queue a reserved job (starts the workers on first use)."""
        self._ensure_started()
        self._progress[spec.job_id] = (0.0, QUEUED)
        self._queue.put(spec)

    def progress(self, job_id: int) -> tuple[float, str] | None:
        """The live (progress, stage) of a job this instance is running, if any."""
        return self._progress.get(job_id)

    @property
    def pending(self) -> int:
        return self._pending

    # -------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the workers now (at application start-up) rather than at the first plan."""
        self._ensure_started()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._threads:
                return
            for i in range(self.workers):
                worker = _ProcessWorker() if self.executor == "process" else _ThreadWorker()
                t = threading.Thread(target=self._loop, args=(worker,), daemon=True,
                                     name=f"tailorfolio-plan-{i}")
                self._pool.append(worker)
                self._threads.append(t)
                t.start()

    def recover(self) -> int:
        """Fail the jobs a previous run of the server left queued or running (at start-up)."""
        with self.sessions() as db:
            from tailorfolio.service._models import PlanJob, utcnow

            n = db.execute(sa.update(PlanJob).where(PlanJob.status.in_((QUEUED, RUNNING)))
                           .values(status=FAILED, finished_at=utcnow(), stage=FAILED,
                                   error=_error(503, {
                                       "error": "JobInterrupted", "field": "plan",
                                       "value": None, "expected": None,
                                       "message": "The server restarted before this plan was "
                                                  "made.", "fix": "submit the plan again"})))
            db.commit()
            return int(n.rowcount or 0)

    def stop(self) -> None:
        """Stop the workers; jobs still queued are marked failed (submit them again)."""
        threads, self._threads = self._threads, []
        left: list[JobSpec] = []
        while True:
            try:
                spec = self._queue.get_nowait()
            except queue.Empty:
                break
            if spec is not None:
                left.append(spec)
        for _ in threads:
            self._queue.put(None)
        for t in threads:
            t.join(timeout=self.budget + 5)
        for w in self._pool:
            w.kill()
        self._pool = []
        for spec in left:
            self._finish(spec, FAILED, error=_error(503, {
                "error": "JobInterrupted", "field": "plan", "value": None, "expected": None,
                "message": "The server stopped before this plan was made.",
                "fix": "submit the plan again"}))
            self.release(spec.advisor_id)

    # -------------------------------------------------------------- work
    def _loop(self, worker: Any) -> None:
        try:
            worker.warm()
        except Exception:  # retried at the first plan; the job then fails if it cannot start
            log.exception("a plan worker could not start")
        while True:
            spec = self._queue.get()
            if spec is None:
                return
            try:
                self._run(spec, worker)
            except Exception:  # never let a worker thread die
                log.exception("job %s: unexpected failure in the runner", spec.job_id)
            finally:
                self._progress.pop(spec.job_id, None)
                self.release(spec.advisor_id)

    def _run(self, spec: JobSpec, worker: Any) -> None:
        from tailorfolio.service._models import PlanJob, utcnow

        self._write(lambda db: db.execute(sa.update(PlanJob).where(PlanJob.id == spec.job_id)
                                          .values(status=RUNNING, started_at=utcnow(),
                                                  progress=0.1, stage="computing")))
        self._progress[spec.job_id] = (0.1, "computing")

        def progress(fraction: float, stage: str) -> None:
            self._progress[spec.job_id] = (float(fraction), str(stage))

        kwargs = dict(inputs=spec.inputs, return_model=spec.return_model, as_of=spec.as_of,
                      goal_paths=spec.goal_paths, market=spec.market)
        t0 = time.monotonic()
        try:
            fields = worker.compute(kwargs, self.budget, progress)
        except BudgetExceeded:
            log.warning("job %s: over its time budget of %s s", spec.job_id, self.budget)
            self._finish(spec, FAILED, error=budget_error(self.budget))
            return
        except _JobError as exc:
            self._finish(spec, FAILED, error=exc.error)
            return
        except Exception:
            log.exception("job %s failed", spec.job_id)
            worker.kill()
            self._finish(spec, FAILED, error=internal_error())
            return
        seconds = time.monotonic() - t0
        self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds
        self._progress[spec.job_id] = (0.9, "storing")
        self._finish(spec, DONE, fields=fields)

    def _finish(self, spec: JobSpec, status: str, fields: dict[str, Any] | None = None,
                error: dict[str, Any] | None = None) -> None:
        from tailorfolio.service._models import AuditEntry, PlanJob, PlanRecord, utcnow

        def write(db: Session) -> None:
            values: dict[str, Any] = dict(status=status, finished_at=utcnow(), stage=status,
                                          progress=1.0 if status == DONE else 0.0, error=error)
            if fields is not None:
                row = PlanRecord(client_id=spec.client_id, profile_version=spec.profile_version,
                                 created_by=spec.advisor_id, **fields)
                db.add(row)
                db.flush()
                db.add(AuditEntry(firm_id=spec.firm_id, advisor_id=spec.advisor_id,
                                  action="create", entity="plan", entity_id=row.id,
                                  detail={"client_id": spec.client_id, "job_id": spec.job_id,
                                          "profile_version": spec.profile_version,
                                          "input_hash": row.input_hash}))
                values["plan_id"] = row.id
            db.execute(sa.update(PlanJob).where(PlanJob.id == spec.job_id).values(**values))

        try:
            self._write(write)
        except Exception:
            log.exception("job %s: could not store its result", spec.job_id)
            if status == DONE:  # the plan could not be stored: the job fails instead
                self._write(lambda db: db.execute(
                    sa.update(PlanJob).where(PlanJob.id == spec.job_id).values(
                        status=FAILED, finished_at=utcnow(), stage=FAILED,
                        error=internal_error())))

    def _write(self, fn: Any, attempts: int = 6) -> None:
        """Run ``fn(db)`` in one transaction, retrying while the database is busy."""
        for attempt in range(attempts):
            try:
                with self.sessions() as db:
                    fn(db)
                    db.commit()
                return
            except (OperationalError, PoolTimeoutError):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * 2 ** attempt)
