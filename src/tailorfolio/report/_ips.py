"""The investment-policy summary (IPS): what the client signs, read from the plan alone.

Sections: objectives (the goals and their probabilities), the risk level and what it means
(the long-term stock share, the expected return and volatility, a bad year's loss), the target
allocation, the rebalancing policy (the plan's drift bands: a holding is rebalanced when it
moves more than ``drift_abs_band`` percentage points or ``drift_rel_band`` of its target from
its target, whichever comes first — the threshold rule robo-advisors use; see
/work/shared/reference/planning-methods.md, "Rebalancing"), constraints and exclusions, the
accounts, and signature lines.

Every text is in client words (:mod:`tailorfolio.report._labels`).
"""

from __future__ import annotations

from typing import Any

from tailorfolio.report import _sections
from tailorfolio.report._labels import (
    BROAD_CLASSES,
    account_type_label,
    asset_class_label,
    label,
    plain,
    plain_html,
    priority_label,
)
from tailorfolio.report._render import template_environment

BAD_YEAR_Z = 1.645
"""One-sided normal quantile of a 1-in-20 bad year (5 %): loss ≈ μ − 1.645 σ."""
DEFAULT_ABS_BAND = 0.05
DEFAULT_REL_BAND = 0.25
"""Bands used when a stored plan has no ``dynamic`` section (the engine's defaults)."""


def band_width(target: float, abs_band: float, rel_band: float) -> float:
    """Half-width of a holding's tolerance band: the tighter of ``abs_band`` (decimal
    points) and ``rel_band × target``."""
    return min(abs_band, rel_band * target)


def _risk_meaning(plan: dict[str, Any]) -> dict[str, Any]:
    level = plan["risk"]["level"]
    rung = next((r for r in plan["ladder"] if r["level"] == level), None)
    h = plan["household"]
    bad_year = h["expected_return"] - BAD_YEAR_Z * h["volatility"]
    return {
        "level": level, "willingness": plan["risk"]["willingness"],
        "capacity": plan["risk"]["capacity"],
        "long_term_equity": rung["equity_share"] if rung else None,
        "expected_return": h["expected_return"], "volatility": h["volatility"],
        "equity_share": h["equity_share"], "bad_year_return": bad_year,
        "sentence": (
            f"Risk level {level} of 10 (1 is the most cautious). Money you will not need for "
            f"a long time holds {rung['equity_share']:.0%} in stocks at this level; " if rung
            else f"Risk level {level} of 10 (1 is the most cautious); ")
        + (f"your portfolio today holds {h['equity_share']:.0%} in stocks because money for "
           "near goals is kept safer. It is expected to return about "
           f"{h['expected_return']:.1%} a year, with typical yearly swings of "
           f"{h['volatility']:.1%}; in a bad year (about one in twenty) it could "
           + (f"lose around {-bad_year:.0%}" if bad_year < 0 else
              f"gain as little as {bad_year:.1%}")
           + ", and worse years can happen."),
    }


def _rebalancing(plan: dict[str, Any]) -> dict[str, Any]:
    dyn = plan.get("dynamic") or {}
    abs_band = float(dyn.get("drift_abs_band") or DEFAULT_ABS_BAND)
    rel_band = float(dyn.get("drift_rel_band") or DEFAULT_REL_BAND)
    rows = []
    for line in plan["household"]["allocation"]:
        w = float(line["weight"])
        if w < 0.0005:
            continue
        half = band_width(w, abs_band, rel_band)
        rows.append({"fund": _sections.asset_label(plan, line["ticker"]),
                     "class": asset_class_label(line["asset_class"]), "target": w,
                     "low": max(0.0, w - half), "high": min(1.0, w + half)})
    return {"abs_band": abs_band, "rel_band": rel_band, "rows": rows,
            "reasons": [plain(r) for r in dyn.get("reasons") or []]}


def _constraints(plan: dict[str, Any]) -> list[str]:
    out = []
    cons = plan["constraints"]
    if cons.get("max_volatility"):
        out.append(f"Volatility at most {cons['max_volatility']:.1%} a year (the limit of risk "
                   f"level {plan['risk']['level']}).")
    if cons.get("max_equity_share") is not None:
        out.append(f"Stocks at most {cons['max_equity_share']:.0%} of the portfolio.")
    uppers = [u for u in cons.get("upper") or [] if u < 1]
    if uppers:
        out.append(f"No single fund above {max(uppers):.0%} of the portfolio.")
    for b in plan["household"]["binding"]:
        out.append(f"{plain(b['description'])} ({_sections.field_label(b['field'])}).")
    if cons.get("min_esg_score") is not None:
        out.append(f"Portfolio ESG score at least {cons['min_esg_score']:g} (0–100 scale).")
    if cons.get("esg_tilt"):
        out.append("A tilt toward funds with higher ESG scores.")
    return out


