"""What every printed document shares (reportlab): the embedded CJK font, the A4 page, styles,
tables, the footer and the QR code.

Chinese throughout, in an embedded TrueType font: the Noto Sans SC subset shipped in
:mod:`i18n.fonts`, or the file a deployment configures (``ONETRIP_CJK_FONT``, handed in once by
the composition root through :func:`use_font_file`).  reportlab embeds a subset of the font, so
the PDFs show Chinese on a machine without any Chinese font installed.  A non-embedded CID font
is never used; a configured font that cannot be loaded is an error naming the file, not a silent
fallback.  Used by the counter's documents and certificates (:mod:`approvals.counter_documents`)
and by the commitment letter and reports (:mod:`commitments.documents`).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, SimpleDocTemplate, Table, TableStyle

from approvals.errors import ApprovalsError
from i18n import Invalid
from i18n.fonts import BUNDLED_CJK_FONT

FONT = "OnetripCJK"
FONT_ENV = "ONETRIP_CJK_FONT"
_FONT_LOCK = threading.Lock()

#: A deployment's own font file (``use_font_file``), instead of the bundled subset.
_font_file: str | None = None


class FontError(ApprovalsError, Invalid):
    """The configured (or bundled) TrueType font cannot be loaded for PDFs."""


def use_font_file(path: str | None) -> None:
    """Render PDFs with the TrueType font at ``path`` (set once by the composition root from the
    settings' ``ONETRIP_CJK_FONT``); ``None``: the bundled Noto Sans SC subset."""
    global _font_file
    _font_file = path


def register_font() -> str:
    """Register the embedded CJK font once per process and return its name.

    Raises
    ------
    FontError
        When the configured font (or, if the package was damaged, the bundled one) cannot be
        loaded; the message names the file and why.
    """
    with _FONT_LOCK:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return FONT
        configured = _font_file
        path = Path(configured) if configured else BUNDLED_CJK_FONT
        if not path.is_file():
            problem = "文件不存在", "no such file"
        else:
            try:
                pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
                return FONT
            except Exception as e:  # reportlab raises TTFError and others for unusable outlines
                problem = str(e), str(e)
        source = f"{FONT_ENV}={path}" if configured else str(path)
        raise FontError(
            f"无法加载可嵌入的中文 TrueType 字体 {source}：{problem[0]}",
            f"cannot load the embeddable Chinese TrueType font {source}: {problem[1]}",
        )


def styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
    }


def table(rows: list[list[Any]], widths: Sequence[float], header: bool = True) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")))
    t.setStyle(TableStyle(style))
    return t


class QrFlowable(Flowable):
    """A QR code (error correction M) drawn as runs of dark modules straight onto the canvas.

    reportlab's encoder (the one behind ``reportlab.graphics.barcode.qr``) makes the module
    matrix; the mask pattern is fixed (any of the eight is a valid QR code; the search for the
    "best" one took most of a letter's rendering time).
    """

    def __init__(self, data: str, size: float = 32 * mm) -> None:
        super().__init__()
        qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        qr.addData(data)
        qr.version = qr.calculate_version()
        qr.makeImpl(False, 0)
        n = qr.getModuleCount()
        self.modules = [[bool(qr.isDark(r, c)) for c in range(n)] for r in range(n)]
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        n = len(self.modules)
        quiet = 4
        cell = self.size / (n + 2 * quiet)
        canvas = self.canv
        canvas.setFillColor(colors.black)
        for r, row in enumerate(self.modules):
            y = self.size - (quiet + r + 1) * cell
            c = 0
            while c < n:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < n and row[c]:
                    c += 1
                canvas.rect((quiet + start) * cell, y, (c - start) * cell, cell, stroke=0, fill=1)


def footer(text: str) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 10 * mm, text)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    return draw


def a4_document(buf: io.BytesIO, title: str) -> SimpleDocTemplate:
    """The A4 page template shared by every document."""
    return SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="onetrip",
        invariant=1,
        initialFontName=FONT,  # no Helvetica resource: every font of the PDF is embedded
    )
