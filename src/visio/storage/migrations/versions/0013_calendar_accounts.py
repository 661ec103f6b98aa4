"""The calendars people connect themselves (CalDAV), their app password sealed.

Revision ID: 0013_calendar_accounts
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_calendar_accounts"
down_revision = "0012_scheduled_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_accounts",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("password_sealed", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(length=32), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("calendar_accounts")
