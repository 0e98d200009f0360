"""Browser pages for households: the client form (one or two people, any number of goals,
income streams, contributions) and the edit / delete pages for goals, accounts, lots and
clients.

The form works without JavaScript: rows of goals and income streams repeat the same field
names (``goal_name``, ``stream_kind``, ...) and are read in order; the "Add a goal" and
"Remove" buttons are submit buttons that re-render the form with a row more or less, without
saving. ``/static/households.js`` (vanilla JavaScript) does the same in the page. Validation
messages sit next to their fields: ``e-goal_amount`` for the first goal, ``e-goal_amount-2``
for the second, ``e-stream_start_age-3`` for the third stream, ``e-partner_age``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from tailorfolio.errors import ProfileValidationError, TailorfolioError
from tailorfolio.limits import MAX_GOALS
from tailorfolio.profile._enums import IncomeStreamKind, StreamOwner
from tailorfolio.profile._questionnaire import QUESTIONS
from tailorfolio.service._messages import questionnaire_message
from tailorfolio.service import _households as H
from tailorfolio.service import _logic as L
from tailorfolio.service import _schemas as s
from tailorfolio.service._config import MAX_ID
from tailorfolio.service._errors import http_status
from tailorfolio.service._models import Advisor
from tailorfolio.service._ui import (
    Id,
    _client_page,
    _form,
    _id,
    _me,
    _open_db,
    _redirect,
    render,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(_open_db)])

GoalIndex = Annotated[int, PathParam(ge=0, le=MAX_GOALS - 1)]
"""A goal's position in the profile (from 0); out of range is a 404 page."""

PROFILE_FIELDS = ("age", "annual_income", "annual_expenses", "liquid_net_worth",
                  "employment_stability", "filing_status", "dependants", "retirement_age")
PARTNER_FIELDS = ("name", "age", "annual_income", "retirement_age")
GOAL_FIELDS = ("name", "amount", "target_year", "kind", "duration_years", "priority",
               "current_savings", "annual_contribution", "years", "contribution_growth",
               "inflation_adjusted")
"""Goal fields of a form row; the last three are hidden inputs that carry what the API may
have set, so saving the form loses nothing."""
GOAL_TEXT = ("name", "amount", "target_year", "duration_years", "current_savings",
             "annual_contribution")
STREAM_FIELDS = ("kind", "owner", "annual_amount", "start_age", "end_age",
                 "inflation_adjusted", "cola", "name")
STREAM_TEXT = ("annual_amount", "start_age", "end_age", "cola")
FORM_OWNED = set(PROFILE_FIELDS) | {"goals", "risk_questionnaire", "name", "partner",
                                    "income_streams"}
"""Profile facts the form edits; every other fact (as_of, tax_rates, preferences...) is kept."""

STREAM_CHOICES = {"stream_kind": [k.value for k in IncomeStreamKind],
                  "stream_owner": [o.value for o in StreamOwner]}
MAX_ROWS = 50


def suffix(row: int) -> str:
    """Field-id suffix of row ``row`` (0-based): '' for the first, '-2' for the second..."""
    return "" if row == 0 else f"-{row + 1}"


