"""Meeting transcripts: the transcripts, their turns, and the turns' full-text search index
(an FTS5 table on SQLite, a tsvector column with a GIN index on PostgreSQL).

Revision ID: 0011_transcripts
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_transcripts"
down_revision = "0010_recordings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "room_id", sa.Integer(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column(
            "started_by_user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
    )
    op.create_index("ix_transcripts_room_id", "transcripts", ["room_id"])
    op.create_index("ix_transcripts_started_at", "transcripts", ["started_at"])
    op.create_table(
        "transcript_turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "transcript_id",
            sa.Integer(),
            sa.ForeignKey("transcripts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("speaker", sa.String(length=64), nullable=False),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_transcript_turns_transcript_id", "transcript_turns", ["transcript_id"])
    op.create_index("ix_transcript_turns_started_at", "transcript_turns", ["started_at"])
    if op.get_bind().dialect.name == "postgresql":
        # search_text is already folded and stemmed by Snowball in Python (the same on both
        # databases); the configuration's own stemmer leaves those stems as they are, and its
        # stop words go. The turn's language picks the configuration.
        op.execute(
            "ALTER TABLE transcript_turns ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            "CASE WHEN language LIKE 'fr%' THEN to_tsvector('french'::regconfig, search_text) "
            "ELSE to_tsvector('english'::regconfig, search_text) END) STORED"
        )
        op.execute("CREATE INDEX ix_transcript_turns_search ON transcript_turns USING GIN (search)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE transcript_search USING fts5("
            "search_text, tokenize = 'unicode61 remove_diacritics 2')"
        )
        # The index follows the turns whatever deletes them (a transcript, its room, the purge).
        op.execute(
            "CREATE TRIGGER transcript_turns_indexed AFTER INSERT ON transcript_turns BEGIN "
            "INSERT INTO transcript_search (rowid, search_text) VALUES (new.id, new.search_text); "
            "END"
        )
        op.execute(
            "CREATE TRIGGER transcript_turns_unindexed AFTER DELETE ON transcript_turns BEGIN "
            "DELETE FROM transcript_search WHERE rowid = old.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS transcript_turns_unindexed")
        op.execute("DROP TRIGGER IF EXISTS transcript_turns_indexed")
        op.execute("DROP TABLE IF EXISTS transcript_search")
    op.drop_table("transcript_turns")
    op.drop_table("transcripts")
