"""Rich renderings of plans and frontiers for the terminal."""

from __future__ import annotations

import numpy as np
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tailorfolio.cli._render_goals import print_goals
from tailorfolio.cli._render_streams import streams_table
from tailorfolio.optimize._result import Frontier
from tailorfolio.planning._plan import Plan


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def risk_panel(plan: Plan) -> Panel:
    r = plan.risk
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    t.add_column("input")
    t.add_column("value")
    t.add_column("score", justify="right")
    t.add_column("levels lost", justify="right")
    for f in sorted(plan.risk.factors, key=lambda f: (-f.levels_lost, f.name)):
        style = "yellow" if f.levels_lost > 0 else ""
        t.add_row(f.name, f.value, f"{f.score:.2f}", str(f.levels_lost) if f.levels_lost else "",
                  style=style)
    head = Text.assemble(
        ("Risk level ", "bold"), (f"{r.level}/10", "bold cyan"),
        f"   willingness {r.willingness:.0%} · capacity {r.capacity:.0%} · combined "
        f"{r.combined:.0%} (leans to {r.binding_component})\n",
        f"long-horizon money {_pct(r.equity_share, 0)} stocks · risk aversion γ = "
        f"{r.risk_aversion:g} · volatility guard {_pct(r.max_volatility)}",
    )
    parts: list[object] = [head, t]
    for c in r.contradictions:
        parts.append(Text("⚠ " + c, style="yellow"))
    return Panel(Group(*parts), title="Risk profile", border_style="cyan")


def allocation_table(plan: Plan) -> Table:
    t = Table(title=f"Household target today — {plan.investor}", title_justify="left")
    t.add_column("asset")
    t.add_column("name")
    t.add_column("asset class")
    t.add_column("weight", justify="right")
    t.add_column(f"amount ({plan.currency})", justify="right")
    t.add_column("exp. return", justify="right")
    t.add_column("volatility", justify="right")
    for line in plan.allocation:
        t.add_row(line.ticker, line.name, line.asset_class, _pct(line.weight),
                  f"{line.amount:,.0f}", _pct(line.expected_return), _pct(line.volatility))
    t.add_section()
    t.add_row("total", "", "", _pct(sum(x.weight for x in plan.allocation)),
              f"{plan.investable_wealth:,.0f}", "", "", style="bold")
    return t


def metrics_table(plan: Plan) -> Table:
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("expected return", f"{_pct(plan.expected_return)} a year (arithmetic)")
    t.add_row("volatility", f"{_pct(plan.volatility)} a year")
    t.add_row("Sharpe ratio", f"{plan.sharpe:.2f} (risk-free {_pct(plan.risk_free_rate)})")
    mix = " · ".join(f"{k} {_pct(v)}" for k, v in plan.class_weights().items())
    t.add_row("mix", mix)
    t.add_row("stocks", f"{_pct(plan.household.equity_share)} (effective holdings "
              f"{plan.household.effective_holdings:.1f})")
    t.add_row("returns", plan.market.return_model.description)
    t.add_row("assumptions", plan.provenance.assumptions)
    t.add_row("input hash", plan.provenance.input_hash[:16] + "…")
    return t


def sleeves_table(plan: Plan) -> Table:
    """Each goal's sleeve: its money, its stock share today and along its glide path."""
    t = Table(title="Goal sleeves — the household target is their money-weighted sum",
              title_justify="left",
              caption="stocks along the glide path: now → 10 y → 5 y → at the goal; the "
              "intensity is the Monte Carlo's choice (1 = the template path)",
              caption_justify="left")
    for col, just in (("sleeve", "left"), (f"money ({plan.currency})", "right"),
                      ("share", "right"), ("stocks", "right"), ("glide path", "left"),
                      ("holds today", "left")):
        t.add_column(col, justify=just)
    for s in plan.sleeves:
        if s.amount <= 0 and s.kind in ("reserve", "long_term"):
            continue
        if s.years_to_goal is not None and len(s.glide) > 1:
            pts = dict(s.glide)
            y = s.years_to_goal
            marks = [0.0] + [y - k for k in (10, 5) if y - k > 0] + [round(y)]
            path = " → ".join(_pct(pts.get(float(round(m)), s.equity_share_now), 0)
                              for m in marks)
        else:
            path = "flat"
        name = s.name + (f" [dim]({s.priority[:3]}.)[/dim]" if s.priority else "")
        top = sorted(s.weights.items(), key=lambda kv: -kv[1])[:4]
        holds = " · ".join(f"{k} {_pct(v, 0)}" for k, v in top)
        t.add_row(name, f"{s.amount:,.0f}", _pct(s.share_of_wealth, 0),
                  _pct(s.equity_share_now, 0), path, holds)
    return t


def sleeve_reasons(plan: Plan) -> Text:
    """Why each sleeve holds what it holds."""
    lines = [f"• {s.name}: {s.reason}" for s in plan.sleeves
             if s.amount > 0 or s.kind not in ("reserve", "long_term")]
    for s in plan.sleeves:
        if s.stream_present_value and s.need_present_value is not None:
            lines.append(f"• {s.name}: income streams pay {s.stream_present_value:,.0f} of its "
                         "spending (present value), so after its planned contributions it "
                         f"needs {s.need_present_value:,.0f} of today's money")
    if plan.funding is not None:
        lines.append(f"• {plan.funding.reason}")
    return Text("\n".join(lines), style="dim")


