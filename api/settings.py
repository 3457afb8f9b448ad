"""Settings from the environment, built when the app or the CLI starts (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from i18n import Lang, normalize_lang

DEFAULT_DATABASE_URL = "sqlite:///onetrip.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    Environment variables: ``DATABASE_URL`` (default: ``onetrip.sqlite3`` in the working
    directory), ``ONETRIP_LANG`` (``zh`` or ``en``), ``ONETRIP_SECRET_KEY`` (signs access tokens;
    required outside the demo), ``ONETRIP_TOKEN_MINUTES``, ``ONETRIP_DATA_DIR`` (uploaded files).
    """

    database_url: str = DEFAULT_DATABASE_URL
    lang: Lang = "zh"
    secret_key: str | None = None
    token_minutes: int = 30
    data_dir: Path = field(default_factory=lambda: Path("onetrip-data"))
    debug: bool = False
    today: date | None = None  # fixes "today" (demos, tests); None: the date in China

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            lang=normalize_lang(env.get("ONETRIP_LANG")),
            secret_key=env.get("ONETRIP_SECRET_KEY") or None,
            token_minutes=int(env.get("ONETRIP_TOKEN_MINUTES") or 30),
            data_dir=Path(env.get("ONETRIP_DATA_DIR") or "onetrip-data"),
            debug=(env.get("ONETRIP_DEBUG") or "").lower() in {"1", "true", "yes"},
            today=date.fromisoformat(env["ONETRIP_TODAY"]) if env.get("ONETRIP_TODAY") else None,
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
