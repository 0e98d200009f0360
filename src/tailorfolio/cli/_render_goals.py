"""Rich renderings of the goals section of a plan and of a simulation's fan chart."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tailorfolio.planning._plan import Plan


def _money(x: float | None, currency: str = "") -> str:
    return "—" if x is None else f"{x:,.0f}"


def outcomes_table(outcomes: Any, currency: str, title: str | None = None) -> Table:
    """Per goal: probability ± standard error, median / 10th-percentile outcome, shortfall."""
    t = Table(title=title or f"Goals — probability of reaching each ({currency}, today's "
              "money)", title_justify="left",
              caption="median / p10: wealth available when the goal falls due; shortfall: "
              "mean unfunded amount on the paths where it is missed; ± is the Monte Carlo "
              "standard error", caption_justify="left")
    for col, just in (("goal", "left"), ("due", "right"), ("need", "right"),
                      ("probability", "right"), ("aim", "right"), ("median", "right"),
                      ("p10", "right"), ("shortfall", "right")):
        t.add_column(col, justify=just)
    for o in outcomes:
        need = (f"{o.amount:,.0f}/yr × {o.need_real / o.amount:.0f}" if o.kind == "income"
                else f"{o.amount:,.0f}")
        style = "green" if o.probability >= o.target_probability else "yellow"
        t.add_row(f"{o.name} [dim]({o.priority[:3]}.)[/dim]", f"{o.due_year:.0f}", need,
                  Text(f"{o.probability:.1%} ± {o.standard_error:.1%}", style=style),
                  f"{o.target_probability:.0%}", _money(o.median_outcome_real),
                  _money(o.p10_outcome_real), _money(o.expected_shortfall_real))
    return t


def goals_table(plan: Plan) -> Table:
    """The plan's per-goal table."""
    return outcomes_table(plan.goal_outcomes, plan.currency)


def levers_table(plan: Plan) -> Table | None:
    """What would raise each goal below its target to the target (each lever alone)."""
    rows = [o for o in plan.goal_outcomes if o.levers is not None]
    if not rows:
        return None
    t = Table(title="What would raise the probability to the target (each change alone)",
              title_justify="left")
    t.add_column("goal")
    t.add_column("target", justify="right")
    t.add_column("save extra / month", justify="right")
    t.add_column("postpone by", justify="right")
    t.add_column("or lower the amount to", justify="right")
    for o in rows:
        lv = o.levers
        assert lv is not None
        t.add_row(o.name, f"{lv.target_probability:.0%}",
                  _money(lv.extra_monthly_saving) if lv.extra_monthly_saving is not None
                  else "not enough",
                  f"{lv.delay_years} y" if lv.delay_years is not None else "> 15 y",
                  (_money(lv.affordable_amount) + ("/yr" if o.kind == "income" else ""))
                  if lv.affordable_amount is not None else "—")
    return t


def _analysis_lines(g: dict[str, Any]) -> list[str]:
    lines = []
    a = g.get("allocation")
    if a:
        bp, bq = a["by_probability"], a["by_percentiles"]
        lines.append(
            f"Goal-based risk choice ({a['n_candidates']} frontier portfolios within your "
            f"ceiling, {a['n_paths']} common paths): highest weighted goal success "
            f"{bp['weighted_success']:.1%} at volatility {bp['volatility']:.1%} (your plan: "
            f"{a['plan_weighted_success']:.1%}); best 5th–50th percentile average at "
            f"volatility {bq['volatility']:.1%}.")
    d = g.get("dynamic")
    if d:
        lines.append(
            f"Dynamic policy for '{d['goal']}' (Das et al. 2019 DP over {d['years']} years, "
            f"{d['n_portfolios']} frontier portfolios): {d['dp_simulated_probability']:.1%} ± "
            f"{d['dp_simulated_standard_error']:.1%} by forward simulation (grid value "
            f"{d['dp_probability']:.1%}) versus {d['best_static_simulated_probability']:.1%} "
            f"for the best static portfolio (volatility {d['best_static_volatility']:.1%}); "
            "pre-tax, real terms.")
    w = g.get("withdrawal")
    if w:
        lines.append(
            f"Withdrawal rate for '{w['goal']}' over {w['years']} years: sustainable at 90 % "
            f"{w['mc_sustainable_rate']:.2%} (Monte Carlo) and "
            f"{w['historical_sustainable_rate']:.2%} "
            f"(US history, {w['historical_windows']} rolling windows "
            f"{w['historical_first_start']}–{w['historical_last_start']}; worst start "
            f"{w['historical_worst_start']} at {w['historical_worst_rate']:.2%}). "
            + (f"Your planned rate on today's wealth is {w['planned_rate_today']:.2%}: success "
               f"{w['mc_success_at_planned']:.0%} (MC), {w['historical_success_at_planned']:.0%} "
               "(historical)." if w.get("planned_rate_today") is not None else
               f"At 90 % that income needs about {w['wealth_needed_at_start_mc']:,.0f} (MC) or "
               f"{w['wealth_needed_at_start_historical']:,.0f} (historical) in today's money "
               "when it starts."))
    return lines


def print_goals(console: Console, plan: Plan) -> None:
    """The goals section of a plan (nothing when the plan has none)."""
    if not plan.goal_outcomes:
        return
    g = plan.extras.get("goals", {})
    console.print(goals_table(plan))
    lv = levers_table(plan)
    if lv is not None:
        console.print(lv)
    lines = _analysis_lines(g)
    head = (f"{g.get('n_paths', 0):,} paths, {g.get('model', '')} model, {g.get('mode', '')} "
            f"mode, advisory fee {g.get('advisory_fee_bps', 0):g} bps, rebalanced every "
            f"{g.get('rebalance_every_months', 12)} months; taxes on withdrawals included.")
    console.print(Panel(Group(Text(head, style="dim"), *[Text("• " + x) for x in lines]),
                        title="Goal analysis", border_style="cyan"))


def fan_table(fan: pd.DataFrame, every: int = 5, currency: str = "USD") -> Table:
    """Percentiles of real wealth by year (every ``every`` years plus the last)."""
    t = Table(title=f"Wealth fan chart (thousands of {currency}, today's money; percentiles "
              "across paths)", title_justify="left")
    t.add_column("year", justify="right")
    for c in fan.columns:
        t.add_column(c, justify="right")
    years = list(fan.index[::every])
    if fan.index[-1] not in years:
        years.append(fan.index[-1])
    for y in years:
        t.add_row(str(y), *[f"{fan.loc[y, c] / 1000:,.0f}" for c in fan.columns])
    return t
