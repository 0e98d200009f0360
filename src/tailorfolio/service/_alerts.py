"""Alerts of a book re-plan: the rules that raise them, and the advisor acting on or dismissing
them (both recorded in the audit log with who, when and why).

Rules (each evaluated on one client's stored book result):

* ``drift`` — some asset's weight is more than :data:`DRIFT_BAND` (5 percentage points, the
  rebalancer's ``drift_tolerance``) away from the client's target weight.
* ``goal`` — a goal's probability is below its aim: :data:`GOAL_AIM` by priority (essential
  90 %, important 75 %, aspirational 50 %), the same targets the full plan's "what would raise
  it" levers aim for (:data:`tailorfolio.goals.TARGET_PROBABILITY`).
* ``harvest`` — actionable tax-loss harvests (the tax module's :func:`find_harvests`) worth at
  least :data:`HARVEST_MIN_LOSS` of losses in total.
* ``wash_sale`` — a lot with a harvestable loss whose substantially identical security was
  bought within 30 days in any account of the household (IRC §1091; the tax module's
  wash-sale test): selling it now would wash the loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tailorfolio.goals._outcomes import TARGET_PROBABILITY
from tailorfolio.service._errors import ConflictError, NotFoundError
from tailorfolio.service._models import Advisor, Alert, AuditEntry, Client, utcnow
from tailorfolio.tax._rebalance import RebalanceSettings

DRIFT_BAND = RebalanceSettings().drift_tolerance
"""Largest |weight − target| of any asset before a drift alert (decimal: 0.05 = 5 points)."""
GOAL_AIM: dict[str, float] = dict(TARGET_PROBABILITY)
"""Probability each goal priority should reach (decimal)."""
HARVEST_MIN_LOSS = 1_000.0
"""Total actionable harvestable losses (dollars) from which a harvest alert is raised."""
KINDS = ("drift", "goal", "harvest", "wash_sale")
OPEN, ACTED, DISMISSED, SUPERSEDED = "open", "acted", "dismissed", "superseded"
ACTIONS = ("plan", "harvest")
"""What "act" can do: queue a full plan of the client, or queue the harvest trades."""


@dataclass(frozen=True)
class AlertDraft:
    """An alert before it is stored."""

    kind: str
    message: str
    detail: dict[str, Any]


def goal_aim(priority: str) -> float:
    return GOAL_AIM.get(priority, GOAL_AIM["important"])


def raise_alerts(drift: float | None, drift_asset: str | None, goals: list[dict[str, Any]],
                 harvests: list[dict[str, Any]]) -> list[AlertDraft]:
    """The alerts of one client's result (pure).

    Parameters
    ----------
    drift : float or None
        Largest |current − target| weight over the assets (None: no target).
    drift_asset : str or None
        The asset with that drift.
    goals : list of dict
        ``name, priority, probability, aim`` per goal (decimals).
    harvests : list of dict
        Loss lots (``HarvestOpportunity.to_dict()`` fields).
    """
    out: list[AlertDraft] = []
    if drift is not None and drift > DRIFT_BAND:
        out.append(AlertDraft("drift", f"{drift_asset} is {100 * drift:.1f} points from its "
                              f"target weight (band {100 * DRIFT_BAND:.0f} points).",
                              {"drift": drift, "asset": drift_asset, "band": DRIFT_BAND}))
    for g in goals:
        if g["probability"] is not None and g["probability"] < g["aim"]:
            out.append(AlertDraft(
                "goal", f"Goal {g['name']} ({g['priority']}) has a {100 * g['probability']:.0f} % "
                f"probability, below its aim of {100 * g['aim']:.0f} %.",
                {"goal": g["name"], "priority": g["priority"], "probability": g["probability"],
                 "aim": g["aim"]}))
    actionable = [h for h in harvests if h["actionable"]]
    total = sum(h["loss"] for h in actionable)
    if actionable and total >= HARVEST_MIN_LOSS:
        trades = [{"account": h["account"], "lot_id": h["lot_id"], "asset": h["asset"],
                   "quantity": h["quantity"], "loss": h["loss"], "buy": h["replacement"]}
                  for h in actionable]
        out.append(AlertDraft(
            "harvest", f"{len(actionable)} lot(s) can harvest {total:,.0f} of losses "
            f"(estimated tax benefit {sum(h['tax_benefit'] for h in actionable):,.0f}).",
            {"total_loss": total, "trades": trades, "threshold": HARVEST_MIN_LOSS}))
    for h in harvests:
        if h["conflicts"]:
            out.append(AlertDraft(
                "wash_sale", f"Harvesting the {h['asset']} loss of {h['loss']:,.0f} in "
                f"{h['account']} would be a wash sale: {h['conflicts'][0]}.",
                {"asset": h["asset"], "account": h["account"], "lot_id": h["lot_id"],
                 "loss": h["loss"], "conflicts": list(h["conflicts"]),
                 "safe_after": h["safe_after"]}))
    return out


# ------------------------------------------------------------------ listing, acting, dismissing

def _scoped(me: Advisor) -> sa.Select[Any]:
    stmt = sa.select(Alert, Client.name).join(Client, Client.id == Alert.client_id).where(
        Alert.firm_id == me.firm_id, Client.firm_id == me.firm_id,
        Client.deleted_at.is_(None))
    if not me.is_admin:
        stmt = stmt.where(Client.advisor_id == me.id)
    return stmt


def list_alerts(db: Session, me: Advisor, *, status: str | None = OPEN, kind: str | None = None,
                client_id: int | None = None, limit: int = 50, offset: int = 0
                ) -> tuple[list[tuple[Alert, str]], int]:
    """Alerts of the clients the advisor may see, newest first, with the client's name."""
    stmt = _scoped(me)
    if status:
        stmt = stmt.where(Alert.status == status)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if client_id:
        stmt = stmt.where(Alert.client_id == client_id)
    total = db.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.execute(stmt.order_by(Alert.id.desc()).limit(limit).offset(offset)).all()
    return [(a, name) for a, name in rows], int(total or 0)


