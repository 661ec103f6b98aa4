"""Who may do what with a room: every authorisation decision about rooms, in one place.

Each function takes the person asking (an :class:`Actor`, with their role in the room already
looked up) and the room, and returns :data:`ALLOWED` or a :class:`Refusal` saying why not. The
REST routes and the room protocol both ask here; nothing else decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from visio.rooms.protocol import ModerationAction, ModeratorBy, ProtocolError, Role, WaitReason
from visio.rooms.repository import Access, StoredRoom

RefusalCode = Literal["not_signed_in", "forbidden", "last_owner"]

MODERATING_ROLES: Final = frozenset({"owner", "administrator"})
_ROLE_STRENGTH: Final[dict[Role, int]] = {"member": 1, "administrator": 2, "owner": 3}


def _strength(role: Role | None) -> int:
    return 0 if role is None else _ROLE_STRENGTH[role]


@dataclass(frozen=True)
class Actor:
    """The person asking: their user id when signed in, whether they administer this Visio, and
    their role in the room concerned (None when they hold none), and the directory groups they
    belong to."""

    user_id: int | None = None
    site_admin: bool = False
    role: Role | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


@dataclass(frozen=True)
class Allowed:
    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: a stable code, a sentence for people, the HTTP status."""

    code: RefusalCode
    message: str

    @property
    def status(self) -> int:
        return {"not_signed_in": 401, "forbidden": 403, "last_owner": 409}[self.code]

    def __bool__(self) -> bool:
        return False


Decision = Allowed | Refusal
ALLOWED: Final = Allowed()


def enforce(decision: Decision) -> None:
    """In the room protocol, a refusal is a ``forbidden`` error carrying the policy's words."""
    if isinstance(decision, Refusal):
        raise ProtocolError("forbidden", decision.message)


@dataclass(frozen=True)
class Enter:
    """Straight into the meeting."""


@dataclass(frozen=True)
class Wait:
    """Into the lobby until a moderator admits them."""

    reason: WaitReason


def _needs_room_admin(actor: Actor, doing: str) -> Decision:
    if not actor.signed_in:
        return Refusal("not_signed_in", f"sign in to {doing}")
    if actor.role in MODERATING_ROLES:
        return ALLOWED
    return Refusal("forbidden", f"only the room's owners and administrators may {doing}")


def strongest_role(personal: Role | None, through_groups: Iterable[Role]) -> Role | None:
    """A person's role in a room: the strongest of their own and those of their groups."""
    roles = [r for r in (personal, *through_groups) if r is not None]
    return max(roles, key=_ROLE_STRENGTH.__getitem__, default=None)


# ---- REST ------------------------------------------------------------------------------------


def create_room(actor: Actor, who_may_create: str) -> Decision:
    """VISIO_ROOM_CREATION: ``everyone``, ``signed_in`` people, this Visio's ``admins``, or
    ``groups:<name>[,<name>]`` (members of those directory groups, and the administrators)."""
    if who_may_create == "everyone":
        return ALLOWED
    if not actor.signed_in:
        return Refusal("not_signed_in", "sign in to create a room")
    if who_may_create == "signed_in" or actor.site_admin:
        return ALLOWED
    if who_may_create.startswith("groups:"):
        allowed = {name.strip() for name in who_may_create.removeprefix("groups:").split(",")}
        if actor.groups & allowed:
            return ALLOWED
        return Refusal("forbidden", "only members of some groups may create rooms here")
    return Refusal("forbidden", "only administrators may create rooms here")


def view_room(actor: Actor, room: StoredRoom) -> Decision:
    """The link is what lets people knock: anyone holding it may see that the room exists."""
    return ALLOWED


def rename_room(actor: Actor, room: StoredRoom) -> Decision:
    return _needs_room_admin(actor, "rename this room")


def change_access(actor: Actor, room: StoredRoom, access: Access) -> Decision:
    return _needs_room_admin(actor, "change who may enter this room")


def list_roles(actor: Actor, room: StoredRoom) -> Decision:
    if not actor.signed_in:
        return Refusal("not_signed_in", "sign in to see who holds roles in this room")
    if actor.role is None:
        return Refusal("forbidden", "only people with a role in this room may see its roles")
    return ALLOWED


def grant_role(actor: Actor, room: StoredRoom, role: Role, current: Role | None) -> Decision:
    """Owners give any role; administrators give member and administrator, and leave owners be."""
    decision = _needs_room_admin(actor, "give roles in this room")
    if not decision:
        return decision
    if actor.role != "owner" and "owner" in (role, current):
        return Refusal("forbidden", "only an owner may make or unmake owners")
    return ALLOWED


def revoke_role(actor: Actor, room: StoredRoom, current: Role | None, owners: int) -> Decision:
    decision = grant_role(actor, room, "member", current)
    if not decision:
        return decision
    if current == "owner" and owners <= 1:
        return Refusal("last_owner", "a room keeps at least one owner; name another one first")
    return ALLOWED


# ---- the room protocol ---------------------------------------------------------------------


def enter_room(
    actor: Actor, room: StoredRoom, *, locked: bool, removed: bool, invited: bool = False
) -> Enter | Wait:
    """Where a person who joins goes: into the meeting, or to the lobby (and why). A valid
    room-level invitation opens a trusted or restricted room, not a lock or a removal."""
    if removed:
        return Wait("removed")
    if locked:
        return Enter() if actor.role in MODERATING_ROLES else Wait("locked")
    if room.access == "trusted" and not actor.signed_in and not invited:
        return Wait("trusted")
    if room.access == "restricted" and actor.role is None and not invited:
        return Wait("restricted")
    return Enter()