def print_plan(console: Console, plan: Plan) -> None:
    """The full plan: risk, allocation, metrics, binding constraints, rationale, warnings."""
    console.print(risk_panel(plan))
    console.print(sleeves_table(plan))
    console.print(sleeve_reasons(plan))
    streams = streams_table(plan)
    if streams is not None:
        console.print(streams)
    console.print(allocation_table(plan))
    console.print(Panel(metrics_table(plan), title="Under the stated assumptions",
                        border_style="green"))
    if plan.binding:
        console.print(Panel("\n".join(f"• {b.description}  [dim]({b.field})[/dim]"
                                      for b in plan.binding),
                            title="Binding constraints", border_style="magenta"))
    if plan.esg is not None:
        from tailorfolio.cli._render_esg import esg_panel

        console.print(esg_panel(plan))
    console.print(Panel("\n\n".join(plan.rationale), title="Why this plan", border_style="blue"))
    if plan.account_plans:
        from tailorfolio.cli._render_tax import account_plan_panel

        console.print(account_plan_panel(plan))
    print_goals(console, plan)
    if plan.warnings:
        console.print(Panel("\n".join(f"⚠ {w}" for w in plan.warnings), title="Warnings",
                            border_style="yellow"))


def frontier_chart(frontier: Frontier, marker: tuple[float, float] | None = None,
                   width: int = 60, height: int = 16) -> str:
    """A text scatter of the frontier (volatility → expected return), ``*`` marks the plan."""
    vols, rets = frontier.volatility, frontier.expected_return
    xs = np.append(vols, marker[0]) if marker else vols
    ys = np.append(rets, marker[1]) if marker else rets
    x0, x1 = float(xs.min()), float(xs.max())
    y0, y1 = float(ys.min()), float(ys.max())
    grid = [[" "] * width for _ in range(height)]

    def put(x: float, y: float, ch: str) -> None:
        i = int(round((x - x0) / max(x1 - x0, 1e-12) * (width - 1)))
        j = int(round((y - y0) / max(y1 - y0, 1e-12) * (height - 1)))
        grid[height - 1 - j][i] = ch

    for x, y in zip(vols, rets):
        put(float(x), float(y), "·")
    if marker:
        put(marker[0], marker[1], "★")
    lines = [f"{_pct(y1):>8} ┤" + "".join(grid[0])]
    for row in grid[1:-1]:
        lines.append(" " * 9 + "│" + "".join(row))
    lines.append(f"{_pct(y0):>8} ┤" + "".join(grid[-1]))
    lines.append(" " * 9 + "└" + "─" * width)
    lines.append(" " * 10 + f"{_pct(x0)}" + " " * (width - 16) + f"{_pct(x1)}")
    lines.append(" " * 10 + "volatility →   (· frontier, ★ your plan)")
    return "\n".join(lines)


def frontier_table(frontier: Frontier, every: int = 5) -> Table:
    t = Table(title="Efficient frontier under your constraints", title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("volatility", justify="right")
    t.add_column("exp. return", justify="right")
    t.add_column("Sharpe", justify="right")
    t.add_column("largest weights")
    n = len(frontier.volatility)
    idx = sorted(set(list(range(0, n, every)) + [n - 1]))
    for i in idx:
        w = frontier.weights.iloc[i]
        top = w[w > 0.005].sort_values(ascending=False).head(4)
        t.add_row(str(i), _pct(frontier.volatility[i]), _pct(frontier.expected_return[i]),
                  f"{frontier.sharpe[i]:.2f}",
                  ", ".join(f"{k} {_pct(v, 0)}" for k, v in top.items()))
    return t


def demo_table(plans: list[Plan]) -> Table:
    """Several plans side by side."""
    n = len(plans)
    t = Table(title=f"{n} investor{'s' if n != 1 else ''}, {n} plan{'s' if n != 1 else ''}",
              title_justify="left")
    t.add_column("", style="bold")
    for p in plans:
        t.add_column(p.investor, justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("risk level", [f"{p.risk.level}/10" for p in plans]),
        ("willingness · capacity",
         [f"{p.risk.willingness:.0%} · {p.risk.capacity:.0%}" for p in plans]),
        ("investable wealth", [f"{p.investable_wealth:,.0f}" for p in plans]),
    ]
    for cls in ("equity", "bond", "real_asset", "cash"):
        rows.append((cls, [_pct(p.class_weights().get(cls, 0.0)) for p in plans]))
    rows += [
        ("expected return", [_pct(p.expected_return) for p in plans]),
        ("volatility", [_pct(p.volatility) for p in plans]),
        ("Sharpe", [f"{p.sharpe:.2f}" for p in plans]),
        ("ESG score", [f"{p.esg.profile.score:.0f}" if p.esg is not None
                       and p.esg.profile.score is not None else "—" for p in plans]),
        ("goals: P(success)", ["\n".join(f"{g.name[:18]}: {g.probability:.0%}"
                                         for g in p.goal_outcomes) or "—" for p in plans]),
        ("top holdings", ["\n".join(f"{x.ticker} {_pct(x.weight, 0)}" for x in p.allocation[:4])
                          for p in plans]),
        ("binding", ["\n".join(b.name for b in p.binding) or "—" for p in plans]),
    ]
    for name, vals in rows:
        t.add_row(name, *vals)
    return t
