"""The room protocol as one JSON Schema, written from the Pydantic models in ``protocol.py``.

The web app's TypeScript types are generated from this file (``npm --prefix web run protocol``),
so that the models stay the only definition of the protocol. After changing a message::

    python -m visio.rooms.schema            # writes web/src/room/protocol.schema.json
    npm --prefix web run protocol           # writes web/src/room/protocol.generated.ts

Client messages are described as the server accepts them (validation), server messages as they
go on the wire: ``encode`` leaves out ``None`` and writes every other value, defaults included, so
a server field is optional exactly when it may be ``None``, and is then never ``null``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from visio.rooms import protocol

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "web" / "src" / "room" / "protocol.schema.json"
_REF = "#/definitions/{model}"


class _WireSchema(GenerateJsonSchema):
    """Pydantic's generator, with server fields as ``encode`` writes them, and no field titles."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        # A title would make the TypeScript generator name a type after each field ("Name", "Id").
        return False

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization":
            schema: Any = field["schema"]
            if schema["type"] == "default":
                if schema.get("default") is None:
                    return False
                schema = schema["schema"]
            return bool(schema["type"] != "nullable")
        return super().field_is_required(field, total)

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        json_schema = super().default_schema(schema)
        if self.mode == "serialization" and schema.get("default") is None:
            json_schema.pop("default", None)  # Not a null on the wire: the field is left out.
        return json_schema

    def nullable_schema(self, schema: core_schema.NullableSchema) -> dict[str, Any]:
        if self.mode == "serialization":
            return self.generate_inner(schema["schema"])
        return super().nullable_schema(schema)


def _members(union: Any) -> list[type[BaseModel]]:
    members = get_args(union)
    if len(members) == 2 and not isinstance(members[0], type):  # Annotated[Union, Field(...)]
        members = get_args(members[0])
    return [member for member in members if isinstance(member, type)]


def _one_name_per_model(definitions: dict[str, Any]) -> dict[str, Any]:
    """A model used in both directions (``X-Input`` and ``X-Output``) becomes one ``X``, described
    as the server accepts it, which admits everything the server sends."""
    both = {name.removesuffix("-Input") for name in definitions if name.endswith("-Input")}
    renamed = {f"{model}-{side}": model for model in both for side in ("Input", "Output")}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                name = ref.removeprefix("#/definitions/")
                return {**node, "$ref": _REF.format(model=renamed.get(name, name))}
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return {
        renamed.get(name, name): rewrite(schema)
        for name, schema in definitions.items()
        if not (name.endswith("-Output") and name.removesuffix("-Output") in both)
    }


def protocol_schema() -> dict[str, Any]:
    """The JSON Schema of every client and server message of the room protocol."""
    client = _members(protocol.ClientMessage)
    server = _members(protocol.ServerMessage)
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in client]
    modes += [(m, "serialization") for m in server]
    refs, top = models_json_schema(modes, ref_template=_REF, schema_generator=_WireSchema)
    definitions = dict(top.get("$defs", {}))

    def union(
        title: str, description: str, models: list[tuple[type[BaseModel], JsonSchemaMode]]
    ) -> dict[str, Any]:
        return {
            "title": title,
            "description": description,
            "oneOf": [refs[model] for model in models],
        }

    definitions["ClientMessage"] = union(
        "ClientMessage", "Every message a browser may send.", modes[: len(client)]
    )
    definitions["ServerMessage"] = union(
        "ServerMessage", "Every message the server sends.", modes[len(client) :]
    )
    definitions = _one_name_per_model(definitions)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "RoomProtocolMessage",
        "description": (
            f"The Visio room protocol, version {protocol.PROTOCOL_VERSION}. Generated from "
            "src/visio/rooms/protocol.py by `python -m visio.rooms.schema`: do not edit."
        ),
        "anyOf": [
            {"$ref": _REF.format(model="ClientMessage")},
            {"$ref": _REF.format(model="ServerMessage")},
        ],
        "definitions": dict(sorted(definitions.items())),
    }


def render() -> str:
    """The schema file's text: stable key order, two-space indent, a final newline."""
    return json.dumps(protocol_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m visio.rooms.schema", description=__doc__.splitlines()[0]
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--check", action="store_true", help="only say whether the file is up to date"
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else None
        if current != text:
            print(f"{args.path} is out of date: run python -m visio.rooms.schema", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
