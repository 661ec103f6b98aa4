"""The room protocol, version 1: every message on the participant WebSocket, as Pydantic models.

docs/protocol.md describes the protocol for client authors; this module is its definition.
Parsing is strict: unknown fields, wrong types and unknown message types are refused with an
error that names the problem, and nothing of a refused message is acted upon.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from visio import text
from visio.text import DisplayName

PROTOCOL_VERSION = 1


def _check_request_id(value: str) -> str:
    if text.problem(value) is not None:
        raise ValueError("a string id must be printable text")
    return value


RequestId = (
    Annotated[
        str, StringConstraints(min_length=1, max_length=64), AfterValidator(_check_request_id)
    ]
    | Annotated[int, Field(ge=0, le=2**53)]
)
Source = Literal["microphone", "camera", "screen"]
CaptionLanguage = Literal["fr", "en", "auto"]
Target = Literal["publisher", "subscriber"]


def _check_sdp(value: str) -> str:
    if not value.startswith("v=0"):
        raise ValueError("is not an SDP (it must start with v=0)")
    if "\x00" in value or not text.encodable(value):
        raise ValueError("is not valid SDP text (NUL or a lone surrogate)")
    return value


Sdp = Annotated[str, StringConstraints(max_length=256 * 1024), AfterValidator(_check_sdp)]
Mid = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]
IceText = Annotated[str, StringConstraints(pattern=r"^[\x20-\x7e]*$")]
ResumeTokenText = Annotated[
    str, StringConstraints(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_.\-]+$")
]
"""An opaque resume token, as the server minted it (``visio.rooms.resume``)."""
"""ICE candidate lines and fragments are printable ASCII (RFC 8839)."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Request(_Message):
    id: RequestId | None = None


# ---- client → server -------------------------------------------------------------------------


class Join(_Request):
    type: Literal["join"]
    version: int
    name: DisplayName
    audio: bool
    video: bool
    invitation: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")
        ]
        | None
    ) = None
    """The secret of a room-level invitation link, when the person came through one."""
    resume: ResumeTokenText | None = None
    """The latest resume token this client was given in this room (``joined.resume_token`` or
    ``resume.token``), when it rejoins after losing its socket: it comes back as the same
    participant. A token that no longer holds is ignored (a plain join)."""
    shared_device: bool = False
    """A shared room device: several people use this microphone (chosen on the pre-join
    screen). Its turns of a meeting's transcript are told apart by voice afterwards."""


class TrackInfo(_Message):
    mid: Mid
    source: Source


def _unique_tracks(tracks: list[TrackInfo]) -> list[TrackInfo]:
    if len({t.mid for t in tracks}) != len(tracks):
        raise ValueError("each mid may appear only once")
    if len({t.source for t in tracks}) != len(tracks):
        raise ValueError("each source may appear only once")
    return tracks


class Publish(_Request):
    type: Literal["publish"]
    sdp: Sdp
    tracks: Annotated[list[TrackInfo], Field(max_length=3), AfterValidator(_unique_tracks)]


class SubscriberAnswer(_Request):
    type: Literal["subscriber.answer"]
    sdp: Sdp


class IceCandidate(_Message):
    candidate: Annotated[IceText, StringConstraints(max_length=1024)]
    sdpMid: Mid | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[IceText, StringConstraints(max_length=256)] | None = None


class Trickle(_Request):
    type: Literal["trickle"]
    target: Target
    candidate: IceCandidate | None


class MediaState(_Request):
    type: Literal["media.state"]
    audio: bool
    video: bool


class Hand(_Request):
    type: Literal["hand"]
    raised: bool


class IceRestart(_Request):
    type: Literal["ice.restart"]
    target: Literal["subscriber"]


class CaptionsSet(_Request):
    type: Literal["captions.set"]
    enabled: bool
    language: CaptionLanguage = "auto"


class CaptionsTranslation(_Request):
    """A viewer's own choice: read every caption in English (the room's recognition then also
    translates, while at least one participant wants it)."""

    type: Literal["captions.translation"]
    enabled: bool


ModerationAction = Literal["mute", "camera_off", "stop_screen", "lower_hand", "remove", "promote"]


class Moderate(_Request):
    type: Literal["moderate"]
    action: ModerationAction
    participant_id: (
        Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_request_id)] | None
    ) = None
    """Whom to act on; None (only for mute and camera_off) means everyone but moderators."""


class RoomLock(_Request):
    type: Literal["room.lock"]
    locked: bool


