"""The book: re-plan every client of a firm through the fleet engine, store each result whole,
raise alerts; and the dashboard's query over the latest results.

A **book re-plan** (:func:`start_run` + :func:`execute_run`) takes the firm's current market
version (or the bundled market), turns it into the plan's expected returns once (equilibrium
returns with the forecasts as views, as the full plan does) and a :class:`FleetModel`, then
goes through the firm's clients in chunks of :data:`CHUNK_SIZE`:

1. each client's stored profile and holdings are valued at the market's prices; the risk level
   (γ and the level's equity share, :func:`tailorfolio.risk.assess_risk`) and the profile's
   constraints (bounds, exclusions, class bounds, ESG floor: the full plan's
   :func:`base_constraints`) become one row of an :class:`InvestorBatch`;
2. :func:`solve_batch` gives every client of the chunk a target (household) weight vector at
   once;
3. per client: drift (largest |current − target| weight), the tax module's harvest candidates
   (:func:`find_harvests`, wash sales included) and each goal's probability — the **fast
   path**: the engine's own Monte Carlo (:func:`simulate` of the profile holding the target,
   taxes, fees and contributions included) with :data:`BOOK_GOAL_PATHS` paths (200: a standard
   error of at most 3.5 points, against the full plan's thousands of paths). The return draws
   are made once per run and replayed for every client (common random numbers: the same
   simulated markets for the whole book, which halves the time and makes clients comparable);

4. the chunk's results and their alerts (:mod:`tailorfolio.service._alerts`) are written in
   **one transaction**; a client's earlier open alerts are superseded in the same transaction.

So a crash or kill mid-run leaves only whole chunks of whole results (the run itself stays
``running`` until :func:`recover_runs` or the next start marks it ``interrupted``). A client
whose profile cannot be planned gets a stored result with status ``error`` and the library's
message, and the book goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from tailorfolio.errors import TailorfolioError
from tailorfolio.service._alerts import OPEN, SUPERSEDED, AlertDraft, goal_aim, raise_alerts
from tailorfolio.service._errors import ConflictError, PermissionDeniedError
from tailorfolio.service._logic import accounts_data
from tailorfolio.service._models import (
    Account,
    Advisor,
    Alert,
    AuditEntry,
    BookResult,
    BookRun,
    Client,
    PlanRecord,
    ProfileVersion,
    utcnow,
)

log = logging.getLogger("tailorfolio.service.book")

CHUNK_SIZE = 100
"""Clients solved together and stored in one transaction."""
BOOK_GOAL_PATHS = 200
"""Monte Carlo paths per client of the goals' fast path."""
GOAL_SEED = 20_250_630
BOOK_HORIZON_MONTHS = 12 * 100
"""Months of return draws made once per run (a client needing more is simulated afresh)."""
TRADE_COST = 0.0005
"""Cost per unit of weight traded in the fleet problem (5 bps, the rebalancer's default): the
target does not churn holdings for a negligible gain in utility."""
STALE_AFTER = timedelta(hours=2)
"""A run still ``running`` after this long is taken as dead; so is one whose process (host and
pid are recorded) no longer exists."""
RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"


# ------------------------------------------------------------------ the computation (no I/O)

@dataclass(frozen=True)
class BookMarket:
    """What every client of a run shares: the plan market and its fleet model."""

    market: Any
    model: Any
    returns: Any
    substitutes: Any
    draws: Any = None
    """The run's frozen return draws (:func:`tailorfolio.simulate.freeze`), or None."""


def book_market(market: Any, goal_paths: int = 0) -> BookMarket:
    """The plan's expected returns (equilibrium + views) on ``market``, its fleet model, the
    Monte Carlo return model of the goals and (for ``goal_paths > 0``) its frozen draws."""
    from tailorfolio.fleet import FleetModel
    from tailorfolio.market._equilibrium import ReturnModel, planning_assumptions
    from tailorfolio.simulate import LognormalModel
    from tailorfolio.tax._substitutes import substitute_table

    plan_market, _ = planning_assumptions(market, ReturnModel.EQUILIBRIUM_VIEWS)
    model = FleetModel.from_market(plan_market)
    returns = LognormalModel.from_assumptions(plan_market.assumptions, plan_market.universe)
    from tailorfolio.simulate import freeze

    draws = freeze(returns, BOOK_HORIZON_MONTHS, goal_paths, GOAL_SEED) if goal_paths > 0 \
        else None
    return BookMarket(plan_market, model, returns, substitute_table(plan_market.universe), draws)


