"""Administration (行政服务中心): users, enterprises, departments, catalogues, calendars, clocks,
the audit trail and the background jobs."""

from __future__ import annotations

from typing import Any

import msgspec

from api.schemas.common import Out, PageMeta
from api.schemas.projects import AuditEntry


class UserOut(Out):
    id: int
    username: str
    role: str
    display_name: str
    enterprise_id: int | None
    department: str | None
    phone: str
    email: str
    active: bool
    intermediary_id: int | None = None


class UsersOut(PageMeta):
    items: list[UserOut]


class EnterpriseOut(Out):
    id: int
    name: str
    credit_code: str
    contact_name: str
    phone: str


class EnterprisesOut(Out):
    items: list[EnterpriseOut]


class EnterpriseCreated(Out):
    id: int
    name: str
    credit_code: str


class DepartmentOut(Out):
    code: str
    name: str
    name_en: str
    contact_person: str
    phone: str
    address: str


class DepartmentsOut(Out):
    items: list[DepartmentOut]


class CatalogueLoaded(Out):
    id: int
    code: str
    version: str
    sha256: str
    items: int
    active: bool


class HolidaySpan(Out):
    name: str
    from_: str = msgspec.field(name="from")
    to: str


class AdjustedWorkday(Out):
    """A weekend day that is worked (调休上班)."""

    name: str
    date: str


class ArrangementOut(Out):
    """A year's public holidays and adjusted workdays (国务院办公厅通知)."""

    year: int
    source: str
    holidays: list[HolidaySpan]
    workdays: list[AdjustedWorkday]


class CalendarYearOut(Out):
    year: int
    known: bool
    holidays: list[HolidaySpan]
    workdays: list[AdjustedWorkday]
    source: str | msgspec.UnsetType = msgspec.UNSET  # absent when the year is not known


class Escalation(Out):
    task_id: int
    level: str
    raised_on: str


class ClockScanOut(Out):
    escalations: list[Escalation]


class AuditPage(Out):
    items: list[AuditEntry]


class JobRun(Out):
    name: str
    run_key: str
    status: str
    attempts: int
    worker: str
    result: Any
    error: str | None
    started_at: str | None
    finished_at: str | None


class JobStatusOut(Out):
    backend: str
    queue: dict[str, int] | None
    failed: int
    runs: list[JobRun]
