"""The Chinese working-day calendar (工作日): weekends, statutory holidays and make-up days (调休).

Time limits of approval items count working days.  A day is a working day when it is a weekday
that is not a statutory holiday, or a weekend day declared a make-up working day (调休上班).

The built-in arrangements come from the ``chinese-calendar`` package (2004–2026).  The State
Council publishes the next year's arrangement each winter; an administrator loads it as a
:class:`YearArrangement` (see :func:`parse_arrangement`), which also overrides a built-in year.
For a year with no arrangement the calendar counts weekdays only and says so: such dates are
*provisional* (暂定), and every plan that reaches them is marked provisional.

>>> cal = WorkCalendar()
>>> cal.is_workday(date(2026, 10, 8)), cal.is_workday(date(2026, 10, 10))  # after 国庆; 调休 Saturday
(True, True)
>>> cal.add_workdays(date(2026, 9, 30), 1)  # the next working day after the National Day holiday
datetime.date(2026, 10, 8)
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from approvals.errors import CalendarError, CalendarRangeError

#: Earliest and latest years the calendar counts.  Before 2004 no arrangement is available;
#: after 2099 a plan is meaningless and most likely a data error.
MIN_YEAR = 2004
MAX_YEAR = 2099

#: Chinese names of the holidays that ``chinese-calendar`` names in English.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass(frozen=True, slots=True)
class YearArrangement:
    """One year's holiday arrangement (节假日安排) as published by the State Council.

    ``holidays`` are the days off (放假) including the weekend days inside each span;
    ``workdays`` are the weekend days declared working days (调休上班).  Dates may spill a few
    days into the neighbouring years (e.g. a New Year holiday starting on 31 December).
    """

    year: int
    holidays: Mapping[date, str]
    workdays: Mapping[date, str]
    source: str = ""


def _builtin_arrangements() -> dict[int, YearArrangement]:
    from chinese_calendar import constants  # data-only module; imported lazily

    holidays: dict[int, dict[date, str]] = {}
    workdays: dict[int, dict[date, str]] = {}
    for day, name in constants.holidays.items():
        label = HOLIDAY_NAMES_ZH.get(str(name), str(name))
        holidays.setdefault(day.year, {})[day] = label
    for day, name in constants.workdays.items():
        label = HOLIDAY_NAMES_ZH.get(str(name), str(name)) + "调休"
        workdays.setdefault(day.year, {})[day] = label
    years = range(min(holidays), max(holidays) + 1)
    return {
        y: YearArrangement(
            y,
            holidays.get(y, {}),
            workdays.get(y, {}),
            source="chinese-calendar (国务院办公厅通知)",
        )
        for y in years
    }


_BUILTIN: dict[int, YearArrangement] | None = None


def builtin_arrangements() -> dict[int, YearArrangement]:
    """The arrangements shipped with ``chinese-calendar``, by year (cached)."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _builtin_arrangements()
    return _BUILTIN


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What kind of day a date is, and why."""

    day: date
    workday: bool
    kind: str  # "workday" | "weekend" | "holiday" | "makeup"
    name: str = ""
    provisional: bool = False


class WorkCalendar:
    """Working-day arithmetic over built-in and loaded year arrangements.

    Parameters
    ----------
    arrangements
        Loaded arrangements; each replaces the built-in arrangement of its year.
    builtin
        Whether to start from the ``chinese-calendar`` arrangements (tests may switch it off).
    """

    def __init__(self, arrangements: Iterable[YearArrangement] = (), *, builtin: bool = True):
        years: dict[int, YearArrangement] = dict(builtin_arrangements()) if builtin else {}
        for arrangement in arrangements:
            years[arrangement.year] = arrangement
        self._years = years
        self._holidays: dict[date, str] = {}
        self._workdays: dict[date, str] = {}
        for arrangement in sorted(years.values(), key=lambda a: a.year):
            self._holidays.update(arrangement.holidays)
            self._workdays.update(arrangement.workdays)
        for day in self._workdays:
            self._holidays.pop(day, None)
        self.known_years: frozenset[int] = frozenset(years)
        self._all: list[date] = []
        # working day (its index in _all) → its ISO date, as the plans show it: filled as asked
        # (WorkdaySequence.iso_of); a calendar never changes, a new arrangement makes a new one
        self._isos: dict[int, str] = {}
        self._through = MIN_YEAR - 1
        self._lock = threading.Lock()  # the list of working days is shared by threads

    def arrangement(self, year: int) -> YearArrangement | None:
        return self._years.get(year)

    def is_known(self, year: int) -> bool:
        """Whether the holidays of ``year`` are known (otherwise only weekends are counted)."""
        return year in self.known_years

    @staticmethod
    def check_range(day: date) -> None:
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise CalendarRangeError(
                f"日期 {day.isoformat()} 超出工作日历范围 {MIN_YEAR}–{MAX_YEAR} 年",
                f"date {day.isoformat()} is outside the working-day calendar ({MIN_YEAR}–{MAX_YEAR})",
            )

    def is_workday(self, day: date) -> bool:
        self.check_range(day)
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def info(self, day: date) -> DayInfo:
        self.check_range(day)
        provisional = not self.is_known(day.year)
        if day in self._workdays:
            return DayInfo(day, True, "makeup", self._workdays[day], provisional)
        if day in self._holidays:
            return DayInfo(day, False, "holiday", self._holidays[day], provisional)
        if day.weekday() >= 5:
            return DayInfo(day, False, "weekend", "", provisional)
        return DayInfo(day, True, "workday", "", provisional)

    def workday_on_or_after(self, day: date) -> date:
        return self.sequence(day).date_of(0)

    def add_workdays(self, day: date, n: int) -> date:
        """The date ``n`` working days after ``day`` (``n`` ≥ 0; 0 gives the next working day on or after)."""
        if n < 0:
            raise ValueError("n must be non-negative")
        return self.sequence(day).date_of(n)

    def sequence(self, start: date) -> WorkdaySequence:
        """Working days numbered from 0, the first working day on or after ``start``."""
        self.check_range(start)
        self._extend_through(start.year)
        return WorkdaySequence(self, bisect.bisect_left(self._all, start), start)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in ``[start, end)``; negative when ``end`` precedes ``start``."""
        if end < start:
            return -self.workdays_between(end, start)
        self.check_range(start)
        self.check_range(end)
        self._extend_through(end.year)
        return bisect.bisect_left(self._all, end) - bisect.bisect_left(self._all, start)

    # Every working day from MIN_YEAR on, computed a year at a time as plans reach further:
    # sequences share it, so numbering working days costs a bisect, not a walk over dates.
    def _extend_through(self, year: int) -> None:
        if self._through >= year:
            return
        with self._lock:
            while self._through < year:
                y = self._through + 1
                day, end = date(y, 1, 1), date(y + 1, 1, 1)
                one = timedelta(days=1)
                days = self._all
                while day < end:
                    if self.is_workday(day):
                        days.append(day)
                    day += one
                self._through = y


