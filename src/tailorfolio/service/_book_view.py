"""The book dashboard's query: every client with its newest book result, sorted and filtered in
SQL (see :mod:`tailorfolio.service._book` for how the results are made)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tailorfolio.service._alerts import OPEN
from tailorfolio.service._models import Advisor, Alert, BookResult, Client

SORT_KEYS = ("name", "aum", "risk_level", "drift", "harvestable_loss", "goal_gap", "alerts",
             "replanned")
"""Columns the book can be sorted by (``?sort=...&order=asc|desc``)."""


@dataclass(frozen=True)
class BookFilter:
    """Server-side filters of the dashboard (all optional)."""

    q: str | None = None
    risk_level: int | None = None
    advisor_id: int | None = None
    with_alerts: bool = False
    over_band: bool = False
    below_aim: bool = False


def book_rows(db: Session, me: Advisor, *, sort: str = "name", order: str = "asc",
              filters: BookFilter = BookFilter(), limit: int = 50, offset: int = 0
              ) -> tuple[list[dict[str, Any]], int]:
    """Every client the advisor may see with its newest book result (if any) and its number
    of open alerts, sorted and filtered in SQL.

    Raises
    ------
    DataError
        An unknown sort key or order.
    """
    from tailorfolio.errors import DataError
    from tailorfolio.service._alerts import DRIFT_BAND

    if sort not in SORT_KEYS:
        raise DataError(f"Cannot sort the book by {sort[:40]!r}.", field="sort",
                        value=sort[:40], expected=f"one of {list(SORT_KEYS)}",
                        fix="use one of the listed columns")
    if order not in ("asc", "desc"):
        raise DataError(f"Order {order[:10]!r} is not asc or desc.", field="order",
                        value=order[:10], expected="asc or desc", fix="use asc or desc")
    newest = sa.select(BookResult.client_id, sa.func.max(BookResult.id).label("rid")).where(
        BookResult.firm_id == me.firm_id).group_by(BookResult.client_id).subquery()
    open_alerts = sa.select(Alert.client_id, sa.func.count(Alert.id).label("n")).where(
        Alert.firm_id == me.firm_id, Alert.status == OPEN).group_by(Alert.client_id).subquery()
    n_open = sa.func.coalesce(open_alerts.c.n, 0)
    stmt = (sa.select(Client, BookResult, n_open.label("open_alerts"))
            .outerjoin(newest, newest.c.client_id == Client.id)
            .outerjoin(BookResult, BookResult.id == newest.c.rid)
            .outerjoin(open_alerts, open_alerts.c.client_id == Client.id)
            .where(Client.firm_id == me.firm_id, Client.deleted_at.is_(None)))
    if not me.is_admin:
        stmt = stmt.where(Client.advisor_id == me.id)
    f = filters
    if f.q:
        stmt = stmt.where(Client.name.ilike(f"%{f.q[:120]}%"))
    if f.risk_level is not None:
        stmt = stmt.where(BookResult.risk_level == f.risk_level)
    if f.advisor_id is not None:
        stmt = stmt.where(Client.advisor_id == f.advisor_id)
    if f.with_alerts:
        stmt = stmt.where(n_open > 0)
    if f.over_band:
        stmt = stmt.where(BookResult.drift > DRIFT_BAND)
    if f.below_aim:
        stmt = stmt.where(BookResult.worst_goal_gap < 0)
    column = {"name": Client.name, "aum": BookResult.aum, "risk_level": BookResult.risk_level,
              "drift": BookResult.drift, "harvestable_loss": BookResult.harvestable_loss,
              "goal_gap": BookResult.worst_goal_gap, "alerts": n_open,
              "replanned": BookResult.created_at}[sort]
    key = column.asc() if order == "asc" else column.desc()
    stmt = stmt.order_by(column.is_(None), key, Client.id)  # clients never re-planned last
    total = db.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = []
    for client, result, alerts in db.execute(stmt.limit(limit).offset(offset)).all():
        rows.append({"client": client, "result": result, "open_alerts": int(alerts),
                     "goals": [] if result is None else result.detail.get("goals", [])})
    return rows, int(total or 0)
