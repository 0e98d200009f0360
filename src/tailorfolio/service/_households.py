"""Editing a household: goals one by one, lots, and deleting clients — with before/after audit.

Every change of the profile facts (a goal added, changed or removed; the partner or the income
streams) is a new immutable profile version, like ``PUT /profile``: plans made from an older
version keep it. Each change writes one audit entry naming the advisor, the object and a
bounded summary of the object before and after.

Deleting a client is a *soft* delete: the client gets ``deleted_at`` / ``deleted_by`` and
disappears from every list and look-up (``_logic.get_client``), while its profile versions,
accounts, plans and audit trail stay in the database (plans and versions are immutable and
never deleted). The audit entry keeps the client's name, its last profile version and counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tailorfolio.errors import FieldIssue, ProfileValidationError
from tailorfolio.limits import clip_text
from tailorfolio.service import _logic as L
from tailorfolio.service import _schemas as s
from tailorfolio.service._errors import ConflictError, NotFoundError
from tailorfolio.service._models import (
    Account,
    Advisor,
    Client,
    Lot,
    PlanRecord,
    ProfileVersion,
    utcnow,
)

MAX_SUMMARY_FIELDS = 20
"""Most fields listed in one audit summary (the rest are counted)."""


# ------------------------------------------------------------------ request bodies

class GoalBody(BaseModel):
    """One goal, as in the profile's ``goals`` list (validated by the library on save)."""

    model_config = ConfigDict(extra="forbid")
    goal: dict[str, Any] = Field(description="The goal's fields (name, amount, target_year or "
                                 "years, priority, kind, duration_years, current_savings, "
                                 "annual_contribution, contribution_growth, "
                                 "inflation_adjusted).", examples=[{
                                     "name": "College", "amount": 120000,
                                     "target_year": 2036, "priority": "important"}])
    base_version: int | None = Field(default=None, ge=1, description="When given, the edit "
                                     "fails with 409 if the profile has a newer version.")


class GoalPatch(BaseModel):
    """Fields of one goal to change; the others keep their values."""

    model_config = ConfigDict(extra="forbid")
    changes: dict[str, Any] = Field(description="Goal fields to set; null removes a field "
                                    "(back to its default).", examples=[{"amount": 950000}])
    base_version: int | None = Field(default=None, ge=1)


class LotUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    asset: str | None = Field(default=None, min_length=1, max_length=20)
    quantity: float | None = Field(default=None, gt=0, le=1e12, allow_inf_nan=False)
    cost_basis_per_share: float | None = Field(default=None, ge=0, le=1e9, allow_inf_nan=False)
    acquired: date | None = Field(default=None, description="From 1900-01-01 to today.")

    @field_validator("acquired")
    @classmethod
    def _acquired_in_range(cls, value: date | None) -> date | None:
        if value is not None:
            s.LotCreate(asset="X", quantity=1, cost_basis_per_share=0, acquired=value)
        return value


class GoalsRead(BaseModel):
    client_id: int
    version: int
    goals: list[dict[str, Any]]


# ------------------------------------------------------------------ summaries