@dataclass
class WorkdaySequence:
    """Working days numbered 0, 1, 2 … from the first working day on or after ``start``."""

    calendar: WorkCalendar
    offset: int  # index of working day 0 in the calendar's list
    start: date

    def date_of(self, n: int) -> date:
        """The date of working day ``n`` (``n`` ≥ 0).

        Raises
        ------
        CalendarRangeError
            When day ``n`` falls after the calendar's last year.
        """
        if n < 0:
            raise ValueError(f"working day index must be non-negative, got {n}")
        cal = self.calendar
        i = self.offset + n
        while i >= len(cal._all):
            if cal._through >= MAX_YEAR:
                raise CalendarRangeError(
                    f"计划超出工作日历范围（{MAX_YEAR} 年之后）",
                    f"the plan runs past the working-day calendar (after {MAX_YEAR})",
                )
            cal._extend_through(cal._through + 1)
        return cal._all[i]

    def iso_of(self, n: int) -> str:
        """:meth:`date_of` as an ISO date (``2026-03-02``), remembered by the calendar: a plan
        shows the same few days in every step, and on every read."""
        if n >= 0:
            found = self.calendar._isos.get(self.offset + n)
            if found is not None:
                return found
        found = self.date_of(n).isoformat()  # raises as date_of does
        self.calendar._isos[self.offset + n] = found
        return found

    @property
    def dates(self) -> list[date]:
        """Working days from day 0 as far as computed (index = working day number); a copy."""
        return self.calendar._all[self.offset :]

    def index_of(self, day: date) -> int:
        """The number of the first working day on or after ``day`` (0 for any date ≤ day 0)."""
        self.calendar.check_range(day)
        self.calendar._extend_through(day.year)
        return max(0, bisect.bisect_left(self.calendar._all, day) - self.offset)

    def provisional_years(self, upto: int) -> list[int]:
        """Years without a known arrangement among working days 0 … ``upto``."""
        first, last = self.date_of(0), self.date_of(max(upto, 0))
        return [y for y in range(first.year, last.year + 1) if not self.calendar.is_known(y)]


# --- loading an arrangement ------------------------------------------------------------------


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(
        f"{where}：'{value}' 不是 YYYY-MM-DD 格式的日期",
        f"{where}: '{value}' is not a YYYY-MM-DD date",
    )


def parse_arrangement(data: Any, source: str = "") -> YearArrangement:
    """Validate and build a year's arrangement from a JSON/YAML document.

    The document looks like::

        year: 2027
        source: 国务院办公厅关于2027年部分节假日安排的通知
        holidays:            # days off, each span inclusive
          - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
        workdays:            # weekend days declared working days (调休上班)
          - {name: 春节调休, date: 2027-02-06}

    Raises
    ------
    CalendarError
        Naming the field: a year outside the supported range, a malformed date, a span whose
        end precedes its start, a date far outside the year, a make-up day that is not a
        weekend day, or a date both off and on.
    """
    if not isinstance(data, Mapping):
        raise CalendarError("节假日安排必须是一个对象", "an arrangement must be an object")
    year = _arrangement_year(data.get("year"))
    unknown = set(data) - {"year", "source", "holidays", "workdays"}
    if unknown:
        raise CalendarError(
            f"未知字段：{', '.join(sorted(unknown))}",
            f"unknown fields: {', '.join(sorted(unknown))}",
        )
    holidays = _parse_holidays(data.get("holidays") or [], year)
    workdays = _parse_workdays(data.get("workdays") or [], year, holidays)
    return YearArrangement(year, holidays, workdays, str(data.get("source") or source))


