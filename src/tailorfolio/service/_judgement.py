"""Advisor judgement: the firm's model portfolios and per-client overrides, each override
with its reason, every change in the audit log (see :mod:`tailorfolio.planning._overrides`
for how the plan uses them)."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tailorfolio.service import _logic as L
from tailorfolio.service._errors import ConflictError, NotFoundError
from tailorfolio.service._models import Advisor, Client, utcnow
from tailorfolio.service._models_judgement import ClientOverride, ModelPortfolioRecord

MAX_OVERRIDES_PER_CLIENT = 50
MAX_MODELS_PER_FIRM = 200


class ModelPortfolioBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    weights: dict[str, float] = Field(min_length=1, max_length=200, description=(
        "Ticker → target weight, decimals summing to 1."))
    tolerance: float = Field(default=0.05, ge=0, le=1, description=(
        "Band around each weight when a client follows the model (0.05 = ± 5 points)."))


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lock", "keep", "bounds", "class_bounds", "model"] = Field(description=(
        "lock: hold exactly `min` of an asset; keep: keep today's share of a holding; "
        "bounds / class_bounds: [min, max] for an asset / class; model: follow a model "
        "portfolio within its tolerance."))
    target: str = Field(default="", max_length=120, description="Ticker or asset class "
                        "(empty for a model).")
    min: float | None = Field(default=None, ge=0, le=1)
    max: float | None = Field(default=None, ge=0, le=1)
    model_portfolio_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    reason: str = Field(min_length=3, max_length=1000, description="Why (required, audited).")


# ------------------------------------------------------------------ model portfolios

def _check_model(body: ModelPortfolioBody) -> dict[str, float]:
    from tailorfolio.market._defaults import default_market
    from tailorfolio.planning._overrides import ModelPortfolio, check_model

    weights = {k.strip().upper(): float(v) for k, v in body.weights.items()}
    check_model(ModelPortfolio(body.name, weights, body.tolerance), default_market())
    return weights


def create_model(db: Session, me: Advisor, body: ModelPortfolioBody) -> ModelPortfolioRecord:
    weights = _check_model(body)
    n = db.scalar(sa.select(sa.func.count()).where(
        ModelPortfolioRecord.firm_id == me.firm_id)) or 0
    if n >= MAX_MODELS_PER_FIRM:
        raise ConflictError(f"The firm has {n} model portfolios, the most it may keep.",
                            field="name", fix="delete models no longer used")
    _name_free(db, me, body.name, None)
    row = ModelPortfolioRecord(firm_id=me.firm_id, name=body.name.strip(),
                               description=body.description, weights=weights,
                               tolerance=body.tolerance, created_by=me.id)
    db.add(row)
    db.flush()
    L.audit(db, me, "create", "model_portfolio", row.id, name=row.name, weights=weights,
            tolerance=body.tolerance)
    db.commit()
    return row


def _name_free(db: Session, me: Advisor, name: str, exclude: int | None) -> None:
    stmt = sa.select(ModelPortfolioRecord.id).where(
        ModelPortfolioRecord.firm_id == me.firm_id, ModelPortfolioRecord.name == name.strip())
    found = db.scalar(stmt)
    if found is not None and found != exclude:
        raise ConflictError(f"The firm already has a model portfolio named {name!r}.",
                            field="name", value=name, fix="choose another name")


def list_models(db: Session, me: Advisor) -> list[ModelPortfolioRecord]:
    return list(db.scalars(sa.select(ModelPortfolioRecord).where(
        ModelPortfolioRecord.firm_id == me.firm_id).order_by(ModelPortfolioRecord.name)))


def get_model(db: Session, me: Advisor, model_id: int) -> ModelPortfolioRecord:
    row = db.scalar(sa.select(ModelPortfolioRecord).where(
        ModelPortfolioRecord.id == model_id, ModelPortfolioRecord.firm_id == me.firm_id))
    if row is None:
        raise NotFoundError(f"Your firm has no model portfolio {model_id}.",
                            field="model_portfolio_id", value=model_id)
    return row


def update_model(db: Session, me: Advisor, model_id: int, body: ModelPortfolioBody
                 ) -> ModelPortfolioRecord:
    row = get_model(db, me, model_id)
    weights = _check_model(body)
    _name_free(db, me, body.name, row.id)
    before = {"name": row.name, "weights": row.weights, "tolerance": row.tolerance}
    row.name, row.description, row.weights = body.name.strip(), body.description, weights
    row.tolerance, row.updated_at = body.tolerance, utcnow()
    L.audit(db, me, "update", "model_portfolio", row.id, before=before,
            after={"name": row.name, "weights": weights, "tolerance": body.tolerance})
    db.commit()
    return row


def delete_model(db: Session, me: Advisor, model_id: int) -> None:
    row = get_model(db, me, model_id)
    used = db.scalar(sa.select(sa.func.count()).where(
        ClientOverride.model_portfolio_id == row.id, ClientOverride.removed_at.is_(None)))
    if used:
        raise ConflictError(f"Model portfolio {row.name!r} is followed by {used} client "
                            "override(s).", field="model_portfolio_id", value=row.id,
                            fix="remove those overrides first")
    L.audit(db, me, "delete", "model_portfolio", row.id, name=row.name, weights=row.weights)
    db.execute(sa.update(ClientOverride).where(ClientOverride.model_portfolio_id == row.id)
               .values(model_portfolio_id=None))
    db.delete(row)
    db.commit()


def model_read(row: ModelPortfolioRecord) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "weights": row.weights, "tolerance": row.tolerance,
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


# ------------------------------------------------------------------ overrides

def _as_dict(o: ClientOverride, model: ModelPortfolioRecord | None) -> dict[str, Any]:
    return {"kind": o.kind, "target": model.name if model is not None else o.target,
            "min": o.min_weight, "max": o.max_weight, "reason": o.reason,
            "model": None if model is None else {
                "name": model.name, "weights": model.weights, "tolerance": model.tolerance}}


def create_override(db: Session, me: Advisor, client_id: int, body: OverrideBody
                    ) -> ClientOverride:
    """Record an override; checked against the client's current profile now, so a plan does
    not fail later on a typo.

    Raises
    ------
    ParameterError, ProfileError
        An override the engine cannot use (unknown ticker, min above max, …).
    ConflictError
        Too many overrides.
    """
    from tailorfolio.market._defaults import default_market
    from tailorfolio.planning._overrides import apply_overrides, overrides_from_dicts
    from tailorfolio.profile._parse import parse_profile

    client = L.get_client(db, me, client_id)
    model = None
    if body.kind == "model":
        if body.model_portfolio_id is None:
            raise NotFoundError("A model override needs model_portfolio_id.",
                                field="model_portfolio_id",
                                fix="pick one of the firm's model portfolios")
        model = get_model(db, me, body.model_portfolio_id)
    active = active_overrides(db, client)
    if len(active) >= MAX_OVERRIDES_PER_CLIENT:
        raise ConflictError(f"The client has {len(active)} overrides, the most allowed.",
                            field="kind", fix="remove overrides no longer needed")
    row = ClientOverride(client_id=client.id, kind=body.kind,
                         target=(model.name if model else body.target.strip()),
                         min_weight=body.min, max_weight=body.max,
                         model_portfolio_id=None if model is None else model.id,
                         reason=body.reason.strip(), created_by=me.id)
    inputs, _ = L.profile_inputs(db, client)
    rows = [*overrides_payload(db, client), _as_dict(row, model)]
    apply_overrides(parse_profile(inputs), overrides_from_dicts(rows), default_market())
    db.add(row)
    db.flush()
    L.audit(db, me, "create", "override", row.id, client_id=client.id, kind=row.kind,
            target=row.target, min=row.min_weight, max=row.max_weight, reason=row.reason)
    db.commit()
    return row


def remove_override(db: Session, me: Advisor, client_id: int, override_id: int, reason: str
                    ) -> ClientOverride:
    """End an override (kept, marked removed; the reason goes to the audit log)."""
    client = L.get_client(db, me, client_id)
    row = db.scalar(sa.select(ClientOverride).where(ClientOverride.id == override_id,
                                                    ClientOverride.client_id == client.id))
    if row is None or row.removed_at is not None:
        raise NotFoundError(f"Client {client_id} has no override {override_id} in force.",
                            field="override_id", value=override_id)
    if len(reason.strip()) < 3:
        raise ConflictError("Removing an override needs a reason.", field="reason",
                            fix="say why the plan may now ignore it")
    row.removed_at = utcnow()
    L.audit(db, me, "remove", "override", row.id, client_id=client.id, kind=row.kind,
            target=row.target, reason=reason.strip())
    db.commit()
    return row


def active_overrides(db: Session, client: Client) -> list[ClientOverride]:
    return list(db.scalars(sa.select(ClientOverride).where(
        ClientOverride.client_id == client.id, ClientOverride.removed_at.is_(None))
        .order_by(ClientOverride.id)))


def overrides_payload(db: Session, client: Client) -> list[dict[str, Any]]:
    """The client's overrides in force, as plain data for a plan's inputs (model weights
    copied in, so the plan records what it followed)."""
    out = []
    for o in active_overrides(db, client):
        model = db.get(ModelPortfolioRecord, o.model_portfolio_id) \
            if o.model_portfolio_id else None
        out.append(_as_dict(o, model))
    return out


def with_overrides(db: Session, client: Client, inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` plus the client's overrides in force (unchanged when there are none)."""
    rows = overrides_payload(db, client)
    return {**inputs, "overrides": rows} if rows else inputs


def override_read(row: ClientOverride) -> dict[str, Any]:
    return {"id": row.id, "client_id": row.client_id, "kind": row.kind, "target": row.target,
            "min": row.min_weight, "max": row.max_weight,
            "model_portfolio_id": row.model_portfolio_id, "reason": row.reason,
            "created_by": row.created_by, "created_at": row.created_at.isoformat(),
            "removed_at": None if row.removed_at is None else row.removed_at.isoformat()}
