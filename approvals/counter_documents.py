"""The printed documents of the one window (一窗受理) and the certificates items issue, as PDF
bytes: 受理回执, 一次性告知书, 补正通知书, 不予受理决定书 and the 电子证照.

Each carries its number and a QR code that leads to the public verification page
(``/verify/{number}``), where anyone holding the paper can see that it was issued, whether it is
still valid, and its content hash.  Pure layout: the inputs are plain dicts (the "facts" the
services in :mod:`approvals.services.counter_documents` and :mod:`approvals.services.certificates`
assemble), never database rows.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

from approvals.pdf import FONT, QrFlowable, a4_document, footer, styles, table

#: kind → (title, number prefix); the prefix starts every number of the kind.
KINDS: dict[str, tuple[str, str, str]] = {
    "receipt": ("受理回执", "Acceptance receipt", "SL"),
    "notice": ("一次性告知书", "One-time notice of required materials", "GZ"),
    "correction": ("补正材料通知书", "Notice to correct the application", "BZ"),
    "refusal": ("不予受理决定书", "Decision not to accept the application", "BY"),
}
CERTIFICATE_PREFIX = "DZZZ"


def _parties(d: Mapping[str, Any], s: dict[str, ParagraphStyle]) -> Table:
    ent, project, item = d["enterprise"], d["project"], d["item"]
    return table(
        [
            [
                "申请人",
                Paragraph(f"{ent['name']}（统一社会信用代码 {ent['credit_code']}）", s["cell"]),
            ],
            ["投资项目", Paragraph(f"{project['name']}（项目代码 {project['code']}）", s["cell"])],
            ["申请事项", Paragraph(f"{item['code']} {item['name']}", s["cell"])],
            ["承办部门", Paragraph(d["department"], s["cell"])],
        ],
        [30 * mm, 144 * mm],
        header=False,
    )


def _verification(
    number: str, verify_url: str, content_sha256: str, s: dict[str, Any], label: str = "文书编号"
) -> Table:
    """The QR code to the verification page beside the number, the address and the hash."""
    return Table(
        [
            [
                QrFlowable(verify_url, 30 * mm),
                Paragraph(
                    f"{label}：{number}<br/>扫描二维码或访问 {verify_url} 核验其真实性和状态。"
                    f"<br/>内容摘要（SHA-256）：{content_sha256}",
                    s["small"],
                ),
            ]
        ],
        colWidths=[34 * mm, 140 * mm],
        style=[("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")],
    )


def _seal(d: Mapping[str, Any], s: dict[str, ParagraphStyle]) -> Paragraph:
    right = ParagraphStyle("right", parent=s["base"], alignment=2)
    return Paragraph(f"{d['department']}（盖章）<br/>{d['issued_on']}", right)


def _materials_table(rows: Sequence[Mapping[str, Any]], s: dict[str, Any], third: str) -> Table:
    data: list[list[Any]] = [["序号", "材料", third]]
    for i, m in enumerate(rows, 1):
        data.append(
            [
                str(i),
                Paragraph(m["name"], s["cell"]),
                Paragraph(m.get("note") or "—", s["cell"]),
            ]
        )
    if len(data) == 1:
        data.append(["—", "无", ""])
    return table(data, [14 * mm, 96 * mm, 64 * mm])


def _body(d: Mapping[str, Any], s: dict[str, ParagraphStyle]) -> list[Any]:
    kind, ent, item = d["kind"], d["enterprise"], d["item"]
    addressee = Paragraph(f"{ent['name']}：", s["base"])
    if kind == "receipt":
        return [
            addressee,
            Paragraph(
                f"你单位提交的《{item['name']}》申请，经审查，申请材料齐全、符合法定形式，"
                f"本机关已于 {d['accepted_on']} 予以受理。本事项承诺办理时限为 {d['days']} 个工作日"
                + (f"，预计于 {d['due_on']} 前办结" if d.get("due_on") else "")
                + "（补正、特别程序期间不计入时限）。",
                s["base"],
            ),
            Paragraph("已收取的材料", s["h2"]),
            _materials_table(d["materials"], s, "收取方式"),
        ]
    if kind == "notice":
        story: list[Any] = [
            addressee,
            Paragraph(
                f"办理《{item['name']}》须提交下列材料，现一次性告知。由前序事项核发的证照由系统"
                "自动共享，无需提交；标注可容缺的材料可先行受理、限期补齐。"
                f"本事项承诺办理时限为 {d['days']} 个工作日。",
                s["base"],
            ),
            Paragraph("所需材料", s["h2"]),
            _materials_table(d["materials"], s, "说明"),
        ]
        if d.get("legal_basis"):
            story += [Spacer(1, 2 * mm), Paragraph(f"设定依据：{d['legal_basis']}", s["small"])]
        return story
    if kind == "correction":
        stage = (
            "受理前一次性告知补正（受理时限暂停）"
            if d["stage"] == "intake"
            else "审查中补正（审批时限暂停）"
        )
        return [
            addressee,
            Paragraph(
                f"你单位申请的《{item['name']}》，经审查，申请材料不齐全或者不符合法定形式。"
                + ("根据《中华人民共和国行政许可法》第三十二条，" if d["stage"] == "intake" else "")
                + f"请于收到本通知后补正下列材料。本通知于 {d['requested_on']} 作出，"
                f"属{stage}；补正期间不计入办理时限。",
                s["base"],
            ),
            Paragraph(f"补正理由：{d['reasons'] or '（未填写）'}", s["base"]),
            Paragraph("需补正的材料", s["h2"]),
            _materials_table(d["materials"], s, "说明"),
        ]
    if kind == "refusal":
        return [
            addressee,
            Paragraph(
                f"你单位提交的《{item['name']}》申请，经审查，本机关于 {d['decided_on']} "
                "决定不予受理。",
                s["base"],
            ),
            Paragraph(f"理由：{d['reasons'] or '（未填写）'}", s["base"]),
            Spacer(1, 2 * mm),
            Paragraph(
                "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
                "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。",
                s["base"],
            ),
        ]
    raise ValueError(f"unknown document kind {kind!r}")


def counter_document(d: Mapping[str, Any]) -> bytes:
    """A counter document as PDF bytes.

    Parameters
    ----------
    d
        ``{"kind", "number", "issued_on", "enterprise": {"name", "credit_code"}, "project":
        {"code", "name"}, "item": {"code", "name"}, "department", "verify_url",
        "content_sha256"}`` plus the kind's facts: ``receipt``: ``accepted_on, days, due_on,
        materials``; ``notice``: ``days, legal_basis, materials``; ``correction``: ``stage,
        requested_on, reasons, materials``; ``refusal``: ``decided_on, reasons``.  Each material
        is ``{"code", "name", "note"}``.
    """
    s = styles()
    title = KINDS[d["kind"]][0]
    buf = io.BytesIO()
    pdf = a4_document(buf, f"{title} {d['number']}")
    story: list[Any] = [
        Paragraph(d["department"], ParagraphStyle("dept", parent=s["title"], fontSize=14)),
        Paragraph(title, s["title"]),
        Paragraph(f"编号：{d['number']}　　日期：{d['issued_on']}", s["small"]),
        Spacer(1, 4 * mm),
        _parties(d, s),
        Spacer(1, 4 * mm),
        *_body(d, s),
        Spacer(1, 8 * mm),
        KeepTogether(
            [
                _seal(d, s),
                Spacer(1, 4 * mm),
                _verification(d["number"], d["verify_url"], d["content_sha256"], s),
            ]
        ),
    ]
    foot = footer(f"onetrip · {title} · {d['number']}")
    pdf.build(story, onFirstPage=foot, onLaterPages=foot)
    return buf.getvalue()


def certificate(c: Mapping[str, Any]) -> bytes:
    """An electronic certificate (电子证照) as PDF bytes.

    Parameters
    ----------
    c
        ``{"number", "name", "code", "item": {"code", "name"}, "project": {"code", "name"},
        "enterprise": {"name", "credit_code"}, "issued_on", "department", "status",
        "revoked_on", "content_sha256", "verify_url"}``.
    """
    s = styles()
    buf = io.BytesIO()
    pdf = a4_document(buf, f"{c['name']} {c['number']}")
    big = ParagraphStyle("big", parent=s["title"], fontSize=24, leading=34)
    story: list[Any] = [
        Spacer(1, 10 * mm),
        Paragraph("中华人民共和国", s["title"]),
        Paragraph(c["name"], big),
        Paragraph(f"证照编号：{c['number']}", ParagraphStyle("n", parent=s["base"], alignment=1)),
        Spacer(1, 8 * mm),
        table(
            [
                ["持证单位", Paragraph(c["enterprise"]["name"], s["cell"])],
                ["统一社会信用代码", c["enterprise"]["credit_code"]],
                [
                    "建设项目",
                    Paragraph(
                        f"{c['project']['name']}（项目代码 {c['project']['code']}）", s["cell"]
                    ),
                ],
                ["核发事项", Paragraph(f"{c['item']['code']} {c['item']['name']}", s["cell"])],
                ["发证机关", Paragraph(c["department"], s["cell"])],
                ["发证日期", c["issued_on"]],
            ],
            [40 * mm, 134 * mm],
            header=False,
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            "本证照为电子证照，与纸质证照具有同等法律效力。后续事项办理时由系统自动共享，"
            "申请人无需重复提交。",
            s["base"],
        ),
    ]
    if c.get("status") == "revoked":
        story.append(
            Paragraph(
                f"本证照已于 {c.get('revoked_on') or ''} 注销。",
                ParagraphStyle("revoked", parent=s["h2"], textColor=colors.red),
            )
        )
    story += [
        Spacer(1, 10 * mm),
        KeepTogether(
            [
                _seal(c, s),
                Spacer(1, 4 * mm),
                _verification(c["number"], c["verify_url"], c["content_sha256"], s, "证照编号"),
            ]
        ),
    ]
    foot = footer(f"onetrip · 电子证照 · {c['number']}")
    pdf.build(story, onFirstPage=foot, onLaterPages=foot)
    return buf.getvalue()