class RoomEnd(_Request):
    type: Literal["room.end"]


class _LobbyDecision(_Request):
    waiting_id: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=64), AfterValidator(_check_request_id)
        ]
        | None
    ) = None
    """Whom (the id from ``lobby.knock``); leave it out and set ``all`` to act on everyone."""
    all: bool = False

    @model_validator(mode="after")
    def _one_or_all(self) -> _LobbyDecision:
        if (self.waiting_id is None) == (not self.all):
            raise ValueError("give either waiting_id or all: true")
        return self


class LobbyAdmit(_LobbyDecision):
    type: Literal["lobby.admit"]


class LobbyDeny(_LobbyDecision):
    type: Literal["lobby.deny"]


ReactionName = Literal["thumbs_up", "clap", "laugh", "heart", "party", "surprised"]
"""The reactions a client may send (``reactions``); the web app shows each as an emoji."""


class React(_Request):
    """Show a reaction over one's own tile to everyone present, for a moment."""

    type: Literal["reaction"]
    reaction: ReactionName


class Leave(_Request):
    type: Literal["leave"]


class Ping(_Request):
    type: Literal["ping"]


Layer = Literal["high", "medium", "low", "off"]
"""Which simulcast layer of a video stream to receive, or ``off`` to receive none of it."""
MAX_SUBSCRIPTION_STREAMS = 256
"""Streams one ``subscription.set`` may name (a client with more sends several)."""


class StreamLayer(_Message):
    mid: Mid
    """A stream's mid from ``subscriber.offer`` (the subscriber connection's own mid)."""
    layer: Layer


def _unique_mids(streams: list[StreamLayer]) -> list[StreamLayer]:
    if len({s.mid for s in streams}) != len(streams):
        raise ValueError("each mid may appear only once")
    return streams


class SubscriptionSet(_Request):
    """Which received videos to relay, and at which layer: keyed by subscriber mids. Video
    streams start at ``low``; a screen share has one layer, so any layer but ``off`` means on."""

    type: Literal["subscription.set"]
    streams: Annotated[
        list[StreamLayer],
        Field(min_length=1, max_length=MAX_SUBSCRIPTION_STREAMS),
        AfterValidator(_unique_mids),
    ]


CHAT_MAX_CHARACTERS = 2000
ChatText = Annotated[str, AfterValidator(text.multi_line(CHAT_MAX_CHARACTERS))]
"""A chat message as typed: 1 to 2000 characters once trimmed; it may span lines."""
ChatMessageId = Annotated[str, StringConstraints(pattern=r"^m_[A-Za-z0-9_\-]{1,40}$")]


class ChatSend(_Request):
    """Say something in the meeting's chat; everyone present gets ``chat.message``."""

    type: Literal["chat.send"]
    text: ChatText


class ChatDelete(_Request):
    """A moderator takes a chat message away, for everyone (and from the stored history)."""

    type: Literal["chat.delete"]
    message_id: ChatMessageId


class RecordingStart(_Request):
    """A moderator starts recording the meeting: audio and video (``video``), or audio only.
    Everyone gets ``recording.state``."""

    type: Literal["recording.start"]
    video: bool


class RecordingStop(_Request):
    """A moderator stops the meeting's recording (it is then processed into one file)."""

    type: Literal["recording.stop"]


class TranscriptionStart(_Request):
    """A moderator starts the meeting's transcript (everyone sees ``transcription.state``)."""

    type: Literal["transcription.start"]
    language: CaptionLanguage = "auto"
    """What the speech is in, while subtitles are off (on, their language is used)."""


class TranscriptionStop(_Request):
    type: Literal["transcription.stop"]


class IceServersRequest(_Request):
    """Ask for fresh ICE servers (the TURN credential in ``joined`` expires): the answer is
    ``ice.servers``."""

    type: Literal["ice.servers"]


class MediaPathReport(_Request):
    """Which path ICE selected for one of the client's peer connections (its local candidate's
    type, and how it reaches the TURN server when relayed): counted in ``/metrics``, no answer."""

    type: Literal["media.path"]
    target: Target
    candidate_type: Literal["host", "srflx", "prflx", "relay"]
    relay_protocol: Literal["udp", "tcp", "tls"] | None = None


