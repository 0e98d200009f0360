"""REST routes of the what-if, scenarios, comparison, model portfolios and overrides
(/api/v1), thin over :mod:`._whatif`, :mod:`._scenarios`, :mod:`._compare` and
:mod:`._judgement`.

The what-if route also serves the browser's sliders: besides a bearer token or API key it
accepts the sign-in cookie with the page's CSRF token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tailorfolio.service import _compare as C
from tailorfolio.service import _judgement as J
from tailorfolio.service import _logic as L
from tailorfolio.service import _scenarios as S
from tailorfolio.service import _security as sec
from tailorfolio.service import _whatif as W
from tailorfolio.service._config import MAX_ID
from tailorfolio.service._deps import CSRF_COOKIE, DB, SESSION_COOKIE, Me, bearer_token
from tailorfolio.service._errors import AuthenticationError, CsrfError, NotFoundError
from tailorfolio.service._models import Advisor
from tailorfolio.service._schemas import ErrorBody

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 422, 429, 503)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

CSRF_HEADER = "x-csrf-token"


def api_or_browser_advisor(request: Request, db: DB) -> Advisor:
    """The advisor of a bearer token / API key, or of the sign-in cookie when the request
    carries the page's CSRF token in ``X-CSRF-Token`` (401 / 403 otherwise)."""
    token = bearer_token(request)
    if token:
        adv = L.advisor_for_token(db, token, ("api", "api_key"))
    else:
        session = request.cookies.get(SESSION_COOKIE)
        adv = L.advisor_for_token(db, session, ("session",)) if session else None
        if adv is not None and not sec.csrf_valid(
                request.app.state.settings.secret_key, request.cookies.get(CSRF_COOKIE),
                request.headers.get(CSRF_HEADER), session):
            db.commit()
            raise CsrfError("The page's security token is missing or wrong.",
                            field="X-CSRF-Token", fix="reload the page and try again")
    db.commit()
    if adv is None:
        raise AuthenticationError(
            "Sign-in required: send 'Authorization: Bearer <token or API key>'.",
            field="Authorization", fix="get a token with POST /api/v1/auth/token")
    return adv


Browser = Annotated[Advisor, Depends(api_or_browser_advisor)]


# ------------------------------------------------------------------ what-if

@router.get("/clients/{client_id}/plans/{plan_id}/whatif", tags=["what-if"])
def whatif_defaults(client_id: Id, plan_id: Id, request: Request, me: Me, db: DB
                    ) -> dict[str, Any]:
    """The plan's own inputs and goal odds, the starting point of every what-if."""
    row = L.get_plan(db, me, client_id, plan_id)
    db.commit()
    return W.plan_defaults(request.app.state, row)


@router.post("/clients/{client_id}/plans/{plan_id}/whatif", tags=["what-if"])
def whatif(client_id: Id, plan_id: Id, body: W.WhatIfBody, request: Request, me: Browser,
           db: DB) -> dict[str, Any]:
    """Re-simulate the plan's goals with changed inputs on the plan's own simulated markets
    (common random numbers): each goal's probability under the plan and under the change.

    Cash-flow inputs (saving, retirement age, spending, goal amounts) keep the plan's
    portfolio policy; the risk level moves every sleeve along the plan's portfolio family.
    The first call for a plan rebuilds its sleeves (a second or two); later calls take a
    fraction of a second (``elapsed_ms``).
    """
    row = L.get_plan(db, me, client_id, plan_id)
    db.commit()
    return W.evaluate(request.app.state, row, body)


class ScenarioCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    changes: W.WhatIfBody = Field(default_factory=W.WhatIfBody)


@router.post("/clients/{client_id}/plans/{plan_id}/scenarios", status_code=201,
             tags=["what-if"])
def create_scenario(client_id: Id, plan_id: Id, body: ScenarioCreate, request: Request,
                    me: Browser, db: DB) -> dict[str, Any]:
    """Save a what-if as a named scenario (the server re-evaluates it; stored with its
    results)."""
    return S.scenario_read(S.save_scenario(db, me, request.app.state, client_id, plan_id,
                                           body.name, body.changes))


@router.get("/clients/{client_id}/scenarios", tags=["what-if"])
def scenarios(client_id: Id, me: Me, db: DB) -> dict[str, Any]:
    """The client's scenarios, newest first."""
    rows = S.list_scenarios(db, me, client_id)
    return {"items": [S.scenario_read(r) for r in rows], "total": len(rows)}


@router.get("/clients/{client_id}/scenarios/{scenario_id}", tags=["what-if"])
def scenario(client_id: Id, scenario_id: Id, me: Me, db: DB) -> dict[str, Any]:
    return S.scenario_read(S.get_scenario(db, me, client_id, scenario_id))


