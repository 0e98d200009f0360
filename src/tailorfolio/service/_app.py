"""The FastAPI application: settings, database, error handling, security headers, routers."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from base64 import b64encode
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from tailorfolio._version import __version__
from tailorfolio.errors import TailorfolioError
from tailorfolio.service._config import ServiceSettings
from tailorfolio.service._db import (
    make_engine,
    read_session_factory,
    run_migrations,
    session_factory,
)
from tailorfolio.service._errors import PayloadTooLargeError, ServiceError, http_status
from tailorfolio.service._jobs import JobRunner

CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self' 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"
STATIC_CACHE = "public, max-age=3600"
log = logging.getLogger("tailorfolio.service")


class RequestGuard:
    """Outer ASGI layer: body limit on the stream, security headers, no bare 500.

    * The request body is read here, before routing and authentication, and at most
      ``max_body_bytes`` of it: a ``Content-Length`` above the limit is refused at once, and a
      chunked body is refused (413) as soon as its running total exceeds the limit. The
      application then gets the buffered body.
    * Every response, including the 413 and error pages, gets the security headers and the
      CSP; everything but static assets gets ``Cache-Control: no-store`` (the pages and API
      responses carry personal data), unless the route set its own.
    * An unexpected exception becomes a plain JSON 500 with the same headers (and is logged).
    """

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        path = scope.get("path", "")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    headers.setdefault(k, v)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("Cache-Control", STATIC_CACHE if path.startswith("/static/")
                                   else "no-store")
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        try:
            body = await self._read_body(scope, receive)
        except _TooLarge as exc:
            await self._send_json(send_with_headers, 413, exc.error.to_dict(),
                                  {"Connection": "close"})
            return
        if body is not None:
            replayed = False

            async def receive_buffered() -> Any:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            inner_receive = receive_buffered
        else:
            inner_receive = receive
        try:
            await self.app(scope, inner_receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if not started:
                await self._send_json(send_with_headers, 500, {
                    "error": "InternalError", "message": "The server failed on this request; "
                    "the error was logged.", "field": None, "value": None, "expected": None,
                    "fix": "try again; if it persists, report it to the operator"})

    async def _read_body(self, scope: Any, receive: Any) -> bytes | None:
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return None
        limit = self.max_body_bytes
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        length = headers.get(b"content-length", b"").decode("latin-1").strip()
        if length.isdigit() and int(length) > limit:
            raise _TooLarge(_too_large(int(length), limit, "Content-Length"))
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                raise _TooLarge(_too_large(total, limit, "body"))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    async def _send_json(send: Any, status: int, body: dict[str, Any],
                         extra: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(payload)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class _TooLarge(Exception):
    def __init__(self, error: PayloadTooLargeError) -> None:
        self.error = error


def _too_large(size: int, limit: int, field: str) -> PayloadTooLargeError:
    what = f"has {size} bytes" if field == "Content-Length" else f"exceeds {limit} bytes"
    return PayloadTooLargeError(
        f"The request body {what}; at most {limit} are accepted.", field=field,
        value=size, expected=f"<= {limit} bytes",
        fix="send a smaller body or raise TAILORFOLIO_MAX_BODY_BYTES")


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

    sessions = session_factory(engine)
    runner = JobRunner(sessions, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        run_migrations(engine)
        recovered = runner.recover()
        if recovered:
            log.warning("%d plan job(s) of a previous run marked failed", recovered)
        from tailorfolio.service._book import recover_runs

        if recover_runs(sessions):
            log.warning("book re-plan(s) of a previous run marked interrupted")
        runner.start()
        yield
        runner.stop()
        engine.dispose()

    app = FastAPI(title="tailorfolio", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Personalized portfolio plans for advisors: clients, versioned "
                  "profiles, accounts and lots, immutable plans (made by jobs) with "
                  "provenance, audit log. Authenticate with `Authorization: Bearer <token or "
                  "API key>`.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.read_sessions = read_session_factory(engine)
    app.state.jobs = runner

    @app.exception_handler(TailorfolioError)
    async def _library_error(request: Request, exc: TailorfolioError) -> Response:
        headers = exc.headers() if isinstance(exc, ServiceError) else {}
        if request.url.path.startswith("/api/") or request.url.path == "/health":
            return JSONResponse(exc.to_dict(), status_code=http_status(exc), headers=headers)
        from tailorfolio.service._ui import error_page

        resp = error_page(request, exc)
        resp.headers.update(headers)
        return resp

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _database_busy(request: Request, exc: Exception) -> Response:
        """A locked SQLite database or an exhausted connection pool: 503, try again."""
        from tailorfolio.service._errors import ServiceBusyError

        log.warning("database busy on %s %s: %s", request.method, request.url.path,
                    str(exc).splitlines()[0][:200])
        err = ServiceBusyError("The database is busy; try again in a few seconds.",
                               field="database", fix="retry after 2 seconds", retry_after=2)
        return await _library_error(request, err)

    from tailorfolio.service._ui import SignInRequired

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(getattr(exc, "url", "/signin"), status_code=303)

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

    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    if settings.enable_docs:
        _add_docs(app)

    from tailorfolio.service._api import router as api_router
    from tailorfolio.service._api_book import router as book_api_router
    from tailorfolio.service._api_households import router as households_router
    from tailorfolio.service._health import router as health_router
    from tailorfolio.service._ui import router as ui_router
    from tailorfolio.service._ui_admin import router as ui_admin_router
    from tailorfolio.service._ui_book import router as book_ui_router
    from tailorfolio.service._ui_households import router as ui_households_router
    from tailorfolio.service._ui_portal import router as ui_portal_router

    from tailorfolio.service._api_whatif import router as whatif_api_router
    from tailorfolio.service._ui_whatif import router as whatif_ui_router

    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(households_router)
    app.include_router(book_api_router)
    app.include_router(ui_households_router)  # before ui_router: /clients/new
    app.include_router(whatif_api_router)
    app.include_router(whatif_ui_router)
    app.include_router(ui_router)
    app.include_router(book_ui_router)
    app.include_router(ui_admin_router)
    app.include_router(ui_portal_router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def _add_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) under a CSP that allows only its CDN and its own inline script.

    The ``swagger-ui`` assets are not shipped by any installed package, so they come from
    FastAPI's default CDN; the CSP pins the script origin and the inline bootstrap script by
    its SHA-256 hash, and nothing else may run on the page.
    """
    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="tailorfolio API")
        html = page.body.decode()
        hashes = " ".join(
            "'sha256-" + b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
            for m in re.findall(r"<script>(.*?)</script>", html, flags=re.S))
        cdn = "https://cdn.jsdelivr.net"
        csp = (f"default-src 'none'; script-src {cdn} {hashes}; style-src {cdn}; "
               f"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        return Response(html, media_type="text/html", headers={"Content-Security-Policy": csp})
