"""Database tables (SQLAlchemy 2 declarative). The schema is created by the Alembic migrations
in ``migrations/``; a test checks that the two agree.

Money is stored as double precision in the profile's currency units, like the library.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Current UTC time, timezone-aware."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: sa.JSON, float: sa.Double}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite returns naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


_TS = UTCDateTime()


class Firm(Base):
    __tablename__ = "firms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class Advisor(Base):
    __tablename__ = "advisors"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    firm: Mapped[Firm] = relationship()


class AuthToken(Base):
    """A sign-in session (browser cookie) or API bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS)


class ApiKey(Base):
    """A long-lived API key; only its SHA-256 is stored (the key is shown once)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    # Soft delete (households): a deleted client disappears from every list and look-up, its
    # history (profile versions, plans, audit) stays.
    deleted_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    deleted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("advisors.id"), default=None)


class ProfileVersion(Base):
    """One version of a client's profile facts (everything but the accounts); never updated."""

    __tablename__ = "profile_versions"
    __table_args__ = (sa.UniqueConstraint("client_id", "version",
                                          name="uq_profile_versions_client_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict[str, Any]]
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (sa.UniqueConstraint("client_id", "name", name="uq_accounts_client_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    type: Mapped[str] = mapped_column(sa.String(16))
    cash: Mapped[float] = mapped_column(default=0.0)
    annual_contribution: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    lots: Mapped[list[Lot]] = relationship(order_by="Lot.id", cascade="all, delete-orphan")


class Lot(Base):
    __tablename__ = "lots"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    asset: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[float]
    cost_basis_per_share: Mapped[float]
    acquired: Mapped[date] = mapped_column(sa.Date)


class PlanRecord(Base):
    """A plan as it was made: exact inputs, library version, assumptions and result. Immutable."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    profile_version: Mapped[int]
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    library_version: Mapped[str] = mapped_column(sa.String(40))
    input_hash: Mapped[str] = mapped_column(sa.String(64))
    inputs: Mapped[dict[str, Any]]
    assumptions: Mapped[dict[str, Any]]
    report: Mapped[dict[str, Any]]
    risk_level: Mapped[int]
    expected_return: Mapped[float]
    volatility: Mapped[float]
    sharpe: Mapped[float]
    equity_share: Mapped[float]
    investable_wealth: Mapped[float]
    market_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("market_versions.id"), default=None)
    """The firm's market version the plan valued holdings and estimated from (None: bundled)."""


class PlanJob(Base):
    """One requested plan: queued, running, done (``plan_id`` set) or failed (``error`` set).

    A job is written only at its transitions (queued, running, done/failed), each in one short
    transaction; ``done`` and the plan row are one transaction, so a done job always has its
    complete plan.
    """

    __tablename__ = "plan_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"))
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    stage: Mapped[str] = mapped_column(sa.String(40), default="queued")
    profile_version: Mapped[int]
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id"), default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class SignInThrottle(Base):
    """Failed sign-ins per key (``acct:<e-mail>|<address>`` or ``addr:<address>``)."""

    __tablename__ = "signin_throttle"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(400), unique=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime] = mapped_column(_TS, index=True)
    blocked_until: Mapped[datetime] = mapped_column(_TS)


class AuditEntry(Base):
    """Who did what, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("advisors.id"), index=True)
    at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]]


class MarketVersion(Base):
    """One upload of a firm's market data (prices, optional universe and assumptions), as
    validated; never updated. The firm's newest version is its current market."""

    __tablename__ = "market_versions"
    __table_args__ = (sa.UniqueConstraint("firm_id", "version",
                                          name="uq_market_versions_firm_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    version: Mapped[int]
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    as_of: Mapped[str] = mapped_column(sa.String(10))
    summary: Mapped[dict[str, Any]]
    data: Mapped[dict[str, Any]]


class BookRun(Base):
    """One re-plan of a firm's whole book: running, done, failed or interrupted."""

    __tablename__ = "book_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    started_by: Mapped[int | None] = mapped_column(sa.ForeignKey("advisors.id"), default=None)
    trigger: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    market_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("market_versions.id"), default=None)
    n_clients: Mapped[int] = mapped_column(default=0)
    n_done: Mapped[int] = mapped_column(default=0)
    n_failed: Mapped[int] = mapped_column(default=0)
    settings: Mapped[dict[str, Any]]
    error: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    started_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class BookResult(Base):
    """One client's re-plan result in a book run, stored whole; never updated."""

    __tablename__ = "book_results"
    __table_args__ = (sa.UniqueConstraint("run_id", "client_id",
                                          name="uq_book_results_run_client"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("book_runs.id"), index=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    profile_version: Mapped[int]
    market_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("market_versions.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16))
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    aum: Mapped[float]
    risk_level: Mapped[int | None]
    drift: Mapped[float | None]
    harvestable_loss: Mapped[float]
    worst_goal_gap: Mapped[float | None]
    """Lowest (probability − aim) over the client's goals; negative: a goal below its aim."""
    n_alerts: Mapped[int] = mapped_column(default=0)
    detail: Mapped[dict[str, Any]]


class Alert(Base):
    """Something in a client's book result that needs the advisor: open, acted on, dismissed
    or superseded (a newer result replaced it)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("book_results.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    message: Mapped[str] = mapped_column(sa.String(500))
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("advisors.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    resolution: Mapped[str] = mapped_column(sa.String(500), default="")


@sa.event.listens_for(PlanRecord, "before_update")
@sa.event.listens_for(MarketVersion, "before_update")
@sa.event.listens_for(BookResult, "before_update")
@sa.event.listens_for(ProfileVersion, "before_update")
@sa.event.listens_for(AuditEntry, "before_update")
def _immutable(mapper: Any, connection: Any, target: Any) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are immutable (audit trail)")


@sa.event.listens_for(PlanRecord, "before_delete")
@sa.event.listens_for(MarketVersion, "before_delete")
@sa.event.listens_for(BookResult, "before_delete")
@sa.event.listens_for(ProfileVersion, "before_delete")
@sa.event.listens_for(AuditEntry, "before_delete")
def _undeletable(mapper: Any, connection: Any, target: Any) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are never deleted (audit trail)")


# ------------------------------------------------------------------ client portal and resets
# (migration 0006)

class ClientUser(Base):
    """A client's own sign-in to the read-only portal, bound to exactly one client (household).

    Created by the client's advisor with an initial password; sees that client's plans,
    reports and investment-policy summaries and nothing else.
    """

    __tablename__ = "client_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(sa.ForeignKey("firms.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("advisors.id"))
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class ClientSession(Base):
    """A client user's portal sign-in (its own cookie); only the token's SHA-256 is stored."""

    __tablename__ = "client_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_user_id: Mapped[int] = mapped_column(sa.ForeignKey("client_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS)


class PasswordReset(Base):
    """A single-use password-reset token of an advisor or a client user (SHA-256 at rest)."""

    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("advisors.id"), index=True,
                                                   default=None)
    client_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client_users.id"),
                                                       index=True, default=None)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(_TS)
    used_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


# The what-if, model-portfolio and override tables live in their own module; importing it
# here registers them on Base for the schema test and the migrations.
from tailorfolio.service import _models_judgement as _judgement_tables  # noqa: E402,F401 -- registration import, must follow Base
