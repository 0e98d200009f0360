"""The client portal: client users (one household each), their sessions, and what they read.

A client user belongs to exactly one client of one firm and is created by an advisor who may
see that client (:func:`tailorfolio.service._logic.get_client`). Every portal read goes through
:func:`portal_plan` / :func:`portal_plans`, which filter on the user's own ``client_id``; the
portal has no route that takes a client id, and nothing in it writes client data. Portal
sessions live in their own table and cookie, so a client user's token is never accepted by
the advisor pages or the API (and an advisor's is never accepted by the portal).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tailorfolio.service import _logic as L
from tailorfolio.service import _security as sec
from tailorfolio.service._config import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from tailorfolio.service._errors import AuthenticationError, ConflictError, NotFoundError
from tailorfolio.service._models import (
    Advisor,
    AuditEntry,
    Client,
    ClientSession,
    ClientUser,
    Firm,
    PlanRecord,
    utcnow,
)
from tailorfolio.service._schemas import PasswordPolicy

PORTAL_COOKIE = "tf_portal"


class ClientUserCreate(PasswordPolicy):
    """Portal access for a client: the client's e-mail, name and initial password (the
    advisor hands it over; the client can change it with a reset link)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class ClientUserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    name: str
    email: str
    is_active: bool
    created_at: datetime


def _portal_audit(db: Session, user: ClientUser, action: str, **detail: Any) -> None:
    db.add(AuditEntry(firm_id=user.firm_id, advisor_id=None, action=action,
                      entity="client_user", entity_id=user.id,
                      detail={"client_id": user.client_id, **detail}))


# ------------------------------------------------------------------ advisors manage access

def create_client_user(db: Session, me: Advisor, client_id: int, body: ClientUserCreate
                       ) -> ClientUser | None:
    """Portal access for one of the advisor's clients; ``None`` if the e-mail is in use
    outside the firm (the route answers as on success: no cross-firm oracle).

    Raises
    ------
    NotFoundError
        The advisor may not see this client.
    ConflictError
        The e-mail already signs in to this firm (an advisor or a client user of it).
    """
    password_hash = sec.hash_password(body.password)  # before any lock is taken
    client = L.get_client(db, me, client_id)
    email = body.email.strip().lower()
    owners = {db.scalar(sa.select(Advisor.firm_id).where(Advisor.email == email)),
              db.scalar(sa.select(ClientUser.firm_id).where(ClientUser.email == email))}
    owners.discard(None)
    if me.firm_id in owners:
        db.rollback()
        raise ConflictError(f"{email!r} already signs in to your firm.", field="email",
                            value=email, fix="use the client's own e-mail address")
    if owners:
        L.audit(db, me, "create_refused", "client_user", None, client_id=client.id)
        db.commit()
        return None
    user = ClientUser(firm_id=me.firm_id, client_id=client.id, email=email, name=body.name,
                      password_hash=password_hash, created_by=me.id)
    db.add(user)
    db.flush()
    L.audit(db, me, "create", "client_user", user.id, client_id=client.id, email=email)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return None
    return user


def list_client_users(db: Session, me: Advisor, client_id: int) -> list[ClientUser]:
    client = L.get_client(db, me, client_id)
    return list(db.scalars(sa.select(ClientUser).where(ClientUser.client_id == client.id)
                           .order_by(ClientUser.id)))


def get_client_user(db: Session, me: Advisor, client_id: int, user_id: int) -> ClientUser:
    client = L.get_client(db, me, client_id)
    user = db.scalar(sa.select(ClientUser).where(ClientUser.id == user_id,
                                                 ClientUser.client_id == client.id))
    if user is None:
        raise NotFoundError(f"Client {client_id} has no portal user {user_id}.",
                            field="user_id", value=user_id)
    return user


