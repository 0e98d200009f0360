"""The default plan does not load the conic-solver stack it does not use.

``tailorfolio plan`` of the template makes no cvxpy solve (its allocations come from the
Clarabel QP of ``optimize/_qp.py`` and closed forms), so importing cvxpy — about 2 s with the
``scipy.stats`` it pulls in — would be pure start-up cost. The check runs the command in a
fresh interpreter (this process's ``sys.modules`` already holds everything) and reads which
modules it loaded; no timing is asserted (the wall times are in ``benchmarks/bench_cli.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

_PROBE = textwrap.dedent("""
    import json, sys, tempfile
    from pathlib import Path
    from typer.testing import CliRunner
    from tailorfolio.cli.app import app
    from tailorfolio.cli._template import profile_template

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "me.yaml"
        path.write_text(profile_template())
        res = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "100"})
    print(json.dumps({"exit_code": res.exit_code, "output": res.output,
                      "modules": sorted(sys.modules)}))
""")


@pytest.fixture(scope="module")
def default_plan_run() -> dict:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_the_default_plan_is_built_and_printed(default_plan_run: dict) -> None:
    assert default_plan_run["exit_code"] == 0, default_plan_run["output"]
    assert "Goal" in default_plan_run["output"] or "goal" in default_plan_run["output"]


@pytest.mark.slow
def test_the_default_plan_does_not_import_cvxpy(default_plan_run: dict) -> None:
    loaded = {m.split(".")[0] for m in default_plan_run["modules"]}
    assert "cvxpy" not in loaded
    assert "scipy.stats" not in default_plan_run["modules"]
