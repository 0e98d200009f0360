"""The REST API (/api/v1): thin routes over :mod:`tailorfolio.service._logic`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse

from tailorfolio.service import _households as H
from tailorfolio.service import _logic as L
from tailorfolio.service import _schemas as s
from tailorfolio.service._config import MAX_ID
from tailorfolio.service._deps import DB, Me, Pg, bearer_token
from tailorfolio.service._errors import PermissionDeniedError

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ERRORS = {code: {"model": s.ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422, 429,
                                                     503)}
SIGNUP_ACCEPTED = ("If this e-mail address was not registered yet, the firm and its admin "
                   "account now exist: sign in with them. (For privacy the answer is the same "
                   "when the address is already in use.)")
ADVISOR_ACCEPTED = ("If this e-mail address was not registered yet, the advisor now exists in "
                    "your firm (see GET /api/v1/advisors). (For privacy the answer is the same "
                    "when the address is used outside your firm.)")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: with --proxy-headers)."""
    return request.client.host if request.client else "unknown"

router = APIRouter(prefix="/api/v1", responses=ERRORS)


def _page(rows: list, total: int, pg: Pg, model: type) -> dict:
    return {"items": [model.model_validate(r) for r in rows], "total": total,
            "limit": pg.limit, "offset": pg.offset}


# ------------------------------------------------------------------ auth

@router.post("/auth/signup", response_model=s.Accepted, status_code=202, tags=["auth"])
def signup(body: s.SignupCreate, request: Request, db: DB) -> s.Accepted:
    """Create a firm and its first advisor (a firm admin).

    The answer is the same whether or not the e-mail address is already registered (in any
    firm), and takes the same time: sign in to use the new account.
    """
    if not request.app.state.settings.allow_signup:
        raise PermissionDeniedError("Sign-up is disabled on this server.", field="signup",
                                    fix="ask an admin of your firm to add you")
    L.throttle_signup(db, client_address(request))
    L.signup(db, body)
    return s.Accepted(message=SIGNUP_ACCEPTED)


@router.post("/auth/token", response_model=s.TokenRead, status_code=201, tags=["auth"])
def token(body: s.TokenCreate, request: Request, db: DB) -> s.TokenRead:
    """Exchange e-mail and password for a bearer token that expires.

    Failed attempts are throttled per (e-mail, client address) and per client address with
    an exponential backoff (429 with Retry-After); see the README's Security section.
    """
    adv = L.authenticate(db, body.email, body.password, client_address(request))
    tok, expires = L.issue_token(db, adv, "api", request.app.state.settings.session_minutes)
    return s.TokenRead(access_token=tok, expires_at=expires)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, me: Me, db: DB) -> Response:
    """Sign out with the credential of this request: a bearer token ends; an API key is
    revoked for good (like DELETE /api-keys/{id})."""
    L.revoke_token(db, me, bearer_token(request) or "")
    return Response(status_code=204)


@router.get("/me", response_model=s.AdvisorRead, tags=["auth"])
def whoami(me: Me) -> s.AdvisorRead:
    return s.AdvisorRead.model_validate(me)


@router.get("/advisors", response_model=s.Page[s.AdvisorRead], tags=["advisors"])
def advisors(me: Me, db: DB, pg: Pg) -> dict:
    """Advisors of your firm."""
    return _page(*L.list_advisors(db, me, pg.limit, pg.offset), pg, s.AdvisorRead)


@router.post("/advisors", response_model=s.Accepted, status_code=202, tags=["advisors"])
def add_advisor(body: s.AdvisorCreate, me: Me, db: DB) -> s.Accepted:
    """Add an advisor to your firm (firm admins only).

    The answer does not say whether the address is registered in another firm; the new
    advisor appears in GET /advisors. (An address of your own firm: 409.)
    """
    L.create_advisor(db, me, body)
    return s.Accepted(message=ADVISOR_ACCEPTED)


@router.patch("/advisors/{advisor_id}", response_model=s.AdvisorRead, tags=["advisors"])
def update_advisor(advisor_id: Id, body: s.AdvisorUpdate, me: Me, db: DB) -> s.AdvisorRead:
    """Deactivate or reactivate an advisor of your firm, or change their admin right (firm
    admins). Deactivating ends the advisor's sessions and revokes their API keys."""
    return s.AdvisorRead.model_validate(L.update_advisor(db, me, advisor_id, body))


@router.delete("/advisors/{advisor_id}/sessions", status_code=204, tags=["advisors"])
def revoke_sessions(advisor_id: Id, me: Me, db: DB) -> Response:
    """End every session and bearer token of an advisor of your firm (admins; or yourself)."""
    L.revoke_sessions(db, me, advisor_id)
    return Response(status_code=204)


@router.get("/advisors/{advisor_id}/api-keys", response_model=s.Page[s.ApiKeyRead],
            tags=["advisors"])
def advisor_api_keys(advisor_id: Id, me: Me, db: DB, pg: Pg) -> dict:
    """The API keys of an advisor of your firm (admins; or yourself)."""
    return _page(*L.list_advisor_api_keys(db, me, advisor_id, pg.limit, pg.offset), pg,
                 s.ApiKeyRead)


