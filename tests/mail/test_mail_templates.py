"""The mail templates in French and English, and hostile text in them: escaped in HTML, never
able to add a header."""

from __future__ import annotations

import pytest

from visio.mail import Recipient, RenderedMail, compose, render
from visio.mail.templates import TemplateError

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [
        ("fr", "Invitation : Point hebdo", "Bonjour Anne,"),
        ("en", "Invitation: Point hebdo", "Hello Anne,"),
    ],
)
def test_mail_invitation_in_french_and_english(language: str, subject: str, greeting: str) -> None:
    """The same invitation reads in the recipient's language, in text and in HTML."""
    mail = render(
        "invitation",
        language,  # type: ignore[arg-type]
        {
            "name": "Anne",
            "organiser": "Pierre Dupont",
            "title": "Point hebdo",
            "when": "lundi 23 mars 2026, de 10:00 à 10:45 (Europe/Paris)",
            "recurrence": "",
            "room_url": "https://visio.example.gouv.fr/abc-defg-hij",
        },
    )
    assert mail.subject == subject
    assert mail.text.startswith(greeting)
    assert greeting in mail.html
    assert f'<html lang="{language}">' in mail.html
    assert 'href="https://visio.example.gouv.fr/abc-defg-hij"' in mail.html


def test_mail_html_escapes_hostile_titles_and_names() -> None:
    """Markup in a title or a name shows as text: no element, no attribute is created."""
    mail = render(
        "invitation",
        "en",
        {
            "name": HOSTILE,
            "organiser": '"><b>Eve</b>',
            "title": HOSTILE,
            "when": "x",
            "recurrence": "",
            "room_url": "https://visio.example.gouv.fr/abc-defg-hij",
        },
    )
    assert "<script>" not in mail.html and "<img" not in mail.html and "<b>Eve" not in mail.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in mail.html
    assert HOSTILE in mail.text  # plain text is shown as text by every mail app


def test_mail_links_must_be_web_addresses() -> None:
    """A link value that is not http(s) (javascript:, data:) is refused before any mail."""
    with pytest.raises(TemplateError):
        render(
            "transcript_ready",
            "en",
            {"name": "A", "meeting": "M", "transcript_url": "javascript:alert(1)"},
        )


@pytest.mark.parametrize("hostile", ["Eve\r\nBcc: victim@example.fr", "Eve\nBcc: v@x.fr", "E\rX"])
def test_mail_headers_cannot_be_injected(hostile: str) -> None:
    """CR or LF in a name or a subject never becomes a header: the message is not built."""
    body = RenderedMail("Sujet", "t", "<p>t</p>")
    with pytest.raises(ValueError):
        compose("visio@x.fr", Recipient("a@x.fr", hostile), body)
    with pytest.raises(ValueError):
        compose("visio@x.fr", Recipient("a@x.fr"), RenderedMail(hostile, "t", "<p>t</p>"))
    with pytest.raises(ValueError):
        compose("visio@x.fr", Recipient("a@x.fr"), body, sender_name=hostile)


def test_mail_transcript_ready_is_a_link_not_the_content() -> None:
    """The transcript notice holds a link to the transcript's page, in both languages."""
    for language, words in (("fr", "est prête"), ("en", "is ready")):
        mail = render(
            "transcript_ready",
            language,  # type: ignore[arg-type]
            {
                "name": "Pierre",
                "meeting": "Comité <b>",
                "transcript_url": "https://visio.example.gouv.fr/abc-defg-hij/transcripts/7",
            },
        )
        assert words in mail.subject
        assert "Comité <b>" in mail.subject
        assert 'href="https://visio.example.gouv.fr/abc-defg-hij/transcripts/7"' in mail.html
        assert "Comité &lt;b&gt;" in mail.html
