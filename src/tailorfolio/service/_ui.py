"""The browser UI: server-rendered, accessible Jinja2 forms over the same logic as the API.

Sign-in sessions live in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS); every form post
carries a CSRF token, an HMAC of a per-browser nonce cookie under the instance secret.
Validation errors are shown next to the fields they concern.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from typing import Annotated

from fastapi import APIRouter, Depends, Path as PathParam, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from tailorfolio.errors import TailorfolioError
from tailorfolio.profile._enums import (
    AccountType,
    EmploymentStability,
    FilingStatus,
    GoalKind,
    GoalPriority,
)
from tailorfolio.profile._questionnaire import QUESTIONS
from tailorfolio.service import _logic as L
from tailorfolio.service import _schemas as s
from tailorfolio.service import _security as sec
from tailorfolio.service._deps import CSRF_COOKIE, SESSION_COOKIE, open_session
from tailorfolio.service._errors import (
    AuthenticationError,
    CsrfError,
    ServiceError,
    TooManyAttemptsError,
    http_status,
)
from tailorfolio.service._config import MAX_ID
from tailorfolio.service._models import Advisor

Id = Annotated[int, PathParam(ge=1, le=MAX_ID)]
"""Ids in page URLs: out of range (or not a number) is a 404 page, never an overflow."""

def _open_db(request: Request):
    """One database session per page request, closed afterwards."""
    request.state.db = open_session(request)
    try:
        yield
    finally:
        request.state.db.close()


router = APIRouter(include_in_schema=False, dependencies=[Depends(_open_db)])

CHOICES = {
    "employment_stability": [e.value for e in EmploymentStability],
    "filing_status": [e.value for e in FilingStatus],
    "goal_kind": [e.value for e in GoalKind],
    "goal_priority": [e.value for e in GoalPriority],
    "account_type": [e.value for e in AccountType],
}


class SignInRequired(Exception):
    """Raised by pages that need a signed-in advisor; answered with a redirect."""


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x, d=1: "–" if x is None else f"{100 * float(x):.{d}f} %"
    env.filters["money"] = lambda x: "–" if x is None else f"{float(x):,.0f}"
    return env


def _secure(request: Request) -> bool:
    mode = request.app.state.settings.cookie_secure
    return mode == "true" or (mode == "auto" and request.url.scheme == "https")


def _nonce(request: Request) -> tuple[str, bool]:
    nonce = request.cookies.get(CSRF_COOKIE)
    if nonce and re.fullmatch(r"[A-Za-z0-9_\-]{20,100}", nonce):
        return nonce, False
    return sec.new_token(), True


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page with the CSRF token; sets the nonce cookie on first visit."""
    nonce, fresh = _nonce(request)
    html = _env().get_template(template).render(
        request=request, csrf=sec.csrf_token(request.app.state.settings.secret_key, nonce,
                                             request.cookies.get(SESSION_COOKIE)),
        questions=QUESTIONS, choices=CHOICES, **ctx)
    resp = HTMLResponse(html, status_code=status)
    if fresh:
        resp.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=_secure(request), path="/")
    return resp


def error_page(request: Request, exc: TailorfolioError) -> HTMLResponse:
    return render(request, "error.html.j2", status=http_status(exc), error=exc, me=None)


async def _form(request: Request) -> FormData:
    form = await request.form(max_files=1, max_fields=200,
                              max_part_size=request.app.state.settings.max_upload_bytes)
    nonce = request.cookies.get(CSRF_COOKIE)
    submitted = form.get("csrf_token")
    if not sec.csrf_valid(request.app.state.settings.secret_key, nonce,
                          submitted if isinstance(submitted, str) else None,
                          request.cookies.get(SESSION_COOKIE)):
        raise CsrfError("The form's security token is missing or wrong.", field="csrf_token",
                        fix="reload the page and submit the form again")
    return form


def _me(request: Request) -> Advisor:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired()
    db = request.state.db
    adv = L.advisor_for_token(db, token, ("session",))
    db.commit()  # end the look-up's transaction before the page's own work
    if adv is None:
        raise SignInRequired()
    return adv


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ------------------------------------------------------------------ pages

