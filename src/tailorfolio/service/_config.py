"""Service settings from the environment, and the secret generated on first start."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tailorfolio.errors import ParameterError

DEFAULT_SESSION_MINUTES = 8 * 60
DEFAULT_MAX_UPLOAD_BYTES = 1_000_000
DEFAULT_MAX_BODY_BYTES = 2_000_000
DEFAULT_GOAL_PATHS = 2000
"""The library's default (``PlanSettings.goal_paths``)."""
DEFAULT_PLAN_WORKERS = max(1, min(2, os.cpu_count() or 1))
DEFAULT_MAX_QUEUED_JOBS = 200
DEFAULT_MAX_JOBS_PER_ADVISOR = 100
DEFAULT_PLAN_TIME_BUDGET_SECONDS = 120

# ------------------------------------------------------------------ input limits of the service
# The service's own bounds on what one request may ask of it. They belong with the library's
# documented input limits (``tailorfolio.limits``, being written on another branch); until that
# module lands they live here, and the service reads them only from here.
MIN_DATE = date(1900, 1, 1)
"""Earliest date anywhere in the service's inputs (lots acquired, ``as_of``)."""
MAX_AS_OF_FUTURE_DAYS = 366
"""A plan's ``as_of`` may be at most this many days after the server's date."""
MAX_GOALS = 50
"""Goals in one profile."""
MAX_GOAL_YEARS_AHEAD = 100
"""A goal's ``target_year`` at most this many years after the current year."""
MAX_ACCOUNTS_PER_CLIENT = 50
MAX_LOTS_PER_ACCOUNT = 2000
MAX_LOTS_PER_CLIENT = 10_000
MAX_ID = 2_147_483_647
"""Largest id accepted in a path or form (a 32-bit signed integer, the databases' key)."""
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def default_data_dir() -> Path:
    """``$TAILORFOLIO_DATA_DIR``, else ``$XDG_DATA_HOME/tailorfolio`` (``~/.local/share``)."""
    if os.environ.get("TAILORFOLIO_DATA_DIR"):
        return Path(os.environ["TAILORFOLIO_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tailorfolio"


def _int_env(name: str, default: int, low: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low:
        raise ParameterError(f"Environment variable {name}={raw!r} is not a whole number "
                             f">= {low}.", field=name, value=raw, expected=f"integer >= {low}",
                             fix=f"set {name} to a whole number or unset it")
    return value


@dataclass(frozen=True)
class ServiceSettings:
    """Configuration of one service instance.

    Attributes
    ----------
    database_url : str
        SQLAlchemy URL; ``sqlite:///<data_dir>/tailorfolio.db`` by default,
        ``postgresql+psycopg://user:pw@host/db`` for PostgreSQL.
    data_dir : Path
        Where the SQLite database and the generated secret live.
    secret_key : str
        Key for CSRF tokens; ``$TAILORFOLIO_SECRET_KEY`` or a file ``secret.key`` in
        ``data_dir`` created (mode 0600) on first start. Never stored in the database.
    session_minutes : int
        Lifetime of a sign-in session or API token.
    cookie_secure : str
        ``auto`` (Secure flag when the request came over HTTPS), ``true`` or ``false``.
    max_upload_bytes, max_body_bytes : int
        Largest CSV upload and largest request body accepted.
    allow_signup : bool
        Whether anyone may create a new firm (first advisor) through /signup.
    goal_paths : int
        Monte Carlo paths of each plan's goals section (``PlanSettings.goal_paths``; 0 skips
        the section and makes plans about 30 times faster).
    plan_workers : int
        Plans computed at once (each in its own worker process; default: the cores, at most 2).
    plan_executor : str
        ``process`` (default: a pool of worker processes, so plans use every core despite the
        GIL and a plan over its time budget is killed) or ``thread`` (in-process threads, for
        tests: the budget is then only checked when the plan returns).
    max_queued_jobs, max_jobs_per_advisor : int
        Plan jobs waiting or running at once, in total and per advisor; beyond them a new plan
        is refused with 503 (server busy) or 429 (this advisor), both with ``Retry-After``.
    plan_time_budget_seconds : int
        Wall-clock time one plan may take before it is stopped and its job marked failed.
    enable_docs : bool
        Serve the interactive API docs at /docs (Swagger UI from a CDN, under a CSP that allows
        only that CDN). Off by default: the schema stays at /openapi.json.
    """

    database_url: str
    data_dir: Path
    secret_key: str
    session_minutes: int = DEFAULT_SESSION_MINUTES
    cookie_secure: str = "auto"
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    allow_signup: bool = True
    goal_paths: int = DEFAULT_GOAL_PATHS
    plan_workers: int = DEFAULT_PLAN_WORKERS
    plan_executor: str = "process"
    max_queued_jobs: int = DEFAULT_MAX_QUEUED_JOBS
    max_jobs_per_advisor: int = DEFAULT_MAX_JOBS_PER_ADVISOR
    plan_time_budget_seconds: int = DEFAULT_PLAN_TIME_BUDGET_SECONDS
    enable_docs: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> ServiceSettings:
        """Read ``TAILORFOLIO_*`` variables; keyword arguments override them."""
        data_dir = Path(str(overrides.pop("data_dir", None) or default_data_dir()))
        url = str(overrides.pop("database_url", None) or os.environ.get(
            "TAILORFOLIO_DATABASE_URL") or f"sqlite:///{data_dir / 'tailorfolio.db'}")
        secret = overrides.pop("secret_key", None) or os.environ.get("TAILORFOLIO_SECRET_KEY") \
            or load_or_create_secret(data_dir)
        kwargs: dict[str, object] = dict(
            session_minutes=_int_env("TAILORFOLIO_SESSION_MINUTES", DEFAULT_SESSION_MINUTES, 1),
            cookie_secure=os.environ.get("TAILORFOLIO_COOKIE_SECURE", "auto").lower(),
            max_upload_bytes=_int_env("TAILORFOLIO_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, 1),
            max_body_bytes=_int_env("TAILORFOLIO_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1),
            goal_paths=_int_env("TAILORFOLIO_GOAL_PATHS", DEFAULT_GOAL_PATHS, 0),
            allow_signup=os.environ.get("TAILORFOLIO_ALLOW_SIGNUP", "true").lower()
            not in ("0", "false", "no"),
            plan_workers=_int_env("TAILORFOLIO_PLAN_WORKERS", DEFAULT_PLAN_WORKERS, 1),
            plan_executor=os.environ.get("TAILORFOLIO_PLAN_EXECUTOR", "process").lower(),
            max_queued_jobs=_int_env("TAILORFOLIO_MAX_QUEUED_JOBS", DEFAULT_MAX_QUEUED_JOBS, 1),
            max_jobs_per_advisor=_int_env("TAILORFOLIO_MAX_JOBS_PER_ADVISOR",
                                          DEFAULT_MAX_JOBS_PER_ADVISOR, 1),
            plan_time_budget_seconds=_int_env("TAILORFOLIO_PLAN_TIME_BUDGET_SECONDS",
                                              DEFAULT_PLAN_TIME_BUDGET_SECONDS, 1),
            enable_docs=os.environ.get("TAILORFOLIO_ENABLE_DOCS", "false").lower()
            in ("1", "true", "yes"),
        )
        kwargs.update(overrides)
        if kwargs["cookie_secure"] not in ("auto", "true", "false"):
            raise ParameterError("TAILORFOLIO_COOKIE_SECURE must be auto, true or false.",
                                 field="TAILORFOLIO_COOKIE_SECURE",
                                 value=kwargs["cookie_secure"], expected="auto|true|false")
        if kwargs["plan_executor"] not in ("process", "thread"):
            raise ParameterError("TAILORFOLIO_PLAN_EXECUTOR must be process or thread.",
                                 field="TAILORFOLIO_PLAN_EXECUTOR",
                                 value=kwargs["plan_executor"], expected="process|thread")
        return cls(database_url=url, data_dir=data_dir, secret_key=str(secret), **kwargs)


def load_or_create_secret(data_dir: Path) -> str:
    """The instance secret in ``data_dir/secret.key``, created with mode 0600 if absent."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value
