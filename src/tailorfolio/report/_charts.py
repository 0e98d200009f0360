"""Plotly figures of a plan, built from the plan's plain data (``Plan.to_dict()``).

Each function returns a ``plotly.graph_objects.Figure`` or ``None`` when the plan has no data
for that chart (the section is then left out of the report).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from tailorfolio.report._sections import (
    asset_classes,
    asset_names,
    esg_view,
    fan_series,
    goal_rows,
    humanize,
)

_LAYOUT = dict(margin=dict(l=50, r=20, t=40, b=40), height=380, template="plotly_white",
               font=dict(family="system-ui, sans-serif", size=13))
_CLASS_COLOURS = {"equity": "#1f77b4", "bond": "#2ca02c", "real_asset": "#ff7f0e",
                  "cash": "#7f7f7f"}

_ACCOUNT_PALETTE = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
                    "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
                    "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5")
"""20 distinct colours (d3 category20), so no two asset classes share one."""


def _shade(hex_colour: str, towards_white: float) -> str:
    """``hex_colour`` mixed with white (0: unchanged, 1: white)."""
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * towards_white) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def allocation_by_class(plan: dict[str, Any]) -> go.Figure:
    """Donut of the household target weight per asset class, coloured by broad class (one
    shade per class), named in the legend."""
    totals: dict[tuple[str, str], float] = {}
    for line in plan["household"]["allocation"]:
        key = (humanize(line["asset_class"]), line["broad_class"])
        totals[key] = totals.get(key, 0.0) + line["weight"]
    items = sorted(totals.items(), key=lambda kv: -kv[1])
    seen: dict[str, int] = {}
    colours = []
    for (_, broad), _w in items:  # each class a lighter shade of its broad class's colour
        k = seen[broad] = seen.get(broad, -1) + 1
        colours.append(_shade(_CLASS_COLOURS.get(broad, "#9467bd"), min(0.12 * k, 0.7)))
    fig = go.Figure(go.Pie(
        labels=[k[0] for k, _ in items], values=[v for _, v in items], hole=0.45, sort=False,
        marker=dict(colors=colours,
                    line=dict(color="white", width=1)),
        texttemplate="%{percent:.0%}", textposition="inside",
        hovertemplate="%{label}: %{percent:.1%}<extra></extra>"))
    fig.update_layout(title="Target allocation by asset class", showlegend=True,
                      uniformtext=dict(minsize=10, mode="hide"), **_LAYOUT)
    return fig


def allocation_by_account(holdings: list[dict[str, Any]], plan: dict[str, Any]
                          ) -> go.Figure | None:
    """Stacked bars per account by asset class: today's holdings next to the target (asset
    location), from the plan's ``accounts`` section."""
    classes = asset_classes(plan)
    rows: list[tuple[str, dict[str, float]]] = []
    for h in holdings:
        for label, amounts, cash in (("today", h["today"], h["cash_today"]),
                                     ("target", h["target"], 0.0)):
            by_class: dict[str, float] = {}
            for t, v in amounts.items():
                key = classes.get(t, t)
                by_class[key] = by_class.get(key, 0.0) + v
            if cash > 0.5:
                by_class["Uninvested cash"] = by_class.get("Uninvested cash", 0.0) + cash
            rows.append((f"{h['account']} ({label})", by_class))
    if not rows:
        return None
    keys = sorted({k for _, d in rows for k in d})
    palette = _ACCOUNT_PALETTE
    fig = go.Figure([go.Bar(name=k, x=[n for n, _ in rows], y=[d.get(k, 0.0) for _, d in rows],
                            marker_color=palette[i % len(palette)],
                            hovertemplate=f"{k}: %{{y:,.0f}}<extra></extra>")
                     for i, k in enumerate(keys)])
    layout = {**_LAYOUT, "height": max(_LAYOUT["height"], 120 + 20 * len(keys))}
    fig.update_layout(barmode="stack", title="Holdings by account: today and the target",
                      yaxis_title=plan["currency"], **layout)  # tall enough for its legend
    return fig


def efficient_frontier(frontier: dict[str, Any] | None, plan: dict[str, Any]) -> go.Figure | None:
    """The frontier curve, each asset's own point, the risk ladder's rungs and the plan."""
    if not frontier or "volatility" not in frontier:
        return None
    household = plan["household"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=frontier["volatility"], y=frontier["expected_return"], mode="lines",
        name="Efficient frontier (your constraints)", line=dict(width=3, color="#1f77b4"),
        hovertemplate="volatility %{x:.1%}<br>expected return %{y:.2%}<extra></extra>"))
    assets = frontier.get("assets", [])
    names = asset_names(plan)
    fig.add_trace(go.Scatter(
        x=[a["volatility"] for a in assets], y=[a["expected_return"] for a in assets],
        mode="markers+text", text=[a["ticker"] for a in assets], textposition="top center",
        customdata=[names.get(a["ticker"], a["ticker"]) for a in assets],
        name="Single funds", marker=dict(size=7, color="#aaaaaa"),
        hovertemplate="%{customdata}: volatility %{x:.1%}, return %{y:.2%}<extra></extra>"))
    ladder = plan["ladder"]
    if ladder:
        fig.add_trace(go.Scatter(
            x=[r["volatility"] for r in ladder], y=[r["expected_return"] for r in ladder],
            mode="markers+text", text=[str(r["level"]) for r in ladder],
            textposition="bottom right", name="Risk levels 1–10 (long-term money)",
            marker=dict(size=9, symbol="diamond", color="#ff7f0e"),
            hovertemplate="risk level %{text}: volatility %{x:.1%}, return %{y:.2%}"
            "<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=[household["volatility"]], y=[household["expected_return"]], mode="markers",
        name="Your plan today", marker=dict(size=16, symbol="star", color="#d62728",
                                            line=dict(color="black", width=1)),
        hovertemplate="Your plan: volatility %{x:.1%}, return %{y:.2%}<extra></extra>"))
    guard = plan["constraints"]["max_volatility"]
    if guard:
        fig.add_vline(x=guard, line_dash="dot", line_color="#d62728",
                      annotation_text=f"risk level {plan['risk']['level']} volatility guard",
                      annotation_position="top left")
    fig.update_layout(title="Efficient frontier", xaxis_title="Volatility (annual)",
                      yaxis_title="Expected return (annual, arithmetic)",
                      xaxis_tickformat=".0%", yaxis_tickformat=".1%", **_LAYOUT)
    return fig