ClientMessage = Annotated[
    Join
    | Publish
    | SubscriberAnswer
    | Trickle
    | MediaState
    | Hand
    | IceRestart
    | CaptionsSet
    | CaptionsTranslation
    | Moderate
    | RoomLock
    | RoomEnd
    | LobbyAdmit
    | LobbyDeny
    | Leave
    | Ping
    | SubscriptionSet
    | ChatSend
    | ChatDelete
    | React
    | RecordingStart
    | RecordingStop
    | TranscriptionStart
    | TranscriptionStop
    | IceServersRequest
    | MediaPathReport,
    Field(discriminator="type"),
]
_CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
CLIENT_MESSAGE_TYPES = frozenset(
    model.model_fields["type"].annotation.__args__[0]
    for model in get_args(get_args(ClientMessage)[0])
)


# ---- server → client -------------------------------------------------------------------------


Identity = Literal["signed_in", "guest"]
ModeratorBy = Literal["role", "promoted", "interim"]
"""Why someone moderates a meeting: their role in the room, a moderator's promotion, or the
interim rule (while nobody with a moderating role is present, the earliest participant does)."""
Role = Literal["owner", "administrator", "member"]
WaitReason = Literal["trusted", "restricted", "locked", "removed"]


class ParticipantInfo(_Message):
    id: str
    name: str
    audio: bool
    video: bool
    screen: bool
    moderator: bool
    joined_at: datetime
    identity: Identity = "guest"
    """``signed_in`` through the organisation's provider, or a ``guest`` who only typed a name."""
    role: Role | None = None
    """Their role in the room, if they hold one."""
    moderator_by: ModeratorBy | None = None
    """Why they moderate (None: they do not); an ``interim`` (stand-in) moderator may not
    promote, remove role holders or open trusted and restricted rooms."""
    hand_raised_at: datetime | None = None
    """When they raised their hand (None: it is down); the earliest hand speaks first."""
    shared_device: Literal[True] | None = None
    """A shared room device, several people on one microphone (absent otherwise)."""


class WaitingPersonInfo(_Message):
    """Someone waiting in the lobby, as moderators see them."""

    id: str
    name: str
    identity: Identity
    reason: WaitReason
    since: datetime


class CaptionsInfo(_Message):
    enabled: bool
    language: CaptionLanguage
    set_by: str | None = None
    """The participant who last turned subtitles on or off."""


class ChatMessageInfo(_Message):
    """One chat message: who said it (their participant id and name then), what, when."""

    id: str
    participant_id: str
    name: str
    text: str
    sent_at: datetime
    earlier: bool = False
    """Said in one of the room's earlier meetings (its kept chat), not in this one."""


class RecordingInfo(_Message):
    """Whether the meeting is being recorded, how, since when and who started it (the last
    two are left out while it is not)."""

    active: bool
    video: bool = False
    started_at: datetime | None = None
    started_by: str | None = None
    """The name of the moderator who started it."""


class TranscriptionInfo(_Message):
    """Whether the meeting is being transcribed: since when, started by which participant."""

    active: bool
    started_at: datetime | None = None
    started_by: str | None = None


class Limits(_Message):
    max_message_bytes: int
    rate_per_second: float
    rate_burst: int


class _Reply(_Message):
    reply_to: RequestId | None = None


class Joined(_Reply):
    type: Literal["joined"] = "joined"
    participant: ParticipantInfo
    participants: list[ParticipantInfo]
    ice_servers: list[dict[str, Any]]
    limits: Limits
    captions: CaptionsInfo
    locked: bool
    start_muted: bool = False
    """The meeting holds more than ``VISIO_ROOM_MUTED_ABOVE`` people: arrive with the microphone
    off (the client turns it off and says why)."""
    speaking: list[str] = []
    """Who is speaking now (participant ids), as the last ``speaking`` messages said."""
    chat: list[ChatMessageInfo] = []
    """The chat so far, oldest first: this meeting's messages, and for members of the room the
    kept history of its earlier meetings (when the room keeps its chat)."""
    recording: RecordingInfo = RecordingInfo(active=False)
    """Whether the meeting is being recorded (shown to everyone from the moment they arrive)."""
    transcription: TranscriptionInfo = TranscriptionInfo(active=False)
    """Whether what people say is being transcribed now."""
    ice_refresh_seconds: int | None = None
    """Send ``ice.servers`` after this many seconds for fresh ones: the TURN credential in
    ``ice_servers`` expires (absent: nothing in them expires)."""
    resume_token: str | None = None
    """Send it with ``join`` to come back as this participant after losing the socket (keep it in
    memory only; ``resume.token`` brings fresh ones)."""


