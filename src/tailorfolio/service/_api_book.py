"""REST routes of market data, the book and alerts (/api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile

from tailorfolio.service import _alerts as A
from tailorfolio.service import _book as B
from tailorfolio.service import _book_view as V
from tailorfolio.service import _market_store as M
from tailorfolio.service import _schemas as s
from tailorfolio.service import _schemas_book as sb
from tailorfolio.service._config import MAX_ID
from tailorfolio.service._deps import DB, Me, Pg

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ERRORS = {code: {"model": s.ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422, 429,
                                                     503)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


async def _read(upload: UploadFile | None, limit: int) -> tuple[bytes, str] | None:
    if upload is None or not upload.filename:
        return None
    return await upload.read(limit + 1), upload.filename


# ------------------------------------------------------------------ market data

@router.post("/market-versions", response_model=sb.MarketVersionRead, status_code=201,
             tags=["market data"])
async def upload_market(request: Request, me: Me, db: DB,
                        prices: UploadFile = File(description="Price history: CSV or Parquet, "
                                                  "wide (date + one column per ticker) or long "
                                                  "(date, ticker, price), as `--market`."),
                        universe: UploadFile | None = File(default=None, description="Optional "
                                                           "universe metadata, as `--universe`."),
                        assumptions: UploadFile | None = File(
                            default=None, description="Optional firm assumptions: ticker, "
                            "expected_return or geometric_return, volatility (annual decimals)."),
                        note: str = Form(default="", max_length=200)) -> Any:
    """Validate the files and store them as the firm's next (current) market version.

    Nothing is stored when any check fails; the error names the file and field (e.g.
    ``prices.VTI`` for a non-positive price, ``prices.date`` for a gap,
    ``universe.XYZ.asset_class`` for an unknown class).
    """
    limit = request.app.state.settings.max_upload_bytes
    px = await _read(prices, limit)
    if px is None:
        from tailorfolio.errors import DataError

        raise DataError("Choose a price file.", field="prices", fix="attach the prices file")
    return M.create_market_version(db, me, px, await _read(universe, limit),
                                   await _read(assumptions, limit), note=note, max_bytes=limit)


@router.get("/market-versions", response_model=s.Page[sb.MarketVersionRead],
            tags=["market data"])
def market_versions(me: Me, db: DB, pg: Pg) -> dict:
    """The firm's market versions, newest (current) first."""
    rows, total = M.list_market_versions(db, me, pg.limit, pg.offset)
    return {"items": [sb.MarketVersionRead.model_validate(r) for r in rows], "total": total,
            "limit": pg.limit, "offset": pg.offset}


@router.get("/market-versions/current", response_model=sb.MarketCurrent, tags=["market data"])
def market_current(me: Me, db: DB) -> sb.MarketCurrent:
    row = M.current_market_version(db, me.firm_id)
    if row is None:
        return sb.MarketCurrent(source="bundled")
    return sb.MarketCurrent(source="firm", market_version=sb.MarketVersionRead.model_validate(row))


# ------------------------------------------------------------------ the book

def book_row(r: dict[str, Any]) -> sb.BookRow:
    c, res = r["client"], r["result"]
    return sb.BookRow(
        client_id=c.id, name=c.name, advisor_id=c.advisor_id,
        status=None if res is None else res.status, message=None if res is None else res.message,
        aum=None if res is None else res.aum, risk_level=None if res is None else res.risk_level,
        drift=None if res is None else res.drift,
        drift_asset=None if res is None else res.detail.get("drift_asset"),
        harvestable_loss=None if res is None else res.harvestable_loss,
        worst_goal_gap=None if res is None else res.worst_goal_gap,
        goals=[sb.GoalRow(**{k: g[k] for k in ("name", "priority", "probability", "aim",
                                              "change")}) for g in r["goals"]],
        open_alerts=r["open_alerts"], replanned_at=None if res is None else res.created_at,
        run_id=None if res is None else res.run_id,
        market_version_id=None if res is None else res.market_version_id)


