"""The command line ends its process without the interpreter's teardown
(:class:`tailorfolio.cli.app._ExitWithoutTeardown`): it must lose nothing on the way out.

Each check runs ``python -m tailorfolio`` (or ``main()``) in a fresh process, as a person at a
terminal does, and compares what it printed, wrote and returned with what the command itself
produces in process (typer's ``CliRunner``), which does not go through the exit handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailorfolio.cli.app import app

SRC = Path(__file__).resolve().parents[2] / "src"


def _env() -> dict[str, str]:
    """A terminal's environment: the standard output block-buffered on a pipe, as usual."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100", "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONUNBUFFERED", None)
    return env


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tailorfolio", *args], env=_env(),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exit") / "me.yaml"
    done = _cli("profile-template")
    assert done.returncode == 0, done.stderr
    path.write_text(done.stdout)
    return path


@pytest.mark.parametrize("args", [["nosuch-command"], ["plan", "/nonexistent/me.yaml"],
                                  ["plan"], ["--version"]])
def test_the_exit_status_is_the_commands(args: list[str]) -> None:
    expected = CliRunner().invoke(app, args).exit_code
    done = _cli(*args)
    assert done.returncode == expected, (done.stdout, done.stderr)
    if expected:
        assert done.stderr.strip(), "an error must still be explained"


def test_a_whole_plan_is_printed_and_written(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    done = _cli("plan", str(template), "--json", str(out))
    assert done.returncode == 0, done.stderr
    # The last line printed, after ~100 kB of tables, reached the pipe; the file is whole.
    assert done.stdout.rstrip().splitlines()[-1].startswith("Plan written to")
    plan = json.loads(out.read_text())
    assert plan["goals"]["outcomes"], "the plan's goals section was written"


def test_exit_handlers_registered_by_a_command_still_run(tmp_path: Path) -> None:
    """The handler runs last: whatever the command registers on the way (here a marker file
    written at exit) runs before the process ends; output still in Python's buffers (a
    ``print`` to a pipe is block-buffered) is flushed."""
    marker = tmp_path / "ran"
    code = textwrap.dedent(f"""
        import atexit, sys
        import tailorfolio.cli.app as cli

        command = cli.app

        def app_registering_a_handler():
            atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
            try:
                command()
            finally:  # after the command's own output, which typer flushes
                print("buffered end")

        cli.app = app_registering_a_handler
        sys.argv = ["tailorfolio", "--version"]
        cli.main()
    """)
    done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tailorfolio ")
    assert done.stdout.rstrip().endswith("buffered end")
    assert marker.read_text() == "ran"


def test_an_exception_escaping_the_command_keeps_its_traceback_and_status() -> None:
    code = textwrap.dedent("""
        import sys
        import tailorfolio.cli.app as cli

        def broken():
            raise RuntimeError("deliberately broken command")

        cli.app = broken
        sys.argv = ["tailorfolio"]
        cli.main()
    """)
    done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "RuntimeError: deliberately broken command" in done.stderr
