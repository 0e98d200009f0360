"""REST routes for editing households (/api/v1): goals one by one, lots, deleting clients.

Registered next to :mod:`tailorfolio.service._api`; the logic is in
:mod:`tailorfolio.service._households`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from tailorfolio.limits import MAX_GOALS
from tailorfolio.service import _households as H
from tailorfolio.service import _schemas as s
from tailorfolio.service._api import ERRORS, Id
from tailorfolio.service._deps import DB, Me

GoalIndex = Annotated[int, Path(ge=0, le=MAX_GOALS - 1, description="The goal's position in "
                                "the profile's goals, from 0.")]
BaseVersion = Annotated[int | None, Query(ge=1, le=2_147_483_647, description="When given, "
                                          "409 if the profile has a newer version.")]

router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.delete("/clients/{client_id}", status_code=204, tags=["clients"])
def delete_client(client_id: Id, me: Me, db: DB) -> Response:
    """Delete a client (soft): it disappears from lists and look-ups; its profile versions,
    accounts, plans and audit trail are kept, and the audit log records who deleted it."""
    H.delete_client(db, me, client_id)
    return Response(status_code=204)


@router.get("/clients/{client_id}/goals", response_model=H.GoalsRead, tags=["goals"])
def goals(client_id: Id, me: Me, db: DB) -> H.GoalsRead:
    """The goals of the newest profile version, in order (their index is their id)."""
    return H.list_goals(db, me, client_id)


@router.post("/clients/{client_id}/goals", response_model=s.ProfileRead, status_code=201,
             tags=["goals"])
def add_goal(client_id: Id, body: H.GoalBody, me: Me, db: DB) -> s.ProfileRead:
    """Add a goal: a new profile version (errors name ``goal.<field>``)."""
    return s.ProfileRead.model_validate(H.add_goal(db, me, client_id, body))


@router.patch("/clients/{client_id}/goals/{goal_index}", response_model=s.ProfileRead,
              tags=["goals"])
def update_goal(client_id: Id, goal_index: GoalIndex, body: H.GoalPatch, me: Me, db: DB
                ) -> s.ProfileRead:
    """Change some fields of a goal: a new profile version; the audit log keeps before and
    after."""
    return s.ProfileRead.model_validate(H.update_goal(db, me, client_id, goal_index, body))


@router.delete("/clients/{client_id}/goals/{goal_index}", response_model=s.ProfileRead,
               tags=["goals"])
def delete_goal(client_id: Id, goal_index: GoalIndex, me: Me, db: DB,
                base_version: BaseVersion = None) -> s.ProfileRead:
    """Remove a goal (not the last one): a new profile version."""
    return s.ProfileRead.model_validate(H.delete_goal(db, me, client_id, goal_index,
                                                      base_version))


@router.patch("/clients/{client_id}/accounts/{account_id}/lots/{lot_id}",
              response_model=s.LotRead, tags=["accounts"])
def update_lot(client_id: Id, account_id: Id, lot_id: Id, body: H.LotUpdate, me: Me, db: DB
               ) -> s.LotRead:
    """Correct a lot (asset, quantity, cost per share, acquisition date)."""
    return s.LotRead.model_validate(H.update_lot(db, me, client_id, account_id, lot_id, body))
