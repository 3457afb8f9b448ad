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