def _text(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def _rows(form: FormData, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of repeated fields ``<prefix>_<field>``, in the order submitted."""
    cols = {f: [_text(v) for v in form.getlist(f"{prefix}_{f}")] for f in fields}
    n = min(max((len(c) for c in cols.values()), default=0), MAX_ROWS)
    return [{f: (cols[f][k] if k < len(cols[f]) else "") for f in fields} for k in range(n)]


def _blank(row: dict[str, str], text: tuple[str, ...]) -> bool:
    return not any(row.get(f) for f in text)


def form_rows(form: FormData) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The goal and stream rows typed into the form, blank rows dropped."""
    goals = [r for r in _rows(form, "goal", GOAL_FIELDS) if not _blank(r, GOAL_TEXT)]
    streams = [r for r in _rows(form, "stream", STREAM_FIELDS) if not _blank(r, STREAM_TEXT)]
    return goals, streams


def profile_from_form(form: FormData) -> dict[str, Any]:
    """Profile facts from the household form; empty fields are left out (the library decides)."""
    def val(key: str) -> str | None:
        v = _text(form.get(key))
        return v or None

    facts: dict[str, Any] = {k: val(k) for k in PROFILE_FIELDS if val(k) is not None}
    partner = {k: val(f"partner_{k}") for k in PARTNER_FIELDS if val(f"partner_{k}")}
    if partner:
        facts["partner"] = partner
    goals, streams = form_rows(form)
    facts["goals"] = [{k: v for k, v in g.items() if v and not (
        k == "years" and g.get("target_year"))} for g in goals]
    facts["income_streams"] = [
        {k: v for k, v in st.items() if v and not (k == "cola" and v in ("0", "0.0"))}
        for st in streams]
    facts["risk_questionnaire"] = {q.key: val(f"q_{q.key}") for q in QUESTIONS
                                   if val(f"q_{q.key}") is not None}
    return facts


def field_errors(exc: ProfileValidationError, answers: dict[str, Any] | None = None
                 ) -> dict[str, str]:
    """Library issue paths (``profile.goals[1].amount``) as form error keys (``goal_amount-2``);
    unanswered questionnaire items get a plain message listing their questions (``answers``:
    what the form sent)."""
    out: dict[str, str] = {}
    unanswered = questionnaire_message(answers) if answers is not None else None
    if unanswered and any(i.field.removeprefix("profile.").startswith("risk_questionnaire")
                          for i in exc.issues):
        out["risk_questionnaire"] = unanswered
    for issue in exc.issues:
        f = issue.field.removeprefix("profile.")
        m = re.match(r"(goals|income_streams)\[(\d+)\](?:\.(\w+))?", f)
        if m:
            row = int(m.group(2))
            if m.group(1) == "goals":
                key = f"goal_{m.group(3) or 'target_year'}{suffix(row)}"
                if m.group(3) in ("years",):
                    key = f"goal_target_year{suffix(row)}"
            else:
                key = f"stream_{m.group(3) or 'kind'}{suffix(row)}"
        elif f.startswith("goals"):
            key = "goal_name"
        elif f.startswith("income_streams"):
            key = "stream_kind"
        elif f.startswith("partner"):
            key = "partner_" + (f.split(".")[1] if "." in f else "age")
        elif f.startswith("risk_questionnaire"):
            key = "risk_questionnaire"
        else:
            key = f.split(".")[0].split("[")[0]
        msg = issue.message + (f" — {issue.fix}" if issue.fix else "")
        out.setdefault(key, msg)
    return out


def form_values(facts: dict[str, Any], name: str) -> tuple[dict[str, str], list[dict[str, str]],
                                                          list[dict[str, str]]]:
    """Scalar fields, goal rows and stream rows pre-filled from stored profile facts."""
    values = {k: str(facts[k]) for k in PROFILE_FIELDS if facts.get(k) is not None}
    values["client_name"] = name
    for k, v in (facts.get("partner") or {}).items():
        values[f"partner_{k}"] = str(v)
    values.update({f"q_{k}": str(v) for k, v in facts.get("risk_questionnaire", {}).items()})

    def row(d: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
        out = {}
        for f in fields:
            v = d.get(f)
            out[f] = ("true" if v else "false") if isinstance(v, bool) else (
                "" if v is None else str(v))
        return out

    goals = [row(g, GOAL_FIELDS) for g in facts.get("goals", [])]
    streams = [row(st, STREAM_FIELDS) for st in facts.get("income_streams", [])]
    return values, goals, streams


def _edit_rows(form: FormData) -> tuple[list[dict[str, str]], list[dict[str, str]], bool]:
    """Rows as typed, with the "add"/"remove" button applied; True if a button was pressed."""
    goals = _rows(form, "goal", GOAL_FIELDS)
    streams = _rows(form, "stream", STREAM_FIELDS)
    action = _text(form.get("action"))
    if action == "add_goal" and len(goals) < MAX_ROWS:
        goals.append({})
    elif action == "add_stream" and len(streams) < MAX_ROWS:
        streams.append({})
    elif re.fullmatch(r"remove_goal_\d{1,2}", action):
        k = int(action.rsplit("_", 1)[1])
        goals = [g for i, g in enumerate(goals) if i != k] or [{}]
    elif re.fullmatch(r"remove_stream_\d{1,2}", action):
        k = int(action.rsplit("_", 1)[1])
        streams = [st for i, st in enumerate(streams) if i != k]
    else:
        return goals, streams, False
    return goals, streams, True


def _page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """``render`` with what the household row macros need."""
    return render(request, template, status=status, stream_choices=STREAM_CHOICES,
                  suffix=suffix, **ctx)


def _render_form(request: Request, me: Advisor, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    ctx.setdefault("goal_rows", [{}])
    ctx.setdefault("stream_rows", [])
    ctx.setdefault("client", None)
    return _page(request, "client_form.html.j2", status, me=me, **ctx)


def _typed(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)
            and not k.startswith(("goal_", "stream_"))}


# ------------------------------------------------------------------ the client form

@router.get("/clients/new", response_class=HTMLResponse)
def new_client_page(request: Request) -> Response:
    return _render_form(request, _me(request))


@router.post("/clients/new", response_class=HTMLResponse)
async def new_client(request: Request) -> Response:
    form = await _form(request)
    me = _me(request)
    values = _typed(form)
    goals, streams, pressed = _edit_rows(form)
    if pressed:
        return _render_form(request, me, values=values, goal_rows=goals, stream_rows=streams)
    name = _text(form.get("client_name"))
    errors: dict[str, str] = {}
    if not name:
        errors["client_name"] = "Enter the client's name."
    facts = profile_from_form(form)
    try:
        L.validate_profile_facts(facts, name or "Client")
    except ProfileValidationError as exc:
        errors.update(field_errors(exc, facts.get("risk_questionnaire")))
    if errors:
        return _render_form(request, me, 422, errors=errors, values=values,
                            goal_rows=goals or [{}], stream_rows=streams)
    client, _ = L.create_client(request.state.db, me, s.ClientCreate(name=name, profile=facts))
    return _redirect(f"/clients/{client.id}")


@router.get("/clients/{client_id}/profile", response_class=HTMLResponse)
def edit_profile_page(request: Request, client_id: Id) -> Response:
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, _id(client_id))
    version = L.latest_profile(db, client)
    values, goals, streams = form_values(version.data, client.name)
    return _render_form(request, me, client=client, base_version=version.version,
                        values=values, goal_rows=goals or [{}], stream_rows=streams)


@router.post("/clients/{client_id}/profile", response_class=HTMLResponse)
async def edit_profile(request: Request, client_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, _id(client_id))
    current = L.latest_profile(db, client)
    values = _typed(form)
    raw_base = _text(form.get("base_version"))
    base = int(raw_base) if raw_base.isdigit() and len(raw_base) <= 10 else 0
    goals, streams, pressed = _edit_rows(form)
    ctx = dict(client=client, values=values, goal_rows=goals or [{}], stream_rows=streams)
    if pressed:
        return _render_form(request, me, base_version=base or current.version, **ctx)
    if not 1 <= base <= MAX_ID:
        return _render_form(request, me, 422, base_version=current.version, errors={
            "base_version": "The form's version number is missing or invalid; reload the "
            "page."}, **ctx)
    kept = {k: v for k, v in current.data.items() if k not in FORM_OWNED}
    facts = {**kept, **profile_from_form(form)}
    errors: dict[str, str] = {}
    try:
        H.update_profile_facts(db, me, client.id, facts, base)
    except ProfileValidationError as exc:
        errors = field_errors(exc, facts.get("risk_questionnaire"))
    except TailorfolioError as exc:
        errors = {"base_version": exc.message}
    if errors:
        return _render_form(request, me, 422 if "base_version" not in errors else 409,
                            errors=errors, base_version=base, **ctx)
    return _redirect(f"/clients/{client.id}")


# ------------------------------------------------------------------ goals

@router.get("/clients/{client_id}/goals/{goal_index}", response_class=HTMLResponse)
def goal_page(request: Request, client_id: Id, goal_index: GoalIndex) -> Response:
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, _id(client_id))
    version = L.latest_profile(db, client)
    goal = H._goal_at(version, goal_index)
    _, rows, _ = form_values({"goals": [goal]}, client.name)
    return _page(request, "goal_form.html.j2", me=me, client=client, index=goal_index,
                  base_version=version.version, row=rows[0], errors={})


@router.post("/clients/{client_id}/goals/{goal_index}", response_class=HTMLResponse)
async def edit_goal(request: Request, client_id: Id, goal_index: GoalIndex) -> Response:
    form = await _form(request)
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, _id(client_id))
    current = L.latest_profile(db, client)
    rows = _rows(form, "goal", GOAL_FIELDS)
    row = rows[0] if rows else {}
    raw_base = _text(form.get("base_version"))
    base = int(raw_base) if raw_base.isdigit() and len(raw_base) <= 10 else None
    changes: dict[str, Any] = {k: (v or None) for k, v in row.items()}
    if changes.get("target_year"):
        changes["years"] = None  # the year typed replaces a date given in years
    try:
        H.update_goal(db, me, client.id, goal_index, H.GoalPatch(changes=changes,
                                                                base_version=base))
    except ProfileValidationError as exc:
        errors = {("goal_" + i.field.removeprefix("goal.")): i.message + (
            f" — {i.fix}" if i.fix else "") for i in exc.issues if i.field.startswith("goal")}
        errors = errors or {"goal_name": str(exc)}
        return _page(request, "goal_form.html.j2", status=422, me=me, client=client,
                      index=goal_index, base_version=base or current.version, row=row,
                      errors=errors)
    except TailorfolioError as exc:
        return _page(request, "goal_form.html.j2", status=http_status(exc), me=me,
                      client=client, index=goal_index, base_version=current.version, row=row,
                      errors={"base_version": exc.message})
    return _redirect(f"/clients/{client.id}#goals")


