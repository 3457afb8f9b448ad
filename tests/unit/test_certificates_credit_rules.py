"""The rules of numbers, document names and the price table, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from approvals.errors import NotFoundError
from approvals.services.certificates import certificate_number, content_hash, verify_url
from approvals.services.counter_documents import available, document_number, parse_name
from commitments.errors import PolicyError
from commitments.services.credit import DEFAULT_PRICES, RESOURCES, check_prices


def test_certificate_numbers_are_distinct_per_project_and_code_and_carry_the_year():
    day = date(2026, 3, 2)
    numbers = {
        certificate_number(f"2026-330110-34-03-{i:06d}", code, day)
        for i in range(2000)
        for code in ("C-project-code", "C-land-title")
    }
    assert len(numbers) == 4000
    assert all(n.startswith("DZZZ-2026-") and len(n) == 20 for n in numbers)
    assert certificate_number("P", "C", day) == certificate_number("P", "C", day)


def test_document_numbers_by_kind_and_names():
    assert document_number("receipt", "P", 1, 0).startswith("SL-")
    assert document_number("refusal", "P", 1, 0).startswith("BY-")
    assert document_number("correction", "P", 1, 7) != document_number("correction", "P", 1, 8)
    assert parse_name("receipt.pdf") == ("receipt", 0)
    assert parse_name("correction-12.pdf") == ("correction", 12)
    for bad in ("correction.pdf", "receipt-1.pdf", "nothing.pdf", "../x.pdf", "correction-x.pdf"):
        with pytest.raises(NotFoundError):
            parse_name(bad)


def test_which_documents_a_task_has():
    kinds = lambda docs: [d["kind"] for d in docs]  # noqa: E731
    assert kinds(available(False, False, [])) == ["notice"]
    assert kinds(available(True, False, [(3, "2026-03-02")])) == ["notice", "receipt", "correction"]
    assert kinds(available(False, True, [])) == ["notice", "refusal"]
    assert available(False, False, [(3, "2026-03-02")])[1]["name"] == "correction-3.pdf"


def test_content_hash_is_canonical():
    assert content_hash({"a": 1, "b": "中"}) == content_hash({"b": "中", "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert verify_url("http://x/", "DZZZ-1") == "http://x/verify/DZZZ-1"


def test_the_price_table_is_complete_numeric_and_in_range():
    table = check_prices(
        {g: {r: str(p) for r, p in row.items()} for g, row in DEFAULT_PRICES.items()}
    )
    assert table == DEFAULT_PRICES
    assert set(table) == {"A", "B", "C", "D"} and all(
        set(r) == set(RESOURCES) for r in table.values()
    )
    broken = {g: dict(row) for g, row in DEFAULT_PRICES.items()}
    del broken["D"]
    with pytest.raises(PolicyError, match=r"prices\.D"):
        check_prices(broken)
    for value in ("", "1e9", "-0.01", "inf", "x"):
        bad = {g: dict(row) for g, row in DEFAULT_PRICES.items()}
        bad["A"]["water"] = value
        with pytest.raises(PolicyError, match=r"prices\.A\.water"):
            check_prices(bad)
    with pytest.raises(PolicyError):
        check_prices([])  # type: ignore[arg-type]
