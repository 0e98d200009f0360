"""FastAPI dependencies: the database session and the signed-in advisor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from tailorfolio.service._errors import AuthenticationError
from tailorfolio.service._logic import advisor_for_token
from tailorfolio.service._models import Advisor

SESSION_COOKIE = "tf_session"
CSRF_COOKIE = "tf_csrf"


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def open_session(request: Request) -> Session:
    """A read-only session for GET/HEAD (no SQLite write lock), a write session otherwise."""
    state = request.app.state
    return (state.read_sessions if request.method in READ_METHODS else state.sessions)()


def get_db(request: Request) -> Iterator[Session]:
    db = open_session(request)
    try:
        yield db
    finally:
        db.close()


DB = Annotated[Session, Depends(get_db)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def api_advisor(request: Request, db: DB) -> Advisor:
    """The advisor of the ``Authorization: Bearer`` token or API key (401 otherwise)."""
    token = bearer_token(request)
    adv = advisor_for_token(db, token, ("api", "api_key")) if token else None
    db.commit()  # end the look-up's transaction: no lock is held while the route waits
    if adv is None:
        raise AuthenticationError(
            "Sign-in required: send 'Authorization: Bearer <token or API key>'.",
            field="Authorization", value=None if token is None else "(invalid or expired)",
            fix="get a token with POST /api/v1/auth/token or create an API key")
    return adv


Me = Annotated[Advisor, Depends(api_advisor)]


class Paging:
    """``limit`` (1–200, default 50) and ``offset`` (>= 0) query parameters."""

    def __init__(self, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> None:
        self.limit = limit
        self.offset = offset


Pg = Annotated[Paging, Depends()]
