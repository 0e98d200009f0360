"""Pages of the client portal (``/portal``), the advisor's page to grant portal access, and the
client-ready documents of a plan (PDF report, investment-policy summary as HTML and PDF).

Portal pages read the ``tf_portal`` cookie only, and their forms carry a CSRF token bound to
it; advisor pages read ``tf_session`` only. A client user therefore never passes the advisor
pages' sign-in check, and the portal never takes a client id from the request: it shows the
signed-in user's own household (:mod:`tailorfolio.service._portal`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tailorfolio.errors import TailorfolioError
from tailorfolio.service import _logic as L
from tailorfolio.service import _portal as P
from tailorfolio.service import _security as sec
from tailorfolio.service import _ui
from tailorfolio.service._deps import CSRF_COOKIE
from tailorfolio.service._errors import (
    AuthenticationError,
    CsrfError,
    TooManyAttemptsError,
    http_status,
)
from tailorfolio.service._models import ClientUser, PlanRecord
from tailorfolio.service._ui import Id, SignInRequired

router = APIRouter(include_in_schema=False, dependencies=[Depends(_ui._open_db)])


class PortalSignInRequired(SignInRequired):
    """A portal page without a valid portal session: answered with the portal's sign-in."""

    url = "/portal/signin"


def render_portal(request: Request, template: str, status: int = 200, **ctx: Any
                  ) -> HTMLResponse:
    """A portal page; its CSRF token is bound to the portal session cookie."""
    nonce, fresh = _ui._nonce(request)
    html = _ui._env().get_template(template).render(
        request=request, csrf=sec.csrf_token(request.app.state.settings.secret_key, nonce,
                                             request.cookies.get(P.PORTAL_COOKIE)), **ctx)
    resp = HTMLResponse(html, status_code=status)
    if fresh:
        resp.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=_ui._secure(request), path="/")
    return resp


async def _portal_form(request: Request) -> Any:
    form = await request.form(max_files=0, max_fields=20)
    submitted = form.get("csrf_token")
    if not sec.csrf_valid(request.app.state.settings.secret_key,
                          request.cookies.get(CSRF_COOKIE),
                          submitted if isinstance(submitted, str) else None,
                          request.cookies.get(P.PORTAL_COOKIE)):
        raise CsrfError("The form's security token is missing or wrong.", field="csrf_token",
                        fix="reload the page and submit the form again")
    return form


def _user(request: Request) -> ClientUser:
    token = request.cookies.get(P.PORTAL_COOKIE)
    if not token:
        raise PortalSignInRequired()
    db: Session = request.state.db
    user = P.user_for_token(db, token)
    db.commit()
    if user is None:
        raise PortalSignInRequired()
    return user


# ------------------------------------------------------------------ documents of a plan

def documents(db: Session, row: PlanRecord, client_name: str) -> dict[str, Any]:
    """The investment-policy summary data of a stored plan (prepared by, signed by)."""
    from tailorfolio.report._ips import ips_data

    return ips_data(row.report, signers=(client_name,), **P.plan_people(db, row))


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def report_pdf(row: PlanRecord) -> bytes:
    from tailorfolio.report._pdf import report_pdf as _report_pdf

    return _report_pdf(row.report)


def ips_pdf(db: Session, row: PlanRecord, client_name: str) -> bytes:
    from tailorfolio.report._pdf import ips_pdf as _ips_pdf

    return _ips_pdf(documents(db, row, client_name))


def ips_html(db: Session, row: PlanRecord, client_name: str) -> str:
    from tailorfolio.report._ips import render_ips

    return render_ips(documents(db, row, client_name))


# ------------------------------------------------------------------ advisor: documents, access

@router.get("/clients/{client_id}/plans/{plan_id}/report.pdf")
def advisor_report_pdf(request: Request, client_id: Id, plan_id: Id) -> Response:
    me = _ui._me(request)
    row = L.get_plan(request.state.db, me, client_id, plan_id)
    return pdf_response(report_pdf(row), f"plan-{client_id}-{plan_id}.pdf")


@router.get("/clients/{client_id}/plans/{plan_id}/ips", response_class=HTMLResponse)
def advisor_ips(request: Request, client_id: Id, plan_id: Id) -> Response:
    me = _ui._me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    row = L.get_plan(db, me, client_id, plan_id)
    return HTMLResponse(ips_html(db, row, client.name))


@router.get("/clients/{client_id}/plans/{plan_id}/ips.pdf")
def advisor_ips_pdf(request: Request, client_id: Id, plan_id: Id) -> Response:
    me = _ui._me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    row = L.get_plan(db, me, client_id, plan_id)
    return pdf_response(ips_pdf(db, row, client.name), f"ips-{client_id}-{plan_id}.pdf")


def _access_page(request: Request, client_id: int, status: int = 200, **extra: Any
                 ) -> Response:
    me = _ui._me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    plans, _ = L.list_plans(db, me, client_id, 1, 0)
    ctx: dict[str, Any] = dict(me=me, client=client, users=P.list_client_users(db, me, client_id),
                               latest=plans[0] if plans else None, errors={}, values={},
                               notice=None, reset_link=None)
    ctx.update(extra)
    return _ui.render(request, "portal_access.html.j2", status=status, **ctx)


@router.get("/clients/{client_id}/portal-access", response_class=HTMLResponse)
def portal_access_page(request: Request, client_id: Id) -> Response:
    return _access_page(request, client_id)


