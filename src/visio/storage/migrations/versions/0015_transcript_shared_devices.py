"""A transcript's shared room devices: which participant (and Janus feed) several people spoke
through, and where telling their voices apart stands (pending, done, no_audio, failed).

Revision ID: 0015_transcript_shared_devices
Revises: 0014_webhooks
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_transcript_shared_devices"
down_revision = "0014_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcript_shared_devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "transcript_id",
            sa.Integer(),
            sa.ForeignKey("transcripts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("voices", sa.Integer(), nullable=True),
        sa.Column("turns_labelled", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "transcript_id", "participant_id", name="uq_transcript_shared_devices_participant"
        ),
    )
    op.create_index("ix_transcript_shared_devices_status", "transcript_shared_devices", ["status"])


def downgrade() -> None:
    op.drop_table("transcript_shared_devices")
