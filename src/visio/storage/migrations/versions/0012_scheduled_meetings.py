"""Scheduled meetings and their invitees, the mail outbox, and the directory's people.

Revision ID: 0012_scheduled_meetings
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_scheduled_meetings"
down_revision = "0011_transcripts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_mail_outbox_next_attempt_at", "mail_outbox", ["next_attempt_at"])
    op.create_table(
        "scheduled_meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(length=255), nullable=False, unique=True),
        sa.Column(
            "room_id", sa.Integer(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "organiser_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_local", sa.DateTime(timezone=False), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("recurrence", sa.JSON(), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_scheduled_meetings_room_id", "scheduled_meetings", ["room_id"])
    op.create_index("ix_scheduled_meetings_organiser_id", "scheduled_meetings", ["organiser_id"])
    op.create_index("ix_scheduled_meetings_ends_at", "scheduled_meetings", ["ends_at"])
    op.create_table(
        "scheduled_meeting_attendees",
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("scheduled_meetings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("email", sa.String(length=320), primary_key=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("partstat", sa.String(length=16), nullable=False),
    )
    op.create_table(
        "directory_people",
        sa.Column("email", sa.String(length=320), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("directory_people")
    op.drop_table("scheduled_meeting_attendees")
    op.drop_table("scheduled_meetings")
    op.drop_table("mail_outbox")