@dataclass
class ClientInput:
    client_id: int
    profile_version: int
    inputs: dict[str, Any]
    previous: dict[str, float] = field(default_factory=dict)
    """Each goal's probability in the client's last plan or book result (by goal name)."""


@dataclass
class ClientOutcome:
    """One client's result: the :class:`BookResult` fields and its alerts."""

    client_id: int
    profile_version: int
    status: str
    message: str = ""
    aum: float = 0.0
    risk_level: int | None = None
    drift: float | None = None
    harvestable_loss: float = 0.0
    worst_goal_gap: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    alerts: list[AlertDraft] = field(default_factory=list)


@dataclass
class _Prepared:
    inp: ClientInput
    profile: Any
    risk: Any
    wealth: float
    current: np.ndarray
    cs: Any


def _vector(weights: dict[str, float], tickers: tuple[str, ...]) -> dict[str, float]:
    return {t: round(float(w), 6) for t, w in zip(tickers, weights) if abs(w) > 5e-7}


def _prepare(inp: ClientInput, bm: BookMarket, as_of: date) -> _Prepared:
    from tailorfolio.planning._build import base_constraints
    from tailorfolio.planning._settings import PlanSettings
    from tailorfolio.profile._parse import parse_profile
    from tailorfolio.risk._scoring import assess_risk, household_wealth

    profile = parse_profile(inp.inputs)
    m = bm.market
    m.universe.require(profile.held_assets, what="the client's holdings",
                       fix="upload prices (and universe rows) for these assets, or correct "
                           "the lots")
    prices = {t: m.price_of(t) for t in profile.held_assets}
    wealth = household_wealth(profile, prices)
    risk = assess_risk(profile, as_of=as_of, prices=prices)
    held = np.zeros(bm.model.n_assets)
    pos = {t: i for i, t in enumerate(bm.model.tickers)}
    for acct in profile.accounts:
        for lot in acct.lots:
            held[pos[lot.asset]] += lot.quantity * prices[lot.asset]
    current = held / wealth if wealth > 0 else held
    cs = base_constraints(profile, m, PlanSettings())
    return _Prepared(inp, profile, risk, float(wealth), current, cs)


def _batch(prepared: list[_Prepared], bm: BookMarket) -> Any:
    from tailorfolio.fleet import InvestorBatch

    model = bm.model
    batch = InvestorBatch.uniform(model, len(prepared))
    names = list(model.group_names)
    for i, p in enumerate(prepared):
        batch.risk_aversion[i] = float(p.risk.risk_aversion)
        batch.lower[i] = p.cs.lower
        batch.upper[i] = p.cs.upper
        for g in p.cs.groups:
            if g.name in names:
                k = names.index(g.name)
                batch.group_min[i, k] = max(batch.group_min[i, k], g.min)
                batch.group_max[i, k] = min(batch.group_max[i, k], g.max)
        if "equity" in names:  # the level's equity share is the ceiling (the ladder)
            k = names.index("equity")
            batch.group_max[i, k] = max(batch.group_min[i, k],
                                        min(batch.group_max[i, k], float(p.risk.equity_share)))
        if p.cs.min_esg_score is not None:
            batch.min_esg_score[i] = float(p.cs.min_esg_score)
        batch.esg_tilt[i] = float(p.cs.esg_tilt)
        batch.current_weights[i] = np.clip(p.current, 0.0, None)
    batch.cost_rate[:] = TRADE_COST
    return batch


def _goals(p: _Prepared, bm: BookMarket, target: np.ndarray, as_of: date, paths: int
           ) -> list[dict[str, Any]]:
    from tailorfolio.goals._from_profile import spec_from_profile
    from tailorfolio.simulate import simulate

    if paths <= 0 or not p.profile.goals:
        return []
    spec = spec_from_profile(p.profile, bm.market, target, as_of)
    replay = bm.draws is not None and spec.n_steps <= BOOK_HORIZON_MONTHS and \
        bm.draws.log_returns.shape[1] == paths
    res = simulate(spec, bm.draws if replay else bm.returns, n_paths=paths, seed=GOAL_SEED)
    priority = {g.name: getattr(g.priority, "value", str(g.priority)) for g in p.profile.goals}
    out = []
    for j, g in enumerate(spec.goals):
        prob, se = res.success_probability(j)
        prio = priority.get(g.name, "important")
        before = p.inp.previous.get(g.name)
        out.append({"name": g.name, "priority": prio, "probability": round(prob, 4),
                    "standard_error": round(se, 4), "aim": goal_aim(prio),
                    "change": None if before is None else round(prob - before, 4)})
    return out


