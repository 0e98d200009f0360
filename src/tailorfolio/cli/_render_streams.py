"""The income streams a plan counted on, for the terminal."""

from __future__ import annotations

from rich.table import Table

from tailorfolio.planning._plan import Plan
from tailorfolio.planning._sections import IncomeStreamLine


def stream_ages(line: IncomeStreamLine) -> str:
    """``67 → life`` or ``partner 62 → 70``: the owner's ages (the end exclusive)."""
    who = "" if line.owner == "primary" else "partner "
    end = "life" if line.end_age is None else f"{line.end_age}"
    return f"{who}{line.start_age} → {end}"


def stream_amount(line: IncomeStreamLine) -> str:
    """The yearly amount and whether it keeps up with prices."""
    if line.inflation_adjusted:
        return f"{line.annual_amount:,.0f} (today's money, rises with prices)"
    rise = f"+{line.cola:.1%} a year" if line.cola > 0 else "fixed"
    return f"{line.annual_amount:,.0f} at its start, then {rise} (not linked to prices)"


def streams_table(plan: Plan) -> Table | None:
    """One row per income stream: when it pays, how much, which goal it pays, and the present
    value the sleeve funding counted; None without streams."""
    sec = plan.income_streams
    if sec is None:
        return None
    t = Table(title="Income streams the plan counts on", title_justify="left",
              caption=sec.note, caption_justify="left")
    for col, just in (("stream", "left"), ("ages", "left"),
                      (f"a year ({plan.currency})", "left"), ("pays", "left"),
                      ("counted today", "right")):
        t.add_column(col, justify=just)
    for line in sec.streams:
        kind = line.kind.replace("_", " ")
        name = line.name if line.name.lower() == kind else f"{line.name} [dim]({kind})[/dim]"
        t.add_row(name, stream_ages(line), stream_amount(line),
                  ", ".join(line.pays_goals) or "no income goal: not counted",
                  f"{line.counted_present_value:,.0f}")
    t.add_section()
    t.add_row("total", "", "", "", f"{sec.counted_present_value:,.0f}", style="bold")
    return t
