"""效能统计 in a real browser (Chromium via Playwright): the administration opens the statistics,
chooses a month, sees the tables and the charts (the vendored Chart.js, no CDN), records the
follow-up of a bad rating, and every link the page shows answers (pages open, exports
download); a reviewer's page shows its own department only.  Each page is checked with axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, expect  # noqa: E402

from storage.engine import make_engine, make_session_factory  # noqa: E402
from tests.e2e.test_browser import CHROMIUM, browser, check_page, login  # noqa: E402, F401
from tests.integration.statistics_support import make_world, run_project  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_statistics_page_filters_charts_and_links(live, browser: Browser):  # noqa: F811
    engine = make_engine(live.db_url)
    with make_session_factory(engine)() as session:
        run_project(session, make_world(session))
    engine.dispose()
    base = live.url
    page = browser.new_page()
    external: list[str] = []
    page.on(
        "request",
        lambda r: (
            external.append(r.url)
            if not r.url.startswith(base) and not r.url.startswith("data:")
            else None
        ),
    )
    login(page, base, "admin")
    page.get_by_role("link", name="效能统计").click()
    expect(page).to_have_url(re.compile(r"/stats$"))
    page.get_by_label("月份").select_option("2026-03")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"month=2026-03"))
    expect(page.locator("body[data-charts=ready]")).to_have_count(1)
    assert page.locator("#chart-departments").evaluate("c => !!c.chart && c.width > 0")
    depts = page.get_by_test_id("stats-departments")
    expect(depts).to_contain_text("住建")
    expect(page.get_by_test_id("stats-overall")).to_contain_text("5")
    expect(page.get_by_test_id("stats-targets")).to_contain_text("≤ 100 天")
    check_page(page, "stats-admin")
    assert not external, f"requests outside the app: {external}"

    # the bad rating's follow-up, recorded from the page
    page.get_by_label("回访情况").fill("已电话回访，说明延误原因")
    page.get_by_role("button", name="记录回访").click()
    expect(page.locator(".flash.ok")).to_contain_text("已记录差评回访")
    expect(page.get_by_test_id("stats-comments")).to_contain_text("已回访")
    expect(page).to_have_url(re.compile(r"month=2026-03"))

    # every link the page shows answers
    here = page.url
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
    assert any(h.startswith("/stats/export.xlsx?") for h in hrefs)
    for href in dict.fromkeys(hrefs):
        page.goto(here)
        link = page.locator(f"a[href='{href}']").first
        if re.search(r"\.(csv|xlsx|pdf)\?", href):
            with page.expect_download() as dl:
                link.click()
            data = Path(dl.value.path()).read_bytes()
            magic = {"csv": b"\xef\xbb\xbf", "xlsx": b"PK\x03\x04", "pdf": b"%PDF"}
            assert data.startswith(magic[href.split("?")[0].rsplit(".", 1)[1]]), href
            continue
        if href.startswith("#"):
            continue
        with page.expect_navigation():
            link.click()
        assert "错误" not in page.title() and "Error" not in page.title(), (href, page.title())

    # a reviewer: its own department, no department selector, no project targets
    login(page, base, "reviewer-zjj")
    page.goto(f"{base}/stats?month=2026-03")
    expect(page.get_by_test_id("stats-departments").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("stats-departments")).to_contain_text("住建")
    expect(page.locator("select[name=department]")).to_have_count(0)
    expect(page.get_by_test_id("stats-targets")).to_have_count(0)
    check_page(page, "stats-reviewer")
    r = page.goto(f"{base}/stats?month=2026-03&department=fgw")
    assert r is not None and r.status == 404