@router.post("/clients/{client_id}/goals/{goal_index}/delete", response_class=HTMLResponse)
async def delete_goal(request: Request, client_id: Id, goal_index: GoalIndex) -> Response:
    await _form(request)
    me = _me(request)
    try:
        H.delete_goal(request.state.db, me, _id(client_id), goal_index)
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        return _client_page(request, me, client_id, http_status(exc),
                            errors={"goals": exc.message})
    return _redirect(f"/clients/{client_id}#goals")


# ------------------------------------------------------------------ accounts and lots

@router.get("/clients/{client_id}/accounts/{account_id}/edit", response_class=HTMLResponse)
def account_page(request: Request, client_id: Id, account_id: Id) -> Response:
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    acct = L.get_account(db, me, client_id, account_id)
    values = {"account_name": acct.name, "account_type": acct.type,
              "account_cash": str(acct.cash),
              "account_annual_contribution": str(acct.annual_contribution)}
    return render(request, "account_form.html.j2", me=me, client=client, account=acct,
                  values=values, errors={})


@router.post("/clients/{client_id}/accounts/{account_id}/edit", response_class=HTMLResponse)
async def edit_account(request: Request, client_id: Id, account_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    db = request.state.db
    values = {k: _text(v) for k, v in form.items() if isinstance(v, str)}
    try:
        body = s.AccountUpdate(name=values.get("account_name") or None,
                               type=values.get("account_type") or None,
                               cash=values.get("account_cash") or 0,
                               annual_contribution=values.get(
                                   "account_annual_contribution") or 0)
        H.update_account(db, me, client_id, account_id, body)
    except ValidationError as exc:
        errors = {f"account_{e['loc'][0]}": e["msg"] for e in exc.errors()}
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        errors = {"account_" + (exc.field or "name"): exc.message}
    else:
        return _redirect(f"/clients/{client_id}#account-{account_id}")
    client = L.get_client(db, me, client_id)
    acct = L.get_account(db, me, client_id, account_id)
    return render(request, "account_form.html.j2", status=422, me=me, client=client,
                  account=acct, values=values, errors=errors)


@router.post("/clients/{client_id}/accounts/{account_id}/delete", response_class=HTMLResponse)
async def delete_account(request: Request, client_id: Id, account_id: Id) -> Response:
    await _form(request)
    H.delete_account(request.state.db, _me(request), client_id, account_id)
    return _redirect(f"/clients/{client_id}#accounts")


LOT_FIELDS = ("asset", "quantity", "cost_basis_per_share", "acquired")


@router.get("/clients/{client_id}/accounts/{account_id}/lots/{lot_id}",
            response_class=HTMLResponse)
def lot_page(request: Request, client_id: Id, account_id: Id, lot_id: Id) -> Response:
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    acct, lot = H.get_lot(db, me, client_id, account_id, lot_id)
    values = {"asset": lot.asset, "quantity": str(lot.quantity),
              "cost_basis_per_share": str(lot.cost_basis_per_share),
              "acquired": lot.acquired.isoformat()}
    return render(request, "lot_form.html.j2", me=me, client=client, account=acct, lot=lot,
                  values=values, errors={})


@router.post("/clients/{client_id}/accounts/{account_id}/lots/{lot_id}",
             response_class=HTMLResponse)
async def edit_lot(request: Request, client_id: Id, account_id: Id, lot_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    db = request.state.db
    values = {k: _text(form.get(k)) for k in LOT_FIELDS}
    try:
        body = H.LotUpdate(**{k: v for k, v in values.items() if v})
        H.update_lot(db, me, client_id, account_id, lot_id, body)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"].removeprefix("Value error, ")
                  for e in exc.errors()}
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        errors = {(exc.field or "asset"): exc.message}
    else:
        return _redirect(f"/clients/{client_id}#account-{account_id}")
    client = L.get_client(db, me, client_id)
    acct, lot = H.get_lot(db, me, client_id, account_id, lot_id)
    return render(request, "lot_form.html.j2", status=422, me=me, client=client, account=acct,
                  lot=lot, values=values, errors=errors)


@router.post("/clients/{client_id}/accounts/{account_id}/lots/{lot_id}/delete",
             response_class=HTMLResponse)
async def delete_lot(request: Request, client_id: Id, account_id: Id, lot_id: Id) -> Response:
    await _form(request)
    H.delete_lot(request.state.db, _me(request), client_id, account_id, lot_id)
    return _redirect(f"/clients/{client_id}#account-{account_id}")


# ------------------------------------------------------------------ clients

@router.get("/clients/{client_id}/delete", response_class=HTMLResponse)
def delete_client_page(request: Request, client_id: Id) -> Response:
    me = _me(request)
    client = L.get_client(request.state.db, me, client_id)
    return render(request, "client_delete.html.j2", me=me, client=client, errors={})


@router.post("/clients/{client_id}/delete", response_class=HTMLResponse)
async def delete_client(request: Request, client_id: Id) -> Response:
    await _form(request)
    H.delete_client(request.state.db, _me(request), client_id)
    return _redirect("/clients")


@router.post("/clients/{client_id}/rename", response_class=HTMLResponse)
async def rename_client(request: Request, client_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    name = _text(form.get("client_name"))
    try:
        H.update_client(request.state.db, me, client_id, s.ClientUpdate(name=name))
    except ValidationError:
        return _client_page(request, me, client_id, 422, errors={
            "client_name": "Enter the client's name (1 to 120 characters)."},
            values={"client_name": name})
    return _redirect(f"/clients/{client_id}")
