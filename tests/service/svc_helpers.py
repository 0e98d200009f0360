"""Helpers shared by the service tests: example bodies, a throwaway PostgreSQL cluster, and a
real server process (uvicorn via ``tailorfolio serve``)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

PASSWORD = "correct horse battery staple"
PROFILE = {
    "age": 41, "annual_income": 185000, "annual_expenses": 120000,
    "risk_questionnaire": {"drop_reaction": "hold", "max_annual_loss": "10_to_20",
                           "portfolio_choice": "c", "objective": "balanced",
                           "experience": "funds", "self_assessment": "cautious",
                           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"},
    "goals": [{"name": "Retirement", "amount": 1500000, "target_year": 2047}],
    "as_of": "2025-06-30",
}
ACCOUNT = {"name": "Brokerage", "type": "taxable", "cash": 5000,
           "lots": [{"asset": "VTI", "quantity": 300, "cost_basis_per_share": 180,
                     "acquired": "2019-08-12"},
                    {"asset": "BND", "quantity": 400, "cost_basis_per_share": 82,
                     "acquired": "2021-01-11"}]}
SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ PostgreSQL

class PostgresCluster:
    """A throwaway PostgreSQL cluster in a temporary directory on a free local port.

    Started with the Debian server binaries (``/usr/lib/postgresql/*/bin``); as root the
    cluster runs as the ``postgres`` system user (initdb refuses root).
    """

    def __init__(self) -> None:
        self.bindir = self.find_bindir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tf-pg-"))
        self.data = self.dir / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @staticmethod
    def find_bindir() -> str | None:
        for pattern in ("/usr/lib/postgresql/*/bin",):
            for d in sorted(glob.glob(pattern), reverse=True):
                if os.path.exists(os.path.join(d, "initdb")):
                    return d
        found = shutil.which("initdb")
        return os.path.dirname(found) if found else None

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        assert self.bindir
        self._run(f"{self.bindir}/initdb", "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.dir} -c fsync=off "
                "-c max_connections=200 -c shared_buffers=32MB")
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-o", opts, "-w", "-t", "60",
                  "-l", str(self.dir / "log"), "start")

    def stop(self) -> None:
        if self.bindir and self.data.exists():
            subprocess.run([*self.as_user, f"{self.bindir}/pg_ctl", "-D", str(self.data),
                            "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


# ------------------------------------------------------------------ a real server process

class ServerProcess:
    """``python -m tailorfolio serve`` in a subprocess with its own data directory."""

    def __init__(self, data_dir: Path, database_url: str | None = None,
                 goal_paths: int = 0, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.goal_paths = goal_paths
        self.extra_env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "TAILORFOLIO_DATA_DIR": str(self.data_dir),
               "TAILORFOLIO_GOAL_PATHS": str(self.goal_paths), **self.extra_env}
        if self.database_url:
            env["TAILORFOLIO_DATABASE_URL"] = self.database_url
        self.log = open(self.data_dir / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tailorfolio", "serve", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + (self.data_dir / f"server-{self.port}"
                                                        ".log").read_text()[-3000:])
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash or power cut of the process."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if not self.log.closed:
            self.log.close()


def sign_up(client, email: str, firm: str = "Firm") -> dict[str, str]:
    """Create a firm and its admin via the API; return bearer headers (works for TestClient and
    httpx.Client)."""
    r = client.post("/api/v1/auth/signup", json={"firm_name": firm, "name": email.split("@")[0],
                                                 "email": email, "password": PASSWORD})
    assert r.status_code == 202, r.text
    return sign_in(client, email)


def wait_job(client, headers: dict[str, str], job: dict, timeout: float = 120) -> dict:
    """Poll a plan job until it is done or failed; returns its last state."""
    deadline = time.monotonic() + timeout
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job['id']} still {job['status']}"
        time.sleep(0.05)
        r = client.get(f"/api/v1/jobs/{job['id']}", headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
    return job


def make_plan(client, headers: dict[str, str], cid: int, body: dict | None = None) -> dict:
    """Submit a plan job, wait for it, and return the stored plan (``GET .../plans/{id}``).

    A failed job's error body is returned instead, with ``status_code`` added."""
    r = client.post(f"/api/v1/clients/{cid}/plans", headers=headers, json=body or {})
    assert r.status_code == 202, r.text
    job = wait_job(client, headers, r.json())
    if job["status"] == "failed":
        return {**job["error"], "status_code": job["error_status"]}
    r = client.get(job["links"]["plan"], headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def sign_in(client, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def make_settings(tmp_path, database_url=None, **kw):
    """Service settings for a test: data in ``tmp_path``, a fixed secret, SQLite by default,
    and no goals section in plans (``goal_paths=0``: 30x faster) unless asked for."""
    from tailorfolio.service import ServiceSettings

    kw.setdefault("goal_paths", 0)
    kw.setdefault("plan_executor", "thread")  # no worker processes to spawn in each test
    return ServiceSettings.from_env(data_dir=tmp_path, secret_key="test-secret-" + "x" * 32,
                                    database_url=database_url
                                    or f"sqlite:///{tmp_path / 'tf.db'}", **kw)