def get_alert(db: Session, me: Advisor, alert_id: int) -> Alert:
    row = db.execute(_scoped(me).where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFoundError(f"No alert {alert_id} among your clients' alerts.", field="alert_id",
                            value=alert_id, fix="list the open alerts (GET /api/v1/alerts)")
    return row[0]


def _resolve(db: Session, me: Advisor, alert: Alert, status: str, resolution: str,
             audit_action: str, **detail: Any) -> Alert:
    if alert.status != OPEN:
        db.rollback()
        raise ConflictError(f"Alert {alert.id} is already {alert.status}.", field="status",
                            value=alert.status, expected="an open alert",
                            fix="reload the alerts list")
    alert.status = status
    alert.resolved_by = me.id
    alert.resolved_at = utcnow()
    alert.resolution = resolution[:500]
    db.add(AuditEntry(firm_id=me.firm_id, advisor_id=me.id, action=audit_action, entity="alert",
                      entity_id=alert.id, detail={"kind": alert.kind,
                                                  "client_id": alert.client_id, **detail}))
    db.commit()
    return alert


def dismiss_alert(db: Session, me: Advisor, alert_id: int, reason: str) -> Alert:
    """Dismiss an open alert; the audit log records who dismissed it and why.

    Raises
    ------
    NotFoundError, ConflictError
    """
    from tailorfolio.errors import DataError

    reason = (reason or "").strip()
    if not reason:
        raise DataError("Say why the alert is dismissed.", field="reason", value="",
                        expected="1–500 characters", fix="e.g. 'client asked to wait until "
                        "January'")
    alert = get_alert(db, me, alert_id)
    return _resolve(db, me, alert, DISMISSED, reason, "dismiss", reason=reason[:500])


def act_on_alert(db: Session, me: Advisor, alert_id: int, action: str, runner: Any,
                 goal_paths: int | None = None) -> tuple[Alert, int | None]:
    """Act on an open alert: ``plan`` queues a full plan of the client (returns its job id);
    ``harvest`` queues the alert's harvest trades (recorded in the audit log as an order
    ticket for the trading desk: the service does not trade).

    Raises
    ------
    NotFoundError, ConflictError, DataError
    """
    from tailorfolio.errors import DataError
    from tailorfolio.service import _logic as L
    from tailorfolio.service import _schemas as s

    if action not in ACTIONS:
        raise DataError(f"Unknown action {action[:40]!r}.", field="action", value=action[:40],
                        expected=f"one of {list(ACTIONS)}", fix="use 'plan' or 'harvest'")
    alert = get_alert(db, me, alert_id)
    if alert.status != OPEN:
        raise ConflictError(f"Alert {alert.id} is already {alert.status}.", field="status",
                            value=alert.status, expected="an open alert",
                            fix="reload the alerts list")
    if action == "harvest":
        if alert.kind != "harvest":
            raise DataError(f"Alert {alert.id} is a {alert.kind} alert; only harvest alerts "
                            "have trades to queue.", field="action", value=action,
                            expected="'plan' for this alert", fix="queue a full plan instead")
        trades = alert.detail.get("trades", [])
        return _resolve(db, me, alert, ACTED, f"queued {len(trades)} harvest trade(s)",
                        "queue_harvest", trades=trades), None
    client_id, alert_pk = alert.client_id, alert.id
    db.commit()
    job = L.submit_plan(db, me, client_id, s.PlanCreate(), runner, goal_paths=goal_paths)
    alert = get_alert(db, me, alert_pk)
    return _resolve(db, me, alert, ACTED, f"queued plan job {job.id}", "act",
                    action="plan", job_id=job.id), job.id