def manage_invitations(actor: Actor, room: StoredRoom) -> Decision:
    """Create, list and revoke a room's invitations: its owners and administrators."""
    return _needs_room_admin(actor, "manage this room's invitations")


def moderates(role: Role | None) -> bool:
    """Owners and administrators of a room moderate its meetings."""
    return role in MODERATING_ROLES


@dataclass(frozen=True)
class Standing:
    """Where a participant stands in a live meeting: their role in the room, and why they
    moderate (None: they do not)."""

    role: Role | None = None
    moderator_by: ModeratorBy | None = None

    @property
    def moderator(self) -> bool:
        return self.moderator_by is not None

    @property
    def interim(self) -> bool:
        return self.moderator_by == "interim"


def _needs_moderator(by: Standing, doing: str) -> Decision:
    if by.moderator:
        return ALLOWED
    return Refusal("forbidden", f"only a moderator can {doing}")


def moderate(by: Standing, action: ModerationAction, target: Standing | None) -> Decision:
    """Mute, camera off, stop a screen share, lower a hand, remove, promote (``target`` None:
    everyone but the moderators). An interim moderator promotes nobody and removes nobody who
    holds a role; owners and administrators are removed only by someone of their rank or above."""
    decision = _needs_moderator(by, "do this")
    if not decision:
        return decision
    if action == "promote" and by.interim:
        return Refusal(
            "forbidden",
            "only the room's owners and administrators can make someone a moderator",
        )
    if action == "remove" and target is not None:
        if by.interim and target.role is not None:
            return Refusal(
                "forbidden", "a stand-in moderator cannot remove someone who holds a role here"
            )
        if target.role in MODERATING_ROLES and _strength(by.role) < _strength(target.role):
            return Refusal(
                "forbidden", f"only an {target.role} or someone above can remove an {target.role}"
            )
    return ALLOWED


def lock(by: Standing) -> Decision:
    return _needs_moderator(by, "lock or unlock the meeting")


def end(by: Standing) -> Decision:
    return _needs_moderator(by, "end the meeting for everyone")


def set_captions(by: Standing) -> Decision:
    return _needs_moderator(by, "turn subtitles on or off")


def admit(by: Standing, access: Access, reason: WaitReason | None) -> Decision:
    """Letting a waiting person in (``reason``: why they wait; None: anyone). A stand-in
    (interim) moderator cannot open a trusted or restricted room, nor readmit someone a
    moderator removed."""
    decision = _needs_moderator(by, "let people in from the lobby")
    if not decision:
        return decision
    if by.interim and (access != "public" or reason == "removed"):
        return Refusal(
            "forbidden",
            "only the room's owners and administrators can let people into this room",
        )
    return ALLOWED


def deny(by: Standing) -> Decision:
    """Turning a waiting person away."""
    return _needs_moderator(by, "turn people away from the lobby")


def manage_removals(actor: Actor, room: StoredRoom) -> Decision:
    """See who was removed from a room's meetings, and let them back: its owners."""
    if not actor.signed_in:
        return Refusal("not_signed_in", "sign in to manage who was removed from this room")
    if actor.role != "owner":
        return Refusal("forbidden", "only the room's owners may let removed people back")
    return ALLOWED


def delete_chat_message(by: Standing) -> Decision:
    """Taking a chat message away, for everyone: moderators."""
    return _needs_moderator(by, "delete chat messages")


def change_chat_keeping(actor: Actor, room: StoredRoom) -> Decision:
    """Whether a room keeps its meetings' chat: its owners and administrators."""
    return _needs_room_admin(actor, "change whether this room keeps its chat")


def record(by: Standing) -> Decision:
    """Starting and stopping a meeting's recording: moderators."""
    return _needs_moderator(by, "start or stop recording")


def transcribe(by: Standing) -> Decision:
    """Starting and stopping a meeting's transcript: moderators."""
    return _needs_moderator(by, "start or stop the transcript")


def read_records(actor: Actor, room: StoredRoom) -> Decision:
    """A room's recordings and transcripts: its owners and administrators, nobody else."""
    return _needs_room_admin(actor, "see this room's recordings and transcripts")


def delete_records(actor: Actor, room: StoredRoom) -> Decision:
    """Deleting a recording or transcript before it expires: the room's owners and
    administrators."""
    return _needs_room_admin(actor, "delete this room's recordings and transcripts")


def manage_webhooks(actor: Actor, room: StoredRoom | None) -> Decision:
    """A room's webhook endpoints (and their secrets and delivery log): its owners and
    administrators. The deployment's (``room`` None): this Visio's administrators."""
    if room is not None:
        return _needs_room_admin(actor, "manage this room's webhooks")
    if not actor.signed_in:
        return Refusal("not_signed_in", "sign in to manage webhooks")
    if actor.site_admin:
        return ALLOWED
    return Refusal("forbidden", "only administrators may manage the deployment's webhooks")


def schedule_in_room(actor: Actor, room: StoredRoom) -> Decision:
    """A meeting is scheduled in an existing room by its owners and administrators."""
    return _needs_room_admin(actor, "schedule meetings in this room")


def change_scheduled_meeting(actor: Actor, room: StoredRoom, organiser_id: int) -> Decision:
    """A scheduled meeting is changed or cancelled by its organiser, or by the room's owners
    and administrators."""
    if actor.signed_in and actor.user_id == organiser_id:
        return ALLOWED
    return _needs_room_admin(actor, "change or cancel this meeting")
