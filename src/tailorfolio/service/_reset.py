"""Password resets for advisors and client users: request → single-use token → new password.

Rules:

* A token is 256 random bits; only its SHA-256 is stored (like sessions and API keys). It
  expires :data:`RESET_MINUTES` after it is issued, works once, and a newer request replaces
  any older unused token of the same person.
* The request answers the same whether or not the e-mail address has an account (no
  enumeration oracle); at most :data:`MAX_REQUESTS_PER_HOUR` tokens per account are issued an
  hour (more requests are accepted and ignored).
* Setting the new password checks the password policy, ends every session of that person
  (and, for an advisor, every bearer token; API keys are kept: they are revoked on their own
  page) and clears the sign-in throttle of the address.
* There is no mail server: how the link reaches the person is the operator's choice,
  ``TAILORFOLIO_RESET_LINKS`` = ``log`` (default: written to the server log at WARNING, for the
  operator to pass on), ``show`` (also shown on the page — development only: it reveals which
  addresses have accounts) or ``off``. A firm admin can also issue a link for an advisor of the
  firm, and an advisor for a client user of theirs; it is shown once to them.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tailorfolio.service import _security as sec
from tailorfolio.service._errors import AuthenticationError, LimitError
from tailorfolio.service._models import (
    Advisor,
    AuditEntry,
    AuthToken,
    ClientSession,
    ClientUser,
    PasswordReset,
    utcnow,
)
from tailorfolio.service._passwords import password_problem

RESET_MINUTES = 30
MAX_REQUESTS_PER_HOUR = 5
RESET_LINKS_ENV = "TAILORFOLIO_RESET_LINKS"
log = logging.getLogger("tailorfolio.service.reset")


def delivery() -> str:
    """How reset links are delivered: ``log`` (default), ``show`` or ``off``."""
    mode = os.environ.get(RESET_LINKS_ENV, "log").strip().lower()
    return mode if mode in ("log", "show", "off") else "log"


def _audit(db: Session, firm_id: int, advisor_id: int | None, action: str, entity: str,
           entity_id: int | None, **detail: Any) -> None:
    db.add(AuditEntry(firm_id=firm_id, advisor_id=advisor_id, action=action, entity=entity,
                      entity_id=entity_id, detail=detail))


def _person(db: Session, email: str) -> Advisor | ClientUser | None:
    address = email.strip().lower()
    adv = db.scalar(sa.select(Advisor).where(Advisor.email == address,
                                             Advisor.is_active.is_(True)))
    if adv is not None:
        return adv
    return db.scalar(sa.select(ClientUser).where(ClientUser.email == address,
                                                 ClientUser.is_active.is_(True)))


def _owner_clause(person: Advisor | ClientUser) -> Any:
    if isinstance(person, Advisor):
        return PasswordReset.advisor_id == person.id
    return PasswordReset.client_user_id == person.id


def issue(db: Session, person: Advisor | ClientUser, *, by: Advisor | None = None) -> str:
    """A fresh reset token for ``person`` (older unused ones are dropped); commits.

    ``by``: the admin or advisor who issued it for someone else (audited as theirs).
    """
    now = utcnow()
    db.execute(sa.delete(PasswordReset).where(_owner_clause(person),
                                              PasswordReset.used_at.is_(None)))
    token = sec.new_token()
    is_adv = isinstance(person, Advisor)
    db.add(PasswordReset(advisor_id=person.id if is_adv else None,
                         client_user_id=None if is_adv else person.id,
                         token_hash=sec.token_hash(token), created_at=now,
                         expires_at=now + timedelta(minutes=RESET_MINUTES)))
    _audit(db, person.firm_id, by.id if by else (person.id if is_adv else None),
           "reset_issued" if by else "reset_requested",
           "advisor" if is_adv else "client_user", person.id)
    db.commit()
    return token


def request_reset(db: Session, email: str) -> str | None:
    """Issue a reset token for the active advisor or client user with this e-mail.

    Returns the token (for the caller to deliver), or ``None`` when there is no such account
    or it asked too often; the caller answers the same either way.
    """
    person = _person(db, email)
    if person is None:
        db.rollback()
        return None
    since = utcnow() - timedelta(hours=1)
    recent = db.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "reset_requested", AuditEntry.at >= since,
        AuditEntry.entity == ("advisor" if isinstance(person, Advisor) else "client_user"),
        AuditEntry.entity_id == person.id))
    if int(recent or 0) >= MAX_REQUESTS_PER_HOUR:
        db.rollback()
        return None
    token = issue(db, person)
    if delivery() != "off":
        log.warning("password reset link for %s (valid %d min): /reset/%s", person.email,
                    RESET_MINUTES, token)
    return token


INVALID = "This reset link is invalid, was already used or has expired."


def _valid_row(db: Session, token: str) -> PasswordReset:
    row = db.scalar(sa.select(PasswordReset).where(
        PasswordReset.token_hash == sec.token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise AuthenticationError(INVALID, field="token", value="(invalid or expired)",
                                  fix="ask for a new link on the 'Forgot your password?' page")
    return row


def check_token(db: Session, token: str) -> Advisor | ClientUser:
    """The person a valid, unused, unexpired token belongs to.

    Raises
    ------
    AuthenticationError
        The token is unknown, used or expired (one message for all three).
    """
    row = _valid_row(db, token)
    person = db.get(Advisor, row.advisor_id) if row.advisor_id else \
        db.get(ClientUser, row.client_user_id)
    if person is None or not person.is_active:
        raise AuthenticationError(INVALID, field="token", value="(invalid or expired)",
                                  fix="ask for a new link on the 'Forgot your password?' page")
    return person


def reset_password(db: Session, token: str, new_password: str) -> Advisor | ClientUser:
    """Set a new password with a reset token; the token is spent and every session ends.

    Raises
    ------
    AuthenticationError
        The token is invalid, used or expired.
    LimitError
        The new password breaks the password policy (the token stays valid).
    """
    person = check_token(db, token)
    problem = password_problem(new_password, person.email)
    if problem:
        db.rollback()
        raise LimitError(f"The password {problem}.", field="password", value=None,
                         fix="choose a longer, less common password")
    db.commit()  # no lock is held while argon2 runs
    password_hash = sec.hash_password(new_password)
    row = _valid_row(db, token)  # again, after the slow hash: a parallel use has lost
    spent = db.execute(sa.update(PasswordReset).where(PasswordReset.id == row.id,
                                                      PasswordReset.used_at.is_(None))
                       .values(used_at=utcnow())).rowcount
    if spent != 1:
        db.rollback()
        raise AuthenticationError(INVALID, field="token", value="(already used)",
                                  fix="ask for a new link")
    person.password_hash = password_hash
    if isinstance(person, Advisor):
        db.execute(sa.delete(AuthToken).where(AuthToken.advisor_id == person.id))
        _audit(db, person.firm_id, person.id, "password_reset", "advisor", person.id)
    else:
        db.execute(sa.delete(ClientSession).where(ClientSession.client_user_id == person.id))
        _audit(db, person.firm_id, None, "password_reset", "client_user", person.id)
    db.commit()
    return person
