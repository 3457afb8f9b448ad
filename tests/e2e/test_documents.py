"""The commitment letter and the compliance report as a reader gets them: rendered to PNG by
pdftoppm, their text read back by pdftotext, every font embedded (pdffonts)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from approvals.service import work_calendar
from commitments.orm import CheckpointRow, LedgerEntryRow
from commitments.services import documents as documents_service
from commitments.services import inspections as inspections_service
from commitments.services import queries as queries_service
from tests.integration.commitments_world import build_world, publish

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdffonts")),
    reason="poppler-utils (pdftoppm, pdftotext, pdffonts) are not installed",
)


def no_system_fonts(tmp: Path) -> dict[str, str]:
    """An environment in which fontconfig sees no font at all (an empty font directory), so
    poppler can only draw what the PDF itself embeds."""
    empty = tmp / "no-fonts"
    empty.mkdir(exist_ok=True)
    conf = tmp / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{empty}</dir>'
        f"<cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>"
    )
    env = {k: v for k, v in os.environ.items() if k != "ONETRIP_CJK_FONT"}
    return {**env, "FONTCONFIG_FILE": str(conf), "HOME": str(tmp)}


def run(*cmd: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=60, env=env
    ).stdout


def check_pdf(path: Path) -> str:
    """Rendered with no system font visible, the pages carry ink; every font is embedded and is
    the bundled Noto Sans SC subset (unless ONETRIP_CJK_FONT overrides it); the text comes back."""
    env = no_system_fonts(path.parent)
    run("pdftoppm", "-r", "50", "-gray", str(path), str(path.with_suffix("")), env=env)
    pages = sorted(path.parent.glob(f"{path.stem}-*.pgm"))
    assert pages, "no page rendered"
    for page in pages:
        assert ink(page) > 0.01, f"{page.name}: blank page (a font drawn from nothing?)"
    fonts = run("pdffonts", str(path), env=env).splitlines()[2:]
    assert fonts, "no font at all"
    for line in fonts:
        name, emb = line.split()[0], line.split()[-5]  # name type encoding emb sub uni object ID
        assert emb == "yes", f"font not embedded: {line}"
        if not os.environ.get("ONETRIP_CJK_FONT"):
            assert "NotoSansSC" in name, f"not the bundled font: {line}"
    return run("pdftotext", "-layout", str(path), "-", env=env)


def ink(pgm: Path) -> float:
    """Share of dark pixels of a binary PGM (P5, 8 bit) page."""
    data = pgm.read_bytes()
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and int(maxval) == 255
    body = pixels[: int(width) * int(height)]
    return sum(1 for b in body if b < 128) / len(body)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_letter_and_compliance_report(session, tmp_path: Path):
    w = build_world(session)
    c = publish(session, w)
    calendar = work_calendar(session)
    doc = queries_service.document_of(c)
    mu, m2 = doc["plot"]["area_mu"], doc["plot"]["area_m2"]
    acceptance, production = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).all()
    evidence = [{"name": "报告.pdf", "sha256": "ef" * 32}]
    inspections_service.record_inspection(
        session,
        w.regulator,
        acceptance.id,
        {
            "fixed_asset_investment": 300 * mu,
            "floor_area": 2 * m2,
            "building_footprint": 0.5 * m2,
            "green_area": 0.1 * m2,
            "building_height": 30,
        },
        evidence,
        acceptance.due_on,
        calendar,
    )
    inspections_service.record_inspection(
        session,
        w.regulator,
        production.id,
        {
            "tax": 40 * mu,
            "value_added": 150 * mu,
            "energy_tce": 50 * mu,
            "emissions_t": 0.4 * mu,
            "rd_spending": 400,
            "revenue": 10000,
            "employees": 300,
        },
        evidence,
        production.due_on,
        calendar,
    )
    session.commit()

    letter = tmp_path / "letter.pdf"
    letter.write_bytes(documents_service.letter_pdf(session, c))
    text = check_pdf(letter)
    flat = re.sub(r"\s+", "", text)
    assert "标准地投资建设承诺书" in flat and c.number in flat
    assert "杭州智造装备有限公司" in flat and "CD-A03" in flat
    for name in (
        "固定资产投资强度",
        "容积率",
        "亩均税收",
        "对标验收",
        "达产复核",
        "限期整改",
        "收回土地使用权",
    ):
        assert name in flat, name
    assert "S1-05" in flat  # the approvals the commitment replaced
    fp = c.enterprise_key
    assert " ".join(fp[i : i + 4] for i in range(0, 32, 4)) in text  # the fingerprint, grouped
    entry_hash = session.get(LedgerEntryRow, c.ledger_seq).leaf_hash
    assert f"#{c.ledger_seq}" in flat and entry_hash[:40] in flat

    report = tmp_path / "report.pdf"
    report.write_bytes(documents_service.compliance_pdf(session, "CD-A", production.due_on))
    text = check_pdf(report)
    flat = re.sub(r"\s+", "", text)
    assert "承诺履约情况报告" in flat and c.number in flat
    assert "各指标达标率" in flat and "亩均论英雄" in flat
    assert "未达标" in flat and "达标" in flat
    assert re.search(r"[ABCD](优先发展|支持发展|提升发展|限制发展)", flat)