def set_client_user_active(db: Session, me: Advisor, client_id: int, user_id: int,
                           active: bool) -> ClientUser:
    """Turn a client user's portal access off (their sessions end at once) or on again."""
    user = get_client_user(db, me, client_id, user_id)
    user.is_active = active
    if not active:
        db.execute(sa.delete(ClientSession).where(ClientSession.client_user_id == user.id))
    L.audit(db, me, "update", "client_user", user.id, is_active=active)
    db.commit()
    return user


# ------------------------------------------------------------------ client users sign in

def authenticate_client_user(db: Session, email: str, password: str, address: str
                             ) -> ClientUser:
    """The active client user with these credentials (throttled like advisors' sign-ins;
    one message for a wrong e-mail, password or a disabled account)."""
    email = email.strip().lower()
    keys = {k: f"portal-{v}" for k, v in L._throttle_keys(email, address).items()}
    L._throttle_check(db, keys, utcnow())
    user = db.scalar(sa.select(ClientUser).where(ClientUser.email == email))
    db.commit()
    if user is None:
        sec.burn_verify_time(password)
    if user is None or not sec.verify_password(user.password_hash, password) \
            or not user.is_active:
        for _ in range(3):
            try:
                L._throttle_fail(db, keys, utcnow())
                db.commit()
                break
            except IntegrityError:
                db.rollback()
        raise AuthenticationError("E-mail or password is wrong.", field="password",
                                  fix="check both and try again")
    return user


def issue_session(db: Session, user: ClientUser, minutes: int) -> str:
    token = sec.new_token()
    now = utcnow()
    db.execute(sa.delete(ClientSession).where(ClientSession.client_user_id == user.id,
                                              ClientSession.expires_at <= now))
    db.add(ClientSession(client_user_id=user.id, token_hash=sec.token_hash(token),
                         created_at=now, expires_at=now + timedelta(minutes=minutes)))
    _portal_audit(db, user, "portal_sign_in")
    db.commit()
    return token


def user_for_token(db: Session, token: str) -> ClientUser | None:
    """The active client user of a portal session token, if it is valid now."""
    row = db.scalar(sa.select(ClientSession).where(
        ClientSession.token_hash == sec.token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = db.get(ClientUser, row.client_user_id)
    return user if user is not None and user.is_active else None


def end_session(db: Session, user: ClientUser, token: str) -> None:
    db.execute(sa.delete(ClientSession).where(ClientSession.token_hash == sec.token_hash(token)))
    _portal_audit(db, user, "portal_sign_out")
    db.commit()


# ------------------------------------------------------------------ what a client user reads

def portal_client(db: Session, user: ClientUser) -> Client:
    client = db.get(Client, user.client_id)
    if client is None or client.firm_id != user.firm_id:
        raise NotFoundError("Your household was not found.", field="client_id")
    return client


def portal_plans(db: Session, user: ClientUser, limit: int = 50) -> list[PlanRecord]:
    """The user's own household's plans, newest first."""
    return list(db.scalars(sa.select(PlanRecord).where(PlanRecord.client_id == user.client_id)
                           .order_by(PlanRecord.id.desc()).limit(limit)))


def portal_plan(db: Session, user: ClientUser, plan_id: int) -> PlanRecord:
    """One of the user's own household's plans; any other id is not found."""
    row = db.scalar(sa.select(PlanRecord).where(PlanRecord.id == plan_id,
                                                PlanRecord.client_id == user.client_id))
    if row is None:
        raise NotFoundError(f"No plan {plan_id} in your household.", field="plan_id",
                            value=plan_id, fix="open your plans from the portal's home page")
    return row


def plan_people(db: Session, row: PlanRecord) -> dict[str, str | None]:
    """Who prepared a plan (for the investment-policy summary): advisor and firm names."""
    adv = db.get(Advisor, row.created_by)
    firm = db.get(Firm, adv.firm_id) if adv else None
    return {"advisor": adv.name if adv else None, "firm": firm.name if firm else None}