@router.post("/clients/{client_id}/portal-access", response_class=HTMLResponse)
async def grant_portal_access(request: Request, client_id: Id) -> Response:
    form = await _ui._form(request)
    me = _ui._me(request)
    values = {k: str(form.get(k) or "") for k in ("name", "email")}
    try:
        body = P.ClientUserCreate(name=values["name"], email=values["email"],
                                  password=str(form.get("password") or ""))
    except ValueError as exc:  # pydantic: the message next to each field
        errors = {str(e["loc"][0]): e["msg"].removeprefix("Value error, ")
                  for e in exc.errors()}
        return _access_page(request, client_id, 422, errors=errors, values=values)
    try:
        P.create_client_user(request.state.db, me, client_id, body)
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        return _access_page(request, client_id, http_status(exc),
                            errors={exc.field or "email": exc.message}, values=values)
    return _access_page(request, client_id, notice=(
        f"If {body.email} was not in use, {body.name} can now sign in to the client portal "
        "at /portal with the initial password you set."))


@router.post("/clients/{client_id}/portal-access/{user_id}/active", response_class=HTMLResponse)
async def toggle_portal_access(request: Request, client_id: Id, user_id: Id) -> Response:
    form = await _ui._form(request)
    me = _ui._me(request)
    active = str(form.get("active") or "") == "1"
    P.set_client_user_active(request.state.db, me, client_id, user_id, active)
    return _redirect(f"/clients/{client_id}/portal-access")


@router.post("/clients/{client_id}/portal-access/{user_id}/reset-link",
             response_class=HTMLResponse)
async def portal_reset_link(request: Request, client_id: Id, user_id: Id) -> Response:
    from tailorfolio.service import _reset

    await _ui._form(request)
    me = _ui._me(request)
    user = P.get_client_user(request.state.db, me, client_id, user_id)
    token = _reset.issue(request.state.db, user, by=me)
    return _access_page(request, client_id, reset_link=(user.email, f"/reset/{token}"))


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ------------------------------------------------------------------ the portal

@router.get("/portal/signin", response_class=HTMLResponse)
def portal_signin_page(request: Request) -> Response:
    return render_portal(request, "portal_signin.html.j2", user=None, errors={}, values={})


@router.post("/portal/signin", response_class=HTMLResponse)
async def portal_signin(request: Request) -> Response:
    form = await _portal_form(request)
    db = request.state.db
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    address = request.client.host if request.client else "unknown"
    try:
        user = P.authenticate_client_user(db, email, password, address)
    except (AuthenticationError, TooManyAttemptsError) as exc:
        resp = render_portal(request, "portal_signin.html.j2", status=http_status(exc),
                             user=None, errors={"password": exc.message},
                             values={"email": email})
        resp.headers.update(exc.headers())
        return resp
    settings = request.app.state.settings
    token = P.issue_session(db, user, settings.session_minutes)
    resp = _redirect("/portal")
    resp.set_cookie(P.PORTAL_COOKIE, token, max_age=settings.session_minutes * 60,
                    httponly=True, samesite="lax", secure=_ui._secure(request), path="/")
    resp.set_cookie(CSRF_COOKIE, sec.new_token(), httponly=True, samesite="strict",
                    secure=_ui._secure(request), path="/")
    return resp


@router.post("/portal/signout")
async def portal_signout(request: Request) -> Response:
    await _portal_form(request)
    user = _user(request)
    P.end_session(request.state.db, user, request.cookies.get(P.PORTAL_COOKIE, ""))
    resp = _redirect("/portal/signin")
    resp.delete_cookie(P.PORTAL_COOKIE, path="/")
    return resp


@router.get("/portal", response_class=HTMLResponse)
def portal_home(request: Request) -> Response:
    user = _user(request)
    db = request.state.db
    client = P.portal_client(db, user)
    plans = P.portal_plans(db, user)
    return render_portal(request, "portal_home.html.j2", user=user, client=client,
                         plans=plans, latest=plans[0] if plans else None)


@router.get("/portal/plans/{plan_id}", response_class=HTMLResponse)
def portal_plan_page(request: Request, plan_id: Id) -> Response:
    from tailorfolio.report import render_report_body

    user = _user(request)
    db = request.state.db
    row = P.portal_plan(db, user, plan_id)
    return render_portal(request, "portal_plan.html.j2", user=user,
                         client=P.portal_client(db, user), plan=row,
                         body=render_report_body(row.report))


@router.get("/portal/plans/{plan_id}/report.html")
def portal_report_html(request: Request, plan_id: Id) -> Response:
    from tailorfolio.report import render_report

    row = P.portal_plan(request.state.db, _user(request), plan_id)
    return HTMLResponse(render_report(row.report), headers={
        "Content-Disposition": f'attachment; filename="plan-{plan_id}.html"'})


@router.get("/portal/plans/{plan_id}/report.pdf")
def portal_report_pdf(request: Request, plan_id: Id) -> Response:
    row = P.portal_plan(request.state.db, _user(request), plan_id)
    return pdf_response(report_pdf(row), f"plan-{plan_id}.pdf")


@router.get("/portal/plans/{plan_id}/ips", response_class=HTMLResponse)
def portal_ips(request: Request, plan_id: Id) -> Response:
    from tailorfolio.report._ips import render_ips_body

    user = _user(request)
    db = request.state.db
    row = P.portal_plan(db, user, plan_id)
    client = P.portal_client(db, user)
    return render_portal(request, "portal_ips.html.j2", user=user, client=client, plan=row,
                         body=render_ips_body(documents(db, row, client.name)))


@router.get("/portal/plans/{plan_id}/ips.pdf")
def portal_ips_pdf(request: Request, plan_id: Id) -> Response:
    user = _user(request)
    db = request.state.db
    row = P.portal_plan(db, user, plan_id)
    return pdf_response(ips_pdf(db, row, P.portal_client(db, user).name),
                        f"investment-policy-{plan_id}.pdf")