@router.get("/book", response_model=s.Page[sb.BookRow], tags=["book"])
def book(me: Me, db: DB, pg: Pg,
         sort: Annotated[str, Query(description=f"one of {list(V.SORT_KEYS)}")] = "name",
         order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
         q: Annotated[str | None, Query(max_length=120)] = None,
         risk_level: Annotated[int | None, Query(ge=1, le=10)] = None,
         advisor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
         with_alerts: bool = False, over_band: bool = False, below_aim: bool = False) -> dict:
    """Every client you may see with AUM, risk level, goal probabilities (and their change),
    drift, harvestable losses and open alerts from its newest book re-plan."""
    rows, total = V.book_rows(db, me, sort=sort, order=order, limit=pg.limit, offset=pg.offset,
                              filters=V.BookFilter(q=q, risk_level=risk_level,
                                                   advisor_id=advisor_id,
                                                   with_alerts=with_alerts,
                                                   over_band=over_band, below_aim=below_aim))
    return {"items": [book_row(r) for r in rows], "total": total, "limit": pg.limit,
            "offset": pg.offset}


@router.post("/book/runs", response_model=sb.BookRunRead, status_code=202, tags=["book"])
def start_book_run(body: sb.BookRunCreate, request: Request, response: Response,
                   me: Me) -> Any:
    """Re-plan every client of the firm through the fleet engine (firm admins; one run at a
    time). Poll ``GET /api/v1/book/runs/{id}`` (the ``Location``) until it is done."""
    state = request.app.state
    paths = B.BOOK_GOAL_PATHS if body.goal_paths is None else body.goal_paths
    run = B.start_in_background(state.sessions, state.read_sessions, me, "api",
                                goal_paths=paths, as_of=body.as_of)
    response.headers["Location"] = f"/api/v1/book/runs/{run.id}"
    return run


@router.get("/book/runs", response_model=list[sb.BookRunRead], tags=["book"])
def book_runs(me: Me, db: DB) -> Any:
    """The firm's 20 newest book runs."""
    return B.list_runs(db, me)


@router.get("/book/runs/{run_id}", response_model=sb.BookRunRead, tags=["book"])
def book_run(run_id: Id, me: Me, db: DB, response: Response) -> Any:
    run = B.get_run(db, me, run_id)
    if run.status == B.RUNNING:
        response.headers["Retry-After"] = "2"
    return run


# ------------------------------------------------------------------ alerts

def alert_read(alert: Any, name: str = "") -> sb.AlertRead:
    out = sb.AlertRead.model_validate(alert)
    out.client_name = name
    return out


@router.get("/alerts", response_model=s.Page[sb.AlertRead], tags=["alerts"])
def alerts(me: Me, db: DB, pg: Pg,
           status: Annotated[str | None, Query(pattern="^(open|acted|dismissed|superseded)$")]
           = "open",
           kind: Annotated[str | None, Query(pattern="^(drift|goal|harvest|wash_sale)$")] = None,
           client_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> dict:
    """Alerts of your clients' book results (open ones by default), newest first."""
    rows, total = A.list_alerts(db, me, status=status, kind=kind, client_id=client_id,
                                limit=pg.limit, offset=pg.offset)
    return {"items": [alert_read(a, n) for a, n in rows], "total": total, "limit": pg.limit,
            "offset": pg.offset}


@router.post("/alerts/{alert_id}/dismiss", response_model=sb.AlertRead, tags=["alerts"])
def dismiss(alert_id: Id, body: sb.AlertDismiss, me: Me, db: DB) -> sb.AlertRead:
    """Dismiss an open alert, saying why (recorded in the audit log with who and when)."""
    return alert_read(A.dismiss_alert(db, me, alert_id, body.reason))


@router.post("/alerts/{alert_id}/act", response_model=sb.AlertActed, tags=["alerts"])
def act(alert_id: Id, body: sb.AlertAct, request: Request, me: Me, db: DB) -> sb.AlertActed:
    """Act on an open alert: queue a full plan of the client, or queue the harvest trades."""
    state = request.app.state
    alert, job_id = A.act_on_alert(db, me, alert_id, body.action, state.jobs,
                                   goal_paths=state.settings.goal_paths)
    return sb.AlertActed(alert=alert_read(alert), job_id=job_id)
