"""Initial schema: firms, advisors, tokens, API keys, clients, versioned profiles, accounts,
lots, immutable plans and the audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "firms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "advisors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_advisors_firm_id", "advisors", ["firm_id"])
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("advisor_id", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_auth_tokens_advisor_id", "auth_tokens", ["advisor_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("advisor_id", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("ix_api_keys_advisor_id", "api_keys", ["advisor_id"])
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("advisor_id", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_clients_firm_id", "clients", ["firm_id"])
    op.create_index("ix_clients_advisor_id", "clients", ["advisor_id"])
    op.create_table(
        "profile_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("client_id", "version", name="uq_profile_versions_client_version"),
    )
    op.create_index("ix_profile_versions_client_id", "profile_versions", ["client_id"])
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("cash", sa.Double, nullable=False),
        sa.Column("annual_contribution", sa.Double, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("client_id", "name", name="uq_accounts_client_name"),
    )
    op.create_index("ix_accounts_client_id", "accounts", ["client_id"])
    op.create_table(
        "lots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("asset", sa.String(20), nullable=False),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("cost_basis_per_share", sa.Double, nullable=False),
        sa.Column("acquired", sa.Date, nullable=False),
    )
    op.create_index("ix_lots_account_id", "lots", ["account_id"])
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("library_version", sa.String(40), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("assumptions", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("risk_level", sa.Integer, nullable=False),
        sa.Column("expected_return", sa.Double, nullable=False),
        sa.Column("volatility", sa.Double, nullable=False),
        sa.Column("sharpe", sa.Double, nullable=False),
        sa.Column("equity_share", sa.Double, nullable=False),
        sa.Column("investable_wealth", sa.Double, nullable=False),
    )
    op.create_index("ix_plans_client_id", "plans", ["client_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("advisor_id", sa.Integer, sa.ForeignKey("advisors.id"), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_firm_id", "audit_log", ["firm_id"])
    op.create_index("ix_audit_log_advisor_id", "audit_log", ["advisor_id"])


def downgrade() -> None:
    for table in ("audit_log", "plans", "lots", "accounts", "profile_versions", "clients",
                  "api_keys", "auth_tokens", "advisors", "firms"):
        op.drop_table(table)
