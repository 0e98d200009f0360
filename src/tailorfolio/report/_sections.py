"""Read the optional sections of a plan (goals, taxes, ESG) from its plain data.

The goals engine fills ``goal_outcomes`` (one record per goal: ``name``, ``probability``,
``standard_error``, ``levers`` …) and ``extras['goals']['fan_chart_real']`` (wealth
percentiles ``p5`` … by year from today, today's money); the tax engine fills
``account_plans`` (``account``, ``target``, ``sales``, ``purchases``, ``estimated_tax`` …) and
``extras['tax']``; the ESG module fills ``esg`` (``profile`` with score, pillars, coverage,
carbon intensity, exclusions; ``cost`` with the plan's metrics with and without the ESG
preferences). The readers also accept common synonyms, and return ``None`` or an empty list
when a section is absent, so every section of the report is optional.
"""

from __future__ import annotations

import math
from typing import Any

_NAME_KEYS = ("name", "goal", "goal_name")
_PROB_KEYS = ("probability", "success_probability", "probability_of_success", "p_success")
_GOAL_DETAIL_LABELS = {
    "priority": "priority", "due_year": "due", "amount": "amount (today's money)",
    "median_outcome_real": "median funded (today's money)",
    "expected_shortfall_real": "expected shortfall when it fails",
    "mean_funded_ratio": "mean funded ratio", "n_paths": "paths",
    "p10_outcome_real": "10th-percentile funded (today's money)",
}


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def goal_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per goal: ``goal``, ``probability``, ``margin`` (95 % half-width or None),
    ``details`` (label → value) and ``levers`` (sentences: what would raise the probability)."""
    rows = []
    for item in plan.get("goal_outcomes") or []:
        if not isinstance(item, dict):
            continue
        prob = _first(item, _PROB_KEYS)
        se = item.get("standard_error")
        details = {}
        for k, v in item.items():
            if k in _NAME_KEYS + _PROB_KEYS + ("standard_error", "levers", "need_real", "kind"):
                continue
            if _num(v) or isinstance(v, str):
                label = _GOAL_DETAIL_LABELS.get(k, k.replace("_", " "))
                details[label] = str(int(round(v))) if k == "due_year" and _num(v) else v
        rows.append({"goal": str(_first(item, _NAME_KEYS) or "goal"),
                     "probability": float(prob) if _num(prob) else None,
                     "margin": 1.96 * float(se) if _num(se) else None,
                     "details": details, "levers": lever_sentences(item.get("levers"),
                                                                    plan.get("currency", ""))})
    return rows


def lever_sentences(levers: Any, currency: str) -> list[str]:
    """What would raise a goal's probability to its target, in words."""
    if not isinstance(levers, dict):
        return []
    target = levers.get("target_probability")
    out = []
    if _num(levers.get("extra_monthly_saving")):
        out.append(f"save {levers['extra_monthly_saving']:,.0f} {currency} more a month")
    if _num(levers.get("delay_years")):
        out.append(f"delay the goal by {int(levers['delay_years'])} year(s)")
    if _num(levers.get("affordable_amount")):
        out.append(f"aim for {levers['affordable_amount']:,.0f} {currency} instead")
    if out and _num(target):
        out[0] = f"to reach {target:.0%}: {out[0]}"
        out[1:] = [f"or {x}" for x in out[1:]]
    return out


def _is_fan(d: Any) -> bool:
    return isinstance(d, dict) and isinstance(d.get("years"), list) and isinstance(
        d.get("percentiles"), dict) and bool(d["percentiles"])


def fan_series(plan: dict[str, Any]) -> tuple[list[Any], dict[float, list[float]]] | None:
    """Years and wealth percentiles ``{5.0: [...], 50.0: [...], ...}`` if the plan has a fan.

    Read from ``extras['goals']['fan_chart_real']`` (``{"0": {"p5": …}, "1": …}``, years from
    the plan's as-of year), or a mapping ``{"years": [...], "percentiles": {"5": [...]}}`` in
    ``extras['fan']``.
    """
    extras = plan.get("extras") or {}
    goals = extras.get("goals") if isinstance(extras.get("goals"), dict) else {}
    table = goals.get("fan_chart_real")
    if isinstance(table, dict) and table:
        start = int(str(plan.get("provenance", {}).get("as_of", "0"))[:4] or 0)
        steps = sorted(table, key=lambda k: int(k))
        cols = sorted({c for k in steps for c in table[k]}, key=lambda c: float(c.lstrip("p")))
        bands = {float(c.lstrip("p")): [float(table[k][c]) for k in steps] for c in cols}
        return [start + int(k) for k in steps], bands
    for c in (extras.get("fan"), extras.get("wealth_fan")):
        if _is_fan(c):
            bands = {float(str(k).lstrip("p")): [float(x) for x in v]
                     for k, v in c["percentiles"].items()}
            return list(c["years"]), bands
    return None


