"""What-if scenarios, model portfolios and client overrides.

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("plan_id", "name", name="uq_scenarios_plan_name"),
    )
    op.create_index("ix_scenarios_client_id", "scenarios", ["client_id"])
    op.create_index("ix_scenarios_plan_id", "scenarios", ["plan_id"])
    op.create_table(
        "model_portfolios",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("weights", sa.JSON, nullable=False),
        sa.Column("tolerance", sa.Double, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("firm_id", "name", name="uq_model_portfolios_name"),
    )
    op.create_index("ix_model_portfolios_firm_id", "model_portfolios", ["firm_id"])
    op.create_table(
        "client_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("min_weight", sa.Double, nullable=True),
        sa.Column("max_weight", sa.Double, nullable=True),
        sa.Column("model_portfolio_id", sa.Integer, sa.ForeignKey("model_portfolios.id"),
                  nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("removed_at", TS, nullable=True),
    )
    op.create_index("ix_client_overrides_client_id", "client_overrides", ["client_id"])


def downgrade() -> None:
    op.drop_table("client_overrides")
    op.drop_table("model_portfolios")
    op.drop_table("scenarios")
