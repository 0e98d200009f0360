"""``python -m tailorfolio.personalization``: run the evaluation and write the Markdown report
(the edge: the only place here with file I/O and printing)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.market import default_market
from tailorfolio.personalization._markdown import personalization_markdown
from tailorfolio.personalization._policies import ADAPTERS
from tailorfolio.personalization._runner import (
    DEFAULT_PATHS,
    evaluate_household,
    evaluate_population,
    household_seed,
)
from tailorfolio.personalization._population import synthetic_population


WORLD_NOTE = (
    "\n> **World: the forecasts are wrong.** Every policy is built on the bundled capital-market "
    "forecasts, but each household's markets are simulated with expected returns drawn around "
    "them (independent normal errors, sd 1 point for stocks and real assets, 0.5 for bonds, 0.25 "
    "for cash: half the width of Vanguard's published VCMM ranges; "
    "`personalization._runner.true_market`). This is the out-of-sample test of a return model: "
    "a policy optimized exactly on the forecasts pays for trusting them.\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tailorfolio.personalization",
                                 description=__doc__)
    ap.add_argument("--households", type=int, default=1000)
    ap.add_argument("--paths", type=int, default=DEFAULT_PATHS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--adapter", choices=sorted(ADAPTERS), default="plan",
                    help="personalized policy: the plan's own simulation, or the stand-in")
    ap.add_argument("--forecast-error", action="store_true",
                    help="simulate markets whose expected returns differ from the forecasts "
                         "by their published uncertainty (the policies still see the "
                         "forecasts)")
    ap.add_argument("--out", type=Path, default=Path("docs/personalization.md"))
    args = ap.parse_args(argv)

    market = default_market()
    t0 = time.perf_counter()
    bundled = {}
    for i, name in enumerate(sorted(EXAMPLE_PROFILES)):
        bundled[name] = evaluate_household(load_example_profile(name), market,
                                           personalized=ADAPTERS[args.adapter],
                                           n_paths=args.paths,
                                           seed=household_seed(args.seed, i, stream=1),
                                           forecast_error=args.forecast_error)
        print(f"{name}: {bundled[name].seconds:.2f} s", file=sys.stderr)
    population = None
    if args.households > 0:
        profiles = synthetic_population(args.households, market, seed=args.seed)

        def progress(done: int, total: int) -> None:
            if done % 25 == 0 or done == total:
                el = time.perf_counter() - t0
                print(f"{done}/{total} households, {el:,.0f} s", file=sys.stderr)

        population = evaluate_population(profiles, market,
                                         personalized=ADAPTERS[args.adapter],
                                         n_paths=args.paths, seed=args.seed,
                                         jobs=args.jobs, progress=progress,
                                         forecast_error=args.forecast_error)
    command = (f"python -m tailorfolio.personalization --households {args.households} "
               f"--paths {args.paths} --seed {args.seed} --adapter {args.adapter}"
               + (" --forecast-error" if args.forecast_error else "")
               + f" --out {args.out}")
    text = personalization_markdown(bundled, population, command=command,
                                    adapter=args.adapter)
    if args.forecast_error:
        text = text.replace("\n## Method", WORLD_NOTE + "\n## Method", 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} in {time.perf_counter() - t0:,.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