def ips_data(data: dict[str, Any], *, advisor: str | None = None, firm: str | None = None,
             signers: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The investment-policy summary of a plan, as plain data.

    Parameters
    ----------
    data : dict
        :func:`tailorfolio.report.report_data` (or a stored copy of it).
    advisor, firm : str, optional
        Printed under "Prepared by" and on the advisor's signature line.
    signers : tuple of str, optional
        The clients who sign (one line each); defaults to the plan's investor.

    Returns
    -------
    dict
        ``investor``, ``as_of``, ``currency``, ``wealth``, ``objectives`` (rows),
        ``income_streams`` (the streams the plan counted on, rows), ``risk``,
        ``allocation`` (by broad class and by fund), ``rebalancing`` (bands), ``constraints``
        and ``exclusions`` (sentences), ``esg`` (or None), ``accounts``, ``signers``.
    """
    plan = data["plan"]
    goal_rows = {r["goal"]: r for r in _sections.goal_rows(plan)}
    objectives = []
    for s in plan["sleeves"]:
        if s["kind"] in ("reserve", "long_term"):
            continue
        g = goal_rows.get(s["name"], {})
        objectives.append({"goal": s["name"], "kind": label(s["kind"]),
                           "priority": priority_label(s["priority"]),
                           "years": s["years_to_goal"], "amount": None, "due_year": None,
                           "probability": g.get("probability")})
    outcomes = {o["name"]: o for o in (plan.get("goals") or {}).get("outcomes", [])}
    for o in objectives:
        out = outcomes.get(o["goal"])
        if out:
            o["amount"] = out.get("amount")
            o["due_year"] = int(out["due_year"]) if out.get("due_year") else None
    by_class: dict[str, float] = {}
    for line in plan["household"]["allocation"]:
        key = BROAD_CLASSES.get(line["broad_class"], label(line["broad_class"]))
        by_class[key] = by_class.get(key, 0.0) + line["weight"]
    esg = plan.get("esg")
    return {
        "investor": plan["investor"], "as_of": str(plan["provenance"]["as_of"]),
        "currency": plan["currency"], "wealth": plan["investable_wealth"],
        "advisor": advisor, "firm": firm,
        "objectives": objectives,
        "income_streams": _sections.stream_rows(plan),
        "goals_model": plain((plan.get("goals") or {}).get("model", "")) or None,
        "risk": _risk_meaning(plan),
        "allocation": {"by_class": sorted(by_class.items(), key=lambda kv: -kv[1]),
                       "funds": [{"fund": ln["name"], "ticker": ln["ticker"],
                                  "class": asset_class_label(ln["asset_class"]),
                                  "weight": ln["weight"], "amount": ln["amount"]}
                                 for ln in plan["household"]["allocation"]
                                 if ln["weight"] >= 0.0005]},
        "rebalancing": _rebalancing(plan),
        "constraints": _constraints(plan),
        "exclusions": [{"fund": e["asset"], "reasons": "; ".join(e["reasons"]),
                        "set_by": ", ".join(e["fields"])}
                       for e in _sections.excluded_rows(plan)],
        "esg": None if esg is None else {
            "score": esg["profile"].get("score"), "floor": esg["profile"].get("floor")},
        "accounts": [{"account": ap["account"], "type": account_type_label(ap["account_type"]),
                      "value": ap["value"]}
                     for ap in (plan.get("accounts") or {}).get("plans", [])],
        "signers": list(signers or (plan["investor"],)),
    }


def render_ips_body(ips: dict[str, Any]) -> str:
    """The summary's sections, for embedding in a page (the service's portal)."""
    return plain_html(template_environment().get_template("ips_body.html.j2").render(ips=ips))


def render_ips(ips: dict[str, Any]) -> str:
    """The investment-policy summary as one self-contained HTML document (print-ready)."""
    return template_environment().get_template("ips.html.j2").render(ips=ips, body=render_ips_body(ips))
