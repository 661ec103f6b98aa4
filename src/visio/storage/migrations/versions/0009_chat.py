"""Rooms may keep their meetings' chat: the setting, and the stored messages.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as table:
        table.add_column(
            sa.Column("keep_chat", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.String(length=48), primary_key=True),
        sa.Column(
            "room_id",
            sa.Integer(),
            sa.ForeignKey("rooms.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_messages_room_id", "chat_messages", ["room_id"])
    op.create_index("ix_chat_messages_sent_at", "chat_messages", ["sent_at"])


def downgrade() -> None:
    op.drop_table("chat_messages")
    with op.batch_alter_table("rooms") as table:
        table.drop_column("keep_chat")