def _harvests(p: _Prepared, bm: BookMarket, as_of: date) -> list[dict[str, Any]]:
    from tailorfolio.tax._harvest import find_harvests
    from tailorfolio.tax._ledger import Ledger
    from tailorfolio.tax._tables import marginal_rates

    ledger = Ledger.from_profile(p.profile, substitutes=bm.substitutes)
    rates = marginal_rates(p.profile, as_of.year)
    opps = find_harvests(ledger, bm.market.last_prices, as_of, rates)
    return [o.to_dict() for o in opps]


def _error(inp: ClientInput, exc: Exception) -> ClientOutcome:
    if isinstance(exc, TailorfolioError):
        msg = exc.message + (f" (field {exc.field})" if exc.field else "")
    else:
        log.exception("book: client %s failed unexpectedly", inp.client_id)
        msg = "internal error while re-planning this client (logged)"
    return ClientOutcome(inp.client_id, inp.profile_version, "error", message=msg[:500])


def evaluate_chunk(clients: list[ClientInput], bm: BookMarket, as_of: date,
                   goal_paths: int = BOOK_GOAL_PATHS) -> list[ClientOutcome]:
    """Re-plan ``clients`` against ``bm``: one batched fleet solve, then each client's drift,
    harvests, goal probabilities and alerts (pure computation; one outcome per client, in
    order)."""
    from tailorfolio.fleet import solve_batch

    outcomes: dict[int, ClientOutcome] = {}
    prepared: list[_Prepared] = []
    for inp in clients:
        try:
            prepared.append(_prepare(inp, bm, as_of))
        except Exception as exc:  # one client's bad data never stops the book
            outcomes[inp.client_id] = _error(inp, exc)
    result = solve_batch(bm.model, _batch(prepared, bm)) if prepared else None
    tickers = bm.model.tickers
    for i, p in enumerate(prepared):
        inp = p.inp
        try:
            harvests = _harvests(p, bm, as_of)
            actionable_loss = float(sum(h["loss"] for h in harvests if h["actionable"]))
            status = str(result.status[i])
            detail: dict[str, Any] = {
                "current": _vector(p.current, tickers),
                "equity_share_cap": float(p.risk.equity_share),
                "harvests": harvests, "as_of": as_of.isoformat(),
                "fleet": {"status": status, "method": str(result.method[i]),
                          "message": str(result.message[i])}}
            drift = drift_asset = None
            goals: list[dict[str, Any]] = []
            if status == "optimal":
                target = result.weights[i]
                gap = np.abs(p.current - target)
                j = int(np.argmax(gap))
                drift, drift_asset = float(gap[j]), tickers[j]
                goals = _goals(p, bm, target, as_of, goal_paths)
                detail.update(target=_vector(target, tickers),
                              expected_return=float(result.expected_return[i]),
                              volatility=float(result.volatility[i]), drift_asset=drift_asset)
            detail["goals"] = goals
            gaps = [g["probability"] - g["aim"] for g in goals]
            outcomes[inp.client_id] = ClientOutcome(
                inp.client_id, inp.profile_version, "ok" if status == "optimal" else status,
                message="" if status == "optimal" else str(result.message[i])[:500],
                aum=p.wealth, risk_level=int(p.risk.level), drift=drift,
                harvestable_loss=actionable_loss, worst_goal_gap=min(gaps) if gaps else None,
                detail=detail, alerts=raise_alerts(drift, drift_asset, goals, harvests))
        except Exception as exc:  # one client's bad data never stops the book: stored as its error
            outcomes[inp.client_id] = _error(inp, exc)
    return [outcomes[c.client_id] for c in clients]


# ------------------------------------------------------------------ the run (database)

def _firm_admin(me: Advisor) -> None:
    if not me.is_admin:
        raise PermissionDeniedError("Only a firm admin can re-plan the whole book.",
                                    field="is_admin", value=False,
                                    fix="ask your firm's admin, or queue plans per client")


