"""Read the optional sections of a plan (goals, taxes, ESG) from its plain data.

The goals, tax and ESG engines fill ``goal_outcomes``, ``account_plans`` and ``esg``. These
readers accept the field names those engines use and their common synonyms, and return ``None``
or an empty list when a section is absent, so every section of the report is optional.
"""

from __future__ import annotations

from typing import Any

_NAME_KEYS = ("goal", "name", "goal_name")
_PROB_KEYS = ("probability", "success_probability", "probability_of_success", "p_success")


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def goal_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per goal: ``goal``, ``probability`` (decimal or None) and the scalar details."""
    rows = []
    for item in plan.get("goal_outcomes") or []:
        if not isinstance(item, dict):
            continue
        prob = _first(item, _PROB_KEYS)
        details = {k: v for k, v in item.items()
                   if k not in _NAME_KEYS + _PROB_KEYS and isinstance(v, (int, float, str))
                   and not isinstance(v, bool)}
        rows.append({"goal": str(_first(item, _NAME_KEYS) or "goal"),
                     "probability": float(prob) if isinstance(prob, (int, float)) else None,
                     "details": details})
    return rows


def _is_fan(d: Any) -> bool:
    return isinstance(d, dict) and isinstance(d.get("years"), list) and isinstance(
        d.get("percentiles"), dict) and bool(d["percentiles"])


def fan_series(plan: dict[str, Any]) -> tuple[list[Any], dict[float, list[float]]] | None:
    """Years and wealth percentiles ``{5.0: [...], 50.0: [...], ...}`` if the plan has a fan.

    Looked for in ``extras['fan']`` / ``extras['wealth_fan']`` and in the goals section as a
    mapping ``{"years": [...], "percentiles": {"5": [...], ...}}``.
    """
    extras = plan.get("extras") or {}
    candidates = [extras.get("fan"), extras.get("wealth_fan"), extras.get("monte_carlo")]
    candidates += [g.get("fan") for g in plan.get("goal_outcomes") or [] if isinstance(g, dict)]
    for c in candidates:
        if _is_fan(c):
            bands = {float(str(k).lstrip("p")): [float(x) for x in v]
                     for k, v in c["percentiles"].items()}
            return list(c["years"]), bands
    return None


def trade_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Trades of every account plan: account, asset, side, quantity/amount and tax."""
    out = []
    for ap in plan.get("account_plans") or []:
        if not isinstance(ap, dict):
            continue
        account = ap.get("account") or ap.get("name") or ""
        for t in ap.get("trades") or []:
            if isinstance(t, dict):
                out.append({"account": account, **{k: v for k, v in t.items()
                                                   if not isinstance(v, (dict, list))}})
    return out


def tax_summary(plan: dict[str, Any]) -> list[tuple[str, Any]]:
    """Scalar tax figures of every account plan (e.g. realized gains, estimated tax)."""
    out = []
    for ap in plan.get("account_plans") or []:
        if not isinstance(ap, dict):
            continue
        account = ap.get("account") or ap.get("name") or ""
        for k, v in ap.items():
            if ("tax" in k or "gain" in k) and isinstance(v, (int, float)) and not isinstance(
                    v, bool):
                out.append((f"{account}: {k.replace('_', ' ')}", v))
    return out


def esg_items(plan: dict[str, Any]) -> list[tuple[str, Any]]:
    """Scalar figures of the ESG section (scores, carbon intensity, cost of values)."""
    esg = plan.get("esg")
    if not isinstance(esg, dict):
        return []
    return [(k.replace("_", " "), v) for k, v in esg.items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
