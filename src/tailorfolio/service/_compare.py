"""Side-by-side comparison of two plans or scenarios of one client: allocation, trades,
taxes and goal odds, each with the difference.

A side is ``plan:<id>`` or ``scenario:<id>``. A scenario is a what-if of its plan: it changes
the cash flows (and, with another risk level, today's allocation) but makes no new trades, so
its trades and tax are its plan's, marked as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tailorfolio.service import _logic as L
from tailorfolio.service._errors import NotFoundError
from tailorfolio.service._models import Advisor, PlanRecord
from tailorfolio.service._scenarios import get_scenario

REF_PATTERN = re.compile(r"(plan|scenario):([1-9][0-9]{0,9})")
SHOWN_WEIGHT = 1e-4
"""Weights below this on both sides are left out of the table."""


@dataclass
class Side:
    """One side of a comparison, as plain data."""

    ref: str
    label: str
    plan_id: int
    weights: dict[str, float]
    goals: dict[str, float] | None
    expected_return: float
    volatility: float
    equity_share: float
    estimated_tax: float | None
    trades: list[dict[str, Any]] = field(default_factory=list)
    trades_note: str = ""


def parse_ref(ref: str) -> tuple[str, int]:
    m = REF_PATTERN.fullmatch(ref.strip())
    if not m:
        raise NotFoundError(f"{ref!r} is not a plan or scenario reference.", field="ref",
                            value=ref, expected="plan:<id> or scenario:<id>")
    return m.group(1), int(m.group(2))


def _trades(report: dict[str, Any]) -> list[dict[str, Any]]:
    accounts = (report.get("plan", {}).get("accounts") or {}).get("plans", [])
    out = []
    for a in accounts:
        for sale in a.get("sales", []):
            out.append({"account": a["account"], "action": "sell", "asset": sale["asset"],
                        "amount": float(sale["quantity"]) * float(sale["price"]),
                        "tax": float(sale.get("tax") or 0.0)})
        for buy in a.get("purchases", []):
            out.append({"account": a["account"], "action": "buy", "asset": buy["asset"],
                        "amount": float(buy["quantity"]) * float(buy["price"]), "tax": 0.0})
    return out


def _tax(report: dict[str, Any]) -> float | None:
    tax = (report.get("plan", {}).get("accounts") or {}).get("tax")
    return None if not tax else float(tax["estimated_tax"])


def _plan_side(row: PlanRecord) -> Side:
    plan = row.report.get("plan", {})
    goals = plan.get("goals")
    return Side(f"plan:{row.id}", f"Plan #{row.id} ({row.created_at:%Y-%m-%d})", row.id,
                {t: float(w) for t, w in plan.get("household", {}).get("weights", {}).items()},
                None if not goals else {g["name"]: float(g["probability"])
                                        for g in goals["outcomes"]},
                float(row.expected_return), float(row.volatility), float(row.equity_share),
                _tax(row.report), _trades(row.report))


def side(db: Session, me: Advisor, client_id: int, ref: str) -> Side:
    """The side ``ref`` of a comparison for one of the advisor's clients."""
    kind, id_ = parse_ref(ref)
    if kind == "plan":
        return _plan_side(L.get_plan(db, me, client_id, id_))
    sc = get_scenario(db, me, client_id, id_)
    row = L.get_plan(db, me, client_id, sc.plan_id)
    base = _plan_side(row)
    r = sc.results
    level_changed = r["inputs"]["risk_level"] != r["plan_inputs"]["risk_level"]
    note = (f"Trades and tax are plan #{row.id}'s: a scenario makes no new trades"
            + (" (at another risk level the trades would differ: make a plan to see them)."
               if level_changed else "."))
    return Side(f"scenario:{sc.id}", f"Scenario '{sc.name}' (plan #{row.id})", row.id,
                {t: float(w) for t, w in r["weights_now"].items()},
                {g["name"]: float(g["probability"]) for g in r["goals"]},
                float(r["expected_return_now"]), float(r["volatility_now"]),
                float(r["equity_share_now"]), base.estimated_tax, base.trades, note)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def compare(a: Side, b: Side) -> dict[str, Any]:
    """Rows of the comparison (``b - a`` is every difference)."""
    tickers = sorted(set(a.weights) | set(b.weights),
                     key=lambda t: -max(a.weights.get(t, 0.0), b.weights.get(t, 0.0)))
    allocation = [{"ticker": t, "a": a.weights.get(t, 0.0), "b": b.weights.get(t, 0.0),
                   "difference": b.weights.get(t, 0.0) - a.weights.get(t, 0.0)}
                  for t in tickers
                  if max(a.weights.get(t, 0.0), b.weights.get(t, 0.0)) >= SHOWN_WEIGHT]
    names = list(dict.fromkeys([*(a.goals or {}), *(b.goals or {})]))
    goals = [{"name": n, "a": (a.goals or {}).get(n), "b": (b.goals or {}).get(n),
              "difference": _diff((a.goals or {}).get(n), (b.goals or {}).get(n))}
             for n in names]
    metrics = [{"name": name, "a": x, "b": y, "difference": y - x} for name, x, y in (
        ("expected return", a.expected_return, b.expected_return),
        ("volatility", a.volatility, b.volatility),
        ("stocks", a.equity_share, b.equity_share))]
    return {"a": _side_view(a), "b": _side_view(b), "allocation": allocation, "goals": goals,
            "metrics": metrics,
            "tax": {"a": a.estimated_tax, "b": b.estimated_tax,
                    "difference": _diff(a.estimated_tax, b.estimated_tax)}}


def _side_view(s: Side) -> dict[str, Any]:
    return {"ref": s.ref, "label": s.label, "plan_id": s.plan_id, "trades": s.trades,
            "trades_note": s.trades_note, "estimated_tax": s.estimated_tax}


def compare_refs(db: Session, me: Advisor, client_id: int, a: str, b: str) -> dict[str, Any]:
    return compare(side(db, me, client_id, a), side(db, me, client_id, b))
