"""Bilingual user-facing text (Simplified Chinese first, English available).

Every message a user reads — CLI errors, HTTP problem details, page labels — is a :class:`Text`
holding both languages.  Domain errors derive from :class:`LocalizedError` so that each adapter
(CLI, HTTP, pages) picks the language of its user without the domain knowing who asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """One message in Simplified Chinese and English."""

    zh: str
    en: str

    def __call__(self, lang: Lang = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:
        return self.zh

    def format(self, **params: object) -> Text:
        return Text(self.zh.format(**params), self.en.format(**params))


def normalize_lang(value: str | None) -> Lang:
    """Map ``zh``/``zh-CN``/``en-US``… to a supported language; Chinese is the default."""
    if value and value.lower().startswith("en"):
        return "en"
    return "zh"


class LocalizedError(Exception):
    """Base of every domain error family: carries its message in both languages.

    ``str(error)`` is ``"中文 (English)"`` so logs and tracebacks name the culprit for every
    reader; adapters call :meth:`text` with their user's language.
    """

    def __init__(self, zh: str, en: str | None = None) -> None:
        self.message = Text(zh, en if en is not None else zh)
        super().__init__(str(self))

    def text(self, lang: Lang = "zh") -> str:
        return self.message(lang)

    def __str__(self) -> str:
        m = self.message
        return m.zh if m.zh == m.en else f"{m.zh} ({m.en})"


# --- the error kinds every adapter knows ----------------------------------------------------
# Each domain package roots its own family at LocalizedError and derives its specific errors from
# these kinds as well, so that the HTTP layer maps a handful of kinds, not every package's classes.


class NotFound(LocalizedError):
    """The thing named does not exist, or the caller may not know that it does (HTTP 404)."""


class Forbidden(LocalizedError):
    """The caller's role or ownership does not allow the action (HTTP 403)."""


class Conflict(LocalizedError):
    """The request conflicts with the current state: stale version, duplicate, wrong state (409)."""


class Invalid(LocalizedError):
    """The input was understood but is refused: out of range, inconsistent, unknown code (422)."""


class Malformed(LocalizedError):
    """The input could not be read at all: bad syntax, a malformed query, an unusable geometry or
    file (HTTP 400) — as opposed to :class:`Invalid`, input that was read and then refused."""
