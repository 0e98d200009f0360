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

Usage: ``python benchmarks/bench_cli.py [--runs N] [--src OTHER_CHECKOUT/src]``.
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


def _env(src: Path = SRC) -> dict[str, str]:
    env = dict(os.environ)
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


def _times_s(args: list[str], runs: int, src: Path) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) time of ``runs`` fresh processes of ``args``, seconds;
    fails loudly on an error. CPU time is what the command itself costs: on a shared machine
    the wall time also holds the time it waited for a core."""
    wall, cpu = [], []
    env = _env(src)
    for _ in range(runs):
        cpu0, start = _children_cpu_s(), time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        wall.append(time.perf_counter() - start)
        cpu.append(_children_cpu_s() - cpu0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--src", type=Path, default=SRC,
                        help="source tree to time (another checkout's src, for a before/after)")
    args = parser.parse_args()
    runs, src = args.runs, args.src.resolve()

    template = subprocess.run(_command("profile-template"), env=_env(src), capture_output=True,
                              text=True, check=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "template.yaml"
        profile.write_text(template, encoding="utf-8")
        rows = [
            ("tailorfolio --help", *_times_s(_command("--help"), runs, src), HELP_TARGET_S),
            ("tailorfolio plan <template>",
             *_times_s(_command("plan", str(profile)), runs, src), PLAN_TARGET_S),
        ]

    print(f"CLI wall time of {src}, {runs} fresh processes each (python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f})")
    print(f"{'command':<30} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} "
          f"{'target s':>9}  met")
    for name, wall, cpu, target in rows:
        median = statistics.median(wall)
        print(f"{name:<30} {median:>9.2f} {min(wall):>7.2f} {max(wall):>7.2f} "
              f"{statistics.median(cpu):>7.2f} {target:>9.2f}  "
              f"{'yes' if median <= target else 'no'}")


if __name__ == "__main__":
    main()
