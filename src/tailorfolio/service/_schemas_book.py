"""Request and response bodies of the market-data, book and alert routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tailorfolio.limits import MIN_DATE

_READ = ConfigDict(from_attributes=True)


class MarketVersionRead(BaseModel):
    """A stored market version (without its price table)."""

    model_config = _READ
    id: int
    version: int
    created_by: int
    created_at: datetime
    note: str
    as_of: str = Field(description="Date of the last prices (they value holdings).")
    summary: dict[str, Any] = Field(description="Tickers, date range, frequency, assumptions "
                                    "name, files and last prices.")


class MarketCurrent(BaseModel):
    """Which market the firm's plans use now."""

    source: Literal["firm", "bundled"]
    market_version: MarketVersionRead | None = None


class BookRunRead(BaseModel):
    model_config = _READ
    id: int
    status: str = Field(description="running, done, failed or interrupted")
    trigger: str
    started_by: int | None
    market_version_id: int | None
    n_clients: int
    n_done: int
    n_failed: int
    settings: dict[str, Any]
    error: dict[str, Any] | None
    started_at: datetime
    finished_at: datetime | None


class BookRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    goal_paths: int | None = Field(default=None, ge=0, le=2000, description="Monte Carlo paths "
                                   "per client for the goals (default 200; 0 skips goals).")
    as_of: date | None = Field(default=None, description="Date the book is re-planned for "
                               "(default today, UTC): the wash-sale window and the goals' "
                               "horizons count from it.")

    @field_validator("as_of")
    @classmethod
    def _past(cls, v: date | None) -> date | None:
        from tailorfolio.service._models import utcnow

        if v is not None and not MIN_DATE <= v <= utcnow().date():
            raise ValueError(f"as_of must lie between {MIN_DATE} and today")
        return v


class GoalRow(BaseModel):
    name: str
    priority: str
    probability: float
    aim: float
    change: float | None = Field(description="Change since the client's previous plan or book "
                                 "result (null: none to compare).")


class BookRow(BaseModel):
    """One client of the book with its newest re-plan result (nulls: never re-planned)."""

    client_id: int
    name: str
    advisor_id: int
    status: str | None
    message: str | None
    aum: float | None
    risk_level: int | None
    drift: float | None
    drift_asset: str | None
    harvestable_loss: float | None
    worst_goal_gap: float | None
    goals: list[GoalRow]
    open_alerts: int
    replanned_at: datetime | None
    run_id: int | None
    market_version_id: int | None


class AlertRead(BaseModel):
    model_config = _READ
    id: int
    client_id: int
    client_name: str = ""
    result_id: int
    kind: str
    status: str
    message: str
    detail: dict[str, Any]
    created_at: datetime
    resolved_by: int | None
    resolved_at: datetime | None
    resolution: str


class AlertDismiss(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="Why (kept in the audit log).")


class AlertAct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["plan", "harvest"] = Field(description="plan: queue a full plan of the "
                                               "client; harvest: queue the alert's trades.")


class AlertActed(BaseModel):
    alert: AlertRead
    job_id: int | None = Field(description="The queued plan job (action 'plan').")
