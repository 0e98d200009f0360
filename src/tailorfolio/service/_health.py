"""GET /health: the service is up and its database answers."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tailorfolio._version import __version__
from tailorfolio.service._schemas import Health

router = APIRouter()


@router.get("/health", response_model=Health, tags=["health"],
            responses={503: {"model": Health}})
def health(request: Request) -> JSONResponse:
    """200 when the database answers a query, 503 otherwise."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        state, code = "ok", 200
    except sa.exc.SQLAlchemyError:
        state, code = "unavailable", 503
    return JSONResponse({"status": "ok" if code == 200 else "degraded", "database": state,
                         "version": __version__}, status_code=code)
