"""月度效能报告 as a reader gets it: fetched over HTTP, rendered by pdftoppm with no system font
(the pages carry ink), every font the embedded CJK subset, and the figures read back."""

from __future__ import annotations

import shutil

import pytest

from storage.engine import make_engine, make_session_factory
from tests.e2e.test_documents import ink, no_system_fonts, run
from tests.integration.statistics_support import make_world, run_project

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdffonts")),
    reason="poppler-utils (pdftoppm, pdftotext, pdffonts) are not installed",
)


def check_pdf(path):
    """Rendered with no system font visible, every page carries ink (a sparse last page too);
    every font is embedded and is the bundled Noto Sans SC subset; the text comes back."""
    env = no_system_fonts(path.parent)
    run("pdftoppm", "-r", "50", "-gray", str(path), str(path.with_suffix("")), env=env)
    pages = sorted(path.parent.glob(f"{path.stem}-*.pgm"))
    assert pages, "no page rendered"
    for page in pages:
        assert ink(page) > 0.003, f"{page.name}: blank page"
    fonts = run("pdffonts", str(path), env=env).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert all("NotoSansSC" in line for line in fonts), fonts
    return run("pdftotext", "-layout", str(path), "-", env=env)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_monthly_report_renders_with_its_figures(live, tmp_path):
    engine = make_engine(live.db_url)
    with make_session_factory(engine)() as session:
        run_project(session, make_world(session))
    engine.dispose()
    r = live.client("admin").get("/api/statistics/report.pdf", params={"month": "2026-03"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(r.content)
    text = check_pdf(path)
    flat = " ".join(text.split())
    assert "行政服务中心月度效能报告" in flat and "统计期间：2026-03" in flat
    assert "本期共办结审批事项 5 件" in flat and "按期办结率 80.0%" in flat
    assert "规划" in flat and "审批太慢" in flat and "待回访" in flat
    assert "≤100天" in flat  # the 标准地 target row
    # a reviewer's report covers its department only
    mine = live.client("reviewer-zjj").get(
        "/api/statistics/report.pdf", params={"month": "2026-03"}
    )
    path2 = tmp_path / "mine.pdf"
    path2.write_bytes(mine.content)
    flat2 = " ".join(check_pdf(path2).split())
    assert "本期共办结审批事项 2 件" in flat2 and "规划许可" not in flat2
