"""``docs/personalization.md``: the evaluation's results as Markdown (a pure function)."""

from __future__ import annotations

import numpy as np

from tailorfolio.personalization._metrics import GAMMA, HIGHER_IS_BETTER, METRIC_LABELS, METRICS
from tailorfolio.personalization._policies import (
    BASELINES,
    DRIFT_BAND,
    EQUITY_SLEEVE,
    EVALUATION_FRAME,
    BOND_SLEEVE,
    PERSONALIZED,
    SIXTY_FORTY_EQUITY,
)
from tailorfolio.personalization._population import population_assumptions
from tailorfolio.personalization._runner import HouseholdEvaluation, PopulationEvaluation

ANCHORS = (
    ("Blanchett & Kaplan (2013), *Alpha, Beta, and Now… Gamma*", "+22.6 % certainty-equivalent "
     "retirement income from better planning decisions (≈ +1.59 %/yr)"),
    ("Betterment, Tax Coordination (asset location)", "+0.48 %/yr after tax, typical "
     "(range 0.10–0.82 %/yr)"),
)
"""Published estimates the results are set against (../shared/reference/planning-methods.md
§1.2, §3.3)."""


def _fmt(metric: str, x: float, *, diff: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    sign = "+" if diff and x > 0 else ""
    if metric == "goal_success":
        return f"{sign}{100 * x:.1f} %" if not diff else f"{sign}{100 * x:.1f} pp"
    if metric == "turnover":
        return f"{sign}{100 * x:.2f} %" if not diff else f"{sign}{100 * x:.2f} pp"
    if metric == "ce_log_ratio":
        return f"{sign}{100 * x:.1f} %"
    return f"{sign}${x:,.0f}" if x >= 0 else f"−${-x:,.0f}"


def _pm(metric: str, value: float, se: float, *, diff: bool = False) -> str:
    return f"{_fmt(metric, value, diff=diff)} ± {_fmt(metric, se, diff=diff).lstrip('+')}"


def _verdict(metric: str, d: float, se: float) -> str:
    if not (np.isfinite(d) and np.isfinite(se)):
        return ""
    if abs(d) <= 2 * se:
        return "no clear difference"
    better = (d > 0) == HIGHER_IS_BETTER.get(metric, True)
    return "personalized better" if better else "personalized worse"


def _policy_table(values: dict[str, dict[str, tuple[float, float]]]) -> list[str]:
    head = "| policy | " + " | ".join(METRIC_LABELS[m] for m in METRICS) + " |"
    rows = [head, "|---|" + "---:|" * len(METRICS)]
    for policy, v in values.items():
        rows.append(f"| {policy} | " + " | ".join(_pm(m, *v[m]) for m in METRICS) + " |")
    return rows


def _diff_table(diffs: dict[str, dict[str, tuple[float, float]]]) -> list[str]:
    head = ("| personalized − … | " + " | ".join(METRIC_LABELS[m] for m in METRICS)
            + " | CE ratio, CE(personalized) / CE(…) − 1 |")
    rows = [head, "|---|" + "---:|" * (len(METRICS) + 1)]
    for base, d in diffs.items():
        cells = [f"{_pm(m, *d[m], diff=True)}<br>*{_verdict(m, *d[m])}*" for m in METRICS]
        lr, lr_se = d["ce_log_ratio"]
        ratio = (f"{_fmt('ce_log_ratio', float(np.expm1(lr)), diff=True)} (SE of the log "
                 f"ratio {100 * lr_se:.1f} %)" if np.isfinite(lr) else "n/a")
        rows.append(f"| {base} | " + " | ".join(cells) + f" | {ratio} |")
    return rows


def _reading(pop: PopulationEvaluation, diffs: dict[str, dict[str, tuple[float, float]]]
             ) -> list[str]:
    """Plain sentences generated from the verdicts (so they stay true when re-run)."""
    out = ["### Reading the results", ""]
    for b, d in diffs.items():
        parts = []
        for m in METRICS:
            v = _verdict(m, *d[m])
            if v and v != "no clear difference":
                parts.append(f"{'better' if 'better' in v else 'worse'} on "
                             f"{METRIC_LABELS[m].split(' (')[0]} "
                             f"({_pm(m, *d[m], diff=True)})")
            else:
                parts.append(f"no differently, within 2 SE, on "
                             f"{METRIC_LABELS[m].split(' (')[0]}")
        out.append(f"- Against the **{b}**, the personalized policy does " + "; ".join(parts)
                   + ".")
    out += ["", "A policy can lose on goal success and win on the certainty equivalent (or the "
            "reverse): success counts goals met in full, while the CE of terminal wealth is "
            "driven by the paths that end with little (γ = 3), i.e. by how much is left when "
            "retirement money runs short. Both are reported because a plan should be judged "
            "on both."]
    return out


def _population_section(pop: PopulationEvaluation) -> list[str]:
    out = [f"## Synthetic population: {pop.n:,} households × {pop.n_paths} paths", ""]
    if pop.n == 0:
        return [*out, "No household could be evaluated.", ""]
    values = {p: {m: pop.policy_mean(p, m) for m in METRICS} for p in pop.policies}
    diffs = {b: {m: pop.difference_mean(b, m) for m in METRICS} for b in BASELINES}
    out += ["Mean over households; ± one standard error **across households** (households are "
            "independent draws; each household's value is itself a mean over its paths, so the "
            "SE includes the path noise).", "", *_policy_table(values), "",
            "Differences, paired on common random numbers (each household's policies ran on the "
            "same frozen paths): mean over households of the per-household difference, ± its SE "
            "across households. *Verdict*: outside ± 2 SE.", ""]
    head = ("| personalized − … | " + " | ".join(METRIC_LABELS[m] for m in METRICS)
            + " | CE gain (geometric mean over households) | CE gain per year of horizon | "
              "households with higher CE |")
    rows = [head, "|---|" + "---:|" * (len(METRICS) + 3)]
    for b, d in diffs.items():
        g = pop.ce_gain(b)
        cells = [f"{_pm(m, *d[m], diff=True)}<br>*{_verdict(m, *d[m])}*" for m in METRICS]
        rows.append(f"| {b} | " + " | ".join(cells)
                    + f" | {100 * g['percent']:+.1f} % (log ± {100 * g['log_ratio_se']:.1f} %)"
                    f" | {100 * g['per_year']:+.2f} %/yr ± {100 * g['per_year_se']:.2f}"
                    f" | {100 * g['share_better']:.0f} % |")
    out += [*rows, ""]
    out += ["Diagnostics (mean over households ± SE across households): how often a policy "
            "ends the horizon with less than one year of spending after tax — the paths that "
            "dominate a CRRA certainty equivalent — and the median after-tax terminal wealth.",
            "", "| policy | P(after-tax terminal wealth < one year of spending) | median "
            "after-tax terminal wealth |", "|---|---:|---:|"]
    for p in pop.policies:
        dep, dep_se = pop.policy_mean(p, "depleted")
        med, med_se = pop.policy_mean(p, "median_wealth")
        out.append(f"| {p} | {100 * dep:.1f} % ± {100 * dep_se:.1f} pp | ${med:,.0f} ± "
                   f"${med_se:,.0f} |")
    out += ["", *_reading(pop, diffs), ""]
    out += ["### Against the published anchors", "",
            "| source | estimate | this evaluation (personalized vs risk-level-only plan) |",
            "|---|---|---|"]
    g = pop.ce_gain("risk-level-only plan") if "risk-level-only plan" in BASELINES else None
    mine = (f"{100 * g['percent']:+.1f} % CE after-tax terminal wealth; "
            f"{100 * g['per_year']:+.2f} %/yr ± {100 * g['per_year_se']:.2f}" if g else "n/a")
    for src, est in ANCHORS:
        out.append(f"| {src} | {est} | {mine} |")
    out += ["", "The anchors measure other things (Blanchett & Kaplan: CE retirement *income* from "
            "five planning decisions; Betterment: after-tax return from asset location), so they "
            "bound expectations rather than test them. Per-year figures divide each household's "
            "log CE ratio by its horizon (years to the end of its last goal).", ""]
    # Breakdown by age band.
    bands = ((25, 40), (40, 55), (55, 65), (65, 76))
    out += ["### By age", "", "| age | households | Δ goal success vs risk-only | "
            "Δ goal success vs target-date | CE gain/yr vs risk-only | CE gain/yr vs "
            "target-date |", "|---|---:|---:|---:|---:|---:|"]
    for lo, hi in bands:
        hs = [h for h in pop.households if lo <= h.age < hi]
        if not hs:
            continue
        sub = PopulationEvaluation(tuple(hs), (), pop.n_paths, pop.seed, 0.0, pop.policies)
        cells = []
        for b in ("risk-level-only plan", "target-date fund"):
            cells.append(_pm("goal_success", *sub.difference_mean(b, "goal_success"), diff=True))
        for b in ("risk-level-only plan", "target-date fund"):
            g = sub.ce_gain(b)
            cells.append(f"{100 * g['per_year']:+.2f} %/yr ± {100 * g['per_year_se']:.2f}")
        out.append(f"| {lo}–{hi - 1} | {len(hs)} | " + " | ".join(cells) + " |")
    mean_s, max_s = pop.seconds_per_household()
    out += ["", f"Run time: {pop.seconds:,.0f} s for {pop.n:,} households "
            f"({mean_s:.2f} s per household on average, {max_s:.2f} s at most; "
            f"{pop.n_paths} paths each).", ""]
    if pop.skipped:
        out += [f"{len(pop.skipped)} household(s) could not be evaluated:", ""]
        out += [f"- {name}: {why}" for name, why in pop.skipped[:20]]
        out.append("")
    return out


def _adapter_note(adapter: str) -> list[str]:
    if adapter == "placeholder":
        return ["> **Status: the personalized policy is the PLACEHOLDER** "
                "(`personalization.placeholder_spec`, written before the plan rework landed): "
                "`tailorfolio.plan(profile)`'s weights split into a growth sleeve (equity and "
                "real assets) and a safe sleeve (bonds and cash), one pot per dated goal "
                "following the plan's glide path for that goal, today's money divided among "
                "the goals by need (each dated goal gets at least its earmarked savings and up "
                "to its remaining need in today's money, taxable then Roth money first; "
                "retirement keeps the rest; what is left of a sleeve after its goal is swept "
                "into the retirement sleeve). Its numbers are not the plan's.", ""]
    return ["> **The personalized policy** is `personalization.personalized_spec`, the one "
            "adapter the evaluation calls; it returns the plan pipeline's own simulation of "
            "what the plan recommends (`planning` sleeves and household stages, then "
            "`policy_spec`: each goal's sleeve funded and given its glide path, one household "
            "pot following the sum of the sleeves, the tax stage's marginal rates), with the "
            "same rebalancing, rebalancing-tax and transition frame as the baselines (below). "
            "The plan's tax-aware transition and asset location are not part of that "
            "simulation, so they cannot show up here yet.", ""]


FULL_POPULATION = 1000
"""Households the issue asks for (``make evaluate-plans``)."""


def _check_run_note(population: PopulationEvaluation | None) -> list[str]:
    n = 0 if population is None else population.n + len(population.skipped)
    if n >= FULL_POPULATION:
        return []
    return [f"> **Check run: {n:,} synthetic households**, not the {FULL_POPULATION:,} of the "
            "full evaluation; standard errors are correspondingly wider. `make evaluate-plans` "
            "runs the full population.", ""]


def personalization_markdown(bundled: dict[str, HouseholdEvaluation],
                             population: PopulationEvaluation | None,
                             *, command: str = "make evaluate-plans",
                             adapter: str = "plan") -> str:
    """The report.

    Parameters
    ----------
    bundled : dict of example name to HouseholdEvaluation
    population : PopulationEvaluation, optional
    command : str
        How the file was produced (quoted at the top).
    adapter : str
        ``plan`` (the plan's own simulation) or ``placeholder`` (the stand-in).

    Returns
    -------
    str
    """
    f = EVALUATION_FRAME
    eq = ", ".join(f"{t} {100 * w:.0f} %" for t, w in EQUITY_SLEEVE.items())
    bd = ", ".join(f"{t} {100 * w:.0f} %" for t, w in BOND_SLEEVE.items())
    lines = [
        "# The value of personalization, measured",
        "",
        f"Generated by `{command}`"
        + ("" if command.startswith("python -m") else " (`python -m tailorfolio.personalization`)")
        + "; do not edit by hand. Issue 11, item 8.",
        "",
        *_adapter_note(adapter),
        *_check_run_note(population),
        "## Method",
        "",
        "| policy | what it holds |",
        "|---|---|",
        f"| {PERSONALIZED} | the adapter above |",
        f"| 60/40 fund | {100 * SIXTY_FORTY_EQUITY:.0f} % stocks ({eq}) and "
        f"{100 * (1 - SIXTY_FORTY_EQUITY):.0f} % bonds ({bd}), one household pot |",
        "| target-date fund | the same stocks and bonds along a Vanguard-style glide path by "
        "age (90 % stocks until 25 years before 65, 50 % at 65, 30 % at 72 and after; "
        "`GlidePath.retirement()`), one household pot |",
        "| risk-level-only plan | one portfolio for every goal: the plan's own portfolio "
        "family at the questionnaire risk level's equity ceiling (the plan's \"risk level "
        "only\" alternative), held static as one household pot — no sleeves, no glide path |",
        "| pre-rework plan | the engine before the plan rework: maximum utility at the risk "
        "level's γ on the raw capital-market forecasts, under the level's old volatility "
        "ceiling (4–18 %), a 35 % cap per risky fund, the old satellite caps and the cash "
        "reserve as a minimum cash weight, one household pot |",
        "",
        "Everything except the allocation is the same for every policy: the profile's goals "
        "(amounts in today's money, dates, priorities), deposits and account types "
        "(`goals.spec_from_profile`); taxes at the profile's marginal rates (withdrawals: "
        "long-term gains + state on the gain share of taxable sales, ordinary + state on "
        "traditional money, + 10 % before 59½, Roth free); fund expense ratios plus a "
        f"{f.advisory_fee_bps:g} bp/yr advisory fee; rebalancing by drift bands "
        f"({100 * DRIFT_BAND.abs_band:g} pp absolute / "
        f"{100 * (DRIFT_BAND.rel_band or 0):g} % relative, the smaller applies, reviewed "
        "monthly per path) with the capital-gains tax that rebalancing sales realize on the "
        "taxable share of a pot; and a one-off transition today from the current lots to each "
        "policy's starting weights (each taxable account traded pro rata to the target at "
        "average cost, gains and losses netted, the net gain taxed), deducted from the taxable "
        "money and counted in lifetime taxes.",
        "",
        "Returns: monthly lognormal returns with correlated stochastic inflation from the "
        "bundled capital-market assumptions (`LognormalModel.from_assumptions`). **Common "
        "random numbers**: for each household one set of paths is drawn once "
        "(`simulate.freeze`, seeded per household) and replayed for every policy, so policy "
        "differences are paired path by path and the noise common to all policies cancels.",
        "",
        "Metrics (per path, today's money; then averaged over paths):",
        "",
        "- **priority-weighted goal success**: Σ w·1[goal met in full] / Σ w with weights 1 "
        "(essential), 0.6 (important), 0.3 (aspirational); an income goal is met when every "
        "year's withdrawal was paid;",
        f"- **certainty-equivalent after-tax terminal wealth**, CRRA with γ = {GAMMA:g}: the "
        "liquidation value at the end of the horizon (taxable money less capital-gains tax on "
        "its gain, traditional money less ordinary tax, Roth as is), CE = F·(mean((W/F + "
        "1)^(1−γ)))^(1/(1−γ)) − F with F one year of the household's spending, so a path "
        "ending with nothing has finite utility; SE across paths by the delta method;",
        "- **lifetime taxes**: transition + withdrawal + rebalancing-gain taxes over the "
        "horizon (each deflated to today's money when paid);",
        "- **turnover**: Σ |trades| / household wealth per year (buys and sells both counted).",
        "",
    ]
    if population is not None:
        lines += _population_section(population)
    lines += ["## The bundled investors", "",
              "One household each; ± one standard error **across paths** (CE by the delta "
              "method); differences are paired on the same paths.", ""]
    for name, h in bundled.items():
        lines += [f"### `{name}` — {h.name}", "",
                  f"Age {h.age}, risk level {h.risk_level}, horizon {h.horizon_years} years, "
                  f"{h.n_paths} paths, CE shift F = ${h.ce_shift:,.0f}.", "",
                  *_policy_table(h.values), "", *_diff_table(h.differences), ""]
    if population is not None:
        lines += ["## How the synthetic population is drawn", "",
                  f"Seed {population.seed}; household *i* uses its own stream spawned from it, "
                  "so the first households are the same whatever the population size. "
                  "Defined in `tailorfolio/personalization/_population.py`.", "",
                  "| variable | distribution |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in population_assumptions()]
        lines.append("")
    lines += [
        "## Limits of this evaluation", "",
        "- One return model (the capital-market assumptions, lognormal); no fat tails, regimes "
        "or parameter uncertainty.",
        "- A pot holds one mix across its accounts: no asset location (Betterment's tax "
        "coordination is not modelled), no tax-loss harvesting, no dividends taxed yearly; "
        "the transition is pro rata, not tax-aware. These are exactly the levers the plan "
        "rework adds, so today they cannot show up as value.",
        "- Sleeves pass money only when a goal is over (the sweep); a sleeve in trouble is not "
        "topped up from another one during its life.",
        "- Fixed spending: no dynamic withdrawal rules, annuities or Social Security timing (part "
        "of Blanchett & Kaplan's gamma).",
        "",
    ]
    return "\n".join(lines)
