"""The room protocol's JSON Schema, from which the web app's TypeScript types are generated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from visio.rooms import protocol, schema


def test_protocol_schema_committed_file_is_up_to_date() -> None:
    """web/src/room/protocol.schema.json is what protocol.py gives now (else: python -m visio.rooms.schema)."""
    assert schema.DEFAULT_PATH.read_text(encoding="utf-8") == schema.render()


def test_protocol_schema_names_every_message_once() -> None:
    """Each client and server message has one definition, under its Pydantic model's name."""
    definitions = json.loads(schema.render())["definitions"]
    client = {ref["$ref"].rsplit("/", 1)[1] for ref in definitions["ClientMessage"]["oneOf"]}
    server = {ref["$ref"].rsplit("/", 1)[1] for ref in definitions["ServerMessage"]["oneOf"]}
    assert client == {m.__name__ for m in schema._members(protocol.ClientMessage)}
    assert server == {m.__name__ for m in schema._members(protocol.ServerMessage)}
    assert "WaitingPersonInfo" in definitions
    assert not [name for name in definitions if name.endswith(("-Input", "-Output"))]


def test_protocol_schema_server_fields_are_optional_only_when_left_out() -> None:
    """A server field that encode() may leave out (None) is optional; defaults are always sent."""
    definitions = json.loads(schema.render())["definitions"]
    participant = definitions["ParticipantInfo"]
    assert "identity" in participant["required"]  # Default "guest": always written.
    assert "hand_raised_at" not in participant["required"]  # None: left out, never null.
    assert participant["properties"]["hand_raised_at"] == {"format": "date-time", "type": "string"}
    sent = json.loads(
        protocol.encode(
            protocol.ParticipantJoined(
                participant=protocol.ParticipantInfo(
                    id="p_1",
                    name="Ada",
                    audio=True,
                    video=False,
                    screen=False,
                    moderator=False,
                    joined_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
        )
    )["participant"]
    assert set(participant["required"]) == set(sent)


def test_protocol_schema_client_fields_are_as_the_server_accepts_them() -> None:
    """A client field with a default may be left out, and a None default may be sent as null."""
    join = json.loads(schema.render())["definitions"]["Join"]
    assert set(join["required"]) == {"type", "version", "name", "audio", "video"}
    assert {"type": "null"} in join["properties"]["invitation"]["anyOf"]


def test_protocol_schema_check_reports_an_outdated_file(tmp_path: Path) -> None:
    """`--check` fails on a stale file and passes once the file is written."""
    path = tmp_path / "protocol.schema.json"
    path.write_text("{}\n", encoding="utf-8")
    assert schema.main([str(path), "--check"]) == 1
    assert schema.main([str(path)]) == 0
    assert schema.main([str(path), "--check"]) == 0
