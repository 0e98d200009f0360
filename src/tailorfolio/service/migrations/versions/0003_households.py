"""Households: clients are soft-deleted (``deleted_at``, ``deleted_by``) so their profile
versions, plans and audit trail are kept.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("deleted_at", TS, nullable=True))
        batch.add_column(sa.Column("deleted_by", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_clients_deleted_by_advisors", "advisors",
                                 ["deleted_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_constraint("fk_clients_deleted_by_advisors", type_="foreignkey")
        batch.drop_column("deleted_by")
        batch.drop_column("deleted_at")