@router.delete("/clients/{client_id}/scenarios/{scenario_id}", status_code=204,
               tags=["what-if"])
def delete_scenario(client_id: Id, scenario_id: Id, me: Me, db: DB) -> Response:
    S.delete_scenario(db, me, client_id, scenario_id)
    return Response(status_code=204)


@router.get("/clients/{client_id}/compare", tags=["what-if"])
def compare(client_id: Id, me: Me, db: DB,
            a: Annotated[str | None, Query(max_length=30, description=(
                "plan:<id> or scenario:<id>; default: the second newest plan"))] = None,
            b: Annotated[str | None, Query(max_length=30, description=(
                "plan:<id> or scenario:<id>; default: the newest plan"))] = None
            ) -> dict[str, Any]:
    """Two plans or scenarios side by side: allocation, trades, estimated tax, goal odds,
    each with the difference (b − a)."""
    if a is None or b is None:
        plans, _ = L.list_plans(db, me, client_id, 2, 0)
        newest = [f"plan:{p.id}" for p in plans]
        if len(newest) < (a is None) + (b is None):
            raise NotFoundError(f"Client {client_id} has too few plans to compare by default.",
                                field="a", fix="name both sides: ?a=plan:<id>&b=scenario:<id>")
        if a is None and b is None:
            a, b = newest[1], newest[0]
        elif a is None:
            a = newest[0]
        else:
            b = newest[0]
    return C.compare_refs(db, me, client_id, a, b)


# ------------------------------------------------------------------ model portfolios

@router.get("/model-portfolios", tags=["judgement"])
def models(me: Me, db: DB) -> dict[str, Any]:
    """Your firm's model portfolios."""
    rows = J.list_models(db, me)
    return {"items": [J.model_read(r) for r in rows], "total": len(rows)}


@router.post("/model-portfolios", status_code=201, tags=["judgement"])
def create_model(body: J.ModelPortfolioBody, me: Me, db: DB) -> dict[str, Any]:
    """Add a model portfolio (named target weights over the universe, summing to 1)."""
    return J.model_read(J.create_model(db, me, body))


@router.get("/model-portfolios/{model_id}", tags=["judgement"])
def get_model(model_id: Id, me: Me, db: DB) -> dict[str, Any]:
    return J.model_read(J.get_model(db, me, model_id))


@router.put("/model-portfolios/{model_id}", tags=["judgement"])
def update_model(model_id: Id, body: J.ModelPortfolioBody, me: Me, db: DB) -> dict[str, Any]:
    """Replace a model portfolio (plans already made keep the weights they followed)."""
    return J.model_read(J.update_model(db, me, model_id, body))


@router.delete("/model-portfolios/{model_id}", status_code=204, tags=["judgement"])
def delete_model(model_id: Id, me: Me, db: DB) -> Response:
    """Delete a model portfolio no client override follows."""
    J.delete_model(db, me, model_id)
    return Response(status_code=204)


# ------------------------------------------------------------------ overrides

@router.get("/clients/{client_id}/plans/{plan_id}/overrides-cost", tags=["judgement"])
def overrides_cost(client_id: Id, plan_id: Id, me: Me, db: DB) -> dict[str, Any]:
    """What the overrides a plan followed cost: the same plan without them (``cost`` is null
    when the plan followed none)."""
    row = L.get_plan(db, me, client_id, plan_id)
    return {"plan_id": row.id, "cost": row.report.get("overrides")}


@router.get("/clients/{client_id}/overrides", tags=["judgement"])
def overrides(client_id: Id, me: Me, db: DB) -> dict[str, Any]:
    """The client's overrides in force (the next plan's constraints)."""
    rows = J.active_overrides(db, L.get_client(db, me, client_id))
    return {"items": [J.override_read(r) for r in rows], "total": len(rows)}


@router.post("/clients/{client_id}/overrides", status_code=201, tags=["judgement"])
def create_override(client_id: Id, body: J.OverrideBody, me: Me, db: DB) -> dict[str, Any]:
    """Add an override with its reason (audited); the next plan optimizes around it and
    reports what it costs."""
    return J.override_read(J.create_override(db, me, client_id, body))


class OverrideRemove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=1000, description="Why (audited).")


@router.post("/clients/{client_id}/overrides/{override_id}/remove", tags=["judgement"])
def remove_override(client_id: Id, override_id: Id, body: OverrideRemove, me: Me, db: DB
                    ) -> dict[str, Any]:
    """End an override; the reason is required and goes to the audit log (the override is
    kept, marked removed)."""
    return J.override_read(J.remove_override(db, me, client_id, override_id, body.reason))
