"""Print the characters the bundled font keeps: GB 2312, common symbols, and every non-ASCII
character in the repository given as the argument (see README.md)."""

import contextlib
import pathlib
import sys

chars = set()
# GB 2312: every two-byte code (rows 0xA1-0xF7, cells 0xA1-0xFE) that decodes
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        with contextlib.suppress(UnicodeDecodeError):
            chars.add(bytes([hi, lo]).decode("gb2312"))
chars.update(chr(c) for c in range(0x20, 0x7F))  # ASCII
chars.update(chr(c) for c in range(0xA0, 0x180))  # Latin-1 + Latin Extended-A
chars.update(chr(c) for c in range(0x2000, 0x2070))  # general punctuation
chars.update(chr(c) for c in range(0x2100, 0x2200))  # letterlike, number forms, arrows
chars.update(chr(c) for c in range(0x2460, 0x2500))  # enclosed alphanumerics ①
chars.update(chr(c) for c in range(0x25A0, 0x2600))  # geometric shapes ■●
chars.update(chr(c) for c in range(0x2610, 0x2614))  # ballot boxes ☐☑☒
chars.update(chr(c) for c in range(0x3000, 0x3040))  # CJK symbols and punctuation
chars.update(chr(c) for c in range(0xFF00, 0xFFF0))  # full-width forms
repo = pathlib.Path(sys.argv[1])
for p in repo.rglob("*"):
    if (
        p.is_file()
        and p.suffix
        in {
            ".py",
            ".html",
            ".yaml",
            ".yml",
            ".json",
            ".md",
            ".po",
            ".js",
            ".csv",
            ".geojson",
            ".txt",
            ".toml",
        }
        and ".git" not in p.parts
    ):
        with contextlib.suppress(UnicodeDecodeError):
            chars.update(ch for ch in p.read_text("utf-8") if ord(ch) >= 0x80)
sys.stdout.write("".join(sorted(chars)))
