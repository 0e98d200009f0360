"""Engine, sessions and start-up migrations.

SQLite runs in WAL mode with ``synchronous=FULL``, a busy timeout and foreign keys on. A
session that may write starts its transaction with ``BEGIN IMMEDIATE``, so concurrent writers
queue on the busy timeout instead of failing on a stale snapshot; a read-only session (every
GET) starts a plain deferred ``BEGIN``, which in WAL mode never takes the write lock and is
never blocked by a writer, and it refuses to flush (no write in a GET path). PostgreSQL uses
its defaults (READ COMMITTED; read-only sessions run READ ONLY transactions); lost updates are
prevented by unique constraints (profile versions) and single-statement writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_TIMEOUT_SECONDS = 10
READONLY_OPTION = "tailorfolio_readonly"


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with the pragmas and pooling the service needs."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                     "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            readonly = conn.get_execution_options().get(READONLY_OPTION)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                            pool_timeout=POOL_TIMEOUT_SECONDS)


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """Read-only sessions: no SQLite write lock, READ ONLY on PostgreSQL, and no flush."""
    options: dict[str, Any] = {READONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False,
                        info={"readonly": True})


@sa.event.listens_for(Session, "before_flush")
def _no_write_in_read_session(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.info.get("readonly") and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a read-only (GET) session tried to write")


def run_migrations(engine: sa.Engine) -> None:
    """Upgrade the database to the newest schema (idempotent; run at every start)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
