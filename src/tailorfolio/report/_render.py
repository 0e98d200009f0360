"""Render report data into HTML with jinja2; plotly's JavaScript is embedded, never fetched."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from tailorfolio.report import _charts, _labels, _sections


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    """The report templates' Jinja environment (shared by the plan report and the IPS)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tailorfolio.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
        lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda x, d=1: "–" if not isinstance(x, (int, float)) or x != x \
        else f"{100 * float(x):.{d}f} %"
    env.filters["money"] = lambda x: "–" if not isinstance(x, (int, float)) else f"{float(x):,.0f}"
    env.filters["num"] = _num
    return env


def _num(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, int) or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.4g}"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped inside the ``plotly`` package (no network access)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _fig_html(fig: Any, div_id: str) -> str | None:
    if fig is None:
        return None
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       default_width="100%", config={"displaylogo": False, "responsive": True})


def _context(data: dict[str, Any]) -> dict[str, Any]:
    plan = data["plan"]
    holdings = data.get("holdings") or []
    charts = {
        "by_class": _fig_html(_charts.allocation_by_class(plan), "chart-by-class"),
        "by_account": _fig_html(_charts.allocation_by_account(holdings, plan),
                                "chart-by-account"),
        "frontier": _fig_html(_charts.efficient_frontier(data.get("frontier"), plan),
                              "chart-frontier"),
        "sleeves": _fig_html(_charts.sleeve_glide_paths(plan), "chart-sleeves"),
        "fan": _fig_html(_charts.monte_carlo_fan(plan), "chart-fan"),
        "goals": _fig_html(_charts.goal_probabilities(plan), "chart-goals"),
        "esg": _fig_html(_charts.esg_profile(plan), "chart-esg"),
    }
    frontier = data.get("frontier") or {}
    return {
        "plan": plan, "household": plan["household"], "charts": charts,
        "generated_at": data.get("generated_at", ""),
        "frontier_error": frontier.get("error"), "frontier_note": frontier.get("note"),
        "class_weights": _sections.class_weights(plan),
        "allocation_rows": _sections.allocation_rows(plan),
        "sleeve_rows": _sections.sleeve_rows(plan),
        "stream_rows": _sections.stream_rows(plan),
        "goal_rows": _sections.goal_rows(plan),
        "alternative_rows": _sections.alternative_rows(plan),
        "withdrawal_rows": _sections.withdrawal_rows(plan),
        "account_rows": _sections.account_rows(plan),
        "trade_rows": _sections.trade_rows(plan),
        "skipped_rows": _sections.skipped_rows(plan),
        "tax_summary": _sections.tax_summary(plan),
        "harvest_rows": _sections.harvest_rows(plan),
        "ladder_rows": _sections.ladder_rows(plan),
        "excluded_rows": _sections.excluded_rows(plan),
        "esg": _sections.esg_view(plan),
        "asset_label": lambda t: _sections.asset_label(plan, t),
        "humanize": _sections.humanize,
        "label": _labels.label, "factor_label": _labels.factor_label,
        "field_label": _sections.field_label, "setting_value": _labels.setting_value,
    }


def render_report_body(data: dict[str, Any]) -> str:
    """The report's sections and chart ``<div>``s, for embedding in a page that loads plotly.

    Parameters
    ----------
    data : dict
        As returned by :func:`tailorfolio.report.report_data`.
    """
    return _labels.plain_html(template_environment().get_template("body.html.j2").render(**_context(data)))


def render_report(data: dict[str, Any]) -> str:
    """One self-contained HTML document (plotly.js inlined; opens offline).

    Parameters
    ----------
    data : dict
        As returned by :func:`tailorfolio.report.report_data`.
    """
    return template_environment().get_template("report.html.j2").render(
        body=render_report_body(data), plotly_js=plotly_js(),
        title=f"Plan for {data['plan']['investor']}")
