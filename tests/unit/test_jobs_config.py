"""The job engine's and the operator's settings: checked at start, named when wrong."""

from __future__ import annotations

import croniter
import pytest

from api.jobs import resolve_backend
from api.jobs.queue import conninfo, daily_cron
from api.settings import Settings


def test_job_engine_choice_is_checked():
    assert resolve_backend("auto", "sqlite:///x.sqlite3") == "inline"
    assert resolve_backend("auto", "postgresql+psycopg://h/db") == "queue"
    with pytest.raises(ValueError, match="PostgreSQL"):
        resolve_backend("queue", "sqlite:///x.sqlite3")
    with pytest.raises(ValueError, match="ONETRIP_JOBS"):
        resolve_backend("celery", "sqlite:///x.sqlite3")


def test_the_daily_run_time_is_china_time_converted_to_utc_cron():
    assert daily_cron("06:00") == "0 22 * * *"  # 06:00 in Shanghai is 22:00 UTC the day before
    assert daily_cron("08:30") == "30 0 * * *"
    assert croniter.croniter.is_valid(daily_cron("23:59"))


def test_conninfo_keeps_credentials_and_drops_the_driver():
    assert conninfo("postgresql+psycopg://u:p%40ss@db:5433/onetrip") == (
        "postgresql://u:p%40ss@db:5433/onetrip"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ONETRIP_JOBS", "celery"),
        ("ONETRIP_DAILY_AT", "25:00"),
        ("ONETRIP_DAILY_AT", "six"),
        ("ONETRIP_LOG_FORMAT", "xml"),
        ("ONETRIP_LOG_LEVEL", "loud"),
        ("ONETRIP_THREADS", "0"),
        ("ONETRIP_ANSWER_CACHE_MB", "-1"),
        ("ONETRIP_ANSWER_CACHE_MB", "lots"),
        ("ONETRIP_ANSWER_CACHE_MB", "5000"),
    ],
)
def test_malformed_settings_are_named(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_settings_defaults_and_off():
    s = Settings.from_env({})
    assert (s.jobs, s.daily_at, s.log_format, s.log_level) == ("auto", "06:00", "text", "INFO")
    s = Settings.from_env(
        {"ONETRIP_DAILY_AT": "off", "ONETRIP_LOG_FORMAT": "JSON", "ONETRIP_JOBS": "Inline"}
    )
    assert (s.daily_at, s.log_format, s.jobs) == (None, "json", "inline")
    assert (
        s.answer_cache_mb,
        Settings.from_env({"ONETRIP_ANSWER_CACHE_MB": "0"}).answer_cache_mb,
    ) == (
        64,
        0,
    )