def start_run(db: Session, firm_id: int, advisor_id: int | None, trigger: str, *,
              goal_paths: int = BOOK_GOAL_PATHS, chunk_size: int = CHUNK_SIZE,
              as_of: date | None = None, workers: int = 1) -> BookRun:
    """Record a new running book run of the firm (one at a time per firm); ``workers > 1``
    evaluates its chunks in that many worker processes (the command line's ``--workers``).

    Raises
    ------
    ConflictError
        Another run of the firm is still running (a run older than :data:`STALE_AFTER` is
        marked interrupted instead).
    """
    now = utcnow()
    for run in db.scalars(sa.select(BookRun).where(BookRun.firm_id == firm_id,
                                                   BookRun.status == RUNNING)):
        if now - run.started_at > STALE_AFTER or _process_gone(run.settings):
            run.status, run.finished_at = INTERRUPTED, now
            continue
        db.rollback()
        raise ConflictError(f"Book run {run.id} of your firm is still running "
                            f"({run.n_done} of {run.n_clients} clients done).", field="book_run",
                            value=run.id, fix="wait for it to finish (GET /api/v1/book/runs/"
                            f"{run.id})", retry_after=10)
    from tailorfolio.service._market_store import current_market_version

    mv = current_market_version(db, firm_id)
    run = BookRun(firm_id=firm_id, started_by=advisor_id, trigger=trigger, status=RUNNING,
                  market_version_id=None if mv is None else mv.id,
                  settings={"goal_paths": int(goal_paths), "chunk_size": int(chunk_size),
                            "workers": int(workers), "host": socket.gethostname(),
                            "pid": os.getpid(),
                            "as_of": (as_of or now.date()).isoformat(),
                            "market_version": None if mv is None else mv.version},
                  n_clients=int(db.scalar(sa.select(sa.func.count(Client.id))
                                          .where(Client.firm_id == firm_id,
                                                 Client.deleted_at.is_(None))) or 0))
    db.add(run)
    db.flush()
    if advisor_id is not None:
        db.add(AuditEntry(firm_id=firm_id, advisor_id=advisor_id, action="start",
                          entity="book_run", entity_id=run.id,
                          detail={"trigger": trigger, **run.settings}))
    db.commit()
    return run


