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
the machine: on a shared machine run it when it is quiet and read the spread (min–max) too.

Usage: ``python benchmarks/bench_cli.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HELP_TARGET_S = 0.3
PLAN_TARGET_S = 1.5


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                    else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    env["COLUMNS"] = "100"  # a fixed terminal width, so the output is the same each run
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tailorfolio", *args]


def _wall_times_s(args: list[str], runs: int) -> list[float]:
    """Wall time of ``runs`` fresh processes of ``args``, seconds; fails loudly on an error."""
    times = []
    env = _env()
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    runs = parser.parse_args().runs

    template = subprocess.run(_command("profile-template"), env=_env(), capture_output=True,
                              text=True, check=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "template.yaml"
        profile.write_text(template, encoding="utf-8")
        rows = [
            ("tailorfolio --help", _wall_times_s(_command("--help"), runs), HELP_TARGET_S),
            ("tailorfolio plan <template>",
             _wall_times_s(_command("plan", str(profile)), runs), PLAN_TARGET_S),
        ]

    print(f"CLI wall time, {runs} fresh processes each (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f})")
    print(f"{'command':<30} {'median s':>9} {'min s':>7} {'max s':>7} {'target s':>9}  met")
    for name, times, target in rows:
        median = statistics.median(times)
        print(f"{name:<30} {median:>9.2f} {min(times):>7.2f} {max(times):>7.2f} "
              f"{target:>9.2f}  {'yes' if median <= target else 'no'}")


if __name__ == "__main__":
    main()
