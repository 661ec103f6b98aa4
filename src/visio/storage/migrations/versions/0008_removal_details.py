"""Removals say whom (the name in the meeting) and by whom, for owners who let people back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("room_removals") as table:
        table.add_column(sa.Column("name", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("removed_by", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("room_removals") as table:
        table.drop_column("removed_by")
        table.drop_column("name")
