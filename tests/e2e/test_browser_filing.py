"""Issue 15 items 2, 4 and 5 in a real browser (Chromium via Playwright), each page checked
with axe: the 一次告知 preview on plot CD-A04 shows the items the zone waives and reduces, and
filing gives exactly the previewed items; an impossible figure is refused with a message by
its field; loading the 2027 holiday arrangement moves the project's predicted finish, lifts the
provisional banner and records 节假日安排更新 in the change log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect  # noqa: E402

from api.app import create_app  # noqa: E402
from api.seed import seed_demo_accounts  # noqa: E402
from api.settings import Settings  # noqa: E402
from approvals.samples import sample_project_doc  # noqa: E402
from storage.engine import make_engine, make_session_factory  # noqa: E402
from tests.e2e.conftest import LiveServer, free_port, run_server  # noqa: E402
from tests.e2e.test_api_commitments import import_registry  # noqa: E402
from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    CHROMIUM,
    browser,
    check_page,
    fill_questionnaire,
    login,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")

TODAY = date(2026, 11, 2)  # plans filed today reach 2027, whose arrangement is not loaded yet
ARRANGEMENT_2027 = (
    "year: 2027\nsource: 国务院办公厅关于2027年部分节假日安排的通知（测试）\n"
    "holidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"
    "  - {name: 春节, from: 2027-02-05, to: 2027-02-18}\n"
)


@pytest.fixture
def live_late(db_url: str) -> Iterator[LiveServer]:
    """The server with its clock fixed in November 2026, over a database with the registry."""
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        seed_demo_accounts(session)
        session.commit()
    engine.dispose()
    import_registry(db_url)
    port = free_port()
    server, thread = run_server(create_app(Settings(database_url=db_url, today=TODAY)), port)
    yield LiveServer(f"http://127.0.0.1:{port}", db_url)
    server.should_exit = True
    thread.join(timeout=10)


def answer_all(page: Page, name: str, attributes: dict, plot: str) -> None:
    page.get_by_label(re.compile("^名称")).fill(name)
    for _ in range(4):
        fill_questionnaire(page, attributes)
        page.get_by_role("button", name="下一步").click()
        if page.get_by_role("button", name="提交申报").count():
            break
    page.get_by_label(re.compile("标准地地块编码")).fill(plot)
    page.get_by_role("button", name="下一步").click()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_preview_filing_validation_and_calendar_replan(live_late, browser: Browser):  # noqa: F811
    base = live_late.url
    doc = sample_project_doc()
    page = browser.new_page()
    login(page, base, "enterprise1")
    page.goto(f"{base}/enterprise/projects/new")
    # the picker lists listed, unclaimed plots with zone and area; a reserve plot is not among them
    options = page.locator("#plot-choices option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert "CD-A04" in values and "CD-A06" not in values
    expect(page.get_by_role("link", name="在地图上选择地块")).to_be_visible()

    # an impossible figure is refused by its field, in the page
    answer_all(page, "不可能的项目", {**doc["attributes"], "investment": -500}, "CD-A04")
    error = page.locator("#q-investment-err")
    expect(error).to_contain_text("应大于 0")
    expect(page.locator("#q-investment")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".flash.err")).to_contain_text("项目总投资")
    expect(page.get_by_role("button", name="提交申报")).to_have_count(0)
    check_page(page, "fl01-field-error")
    # a plot in reserve is refused by the plot field
    page.locator("#q-investment").fill(str(doc["attributes"]["investment"]))
    page.get_by_label(re.compile("标准地地块编码")).fill("CD-A06")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("#plot-err")).to_contain_text("储备")

    # the preview on CD-A04 lists what the zone waives and reduces, with reasons
    page.get_by_label(re.compile("标准地地块编码")).fill("CD-A04")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name=re.compile("一次告知"))).to_be_visible()
    expect(page.locator("#waived-h")).to_be_visible()
    assert page.locator("ul[aria-labelledby='waived-h'] li").count() > 0
    expect(page.locator("ul[aria-labelledby='waived-h']")).to_contain_text("—")  # the reason
    expect(page.locator("#reduced-h")).to_be_visible()
    previewed = page.locator("#notice-items li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert previewed
    check_page(page, "fl02-preview-cd-a04")
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator(".flash.ok")).to_contain_text("已申报")
    project_url = page.url.split("?")[0]

    # the project page lists exactly the previewed items
    rows = page.locator("section[aria-labelledby='plan-h'] tbody th[scope='row']")
    filed = [t.replace("★", "").split()[0] for t in rows.all_inner_texts()]
    assert filed == previewed
    banner = page.get_by_role("note").filter(has_text="暂定")
    expect(banner).to_be_visible()
    finish_cell = page.locator("dl.facts div").filter(has_text="预计完成").locator("dd")
    before = finish_cell.inner_text()

    # the administrator loads the 2027 arrangement: the forecast follows it
    admin = browser.new_page()
    login(admin, base, "admin")
    admin.goto(f"{base}/admin/calendar")
    admin.get_by_label(re.compile("导入年度节假日安排")).fill(ARRANGEMENT_2027)
    admin.get_by_role("button", name="导入").click()
    expect(admin.locator(".flash.ok")).to_be_visible()

    page.goto(project_url)
    expect(page.get_by_role("note").filter(has_text="暂定")).to_have_count(0)
    after = finish_cell.inner_text()
    assert after != before and after > before
    expect(page.locator("ol.changes")).to_contain_text("节假日安排更新")
    expect(page.locator("ol.changes li").first).to_contain_text("节假日安排更新")
    check_page(page, "fl03-project-after-calendar")
