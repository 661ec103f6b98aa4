"""Every decision of rooms/policy.py about a live meeting, as one table per question.

The tables read as the rules: who may moderate whom, who may let whom in. Each cell is the
policy's answer; the integration tests (test_moderation_ranks.py, the authorisation matrix)
show the server applies them.
"""

from __future__ import annotations

import pytest

from visio.rooms import policy
from visio.rooms.policy import Standing

OWNER = Standing(role="owner", moderator_by="role")
ADMINISTRATOR = Standing(role="administrator", moderator_by="role")
PROMOTED_MEMBER = Standing(role="member", moderator_by="promoted")
PROMOTED_GUEST = Standing(role=None, moderator_by="promoted")
STAND_IN = Standing(role=None, moderator_by="interim")
STAND_IN_MEMBER = Standing(role="member", moderator_by="interim")
MEMBER = Standing(role="member")
GUEST = Standing()

# fmt: off
REMOVE = [
    # who removes         whom             allowed
    (OWNER,               OWNER,           True),
    (OWNER,               ADMINISTRATOR,   True),
    (OWNER,               GUEST,           True),
    (ADMINISTRATOR,       OWNER,           False),
    (ADMINISTRATOR,       ADMINISTRATOR,   True),
    (ADMINISTRATOR,       MEMBER,          True),
    (PROMOTED_MEMBER,     OWNER,           False),
    (PROMOTED_MEMBER,     ADMINISTRATOR,   False),
    (PROMOTED_MEMBER,     MEMBER,          True),
    (PROMOTED_GUEST,      ADMINISTRATOR,   False),
    (PROMOTED_GUEST,      GUEST,           True),
    (STAND_IN,            OWNER,           False),
    (STAND_IN,            MEMBER,          False),
    (STAND_IN,            GUEST,           True),
    (STAND_IN_MEMBER,     MEMBER,          False),
    (MEMBER,              GUEST,           False),
    (GUEST,               GUEST,           False),
]

PROMOTE = [
    (OWNER,           True),
    (ADMINISTRATOR,   True),
    (PROMOTED_MEMBER, True),
    (STAND_IN,        False),
    (STAND_IN_MEMBER, False),
    (MEMBER,          False),
    (GUEST,           False),
]

ADMIT = [
    # who admits       room access    why they wait   allowed
    (OWNER,            "restricted",  "restricted",   True),
    (OWNER,            "public",      "removed",      True),
    (ADMINISTRATOR,    "trusted",     "trusted",      True),
    (PROMOTED_MEMBER,  "trusted",     "trusted",      True),
    (STAND_IN,         "public",      "locked",       True),
    (STAND_IN,         "public",      "removed",      False),
    (STAND_IN,         "trusted",     "trusted",      False),
    (STAND_IN,         "trusted",     "locked",       False),
    (STAND_IN_MEMBER,  "restricted",  "restricted",   False),
    (MEMBER,           "public",      "locked",       False),
    (GUEST,            "public",      "locked",       False),
]
# fmt: on


@pytest.mark.parametrize(("by", "target", "allowed"), REMOVE)
def test_policy_who_may_remove_whom(by: Standing, target: Standing, allowed: bool) -> None:
    """Owners and administrators are removed only by their rank or above; stand-ins remove only
    people without a role; people who do not moderate remove nobody."""
    assert bool(policy.moderate(by, "remove", target)) is allowed


@pytest.mark.parametrize(("by", "allowed"), PROMOTE)
def test_policy_who_may_promote(by: Standing, allowed: bool) -> None:
    """A stand-in (interim) moderator makes no moderators."""
    assert bool(policy.moderate(by, "promote", GUEST)) is allowed


@pytest.mark.parametrize(("by", "access", "reason", "allowed"), ADMIT)
def test_policy_who_may_admit_whom(
    by: Standing, access: policy.Access, reason: policy.WaitReason, allowed: bool
) -> None:
    """A stand-in opens only public rooms, and never readmits someone who was removed."""
    assert bool(policy.admit(by, access, reason)) is allowed


@pytest.mark.parametrize(
    "action", ["mute", "camera_off", "stop_screen", "lower_hand", "remove", "promote"]
)
def test_policy_moderation_needs_a_moderator(action: policy.ModerationAction) -> None:
    """Someone who does not moderate is refused every moderation action, with a reason."""
    decision = policy.moderate(MEMBER, action, GUEST)
    assert isinstance(decision, policy.Refusal)
    assert decision.code == "forbidden" and decision.message


@pytest.mark.parametrize("check", [policy.lock, policy.end, policy.set_captions, policy.deny])
def test_policy_meeting_wide_actions_need_a_moderator(check: object) -> None:
    """Lock, end, captions and turning people away: any moderator, nobody else."""
    assert callable(check)
    for standing in (OWNER, PROMOTED_GUEST, STAND_IN):
        assert check(standing)
    for standing in (MEMBER, GUEST):
        assert not check(standing)
