"""Benchmark of what a person at a terminal waits for (run by `make bench`).

Workload, each timed in a fresh Python process (interpreter start included, as a person
typing the command would see it), 5 runs, median reported:

* ``tailorfolio --help`` — the root help (target ≤ 0.3 s);
* ``tailorfolio plan <template>`` — the whole default plan of the profile printed by
  ``tailorfolio profile-template``, goals included, from process start to the printed plan
  (target ≤ 1.5 s).

The commands run as ``python -m tailorfolio`` with this checkout's ``src`` first on
``PYTHONPATH`` and one BLAS/OpenMP thread (``OMP_NUM_THREADS=1``, as the tests run), so the
figures are of this working tree, not of an installed copy. Wall times depend on the load of
the machine: on a shared machine run it when it is quiet and read the spread (min–max) and
the median CPU time (user + system of the process) too, which waiting for a core does not add.

Byte code: an installed tailorfolio has its modules compiled once (pip writes the ``.pyc``
files; an editable install writes them on first use), so by default each command runs once
untimed with a fresh byte-code cache (``PYTHONPYCACHEPREFIX`` in a temporary folder, whatever
``PYTHONDONTWRITEBYTECODE`` the shell sets) and the timed runs read it. ``--bytecode none``
times it without a cache — every run compiles the project's ~1 MB of source again, as a
shell with ``PYTHONDONTWRITEBYTECODE=1`` does (about 0.2–0.3 s more CPU for a plan).

Usage: ``python benchmarks/bench_cli.py [--runs N] [--src OTHER_CHECKOUT/src]
[--bytecode cached|none]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HELP_TARGET_S = 0.3
PLAN_TARGET_S = 1.5


def _env(src: Path = SRC, pycache: Path | None = None) -> dict[str, str]:
    """The commands' environment; with ``pycache``, byte code is written to and read from it
    (the default), without it none is written (``PYTHONDONTWRITEBYTECODE=1``)."""
    env = dict(os.environ)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                    else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    env["COLUMNS"] = "100"  # a fixed terminal width, so the output is the same each run
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tailorfolio", *args]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _times_s(args: list[str], runs: int, env: dict[str, str]
             ) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) time of ``runs`` fresh processes of ``args``, seconds,
    after one untimed run (which fills the byte-code cache, if any); fails loudly on an error.
    CPU time is what the command itself costs: on a shared machine the wall time also holds
    the time it waited for a core."""
    wall, cpu = [], []
    for warm_up in (True, *([False] * runs)):
        cpu0, start = _children_cpu_s(), time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        if not warm_up:
            wall.append(time.perf_counter() - start)
            cpu.append(_children_cpu_s() - cpu0)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--src", type=Path, default=SRC,
                        help="source tree to time (another checkout's src, for a before/after)")
    parser.add_argument("--bytecode", choices=("cached", "none"), default="cached",
                        help="time with the modules' byte code cached (as installed) or "
                             "compiled anew each run")
    args = parser.parse_args()
    runs, src = args.runs, args.src.resolve()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        pycache = Path(tmp) / "pycache" if args.bytecode == "cached" else None
        env = _env(src, pycache)
        template = subprocess.run(_command("profile-template"), env=env, capture_output=True,
                                  text=True, check=True).stdout
        profile = Path(tmp) / "template.yaml"
        profile.write_text(template, encoding="utf-8")
        rows = [
            ("tailorfolio --help", *_times_s(_command("--help"), runs, env), HELP_TARGET_S),
            ("tailorfolio plan <template>",
             *_times_s(_command("plan", str(profile)), runs, env), PLAN_TARGET_S),
        ]

    print(f"CLI wall time of {src}, {runs} fresh processes each (python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, byte code {args.bytecode}, "
          f"load {load_before:.2f} before, {os.getloadavg()[0]:.2f} after)")
    print(f"{'command':<30} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} "
          f"{'target s':>9}  met")
    for name, wall, cpu, target in rows:
        median = statistics.median(wall)
        print(f"{name:<30} {median:>9.2f} {min(wall):>7.2f} {max(wall):>7.2f} "
              f"{statistics.median(cpu):>7.2f} {target:>9.2f}  "
              f"{'yes' if median <= target else 'no'}")


if __name__ == "__main__":
    main()
