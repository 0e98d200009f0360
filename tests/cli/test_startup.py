"""A person at a terminal must not wait: ``--help`` does not load the numeric stack.

Each check runs in a fresh interpreter (``sys.modules`` of the test process already holds
everything), then reads which modules the command line imported. No timing is asserted here:
the wall times are in ``benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

HEAVY = ("numpy", "pandas", "scipy", "sklearn", "cvxpy", "plotly", "fastapi", "pyarrow",
         "hmmlearn", "yaml", "sqlalchemy", "dask")
"""Modules the help path must not import (each takes from tens of ms to seconds)."""

TYPER_OWN = ("pydantic",)
"""Typer itself imports pydantic to describe a subcommand's option types (typer._adapters);
``tailorfolio --help`` alone must not."""

_PROBE = textwrap.dedent("""
    import json, sys
    import typer
    from typer.testing import CliRunner
    from tailorfolio.cli.app import app

    runner = CliRunner()
    group = typer.main.get_command(app)
    report = {"after_import": sorted(sys.modules), "help": {}}
    for name in ["", *sorted(group.commands)]:
        args = [name, "--help"] if name else ["--help"]
        res = runner.invoke(app, args, env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
        cmd = group.commands.get(name, group)
        options = sorted(o for p in cmd.params for o in p.opts if o.startswith("-"))
        report["help"][name] = {"exit_code": res.exit_code, "output": res.output,
                                "options": options}
        if not name:
            report["after_root_help"] = sorted(sys.modules)
    report["after_help"] = sorted(sys.modules)
    print(json.dumps(report))
""")


def _run(code: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _heavy(modules: list[str], heavy: tuple[str, ...] = HEAVY + TYPER_OWN) -> list[str]:
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in heavy})


@pytest.fixture(scope="module")
def probe() -> dict:
    return _run(_PROBE)


def test_importing_the_cli_loads_no_heavy_module(probe: dict) -> None:
    assert _heavy(probe["after_import"]) == []


def test_the_root_help_loads_no_heavy_module(probe: dict) -> None:
    assert _heavy(probe["after_root_help"]) == []


def test_the_root_help_does_not_load_typers_rich_help(probe: dict) -> None:
    """The root page is drawn by ``cli/_root_help.py``: typer's rich help module and the
    Markdown and traceback renderers it imports (~0.1 s) stay unloaded."""
    loaded = [m for m in probe["after_root_help"]
              if m in ("typer.rich_utils", "rich.markdown", "rich.traceback")
              or m.split(".")[0] in ("markdown_it", "pygments")]
    assert loaded == []
    root = probe["help"][""]["output"]
    assert "Usage:" in root and "Options" in root and "Commands" in root
    assert "Show the version and exit." in root


def test_every_subcommand_help_loads_no_heavy_module(probe: dict) -> None:
    assert len(probe["help"]) > 10  # the root and every subcommand were asked
    assert _heavy(probe["after_help"], HEAVY) == []


def test_every_help_still_lists_every_option(probe: dict) -> None:
    for name, h in probe["help"].items():
        assert h["exit_code"] == 0, (name, h["output"])
        missing = [o for o in h["options"] if o not in h["output"]]
        assert not missing, (name or "tailorfolio", missing)


def test_the_root_help_lists_every_command(probe: dict) -> None:
    root = probe["help"][""]["output"]
    assert [c for c in probe["help"] if c and c not in root] == []


def test_import_tailorfolio_is_light_and_every_public_name_still_resolves() -> None:
    code = textwrap.dedent("""
        import json, sys
        import tailorfolio
        light = sorted(sys.modules)
        names = {n: type(getattr(tailorfolio, n)).__name__ for n in tailorfolio.__all__}
        print(json.dumps({"light": light, "names": names, "dir": dir(tailorfolio)}))
    """)
    got = _run(code)
    assert _heavy(got["light"]) == []
    import tailorfolio

    assert set(got["names"]) == set(tailorfolio.__all__)
    assert set(tailorfolio.__all__) <= set(got["dir"])


@pytest.mark.parametrize("package", ["tailorfolio", "tailorfolio.market", "tailorfolio.planning",
                                     "tailorfolio.estimate", "tailorfolio.dynamic",
                                     "tailorfolio.goals", "tailorfolio.esg", "tailorfolio.optimize",
                                     "tailorfolio.kernel", "tailorfolio.datasets"])
def test_lazy_package_exports_are_the_defining_objects(package: str) -> None:
    mod = importlib.import_module(package)
    for name in mod.__all__:
        value = getattr(mod, name)
        assert value is not None, name
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        getattr(mod, "not_a_name")


def test_lazy_exports_match_the_modules_that_define_them() -> None:
    from tailorfolio.kernel import KKTReport
    from tailorfolio.market import ReturnModel, default_market
    from tailorfolio.market._defaults import default_market as direct
    from tailorfolio.market._equilibrium import ReturnModel as from_equilibrium
    from tailorfolio.optimize import KKTResiduals
    from tailorfolio.planning import PlanSettings, build_plan
    from tailorfolio.planning._build import build_plan as direct_build

    assert default_market is direct and build_plan is direct_build
    assert ReturnModel is from_equilibrium  # one enum, re-exported where it always was
    assert KKTResiduals is KKTReport  # an export under another name ("module:attribute")
    assert PlanSettings().return_model is ReturnModel.EQUILIBRIUM_VIEWS


def test_version_flag_still_prints_the_version() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-m", "tailorfolio", "--version"], env=env,
                          capture_output=True, text=True, timeout=120)
    import tailorfolio

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"tailorfolio {tailorfolio.__version__}"


def test_the_plan_path_does_not_load_what_only_other_commands_use() -> None:
    """scikit-learn (covariance estimation from prices) and the regime model are not part of
    a plan on the bundled market; the plan command's imports must not load them."""
    code = textwrap.dedent("""
        import json, sys
        import tailorfolio.cli._render, tailorfolio.io, tailorfolio.planning._build
        print(json.dumps(sorted(sys.modules)))
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "tailorfolio.planning._build" in loaded
    unexpected = sorted(m for m in loaded if m.split(".")[0] in ("sklearn", "hmmlearn")
                        or m == "tailorfolio.dynamic._regimes")
    assert unexpected == []


def test_the_console_entry_help_loads_no_numeric_library() -> None:
    """``python -m tailorfolio --help`` as a person types it (``__main__``, the root callback,
    typer's own help rendering), not through the test runner: no numeric library, no
    pydantic, no YAML."""
    code = textwrap.dedent("""
        import json, runpy, sys
        sys.argv = ["tailorfolio", "--help"]
        try:
            runpy.run_module("tailorfolio", run_name="__main__")
        except SystemExit as exc:
            code = exc.code
        print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["code"] in (0, None)
    assert "plan" in done.stdout  # the help was printed
    assert _heavy(got["modules"]) == []


DEFERRED_FROM_THE_PLAN = (
    "tailorfolio.datasets._catalog",  # the backtests' datasets (the plan reads one table)
    "tailorfolio.datasets._french",
    "tailorfolio.datasets._shiller",
    "tailorfolio.esg._data",  # ESG score tables, the ESG frontier and sweep, the S&P sample
    "tailorfolio.esg._frontier",
    "tailorfolio.esg._sample",
    "tailorfolio.esg._sweep",
    "tailorfolio.goals._allocation",  # the goal-based allocation rule (its own command)
    "tailorfolio.kernel._frontier",  # the critical-line frontier (optimizer.frontier())
    "tailorfolio.market._from_prices",  # a market estimated from a price file
    "tailorfolio.market._prices",
    "tailorfolio.optimize._diagnose",  # the infeasibility diagnosis (the error path)
    "tailorfolio.optimize._max_return",  # the highest return (an error message)
    "tailorfolio.optimize._problem",  # the conic fallback (when the kernel does not settle)
)
"""Modules the default plan never uses: they load where they are used (a function-level import
or a lazy package export), not on the plan's path, which pays each module's loading and each
dataclass it defines (0.5–0.8 ms apiece on Python 3.11)."""


def test_the_template_plan_does_not_load_the_modules_it_never_uses(tmp_path: Path) -> None:
    """``tailorfolio plan <template>`` as a person types it (``__main__``, the whole plan, the
    printed result) in a fresh interpreter: none of :data:`DEFERRED_FROM_THE_PLAN` is
    imported."""
    code = textwrap.dedent("""
        import json, runpy, sys
        from tailorfolio.cli._template import profile_template
        path = sys.argv[1]
        with open(path, "w") as f:
            f.write(profile_template())
        sys.argv = ["tailorfolio", "plan", path]
        try:
            runpy.run_module("tailorfolio", run_name="__main__")
        except SystemExit as exc:
            code = exc.code
        print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "me.yaml")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["code"] in (0, None), done.stdout[-2000:]
    modules = set(got["modules"])
    assert "tailorfolio.planning._build" in modules and "tailorfolio.kernel._solve" in modules
    assert sorted(m for m in DEFERRED_FROM_THE_PLAN if m in modules) == []
