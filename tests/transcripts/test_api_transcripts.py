"""Transcripts over the room protocol and the REST API: who may start and stop one, what
everyone sees (in the meeting and before joining), who may list, read, export, search and
delete them, and the export formats read back by their own parsers."""

from __future__ import annotations

import html
import io
import json
from typing import Any

import docx
import httpx
import jsonschema
import pytest
import srt
import webvtt

from tests.oidc.provider import TestProvider
from tests.rooms.people import Browser, RoomSocket
from tests.support import RunningServer
from tests.transcripts.conftest import add_turns, relabel
from visio.transcripts.shared_devices import speaker_label

pytestmark = pytest.mark.usefixtures("worker")

DASH = "\N{EN DASH}"

HOSTILE_NAME = 'Zoé --> <v Eve> 00:00:00.000 --> 00:00:01.000 & "x" **[a](b)** 👩‍💻'
"""A speaker name that would break a careless VTT, SRT or Markdown writer."""


JSON_TYPE = {"content-type": "application/json"}


def latest_transcript(owner: Browser, slug: str) -> dict[str, Any]:
    response = owner.http.get(f"/api/v1/rooms/{slug}/transcripts")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["transcripts"]
    assert found, "no transcript"
    return found[0]


def transcribed_meeting(owner: Browser, name: str = "Comité de direction") -> tuple[str, int]:
    """A room of ``owner`` whose meeting was transcribed (started and stopped over the room
    protocol); returns its slug and the transcript's id."""
    slug = owner.create_room(name=name)
    moderator = owner.socket(slug)
    assert moderator.join("Pierre")["type"] == "joined"
    assert moderator.outcome(type="transcription.start", language="fr") == "ok"
    assert moderator.outcome(type="transcription.stop") == "ok"
    moderator.close()
    return slug, int(latest_transcript(owner, slug)["id"])


def test_transcription_start_is_for_moderators_and_everyone_sees_it(
    browsers: dict[str, Browser],
    guest: Browser,
    oidc_server: tuple[RunningServer, TestProvider],
) -> None:
    """A participant cannot start the transcript; the moderator can: everyone present gets
    transcription.state, a late joiner has it in joined, the pre-join call says so; stopping
    is seen by all, and both are in the audit trail."""
    server, provider = oidc_server
    pierre = browsers["pierre"]
    slug = pierre.create_room(name="Point hebdo")
    moderator = pierre.socket(slug)
    assert moderator.join("Pierre")["type"] == "joined"
    participant = guest.socket(slug)
    joined = participant.join("Invité")
    assert joined["type"] == "joined" and joined["transcription"] == {"active": False}
    assert participant.outcome(type="transcription.start") == "forbidden"
    assert guest.http.get(f"/api/v1/rooms/{slug}").json()["transcribing"] is False

    moderator.send(type="transcription.start", language="fr")
    state = participant.expect("transcription.state")
    assert state["active"] is True and state["started_by"] == moderator.id
    assert moderator.expect("transcription.state")["active"] is True
    assert guest.http.get(f"/api/v1/rooms/{slug}").json()["transcribing"] is True
    with Browser(server, provider, None) as late:
        latecomer = late.socket(slug)
        transcription = latecomer.join("Retard")["transcription"]
        assert transcription["active"] is True and transcription["started_by"] == moderator.id
        latecomer.close()
    assert participant.outcome(type="transcription.stop") == "forbidden"

    moderator.send(type="transcription.stop")
    assert participant.expect("transcription.state") == {
        "type": "transcription.state",
        "active": False,
    }
    transcript = latest_transcript(pierre, slug)
    assert transcript["status"] == "complete" and transcript["language"] == "fr"
    events = browsers["admin"].http.get("/api/v1/audit/events", params={"limit": 1000}).json()
    seen = {(e["event"], e["target"]) for e in events["events"]}
    assert ("room.transcription_started", slug) in seen
    assert ("room.transcription_stopped", slug) in seen
    moderator.close()
    participant.close()