def _process_gone(settings: dict[str, Any]) -> bool:
    """True when the run's process (it runs where it was started) no longer exists on this
    host: it was killed, so the run is interrupted and another may start."""
    if settings.get("host") != socket.gethostname() or not settings.get("pid"):
        return False
    try:
        os.kill(int(settings["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _previous(db: Session, client_ids: list[int]) -> dict[int, dict[str, float]]:
    """Each client's goal probabilities in its newest book result or full plan."""
    out: dict[int, dict[str, float]] = {}
    stamp: dict[int, Any] = {}
    last = sa.select(sa.func.max(BookResult.id)).where(
        BookResult.client_id.in_(client_ids)).group_by(BookResult.client_id)
    for row in db.scalars(sa.select(BookResult).where(BookResult.id.in_(last))):
        out[row.client_id] = {g["name"]: g["probability"] for g in row.detail.get("goals", [])}
        stamp[row.client_id] = row.created_at
    last_plan = sa.select(sa.func.max(PlanRecord.id)).where(
        PlanRecord.client_id.in_(client_ids)).group_by(PlanRecord.client_id)
    for pid, cid, created in db.execute(sa.select(PlanRecord.id, PlanRecord.client_id,
                                                  PlanRecord.created_at)
                                        .where(PlanRecord.id.in_(last_plan))).all():
        if cid in stamp and stamp[cid] >= created:
            continue
        report = db.scalar(sa.select(PlanRecord.report).where(PlanRecord.id == pid)) or {}
        outcomes = ((report.get("plan") or {}).get("goals") or {}).get("outcomes") or []
        if outcomes:
            out[cid] = {o["name"]: float(o["probability"]) for o in outcomes}
    return out


def read_inputs(db: Session, client_ids: list[int]) -> list[ClientInput]:
    """The stored profile (newest version) and holdings of each client, as plan inputs."""
    newest = sa.select(ProfileVersion.client_id, sa.func.max(ProfileVersion.version)
                       .label("v")).where(ProfileVersion.client_id.in_(client_ids)).group_by(
        ProfileVersion.client_id).subquery()
    versions = {pv.client_id: pv for pv in db.scalars(
        sa.select(ProfileVersion).join(newest, sa.and_(
            ProfileVersion.client_id == newest.c.client_id,
            ProfileVersion.version == newest.c.v)))}
    accounts: dict[int, list[Account]] = {}
    for acct in db.scalars(sa.select(Account).where(Account.client_id.in_(client_ids))
                           .order_by(Account.id)):
        accounts.setdefault(acct.client_id, []).append(acct)
    previous = _previous(db, client_ids)
    out = []
    for cid in client_ids:
        pv = versions.get(cid)
        if pv is None:
            continue
        data = dict(pv.data)
        data["accounts"] = accounts_data(accounts.get(cid, []))
        out.append(ClientInput(cid, pv.version, data, previous.get(cid, {})))
    return out


def store_outcomes(db: Session, run: BookRun, outcomes: list[ClientOutcome]) -> None:
    """Write a chunk's results and alerts, supersede the clients' older open alerts and count
    the chunk in the run — all in the caller's one transaction."""
    ids = [o.client_id for o in outcomes]
    if ids:
        db.execute(sa.update(Alert).where(Alert.client_id.in_(ids), Alert.status == OPEN)
                   .values(status=SUPERSEDED, resolved_at=utcnow(),
                           resolution=f"superseded by book run {run.id}"))
    for o in outcomes:
        row = BookResult(run_id=run.id, firm_id=run.firm_id, client_id=o.client_id,
                         profile_version=o.profile_version,
                         market_version_id=run.market_version_id, status=o.status,
                         message=o.message, aum=o.aum, risk_level=o.risk_level, drift=o.drift,
                         harvestable_loss=o.harvestable_loss, worst_goal_gap=o.worst_goal_gap,
                         n_alerts=len(o.alerts), detail=o.detail)
        db.add(row)
        db.flush()
        for a in o.alerts:
            db.add(Alert(firm_id=run.firm_id, client_id=o.client_id, result_id=row.id,
                         kind=a.kind, status=OPEN, message=a.message[:500], detail=a.detail,
                         resolution=""))
    failed = sum(o.status != "ok" for o in outcomes)
    db.execute(sa.update(BookRun).where(BookRun.id == run.id).values(
        n_done=BookRun.n_done + len(outcomes), n_failed=BookRun.n_failed + failed))


def execute_run(sessions: sessionmaker[Session], run_id: int,
                read_sessions: sessionmaker[Session] | None = None) -> BookRun:
    """Re-plan every client of the run's firm (see the module docstring); returns the
    finished run. Never raises for one client's problem; a failure of the run itself (the
    market cannot be built, the database is gone) marks it ``failed`` with the error."""
    from tailorfolio.service._market_store import market_for_spec, market_spec_of
    from tailorfolio.service._models import MarketVersion

    read = read_sessions or sessions
    t0 = time.monotonic()
    timings = {"market_s": 0.0, "read_s": 0.0, "compute_s": 0.0, "write_s": 0.0}
    base_settings: dict[str, Any] = {}
    try:
        with read() as db:
            run = db.get(BookRun, run_id)
            assert run is not None, f"no book run {run_id}"
            spec = None
            if run.market_version_id is not None:
                mv = db.get(MarketVersion, run.market_version_id)
                spec = market_spec_of(mv)
            ids = list(db.scalars(sa.select(Client.id).where(Client.firm_id == run.firm_id,
                                                             Client.deleted_at.is_(None))
                                  .order_by(Client.id)))
            db.commit()
        settings = base_settings = dict(run.settings)
        as_of = date.fromisoformat(settings["as_of"])
        chunk, paths = int(settings["chunk_size"]), int(settings["goal_paths"])
        chunks = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
        workers = int(settings.get("workers", 1))

        def read_chunk(part: list[int]) -> list[ClientInput]:
            t = time.monotonic()
            with read() as db:
                inputs = read_inputs(db, part)
                db.commit()
            timings["read_s"] += time.monotonic() - t
            return inputs

        def store(outcomes: list[ClientOutcome]) -> None:
            t = time.monotonic()
            with sessions() as db:
                store_outcomes(db, run, outcomes)
                db.commit()
            timings["write_s"] += time.monotonic() - t

        if workers > 1 and len(chunks) > 1:
            t = time.monotonic()
            _evaluate_in_processes(chunks, read_chunk, store, spec, as_of, paths, workers)
            timings["compute_s"] = time.monotonic() - t - timings["read_s"] - timings["write_s"]
        else:
            bm = book_market(market_for_spec(spec), paths)
            timings["market_s"] = time.monotonic() - t0
            for part in chunks:
                inputs = read_chunk(part)
                t = time.monotonic()
                outcomes = evaluate_chunk(inputs, bm, as_of, paths)
                timings["compute_s"] += time.monotonic() - t
                store(outcomes)
        status, error = DONE, None
    except Exception as exc:  # the run as a whole failed: say so on the run
        log.exception("book run %s failed", run_id)
        status = FAILED
        error = exc.to_dict() if isinstance(exc, TailorfolioError) else {
            "error": "InternalError", "message": "The book run failed unexpectedly; the "
            "server logged the error.", "field": None, "value": None, "expected": None,
            "fix": "try again; if it persists, report it to the operator"}
    timings["total_s"] = time.monotonic() - t0
    with sessions() as db:
        db.execute(sa.update(BookRun).where(BookRun.id == run_id).values(
            status=status, error=error, finished_at=utcnow(),
            settings={**base_settings, "timings": {k: round(v, 3) for k, v in timings.items()}}))
        db.commit()
        return db.get(BookRun, run_id)


_WORKER_MARKET: BookMarket | None = None


def _worker_init(spec: dict[str, Any] | None, paths: int) -> None:  # pragma: no cover
    """In a worker process: build the run's market once."""
    from tailorfolio.service._market_store import market_for_spec

    global _WORKER_MARKET
    _WORKER_MARKET = book_market(market_for_spec(spec), paths)


def _worker_evaluate(inputs: list[ClientInput], as_of: date, paths: int
                     ) -> list[ClientOutcome]:  # pragma: no cover - runs in the worker
    assert _WORKER_MARKET is not None
    return evaluate_chunk(inputs, _WORKER_MARKET, as_of, paths)


def _evaluate_in_processes(chunks: list[list[int]], read_chunk: Any, store: Any,
                           spec: dict[str, Any] | None, as_of: date, paths: int,
                           workers: int) -> None:
    """Evaluate the chunks in ``workers`` spawned processes (each builds the market once);
    the parent reads each chunk's inputs and stores each chunk's outcomes in one transaction
    as it finishes (in any order: every chunk is whole on its own)."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    queue = iter(chunks)
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                             initializer=_worker_init, initargs=(spec, paths)) as pool:
        pending = set()

        def submit_next() -> None:
            part = next(queue, None)
            if part is not None:
                pending.add(pool.submit(_worker_evaluate, read_chunk(part), as_of, paths))

        for _ in range(2 * workers):
            submit_next()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                pending.discard(fut)
                store(fut.result())
                submit_next()


def start_in_background(sessions: sessionmaker[Session], read_sessions: sessionmaker[Session],
                        me: Advisor, trigger: str, *, goal_paths: int = BOOK_GOAL_PATHS,
                        as_of: date | None = None) -> BookRun:
    """Start a book run of the advisor's firm in a background thread (the button and API)."""
    _firm_admin(me)
    with sessions() as db:
        run = start_run(db, me.firm_id, me.id, trigger, goal_paths=goal_paths, as_of=as_of)
    threading.Thread(target=execute_run, args=(sessions, run.id, read_sessions), daemon=True,
                     name=f"tailorfolio-book-{run.id}").start()
    return run


def recover_runs(sessions: sessionmaker[Session]) -> int:
    """Mark runs the server started (button/API) and left running as interrupted (at
    start-up: their thread died with the previous process; their stored results are whole)."""
    with sessions() as db:
        n = db.execute(sa.update(BookRun).where(BookRun.status == RUNNING,
                                                BookRun.trigger.in_(("button", "api")))
                       .values(status=INTERRUPTED, finished_at=utcnow())).rowcount
        db.commit()
        return int(n or 0)


def get_run(db: Session, me: Advisor, run_id: int) -> BookRun:
    from tailorfolio.service._errors import NotFoundError

    run = db.scalar(sa.select(BookRun).where(BookRun.id == run_id,
                                             BookRun.firm_id == me.firm_id))
    if run is None or not me.is_admin:  # runs cover the whole firm: an admin's matter
        raise NotFoundError(f"No book run {run_id} in your firm.", field="run_id", value=run_id,
                            fix="list the runs (GET /api/v1/book/runs)")
    return run


def list_runs(db: Session, me: Advisor, limit: int = 20) -> list[BookRun]:
    """The firm's newest book runs (firm admins; other advisors see none)."""
    if not me.is_admin:
        return []
    return list(db.scalars(sa.select(BookRun).where(BookRun.firm_id == me.firm_id)
                           .order_by(BookRun.id.desc()).limit(limit)))
