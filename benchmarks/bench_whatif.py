"""Benchmark of one what-if evaluation (goal: well under a second).

For each bundled example with goals, a plan is made with the default settings (2,000 goal
paths), a :class:`~tailorfolio.planning._whatif.WhatIf` is prepared from it once (stores the
plan's draws, checks they reproduce the seeded simulation), then each slider move is timed:
saving +10 %, risk level -2, retirement two years later, the first goal's amount +20 %, and
all of them together. Printed: setup time, the median and worst of 5 repetitions per move,
and the same moves when the draws are not stored (re-drawn from the seed every time).

Run: ``PYTHONPATH=src python benchmarks/bench_whatif.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.market import default_market
from tailorfolio.planning import build_plan
from tailorfolio.planning._whatif import WhatIf, WhatIfChange

REPEATS = 5


def moves(wi: WhatIf) -> dict[str, WhatIfChange]:
    ins = wi.inputs()
    first = next(iter(ins.goal_amounts))
    out = {
        "saving +10%": WhatIfChange(annual_saving=ins.annual_saving * 1.1 + 1000),
        "risk level -2": WhatIfChange(risk_level=max(1, ins.risk_level - 2)),
        "goal amount +20%": WhatIfChange(goal_amounts={first: ins.goal_amounts[first] * 1.2}),
    }
    if ins.retirement_age is not None:
        out["retire 2 years later"] = WhatIfChange(retirement_age=ins.retirement_age + 2)
    out["all together"] = WhatIfChange(
        annual_saving=ins.annual_saving * 1.1 + 1000, risk_level=max(1, ins.risk_level - 2),
        retirement_age=None if ins.retirement_age is None else ins.retirement_age + 2,
        goal_amounts={first: ins.goal_amounts[first] * 1.2})
    return out


def timed(wi: WhatIf, change: WhatIfChange) -> tuple[float, float]:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        wi.evaluate(change)
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times)


def main() -> None:
    market = default_market()
    print(f"{'profile':<12} {'move':<22} {'stored draws: median / worst':>30} "
          f"{'re-drawn: median / worst':>26}")
    worst_stored = 0.0
    for name in sorted(EXAMPLE_PROFILES):
        prof = load_example_profile(name)
        plan = build_plan(prof, market)
        t = time.perf_counter()
        wi = WhatIf.from_plan(plan, prof)
        setup = time.perf_counter() - t
        slow = WhatIf.from_plan(plan, prof, store_draws=False)
        mb = 0.0 if wi.stored is None else (wi.stored.log_returns.nbytes
                                             + wi.stored.log_inflation.nbytes) / 2 ** 20
        print(f"{name:<12} setup {setup:.2f} s, stored draws {mb:.0f} MB, "
              f"{wi.n_paths} paths")
        for label, change in moves(wi).items():
            med, worst = timed(wi, change)
            med_s, worst_s = timed(slow, change)
            worst_stored = max(worst_stored, worst)
            print(f"{'':<12} {label:<22} {med * 1e3:>17.0f} / {worst * 1e3:.0f} ms "
                  f"{med_s * 1e3:>17.0f} / {worst_s * 1e3:.0f} ms")
    print(f"worst single evaluation with stored draws: {worst_stored * 1e3:.0f} ms "
          f"({'under' if worst_stored < 1.0 else 'OVER'} one second)")


if __name__ == "__main__":
    main()
