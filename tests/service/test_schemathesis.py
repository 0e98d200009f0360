"""Property-based fuzzing of the whole OpenAPI schema with schemathesis, against the live app:
uvicorn on a free loopback port with the production job executor (worker processes).

Every operation gets generated requests (valid and invalid) sent with a signed-in advisor's
token against a seeded database; no response may be a 5xx, and every response must conform to
the documented schema and status codes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

os.environ["TAILORFOLIO_INSECURE_FAST_PASSWORD_HASH"] = "1"

schemathesis = pytest.importorskip("schemathesis")
uvicorn = pytest.importorskip("uvicorn")
import httpx
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tailorfolio.service import ServiceSettings, create_app

from .svc_helpers import ACCOUNT, PROFILE, free_port, make_plan, sign_up

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# would revoke the token the other cases use (sent without credentials instead)
SKIP = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/advisors/{advisor_id}/sessions")}
SEEN: Counter[int] = Counter()
OPERATIONS: set[str] = set()
STATE: dict[str, dict[str, str]] = {}


# the schema is the app's own (no server needed to collect the tests); the requests go to the
# live server of the module fixture below
_SPEC_DIR = tempfile.mkdtemp(prefix="tf-schemathesis-spec-")
atexit.register(shutil.rmtree, _SPEC_DIR, True)
schema = schemathesis.openapi.from_dict(create_app(ServiceSettings.from_env(
    data_dir=Path(_SPEC_DIR), secret_key="s" * 40,
    database_url=f"sqlite:///{_SPEC_DIR}/spec.db")).openapi())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The live server, seeded with one client, account and plan; yields its base URL."""
    d = tmp_path_factory.mktemp("schemathesis")
    app = create_app(ServiceSettings.from_env(data_dir=d, secret_key="s" * 40, goal_paths=0,
                                              plan_workers=2, plan_executor="process",
                                              database_url=f"sqlite:///{d / 'fuzz.db'}"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=120) as c:
        STATE["headers"] = sign_up(c, "fuzz@f.example")
        cid = c.post("/api/v1/clients", headers=STATE["headers"],
                     json={"name": "F", "profile": PROFILE}).json()["id"]
        c.post(f"/api/v1/clients/{cid}/accounts", headers=STATE["headers"], json=ACCOUNT)
        make_plan(c, STATE["headers"], cid)
    yield base
    server.should_exit = True
    thread.join(timeout=30)
    if SEEN:
        print(f"\n[schemathesis] {sum(SEEN.values())} generated requests over "
              f"{len(OPERATIONS)} operations against the live server; status codes "
              f"{dict(sorted(SEEN.items()))}; server errors (5xx): "
              f"{sum(v for k, v in SEEN.items() if k >= 500)}")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=int(os.environ.get("TF_SCHEMATHESIS_EXAMPLES", "12")), deadline=None,
          derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, live):
    if (case.method.upper(), case.path) in SKIP:
        case.headers = {}
    else:
        case.headers = {**(case.headers or {}), **STATE["headers"]}
    response = case.call_and_validate(base_url=live, checks=CHECKS, timeout=120)
    SEEN[response.status_code] += 1
    OPERATIONS.add(case.operation.label)
