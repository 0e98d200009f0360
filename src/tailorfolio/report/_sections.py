"""Read the report's tables from the plan's typed sections (``Plan.to_dict()``).

Every reader takes the plan dict, reads the keys :func:`tailorfolio.planning.plan_json_schema`
defines (no synonyms), and returns rows ready for the template. Optional sections (``goals``,
``accounts``, ``esg``, ``income_streams``) give ``None`` or empty lists when the plan has none.
"""

from __future__ import annotations

import math
from typing import Any

from tailorfolio.report._labels import (
    STREAM_KINDS,
    STREAM_OWNERS,
    account_type_label,
    field_phrase,
    label,
    plain,
    priority_label,
    words,
)


def field_label(path: str) -> str:
    """A profile field path as a client reads it: "The sectors you asked to exclude"."""
    phrase = field_phrase(path)
    return phrase[:1].upper() + phrase[1:]


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def humanize(identifier: str) -> str:
    """The client-facing words of an identifier: ``us_small_cap_equity`` → ``US
    small-company stocks`` (:func:`tailorfolio.report._labels.label`)."""
    return label(identifier)


def asset_names(plan: dict[str, Any]) -> dict[str, str]:
    """Ticker → the fund's name in the plan's market."""
    return {a["ticker"]: a["name"] for a in plan["market"]["assets"]}


def asset_classes(plan: dict[str, Any]) -> dict[str, str]:
    """Ticker → readable asset class (``US large cap equity``)."""
    return {a["ticker"]: humanize(a["asset_class"]) for a in plan["market"]["assets"]}


def asset_label(plan: dict[str, Any], ticker: str) -> str:
    """``Vanguard Total Stock Market ETF (VTI)``, or the ticker when the plan has no name."""
    name = asset_names(plan).get(ticker)
    return f"{name} ({ticker})" if name and name != ticker else str(ticker)


def allocation_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The household target: one row per held fund, largest first."""
    return [{**line, "class_label": humanize(line["asset_class"]),
             "broad_label": humanize(line["broad_class"])}
            for line in plan["household"]["allocation"]]


def class_weights(plan: dict[str, Any]) -> list[tuple[str, float]]:
    """(readable broad class, total weight), largest first."""
    out: dict[str, float] = {}
    for line in plan["household"]["allocation"]:
        key = humanize(line["broad_class"])
        out[key] = out.get(key, 0.0) + line["weight"]
    return sorted(out.items(), key=lambda kv: -kv[1])


# ------------------------------------------------------------------------------- goals

_GOAL_DETAIL_LABELS = (
    ("priority", "priority"), ("due_year", "due"), ("amount", "amount (today's money)"),
    ("median_outcome_real", "median funded (today's money)"),
    ("p10_outcome_real", "10th-percentile funded (today's money)"),
    ("expected_shortfall_real", "expected shortfall when it fails"),
    ("mean_funded_ratio", "mean funded ratio"),
)


def goal_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per goal of ``plan['goals']['outcomes']``: ``goal``, ``probability``,
    ``margin`` (95 % half-width), ``details`` (label → value) and ``levers`` (sentences)."""
    goals = plan.get("goals")
    if not goals:
        return []
    rows = []
    for o in goals["outcomes"]:
        details: dict[str, Any] = {}
        for key, label in _GOAL_DETAIL_LABELS:
            v = o.get(key)
            if key == "due_year" and _num(v):
                v = str(int(v))
            if key == "priority" and isinstance(v, str):
                v = priority_label(v)
            if v is not None and v != "":
                details[label] = v
        se = o.get("standard_error")
        rows.append({"goal": o["name"], "kind": humanize(o["kind"]),
                     "probability": o["probability"],
                     "margin": 1.96 * se if _num(se) and se > 0 else None,
                     "details": details,
                     "levers": lever_sentences(o.get("levers"), plan["currency"])})
    return rows


