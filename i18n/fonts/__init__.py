"""The Chinese font shipped with onetrip (思源黑体 / Noto Sans SC, SIL Open Font License 1.1).

PDFs must show Chinese on a bare machine where only ``pip install`` ran, so the package carries
its own TrueType font instead of relying on a Debian font package: Noto Sans SC Regular (the
Google Fonts build, TrueType ``glyf`` outlines, which reportlab can embed), subset to GB 2312
plus every character the project's own text uses.  ``OFL.txt`` beside it is its licence; how the
subset is made is in ``README.md``.  Pure: only paths, no reportlab.
"""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
BUNDLED_CJK_FONT = FONT_DIR / "NotoSansSC-Regular-GB2312.ttf"
FONT_LICENSE = FONT_DIR / "OFL.txt"