@router.get("/assets/plotly.min.js")
def plotly_bundle() -> Response:
    """plotly.js from the installed plotly package (no CDN)."""
    from tailorfolio.report import plotly_js

    return Response(plotly_js(), media_type="application/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return _redirect("/clients")


SIGNED_UP = ("If this e-mail address was not registered yet, your firm's account now exists: "
             "sign in with it.")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, welcome: int = 0) -> Response:
    return render(request, "signin.html.j2", me=None, errors={}, values={},
                  notice=SIGNED_UP if welcome else None)


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    form = await _form(request)
    db = request.state.db
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    address = request.client.host if request.client else "unknown"
    try:
        adv = L.authenticate(db, email, password, address)
    except (AuthenticationError, TooManyAttemptsError) as exc:
        field = exc.field if exc.field in ("email", "password") else "password"
        resp = render(request, "signin.html.j2", status=http_status(exc), me=None,
                      errors={field: exc.message}, values={"email": email})
        resp.headers.update(exc.headers())
        return resp
    settings = request.app.state.settings
    token, _ = L.issue_token(db, adv, "session", settings.session_minutes)
    resp = _redirect("/clients")
    resp.set_cookie(SESSION_COOKIE, token, max_age=settings.session_minutes * 60, httponly=True,
                    samesite="lax", secure=_secure(request), path="/")
    # a fresh CSRF nonce for the new session (forms are bound to nonce and session)
    resp.set_cookie(CSRF_COOKIE, sec.new_token(), httponly=True, samesite="strict",
                    secure=_secure(request), path="/")
    return resp


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request) -> Response:
    return render(request, "signup.html.j2", me=None, errors={}, values={})


@router.post("/signup", response_class=HTMLResponse)
async def signup(request: Request) -> Response:
    form = await _form(request)
    values = {k: str(form.get(k) or "") for k in ("firm_name", "name", "email", "password")}
    errors: dict[str, str] = {}
    if not request.app.state.settings.allow_signup:
        errors["firm_name"] = "Sign-up is disabled on this server."
    try:
        body = s.SignupCreate(**values)
    except Exception as exc:  # pydantic ValidationError: message next to each field
        for e in getattr(exc, "errors", lambda: [])():
            errors.setdefault(str(e["loc"][0]), e["msg"])
    if errors:
        values.pop("password")
        return render(request, "signup.html.j2", status=422, me=None, errors=errors,
                      values=values)
    try:
        L.throttle_signup(request.state.db, request.client.host if request.client else "")
    except TooManyAttemptsError as exc:
        values.pop("password")
        resp = render(request, "signup.html.j2", status=429, me=None,
                      errors={"email": exc.message}, values=values)
        resp.headers.update(exc.headers())
        return resp
    L.signup(request.state.db, body)  # the same answer whether or not the e-mail was taken
    return _redirect("/signin?welcome=1")


@router.post("/signout")
async def signout(request: Request) -> Response:
    await _form(request)
    me = _me(request)
    L.revoke_token(request.state.db, me, request.cookies.get(SESSION_COOKIE, ""))
    resp = _redirect("/signin")
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/clients", response_class=HTMLResponse)
def clients_page(request: Request, offset: int = 0, q: str = "") -> Response:
    me = _me(request)
    offset = max(0, min(offset, 10_000_000))
    rows, total = L.list_clients(request.state.db, me, 50, offset, q[:120] or None)
    return render(request, "clients.html.j2", me=me, clients=rows, total=total, offset=offset,
                  q=q[:120])


def _client_page(request: Request, me: Advisor, client_id: int, status: int = 200,
                 **extra: Any) -> Response:
    db = request.state.db
    client = L.get_client(db, me, client_id)
    profile = L.latest_profile(db, client)
    accounts, _ = L.list_accounts(db, me, client_id, 200, 0)
    plans, total = L.list_plans(db, me, client_id, 50, 0)
    ctx = dict(me=me, client=client, profile=profile, accounts=accounts, plans=plans,
               plan_total=total, errors={}, values={}, today=date.today().isoformat())
    ctx.update(extra)
    return render(request, "client.html.j2", status=status, **ctx)


@router.get("/clients/{client_id}", response_class=HTMLResponse)
def client_page(request: Request, client_id: Id) -> Response:
    return _client_page(request, _me(request), _id(client_id))


def _id(value: int) -> int:
    from tailorfolio.service._errors import NotFoundError

    if not 1 <= value <= 2_147_483_647:
        raise NotFoundError(f"No record {value}.", field="id", value=value)
    return value


