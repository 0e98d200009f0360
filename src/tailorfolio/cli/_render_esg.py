"""Rich renderings of a plan's ESG section, the ESG-efficient frontier and the cost of values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tailorfolio.esg._cost import CostOfValues
from tailorfolio.esg._frontier import EsgFrontier
from tailorfolio.esg._profile import EsgProfile
from tailorfolio.planning._plan import Plan
from tailorfolio.profile._investor import InvestorProfile


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def _score(x: float | None) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.1f}"


def esg_profile_table(prof: EsgProfile) -> Table:
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("ESG score", f"{_score(prof.score)} / 100 (weighted over scored holdings; higher "
              f"is better){'' if prof.floor is None else f' · floor {prof.floor:g}'}"
              f"{'' if not prof.tilt else f' · tilt {prof.tilt:g}'}")
    t.add_row("pillars", " · ".join(f"{k} {_score(v)}" for k, v in prof.pillars.items()))
    t.add_row("coverage", f"{_pct(prof.coverage)} of the portfolio's weight has a score"
              + (f" (unscored: {', '.join(prof.unscored_holdings)}; policy "
                 f"'{prof.missing_score_policy}')" if prof.unscored_holdings else ""))
    t.add_row("carbon intensity",
              "no data in this universe" if prof.carbon_intensity is None else
              f"{prof.carbon_intensity:,.0f} t CO2e per USD 1M revenue (WACI, covering "
              f"{_pct(prof.carbon_coverage)} of weight)")
    t.add_row("scores from", prof.score_source)
    if prof.notes:
        t.add_row("preset", "; ".join(prof.notes))
    return t


def excluded_table(prof: EsgProfile) -> Table:
    """One row per exclusion rule: the rule, the field that set it, the assets it removed."""
    t = Table(title="Excluded holdings and why", title_justify="left")
    t.add_column("rule")
    t.add_column("set by")
    t.add_column("assets removed")
    by_rule: dict[tuple[str, str], list[str]] = {}
    for e in prof.excluded:
        for reason, fld in zip(e.reasons, e.fields):
            by_rule.setdefault((reason, fld), []).append(e.ticker)
    for (reason, fld), tickers in by_rule.items():
        t.add_row(reason, fld, ", ".join(tickers))
    return t


def esg_panel(plan: Plan, *, show_warnings: bool = False) -> Panel:
    """The plan's ESG section (profile, exclusions, short cost of values, and its warnings
    when ``show_warnings``; ``tailorfolio plan`` prints those with the plan's own)."""
    rep = plan.esg
    parts: list[object] = [esg_profile_table(rep.profile)]
    if show_warnings:
        parts.extend(Text("⚠ " + w, style="yellow") for w in rep.warnings)
    if rep.profile.excluded:
        parts.append(excluded_table(rep.profile))
    if rep.cost is not None:
        parts.append(Text("\n".join(rep.cost.summary()[:2])))
    return Panel(Group(*parts), title="ESG profile", border_style="green")


def esg_frontier_table(fr: EsgFrontier, plan_score: float | None = None,
                       with_exclusions: EsgFrontier | None = None) -> Table:
    t = Table(title="ESG-efficient frontier: best Sharpe ratio at each minimum ESG score, "
              "under your other constraints", title_justify="left")
    t.add_column("floor", justify="right")
    t.add_column("return", justify="right")
    t.add_column("vol.", justify="right")
    t.add_column("Sharpe", justify="right")
    t.add_column("Δ best", justify="right")
    if with_exclusions is not None:
        t.add_column("Sharpe w/ excl.", justify="right")
    t.add_column("largest weights (%)")
    for i in range(len(fr.floors)):
        w = fr.weights.iloc[i]
        top = w[w > 0.005].sort_values(ascending=False).head(3)
        mark = ""
        if plan_score is not None and (
                (i + 1 < len(fr.floors) and fr.floors[i] <= plan_score < fr.floors[i + 1])
                or (i == 0 and plan_score < fr.floors[0])
                or (i == len(fr.floors) - 1 and plan_score >= fr.floors[i])):
            mark = " ◀ plan"
        row = [f"{fr.floors[i]:.1f}", _pct(fr.expected_return[i]), _pct(fr.volatility[i]),
               f"{fr.sharpe[i]:.3f}", f"{fr.sharpe[i] - fr.tangency_sharpe:+.3f}"]
        if with_exclusions is not None:
            v = with_exclusions.sharpe[i]
            row.append("infeasible" if not np.isfinite(v) else f"{v:.3f}")
        row.append(" ".join(f"{k} {100 * v:.0f}" for k, v in top.items()) + mark)
        t.add_row(*row)
    return t