def sleeve_glide_paths(plan: dict[str, Any]) -> go.Figure | None:
    """Each funded sleeve's share in stocks by year (its glide path); sleeves without a path
    (the reserve, long-term money) are in the sleeves table only."""
    sleeves = [s for s in plan["sleeves"] if s["amount"] > 0 and len(s["glide"]) > 1]
    if not sleeves:
        return None
    start = int(str(plan["provenance"]["as_of"])[:4])
    fig = go.Figure()
    dashes = ("solid", "dash", "dot", "dashdot", "longdash")
    for i, s in enumerate(sleeves):  # dashes keep sleeves on the same share apart
        pts = s["glide"]
        fig.add_trace(go.Scatter(
            x=[start + p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers",
            name=s["name"], line=dict(shape="linear", width=3 if i == 0 else 2,
                                      dash=dashes[i % len(dashes)]), marker=dict(size=4),
            hovertemplate=f"{s['name']}: %{{y:.0%}} stocks in %{{x}}<extra></extra>"))
    fig.update_layout(title="Share in stocks of each goal's money over time", xaxis_title="Year",
                      yaxis_title="Share in stocks", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1], **_LAYOUT)
    return fig


def monte_carlo_fan(plan: dict[str, Any]) -> go.Figure | None:
    """Percentile bands of simulated wealth by year, when the goals engine provided them."""
    fan = fan_series(plan)
    if fan is None:
        return None
    years, bands = fan
    fig = go.Figure()
    pcts = sorted(bands)
    pairs = [(pcts[i], pcts[-1 - i]) for i in range(len(pcts) // 2)]
    for k, (lo, hi) in enumerate(pairs):
        shade = 0.15 + 0.15 * k
        fig.add_trace(go.Scatter(x=years, y=bands[hi], mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=years, y=bands[lo], mode="lines", line=dict(width=0),
                                 fill="tonexty", fillcolor=f"rgba(31,119,180,{shade:.2f})",
                                 name=f"{lo:g}th–{hi:g}th percentile"))
    if len(pcts) % 2 == 1:
        mid = pcts[len(pcts) // 2]
        fig.add_trace(go.Scatter(x=years, y=bands[mid], mode="lines", name=f"{mid:g}th percentile",
                                 line=dict(color="#1f77b4", width=2)))
    fig.update_layout(title="Simulated wealth (today's money)",
                      xaxis_title="Year", yaxis_title=plan["currency"], **_LAYOUT)
    return fig


def goal_probabilities(plan: dict[str, Any]) -> go.Figure | None:
    """Horizontal bars: each goal's probability of success."""
    rows = [r for r in goal_rows(plan) if r["probability"] is not None]
    if not rows:
        return None
    fig = go.Figure(go.Bar(
        x=[r["probability"] for r in rows], y=[r["goal"] for r in rows], orientation="h",
        text=[f"{r['probability']:.1%}" for r in rows], textposition="auto",
        marker_color="#2ca02c", hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_layout(title="Probability of reaching each goal", xaxis_tickformat=".0%",
                      xaxis_range=[0, 1], **_LAYOUT)
    return fig


def esg_profile(plan: dict[str, Any]) -> go.Figure | None:
    """Bars of the portfolio's ESG score and its E, S, G pillars (0–100, higher is better)."""
    view = esg_view(plan)
    if view is None:
        return None
    labels, values = [], []
    if isinstance(view["score"], (int, float)):
        labels.append("ESG score")
        values.append(float(view["score"]))
    for k, v in view["pillars"].items():
        labels.append({"E": "Environmental", "S": "Social", "G": "Governance"}.get(k, k))
        values.append(float(v))
    if not values:
        return None
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color="#17becf",
                           text=[f"{v:.1f}" for v in values], textposition="auto"))
    fig.update_layout(title="ESG profile of the portfolio (0–100, higher is better)",
                      yaxis_range=[0, 100], **_LAYOUT)
    return fig


def plans_over_time(points: list[dict[str, Any]]) -> go.Figure | None:
    """Expected return, volatility and equity share of successive plans (for the service)."""
    if not points:
        return None
    x = [p["created_at"] for p in points]
    fig = go.Figure()
    for key, name in (("expected_return", "Expected return"), ("volatility", "Volatility"),
                      ("equity_share", "Equity share")):
        fig.add_trace(go.Scatter(x=x, y=[p[key] for p in points], mode="lines+markers",
                                 name=name))
    fig.update_layout(title="Plans over time", yaxis_tickformat=".0%", **_LAYOUT)
    return fig
