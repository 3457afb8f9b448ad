"""Lists in pages: search, sorting and one page of rows, done by the database.

Every list of the app (projects, worklists, alerts, users, commitments; pages and API routes)
reads its query parameters through :func:`parse_paging` and runs through :func:`fetch_page`, so
each list validates the same way and issues the same statement: ``SELECT …, count(*) OVER ()
… ORDER BY … LIMIT … OFFSET`` (the total with the rows; a ``count(*)`` of its own only when the
page is empty).  Nothing loads a whole table to cut it in Python.

The parameters:

``page``  1, 2, … (a page past the last one is corrected to the last one, not refused)
``size``  rows per page, 1 … ``max_size``
``sort``  one of the list's sort keys; a leading ``-`` sorts descending
``q``     free-text search (the list decides which columns it searches)

Anything else malformed — ``page=abc``, ``page=0``, ``size=100000``, an unknown sort key —
raises :class:`PagingError` (HTTP 400) naming the parameter.

>>> p = parse_paging({"page": "2", "size": "10", "sort": "-filed_on"}, ("filed_on", "code"))
>>> (p.page, p.size, p.sort, p.descending, p.offset)
(2, 10, 'filed_on', True, 10)
>>> parse_paging({}, ("code",), default_sort="-code").descending
True
>>> parse_paging({"page": "0"}, ("code",))
Traceback (most recent call last):
...
storage.paging.PagingError: page：须为正整数 (page: a positive whole number)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select
from sqlalchemy.orm import Session

from i18n import Malformed

DEFAULT_SIZE = 20
MAX_SIZE = 200
MAX_QUERY = 100


class PagingError(Malformed):
    """A list's query parameter is malformed; the message names it (``page``, ``size``, …)."""


@dataclass(frozen=True)
class Paging:
    """One list request: which page, how big, sorted how, searching what."""

    page: int = 1
    size: int = DEFAULT_SIZE
    sort: str = ""
    descending: bool = False
    q: str = ""

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def sort_param(self) -> str:
        """The ``sort`` parameter that asks for this order again (``-code`` for descending)."""
        return ("-" if self.descending else "") + self.sort


def _positive(params: Mapping[str, Any], name: str, default: int, zh: str, en: str) -> int:
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise PagingError(f"{name}：{zh}", f"{name}: {en}")
    return int(text)


