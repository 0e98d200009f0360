"""Browser pages of the what-if (sliders), the comparison of plans and scenarios, the firm's
model portfolios and a client's overrides. Same conventions as :mod:`._ui`: server-rendered,
CSRF token on every form, errors next to their fields."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from typing import Annotated

from tailorfolio.errors import TailorfolioError
from tailorfolio.service import _compare as C
from tailorfolio.service import _judgement as J
from tailorfolio.service import _logic as L
from tailorfolio.service import _scenarios as S
from tailorfolio.service import _whatif as W
from tailorfolio.service._errors import http_status
from tailorfolio.service._models import Advisor
from tailorfolio.service._ui import Id, _form, _me, _open_db, _redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(_open_db)])

Ref = Annotated[str | None, Query(max_length=30)]


# ------------------------------------------------------------------ what-if

def _slider_ranges(view: dict[str, Any], age: int) -> dict[str, Any]:
    ins = view["plan_inputs"]
    saving = float(ins["annual_saving"])
    out: dict[str, Any] = {
        "annual_saving": (0, max(100_000.0, round(3 * saving, -3)), 500),
        "risk_level": (1, 10, 1),
    }
    if ins["retirement_age"] is not None:
        out["retirement_age"] = (max(age + 1, 40), max(80, ins["retirement_age"] + 5), 1)
    if ins["retirement_spending"] is not None:
        sp = float(ins["retirement_spending"])
        out["retirement_spending"] = (round(max(1000.0, 0.3 * sp), -3), round(2.5 * sp, -3),
                                      500)
    return out


def _goal_ranges(view: dict[str, Any]) -> list[dict[str, Any]]:
    spending = view["plan_inputs"]["retirement_spending"] is not None
    rows = []
    for g in view["goals"]:
        if spending and g["kind"] == "income":
            continue  # moved by "Spending in retirement"
        amt = float(g["amount"])
        rows.append({"name": g["name"], "value": amt, "min": round(max(1000.0, 0.25 * amt), -3),
                     "max": round(3 * amt, -3), "step": 500})
    return rows


@router.get("/clients/{client_id}/plans/{plan_id}/whatif", response_class=HTMLResponse)
def whatif_page(request: Request, client_id: Id, plan_id: Id) -> Response:
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    row = L.get_plan(db, me, client_id, plan_id)
    db.commit()
    scenarios = [s for s in S.list_scenarios(db, me, client_id) if s.plan_id == row.id]
    try:
        view = W.plan_defaults(request.app.state, row)
    except TailorfolioError as exc:
        return render(request, "whatif.html.j2", status=http_status(exc), me=me,
                      client=client, plan=row, view=None, error=exc, scenarios=scenarios)
    age = int(row.inputs["profile"].get("age", 18))
    return render(request, "whatif.html.j2", me=me, client=client, plan=row, view=view,
                  error=None, ranges=_slider_ranges(view, age), goal_ranges=_goal_ranges(view),
                  scenarios=scenarios)


# ------------------------------------------------------------------ compare

def _choices(db: Any, me: Advisor, client_id: int) -> list[tuple[str, str]]:
    plans, _ = L.list_plans(db, me, client_id, 200, 0)
    out = [(f"plan:{p.id}", f"Plan #{p.id} ({p.created_at:%Y-%m-%d %H:%M})") for p in plans]
    out += [(f"scenario:{s.id}", f"Scenario '{s.name}' (plan #{s.plan_id})")
            for s in S.list_scenarios(db, me, client_id)]
    return out


def _chart(result: dict[str, Any]) -> str | None:
    """Grouped bars: weights of a and b, and goal odds of a and b."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    alloc, goals = result["allocation"], [g for g in result["goals"]
                                          if g["a"] is not None or g["b"] is not None]
    if not alloc:
        return None
    la, lb = result["a"]["label"], result["b"]["label"]
    fig = make_subplots(rows=1, cols=2 if goals else 1, column_widths=[0.6, 0.4] if goals
                        else None, subplot_titles=("Allocation", "Goal odds")
                        if goals else ("Allocation",))
    tick = [r["ticker"] for r in alloc]
    fig.add_trace(go.Bar(name=la, x=tick, y=[r["a"] for r in alloc], marker_color="#4c72b0",
                         legendgroup="a"), 1, 1)
    fig.add_trace(go.Bar(name=lb, x=tick, y=[r["b"] for r in alloc], marker_color="#dd8452",
                         legendgroup="b"), 1, 1)
    if goals:
        names = [g["name"] for g in goals]
        fig.add_trace(go.Bar(name=la, x=names, y=[g["a"] for g in goals],
                             marker_color="#4c72b0", legendgroup="a", showlegend=False), 1, 2)
        fig.add_trace(go.Bar(name=lb, x=names, y=[g["b"] for g in goals],
                             marker_color="#dd8452", legendgroup="b", showlegend=False), 1, 2)
        fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=2)
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    fig.update_layout(barmode="group", height=380, margin=dict(l=40, r=10, t=40, b=40),
                      legend=dict(orientation="h", y=-0.2))
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id="chart-compare")


