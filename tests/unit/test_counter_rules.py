"""The counter's pure rules (issue 15): the 统一社会信用代码 check character (GB 32100-2015),
password strength, and the shared list parameters (page, size, sort, q)."""

from __future__ import annotations

import doctest

import pytest

import storage.paging
from access.credit_code import CHARSET, WEIGHTS, check_character, credit_code_problem, is_valid
from access.password_rules import password_problem
from storage.paging import Paging, PagingError, corrected, page_count, parse_paging, search_clause

# Codes of real, registered companies (published on their business licences).
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91350100M000100Y43",  # the standard's worked example
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert is_valid(code)
    assert check_character(code[:17]) == code[17]
    assert is_valid(code.lower()) and is_valid(f" {code[:8]} {code[8:]} ")  # as people type it


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_other_check_character_is_refused(code):
    wrong = [c for c in CHARSET if c != code[17]]
    assert len(wrong) == 30
    for c in wrong:
        problem = credit_code_problem(code[:17] + c)
        assert problem is not None and f"末位应为 {code[17]}" in problem.zh


def test_one_changed_character_is_caught():
    code = REAL_CODES[0]
    changed = code[:5] + ("1" if code[5] != "1" else "2") + code[6:]
    assert not is_valid(changed)


def test_the_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("", "18 位"),
        ("91350100M000100Y4", "18 位"),
        ("91350100M000100Y433", "18 位"),
        ("91350100M000100YI3", "不允许的字符：I"),
        ("91350100M0001O0Y43", "不允许的字符：O"),
        ("91350100S000100Y43", "不允许的字符：S"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code, words):
    problem = credit_code_problem(code)
    assert problem is not None and words in problem.zh and problem.en


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "连续"),
        ("87654321", "连续"),
        ("abcdefgh", "连续"),
        ("1234567", "至少 8"),
        ("", "至少 8"),
        ("aaaaaaaa", "同一个字符"),
        ("00000000000", "同一个字符"),
        ("password", "常见密码"),
        ("Password123", "常见密码"),
        ("qwerty123", "常见密码"),
        ("woaini1314", "常见密码"),
        ("admin123!", "常见密码"),
        ("onlyletterswords", "字母和数字"),
        ("20262027", "字母和数字"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, why):
    problem = password_problem(password)
    assert problem is not None
    assert problem.zh.startswith("密码：") and why in problem.zh
    assert problem.en.startswith("password: ")


@pytest.mark.parametrize(
    "password", ["demo-password", "long-enough", "Qiantang-River-7", "x9$kLm2p"]
)
def test_reasonable_passwords_pass(password):
    assert password_problem(password) is None


def test_the_username_is_no_password():
    assert "用户名" in password_problem("zhang-2026", "Zhang-2026").zh


def test_paging_defaults_and_values():
    p = parse_paging({}, ("code", "name"))
    assert (p.page, p.size, p.sort, p.descending, p.q, p.offset) == (1, 20, "code", False, "", 0)
    p = parse_paging(
        {"page": " 3 ", "size": "50", "sort": "-name", "q": " 杭州 "}, ("code", "name")
    )
    assert (p.page, p.size, p.sort, p.descending, p.q, p.offset) == (
        3,
        50,
        "name",
        True,
        "杭州",
        100,
    )
    assert p.sort_param == "-name"
    assert parse_paging({"page": ""}, ("code",), default_sort="-code").sort_param == "-code"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "9" * 12}, "page"),
        ({"size": "0"}, "size"),
        ({"size": "201"}, "size"),
        ({"size": "many"}, "size"),
        ({"sort": "password_hash"}, "sort"),
        ({"sort": "--code"}, "sort"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_paging_is_a_malformed_request_naming_the_field(params, field):
    with pytest.raises(PagingError) as e:
        parse_paging(params, ("code", "name"))
    assert e.value.text("zh").startswith(f"{field}：")
    assert e.value.text("en").startswith(f"{field}: ")


def test_a_page_past_the_end_is_corrected_not_refused():
    assert corrected(Paging(page=9, size=10), 25).page == 3
    assert corrected(Paging(page=9, size=10), 0).page == 1
    assert corrected(Paging(page=2, size=10), 25).page == 2
    assert [page_count(n, 10) for n in (0, 1, 10, 11)] == [1, 1, 1, 2]


def test_search_escapes_like_wildcards():
    from sqlalchemy import column

    clause = search_clause("50%_off", column("name"))
    compiled = clause.compile(compile_kwargs={"literal_binds": True})
    assert "50\\%\\_off" in str(compiled)
    assert search_clause("", column("name")) is None


def test_paging_doctests():
    assert doctest.testmod(storage.paging, raise_on_error=False).failed == 0
