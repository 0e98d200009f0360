"""Named what-if scenarios of a plan: the changed inputs and the odds they give, stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tailorfolio.service import _logic as L
from tailorfolio.service._errors import ConflictError, NotFoundError
from tailorfolio.service._models import Advisor
from tailorfolio.service._models_judgement import Scenario
from tailorfolio.service._whatif import WhatIfBody, evaluate

MAX_SCENARIOS_PER_PLAN = 50
"""Scenarios one plan may keep."""


def save_scenario(db: Session, me: Advisor, state: Any, client_id: int, plan_id: int,
                  name: str, body: WhatIfBody) -> Scenario:
    """Evaluate ``body`` on plan ``plan_id`` (the server's own numbers, not the browser's)
    and store it as scenario ``name``.

    Raises
    ------
    NotFoundError
        No such plan among the advisor's clients.
    ConflictError
        The plan already has a scenario of that name, or too many.
    """
    row = L.get_plan(db, me, client_id, plan_id)
    name = name.strip()
    if not name:
        raise ConflictError("A scenario needs a name.", field="name", value=name,
                            fix="name it after what changes (\"retire at 67\")")
    taken = db.scalar(sa.select(Scenario.id).where(Scenario.plan_id == row.id,
                                                   Scenario.name == name))
    if taken is not None:
        raise ConflictError(f"Plan {plan_id} already has a scenario named {name!r}.",
                            field="name", value=name, fix="choose another name")
    count = db.scalar(sa.select(sa.func.count()).where(Scenario.plan_id == row.id)) or 0
    if count >= MAX_SCENARIOS_PER_PLAN:
        raise ConflictError(f"Plan {plan_id} has {count} scenarios, the most it may keep.",
                            field="name", fix="delete scenarios you no longer need")
    results = evaluate(state, row, body)
    db.commit()  # end the read transaction before the write
    sc = Scenario(client_id=row.client_id, plan_id=row.id, name=name,
                  changes=body.model_dump(exclude_none=True), results=results,
                  created_by=me.id)
    db.add(sc)
    db.flush()
    L.audit(db, me, "create", "scenario", sc.id, client_id=row.client_id, plan_id=row.id,
            name=name, changes=sc.changes)
    db.commit()
    return sc


def list_scenarios(db: Session, me: Advisor, client_id: int) -> list[Scenario]:
    """The client's scenarios, newest first."""
    client = L.get_client(db, me, client_id)
    return list(db.scalars(sa.select(Scenario).where(Scenario.client_id == client.id)
                           .order_by(Scenario.id.desc()).limit(500)))


def get_scenario(db: Session, me: Advisor, client_id: int, scenario_id: int) -> Scenario:
    client = L.get_client(db, me, client_id)
    sc = db.scalar(sa.select(Scenario).where(Scenario.id == scenario_id,
                                             Scenario.client_id == client.id))
    if sc is None:
        raise NotFoundError(f"Client {client_id} has no scenario {scenario_id}.",
                            field="scenario_id", value=scenario_id)
    return sc


def delete_scenario(db: Session, me: Advisor, client_id: int, scenario_id: int) -> None:
    sc = get_scenario(db, me, client_id, scenario_id)
    L.audit(db, me, "delete", "scenario", sc.id, client_id=sc.client_id, plan_id=sc.plan_id,
            name=sc.name)
    db.delete(sc)
    db.commit()


def scenario_read(sc: Scenario) -> dict[str, Any]:
    return {"id": sc.id, "client_id": sc.client_id, "plan_id": sc.plan_id, "name": sc.name,
            "changes": sc.changes, "results": sc.results, "created_by": sc.created_by,
            "created_at": sc.created_at.isoformat()}
