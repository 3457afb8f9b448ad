"""Settings from the environment, built when the app or the CLI starts (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from i18n import Lang, normalize_lang

DEFAULT_DATABASE_URL = "sqlite:///onetrip.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    Environment variables: ``DATABASE_URL`` (default: ``onetrip.sqlite3`` in the working
    directory), ``ONETRIP_LANG`` (``zh`` or ``en``), ``ONETRIP_SECRET_KEY`` (signs access tokens;
    required outside the demo), ``ONETRIP_SECRET_KEY_PREVIOUS`` (comma-separated secrets still
    accepted while a rotation is under way), ``ONETRIP_TOKEN_MINUTES``,
    ``ONETRIP_JOBS`` (``auto``, ``inline``, ``queue``), ``ONETRIP_DAILY_AT`` (China time of the
    day's run, ``HH:MM``, default 06:00; ``off`` for none), ``ONETRIP_LOG_FORMAT`` (``text`` or
    ``json``), ``ONETRIP_LOG_LEVEL`` (default ``INFO``), ``ONETRIP_THREADS`` (handler threads of a server
    process, default 40), ``ONETRIP_ANSWER_CACHE_MB`` (a server process's kept project answers,
    default 64; 0: none).  docs/deploy.md lists them all.
    """

    database_url: str = DEFAULT_DATABASE_URL
    lang: Lang = "zh"
    secret_key: str | None = None
    token_minutes: int = 30
    debug: bool = False
    today: date | None = None  # fixes "today" (demos, tests); None: the date in China
    jobs: str = (
        "auto"  # the job engine: auto (queue on PostgreSQL, inline on SQLite), inline, queue
    )
    daily_at: str | None = None  # China time of the day's run (HH:MM); None: no daily run here
    previous_secret_keys: tuple[str, ...] = ()  # still accepted during a rotation
    log_format: str = "text"  # text or json (one object per line)
    log_level: str = "INFO"
    admin_signing_key: str | None = None  # PEM file of the administration's Ed25519 key
    cjk_font: str | None = None  # a TrueType font for PDFs instead of the bundled subset
    threads: int = 40  # a server process's threads for request handlers (ONETRIP_THREADS)
    # MB of encoded project answers a server process keeps under their revision (api.answers)
    answer_cache_mb: int = 64

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            lang=normalize_lang(env.get("ONETRIP_LANG")),
            secret_key=env.get("ONETRIP_SECRET_KEY") or None,
            previous_secret_keys=tuple(
                k.strip()
                for k in (env.get("ONETRIP_SECRET_KEY_PREVIOUS") or "").split(",")
                if k.strip()
            ),
            token_minutes=int(env.get("ONETRIP_TOKEN_MINUTES") or 30),
            debug=(env.get("ONETRIP_DEBUG") or "").lower() in {"1", "true", "yes"},
            today=date.fromisoformat(env["ONETRIP_TODAY"]) if env.get("ONETRIP_TODAY") else None,
            jobs=_choice(
                "ONETRIP_JOBS", env.get("ONETRIP_JOBS") or "auto", ("auto", "inline", "queue")
            ),
            daily_at=_daily_at(env.get("ONETRIP_DAILY_AT") or "06:00"),
            log_format=_choice(
                "ONETRIP_LOG_FORMAT", env.get("ONETRIP_LOG_FORMAT") or "text", ("text", "json")
            ),
            log_level=_choice(
                "ONETRIP_LOG_LEVEL",
                env.get("ONETRIP_LOG_LEVEL") or "INFO",
                ("DEBUG", "INFO", "WARNING", "ERROR"),
            ),
            admin_signing_key=env.get("ONETRIP_ADMIN_SIGNING_KEY") or None,
            cjk_font=env.get("ONETRIP_CJK_FONT") or None,
            threads=_count("ONETRIP_THREADS", env.get("ONETRIP_THREADS") or "40", 1, 200),
            answer_cache_mb=_count(
                "ONETRIP_ANSWER_CACHE_MB", env.get("ONETRIP_ANSWER_CACHE_MB") or "64", 0, 4096
            ),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def _daily_at(value: str) -> str | None:
    """``HH:MM`` (checked) or None for ``off``."""
    if value.lower() in {"off", "none", "no"}:
        return None
    try:
        hour, minute = (int(x) for x in value.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"ONETRIP_DAILY_AT={value!r}：应为 HH:MM（中国时间）或 off / expected HH:MM (China time) or off"
        ) from None
    return f"{hour:02d}:{minute:02d}"


def _count(name: str, value: str, least: int, most: int) -> int:
    """A whole number in ``[least, most]``, else a clear error."""
    try:
        n = int(value)
        if not least <= n <= most:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{name}={value!r}：应为 {least} 到 {most} 的整数 / expected a whole number from {least} to {most}"
        ) from None
    return n


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` when it is one of ``allowed`` (case-insensitive), else a clear error."""
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise ValueError(
        f"{name}={value!r}：应为 {'、'.join(allowed)} / expected one of {', '.join(allowed)}"
    )
