"""Errors of the approvals domain (事项清单, planning, calendars, review workflow).

One family, rooted at :class:`ApprovalsError`; every specific error is also one of the kinds of
:mod:`i18n` (NotFound, Forbidden, Conflict, Invalid, Malformed), which is all the adapters map.
Every message names the culprit (the item code, the field, the date) in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Sequence

from i18n import Conflict, Forbidden, Invalid, LocalizedError, Malformed, NotFound, Text


class ApprovalsError(LocalizedError):
    """Base of the approvals error family."""


class DocumentError(ApprovalsError, Malformed):
    """A JSON/YAML document could not be read or parsed (missing file, bad syntax)."""


class CatalogError(ApprovalsError, Invalid):
    """A catalogue (事项清单) is invalid.

    ``problems`` lists every finding as a :class:`~i18n.Text`, each naming the item code and
    the field (``items[3] (A04).requires[1]: …``).
    """

    def __init__(self, problems: Sequence[Text | str], source: str = "") -> None:
        self.problems = [p if isinstance(p, Text) else Text(p, p) for p in problems]
        self.source = source
        where = f"{source}: " if source else ""
        first = self.problems[0] if self.problems else Text("", "")
        more = len(self.problems) - 1
        suffix_zh = f"（另有 {more} 处问题）" if more > 0 else ""
        suffix_en = f" (and {more} more)" if more > 0 else ""
        super().__init__(
            f"{where}事项清单无效：{first.zh}{suffix_zh}",
            f"{where}invalid catalogue: {first.en}{suffix_en}",
        )


class CycleError(CatalogError):
    """The prerequisites form cycles; ``cycles`` holds each cycle's codes in order."""

    def __init__(self, cycles: Sequence[Sequence[str]], source: str = "") -> None:
        self.cycles = [list(c) for c in cycles]
        problems = []
        for c in self.cycles:
            path = " → ".join([*c, c[0]])
            problems.append(Text(f"前置条件成环：{path}", f"prerequisites form a cycle: {path}"))
        super().__init__(problems, source)


class UnknownPrerequisiteError(CatalogError):
    """An item requires a code that names no item."""


class ProjectError(ApprovalsError, Invalid):
    """A project description (attributes, answers to the questionnaire 一次告知) is invalid."""


class FilingInvalid(ProjectError):
    """A filing refused field by field: ``fields`` maps each field's key (a questionnaire key,
    ``name`` or ``plot``) to what is wrong with it, named in the message; ``problems`` lists the
    same messages (the API returns them as ``errors``)."""

    def __init__(self, fields: dict[str, Text]) -> None:
        self.fields = dict(fields)
        self.problems = list(self.fields.values())
        first = self.problems[0] if self.problems else Text("", "")
        more = len(self.problems) - 1
        keys = ", ".join(self.fields)  # the API's callers match on the field keys
        super().__init__(
            f"申报信息有误（{keys}）：{first.zh}" + (f"（另有 {more} 处问题）" if more > 0 else ""),
            f"the filing is refused ({keys}): {first.en}"
            + (f" (and {more} more)" if more > 0 else ""),
        )


class CalendarError(ApprovalsError, Invalid):
    """A calendar arrangement is invalid, or a date lies outside the supported range."""


class CalendarRangeError(CalendarError):
    """A date lies outside the years the working-day calendar can count."""


class NotFoundError(ApprovalsError, NotFound):
    """A project, task or material does not exist — or the caller may not know that it does."""


class AccessDenied(ApprovalsError, Forbidden):
    """The caller's role or department does not allow this action."""


class StaleVersion(ApprovalsError, Conflict):
    """The caller acted on an old version of a record; it must reload and try again."""

    def __init__(self, what: str, sent: int, current: int, what_en: str | None = None) -> None:
        self.sent, self.current = sent, current
        super().__init__(
            f"页面已过期：{what}在您打开页面后已有变化，请刷新后重试",
            f"The page is out of date: {what_en or what} changed after you opened it "
            f"(you sent version {sent}, it is now {current}); reload and try again",
        )
