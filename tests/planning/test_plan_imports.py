"""The default plan does not load the conic-solver stack it does not use.

``tailorfolio plan`` of the template makes no cvxpy solve (its allocations come from the
Clarabel QP of ``optimize/_qp.py`` and closed forms), so importing cvxpy — about 2 s with the
``scipy.stats`` it pulls in — would be pure start-up cost. The check runs the command in a
fresh interpreter (this process's ``sys.modules`` already holds everything) and reads which
modules it loaded; no timing is asserted (the wall times are in ``benchmarks/bench_cli.py``).

Importing what the plan command imports loads no ``scipy.optimize`` either (about 0.5 s with
the ``scipy.fft`` and ``scipy.spatial`` it pulls in): the portfolio family's equity range has a
closed form, and the linear programs that remain (asset location, a kernel start, the
max-return portfolio) import ``linprog`` when they run. The template's plan runs none of them:
its two accounts' placement has a closed form.
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


NEVER_ON_THE_PLAN = ("cvxpy", "sklearn", "matplotlib", "plotly", "fastapi", "hmmlearn", "arch",
                     "statsmodels", "scipy.stats", "scipy.interpolate", "scipy.integrate")
"""Packages the default plan never calls into (each costs 0.1 s to seconds to import)."""

CALLED_NOT_IMPORTED = ("scipy.optimize", "scipy.fft", "scipy.spatial")
"""What the plan calls only from inside a function (the asset-location LP): importing the plan's
modules must not load them."""

_IMPORT_PROBE = textwrap.dedent("""
    import json, sys
    import tailorfolio.cli.app, tailorfolio.cli._render, tailorfolio.io, tailorfolio._boundary
    import tailorfolio.planning._build, tailorfolio.planning._settings
    print(json.dumps(sorted(sys.modules)))
""")


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages or subpackages) ``modules`` holds, with any submodule."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_importing_the_plan_path_loads_no_solver_it_does_not_call_at_import() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout)
    assert "tailorfolio.planning._build" in modules and "numpy" in modules  # it did import
    assert _loaded(modules, NEVER_ON_THE_PLAN + CALLED_NOT_IMPORTED) == []


def test_the_probe_sees_a_solver_import() -> None:
    """The check above can fail: a module importing ``scipy.optimize`` at the top is seen."""
    code = _IMPORT_PROBE.replace("import json, sys", "import json, sys, scipy.optimize")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _loaded(json.loads(done.stdout), CALLED_NOT_IMPORTED) == sorted(CALLED_NOT_IMPORTED)


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


@pytest.mark.slow
def test_the_default_plan_loads_nothing_it_does_not_call(default_plan_run: dict) -> None:
    assert _loaded(default_plan_run["modules"], NEVER_ON_THE_PLAN) == []


@pytest.mark.slow
def test_the_default_plan_places_its_two_accounts_without_the_lp_solver(
        default_plan_run: dict) -> None:
    """The template's two accounts have distinct after-tax advantages: the placement's
    closed form is the program's unique optimum, so scipy.optimize (0.2 s of CPU to import)
    is not loaded (tax/_location.py::_unique_two_account_optimum)."""
    assert _loaded(default_plan_run["modules"], CALLED_NOT_IMPORTED) == []