@router.delete("/advisors/{advisor_id}/api-keys/{key_id}", response_model=s.ApiKeyRead,
               tags=["advisors"])
def revoke_advisor_api_key(advisor_id: Id, key_id: Id, me: Me, db: DB) -> s.ApiKeyRead:
    """Revoke an API key of an advisor of your firm (admins; or yourself)."""
    return s.ApiKeyRead.model_validate(L.revoke_advisor_api_key(db, me, advisor_id, key_id))


@router.get("/api-keys", response_model=s.Page[s.ApiKeyRead], tags=["auth"])
def api_keys(me: Me, db: DB, pg: Pg) -> dict:
    return _page(*L.list_api_keys(db, me, pg.limit, pg.offset), pg, s.ApiKeyRead)


@router.post("/api-keys", response_model=s.ApiKeyCreated, status_code=201, tags=["auth"])
def new_api_key(body: s.ApiKeyCreate, me: Me, db: DB) -> s.ApiKeyCreated:
    """Create an API key; the key is in this response only."""
    row, key = L.create_api_key(db, me, body)
    return s.ApiKeyCreated(**s.ApiKeyRead.model_validate(row).model_dump(), key=key)


@router.delete("/api-keys/{key_id}", response_model=s.ApiKeyRead, tags=["auth"])
def revoke_api_key(key_id: Id, me: Me, db: DB) -> s.ApiKeyRead:
    return s.ApiKeyRead.model_validate(L.revoke_api_key(db, me, key_id))


@router.get("/audit", response_model=s.Page[s.AuditRead], tags=["audit"])
def audit_log(me: Me, db: DB, pg: Pg) -> dict:
    """Who did what when: your actions (firm admins: the whole firm's), newest first."""
    return _page(*L.list_audit(db, me, pg.limit, pg.offset), pg, s.AuditRead)


# ------------------------------------------------------------------ clients and profiles

@router.get("/clients", response_model=s.Page[s.ClientRead], tags=["clients"])
def clients(me: Me, db: DB, pg: Pg, q: Annotated[str | None, Query(
        max_length=120, description="name contains")] = None) -> dict:
    rows, total = L.list_clients(db, me, pg.limit, pg.offset, q)
    return {"items": [L.client_read(db, c) for c in rows], "total": total, "limit": pg.limit,
            "offset": pg.offset}


@router.post("/clients", response_model=s.ClientRead, status_code=201, tags=["clients"])
def create_client(body: s.ClientCreate, me: Me, db: DB) -> s.ClientRead:
    """Create a client with profile version 1 (facts and risk questionnaire)."""
    client, _ = L.create_client(db, me, body)
    return L.client_read(db, client)


@router.get("/clients/{client_id}", response_model=s.ClientRead, tags=["clients"])
def get_client(client_id: Id, me: Me, db: DB) -> s.ClientRead:
    return L.client_read(db, L.get_client(db, me, client_id))


@router.patch("/clients/{client_id}", response_model=s.ClientRead, tags=["clients"])
def update_client(client_id: Id, body: s.ClientUpdate, me: Me, db: DB) -> s.ClientRead:
    return L.client_read(db, H.update_client(db, me, client_id, body))


@router.get("/clients/{client_id}/profile", response_model=s.ProfileRead, tags=["profiles"])
def get_profile(client_id: Id, me: Me, db: DB) -> s.ProfileRead:
    """The newest profile version."""
    return s.ProfileRead.model_validate(L.latest_profile(db, L.get_client(db, me, client_id)))


@router.put("/clients/{client_id}/profile", response_model=s.ProfileRead, status_code=201,
            tags=["profiles"])
def put_profile(client_id: Id, body: s.ProfileUpdate, me: Me, db: DB) -> s.ProfileRead:
    """Save a new profile version on top of ``base_version`` (409 if it is stale)."""
    return s.ProfileRead.model_validate(L.update_profile(db, me, client_id, body))


@router.get("/clients/{client_id}/profile/versions", response_model=s.Page[s.ProfileRead],
            tags=["profiles"])
def profile_versions(client_id: Id, me: Me, db: DB, pg: Pg) -> dict:
    return _page(*L.profile_versions(db, me, client_id, pg.limit, pg.offset), pg, s.ProfileRead)


@router.get("/clients/{client_id}/profile/versions/{version}", response_model=s.ProfileRead,
            tags=["profiles"])
def profile_version(client_id: Id, version: Id, me: Me, db: DB) -> s.ProfileRead:
    return s.ProfileRead.model_validate(L.get_profile_version(db, me, client_id, version))


# ------------------------------------------------------------------ accounts and lots

@router.get("/clients/{client_id}/accounts", response_model=s.Page[s.AccountRead],
            tags=["accounts"])
def accounts(client_id: Id, me: Me, db: DB, pg: Pg) -> dict:
    return _page(*L.list_accounts(db, me, client_id, pg.limit, pg.offset), pg, s.AccountRead)


@router.post("/clients/{client_id}/accounts", response_model=s.AccountRead, status_code=201,
             tags=["accounts"])
