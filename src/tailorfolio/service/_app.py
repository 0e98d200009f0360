"""The FastAPI application: settings, database, error handling, security headers, routers."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from tailorfolio._version import __version__
from tailorfolio.errors import TailorfolioError
from tailorfolio.service._config import ServiceSettings
from tailorfolio.service._db import make_engine, run_migrations, session_factory
from tailorfolio.service._errors import PayloadTooLargeError, http_status

CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self' 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "(request)"


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The web service. Migrations run when the application starts.

    Parameters
    ----------
    settings : ServiceSettings, optional
        Defaults to :meth:`ServiceSettings.from_env`.
    """
    settings = settings or ServiceSettings.from_env()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        run_migrations(engine)
        yield
        engine.dispose()

    app = FastAPI(title="tailorfolio", version=__version__, lifespan=lifespan,
                  description="Personalized portfolio plans for advisors: clients, versioned "
                  "profiles, accounts and lots, immutable plans with provenance, audit log. "
                  "Authenticate with `Authorization: Bearer <token or API key>`.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)

    @app.exception_handler(TailorfolioError)
    async def _library_error(request: Request, exc: TailorfolioError) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/health":
            return JSONResponse(exc.to_dict(), status_code=http_status(exc))
        from tailorfolio.service._ui import error_page

        return error_page(request, exc)

    from tailorfolio.service._ui import SignInRequired

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        body = {"error": "HTTPError", "message": str(exc.detail), "field": None, "value": None,
                "expected": None, "fix": None}
        if request.url.path.startswith("/api/"):
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        from tailorfolio.service._errors import ServiceError
        from tailorfolio.service._ui import render

        err = ServiceError(str(exc.detail), field="path", value=request.url.path)
        return render(request, "error.html.j2", status=exc.status_code, error=err, me=None)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api/"):
            from tailorfolio.service._errors import NotFoundError
            from tailorfolio.service._ui import error_page

            return error_page(request, NotFoundError("No such page.", field="path",
                                                     value=request.url.path))
        issues = [{"field": _loc(tuple(e.get("loc", ()))), "message": e.get("msg", ""),
                   "value": None if e.get("type") == "missing" else repr(e.get("input"))[:200],
                   "fix": None} for e in exc.errors()]
        first = issues[0] if issues else {"field": None, "message": "invalid request"}
        body = {"error": "RequestValidationError",
                "message": f"{first['field']}: {first['message']}", "field": first["field"],
                "value": first.get("value"), "expected": None,
                "fix": "correct the named field(s)", "issues": issues}
        return JSONResponse(body, status_code=422)

    @app.middleware("http")
    async def _limits_and_headers(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            exc = PayloadTooLargeError(
                f"The request body has {length} bytes; at most {settings.max_body_bytes} "
                "are accepted.", field="Content-Length", value=int(length),
                fix="send a smaller body or raise TAILORFOLIO_MAX_BODY_BYTES")
            return JSONResponse(exc.to_dict(), status_code=413)
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    from tailorfolio.service._api import router as api_router
    from tailorfolio.service._health import router as health_router
    from tailorfolio.service._ui import router as ui_router

    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(ui_router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
