"""Browser pages of market data, the book dashboard and alerts (same logic as the API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from tailorfolio.errors import TailorfolioError
from tailorfolio.service import _alerts as A
from tailorfolio.service import _book as B
from tailorfolio.service import _book_view as V
from tailorfolio.service import _market_store as M
from tailorfolio.service import _security as sec
from tailorfolio.service._deps import CSRF_COOKIE, SESSION_COOKIE
from tailorfolio.service._errors import CsrfError, http_status
from tailorfolio.service._ui import Id, _form, _me, _open_db, _redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(_open_db)])

UPLOAD_FIELDS = ("prices", "universe", "assumptions")


def _upload_field(exc: TailorfolioError) -> str:
    """The form input an upload error belongs to (its field starts with the file's name)."""
    head = (exc.field or "prices").split(".")[0].split(" ")[0]
    return head if head in UPLOAD_FIELDS else "prices"


async def _upload_form(request: Request) -> FormData:
    """The market upload form (up to three files), CSRF-checked like every form."""
    form = await request.form(max_files=len(UPLOAD_FIELDS), max_fields=20,
                              max_part_size=request.app.state.settings.max_upload_bytes)
    submitted = form.get("csrf_token")
    if not sec.csrf_valid(request.app.state.settings.secret_key,
                          request.cookies.get(CSRF_COOKIE),
                          submitted if isinstance(submitted, str) else None,
                          request.cookies.get(SESSION_COOKIE)):
        raise CsrfError("The form's security token is missing or wrong.", field="csrf_token",
                        fix="reload the page and submit the form again")
    return form


def _market_page(request: Request, me: Any, status: int = 200, **extra: Any) -> Response:
    db = request.state.db
    versions, total = M.list_market_versions(db, me, 50, 0)
    ctx: dict[str, Any] = dict(me=me, versions=versions, total=total, errors={}, values={},
                               bundled=M.default_market().universe.tickers)
    ctx.update(extra)
    return render(request, "market.html.j2", status=status, **ctx)


@router.get("/market", response_class=HTMLResponse)
def market_page(request: Request, uploaded: int = 0) -> Response:
    return _market_page(request, _me(request), uploaded=uploaded)


@router.post("/market", response_class=HTMLResponse)
async def market_upload(request: Request) -> Response:
    form = await _upload_form(request)
    me = _me(request)
    limit = request.app.state.settings.max_upload_bytes
    files: dict[str, tuple[bytes, str] | None] = {}
    for name in UPLOAD_FIELDS:
        up = form.get(name)
        files[name] = (await up.read(limit + 1), up.filename or name) \
            if isinstance(up, UploadFile) and up.filename else None
    note = str(form.get("note") or "")[:200]
    if files["prices"] is None:
        return _market_page(request, me, 422, errors={"prices": "Choose a price file (CSV or "
                                                      "Parquet)."}, values={"note": note})
    try:
        row = M.create_market_version(request.state.db, me, files["prices"], files["universe"],
                                      files["assumptions"], note=note, max_bytes=limit)
    except TailorfolioError as exc:
        msg = exc.message + (f" (field {exc.field})" if exc.field else "")
        return _market_page(request, me, http_status(exc), errors={_upload_field(exc): msg},
                            values={"note": note})
    return _redirect(f"/market?uploaded={row.version}")


def _flag(value: str | None) -> bool:
    return value in ("1", "on", "true")


@router.get("/book", response_class=HTMLResponse)
def book_page(request: Request, sort: str = "name", order: str = "asc", q: str = "",
              risk_level: str = "", with_alerts: str = "", over_band: str = "",
              below_aim: str = "", offset: int = 0) -> Response:
    me = _me(request)
    db = request.state.db
    level = int(risk_level) if risk_level.isdigit() and 1 <= int(risk_level) <= 10 else None
    sort = sort if sort in V.SORT_KEYS else "name"
    order = order if order in ("asc", "desc") else "asc"
    offset = max(0, min(offset, 10_000_000))
    filters = V.BookFilter(q=q[:120] or None, risk_level=level, with_alerts=_flag(with_alerts),
                           over_band=_flag(over_band), below_aim=_flag(below_aim))
    rows, total = V.book_rows(db, me, sort=sort, order=order, filters=filters, limit=100,
                              offset=offset)
    runs = B.list_runs(db, me, 1)
    current = M.current_market_version(db, me.firm_id)
    params = {"q": q[:120], "risk_level": "" if level is None else str(level),
              "with_alerts": "1" if filters.with_alerts else "",
              "over_band": "1" if filters.over_band else "",
              "below_aim": "1" if filters.below_aim else ""}
    n_open = A.list_alerts(db, me, limit=1)[1]
    return render(request, "book.html.j2", me=me, rows=rows, total=total, sort=sort,
                  order=order, params=params, offset=offset, run=runs[0] if runs else None,
                  market=current, band=A.DRIFT_BAND, n_open=n_open, errors={},
                  goal_paths=B.BOOK_GOAL_PATHS)


@router.post("/book/replan", response_class=HTMLResponse)
async def book_replan(request: Request) -> Response:
    await _form(request)
    me = _me(request)
    state = request.app.state
    try:
        B.start_in_background(state.sessions, state.read_sessions, me, "button")
    except TailorfolioError as exc:
        return render(request, "error.html.j2", status=http_status(exc), error=exc, me=me)
    return _redirect("/book")


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, status: str = "open", kind: str = "", done: str = "",
                client: int = 0, offset: int = 0) -> Response:
    me = _me(request)
    status = status if status in ("open", "acted", "dismissed", "superseded") else "open"
    kind = kind if kind in A.KINDS else ""
    offset = max(0, min(offset, 10_000_000))
    client_id = client if 1 <= client <= 2_147_483_647 else None
    rows, total = A.list_alerts(request.state.db, me, status=status, kind=kind or None,
                                client_id=client_id, limit=100, offset=offset)
    return render(request, "alerts.html.j2", me=me, rows=rows, total=total,
                  alert_status=status, kind=kind, kinds=A.KINDS, done=done[:200], offset=offset, errors={})


@router.post("/alerts/{alert_id}/act", response_class=HTMLResponse)
async def alert_act(request: Request, alert_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    state = request.app.state
    action = str(form.get("action") or "")
    try:
        alert, job_id = A.act_on_alert(request.state.db, me, alert_id, action, state.jobs,
                                       goal_paths=state.settings.goal_paths)
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        return render(request, "error.html.j2", status=http_status(exc), error=exc, me=me)
    if job_id is not None:
        return _redirect(f"/clients/{alert.client_id}/jobs/{job_id}")
    return _redirect(f"/alerts?done=Alert+{alert.id}:+{alert.resolution.replace(' ', '+')}")


@router.post("/alerts/{alert_id}/dismiss", response_class=HTMLResponse)
async def alert_dismiss(request: Request, alert_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    reason = str(form.get("reason") or "")
    try:
        A.dismiss_alert(request.state.db, me, alert_id, reason)
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        rows, total = A.list_alerts(request.state.db, me, limit=100)
        return render(request, "alerts.html.j2", status=http_status(exc), me=me, rows=rows,
                      total=total, alert_status="open", kind="",
                      kinds=A.KINDS, done="", offset=0,
                      errors={f"reason{alert_id}": exc.message})
    return _redirect(f"/alerts?done=Alert+{alert_id}+dismissed")