def test_transcript_ends_with_the_meeting(browsers: dict[str, Browser]) -> None:
    """When the moderator ends the meeting for everyone, its transcript is complete."""
    pierre = browsers["pierre"]
    slug = pierre.create_room()
    moderator: RoomSocket = pierre.socket(slug)
    moderator.join("Pierre")
    assert moderator.outcome(type="transcription.start") == "ok"
    assert latest_transcript(pierre, slug)["status"] == "active"
    moderator.send(type="room.end")
    moderator.expect_closed()
    transcript = latest_transcript(pierre, slug)
    assert transcript["status"] == "complete" and transcript["ended_at"] is not None


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_transcripts_are_for_owners_and_administrators_only(
    browsers: dict[str, Browser], guest: Browser, server: RunningServer
) -> None:
    """Owner and administrator read and export; a member, a stranger, a guest and a token
    without recordings:read are refused on every route; a token with it reads but neither
    renames nor deletes, which a token with recordings:write does."""
    pierre, marie, jean, lucie = (browsers[n] for n in ("pierre", "marie", "jean", "lucie"))
    slug, transcript = transcribed_meeting(pierre)
    add_turns(server, transcript, [("Zoé", "Le budget primitif est adopté.")])
    for person, role in ((marie, "administrator"), (jean, "member")):
        granted = pierre.http.put(
            f"/api/v1/rooms/{slug}/roles/{user_id(person)}", json={"role": role}
        )
        assert granted.status_code == 200, granted.text
    routes = [
        f"/api/v1/rooms/{slug}/transcripts",
        f"/api/v1/transcripts/{transcript}",
        f"/api/v1/transcripts/{transcript}/export?format=md",
    ]
    for reader in (pierre, marie):
        for route in routes:
            assert reader.http.get(route).status_code == 200, route
        # The page shows them the rename control (the route decides anyway).
        assert reader.http.get(routes[1]).json()["can_rename"] is True
        hits = reader.http.get("/api/v1/transcripts/search", params={"q": "budgets"}).json()
        assert transcript in {h["transcript_id"] for h in hits["results"]}
    for outsider in (jean, lucie):
        for route in routes:
            assert refusal(outsider.http.get(route)) == (403, "forbidden"), route
        hits = outsider.http.get("/api/v1/transcripts/search", params={"q": "budget"}).json()
        assert transcript not in {h["transcript_id"] for h in hits["results"]}
        assert refusal(outsider.http.delete(f"/api/v1/transcripts/{transcript}")) == (
            403,
            "forbidden",
        )
    for route in [*routes, "/api/v1/transcripts/search?q=budget"]:
        assert refusal(guest.http.get(route)) == (401, "not_signed_in"), route
    assert refusal(guest.http.delete(f"/api/v1/transcripts/{transcript}")) == (
        401,
        "not_signed_in",
    )

    def token(*scopes: str) -> str:
        made = pierre.http.post("/api/v1/tokens", json={"name": "archives", "scopes": list(scopes)})
        assert made.status_code == 201, made.text
        return str(made.json()["secret"])

    with httpx.Client(base_url=server.url, timeout=15) as program:
        program.headers["Authorization"] = f"Bearer {token('rooms:read')}"
        for route in routes:
            assert refusal(program.get(route)) == (403, "insufficient_scope"), route
        program.headers["Authorization"] = f"Bearer {token('recordings:read')}"
        for route in routes:
            assert program.get(route).status_code == 200, route
        # Reading is not changing: renaming and deleting need recordings:write.
        rename = {"speaker": "Zoé", "name": "Zoé Martin"}
        changes = [
            lambda: program.post(f"{routes[1]}/speakers/rename", json=rename),
            lambda: program.delete(routes[1]),
        ]
        for change in changes:
            refused = change()
            assert refusal(refused) == (403, "insufficient_scope"), refused.text
            assert "recordings:write" in refused.json()["error"]["message"]
        assert program.get(routes[1]).json()["turns"][0]["speaker"] == "Zoé"
        program.headers["Authorization"] = f"Bearer {token('recordings:write')}"
        assert refusal(program.get(routes[1])) == (403, "insufficient_scope")
        renamed = changes[0]()
        assert renamed.status_code == 200, renamed.text
        assert changes[1]().status_code == 204
    assert refusal(pierre.http.get(routes[1])) == (404, "transcript_not_found")
    assert refusal(pierre.http.get("/api/v1/transcripts/999999")) == (404, "transcript_not_found")


