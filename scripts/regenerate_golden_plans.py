"""Regenerate tests/planning/golden_plans.json: the four bundled investors' risk levels,
household weights, sleeves and goal probabilities (default settings, fixed seed).

Run after a deliberate change to the plan's decisions, read the diff, and say in the commit
why the numbers moved:

    PYTHONPATH=src python scripts/regenerate_golden_plans.py
"""

from __future__ import annotations

import json
from pathlib import Path

import tailorfolio as tf

OUT = Path(__file__).resolve().parents[1] / "tests" / "planning" / "golden_plans.json"


def main() -> None:
    data = {}
    for name in tf.EXAMPLE_PROFILES:
        plan = tf.plan(tf.load_example_profile(name))
        data[name] = {
            "risk_level": plan.risk.level,
            "max_equity_share": round(plan.constraints.max_equity_share, 6),
            "equity_share": round(plan.household.equity_share, 6),
            "weights": {t: round(w, 6) for t, w in plan.weights.items() if w >= 1e-4},
            "sleeves": {s.name: {"amount": round(s.amount, 2),
                                 "equity_share_now": round(s.equity_share_now, 6),
                                 "intensity": s.intensity} for s in plan.sleeves},
            "funding_rule": plan.funding.rule if plan.funding else None,
            "probabilities": {o.name: round(o.probability, 6)
                              for o in (plan.goals.outcomes if plan.goals else ())},
        }
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
