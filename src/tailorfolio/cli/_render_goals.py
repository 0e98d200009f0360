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


def _analysis_lines(plan: Plan) -> list[str]:
    g = plan.goals
    assert g is not None
    lines = []
    for a in g.alternatives:
        lines.append(
            f"Alternative, not the plan — {a.name}: {a.description} On {a.model}: "
            f"{a.probability:.1%} for {a.goal} versus the plan's {a.plan_probability:.1%}.")
    w = g.withdrawal
    if w is not None:
        lines.append(
            f"Withdrawal rate for '{w.goal}' over {w.years} years: sustainable at 90 % "
            f"{w.mc_sustainable_rate:.2%} (Monte Carlo) and {w.historical_sustainable_rate:.2%} "
            f"(US history, {w.historical_windows} rolling windows {w.historical_first_start}–"
            f"{w.historical_last_start}; worst start {w.historical_worst_start} at "
            f"{w.historical_worst_rate:.2%}).")
    return lines


def print_goals(console: Console, plan: Plan) -> None:
    """The goals section of a plan (nothing when the plan has none)."""
    if plan.goals is None:
        return
    console.print(goals_table(plan))
    lv = levers_table(plan)
    if lv is not None:
        console.print(lv)
    head = plan.goals.model + "."
    console.print(Panel(Group(Text(head, style="dim"),
                              *[Text("• " + x) for x in _analysis_lines(plan)]),
                        title="How the probabilities were computed, and alternatives",
                        border_style="cyan"))


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