def esg_frontier_chart(fr: EsgFrontier, marker: tuple[float, float] | None = None,
                       width: int = 56, height: int = 12) -> str:
    """Text chart: ESG score → best Sharpe; ``★`` marks the plan."""
    xs = np.append(fr.scores, marker[0]) if marker else fr.scores
    ys = np.append(fr.sharpe, marker[1]) if marker else fr.sharpe
    x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
    grid = [[" "] * width for _ in range(height)]

    def put(x: float, y: float, ch: str) -> None:
        i = int(round((x - x0) / max(x1 - x0, 1e-12) * (width - 1)))
        j = int(round((y - y0) / max(y1 - y0, 1e-12) * (height - 1)))
        grid[height - 1 - j][i] = ch

    for x, y in zip(fr.scores, fr.sharpe):
        put(float(x), float(y), "·")
    if marker:
        put(marker[0], marker[1], "★")
    lines = [f"{y1:>7.3f} ┤" + "".join(grid[0])]
    lines += [" " * 8 + "│" + "".join(r) for r in grid[1:-1]]
    lines.append(f"{y0:>7.3f} ┤" + "".join(grid[-1]))
    lines.append(" " * 8 + "└" + "─" * width)
    lines.append(" " * 9 + f"{x0:.1f}" + " " * (width - 8) + f"{x1:.1f}")
    lines.append(" " * 9 + "portfolio ESG score → Sharpe   (· frontier, ★ your plan)")
    return "\n".join(lines)


def cost_panel(cost: CostOfValues) -> Panel:
    t = Table(show_header=True, box=None)
    t.add_column("")
    t.add_column("without ESG", justify="right")
    t.add_column("with your ESG", justify="right")
    t.add_column("change", justify="right")
    for key, label, fmt in (("expected_return", "expected return", "pct"),
                            ("volatility", "volatility", "pct"),
                            ("sharpe", "Sharpe ratio", "num"),
                            ("esg_score", "ESG score", "score")):
        a, b = cost.without_esg[key], cost.with_esg[key]
        if fmt == "pct":
            row = (_pct(a, 2), _pct(b, 2), f"{100 * (b - a):+.2f} pts")
        elif fmt == "num":
            row = (f"{a:.3f}", f"{b:.3f}", f"{b - a:+.3f}")
        else:
            row = (_score(a), _score(b), "—" if not np.isfinite(b - a) else f"{b - a:+.1f}")
        t.add_row(label, *row)
    for g, p1 in cost.goals_with.items():
        p0 = cost.goals_without.get(g)
        if p0 is not None:
            t.add_row(f"P(goal: {g})", _pct(p0, 0), _pct(p1, 0), f"{100 * (p1 - p0):+.0f} pts")
    return Panel(Group(t, Text(""), Text("\n".join(cost.summary()))),
                 title="The cost of your values", border_style="magenta")


def preset_table(profile: InvestorProfile, make_plan: Callable[[InvestorProfile], Plan]
                 ) -> Table:
    """Each ESG preset on its own (the profile's own ESG fields cleared), planned and compared."""
    from tailorfolio.errors import TailorfolioError
    from tailorfolio.esg._cost import without_esg
    from tailorfolio.optimize._esg_presets import EsgPreset

    base = without_esg(profile)
    t = Table(title="ESG presets compared (each alone, your other preferences kept)",
              title_justify="left")
    t.add_column("preset", no_wrap=True)
    for col in ("exp. return", "volatility", "Sharpe", "ESG score"):
        t.add_column(col, justify="right")
    t.add_column("excluded")
    for preset in EsgPreset:
        prefs = base.preferences.model_copy(update={"esg_preset": preset.value})
        try:
            plan = make_plan(base.model_copy(update={"preferences": prefs}))
        except TailorfolioError as exc:
            t.add_row(preset.value, "—", "—", "—", "—",
                      f"{type(exc).__name__}: {exc.message.splitlines()[0][:70]}")
            continue
        prof = plan.esg.profile
        t.add_row(preset.value, _pct(plan.expected_return, 2), _pct(plan.volatility, 2),
                  f"{plan.sharpe:.3f}", _score(prof.score),
                  _excluded_short([e.ticker for e in prof.excluded]))
    return t


def _excluded_short(tickers: list[str]) -> str:
    if not tickers:
        return "—"
    head = ", ".join(tickers[:4]) + (", …" if len(tickers) > 4 else "")
    return f"{len(tickers)}: {head}"
