"""Firm market versions, book re-plans (runs, per-client results) and alerts; plans record the
market version they used.

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "market_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.UniqueConstraint("firm_id", "version", name="uq_market_versions_firm_version"),
    )
    op.create_index("ix_market_versions_firm_id", "market_versions", ["firm_id"])
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("market_version_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_plans_market_version_id", "market_versions",
                                 ["market_version_id"], ["id"])
    op.create_table(
        "book_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("started_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("market_version_id", sa.Integer, sa.ForeignKey("market_versions.id"),
                  nullable=True),
        sa.Column("n_clients", sa.Integer, nullable=False),
        sa.Column("n_done", sa.Integer, nullable=False),
        sa.Column("n_failed", sa.Integer, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_book_runs_firm_id", "book_runs", ["firm_id"])
    op.create_index("ix_book_runs_status", "book_runs", ["status"])
    op.create_table(
        "book_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("book_runs.id"), nullable=False),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("market_version_id", sa.Integer, sa.ForeignKey("market_versions.id"),
                  nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("aum", sa.Double, nullable=False),
        sa.Column("risk_level", sa.Integer, nullable=True),
        sa.Column("drift", sa.Double, nullable=True),
        sa.Column("harvestable_loss", sa.Double, nullable=False),
        sa.Column("worst_goal_gap", sa.Double, nullable=True),
        sa.Column("n_alerts", sa.Integer, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.UniqueConstraint("run_id", "client_id", name="uq_book_results_run_client"),
    )
    for col in ("run_id", "firm_id", "client_id"):
        op.create_index(f"ix_book_results_{col}", "book_results", [col])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("result_id", sa.Integer, sa.ForeignKey("book_results.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolution", sa.String(500), nullable=False),
    )
    for col in ("firm_id", "client_id", "result_id", "status"):
        op.create_index(f"ix_alerts_{col}", "alerts", [col])


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("book_results")
    op.drop_table("book_runs")
    with op.batch_alter_table("plans") as batch:
        batch.drop_constraint("fk_plans_market_version_id", type_="foreignkey")
        batch.drop_column("market_version_id")
    op.drop_table("market_versions")
