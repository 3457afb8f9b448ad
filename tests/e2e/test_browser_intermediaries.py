"""Issue 17 §1–2 clicked through in a real browser (Chromium via Playwright), each page checked
with axe: the administrator registers an organisation; the enterprise picks an intermediary in
the 中介超市; the intermediary logs in, sees only its activity, uploads its report and delivers;
another intermediary sees nothing of it; the enterprise marks its design done and rates the
service; the project page shows both clocks and whose each delay is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, expect  # noqa: E402

from approvals.samples import sample_project_doc  # noqa: E402
from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    CHROMIUM,
    PDF,
    browser,
    check_page,
    login,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_enterprise_picks_an_intermediary_who_delivers(live, browser: Browser, tmp_path: Path):  # noqa: F811
    base = live.url
    doc = sample_project_doc()
    r = live.client("enterprise1").post(
        "/api/projects",
        json={
            "name": "中介超市测试项目",
            "attributes": doc["attributes"],
            "regional_assessments": doc["regional_assessments"],
        },
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    page = browser.new_page()

    # the administrator registers an organisation with its services and committed days
    login(page, base, "admin")
    page.get_by_role("link", name="中介机构").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("中介机构")
    page.get_by_label("名称").fill("浙江水保技术服务有限公司")
    page.get_by_label("统一社会信用代码").fill("91330110MA2H100077")
    page.get_by_label(re.compile("I-SOILWATER")).fill("7")
    page.get_by_role("button", name="创建").click()
    expect(page.locator(".flash.ok")).to_contain_text("中介机构已登记")
    expect(page.get_by_role("row", name=re.compile("浙江水保技术服务有限公司"))).to_contain_text(
        "I-SOILWATER"
    )
    check_page(page, "i17-admin-intermediaries")

    # the enterprise opens the 中介超市 from its project page and picks one for I-EIA
    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{pid}")
    block = page.locator("#activities")
    expect(block.get_by_role("heading", level=2)).to_have_text("企业与中介用时（第二个时钟）")
    expect(block.locator("#activity-E-SCHEME")).to_contain_text("企业自身用时")
    # the plan follows both clocks: the design review waits for the enterprise's design, and
    # the predicted finish says whose any delay is (none yet)
    expect(page.get_by_test_id("waits-G-DESIGN")).to_contain_text("等待 E-SCHEME")
    expect(page.get_by_test_id("finish-delays")).to_have_text("无")
    check_page(page, "i17-project-two-clocks")
    block.locator("#activity-I-EIA").get_by_role("link", name="中介超市选择").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("中介超市")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)  # the two organisations registered for I-EIA, not the new one
    expect(rows.first).to_contain_text("15")
    check_page(page, "i17-market")
    page.get_by_label("浙江环科环境咨询有限公司").check()
    page.get_by_role("button", name="选定中介机构").click()
    expect(page.locator(".flash.ok")).to_contain_text("已选定中介机构")
    expect(page.locator("#activity-I-EIA")).to_contain_text("浙江环科环境咨询有限公司")

    # the intermediary logs in: its worklist shows its one activity, nothing else
    login(page, base, "intermediary1")
    expect(page).to_have_url(re.compile(r"/intermediary$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("受托中介服务")
    expect(page.locator("tbody tr")).to_have_count(1)
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("I-EIA")
    expect(row).to_contain_text("中介超市测试项目")
    check_page(page, "i17-intermediary-worklist")
    # it may not open the project itself
    page.goto(f"{base}/projects/{pid}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("不存在|禁止|无权|未找到")
    )
    page.goto(f"{base}/intermediary")
    report = tmp_path / "环评报告.pdf"
    report.write_bytes(PDF)
    page.locator("tbody tr").first.get_by_label(re.compile("报告")).set_input_files(str(report))
    page.get_by_role("button", name="上传").click()
    expect(page.locator(".flash.ok")).to_contain_text("报告已上传")
    page.get_by_role("button", name="确认交付").click()
    expect(page.locator(".flash.ok")).to_contain_text("已交付")
    expect(page.locator("tbody tr").first).to_contain_text("按时交付")

    # the other organisation's user sees nothing of it
    login(page, base, "intermediary2")
    expect(page.locator("tbody tr")).to_have_count(0)

    # the enterprise marks its design done and rates the delivered service
    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{pid}")
    page.locator("#activity-E-SCHEME").get_by_role("button", name="完成").click()
    expect(page.locator(".flash.ok")).to_contain_text("活动完成")
    expect(page.locator("#activity-E-SCHEME")).to_contain_text("已完成")
    eia = page.locator("#activity-I-EIA")
    expect(eia).to_contain_text("已完成")
    expect(eia.get_by_role("link", name="中介报告")).to_be_visible()
    eia.get_by_role("combobox").select_option("5")
    eia.get_by_role("button", name="评价").click()
    expect(page.locator("#activity-I-EIA")).to_contain_text("5 非常满意")
    check_page(page, "i17-project-after")
