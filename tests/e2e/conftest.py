"""End-to-end fixtures: the service in a background uvicorn thread, and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

os.environ.setdefault("TAILORFOLIO_INSECURE_FAST_PASSWORD_HASH", "1")

CHROMIUM = os.environ.get("TAILORFOLIO_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(tmp_path):
    """The web service on a free local port (SQLite in tmp_path); yields its base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    from tailorfolio.service import ServiceSettings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ServiceSettings.from_env(data_dir=tmp_path, secret_key="e2e-" + "k" * 40,
                                              goal_paths=2000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian's package, driven by Playwright (no browser download)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `sudo scripts/ensure-system-deps.sh` "
                    "(apt-get install chromium) or set TAILORFOLIO_CHROMIUM")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()