def user_id(browser: Browser) -> int:
    return int(browser.http.get("/api/v1/me").json()["user"]["id"])


TRANSCRIPT_SCHEMA = {
    "type": "object",
    "required": ["id", "room", "started_at", "ended_at", "language", "status", "turns"],
    "properties": {
        "id": {"type": "integer"},
        "room": {
            "type": "object",
            "required": ["slug", "name"],
            "properties": {"slug": {"type": "string"}, "name": {"type": ["string", "null"]}},
        },
        "turns": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["speaker", "user_id", "start", "end", "offset_s", "text", "language"],
                "properties": {
                    "speaker": {"type": "string"},
                    "start": {"type": "string", "format": "date-time"},
                    "offset_s": {"type": "number", "minimum": 0},
                    "text": {"type": "string"},
                },
            },
        },
    },
}


def test_exports_read_back_with_any_speaker_name(
    browsers: dict[str, Browser], server: RunningServer
) -> None:
    """VTT (webvtt-py), SRT (srt), DOCX (python-docx), Markdown and JSON (a schema) each hold
    every turn under its speaker's exact name, however hostile; the download has its content
    type and a file name safe for any room name."""
    pierre = browsers["pierre"]
    room_name = 'Réunion "🚀" ../../etc/passwd'
    _, transcript = transcribed_meeting(pierre, room_name)
    said = [
        (HOSTILE_NAME, "Bonjour <b>à</b> tous --> & bienvenue"),
        ("Bob", "Second point: le budget."),
    ]
    add_turns(server, transcript, said)

    def export(format: str) -> httpx.Response:
        response = pierre.http.get(f"/api/v1/transcripts/{transcript}/export?format={format}")
        assert response.status_code == 200, response.text
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="Reunion-etc-passwd-'), disposition
        assert f'.{format}"' in disposition and "/" not in disposition.split("filename*=")[0]
        assert "filename*=UTF-8''R%C3%A9union" in disposition
        return response

    vtt = export("vtt")
    assert vtt.headers["content-type"] == "text/vtt; charset=utf-8"
    cues = webvtt.from_string(vtt.text)
    assert [(html.unescape(c.voice), html.unescape(c.text)) for c in cues] == said
    assert "-->" not in "".join(line for line in vtt.text.splitlines() if "<v " in line)

    parsed = list(srt.parse(export("srt").text))
    assert [p.content for p in parsed] == [f"{name}: {text}" for name, text in said]
    assert export("srt").headers["content-type"] == "application/x-subrip; charset=utf-8"

    document = docx.Document(io.BytesIO(export("docx").content))
    paragraphs = [p.text for p in document.paragraphs]
    for name, text in said:
        assert any(p.startswith(name) and p.endswith(text) for p in paragraphs), paragraphs

    markdown = export("md")
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert len([line for line in markdown.text.splitlines() if line.startswith("**")]) == 2

    body = export("json").json()
    jsonschema.validate(body, TRANSCRIPT_SCHEMA)
    assert [(t["speaker"], t["text"]) for t in body["turns"]] == said
    assert body["room"]["name"] == room_name
    assert refusal(pierre.http.get(f"/api/v1/transcripts/{transcript}/export?format=exe"))[0] == 422


