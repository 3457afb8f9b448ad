"""What every list page shares: reading its search, filter, sort and page parameters (through
:func:`storage.paging.parse_paging`, like the API), and the links of its pager and sortable
headers (``_listing.html`` renders them).

A malformed parameter (``page=abc``, an unknown sort key) is a 400 naming it, shown on the error
page; a page past the last one shows the last page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from storage.paging import PageOf, Paging, PagingError, parse_paging


def paging_of(
    request: Request[Any, Any, Any],
    sorts: Sequence[str],
    default_sort: str,
    *,
    size: int = 20,
) -> Paging:
    """The list parameters of the page's query string, checked (``PagingError`` → 400; on a
    page an unknown sort key is named by what the page calls its orders, not by the keys)."""
    try:
        return parse_paging(
            request.query_params, sorts, default_sort=default_sort, default_size=size, max_size=100
        )
    except PagingError as e:
        if not e.text("en").startswith("sort:"):
            raise
        raise PagingError(
            "sort：不是本列表的排序方式，请在“排序”中选择",
            "sort: not an order of this list; choose one under “Sort by”",
        ) from None


@dataclass
class Listing:
    """A list page's state for its template: the page of rows, the search, the filters in force
    and the labels of the sort keys, with the URLs that change one of them."""

    path: str
    page: PageOf
    sort_labels: Mapping[str, str]
    filters: dict[str, str] = field(default_factory=dict)
    filter_options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    filter_labels: dict[str, str] = field(default_factory=dict)

    @property
    def paging(self) -> Paging:
        return self.page.paging

    def _params(self, **change: Any) -> dict[str, Any]:
        p = self.paging
        params: dict[str, Any] = {
            "q": p.q,
            **self.filters,
            "sort": p.sort_param,
            "size": p.size,
            "page": p.page,
        }
        params.update(change)
        return {k: v for k, v in params.items() if v not in ("", None)}

    def url(self, **change: Any) -> str:
        return f"{self.path}?{urlencode(self._params(**change))}"

    def page_url(self, page: int) -> str:
        return self.url(page=page)

    def sort_url(self, key: str) -> str:
        """Sort by ``key``; asked again for the current key, the other way round."""
        p = self.paging
        flip = key == p.sort and not p.descending
        return self.url(sort=("-" if flip else "") + key, page=1)

    def sort_mark(self, key: str) -> str:
        if key != self.paging.sort:
            return ""
        return "▼" if self.paging.descending else "▲"

    def aria_sort(self, key: str) -> str:
        if key != self.paging.sort:
            return "none"
        return "descending" if self.paging.descending else "ascending"

    @property
    def hidden(self) -> dict[str, str]:
        """What the search form carries besides its own fields (the order and page size)."""
        return {"sort": self.paging.sort_param, "size": str(self.paging.size)}

    @property
    def window(self) -> list[int]:
        """The page numbers the pager links (at most seven around the current one)."""
        last, here = self.page.pages, self.paging.page
        start = max(1, min(here - 3, last - 6))
        return list(range(start, min(last, start + 6) + 1))


def filter_value(request: Request[Any, Any, Any], name: str, allowed: Sequence[str]) -> str:
    """A filter's value from the query string: empty, or one of ``allowed`` (a value outside
    them is a 400 naming the filter)."""
    value = str(request.query_params.get(name) or "").strip()
    if value and value not in allowed:
        raise PagingError(f"{name}：不是可选的值", f"{name}: not one of the choices")
    return value
