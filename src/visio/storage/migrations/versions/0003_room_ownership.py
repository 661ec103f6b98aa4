"""Rooms belong to people: a name, an access level, a creator, and roles.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("name", sa.String(120), nullable=True))
        batch.add_column(
            sa.Column("access", sa.String(16), nullable=False, server_default="public")
        )
        batch.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
    op.create_table(
        "room_roles",
        sa.Column(
            "room_id", sa.Integer(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id"),
    )
    op.create_index("ix_room_roles_user_id", "room_roles", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_room_roles_user_id", table_name="room_roles")
    op.drop_table("room_roles")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("created_by")
        batch.drop_column("access")
        batch.drop_column("name")
