"""The working-day calendar: holidays, make-up days, loaded arrangements, provisional years."""

from datetime import date

import pytest

from approvals.calendar import WorkCalendar, arrangement_to_document, parse_arrangement
from approvals.errors import CalendarError, CalendarRangeError

CAL = WorkCalendar()

ARRANGEMENT_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知（示例）",
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-06", "to": "2027-02-13"},
    ],
    "workdays": [{"name": "春节调休", "date": "2027-02-14"}],
}


def test_national_day_and_makeup_saturday_2026():
    assert not CAL.is_workday(date(2026, 10, 1))  # 国庆节
    assert not CAL.is_workday(date(2026, 10, 7))
    assert CAL.is_workday(date(2026, 10, 8))
    assert CAL.is_workday(date(2026, 10, 10))  # 调休 Saturday
    assert CAL.info(date(2026, 10, 10)).kind == "makeup"
    assert CAL.info(date(2026, 10, 1)).name == "国庆节"


def test_add_workdays_skips_the_spring_festival():
    # 2026-02-13 is a Friday; 春节 runs 2026-02-15..23 with 2026-02-14 (Sat) a make-up day
    assert CAL.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_sequence_numbers_working_days_from_the_first_on_or_after_start():
    seq = CAL.sequence(date(2026, 10, 1))  # a holiday
    assert seq.date_of(0) == date(2026, 10, 8)
    assert seq.date_of(2) == date(2026, 10, 10)
    assert seq.index_of(date(2026, 10, 10)) == 2
    assert seq.index_of(date(2026, 10, 11)) == 3  # a Sunday maps to the next working day
    assert CAL.workdays_between(date(2026, 10, 1), date(2026, 10, 12)) == 3


def test_years_past_the_known_ones_are_provisional_until_loaded():
    seq = CAL.sequence(date(2026, 12, 28))
    assert seq.provisional_years(10) == [2027]
    loaded = WorkCalendar([parse_arrangement(ARRANGEMENT_2027)])
    assert loaded.sequence(date(2026, 12, 28)).provisional_years(10) == []
    assert not loaded.is_workday(date(2027, 2, 8))  # a Monday inside the loaded Spring Festival
    assert loaded.is_workday(date(2027, 2, 14))  # the loaded make-up Sunday
    assert CAL.is_workday(date(2027, 2, 8))  # unknown year: weekdays only


def test_dates_outside_the_supported_range_are_refused():
    with pytest.raises(CalendarRangeError, match="2003-12-31"):
        CAL.is_workday(date(2003, 12, 31))
    with pytest.raises(CalendarRangeError):
        CAL.sequence(date(2100, 1, 1))


@pytest.mark.parametrize(
    ("patch", "culprit"),
    [
        ({"year": 1999}, "year"),
        ({"year": "2027"}, "year"),
        ({"workdays": ["2027-02-15"]}, "workdays[0]"),  # a Monday is not a make-up day
        ({"holidays": [{"name": "春节", "from": "2027-02-13", "to": "2027-02-06"}]}, "holidays[0]"),
        ({"holidays": [{"name": "春节", "from": "2027-13-01"}]}, "holidays[0].from"),
        ({"holidays": [{"name": "", "from": "2027-01-01"}]}, "holidays[0].name"),
        (
            {"holidays": [{"name": "国庆", "from": "2028-10-01", "to": "2028-10-07"}]},
            "holidays[0].from",
        ),
        ({"workdays": [{"date": "2027-02-07"}]}, "workdays[0]"),  # also a holiday
        ({"extra": 1}, "extra"),
    ],
)
def test_malformed_arrangements_name_the_field(patch, culprit):
    doc = {**ARRANGEMENT_2027, **patch}
    with pytest.raises(CalendarError) as err:
        parse_arrangement(doc)
    assert culprit in str(err.value)


def test_arrangement_round_trips_through_its_document():
    a = parse_arrangement(ARRANGEMENT_2027)
    b = parse_arrangement(arrangement_to_document(a))
    assert (a.year, dict(a.holidays), dict(a.workdays), a.source) == (
        b.year,
        dict(b.holidays),
        dict(b.workdays),
        b.source,
    )


def test_iso_of_is_date_of_as_iso_remembered_by_the_calendar():
    cal = WorkCalendar()
    a, b = cal.sequence(date(2026, 9, 28)), cal.sequence(date(2026, 10, 8))
    for seq in (a, b, a):  # the second read of a comes from the calendar's memory
        assert [seq.iso_of(n) for n in range(400)] == [
            seq.date_of(n).isoformat() for n in range(400)
        ]
    with pytest.raises(ValueError):
        b.iso_of(-1)  # as date_of, though a day before b's day 0 is remembered (a's)
