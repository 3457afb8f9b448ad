"""Which passwords an account may have: long enough, not guessable.

Refused, each with a message naming the field: shorter than :data:`MIN_LENGTH`; one character
repeated (``aaaaaaaa``); a run of neighbouring characters (``12345678``, ``abcdefgh``,
``87654321``); a common password (a short list of the most used ones, in any case, also with
digits appended); the username itself; only one kind of character (all digits, all letters).

Pure: no database.

>>> password_problem("12345678") is not None
True
>>> password_problem("demo-password") is None
True
>>> print(password_problem("aaaaaaaaaa").zh)
密码：不能由同一个字符重复组成
>>> print(password_problem("Passw0rd!").zh)
密码：这是常见密码，容易被猜中，请换一个
"""

from __future__ import annotations

from i18n import Text

MIN_LENGTH = 8

#: The most used passwords (and the stems people append digits to), lower case.
COMMON = frozenset(
    """
    password passw0rd p@ssw0rd p@ssword password1 password123 qwerty qwertyuiop qwerty123
    qwer1234 asdfghjkl asdf1234 zxcvbnm 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc qazwsx
    qazwsxedc iloveyou admin admin123 admin1234 administrator root123 welcome welcome1
    letmein monkey dragon football baseball sunshine princess abc123 abc12345 abcd1234
    a1b2c3d4 aa123456 aa12345678 test1234 test123456 changeme secret woaini woaini1314
    5201314 1314520 a123456 a12345678 123456a 123456abc 123qwe 123qweasd qweasd qweasdzxc
    zaq12wsx 88888888 66666666 11223344 12341234 123123123 147258369 159357 987654321
    onetrip onetrip123
    """.split()  # noqa: SIM905 (a list people can read)
)


def _kinds(password: str) -> int:
    return sum(
        [
            any(c.isdigit() for c in password),
            any(c.isalpha() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


def _is_run(password: str) -> bool:
    """Neighbouring characters all the way, up or down (``12345678``, ``hgfedcba``).

    >>> _is_run("12345678"), _is_run("98765432"), _is_run("abcdefgh"), _is_run("13572468")
    (True, True, True, False)
    """
    steps = {ord(b) - ord(a) for a, b in zip(password.lower(), password.lower()[1:], strict=False)}
    return steps in ({1}, {-1})


def _common(password: str) -> bool:
    """A common password, also with digits or punctuation appended (``Password2024!``).

    >>> _common("Password2024!"), _common("woaini1314"), _common("river-stone-7")
    (True, True, False)
    """
    low = password.lower()
    if low in COMMON:
        return True
    stem = low.rstrip("0123456789!@#$%^&*.?_-")
    return len(stem) >= 4 and stem in COMMON


def password_problem(password: str, username: str = "") -> Text | None:
    """Why ``password`` may not be used (a message naming the field), or ``None``.

    >>> print(password_problem("short1").zh)
    密码：至少 8 个字符
    >>> print(password_problem("87654321").zh)
    密码：不能是连续的数字或字母（如 12345678）
    >>> print(password_problem("zhangwei2026", "zhangwei2026").zh)
    密码：不能与用户名相同
    >>> print(password_problem("onlyletters").zh)
    密码：须同时包含字母和数字（或符号）
    """
    if len(password) < MIN_LENGTH:
        return Text(
            f"密码：至少 {MIN_LENGTH} 个字符", f"password: at least {MIN_LENGTH} characters"
        )
    if len(set(password)) == 1:
        return Text("密码：不能由同一个字符重复组成", "password: not one character repeated")
    if _is_run(password):
        return Text(
            "密码：不能是连续的数字或字母（如 12345678）",
            "password: not a run of neighbouring digits or letters (like 12345678)",
        )
    if _common(password):
        return Text(
            "密码：这是常见密码，容易被猜中，请换一个",
            "password: a common password, easily guessed; choose another",
        )
    if username and password.lower() == username.lower():
        return Text("密码：不能与用户名相同", "password: not the username")
    if _kinds(password) < 2:
        return Text(
            "密码：须同时包含字母和数字（或符号）",
            "password: letters together with digits (or symbols)",
        )
    return None
