"""An agent's iCalendar feed (RFC 5545): milestones and joint meetings as all-day events, open
follow-up actions as to-dos with their due dates.  Pure: plain values in, bytes out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class CalendarItem:
    """One entry of the feed.  ``end`` is the last day (inclusive) of an event; a to-do is due on
    ``start``.  ``uid`` must be stable across reads so that calendar clients update, not add."""

    uid: str
    summary: str
    start: date
    kind: str = "event"  # event | todo
    end: date | None = None
    description: str = ""
    categories: tuple[str, ...] = ()
    location: str = ""
    status: str | None = (
        None  # CONFIRMED | TENTATIVE | CANCELLED (events); NEEDS-ACTION | COMPLETED (to-dos)
    )


def to_ics(name: str, items: Sequence[CalendarItem], stamp: datetime) -> bytes:
    """The feed as iCalendar bytes.

    Parameters
    ----------
    name
        The calendar's display name (``X-WR-CALNAME``).
    items
        Events and to-dos, in any order.
    stamp
        ``DTSTAMP`` of every component (timezone-aware UTC).
    """
    from icalendar import Calendar, Event, Todo

    cal = Calendar()
    cal.add("prodid", "-//onetrip//proxy agent calendar//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for item in items:
        comp: Todo | Event
        if item.kind == "todo":
            comp = Todo()
            comp.add("due", item.start)
        else:
            comp = Event()
            comp.add("dtstart", item.start)
            comp.add("dtend", (item.end or item.start) + timedelta(days=1))
            comp.add("transp", "TRANSPARENT")
        comp.add("uid", item.uid)
        comp.add("dtstamp", stamp)
        comp.add("summary", item.summary)
        if item.description:
            comp.add("description", item.description)
        if item.location:
            comp.add("location", item.location)
        if item.categories:
            comp.add("categories", list(item.categories))
        if item.status:
            comp.add("status", item.status)
        cal.add_component(comp)
    return cal.to_ical()