def summary(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """A bounded copy of ``obj`` for the audit log (texts clipped, at most 20 fields)."""
    if obj is None:
        return None
    out: dict[str, Any] = {}
    for i, (k, v) in enumerate(obj.items()):
        if i >= MAX_SUMMARY_FIELDS:
            out["…"] = f"{len(obj) - MAX_SUMMARY_FIELDS} more field(s)"
            break
        if isinstance(v, (int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, str):
            out[k] = v if len(v) <= 80 else clip_text(v)
        else:
            out[k] = clip_text(v)
    return out


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    """``{"goals": [{"amount": 1}]}`` as ``{"goals[0].amount": 1}`` (scalars at the leaves)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def _facts_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The top-level facts that changed, and each changed leaf before and after
    (``goals[1].amount``), at most :data:`MAX_SUMMARY_FIELDS` of them."""
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    flat_old: dict[str, Any] = {}
    flat_new: dict[str, Any] = {}
    _flatten({k: old.get(k) for k in keys}, "", flat_old)
    _flatten({k: new.get(k) for k in keys}, "", flat_new)
    leaves = [k for k in dict.fromkeys([*flat_old, *flat_new])
              if flat_old.get(k) != flat_new.get(k)]
    return {"changed": keys[:MAX_SUMMARY_FIELDS],
            "before": summary({k: flat_old.get(k) for k in leaves}),
            "after": summary({k: flat_new.get(k) for k in leaves})}


def lot_summary(lot: Lot) -> dict[str, Any]:
    return {"asset": lot.asset, "quantity": lot.quantity,
            "cost_basis_per_share": lot.cost_basis_per_share,
            "acquired": lot.acquired.isoformat()}


def account_summary(acct: Account) -> dict[str, Any]:
    return {"name": acct.name, "type": acct.type, "cash": acct.cash,
            "annual_contribution": acct.annual_contribution, "lots": len(acct.lots)}


# ------------------------------------------------------------------ profile facts

def save_facts(db: Session, me: Advisor, client: Client, facts: dict[str, Any],
               base_version: int | None, entity: str, entity_id: int | None,
               action: str, **detail: Any) -> ProfileVersion:
    """Validate ``facts`` and store them as the client's next profile version, with one audit
    entry (``action`` on ``entity``; ``detail`` plus the version). A stale ``base_version`` is
    a 409; racing writers are arbitrated by the (client, version) unique constraint."""
    current = L.latest_profile(db, client)
    if base_version is not None and base_version != current.version:
        db.rollback()
        raise L._stale(base_version, current.version)
    clean = L.validate_profile_facts(facts, client.name)
    row = ProfileVersion(client_id=client.id, version=current.version + 1, data=clean,
                         created_by=me.id)
    db.add(row)
    client.updated_at = utcnow()
    L.audit(db, me, action, entity, entity_id, client_id=client.id,
            version=current.version + 1, **detail)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise L._stale(current.version, current.version + 1) from None
    return row


def _goals(version: ProfileVersion) -> list[dict[str, Any]]:
    return [dict(g) for g in version.data.get("goals", [])]


def _goal_at(version: ProfileVersion, index: int) -> dict[str, Any]:
    goals = _goals(version)
    if not 0 <= index < len(goals):
        raise NotFoundError(f"The profile has {len(goals)} goal(s); there is no goal {index} "
                            "(goals are numbered from 0).", field="goal_index", value=index,
                            expected=f"0 to {len(goals) - 1}",
                            fix="list the goals with GET /api/v1/clients/{id}/goals")
    return goals[index]


def _prefixed(exc: ProfileValidationError, index: int) -> ProfileValidationError:
    """Issues of ``profile.goals[index].x`` renamed ``goal.x`` (the body's field)."""
    head = f"profile.goals[{index}]"
    return ProfileValidationError([FieldIssue(
        "goal" + i.field[len(head):] if i.field.startswith(head) else i.field, i.value,
        i.message, i.fix) for i in exc.issues])


def list_goals(db: Session, me: Advisor, client_id: int) -> GoalsRead:
    client = L.get_client(db, me, client_id)
    v = L.latest_profile(db, client)
    return GoalsRead(client_id=client.id, version=v.version, goals=_goals(v))


def add_goal(db: Session, me: Advisor, client_id: int, body: GoalBody) -> ProfileVersion:
    client = L.get_client(db, me, client_id)
    current = L.latest_profile(db, client)
    goals = _goals(current) + [body.goal]
    facts = {**current.data, "goals": goals}
    try:
        clean = L.validate_profile_facts(facts, client.name)
    except ProfileValidationError as exc:
        raise _prefixed(exc, len(goals) - 1) from None
    return save_facts(db, me, client, facts, body.base_version, "goal", len(goals) - 1,
                      "create", after=summary(clean["goals"][-1]))


def update_goal(db: Session, me: Advisor, client_id: int, index: int, body: GoalPatch
                ) -> ProfileVersion:
    client = L.get_client(db, me, client_id)
    current = L.latest_profile(db, client)
    before = _goal_at(current, index)
    after = {**before, **body.changes}
    after = {k: v for k, v in after.items() if v is not None}
    # A new date replaces the other form of the date (both given: the library says so).
    if body.changes.get("target_year") is not None and "years" not in body.changes:
        after.pop("years", None)
    elif body.changes.get("years") is not None and "target_year" not in body.changes:
        after.pop("target_year", None)
    goals = _goals(current)
    goals[index] = after
    facts = {**current.data, "goals": goals}
    try:
        clean = L.validate_profile_facts(facts, client.name)["goals"][index]
    except ProfileValidationError as exc:
        raise _prefixed(exc, index) from None
    return save_facts(db, me, client, facts, body.base_version, "goal", index, "update",
                      name=clean.get("name"), before=summary(before), after=summary(clean))


def delete_goal(db: Session, me: Advisor, client_id: int, index: int,
                base_version: int | None = None) -> ProfileVersion:
    client = L.get_client(db, me, client_id)
    current = L.latest_profile(db, client)
    before = _goal_at(current, index)
    goals = _goals(current)
    if len(goals) == 1:
        raise ConflictError("A profile needs at least one goal; this is the last one.",
                            field="goal_index", value=index,
                            fix="add the new goal first, then delete this one")
    del goals[index]
    return save_facts(db, me, client, {**current.data, "goals": goals}, base_version, "goal",
                      index, "delete", name=before.get("name"), before=summary(before))


def update_profile_facts(db: Session, me: Advisor, client_id: int, facts: dict[str, Any],
                         base_version: int) -> ProfileVersion:
    """The whole profile facts from the household form, audited with what changed."""
    client = L.get_client(db, me, client_id)
    current = L.latest_profile(db, client)
    clean = L.validate_profile_facts(facts, client.name)
    return save_facts(db, me, client, facts, base_version, "profile", client.id, "update",
                      **_facts_diff(current.data, clean))


# ------------------------------------------------------------------ accounts and lots

def get_lot(db: Session, me: Advisor, client_id: int, account_id: int, lot_id: int
            ) -> tuple[Account, Lot]:
    acct = L.get_account(db, me, client_id, account_id)
    lot = db.scalar(sa.select(Lot).where(Lot.id == lot_id, Lot.account_id == acct.id))
    if lot is None:
        raise NotFoundError(f"Account {account_id} has no lot {lot_id}.", field="lot_id",
                            value=lot_id)
    return acct, lot


def update_lot(db: Session, me: Advisor, client_id: int, account_id: int, lot_id: int,
               body: LotUpdate) -> Lot:
    acct, lot = get_lot(db, me, client_id, account_id, lot_id)
    before = lot_summary(lot)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "asset" in changes:
        changes["asset"] = L._check_asset(changes["asset"], "asset", db, me.firm_id)
    for k, v in changes.items():
        setattr(lot, k, v)
    L.audit(db, me, "update", "lot", lot.id, client_id=acct.client_id, account_id=acct.id,
            before=before, after=lot_summary(lot))
    db.commit()
    return lot


def delete_lot(db: Session, me: Advisor, client_id: int, account_id: int, lot_id: int) -> None:
    acct, lot = get_lot(db, me, client_id, account_id, lot_id)
    before = lot_summary(lot)
    db.delete(lot)
    L.audit(db, me, "delete", "lot", lot_id, client_id=acct.client_id, account_id=acct.id,
            before=before)
    db.commit()


def update_account(db: Session, me: Advisor, client_id: int, account_id: int,
                   body: s.AccountUpdate) -> Account:
    acct = L.get_account(db, me, client_id, account_id)
    before = account_summary(acct)
    changes = body.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if "name" in changes and changes["name"] != acct.name:
        L._name_free(db, acct.client_id, changes["name"])
    for k, v in changes.items():
        setattr(acct, k, v)
    L.audit(db, me, "update", "account", acct.id, client_id=acct.client_id, before=before,
            after=account_summary(acct))
    L._commit(db, "name", acct.name)
    return acct


def delete_account(db: Session, me: Advisor, client_id: int, account_id: int) -> None:
    acct = L.get_account(db, me, client_id, account_id)
    before = {**account_summary(acct), "lot_list": [lot_summary(x) for x in acct.lots[:20]]}
    db.delete(acct)
    L.audit(db, me, "delete", "account", account_id, client_id=acct.client_id,
            before=summary(before))
    db.commit()


# ------------------------------------------------------------------ clients

def update_client(db: Session, me: Advisor, client_id: int, body: s.ClientUpdate) -> Client:
    client = L.get_client(db, me, client_id)
    before = client.name
    client.name = body.name
    client.updated_at = utcnow()
    L.audit(db, me, "update", "client", client.id, before={"name": before},
            after={"name": body.name})
    db.commit()
    return client


def delete_client(db: Session, me: Advisor, client_id: int) -> None:
    """Soft-delete: hidden from every look-up, history kept, one audit entry."""
    client = L.get_client(db, me, client_id)
    version = L.latest_profile(db, client)
    n_plans = db.scalar(sa.select(sa.func.count(PlanRecord.id)).where(
        PlanRecord.client_id == client.id)) or 0
    n_accounts = db.scalar(sa.select(sa.func.count(Account.id)).where(
        Account.client_id == client.id)) or 0
    client.deleted_at = utcnow()
    client.deleted_by = me.id
    L.audit(db, me, "delete", "client", client.id, name=client.name, soft=True,
            before={"name": client.name, "profile_version": version.version,
                    "goals": len(version.data.get("goals", [])), "accounts": n_accounts,
                    "plans": n_plans})
    db.commit()
