"""Tables of what-if scenarios, model portfolios and client overrides (migration 0005).

Registered on :class:`~tailorfolio.service._models.Base` by importing this module (the last
line of ``_models``), so the schema test and the migrations see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tailorfolio.service._models import _TS, Base, utcnow


class Scenario(Base):
    """A named what-if of one plan: the changed inputs and the goals' odds they give."""

    __tablename__ = "scenarios"
    __table_args__ = (sa.UniqueConstraint("plan_id", "name", name="uq_scenarios_plan_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    changes: Mapped[dict[str, Any]]
    results: Mapped[dict[str, Any]]
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class ModelPortfolioRecord(Base):
    """A firm's named target weights over the universe."""

    __tablename__ = "model_portfolios"
    __table_args__ = (sa.UniqueConstraint("firm_id", "name", name="uq_model_portfolios_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    weights: Mapped[dict[str, Any]]
    tolerance: Mapped[float]
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class ClientOverride(Base):
    """One piece of advisor judgement for a client, in force until removed (never deleted:
    removal is recorded with its reason in the audit log)."""

    __tablename__ = "client_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[str] = mapped_column(sa.String(120))
    min_weight: Mapped[float | None] = mapped_column(sa.Double, default=None)
    max_weight: Mapped[float | None] = mapped_column(sa.Double, default=None)
    model_portfolio_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("model_portfolios.id"), default=None)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