def test_deleting_a_transcript_is_audited_and_empties_search(
    browsers: dict[str, Browser], server: RunningServer
) -> None:
    """The owner deletes a transcript: it is gone from the room's list, from search and from
    reads, and the audit trail says who did."""
    pierre = browsers["pierre"]
    slug, transcript = transcribed_meeting(pierre)
    add_turns(server, transcript, [("Zoé", "Le déménagement des archives est reporté.")])
    found = pierre.http.get("/api/v1/transcripts/search", params={"q": "déménagements"}).json()
    assert [h["transcript_id"] for h in found["results"]] == [transcript]
    assert [f["text"] for f in found["results"][0]["snippet"] if f["match"]] == ["déménagement"]
    assert pierre.http.delete(f"/api/v1/transcripts/{transcript}").status_code == 204
    assert pierre.http.get(f"/api/v1/transcripts/{transcript}").status_code == 404
    assert pierre.http.get(f"/api/v1/rooms/{slug}/transcripts").json()["transcripts"] == []
    found = pierre.http.get("/api/v1/transcripts/search", params={"q": "déménagement"}).json()
    assert found["results"] == []
    events = (
        browsers["admin"]
        .http.get("/api/v1/audit/events", params={"event": "transcript.deleted", "limit": 1000})
        .json()["events"]
    )
    assert any(
        e["target"] == slug
        and e["details"]["transcript"] == transcript
        and e["outcome"] == "success"
        for e in events
    )


@pytest.mark.parametrize("query", ['"', "NEAR(a", "a OR", "x*", "' --", "é" * 200])
def test_search_never_fails_on_query_syntax(browsers: dict[str, Browser], query: str) -> None:
    """Whatever the words, search answers 200 (they are only words)."""
    response = browsers["pierre"].http.get("/api/v1/transcripts/search", params={"q": query})
    assert response.status_code == 200, response.text
    assert (
        browsers["pierre"].http.get("/api/v1/transcripts/search", params={"q": ""}).status_code
        == 422
    )


def test_owner_renames_a_shared_device_speaker_and_exports_and_search_follow(
    browsers: dict[str, Browser], server: RunningServer
) -> None:
    """A shared device's turns, relabelled by voice (as after diarization), then the owner
    renames "Salle 3 - locuteur 1" to a person's name: every turn of that label changes (the
    other voice's does not), the JSON export and search show the new name, and the audit
    trail says who did it. A member of the room is refused and changes nothing; a
    name with control characters, an empty one or one over 64 characters is refused."""
    pierre, jean = browsers["pierre"], browsers["jean"]
    slug, transcript = transcribed_meeting(pierre)
    add_turns(
        server,
        transcript,
        [
            ("Salle 3", "Le chantier de la médiathèque avance."),
            ("Salle 3", "Les devis sont arrivés."),
            ("Salle 3", "Nous signerons lundi."),
        ],
    )
    ids = [t["id"] for t in pierre.http.get(f"/api/v1/transcripts/{transcript}").json()["turns"]]
    voices = [1, 2, 1]
    relabel(
        server,
        transcript,
        {i: speaker_label("Salle 3", k, "fr") for i, k in zip(ids, voices, strict=True)},
    )
    granted = pierre.http.put(
        f"/api/v1/rooms/{slug}/roles/{user_id(jean)}", json={"role": "member"}
    )
    assert granted.status_code == 200, granted.text
    route = f"/api/v1/transcripts/{transcript}/speakers/rename"
    rename = {"speaker": f"Salle 3 {DASH} locuteur 1", "name": "Aïcha Benali"}

    assert refusal(jean.http.post(route, json=rename)) == (403, "forbidden")
    for hostile in ("Aïcha\u202eilaneB", "Aïcha\nBenali", "", "x" * 65, "A\ud800", "A\x00"):
        # escaped JSON: a lone surrogate is valid JSON text, though not valid UTF-8
        body = json.dumps({**rename, "name": hostile})
        response = pierre.http.post(route, content=body, headers=JSON_TYPE)
        assert response.status_code == 422, (hostile, response.text)
    unknown = pierre.http.post(route, json={**rename, "speaker": f"Salle 4 {DASH} locuteur 1"})
    assert refusal(unknown) == (404, "speaker_not_found")

    response = pierre.http.post(route, json=rename)
    assert response.status_code == 200, response.text
    assert response.json() == {"turns": 2}
    body = pierre.http.get(f"/api/v1/transcripts/{transcript}/export?format=json").json()
    assert [t["speaker"] for t in body["turns"]] == [
        "Aïcha Benali",
        f"Salle 3 {DASH} locuteur 2",
        "Aïcha Benali",
    ]
    found = pierre.http.get("/api/v1/transcripts/search", params={"q": "médiathèque"}).json()
    assert [(h["transcript_id"], h["speaker"]) for h in found["results"]] == [
        (transcript, "Aïcha Benali")
    ]
    events = (
        browsers["admin"]
        .http.get(
            "/api/v1/audit/events", params={"event": "transcript.speaker_renamed", "limit": 1000}
        )
        .json()["events"]
    )
    done = [e for e in events if e["target"] == slug]
    assert {e["outcome"] for e in done} == {"success", "failure"}
    assert any(
        e["outcome"] == "success"
        and e["details"]["to"] == "Aïcha Benali"
        and e["details"]["turns"] == 2
        for e in done
    )