def parse_paging(
    params: Mapping[str, Any],
    sorts: Sequence[str],
    *,
    default_sort: str | None = None,
    default_size: int = DEFAULT_SIZE,
    max_size: int = MAX_SIZE,
) -> Paging:
    """The list parameters in ``params`` (a query string's mapping), checked.

    ``sorts`` are the list's sort keys; ``default_sort`` (e.g. ``"-filed_on"``) applies when
    ``sort`` is absent, otherwise the first key ascending.

    Raises
    ------
    PagingError
        Naming the parameter: ``page`` not a positive integer, ``size`` not in 1 … ``max_size``,
        ``sort`` not one of ``sorts`` (with or without ``-``), ``q`` longer than 100 characters.

    >>> parse_paging({"size": "500"}, ("code",), max_size=100)
    Traceback (most recent call last):
    ...
    storage.paging.PagingError: size：须为 1–100 的整数 (size: a whole number from 1 to 100)
    >>> parse_paging({"sort": "password"}, ("code", "name"))
    Traceback (most recent call last):
    ...
    storage.paging.PagingError: sort：须为 code、name 之一（前加 - 为降序） (sort: one of code, name (prefix - for descending))
    """
    page = _positive(params, "page", 1, "须为正整数", "a positive whole number")
    size_err = (f"须为 1–{max_size} 的整数", f"a whole number from 1 to {max_size}")
    size = _positive(params, "size", default_size, *size_err)
    if size > max_size:
        raise PagingError(f"size：{size_err[0]}", f"size: {size_err[1]}")
    raw_sort = str(params.get("sort") or "").strip() or (
        default_sort or (sorts[0] if sorts else "")
    )
    descending = raw_sort.startswith("-")
    key = raw_sort[1:] if descending else raw_sort
    if key not in sorts:
        names = "、".join(sorts)
        raise PagingError(
            f"sort：须为 {names} 之一（前加 - 为降序）",
            f"sort: one of {', '.join(sorts)} (prefix - for descending)",
        )
    q = str(params.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise PagingError(
            f"q：检索词不超过 {MAX_QUERY} 个字符", f"q: at most {MAX_QUERY} characters"
        )
    return Paging(page=page, size=size, sort=key, descending=descending, q=q)


@dataclass(frozen=True)
class PageOf:
    """One page of a list: its rows, how many there are in all, and the (corrected) paging."""

    items: list[Any]
    total: int
    paging: Paging

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.paging.size))

    @property
    def page(self) -> int:
        return self.paging.page

    @property
    def has_previous(self) -> bool:
        return self.paging.page > 1

    @property
    def has_next(self) -> bool:
        return self.paging.page < self.pages


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` rows fill (at least one, the empty page).

    >>> page_count(0, 20), page_count(20, 20), page_count(21, 20)
    (1, 1, 2)
    """
    return max(1, -(-total // size))


def corrected(paging: Paging, total: int) -> Paging:
    """``paging`` with a page past the last one moved to the last one.

    >>> corrected(Paging(page=9, size=10), 25).page
    3
    >>> corrected(Paging(page=2, size=10), 25).page
    2
    """
    last = page_count(total, paging.size)
    return paging if paging.page <= last else replace(paging, page=last)


def search_clause(q: str, *columns: Any) -> ColumnElement[bool] | None:
    """Rows where any of ``columns`` contains ``q`` (case-insensitive; ``%`` and ``_`` literal)."""
    if not q:
        return None
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))


#: Page statements already built, by the caller's key and the paging (see ``memo``).
_BUILT: dict[Any, Any] = {}
_BUILT_MAX = 1024


def fetch_page(
    session: Session | Connection,
    query: Select[Any] | Callable[[], Select[Any]],
    paging: Paging,
    sort_columns: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    *,
    tiebreak: Any,
    scalars: bool = True,
    memo: Hashable | None = None,
) -> PageOf:
    """One page of ``query``, sorted by ``sort_columns[paging.sort]`` (a column, or a tuple of
    them compared in turn) then ``tiebreak`` (a unique column: a stable order across pages).  The
    caller has already added its filters and search to ``query``.

    One statement when the page has rows: the total comes with them (``count(*) OVER ()``, counted
    before ``LIMIT``), and when the first page is empty (then no row matches).  Another empty page
    costs a ``count(*)``, and when the page was past the last one, the last page's rows.

    ``memo``: a key naming everything ``query`` and ``sort_columns`` depend on (then both may be
    functions that build them).  The statement of a key and a paging is built once per process
    and reused: building it (SQLAlchemy's expression objects) cost as much CPU as running it.
    Only the statement is kept, never its rows.

    ``session`` may be a :class:`~sqlalchemy.Connection` (with ``scalars=False``): rows without the
    ORM's execution and loading, nothing flushed first."""

    def built(kind: str, p: Paging | None, build: Callable[[], Any]) -> Any:
        if memo is None:
            return build()
        key = (memo, kind, p)
        stmt = _BUILT.get(key)
        if stmt is None:
            stmt = build()
            if len(_BUILT) >= _BUILT_MAX:
                _BUILT.clear()
            _BUILT[key] = stmt
        return stmt

    def base() -> Select[Any]:
        return query() if callable(query) else query

    def page_statement(p: Paging) -> Select[Any]:
        sorts = sort_columns() if callable(sort_columns) else sort_columns
        chosen = sorts[p.sort]
        columns = chosen if isinstance(chosen, tuple) else (chosen,)
        order = [c.desc() if p.descending else c.asc() for c in (*columns, tiebreak)]
        return (
            base()
            .order_by(None)
            .add_columns(func.count().over().label("page_total"))
            .order_by(*order)
            .limit(p.size)
            .offset(p.offset)
        )

    def rows_of(p: Paging) -> list[Any]:
        return list(session.execute(built("page", p, lambda: page_statement(p))).all())

    rows = rows_of(paging)
    if rows:
        total = rows[-1][-1]
    elif paging.offset == 0:
        total = 0  # the first page is empty only when no row matches: nothing to count
    else:
        count = built(
            "count",
            None,
            lambda: select(func.count()).select_from(base().order_by(None).subquery()),
        )
        total = session.scalar(count) or 0
        last = corrected(paging, total)
        if last != paging:
            paging = last
            rows = rows_of(paging)
            total = rows[-1][-1] if rows else total
    # ``scalars``: the entities; otherwise the rows, their ``page_total`` column last
    items = [r[0] for r in rows] if scalars else rows
    return PageOf(items=items, total=total, paging=paging)
