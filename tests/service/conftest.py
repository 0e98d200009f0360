"""Fixtures for the service tests: an app per test on SQLite or a real PostgreSQL server."""

from __future__ import annotations

import os

import pytest

# argon2's cheapest parameters keep the suite fast; production uses the library defaults
# (tests/service/test_security.py checks those separately).
os.environ["TAILORFOLIO_INSECURE_FAST_PASSWORD_HASH"] = "1"

pytest.importorskip("fastapi", reason="the service extra is not installed "
                    "(pip install 'tailorfolio[service]')")

from fastapi.testclient import TestClient
from .svc_helpers import PostgresCluster, make_settings

from tailorfolio.service import create_app


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL cluster (one per test process), or a clear skip if impossible.

    ``TAILORFOLIO_TEST_POSTGRES_URL`` (a server URL whose user may CREATE DATABASE) is used
    instead when set.
    """
    url = os.environ.get("TAILORFOLIO_TEST_POSTGRES_URL")
    if url:
        yield _ExternalPostgres(url)
        return
    # `make test` installs the server (scripts/ensure-system-deps.sh); these skips only fire on
    # a machine where it could not be installed or started, and say why.
    if PostgresCluster.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed; run "
                    "`sudo scripts/ensure-system-deps.sh` (Debian: apt-get install postgresql)")
    cluster = PostgresCluster()
    try:
        cluster.start()
    except Exception as exc:
        cluster.stop()
        pytest.skip(f"could not start a throwaway PostgreSQL cluster: {exc!r}")
    yield cluster
    cluster.stop()


class _ExternalPostgres:
    def __init__(self, url: str) -> None:
        self.url = url

    def new_database(self) -> str:
        import uuid

        import sqlalchemy as sa

        name = "t_" + uuid.uuid4().hex[:12]
        eng = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        eng.dispose()
        return str(sa.make_url(self.url).set(database=name).render_as_string(False))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tf.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def app(tmp_path):
    return create_app(make_settings(tmp_path))


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c
