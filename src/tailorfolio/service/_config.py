"""Service settings from the environment, and the secret generated on first start."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tailorfolio.errors import ParameterError

DEFAULT_SESSION_MINUTES = 8 * 60
DEFAULT_MAX_UPLOAD_BYTES = 1_000_000
DEFAULT_MAX_BODY_BYTES = 2_000_000
DEFAULT_GOAL_PATHS = 2000
"""The library's default (``PlanSettings.goal_paths``)."""


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
        )
        kwargs.update(overrides)
        if kwargs["cookie_secure"] not in ("auto", "true", "false"):
            raise ParameterError("TAILORFOLIO_COOKIE_SECURE must be auto, true or false.",
                                 field="TAILORFOLIO_COOKIE_SECURE",
                                 value=kwargs["cookie_secure"], expected="auto|true|false")
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
