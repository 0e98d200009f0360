"""Practice operations in the browser: advisors (firm admins add, deactivate, reactivate and
issue reset links), the advisor's API keys (create — shown once —, list, revoke), the audit log
(filterable), and the password-reset pages (``/reset``) for advisors and client users.

The rules are the API's (:mod:`tailorfolio.service._logic`): a firm admin manages the whole
firm and reads its whole audit log; other advisors see their own keys and actions.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tailorfolio.errors import TailorfolioError
from tailorfolio.service import _logic as L
from tailorfolio.service import _reset
from tailorfolio.service import _schemas as s
from tailorfolio.service import _ui
from tailorfolio.service._errors import PermissionDeniedError, http_status
from tailorfolio.service._models import Advisor, AuditEntry
from tailorfolio.service._ui import Id

router = APIRouter(include_in_schema=False, dependencies=[Depends(_ui._open_db)])
AUDIT_PAGE = 50
RESET_SENT = ("If this e-mail address has an account, a password-reset link valid for "
              f"{_reset.RESET_MINUTES} minutes was sent to the firm's operator (this server "
              "sends no e-mail; see the README, 'Password resets').")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ------------------------------------------------------------------ advisors

def _advisors_page(request: Request, status: int = 200, **extra: Any) -> Response:
    me = _ui._me(request)
    rows, total = L.list_advisors(request.state.db, me, 200, 0)
    ctx: dict[str, Any] = dict(me=me, advisors=rows, total=total, errors={}, values={},
                               notice=None, reset_link=None)
    ctx.update(extra)
    return _ui.render(request, "advisors.html.j2", status=status, **ctx)


@router.get("/advisors", response_class=HTMLResponse)
def advisors_page(request: Request) -> Response:
    return _advisors_page(request)


@router.post("/advisors", response_class=HTMLResponse)
async def add_advisor(request: Request) -> Response:
    form = await _ui._form(request)
    me = _ui._me(request)
    values = {k: str(form.get(k) or "") for k in ("name", "email")}
    try:
        body = s.AdvisorCreate(name=values["name"], email=values["email"],
                               password=str(form.get("password") or ""),
                               is_admin=form.get("is_admin") == "1")
    except ValueError as exc:
        errors = {str(e["loc"][0]): e["msg"].removeprefix("Value error, ")
                  for e in exc.errors()}
        return _advisors_page(request, 422, errors=errors, values=values)
    try:
        L.create_advisor(request.state.db, me, body)
    except TailorfolioError as exc:
        return _advisors_page(request, http_status(exc), values=values,
                              errors={"email" if exc.field == "email" else "name": exc.message})
    return _advisors_page(request, notice=f"If {body.email} was not in use elsewhere, "
                          f"{body.name} is now an advisor of your firm.")


@router.post("/advisors/{advisor_id}/active", response_class=HTMLResponse)
async def set_advisor_active(request: Request, advisor_id: Id) -> Response:
    """Deactivate (sessions end, API keys are revoked, sign-in refused) or reactivate."""
    form = await _ui._form(request)
    me = _ui._me(request)
    active = form.get("active") == "1"
    try:
        L.update_advisor(request.state.db, me, advisor_id, s.AdvisorUpdate(is_active=active))
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        return _advisors_page(request, http_status(exc), errors={"advisors": exc.message})
    return _redirect("/advisors")


@router.post("/advisors/{advisor_id}/reset-link", response_class=HTMLResponse)
async def advisor_reset_link(request: Request, advisor_id: Id) -> Response:
    """A firm admin makes a reset link for an advisor of the firm (shown once, to them)."""
    await _ui._form(request)
    me = _ui._me(request)
    db = request.state.db
    if not me.is_admin:
        raise PermissionDeniedError("Only a firm admin can make reset links for advisors.",
                                    field="is_admin", value=False, fix="ask your firm's admin")
    adv = db.scalar(sa.select(Advisor).where(Advisor.id == advisor_id,
                                             Advisor.firm_id == me.firm_id,
                                             Advisor.is_active.is_(True)))
    if adv is None:
        from tailorfolio.service._errors import NotFoundError

        raise NotFoundError(f"No active advisor {advisor_id} in your firm.",
                            field="advisor_id", value=advisor_id)
    token = _reset.issue(db, adv, by=me)
    return _advisors_page(request, reset_link=(adv.email, f"/reset/{token}"))


# ------------------------------------------------------------------ API keys

def _keys_page(request: Request, status: int = 200, **extra: Any) -> Response:
    me = _ui._me(request)
    rows, total = L.list_api_keys(request.state.db, me, 200, 0)
    ctx: dict[str, Any] = dict(me=me, keys=rows, total=total, errors={}, values={},
                               new_key=None)
    ctx.update(extra)
    return _ui.render(request, "api_keys.html.j2", status=status, **ctx)


@router.get("/api-keys", response_class=HTMLResponse)
def api_keys_page(request: Request) -> Response:
    return _keys_page(request)


@router.post("/api-keys", response_class=HTMLResponse)
async def create_api_key(request: Request) -> Response:
    form = await _ui._form(request)
    me = _ui._me(request)
    name = str(form.get("key_name") or "").strip()
    try:
        body = s.ApiKeyCreate(name=name)
    except ValueError:
        return _keys_page(request, 422, errors={"key_name": "Name the key (1 to 80 "
                                                "characters), e.g. the program that uses it."},
                          values={"key_name": name})
    row, key = L.create_api_key(request.state.db, me, body)
    return _keys_page(request, 201, new_key=(row, key))


@router.post("/api-keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_api_key(request: Request, key_id: Id) -> Response:
    await _ui._form(request)
    me = _ui._me(request)
    L.revoke_api_key(request.state.db, me, key_id)
    return _redirect("/api-keys")


# ------------------------------------------------------------------ audit log

def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, action: str = "", entity: str = "", advisor: str = "",
               since: str = "", until: str = "", offset: int = 0) -> Response:
    """The audit log, newest first: the whole firm's for a firm admin, else one's own
    actions (as ``GET /api/v1/audit``), filtered by action, entity, advisor and dates."""
    me = _ui._me(request)
    db = request.state.db
    stmt = sa.select(AuditEntry).where(AuditEntry.firm_id == me.firm_id)
    if not me.is_admin:
        stmt = stmt.where(AuditEntry.advisor_id == me.id)
    filters = {"action": action[:40], "entity": entity[:40], "advisor": advisor[:12],
               "since": since[:10], "until": until[:10]}
    if filters["action"]:
        stmt = stmt.where(AuditEntry.action == filters["action"])
    if filters["entity"]:
        stmt = stmt.where(AuditEntry.entity == filters["entity"])
    if filters["advisor"].isdigit():
        stmt = stmt.where(AuditEntry.advisor_id == int(filters["advisor"]))
    start, end = _day(filters["since"]), _day(filters["until"])
    if start:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(start, time(), timezone.utc))
    if end:
        stmt = stmt.where(AuditEntry.at < datetime.combine(end + timedelta(days=1), time(),
                                                           timezone.utc))
    offset = max(0, min(offset, 10_000_000))
    rows, total = L.page(db, stmt.order_by(AuditEntry.id.desc()), AUDIT_PAGE, offset)
    scope = sa.select(AuditEntry).where(AuditEntry.firm_id == me.firm_id)
    if not me.is_admin:
        scope = scope.where(AuditEntry.advisor_id == me.id)
    sub = scope.subquery()
    actions = sorted(db.scalars(sa.select(sub.c.action).distinct()))
    entities = sorted(db.scalars(sa.select(sub.c.entity).distinct()))
    advisors = {a.id: a.name for a in L.list_advisors(db, me, 500, 0)[0]}
    return _ui.render(request, "audit.html.j2", me=me, entries=rows, total=total,
                      offset=offset, page_size=AUDIT_PAGE, filters=filters, actions=actions,
                      entities=entities, advisors=advisors)


# ------------------------------------------------------------------ password reset

@router.get("/reset", response_class=HTMLResponse)
def reset_request_page(request: Request) -> Response:
    return _ui.render(request, "reset_request.html.j2", me=None, errors={}, values={},
                      notice=None, link=None)


@router.post("/reset", response_class=HTMLResponse)
async def reset_request(request: Request) -> Response:
    form = await _ui._form(request)
    email = str(form.get("email") or "").strip()[:254]
    if "@" not in email:
        return _ui.render(request, "reset_request.html.j2", status=422, me=None,
                          errors={"email": "Enter the e-mail address you sign in with."},
                          values={"email": email}, notice=None, link=None)
    token = _reset.request_reset(request.state.db, email)
    link = f"/reset/{token}" if token and _reset.delivery() == "show" else None
    return _ui.render(request, "reset_request.html.j2", me=None, errors={}, values={},
                      notice=RESET_SENT, link=link)


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, token: str) -> Response:
    try:
        person = _reset.check_token(request.state.db, token[:200])
    except TailorfolioError as exc:
        return _ui.render(request, "reset_password.html.j2", status=http_status(exc), me=None,
                          token=None, email=None, errors={"token": exc.message})
    return _ui.render(request, "reset_password.html.j2", me=None, token=token,
                      email=person.email, errors={})


@router.post("/reset/{token}", response_class=HTMLResponse)
async def reset_password(request: Request, token: str) -> Response:
    form = await _ui._form(request)
    password = str(form.get("password") or "")
    again = str(form.get("password_again") or "")
    db = request.state.db
    try:
        person = _reset.check_token(db, token[:200])
    except TailorfolioError as exc:
        return _ui.render(request, "reset_password.html.j2", status=http_status(exc), me=None,
                          token=None, email=None, errors={"token": exc.message})
    if password != again:
        return _ui.render(request, "reset_password.html.j2", status=422, me=None, token=token,
                          email=person.email,
                          errors={"password_again": "The two passwords differ."})
    try:
        person = _reset.reset_password(db, token[:200], password)
    except TailorfolioError as exc:
        key = "password" if exc.field == "password" else "token"
        return _ui.render(request, "reset_password.html.j2", status=http_status(exc), me=None,
                          token=token if key == "password" else None, email=person.email,
                          errors={key: exc.message})
    return _ui.render(request, "reset_password.html.j2", me=None, token=None,
                      email=person.email, errors={}, done=True,
                      signin="/signin" if isinstance(person, Advisor) else "/portal/signin")