def _arrangement_year(year: Any) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarError(
            f"year：'{year}' 不是 {MIN_YEAR}–{MAX_YEAR} 之间的年份",
            f"year: '{year}' is not a year between {MIN_YEAR} and {MAX_YEAR}",
        )
    return year


def _in_year(day: date, where: str, year: int) -> date:
    """The day, if within two weeks of the year (spans may cross New Year)."""
    low, high = date(year, 1, 1) - timedelta(days=14), date(year, 12, 31) + timedelta(days=14)
    if not low <= day <= high:
        raise CalendarError(
            f"{where}：{day} 不在 {year} 年内", f"{where}: {day} does not belong to {year}"
        )
    return day


def _parse_holidays(spans: Any, year: int) -> dict[date, str]:
    """Each day off of the year, named by its holiday."""
    holidays: dict[date, str] = {}
    for i, span in enumerate(spans):
        where = f"holidays[{i}]"
        if not isinstance(span, Mapping):
            raise CalendarError(f"{where} 必须是对象", f"{where} must be an object")
        name = str(span.get("name") or "").strip()
        if not name:
            raise CalendarError(f"{where}.name 不能为空", f"{where}.name is required")
        start = _in_year(_as_date(span.get("from"), f"{where}.from"), f"{where}.from", year)
        end = _in_year(
            _as_date(span.get("to", span.get("from")), f"{where}.to"), f"{where}.to", year
        )
        if end < start:
            raise CalendarError(
                f"{where}（{name}）：结束日期 {end} 早于开始日期 {start}",
                f"{where} ({name}): 'to' {end} precedes 'from' {start}",
            )
        if (end - start).days > 31:
            raise CalendarError(
                f"{where}（{name}）：假期超过 31 天",
                f"{where} ({name}): a holiday longer than 31 days",
            )
        day = start
        while day <= end:
            holidays[day] = name
            day += timedelta(days=1)
    return holidays


def _parse_workdays(entries: Any, year: int, holidays: dict[date, str]) -> dict[date, str]:
    """The weekend days declared working days (调休上班), named."""
    workdays: dict[date, str] = {}
    for i, entry in enumerate(entries):
        where = f"workdays[{i}]"
        if isinstance(entry, Mapping):
            day = _as_date(entry.get("date"), f"{where}.date")
            name = str(entry.get("name") or "调休")
        else:
            day, name = _as_date(entry, where), "调休"
        _in_year(day, where, year)
        if day.weekday() < 5:
            raise CalendarError(
                f"{where}：{day} 是工作日（周一至周五），无需调休",
                f"{where}: {day} is already a weekday; a make-up day must be a Saturday or Sunday",
            )
        if day in holidays:
            raise CalendarError(
                f"{where}：{day} 同时被列为放假日", f"{where}: {day} is also listed as a holiday"
            )
        workdays[day] = name
    return workdays


def arrangement_to_document(arrangement: YearArrangement) -> dict[str, Any]:
    """The inverse of :func:`parse_arrangement` (spans merged), for export and storage."""
    spans: list[dict[str, str]] = []
    for day in sorted(arrangement.holidays):
        name = arrangement.holidays[day]
        if (
            spans
            and spans[-1]["name"] == name
            and date.fromisoformat(spans[-1]["to"]) + timedelta(days=1) == day
        ):
            spans[-1]["to"] = day.isoformat()
        else:
            spans.append({"name": name, "from": day.isoformat(), "to": day.isoformat()})
    return {
        "year": arrangement.year,
        "source": arrangement.source,
        "holidays": spans,
        "workdays": [
            {"name": name, "date": day.isoformat()}
            for day, name in sorted(arrangement.workdays.items())
        ],
    }


#: From this month on, the administrator is warned when next year's arrangement is not loaded
#: (the State Council publishes it in October or November).
WARN_FROM_MONTH = 11


def missing_next_year(calendar: WorkCalendar, today: date) -> int | None:
    """Next year, when from November on its holiday arrangement is still unknown (plans reaching
    into it count weekends only); ``None`` otherwise.

    >>> cal = WorkCalendar(builtin=False)
    >>> missing_next_year(cal, date(2026, 11, 2)), missing_next_year(cal, date(2026, 10, 31))
    (2027, None)
    >>> cal = WorkCalendar([YearArrangement(2027, {}, {})], builtin=False)
    >>> missing_next_year(cal, date(2026, 12, 6)) is None
    True
    """
    if today.month < WARN_FROM_MONTH or calendar.is_known(today.year + 1):
        return None
    return today.year + 1
