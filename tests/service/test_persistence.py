"""Persistence on SQLite and a real PostgreSQL server: migrations, schema, versions, provenance."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from .svc_helpers import ACCOUNT, PROFILE, make_plan, make_settings, sign_up

from tailorfolio.service import create_app
from tailorfolio.service._db import make_engine, run_migrations
from tailorfolio.service._models import Base


def test_migrations_build_exactly_the_models_schema(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(database_url)
    run_migrations(engine)
    run_migrations(engine)  # idempotent: a restart re-runs it
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert diff == []
    assert version == _head_revision()


def _head_revision() -> str:
    """The newest migration's revision (the script directory's single head)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    import tailorfolio.service as svc

    return ScriptDirectory(str(Path(svc.__file__).parent / "migrations")).get_current_head()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_full_flow_persists_with_provenance(database_url, tmp_path):
    """Create, version, plan, restart the app on the same database, read everything back.
    Plans carry the goals section here (Monte Carlo), as in production."""
    settings = make_settings(tmp_path, database_url, goal_paths=2000)
    with TestClient(create_app(settings)) as c:
        a = sign_up(c, "p@p.example")
        cid = c.post("/api/v1/clients", headers=a, json={"name": "P", "profile": PROFILE}
                     ).json()["id"]
        c.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
        first = make_plan(c, a, cid)
        r = c.put(f"/api/v1/clients/{cid}/profile", headers=a, json={
            "base_version": 1, "profile": {**PROFILE, "risk_questionnaire": {
                **PROFILE["risk_questionnaire"], "drop_reaction": "sell_all",
                "max_annual_loss": "under_5"}}})
        assert r.status_code == 201
        second = make_plan(c, a, cid)
    with TestClient(create_app(settings)) as c:  # a new process would see the same
        a = {"Authorization": a["Authorization"]}
        plans = c.get(f"/api/v1/clients/{cid}/plans", headers=a).json()
        assert [p["id"] for p in plans["items"]] == [second["id"], first["id"]]
        old = c.get(f"/api/v1/clients/{cid}/plans/{first['id']}", headers=a).json()
        new = c.get(f"/api/v1/clients/{cid}/plans/{second['id']}", headers=a).json()
    # the first plan keeps its inputs although the profile changed: never overwritten
    assert old == first
    assert old["profile_version"] == 1 and new["profile_version"] == 2
    assert old["inputs"]["profile"]["risk_questionnaire"]["drop_reaction"] == "hold"
    assert new["inputs"]["profile"]["risk_questionnaire"]["drop_reaction"] == "sell_all"
    assert new["risk_level"] < old["risk_level"]
    assert old["input_hash"] != new["input_hash"]
    assert old["library_version"] and old["assumptions"]["name"].startswith("Vanguard")
    assert len(old["assumptions"]["correlation"]["matrix"]) == 16
    # the stored inputs reproduce the plan exactly
    from tailorfolio.planning import build_plan
    from tailorfolio.profile import parse_profile

    from tailorfolio.planning import PlanSettings

    assert old["plan"]["goals"]["outcomes"][0]["name"] == "Retirement"
    again = build_plan(parse_profile(old["inputs"]["profile"]),
                       settings=PlanSettings(**old["inputs"]["settings"]))
    assert again.provenance.input_hash == old["input_hash"]
    assert again.weights == old["plan"]["household"]["weights"]


def test_profile_versions_are_kept(database_url, tmp_path):
    with TestClient(create_app(make_settings(tmp_path, database_url))) as c:
        a = sign_up(c, "v@v.example")
        cid = c.post("/api/v1/clients", headers=a, json={"name": "V", "profile": PROFILE}
                     ).json()["id"]
        for v in range(1, 4):
            r = c.put(f"/api/v1/clients/{cid}/profile", headers=a,
                      json={"base_version": v, "profile": {**PROFILE, "age": 41 + v}})
            assert r.status_code == 201 and r.json()["version"] == v + 1
        versions = c.get(f"/api/v1/clients/{cid}/profile/versions", headers=a).json()
        assert [v["data"]["age"] for v in versions["items"]] == [44, 43, 42, 41]
        assert c.get(f"/api/v1/clients/{cid}/profile/versions/2", headers=a
                     ).json()["data"]["age"] == 42
        audit = c.get("/api/v1/audit", headers=a).json()["items"]
        assert [e["action"] for e in audit[:3]] == ["update"] * 3