class ResumeToken(_Message):
    """A fresh resume token, replacing the one in ``joined`` (sent while connected, before the
    previous one expires)."""

    type: Literal["resume.token"] = "resume.token"
    token: str


class ParticipantJoined(_Message):
    type: Literal["participant.joined"] = "participant.joined"
    participant: ParticipantInfo


class ParticipantUpdated(_Message):
    type: Literal["participant.updated"] = "participant.updated"
    participant: ParticipantInfo


LeaveReason = Literal["left", "disconnected", "removed"]


class ParticipantLeft(_Message):
    type: Literal["participant.left"] = "participant.left"
    participant_id: str
    reason: LeaveReason


class PublishAnswer(_Reply):
    type: Literal["publish.answer"] = "publish.answer"
    sdp: str


class StreamInfo(_Message):
    mid: str
    participant_id: str
    source: Source
    kind: Literal["audio", "video"]


class SubscriberOffer(_Message):
    type: Literal["subscriber.offer"] = "subscriber.offer"
    sdp: str
    streams: list[StreamInfo]


class ServerTrickle(_Message):
    type: Literal["trickle"] = "trickle"
    target: Target
    candidate: IceCandidate | None


class MediaInterrupted(_Message):
    type: Literal["media.interrupted"] = "media.interrupted"
    reason: str


class MediaReset(_Message):
    type: Literal["media.reset"] = "media.reset"
    reason: str


class Moderated(_Message):
    """To the participant a moderator acted on: do it (turn the microphone off, ...)."""

    type: Literal["moderated"] = "moderated"
    action: ModerationAction
    by: str


class RoomState(_Message):
    type: Literal["room.state"] = "room.state"
    locked: bool
    set_by: str | None = None


class CaptionsState(_Message):
    type: Literal["captions.state"] = "captions.state"
    captions: CaptionsInfo


class CaptionsTranslationState(_Reply):
    """To the participant who asked: whether they now get captions in English."""

    type: Literal["captions.translation"] = "captions.translation"
    enabled: bool


class CaptionWord(_Message):
    text: str
    start: float
    end: float


class Caption(_Message):
    type: Literal["caption"] = "caption"
    participant_id: str
    segment_id: str
    kind: Literal["partial", "final"]
    text: str
    language: str | None = None
    words: list[CaptionWord] = []
    translation: str | None = None
    """On finals spoken in another language than English, while someone in the room asked for
    English (``captions.translation``): the text in English."""


class LobbyWaiting(_Reply):
    """To a person who joined: you wait in the lobby until a moderator admits you."""

    type: Literal["lobby.waiting"] = "lobby.waiting"
    reason: WaitReason


class LobbyKnock(_Message):
    type: Literal["lobby.knock"] = "lobby.knock"
    waiting: WaitingPersonInfo


class LobbyList(_Message):
    type: Literal["lobby.list"] = "lobby.list"
    waiting: list[WaitingPersonInfo]


class LobbyLeft(_Message):
    type: Literal["lobby.left"] = "lobby.left"
    waiting_id: str
    reason: Literal["admitted", "denied", "left"]
    by: str | None = None
    """The moderator who admitted or denied them."""


class Speaking(_Message):
    """Someone started or stopped speaking, as the media engine hears their microphone (never
    while it is off)."""

    type: Literal["speaking"] = "speaking"
    participant_id: str
    speaking: bool


class ChatMessage(_Reply):
    """Someone said something in the chat (the sender's own copy has ``reply_to``)."""

    type: Literal["chat.message"] = "chat.message"
    message: ChatMessageInfo


class ChatDeleted(_Message):
    type: Literal["chat.deleted"] = "chat.deleted"
    message_id: str
    deleted_by: str
    """The moderator's participant id."""


class ErrorDetail(_Message):
    field: str
    problem: str


ErrorCode = Literal[
    "invalid_json",
    "invalid_message",
    "unknown_type",
    "message_too_large",
    "rate_limited",
    "binary_not_supported",
    "not_joined",
    "already_joined",
    "unsupported_version",
    "room_not_found",
    "room_full",
    "out_of_order",
    "media_unavailable",
    "media_error",
    "forbidden",
    "participant_not_found",
    "room_locked",
    "removed",
    "meeting_ended",
    "captions_unavailable",
    "denied",
    "in_lobby",
    "internal",
    "chat_message_not_found",
    "transcription_unavailable",
    "replaced",
    "service_unavailable",
]


class ErrorMessage(_Reply):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    details: list[ErrorDetail] | None = None
    fatal: bool = False


