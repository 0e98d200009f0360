"""Plan jobs, sign-in throttling counters and advisor deactivation.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("advisors") as batch:
        batch.add_column(sa.Column("is_active", sa.Boolean, nullable=False,
                                   server_default=sa.true()))
    op.create_table(
        "plan_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Double, nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=True),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_plan_jobs_client_id", "plan_jobs", ["client_id"])
    op.create_index("ix_plan_jobs_status", "plan_jobs", ["status"])
    op.create_table(
        "signin_throttle",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", TS, nullable=False),
        sa.Column("blocked_until", TS, nullable=False),
    )
    op.create_index("ix_signin_throttle_last_failure_at", "signin_throttle",
                    ["last_failure_at"])


def downgrade() -> None:
    op.drop_table("signin_throttle")
    op.drop_table("plan_jobs")
    with op.batch_alter_table("advisors") as batch:
        batch.drop_column("is_active")