@router.get("/clients/{client_id}/compare", response_class=HTMLResponse)
def compare_page(request: Request, client_id: Id, a: Ref = None, b: Ref = None) -> Response:
    """Two plans or scenarios side by side (default: the two newest plans)."""
    me = _me(request)
    db = request.state.db
    client = L.get_client(db, me, client_id)
    choices = _choices(db, me, client_id)
    plans = [c for c, _ in choices if c.startswith("plan:")]
    if a is None or b is None:
        if len(plans) >= 2:
            a, b = a or plans[1], b or plans[0]
        elif plans and len(choices) >= 2:
            a, b = a or plans[0], b or next(c for c, _ in choices if c != plans[0])
    result = error = None
    if a and b:
        try:
            result = C.compare_refs(db, me, client_id, a, b)
        except TailorfolioError as exc:
            if http_status(exc) != 404 or not C.REF_PATTERN.fullmatch(a or "") \
                    or not C.REF_PATTERN.fullmatch(b or ""):
                error = exc
            else:
                raise
    chart = _chart(result) if result else None
    return render(request, "compare.html.j2", status=200 if error is None else 404, me=me,
                  client=client, sides=choices, a=a, b=b, result=result, chart=chart,
                  error=error)


# ------------------------------------------------------------------ model portfolios

WEIGHT_LINE = re.compile(r"\s*([A-Za-z0-9.\-]{1,20})\s*[:=,\s]\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*")


def parse_weights(text: str) -> dict[str, float]:
    """``VTI 40`` / ``VTI: 40 %`` / ``VTI=40`` per line (percent) → ticker → decimal weight.

    Raises
    ------
    ValueError
        A line that is none of these.
    """
    out: dict[str, float] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = WEIGHT_LINE.fullmatch(line)
        if not m:
            raise ValueError(f"line {i} ({line.strip()[:40]!r}) is not 'TICKER percent'")
        out[m.group(1).upper()] = out.get(m.group(1).upper(), 0.0) + float(m.group(2)) / 100
    return out


def _models_page(request: Request, me: Advisor, status: int = 200, **extra: Any) -> Response:
    rows = J.list_models(request.state.db, me)
    ctx: dict[str, Any] = dict(me=me, models=rows, errors={}, values={}, edit_errors={})
    ctx.update(extra)
    return render(request, "models.html.j2", status=status, **ctx)


@router.get("/model-portfolios", response_class=HTMLResponse)
def models_page(request: Request) -> Response:
    return _models_page(request, _me(request))


def _model_body(form: Any) -> J.ModelPortfolioBody:
    tol = str(form.get("tolerance") or "5").strip()
    return J.ModelPortfolioBody(name=str(form.get("name") or "").strip(),
                                description=str(form.get("description") or "").strip(),
                                weights=parse_weights(str(form.get("weights") or "")),
                                tolerance=float(tol) / 100)


def _save_model(request: Request, me: Advisor, form: Any, model_id: int | None) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    key = "errors" if model_id is None else "edit_errors"
    try:
        body = _model_body(form)
        if model_id is None:
            J.create_model(request.state.db, me, body)
        else:
            J.update_model(request.state.db, me, model_id, body)
    except TailorfolioError as exc:
        request.state.db.rollback()
        return _models_page(request, me, http_status(exc), values=values, edit_id=model_id,
                            **{key: {exc.field or "name": exc.message}})
    except ValueError as exc:  # pydantic or the weights text
        errs = ({str(e["loc"][0]): e["msg"] for e in exc.errors()}
                if hasattr(exc, "errors") else {"weights": str(exc)})
        return _models_page(request, me, 422, values=values, edit_id=model_id,
                            **{key: errs})
    return _redirect("/model-portfolios")