def test_a_shared_room_device_says_so_when_it_joins(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """Chosen before joining, "several people use this microphone": the participant is a shared
    device, as their own ``joined`` and everyone else's list say; others are not; a value that
    is not a boolean is refused."""
    pierre = browsers["pierre"]
    slug = pierre.create_room(name="Salle 3")
    room = pierre.socket(slug)
    joined = room.join("Salle 3", shared_device=True)
    assert joined["type"] == "joined" and joined["participant"]["shared_device"] is True
    other = guest.socket(slug)
    seen = other.join("Invité")
    assert "shared_device" not in seen["participant"]
    assert [p.get("shared_device") for p in seen["participants"]] == [True]
    odd = guest.socket(slug)
    assert odd.join("Bizarre", shared_device="yes")["type"] == "error"
    odd.close()
    room.close()
    other.close()


def test_two_people_of_the_same_name_are_renamed_apart(
    browsers: dict[str, Browser], server: RunningServer
) -> None:
    """Two guests both joined as "Marie": renaming the one of participant p_a (named by the
    turns' participant_id) leaves the other's turns as they were; without ``participants``
    every "Marie" turn would change. Participant lists that are empty, too long, hold anything
    but an id, or name nobody who spoke under that name are refused."""
    pierre = browsers["pierre"]
    _, transcript = transcribed_meeting(pierre)
    add_turns(
        server,
        transcript,
        [
            ("Marie", "Je présente le budget."),
            ("Marie", "Je suis d'accord avec Marie."),
            ("Marie", "Le budget est voté."),
        ],
        participants=["p_a", "p_b", "p_a"],
    )
    route = f"/api/v1/transcripts/{transcript}/speakers/rename"
    rename = {"speaker": "Marie", "name": "Marie Dupont", "participants": ["p_a"]}
    hostiles = ([], ["p a"], ["p_a\n"], ["é"], ["x" * 65], ["p_a"] * 501, "p_a", [1], ["p_\x00"])
    for hostile in (*hostiles, ["p_\ud800"], ["p_a", None], ["p_a"] * 100_000):
        # escaped JSON: a lone surrogate is valid JSON text, though not valid UTF-8
        body = json.dumps({**rename, "participants": hostile})
        response = pierre.http.post(route, content=body, headers=JSON_TYPE)
        assert response.status_code == 422, (hostile, response.text)
    nobody = pierre.http.post(route, json={**rename, "participants": ["p_zz"]})
    assert refusal(nobody) == (404, "speaker_not_found")

    response = pierre.http.post(route, json=rename)
    assert response.status_code == 200, response.text
    assert response.json() == {"turns": 2}
    turns = pierre.http.get(f"/api/v1/transcripts/{transcript}").json()["turns"]
    assert [(t["participant_id"], t["speaker"]) for t in turns] == [
        ("p_a", "Marie Dupont"),
        ("p_b", "Marie"),
        ("p_a", "Marie Dupont"),
    ]
