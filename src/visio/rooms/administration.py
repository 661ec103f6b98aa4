"""Rooms that belong to people: creating, naming, access levels and roles, each step authorised
by :mod:`visio.rooms.policy` and recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from visio.audit import AuditTrail, Origin
from visio.auth.users import User
from visio.directory import DirectoryRepository, member_key
from visio.errors import ApiProblem
from visio.rooms import policy
from visio.rooms.protocol import Role
from visio.rooms.repository import (
    Access,
    GroupRoleHolder,
    Invitation,
    Removal,
    RoleHolder,
    RoomRepository,
    StoredRoom,
)
from visio.rooms.slugs import normalise_slug
from visio.settings import Settings

GROUP_PREFIX = "group:"


class RoomAdministration:
    """Rooms that belong to people, as their owners manage them over the REST API: names, access,
    roles, invitations and removals."""

    def __init__(
        self,
        settings: Settings,
        repository: RoomRepository,
        audit: AuditTrail,
        is_admin: Callable[[User], bool],
        groups: DirectoryRepository,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._groups = groups
        self._audit = audit
        self._is_admin = is_admin

    async def actor(self, user: User | None, room: StoredRoom | None = None) -> policy.Actor:
        """The person asking, with their directory groups and their role in ``room`` (the
        strongest of their own and their groups')."""
        if user is None:
            return policy.Actor()
        key = member_key(self._settings, user)
        role = None
        if room is not None:
            role = policy.strongest_role(
                await self._repository.role_of(room, user.id),
                await self._repository.group_roles_of(room, key),
            )
        return policy.Actor(
            user_id=user.id,
            site_admin=self._is_admin(user),
            role=role,
            groups=await self._groups.groups_of(key),
        )

    async def find(self, slug: str) -> StoredRoom:
        """The room behind a link, or a 404 that says what is wrong."""
        normalised = normalise_slug(slug)
        if normalised is None:
            raise ApiProblem(
                404, "invalid_room_link", "a room code looks like abc-defg-hij (10 letters)"
            )
        room = await self._repository.get(normalised)
        if room is None:
            raise ApiProblem(404, "room_not_found", f"there is no room {normalised}")
        return room

    async def _check(
        self,
        decision: policy.Decision,
        event: str,
        user: User | None,
        origin: Origin,
        target: str | None,
        **details: Any,
    ) -> None:
        """Raise the refusal, if it is one, after recording it."""
        if isinstance(decision, policy.Refusal):
            await self._audit.record(
                event,
                "failure",
                origin,
                actor_user_id=user.id if user else None,
                actor=user.audit_label if user else None,
                target=target,
                details={"reason": decision.code, **details},
            )
            raise ApiProblem(decision.status, decision.code, decision.message)

    async def _success(
        self, event: str, user: User | None, origin: Origin, target: str, **details: Any
    ) -> None:
        await self._audit.record(
            event,
            "success",
            origin,
            actor_user_id=user.id if user else None,
            actor=user.audit_label if user else None,
            target=target,
            details=details,
        )

    async def create(
        self, user: User | None, name: str | None, access: Access, origin: Origin
    ) -> StoredRoom:
        """A new room; a signed-in creator becomes its owner."""
        actor = await self.actor(user)
        await self._check(
            policy.create_room(actor, self._settings.room_creation),
            "room.created",
            user,
            origin,
            None,
        )
        if user is None and access != "public":
            raise ApiProblem(401, "not_signed_in", "sign in to create a room that is not public")
        room = await self._repository.create(
            name=name, access=access, owner_id=user.id if user else None
        )
        await self._success("room.created", user, origin, room.slug, name=name, access=access)
        return room

    async def describe(self, user: User | None, slug: str) -> tuple[StoredRoom, Role | None]:
        room = await self.find(slug)
        actor = await self.actor(user, room)
        decision = policy.view_room(actor, room)
        if isinstance(decision, policy.Refusal):
            raise ApiProblem(decision.status, decision.code, decision.message)
        return room, actor.role

    async def update(
        self,
        user: User | None,
        slug: str,
        name: str | None,
        access: Access | None,
        origin: Origin,
        *,
        keep_chat: bool | None = None,
    ) -> tuple[StoredRoom, Role | None]:
        room = await self.find(slug)
        actor = await self.actor(user, room)
        if name is not None:
            await self._check(
                policy.rename_room(actor, room), "room.changed", user, origin, room.slug, name=name
            )
        if access is not None:
            await self._check(
                policy.change_access(actor, room, access),
                "room.changed",
                user,
                origin,
                room.slug,
                access=access,
            )
        if keep_chat is not None:
            await self._check(
                policy.change_chat_keeping(actor, room),
                "room.changed",
                user,
                origin,
                room.slug,
                keep_chat=keep_chat,
            )
        if name is None and access is None and keep_chat is None:
            return room, actor.role
        updated = await self._repository.update(
            room.slug, name=name, access=access, keep_chat=keep_chat
        )
        changes = {
            k: v
            for k, v in (("name", name), ("access", access), ("keep_chat", keep_chat))
            if v is not None
        }
        await self._success("room.changed", user, origin, room.slug, **changes)
        return updated, actor.role

    async def roles(
        self, user: User | None, slug: str
    ) -> tuple[list[RoleHolder], list[GroupRoleHolder]]:
        """The people, and the directory groups, holding roles in the room."""
        room = await self.find(slug)
        decision = policy.list_roles(await self.actor(user, room), room)
        if isinstance(decision, policy.Refusal):
            raise ApiProblem(decision.status, decision.code, decision.message)
        return await self._repository.roles(room), await self._repository.group_roles(room)

    async def _group(self, reference: str) -> str:
        name = reference.removeprefix(GROUP_PREFIX).strip()
        if not await self._groups.exists(name):
            raise ApiProblem(
                404,
                "group_not_found",
                f"there is no directory group {name!r}; groups come from the LDAP directory "
                "(VISIO_LDAP_URL) and appear after a sync",
            )
        return name

    async def grant_group(
        self, user: User | None, slug: str, reference: str, role: Role, origin: Origin
    ) -> GroupRoleHolder:
        """Give every member of a directory group (``group:<name>``) a role in the room."""
        room = await self.find(slug)
        actor = await self.actor(user, room)
        await self._check(
            policy.grant_role(actor, room, role, None),
            "room.role_granted",
            user,
            origin,
            room.slug,
            group=reference.removeprefix(GROUP_PREFIX),
            role=role,
        )
        group = await self._group(reference)
        current = await self._repository.group_role(room, group)
        await self._check(
            policy.grant_role(actor, room, role, current),
            "room.role_granted",
            user,
            origin,
            room.slug,
            group=group,
            role=role,
        )
        holder = await self._repository.set_group_role(room, group, role)
        await self._success("room.role_granted", user, origin, room.slug, group=group, role=role)
        return holder

    async def revoke_group(
        self, user: User | None, slug: str, reference: str, origin: Origin
    ) -> None:
        room = await self.find(slug)
        actor = await self.actor(user, room)
        group = reference.removeprefix(GROUP_PREFIX).strip()
        current = await self._repository.group_role(room, group)
        # Group roles never count as owners, so the last-owner rule does not apply to them.
        await self._check(
            policy.revoke_role(actor, room, current, 2),
            "room.role_revoked",
            user,
            origin,
            room.slug,
            group=group,
        )
        if current is None:
            raise ApiProblem(404, "role_not_found", "this group holds no role in this room")
        await self._repository.remove_group_role(room, group)
        await self._success("room.role_revoked", user, origin, room.slug, group=group, role=current)

    async def _person(self, reference: str) -> int:
        user_id = await self._repository.find_user(reference)
        if user_id is None:
            raise ApiProblem(
                404,
                "user_not_found",
                "nobody with that id or e-mail has signed in to Visio yet; "
                "they must sign in once before they can be given a role",
            )
        return user_id

    async def grant(
        self, user: User | None, slug: str, reference: str, role: Role, origin: Origin
    ) -> RoleHolder:
        room = await self.find(slug)
        actor = await self.actor(user, room)
        if not actor.signed_in:
            await self._check(
                policy.grant_role(actor, room, role, None),
                "room.role_granted",
                user,
                origin,
                room.slug,
                role=role,
            )
        grantee = await self._person(reference)
        current = await self._repository.role_of(room, grantee)
        await self._check(
            policy.grant_role(actor, room, role, current),
            "room.role_granted",
            user,
            origin,
            room.slug,
            user_id=grantee,
            role=role,
        )
        if current == "owner" and role != "owner":
            await self._check(
                policy.revoke_role(actor, room, current, await self._repository.owner_count(room)),
                "room.role_granted",
                user,
                origin,
                room.slug,
                user_id=grantee,
                role=role,
            )
        await self._repository.set_role(room, grantee, role)
        await self._success(
            "room.role_granted", user, origin, room.slug, user_id=grantee, role=role
        )
        return next(h for h in await self._repository.roles(room) if h.user_id == grantee)

    async def revoke(self, user: User | None, slug: str, reference: str, origin: Origin) -> None:
        room = await self.find(slug)
        actor = await self.actor(user, room)
        if not actor.signed_in:
            await self._check(
                policy.revoke_role(actor, room, None, 1),
                "room.role_revoked",
                user,
                origin,
                room.slug,
            )
        grantee = await self._person(reference)
        current = await self._repository.role_of(room, grantee)
        await self._check(
            policy.revoke_role(actor, room, current, await self._repository.owner_count(room)),
            "room.role_revoked",
            user,
            origin,
            room.slug,
            user_id=grantee,
        )
        if current is None:
            raise ApiProblem(404, "role_not_found", "this person holds no role in this room")
        await self._repository.remove_role(room, grantee)
        await self._success(
            "room.role_revoked", user, origin, room.slug, user_id=grantee, role=current
        )

    async def mine(self, user: User) -> list[tuple[StoredRoom, Role]]:
        return await self._repository.rooms_of(user.id)

    async def invite(
        self,
        user: User | None,
        slug: str,
        label: str | None,
        valid_for: timedelta,
        origin: Origin,
    ) -> tuple[Invitation, str]:
        """A room-level invitation; its secret is returned once."""
        room = await self.find(slug)
        actor = await self.actor(user, room)
        await self._check(
            policy.manage_invitations(actor, room),
            "room.invitation_created",
            user,
            origin,
            room.slug,
        )
        invitation, token = await self._repository.create_invitation(
            room, user.id if user else None, label, valid_for
        )
        await self._success(
            "room.invitation_created",
            user,
            origin,
            room.slug,
            invitation_id=invitation.id,
            label=label,
            expires_at=invitation.expires_at.isoformat(),
        )
        return invitation, token

    async def invitations(self, user: User | None, slug: str) -> list[Invitation]:
        room = await self.find(slug)
        decision = policy.manage_invitations(await self.actor(user, room), room)
        if isinstance(decision, policy.Refusal):
            raise ApiProblem(decision.status, decision.code, decision.message)
        return await self._repository.invitations(room)

    async def revoke_invitation(
        self, user: User | None, slug: str, invitation_id: int, origin: Origin
    ) -> None:
        room = await self.find(slug)
        actor = await self.actor(user, room)
        await self._check(
            policy.manage_invitations(actor, room),
            "room.invitation_revoked",
            user,
            origin,
            room.slug,
            invitation_id=invitation_id,
        )
        if not await self._repository.revoke_invitation(room, invitation_id):
            raise ApiProblem(404, "invitation_not_found", "no live invitation with that id here")
        await self._success(
            "room.invitation_revoked", user, origin, room.slug, invitation_id=invitation_id
        )

    async def removals(self, user: User | None, slug: str) -> list[Removal]:
        """Who was removed from the room's meetings (they wait in the lobby if they return)."""
        room = await self.find(slug)
        decision = policy.manage_removals(await self.actor(user, room), room)
        if isinstance(decision, policy.Refusal):
            raise ApiProblem(decision.status, decision.code, decision.message)
        return await self._repository.removals(room)

    async def undo_removal(
        self, user: User | None, slug: str, visitor_key: str, origin: Origin
    ) -> None:
        """Let a removed person back: they enter as their role and the room's access allow."""
        room = await self.find(slug)
        await self._check(
            policy.manage_removals(await self.actor(user, room), room),
            "room.removal_undone",
            user,
            origin,
            room.slug,
            subject=visitor_key,
        )
        if not await self._repository.set_removed(room.slug, visitor_key, removed=False):
            raise ApiProblem(404, "removal_not_found", "nobody was removed under that id here")
        await self._success("room.removal_undone", user, origin, room.slug, subject=visitor_key)