def create_account(client_id: Id, body: s.AccountCreate, me: Me, db: DB) -> s.AccountRead:
    return s.AccountRead.model_validate(L.create_account(db, me, client_id, body))


@router.get("/clients/{client_id}/accounts/{account_id}", response_model=s.AccountRead,
            tags=["accounts"])
def get_account(client_id: Id, account_id: Id, me: Me, db: DB) -> s.AccountRead:
    return s.AccountRead.model_validate(L.get_account(db, me, client_id, account_id))


@router.patch("/clients/{client_id}/accounts/{account_id}", response_model=s.AccountRead,
              tags=["accounts"])
def update_account(client_id: Id, account_id: Id, body: s.AccountUpdate, me: Me, db: DB
                   ) -> s.AccountRead:
    return s.AccountRead.model_validate(H.update_account(db, me, client_id, account_id, body))


@router.delete("/clients/{client_id}/accounts/{account_id}", status_code=204, tags=["accounts"])
def delete_account(client_id: Id, account_id: Id, me: Me, db: DB) -> Response:
    H.delete_account(db, me, client_id, account_id)
    return Response(status_code=204)


@router.post("/clients/{client_id}/accounts/{account_id}/lots", response_model=s.LotRead,
             status_code=201, tags=["accounts"])
def add_lot(client_id: Id, account_id: Id, body: s.LotCreate, me: Me, db: DB) -> s.LotRead:
    return s.LotRead.model_validate(L.add_lot(db, me, client_id, account_id, body))


@router.post("/clients/{client_id}/accounts/{account_id}/lots/upload",
             response_model=s.LotUpload, status_code=201, tags=["accounts"])
async def upload_lots(client_id: Id, account_id: Id, request: Request, me: Me, db: DB,
                      file: UploadFile = File(description="CSV: asset,quantity,"
                                              "cost_basis_per_share,acquired")) -> s.LotUpload:
    """Add lots from a CSV file (all or nothing; size-limited)."""
    limit = request.app.state.settings.max_upload_bytes
    raw = await file.read(limit + 1)
    rows = L.upload_lots(db, me, client_id, account_id, raw, limit)
    return s.LotUpload(created=len(rows), lots=[s.LotRead.model_validate(r) for r in rows])


@router.delete("/clients/{client_id}/accounts/{account_id}/lots/{lot_id}", status_code=204,
               tags=["accounts"])
def delete_lot(client_id: Id, account_id: Id, lot_id: Id, me: Me, db: DB) -> Response:
    H.delete_lot(db, me, client_id, account_id, lot_id)
    return Response(status_code=204)


# ------------------------------------------------------------------ plans

@router.post("/clients/{client_id}/plans", response_model=s.JobRead, status_code=202,
             tags=["plans"])
def create_plan(client_id: Id, body: s.PlanCreate, request: Request, response: Response,
                me: Me, db: DB) -> s.JobRead:
    """Queue a plan from the client's current profile and accounts; answers with its job.

    Poll ``GET /api/v1/jobs/{job_id}`` (the ``Location``) until it is ``done`` (the stored,
    immutable plan is at ``links.plan``) or ``failed``. When the server's queue is full the
    answer is 503, when you already have too many plans running 429, both with Retry-After.
    """
    state = request.app.state
    job = L.submit_plan(db, me, client_id, body, state.jobs, goal_paths=state.settings.goal_paths)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    response.headers["Retry-After"] = "1"
    return L.job_read(job, state.jobs)


@router.get("/jobs/{job_id}", response_model=s.JobRead, tags=["plans"])
def get_job(job_id: Id, request: Request, response: Response, me: Me, db: DB) -> s.JobRead:
    """A plan job's status and progress (``Retry-After`` suggests when to poll again)."""
    job = L.get_job(db, me, job_id)
    if job.status in ("queued", "running"):
        response.headers["Retry-After"] = "1"
    return L.job_read(job, request.app.state.jobs)


@router.get("/clients/{client_id}/plans", response_model=s.Page[s.PlanSummary], tags=["plans"])
def plans(client_id: Id, me: Me, db: DB, pg: Pg) -> dict:
    """The client's plans, newest first (compare them over time)."""
    return _page(*L.list_plans(db, me, client_id, pg.limit, pg.offset), pg, s.PlanSummary)


@router.get("/clients/{client_id}/plans/{plan_id}", response_model=s.PlanRead, tags=["plans"])
def get_plan(client_id: Id, plan_id: Id, me: Me, db: DB) -> s.PlanRead:
    return L.plan_read(L.get_plan(db, me, client_id, plan_id))


@router.get("/clients/{client_id}/plans/{plan_id}/report", response_class=HTMLResponse,
            tags=["plans"], responses={
                code: {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
                for code in (400, 401, 403, 404, 409, 413, 422, 429)})
def plan_report(client_id: Id, plan_id: Id, me: Me, db: DB) -> HTMLResponse:
    """The plan's self-contained HTML report (download)."""
    from tailorfolio.report import render_report

    row = L.get_plan(db, me, client_id, plan_id)
    return HTMLResponse(render_report(row.report), headers={
        "Content-Disposition": f'attachment; filename="plan-{client_id}-{plan_id}.html"'})
