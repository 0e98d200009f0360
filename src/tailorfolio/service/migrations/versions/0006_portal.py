"""Client portal users and their sessions; password-reset tokens.

Revision ID: 0006
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "client_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("firm_id", sa.Integer, sa.ForeignKey("firms.id"), nullable=False),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("advisors.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_client_users_firm_id", "client_users", ["firm_id"])
    op.create_index("ix_client_users_client_id", "client_users", ["client_id"])
    op.create_table(
        "client_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_user_id", sa.Integer, sa.ForeignKey("client_users.id"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_client_sessions_client_user_id", "client_sessions", ["client_user_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("advisor_id", sa.Integer, sa.ForeignKey("advisors.id"), nullable=True),
        sa.Column("client_user_id", sa.Integer, sa.ForeignKey("client_users.id"),
                  nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_index("ix_password_resets_advisor_id", "password_resets", ["advisor_id"])
    op.create_index("ix_password_resets_client_user_id", "password_resets",
                    ["client_user_id"])


def downgrade() -> None:
    op.drop_table("password_resets")
    op.drop_table("client_sessions")
    op.drop_table("client_users")