@router.post("/clients/{client_id}/accounts", response_class=HTMLResponse)
async def add_account(request: Request, client_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = s.AccountCreate(name=str(form.get("account_name") or ""),
                               type=str(form.get("account_type") or ""),
                               cash=form.get("account_cash") or 0,
                               annual_contribution=form.get("account_annual_contribution") or 0)
        L.create_account(request.state.db, me, _id(client_id), body)
    except TailorfolioError as exc:
        return _client_page(request, me, client_id, http_status(exc), values=values,
                            errors={"account_" + (exc.field or "name"): exc.message})
    except ValueError as exc:  # pydantic
        errs = {f"account_{e['loc'][0]}": e["msg"] for e in exc.errors()}
        return _client_page(request, me, client_id, 422, values=values, errors=errs)
    return _redirect(f"/clients/{client_id}#accounts")


@router.post("/clients/{client_id}/accounts/{account_id}/lots", response_class=HTMLResponse)
async def add_lot(request: Request, client_id: Id, account_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    prefix = f"lot{account_id}_"
    try:
        body = s.LotCreate(asset=str(form.get("asset") or ""), quantity=form.get("quantity"),
                           cost_basis_per_share=form.get("cost_basis_per_share"),
                           acquired=form.get("acquired"))
        L.add_lot(request.state.db, me, _id(client_id), _id(account_id), body)
    except TailorfolioError as exc:
        return _client_page(request, me, client_id, http_status(exc), values=values,
                            errors={prefix + (exc.field or "asset"): exc.message})
    except ValueError as exc:
        errs = {prefix + str(e["loc"][0]): e["msg"] for e in exc.errors()}
        return _client_page(request, me, client_id, 422, values=values, errors=errs)
    return _redirect(f"/clients/{client_id}#account-{account_id}")


@router.post("/clients/{client_id}/accounts/{account_id}/upload", response_class=HTMLResponse)
async def upload_lots(request: Request, client_id: Id, account_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    upload = form.get("file")
    limit = request.app.state.settings.max_upload_bytes
    raw = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
    try:
        L.upload_lots(request.state.db, me, _id(client_id), _id(account_id), raw, limit)
    except TailorfolioError as exc:
        return _client_page(request, me, client_id, http_status(exc),
                            errors={f"upload{account_id}": exc.message})
    return _redirect(f"/clients/{client_id}#account-{account_id}")


@router.post("/clients/{client_id}/plans", response_class=HTMLResponse)
async def run_plan(request: Request, client_id: Id) -> Response:
    await _form(request)
    me = _me(request)
    state = request.app.state
    try:
        job = L.submit_plan(request.state.db, me, client_id, s.PlanCreate(), state.jobs,
                            goal_paths=state.settings.goal_paths)
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        resp = _client_page(request, me, client_id, http_status(exc),
                            errors={"plan": str(exc)})
        if isinstance(exc, ServiceError):
            resp.headers.update(exc.headers())
        return resp
    return _redirect(f"/clients/{client_id}/jobs/{job.id}")


@router.get("/clients/{client_id}/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, client_id: Id, job_id: Id) -> Response:
    """A plan job: refreshes itself while it runs, opens the plan when it is done."""
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    job = L.get_job(db, me, job_id)
    if job.client_id != client.id:
        from tailorfolio.service._errors import NotFoundError

        raise NotFoundError(f"Client {client_id} has no plan job {job_id}.", field="job_id",
                            value=job_id)
    if job.status == "done":
        return _redirect(f"/clients/{client_id}/plans/{job.plan_id}")
    view = L.job_read(job, request.app.state.jobs)
    error = view.error or {}
    return render(request, "job.html.j2", me=me, client=client, job=view,
                  progress=view.progress, stage=view.stage,
                  error=type("E", (), {"message": error.get("message"),
                                       "field": error.get("field"), "fix": error.get("fix")}))


@router.get("/clients/{client_id}/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, client_id: Id, plan_id: Id) -> Response:
    from tailorfolio.report import render_report_body

    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, _id(client_id))
    row = L.get_plan(db, me, client_id, _id(plan_id))
    return render(request, "plan.html.j2", me=me, client=client, plan=row,
                  body=render_report_body(row.report))


@router.get("/clients/{client_id}/plans/{plan_id}/report.html")
def plan_download(request: Request, client_id: Id, plan_id: Id) -> Response:
    from tailorfolio.report import render_report

    me = _me(request)
    row = L.get_plan(request.state.db, me, _id(client_id), _id(plan_id))
    return HTMLResponse(render_report(row.report), headers={
        "Content-Disposition": f'attachment; filename="plan-{client_id}-{plan_id}.html"'})