class Pong(_Reply):
    type: Literal["pong"] = "pong"


class SubscriptionState(_Reply):
    """The answer to ``subscription.set`` once Janus applied it: every video stream of the
    subscription and the layer it is set to now."""

    type: Literal["subscription.state"] = "subscription.state"
    streams: list[StreamLayer]


class Reaction(_Message):
    """To everyone present, the sender included: show this reaction over their tile."""

    type: Literal["reaction"] = "reaction"
    participant_id: str
    reaction: ReactionName


class RecordingState(RecordingInfo):
    """To everyone present: the meeting's recording started or stopped."""

    type: Literal["recording.state"] = "recording.state"


class TranscriptionState(_Message):
    """To everyone present: the meeting's transcript started or stopped."""

    type: Literal["transcription.state"] = "transcription.state"
    active: bool
    started_at: datetime | None = None
    started_by: str | None = None
    """The participant id of the moderator who started it."""


class IceServers(_Reply):
    """The answer to ``ice.servers``: fresh STUN/TURN servers for ``RTCPeerConnection`` (the
    client gives them to its peer connections; they serve from the next ICE restart)."""

    type: Literal["ice.servers"] = "ice.servers"
    ice_servers: list[dict[str, Any]]
    refresh_seconds: int | None = None
    """Ask again after this many seconds (absent: nothing in them expires)."""


ServerMessage = (
    Joined
    | ParticipantJoined
    | ParticipantUpdated
    | ParticipantLeft
    | PublishAnswer
    | SubscriberOffer
    | ServerTrickle
    | MediaInterrupted
    | MediaReset
    | Moderated
    | RoomState
    | CaptionsState
    | CaptionsTranslationState
    | Caption
    | LobbyWaiting
    | LobbyKnock
    | LobbyList
    | LobbyLeft
    | ErrorMessage
    | Pong
    | SubscriptionState
    | Speaking
    | ChatMessage
    | ChatDeleted
    | Reaction
    | RecordingState
    | TranscriptionState
    | IceServers
    | ResumeToken
)


class ProtocolError(Exception):
    """A message was refused; carries the error to send back."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        reply_to: RequestId | None = None,
        details: list[ErrorDetail] | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.error = ErrorMessage(
            code=code, message=message, reply_to=reply_to, details=details, fatal=fatal
        )


def _request_id(raw: dict[str, Any]) -> RequestId | None:
    value = raw.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and 1 <= len(value) <= 64 and text.problem(value) is None:
        return value
    if isinstance(value, int) and 0 <= value <= 2**53:
        return value
    return None


def parse_client_message(frame: str) -> ClientMessage:
    """Parse one text frame from a browser, or raise :class:`ProtocolError` saying what is wrong."""
    try:
        raw = json.loads(frame)
    except (json.JSONDecodeError, RecursionError):
        raise ProtocolError("invalid_json", "the frame is not valid JSON") from None
    except ValueError:  # an integer of more than 4,300 digits (Python's conversion limit)
        raise ProtocolError("invalid_json", "the frame holds a number too long to read") from None
    if not isinstance(raw, dict):
        raise ProtocolError("invalid_json", "the frame must be a JSON object")
    reply_to = _request_id(raw)
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(
            "invalid_message",
            "every message needs a string field 'type'",
            reply_to=reply_to,
            details=[ErrorDetail(field="type", problem="missing or not a string")],
        )
    if kind not in CLIENT_MESSAGE_TYPES:
        raise ProtocolError(
            "unknown_type",
            f"{text.safe_for_output(kind, max_length=64)!r} is not a message of protocol v1",
            reply_to=reply_to,
        )
    try:
        return _CLIENT_MESSAGE.validate_python(raw)
    except ValidationError as exc:
        details = [
            ErrorDetail(
                field=text.safe_for_output(
                    ".".join(str(part) for part in error["loc"][1:]) or "(message)",
                    max_length=128,
                ),
                problem=text.safe_for_output(error["msg"], max_length=256),
            )
            for error in exc.errors(include_url=False)
        ][:10]
        summary = "; ".join(f"{d.field}: {d.problem}" for d in details)
        raise ProtocolError(
            "invalid_message",
            f"invalid {kind!r} message ({summary})",  # kind is a known type here
            reply_to=reply_to,
            details=details,
        ) from None


def encode(message: ServerMessage) -> str:
    """Serialise a server message to its JSON frame."""
    return message.model_dump_json(exclude_none=True)
