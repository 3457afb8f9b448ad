"""统一社会信用代码 (unified social credit code, GB 32100-2015): its form and its check character.

Eighteen characters from the 31-character set ``0-9 A-H J-N P-R T U W X Y`` (no I, O, S, V, Z):
登记管理部门代码 (1), 机构类别代码 (1), 登记管理机关行政区划码 (6), 主体标识码 (9, the
organisation code of GB 11714), 校验码 (1).  The check character makes the weighted sum of all
eighteen a multiple of 31: with ``Wi = 3^(i-1) mod 31`` for the first seventeen,
``C18 = 31 - (Σ Ci·Wi mod 31)``, where 31 counts as 0.

Pure: no database, no web.

>>> check_character("91350100M000100Y4")
'3'
>>> is_valid("91350100M000100Y43")
True
>>> is_valid("91350100M000100Y44")
False
>>> credit_code_problem("9135 0100 M000 100Y 43") is None
True
>>> credit_code_problem("91350100M000100Y44").zh
'统一社会信用代码校验位错误：末位应为 3'
"""

from __future__ import annotations

from i18n import Text

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
#: Wi = 3^(i-1) mod 31, i = 1 … 17.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def normalize(code: str) -> str:
    """Upper case, without the spaces and hyphens people type between groups.

    >>> normalize(" 91350100-m000100y43 ")
    '91350100M000100Y43'
    """
    return "".join(code.split()).replace("-", "").upper()


def check_character(first17: str) -> str:
    """The check character (18th) of a code's first seventeen characters.

    >>> check_character("91330100716105852")
    'F'
    >>> check_character("12345")
    Traceback (most recent call last):
    ...
    ValueError: 17 characters of 0-9 A-H J-N P-R T U W X Y expected
    """
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("17 characters of 0-9 A-H J-N P-R T U W X Y expected")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> Text | None:
    """What is wrong with ``code`` (after :func:`normalize`), or ``None`` when it is a valid
    统一社会信用代码.

    >>> credit_code_problem("91350100M000100").en
    'a unified social credit code has 18 characters (this one has 15)'
    >>> credit_code_problem("91350100M000100YO3").zh
    '统一社会信用代码含有不允许的字符：O'
    """
    code = normalize(code)
    if len(code) != 18:
        return Text(
            f"统一社会信用代码应为 18 位（现为 {len(code)} 位）",
            f"a unified social credit code has 18 characters (this one has {len(code)})",
        )
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return Text(
            f"统一社会信用代码含有不允许的字符：{''.join(bad)}",
            f"a unified social credit code may not contain {''.join(bad)}",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return Text(
            f"统一社会信用代码校验位错误：末位应为 {expected}",
            f"the check character of this unified social credit code should be {expected}",
        )
    return None


def is_valid(code: str) -> bool:
    """Whether ``code`` is a well-formed 统一社会信用代码 whose check character is right."""
    return credit_code_problem(code) is None
