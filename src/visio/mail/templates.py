"""French and English mail templates: files in ``templates/``, filled with
:class:`string.Template` (Visio has no template engine, and mail needs no logic).

Each kind of mail has ``NAME.LANG.txt`` (first line ``Subject: ...``, a blank line, the plain
text) and ``NAME.LANG.html``. Values are inserted as they are in the plain text and escaped in
the HTML (``html.escape``), so a title such as ``<script>`` shows as text in every mail app.
A value named ``*_url`` must be an http(s) URL (it goes into ``href``)."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from string import Template
from typing import Literal

from visio.mail.message import RenderedMail

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


class TemplateError(ValueError):
    pass


@cache
def _file(name: str) -> str:
    return (resources.files("visio.mail") / "templates" / name).read_text(encoding="utf-8")


@cache
def words(language: Language) -> dict[str, object]:
    """The language's words used outside templates: day and month names, recurrence phrases."""
    loaded: dict[str, object] = json.loads(_file(f"words.{language}.json"))
    return loaded


def render(name: str, language: Language, values: dict[str, str]) -> RenderedMail:
    """Fill the ``name`` templates in ``language``; every placeholder must have a value."""
    for key, value in values.items():
        if key.endswith("_url") and not value.startswith(("https://", "http://")):
            raise TemplateError(f"{key} must be an http(s) URL")
    text_template = _file(f"{name}.{language}.txt")
    first, _, body = text_template.partition("\n\n")
    if not first.startswith("Subject: "):
        raise TemplateError(f"{name}.{language}.txt must start with a Subject: line")
    try:
        subject = Template(first.removeprefix("Subject: ").strip()).substitute(values)
        text = Template(body).substitute(values)
        escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
        escaped["subject_html"] = html.escape(subject, quote=True)
        page = Template(_file(f"{name}.{language}.html")).substitute(escaped)
    except KeyError as exc:
        raise TemplateError(f"{name}.{language}: no value for {exc}") from None
    return RenderedMail(subject=subject, text=text, html=page)