@router.post("/model-portfolios", response_class=HTMLResponse)
async def create_model(request: Request) -> Response:
    form = await _form(request)
    return _save_model(request, _me(request), form, None)


@router.post("/model-portfolios/{model_id}", response_class=HTMLResponse)
async def update_model(request: Request, model_id: Id) -> Response:
    form = await _form(request)
    return _save_model(request, _me(request), form, model_id)


@router.post("/model-portfolios/{model_id}/delete", response_class=HTMLResponse)
async def delete_model(request: Request, model_id: Id) -> Response:
    await _form(request)
    me = _me(request)
    try:
        J.delete_model(request.state.db, me, model_id)
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        return _models_page(request, me, http_status(exc), edit_id=model_id,
                            edit_errors={"model_portfolio_id": str(exc)})
    return _redirect("/model-portfolios")


# ------------------------------------------------------------------ overrides

def _overrides_page(request: Request, me: Advisor, client_id: int, status: int = 200,
                    **extra: Any) -> Response:
    from tailorfolio.planning._overrides import OVERRIDE_KINDS

    db = request.state.db
    client = L.get_client(db, me, client_id)
    rows = J.active_overrides(db, client)
    models = {m.id: m for m in J.list_models(db, me)}
    ctx: dict[str, Any] = dict(me=me, client=client, overrides=rows, models=models,
                               kinds=OVERRIDE_KINDS,
                               errors={}, values={})
    ctx.update(extra)
    return render(request, "overrides.html.j2", status=status, **ctx)


@router.get("/clients/{client_id}/overrides", response_class=HTMLResponse)
def overrides_page(request: Request, client_id: Id) -> Response:
    return _overrides_page(request, _me(request), client_id)


def _pct(form: Any, key: str) -> float | None:
    raw = str(form.get(key) or "").strip().rstrip("%").strip()
    return None if raw == "" else float(raw) / 100


@router.post("/clients/{client_id}/overrides", response_class=HTMLResponse)
async def create_override(request: Request, client_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        model_id = str(form.get("model_portfolio_id") or "").strip()
        body = J.OverrideBody(kind=str(form.get("kind") or ""),
                              target=str(form.get("target") or ""), min=_pct(form, "min"),
                              max=_pct(form, "max"),
                              model_portfolio_id=int(model_id) if model_id.isdigit() else None,
                              reason=str(form.get("reason") or ""))
        J.create_override(request.state.db, me, client_id, body)
    except TailorfolioError as exc:
        if http_status(exc) == 404 and exc.field in ("client_id", None):
            raise
        request.state.db.rollback()
        return _overrides_page(request, me, client_id, http_status(exc), values=values,
                               errors={_field_key(exc.field): exc.message})
    except ValueError as exc:
        errs = ({str(e["loc"][0]): e["msg"] for e in exc.errors()}
                if hasattr(exc, "errors") else {"min": "give percentages as numbers"})
        return _overrides_page(request, me, client_id, 422, values=values, errors=errs)
    return _redirect(f"/clients/{client_id}/overrides")


def _field_key(field: str | None) -> str:
    if not field:
        return "kind"
    if field.startswith("preferences."):
        return "target"
    return field if field in ("kind", "target", "min", "max", "reason",
                              "model_portfolio_id") else "target"


@router.post("/clients/{client_id}/overrides/{override_id}/remove",
             response_class=HTMLResponse)
async def remove_override(request: Request, client_id: Id, override_id: Id) -> Response:
    form = await _form(request)
    me = _me(request)
    try:
        J.remove_override(request.state.db, me, client_id, override_id,
                          str(form.get("reason") or ""))
    except TailorfolioError as exc:
        if http_status(exc) == 404:
            raise
        return _overrides_page(request, me, client_id, http_status(exc),
                               errors={f"remove{override_id}": exc.message})
    return _redirect(f"/clients/{client_id}/overrides")
