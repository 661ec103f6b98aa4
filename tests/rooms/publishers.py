"""A room of people who all publish, for the tests of who is speaking and who is heard."""

from __future__ import annotations

from visio.rooms.participant import Outbox, Participant
from visio.rooms.room import Room


def meeting(size: int) -> tuple[Room, list[Participant]]:
    """A room of ``size`` people who all publish a camera and a microphone."""
    room = Room("abc-defg-hij")
    people = []
    for number in range(size):
        person = Participant(name=f"P{number}", audio=True, video=True, outbox=Outbox())
        person.tracks = {"0": "camera", "1": "microphone"}
        person.publishing = True
        room.participants[person.id] = person
        people.append(person)
    return room, people