def account_targets(plan: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(account, {asset: target amount}) from the tax engine's account plans."""
    out = []
    for ap in plan.get("account_plans") or []:
        if not isinstance(ap, dict):
            continue
        name = ap.get("account") or ap.get("name")
        amounts = ap.get("target") or ap.get("target_amounts")
        if name and isinstance(amounts, dict):
            out.append((str(name), {str(k): float(v) for k, v in amounts.items() if _num(v)}))
    return out


def trade_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every proposed trade: account, side, asset, quantity, price, amount, holding period and
    tax (sales carry their estimated tax; purchases none)."""
    out = []
    for ap in plan.get("account_plans") or []:
        if not isinstance(ap, dict):
            continue
        account = ap.get("account") or ap.get("name") or ""
        for side, key in (("sell", "sales"), ("buy", "purchases")):
            for t in ap.get(key) or []:
                if not isinstance(t, dict):
                    continue
                qty, price = t.get("quantity"), t.get("price")
                amount = qty * price if _num(qty) and _num(price) else t.get("amount")
                term = t.get("long_term")
                out.append({"account": account, "side": side, "asset": t.get("asset", ""),
                            "quantity": qty, "price": price, "amount": amount,
                            "term": "" if term is None else ("long" if term else "short"),
                            "tax": t.get("tax") if side == "sell" else None})
        for t in ap.get("trades") or []:  # a generic trade list
            if isinstance(t, dict):
                out.append({"account": account, "side": t.get("side", ""),
                            "asset": t.get("asset", ""), "quantity": t.get("quantity"),
                            "price": t.get("price"), "amount": t.get("amount"), "term": "",
                            "tax": t.get("tax")})
    return out


def skipped_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Trades the tax engine chose not to make, and why."""
    out = []
    for ap in plan.get("account_plans") or []:
        if isinstance(ap, dict):
            for s in ap.get("skipped") or []:
                if isinstance(s, dict):
                    out.append({"account": ap.get("account", ""), **s})
    return out


def tax_summary(plan: dict[str, Any]) -> list[tuple[str, Any]]:
    """Household and per-account tax figures (realized gains, estimated tax, location benefit)."""
    out: list[tuple[str, Any]] = []
    tax = (plan.get("extras") or {}).get("tax")
    if isinstance(tax, dict):
        for key, label in (("estimated_tax", "Estimated tax on the proposed sales (household)"),
                           ("realized_short_term", "Realized short-term gains"),
                           ("realized_long_term", "Realized long-term gains"),
                           ("location_annual_benefit",
                            "Asset location benefit (after-tax return per year)")):
            if _num(tax.get(key)):
                out.append((label, tax[key]))
        harvests = [h for h in tax.get("harvests") or [] if isinstance(h, dict)]
        if harvests:
            total = sum(h.get("net_benefit", 0.0) for h in harvests if _num(h.get("net_benefit")))
            out.append((f"Tax-loss harvests available ({len(harvests)})", total))
    for ap in plan.get("account_plans") or []:
        if isinstance(ap, dict) and _num(ap.get("estimated_tax")):
            out.append((f"{ap.get('account', '')}: estimated tax", ap["estimated_tax"]))
    return out


def harvest_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    tax = (plan.get("extras") or {}).get("tax")
    if not isinstance(tax, dict):
        return []
    return [h for h in tax.get("harvests") or [] if isinstance(h, dict)]


def esg_view(plan: dict[str, Any]) -> dict[str, Any] | None:
    """The ESG section normalised: ``score``, ``pillars``, ``coverage``, ``carbon_intensity``,
    ``excluded``, ``cost`` (with/without rows), ``items`` (other scalars), ``warnings``."""
    esg = plan.get("esg")
    if not isinstance(esg, dict):
        return None
    prof = esg.get("profile") if isinstance(esg.get("profile"), dict) else esg
    pillars = prof.get("pillars") if isinstance(prof.get("pillars"), dict) else {
        k.upper(): prof.get(k) for k in ("e", "s", "g") if _num(prof.get(k))}
    cost = esg.get("cost") if isinstance(esg.get("cost"), dict) else None
    cost_rows = []
    if cost and isinstance(cost.get("with_esg"), dict):
        for key, label in (("expected_return", "Expected return"), ("volatility", "Volatility"),
                           ("sharpe", "Sharpe ratio"), ("esg_score", "ESG score")):
            a, b = cost["with_esg"].get(key), cost.get("without_esg", {}).get(key)
            cost_rows.append({"metric": label, "with": a, "without": b,
                              "pct": key in ("expected_return", "volatility")})
    skip = {"profile", "cost", "warnings", "pillars", "excluded", "notes", "unscored_holdings"}
    items = [(k.replace("_", " "), f"{100 * v:.0f} %" if k.endswith("coverage") and _num(v)
              else v) for k, v in prof.items()
             if k not in skip and (_num(v) or isinstance(v, str))]
    items += [(k.replace("_", " "), v) for k, v in esg.items()
              if prof is not esg and k not in skip and (_num(v) or isinstance(v, str))]
    excluded = [e for e in prof.get("excluded") or [] if isinstance(e, dict)]
    return {"score": prof.get("score") if _num(prof.get("score")) else prof.get("esg_score"),
            "pillars": {k: v for k, v in pillars.items() if _num(v)},
            "cost": cost_rows, "cost_raw": cost or {}, "items": items, "excluded": excluded,
            "warnings": list(esg.get("warnings") or []) + list(prof.get("notes") or [])}


def esg_items(plan: dict[str, Any]) -> list[tuple[str, Any]]:
    """Scalar figures of the ESG section."""
    view = esg_view(plan)
    return view["items"] if view else []
