"""What the rest of Visio calls to send mail: renders a template in the recipient's language,
builds the message and puts it in the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from visio.mail.message import CalendarPart, Recipient, compose
from visio.mail.outbox import Outbox, OutgoingMail
from visio.mail.templates import LANGUAGES, Language, render
from visio.settings import Settings


class Mailer:
    """Sends Visio's mail through the outbox; without VISIO_SMTP_HOST it sends nothing."""

    def __init__(self, settings: Settings, outbox: Outbox) -> None:
        self._settings = settings
        self.outbox = outbox

    @property
    def enabled(self) -> bool:
        return self._settings.smtp_from is not None and self.outbox.enabled

    def language(self, preferred: str | None) -> Language:
        """The recipient's language when Visio knows it, else VISIO_MAIL_LANGUAGE."""
        for language in LANGUAGES:
            if preferred == language:
                return language
        return self._settings.mail_language

    def build(
        self,
        kind: str,
        to: Recipient,
        template: str,
        language: Language,
        values: dict[str, str],
        *,
        calendar: CalendarPart | None = None,
        reply_to: Recipient | None = None,
        sender_name: str | None = None,
    ) -> OutgoingMail:
        assert self._settings.smtp_from is not None
        message = compose(
            self._settings.smtp_from,
            to,
            render(template, language, values),
            calendar=calendar,
            reply_to=reply_to,
            sender_name=sender_name,
        )
        return OutgoingMail(kind=kind, recipient=to.email, message=message)

    async def send(self, mails: Sequence[OutgoingMail]) -> list[int]:
        return await self.outbox.enqueue(mails)

    async def transcript_ready(
        self,
        owner: Recipient,
        meeting_name: str,
        transcript_url: str,
        *,
        language: str | None = None,
    ) -> list[int]:
        """Tell a room's owner that a meeting's transcript can be read: a link to its page in
        Visio, never a word of its content. Returns the outbox ids (none when mail is off)."""
        if not self.enabled:
            return []
        mail = self.build(
            "transcript.ready",
            owner,
            "transcript_ready",
            self.language(language),
            {
                "name": owner.name or owner.email,
                "meeting": meeting_name,
                "transcript_url": transcript_url,
            },
        )
        return await self.send([mail])