def lever_sentences(levers: dict[str, Any] | None, currency: str) -> list[str]:
    """What would raise a goal's probability to its target, in words."""
    if not levers:
        return []
    out = []
    if _num(levers.get("extra_monthly_saving")):
        out.append(f"save {levers['extra_monthly_saving']:,.0f} {currency} more a month")
    if _num(levers.get("delay_years")):
        out.append(f"delay the goal by {int(levers['delay_years'])} year(s)")
    if _num(levers.get("affordable_amount")):
        out.append(f"aim for {levers['affordable_amount']:,.0f} {currency} instead")
    if out and _num(levers.get("target_probability")):
        out[0] = f"to reach {levers['target_probability']:.0%}: {out[0]}"
        out[1:] = [f"or {x}" for x in out[1:]]
    return out


def alternative_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Policies the plan did not choose, each with the plan's own figure beside it."""
    goals = plan.get("goals")
    return list(goals["alternatives"]) if goals else []


def withdrawal_rows(plan: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(label, value, is_percent) of the income goal's sustainable-withdrawal figures."""
    w = (plan.get("goals") or {}).get("withdrawal")
    if not w:
        return []
    rows: list[tuple[str, Any, bool]] = [
        ("Sustainable rate, simulated markets "
         f"({w['success_level']:.0%} of paths last {w['years']} years)",
         w["mc_sustainable_rate"], True),
        ("Simulated paths on which 4 % a year lasts", w["mc_success_at_4pct"], True),
        (f"Sustainable rate, history ({w['historical_windows']} US windows "
         f"{w['historical_first_start']}–{w['historical_last_start']})",
         w["historical_sustainable_rate"], True),
        ("Historical windows on which 4 % a year lasts", w["historical_success_at_4pct"], True),
    ]
    if w.get("historical_worst_start"):
        rows.append((f"Worst historical start ({w['historical_worst_start']}): sustainable rate",
                     w["historical_worst_rate"], True))
    if _num(w.get("planned_rate_today")):
        rows.append(("Your planned withdrawal rate", w["planned_rate_today"], True))
        if _num(w.get("mc_success_at_planned")):
            rows.append(("Simulated paths on which your rate lasts", w["mc_success_at_planned"],
                         True))
    return rows


def fan_series(plan: dict[str, Any]) -> tuple[list[int], dict[float, list[float]]] | None:
    """Calendar years and wealth percentiles ``{5.0: [...], 50.0: [...]}`` (today's money)
    from ``plan['goals']['fan_chart_real']`` (``year`` counts years from the as-of date)."""
    points = (plan.get("goals") or {}).get("fan_chart_real") or []
    if not points:
        return None
    start = int(str(plan["provenance"]["as_of"])[:4])
    cols = sorted((k for k in points[0] if k.startswith("p")), key=lambda c: float(c[1:]))
    bands = {float(c[1:]): [float(p[c]) for p in points] for c in cols}
    return [start + int(p["year"]) for p in points], bands


# ----------------------------------------------------------------------------- sleeves

def _glide_text(glide: list[list[float]]) -> str:
    """Glide path points, in words: the start, each change of direction, and the end."""
    if not glide:
        return ""
    if len(glide) == 1:
        return "no glide path (held as it is)"
    if all(abs(g[1] - glide[0][1]) < 1e-9 for g in glide):
        return f"flat at {glide[0][1]:.0%}"
    keep = [glide[0]]
    for prev, cur in zip(glide, glide[1:], strict=False):
        if abs(cur[1] - prev[1]) > 1e-9 and abs(prev[1] - keep[-1][1]) < 1e-9 and \
                prev is not keep[-1]:
            keep.append(prev)  # the last year before the share starts to move
    if keep[-1] is not glide[-1]:
        keep.append(glide[-1])
    return " → ".join(f"year {int(t)}: {s:.0%}" for t, s in keep)


def sleeve_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per sleeve: name, kind, money, share of wealth, stocks now, glide in words."""
    rows = []
    for s in plan["sleeves"]:
        rows.append({"name": s["name"], "kind": humanize(s["kind"]),
                     "priority": priority_label(s["priority"]), "years_to_goal": s["years_to_goal"],
                     "amount": s["amount"], "share_of_wealth": s["share_of_wealth"],
                     "equity_share_now": s["equity_share_now"],
                     "max_equity_share": s["max_equity_share"], "intensity": s["intensity"],
                     "glide": _glide_text(s["glide"]), "reason": s["reason"],
                     "stream_present_value": s.get("stream_present_value"),
                     "need_present_value": s.get("need_present_value")})
    return rows


def stream_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per income stream the plan counted on (none for plans without streams, or
    stored before the plan listed them): its name and kind, whose it is, the ages it pays,
    the yearly amount in words, the goals it pays and the present value counted."""
    sec = plan.get("income_streams")
    if not sec:
        return []
    rows = []
    for st in sec["streams"]:
        kind = STREAM_KINDS.get(st["kind"]) or words(st["kind"])
        ends = "for life" if st["end_age"] is None else f"until {st['end_age']}"
        if st["inflation_adjusted"]:
            rises = "keeps up with prices"
        elif st["cola"] > 0:
            rises = f"fixed amount, +{st['cola']:.1%} a year (does not follow prices)"
        else:
            rises = "fixed amount (does not follow prices)"
        default_name = st["name"] == st["kind"].replace("_", " ")
        rows.append({"name": kind if default_name else st["name"], "kind": kind,
                     "owner": STREAM_OWNERS.get(st["owner"]) or words(st["owner"]),
                     "ages": f"from {st['start_age']} {ends}", "annual_amount":
                     st["annual_amount"], "rises": rises,
                     "pays": ", ".join(st["pays_goals"]) or "no income goal (not counted)",
                     "counted_present_value": st["counted_present_value"]})
    return rows


# -------------------------------------------------------------------- accounts and tax

def trade_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every proposed trade: account, side, asset (readable), quantity, price, amount,
    holding period and tax (sales carry their estimated tax; a negative tax is a saving)."""
    out = []
    for ap in (plan.get("accounts") or {}).get("plans", []):
        for s in ap["sales"]:
            out.append({"account": ap["account"], "side": "sell", "ticker": s["asset"],
                        "asset": asset_label(plan, s["asset"]), "quantity": s["quantity"],
                        "price": s["price"], "amount": s["quantity"] * s["price"],
                        "term": "long" if s["long_term"] else "short", "tax": s["tax"]})
        for p in ap["purchases"]:
            out.append({"account": ap["account"], "side": "buy", "ticker": p["asset"],
                        "asset": asset_label(plan, p["asset"]), "quantity": p["quantity"],
                        "price": p["price"], "amount": p["quantity"] * p["price"],
                        "term": "", "tax": None})
    return out


def skipped_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Trades toward the target deliberately not made, and why."""
    return [{"account": ap["account"], "ticker": s["asset"],
             "asset": asset_label(plan, s["asset"]), "amount": s["amount"],
             "reason": s["reason"], "tax_cost": s.get("tax_cost", 0.0)}
            for ap in (plan.get("accounts") or {}).get("plans", []) for s in ap["skipped"]]


def account_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Per account: type, value, estimated tax of its trades, realized gains, drift after."""
    return [{"account": ap["account"], "type": account_type_label(ap["account_type"]),
             "value": ap["value"], "estimated_tax": ap["estimated_tax"],
             "realized_short_term": ap["realized_short_term"],
             "realized_long_term": ap["realized_long_term"],
             "max_drift_after": ap["max_drift_after"], "cash_after": ap["cash_after"],
             "n_trades": len(ap["sales"]) + len(ap["purchases"]),
             "n_skipped": len(ap["skipped"])}
            for ap in (plan.get("accounts") or {}).get("plans", [])]


def tax_summary(plan: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(label, value, format) of ``plan['accounts']['tax']``; format is ``money`` or ``pct``."""
    accounts = plan.get("accounts")
    if not accounts:
        return []
    tax = accounts["tax"]
    out: list[tuple[str, Any, str]] = [
        ("Estimated tax on the proposed sales (household; negative = a saving)",
         tax["estimated_tax"], "money"),
        ("Realized short-term gains", tax["realized_short_term"], "money"),
        ("Realized long-term gains", tax["realized_long_term"], "money"),
        ("Asset location benefit (after-tax return per year)",
         tax["location_annual_benefit"], "pct"),
        (f"After-tax value in {tax['horizon_years']} years: this placement",
         tax["location_after_tax_value"], "money"),
        (f"After-tax value in {tax['horizon_years']} years: same mix in every account",
         tax["pro_rata_after_tax_value"], "money"),
    ]
    harvests = tax["harvests"]
    if harvests:
        out.append((f"Tax-loss harvests available ({len(harvests)}), net benefit",
                    sum(h["net_benefit"] for h in harvests), "money"))
    rates = tax.get("rates") or {}
    if rates:
        names = {"ordinary": "ordinary income", "long_term": "long-term gains",
                 "niit": "net investment income tax", "state": "state"}
        text = ", ".join(f"{label} {rates[k]:.1%}" for k, label in names.items()
                         if _num(rates.get(k)))
        out.append(("Marginal tax rates used", f"{text} ({rates.get('source', '')})", "text"))
    return out


def harvest_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Tax-loss harvesting opportunities with the asset's readable name."""
    accounts = plan.get("accounts")
    if not accounts:
        return []
    return [{**h, "asset_label": asset_label(plan, h["asset"])}
            for h in accounts["tax"]["harvests"]]


def excluded_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """``plan['excluded']`` grouped by fund: one row per fund with every rule that removed it
    and the profile fields that set them."""
    rows: dict[str, dict[str, Any]] = {}
    for e in plan["excluded"]:
        row = rows.setdefault(e["ticker"], {"ticker": e["ticker"],
                                            "asset": asset_label(plan, e["ticker"]),
                                            "reasons": [], "fields": []})
        for key, value in (("reasons", plain(e["reason"])), ("fields", field_label(e["field"]))):
            if value not in row[key]:
                row[key].append(value)
    return list(rows.values())


# ------------------------------------------------------------------------ risk ladder

def ladder_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Risk level → equity share, expected return, volatility; ``current`` marks the
    investor's level."""
    level = plan["risk"]["level"]
    return [{"level": r["level"], "equity_share": r["equity_share"],
             "expected_return": r["expected_return"], "volatility": r["volatility"],
             "current": r["level"] == level} for r in plan["ladder"]]


# --------------------------------------------------------------------------------- ESG

def esg_view(plan: dict[str, Any]) -> dict[str, Any] | None:
    """The ESG section for the template (None unless the investor expressed preferences):
    ``score``, ``pillars``, ``items`` (label, value), ``cost`` rows, ``excluded``,
    ``added_funds``, ``warnings``."""
    esg = plan.get("esg")
    if esg is None:
        return None
    prof = esg["profile"]
    items: list[tuple[str, Any]] = [
        ("Coverage (share of the portfolio with a score)", f"{prof['coverage']:.0%}")]
    if _num(prof.get("score_missing_as_worst")):
        items.append(("Score counting unscored holdings as 0", prof["score_missing_as_worst"]))
    if _num(prof.get("carbon_intensity")):
        items.append(("Carbon intensity (t CO₂e per $m revenue)", prof["carbon_intensity"]))
    if _num(prof.get("floor")):
        items.append(("Your minimum ESG score", prof["floor"]))
    if _num(prof.get("tilt")) and prof["tilt"]:
        items.append(("ESG tilt", prof["tilt"]))
    if prof.get("score_source"):
        items.append(("Scores", prof["score_source"]))
    if prof.get("unscored_holdings"):
        items.append(("Holdings without a score",
                      ", ".join(asset_label(plan, t) for t in prof["unscored_holdings"])))
    cost_rows = []
    cost = esg.get("cost")
    if cost:
        for key, label in (("expected_return", "Expected return"), ("volatility", "Volatility"),
                           ("sharpe", "Sharpe ratio"), ("esg_score", "ESG score")):
            cost_rows.append({"metric": label, "with": cost["with_esg"].get(key),
                              "without": cost["without_esg"].get(key),
                              "pct": key in ("expected_return", "volatility")})
        for goal, p in (cost.get("goals_with") or {}).items():
            cost_rows.append({"metric": f"Probability: {goal}", "with": p,
                              "without": (cost.get("goals_without") or {}).get(goal),
                              "pct": True})
    return {"score": prof.get("score"),
            "pillars": {k: v for k, v in (prof.get("pillars") or {}).items() if _num(v)},
            "items": items, "cost": cost_rows,
            "excluded": [{"ticker": e["ticker"], "asset": asset_label(plan, e["ticker"]),
                          "reasons": e["reasons"]} for e in prof.get("excluded") or []],
            "added_funds": list(esg.get("added_funds") or []),
            "warnings": list(esg.get("warnings") or []) + list(prof.get("notes") or [])
            + list((cost or {}).get("notes") or [])}
