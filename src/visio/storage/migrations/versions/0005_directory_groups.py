"""Directory (LDAP) groups and their members, and room roles given to groups.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("dn", sa.String(1000), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "directory_memberships",
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("directory_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("member_key", sa.String(320), primary_key=True),
    )
    op.create_index("ix_directory_memberships_member_key", "directory_memberships", ["member_key"])
    op.create_table(
        "room_group_roles",
        sa.Column(
            "room_id",
            sa.Integer(),
            sa.ForeignKey("rooms.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("group_name", sa.String(255), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_room_group_roles_group_name", "room_group_roles", ["group_name"])


def downgrade() -> None:
    op.drop_index("ix_room_group_roles_group_name", table_name="room_group_roles")
    op.drop_table("room_group_roles")
    op.drop_index("ix_directory_memberships_member_key", table_name="directory_memberships")
    op.drop_table("directory_memberships")
    op.drop_table("directory_groups")
