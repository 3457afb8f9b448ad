"""Catalogue editing in a real browser (Chromium via Playwright, each page checked with axe): the
administrator changes an item's committed days and a material, a bad value is refused naming the
item and field, the versions page lists the change; a project filed before still shows the old
days and material, one filed after the new ones; an earlier version is made active again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, expect  # noqa: E402

from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    CHROMIUM,
    browser,
    check_page,
    login,
)
from tests.e2e.test_browser_signing_intake import file_project  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


def step_days(page, code: str):
    return (
        page.get_by_role("table", name=re.compile("计划"))
        .locator("tr", has_text=code)
        .first.locator("td.days")
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_administrator_edits_an_item_and_earlier_projects_keep_their_version(
    live,
    browser: Browser,  # noqa: F811
):
    base = live.url
    earlier = file_project(live, "改版前申报的项目")
    page = browser.new_page()
    login(page, base, "admin")
    page.goto(f"{base}/admin/catalog")
    page.get_by_role("link", name="修改 S1-01").click()
    expect(page.get_by_role("heading", name=re.compile("修改事项 S1-01"))).to_be_visible()
    check_page(page, "catalog-item-edit")

    # a bad value: refused naming the item and the field, nothing stored
    page.get_by_label("承诺时限（工作日）").fill("25")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator(".flash.err")).to_contain_text(
        "事项 S1-01「企业投资项目备案（赋码）」的法定时限：法定时限 20 天少于承诺时限 25 天"
    )
    page.goto(f"{base}/admin/catalog/versions")
    expect(page.get_by_role("table", name=re.compile("版本")).locator("tbody tr")).to_have_count(1)

    # days 1 → 4, the material renamed and one added
    page.goto(f"{base}/admin/catalog/items/S1-01")
    page.get_by_label("承诺时限（工作日）").fill("4")
    page.get_by_label("材料名称 1").fill("投资项目备案申请表")
    page.get_by_label("新增材料编号").first.fill("M-site-photo")
    page.get_by_label("新增材料名称").first.fill("项目选址照片")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator(".flash.ok, .flash:not(.err)").first).to_contain_text(
        "已保存为事项清单新版本"
    )
    row = page.get_by_role("table", name="事项清单").locator("tr", has_text="S1-01")
    expect(row.locator("td").nth(3)).to_have_text("4")

    page.goto(f"{base}/admin/catalog/versions")
    versions = page.get_by_role("table", name=re.compile("版本")).locator("tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("修改 S1-01（承诺时限、申请材料）")
    expect(versions.first).to_contain_text("当前启用")
    expect(versions.first).to_contain_text("admin")
    check_page(page, "catalog-versions")

    # the project filed earlier keeps its days and material; a new one gets the new ones
    later = file_project(live, "改版后申报的项目")
    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{earlier['id']}")
    expect(step_days(page, "S1-01")).to_have_text("1")
    expect(page.get_by_text("企业投资项目备案信息表").first).to_be_visible()
    expect(page.get_by_text("投资项目备案申请表")).to_have_count(0)
    page.goto(f"{base}/projects/{later['id']}")
    expect(step_days(page, "S1-01")).to_have_text("4")
    expect(page.get_by_text("项目选址照片").first).to_be_visible()

    # a new item, a duplicate material code refused first
    login(page, base, "admin")
    page.goto(f"{base}/admin/catalog")
    page.get_by_role("link", name="新增事项").click()
    check_page(page, "catalog-item-new")
    page.get_by_label("事项编号", exact=True).fill("S1-90")
    page.get_by_label("名称", exact=True).fill("项目信息补录")
    page.get_by_label("承诺时限（工作日）").fill("2")
    page.get_by_label("前置事项（事项编号，以逗号或顿号分隔）").fill("S1-01")
    for n in range(2):
        page.get_by_label("新增材料编号").nth(n).fill("M-extra")
        page.get_by_label("新增材料名称").nth(n).fill(f"补录表{n}")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator(".flash.err")).to_contain_text(
        "事项 S1-90「项目信息补录」的申请材料：材料编号 M-extra 重复"
    )
    page.get_by_label("事项编号", exact=True).fill("S1-90")
    page.get_by_label("名称", exact=True).fill("项目信息补录")
    page.get_by_label("承诺时限（工作日）").fill("2")
    page.get_by_label("前置事项（事项编号，以逗号或顿号分隔）").fill("S1-01")
    page.get_by_label("新增材料编号").first.fill("M-extra")
    page.get_by_label("新增材料名称").first.fill("补录表")
    page.get_by_role("button", name="保存为新版本").click()
    expect(
        page.get_by_role("table", name="事项清单").locator("tr", has_text="S1-90")
    ).to_contain_text("项目信息补录")

    # the first version made active again
    page.goto(f"{base}/admin/catalog/versions")
    page.get_by_role("button", name="重新启用").last.click()
    expect(page.locator(".flash").first).to_contain_text("已重新启用版本")
    page.goto(f"{base}/admin/catalog")
    row = page.get_by_role("table", name="事项清单").locator("tr", has_text="S1-01")
    expect(row.locator("td").nth(3)).to_have_text("1")
