"""Issue 15's counter in a real browser (Chromium via Playwright), each page checked with axe: an
enterprise registers itself (统一社会信用代码 checked by its check character); the administrator
disables a user, who is signed out and cannot log in again; a reviewer finds a decided task under
已办; an enterprise sees an unread notification after a 补正 request and reads it; every link of
the pages these lists live on leads somewhere that answers."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    CHROMIUM,
    browser,
    check_page,
    login,
)
from tests.e2e.test_browser_signing_intake import file_project  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")

#: Links not to follow: leaving the site's pages (downloads, feeds) or signing out.
_SKIP = re.compile(r"^(#|mailto:|javascript:)|\.(pdf|ics|png|svg|json)(\?|$)|/content(\?|$)")


def click_every_link(page: Page, url: str) -> int:
    """Open ``url``, then click each of its links in turn (coming back each time): every one
    must lead to a page that answers below 400.  Returns how many were clicked."""
    page.goto(url)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    clicked = 0
    for i, href in enumerate(hrefs):
        target = urljoin(url, href)
        if _SKIP.search(href) or urlparse(target).netloc != urlparse(url).netloc:
            continue
        page.goto(url)
        link = page.locator("a[href]").nth(i)
        if not link.is_visible():
            continue
        with page.expect_navigation() as nav:
            link.click()
        response = nav.value
        assert response is not None and response.status < 400, (url, href, response.status)
        clicked += 1
    return clicked


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_enterprise_registers_itself(live, browser: Browser):  # noqa: F811
    base = live.url
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.get_by_role("link", name="企业注册").click()
    expect(page.get_by_role("heading", name="项目单位自助注册")).to_be_visible()
    check_page(page, "c1-register")
    fields = {
        "企业名称": "杭州钱塘示范制造有限公司",
        "统一社会信用代码": "91330100716105852G",  # wrong check character
        "联系人": "钱经理",
        "联系电话": "0571-87000000",
        "用户名": "qiantang-mfg",
        "密码": "Qiantang-2026",
        "确认密码": "Qiantang-2026",
    }
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="企业注册").click()
    expect(page.locator(".flash.err")).to_contain_text("校验位错误：末位应为 F")
    fields["统一社会信用代码"] = "91330100716105852F"
    fields["密码"] = fields["确认密码"] = "12345678"
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="企业注册").click()
    expect(page.locator(".flash.err")).to_contain_text("连续的数字或字母")
    fields["密码"] = fields["确认密码"] = "Qiantang-2026"
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="企业注册").click()
    expect(page.locator(".flash.ok")).to_contain_text("注册成功")
    page.get_by_label("用户名").fill("qiantang-mfg")
    page.get_by_label("密码").fill("Qiantang-2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的项目")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("钱经理")
    enterprises = live.client("admin").get("/api/enterprises").json()["items"]
    assert any(e["credit_code"] == "91330100716105852F" for e in enterprises)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_administrator_disables_a_user_who_then_cannot_log_in(live, browser: Browser):  # noqa: F811
    base = live.url
    regulator = browser.new_context().new_page()
    login(regulator, base, "regulator1")
    expect(regulator.get_by_role("heading", name="项目")).to_be_visible()

    admin = browser.new_context().new_page()
    login(admin, base, "admin")
    admin.goto(f"{base}/admin/users")
    admin.get_by_label("检索").fill("regulator1")
    admin.get_by_role("button", name="查询").click()
    expect(admin.locator("nav.pager")).to_contain_text("共 1 条")
    check_page(admin, "c2-admin-users")
    admin.get_by_role("link", name=re.compile("编辑 regulator1")).click()
    check_page(admin, "c3-admin-user")
    admin.get_by_role("button", name="停用").click()
    expect(admin.locator(".flash.ok")).to_contain_text("账户已停用")
    expect(admin.locator("dl")).to_contain_text("已停用")

    regulator.reload()  # signed out at once: the old session is refused
    expect(regulator).to_have_url(re.compile(r"/login"))
    login(regulator, base, "regulator1")
    expect(regulator.locator(".flash.err")).to_contain_text("用户名或密码错误")

    admin.get_by_role("button", name="启用").click()
    expect(admin.locator(".flash.ok")).to_contain_text("账户已启用")
    login(regulator, base, "regulator1")
    expect(regulator.get_by_role("heading", name="项目")).to_be_visible()

    # the administrator still registers enterprises, with the same check of the code
    admin.goto(f"{base}/admin/users")
    form = admin.locator("form[action='/admin/enterprises']")
    form.get_by_label("企业名称").fill("窗口登记企业")
    form.get_by_label("统一社会信用代码").fill("914403001922038217")
    form.get_by_role("button", name="登记企业").click()
    expect(admin.locator(".flash.err")).to_contain_text("末位应为 6")
    form.get_by_label("企业名称").fill("窗口登记企业")
    form.get_by_label("统一社会信用代码").fill("914403001922038216")
    form.get_by_role("button", name="登记企业").click()
    expect(admin.locator(".flash.ok")).to_contain_text("企业已登记")
    expect(admin.locator("#ne")).to_contain_text("窗口登记企业")  # offered for its accounts


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_reviewer_done_list_and_the_enterprises_notification(live, browser: Browser):  # noqa: F811
    base = live.url
    asked = file_project(live, "补正通知项目")
    refused = file_project(live, "已办列表项目")

    reviewer = browser.new_page()
    login(reviewer, base, "reviewer-fgw")
    # the task ready at filing is a notification for the department
    expect(reviewer.get_by_role("link", name=re.compile("^消息"))).to_contain_text("2")
    reviewer.get_by_label("检索").fill("补正通知项目")
    reviewer.get_by_role("button", name="查询").click()
    expect(reviewer.locator("nav.pager")).to_contain_text("共 1 条")
    reviewer.get_by_role("row", name=re.compile("补正通知项目")).get_by_role("link").click()
    reviewer.locator("form[action$='/intake-corrections']").get_by_role("button").click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已一次性告知补正")

    reviewer.goto(f"{base}/reviewer")
    reviewer.get_by_role("row", name=re.compile("已办列表项目")).get_by_role("link").click()
    reviewer.locator("details.refuse > summary").click()
    reviewer.get_by_label(re.compile("不予受理 · 理由")).fill("不属于本机关职权范围")
    reviewer.get_by_role("button", name="不予受理", exact=True).click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已作出不予受理决定")
    reviewer.get_by_role("link", name="已办", exact=True).first.click()
    done = reviewer.get_by_role("table", name=re.compile("本部门已办"))
    expect(done.get_by_role("row", name=re.compile("已办列表项目"))).to_contain_text("不予受理")
    expect(done).not_to_contain_text("补正通知项目")  # still open: in 待办
    check_page(reviewer, "c4-reviewer-done")

    ent = browser.new_page()
    login(ent, base, "enterprise1")
    bell = ent.get_by_role("link", name=re.compile("^消息"))
    expect(bell.locator(".badge")).to_have_text("2")  # the 补正 and the refusal
    bell.click()
    table = ent.get_by_role("table", name="我的消息")
    row = table.get_by_role("row", name=re.compile("一次性告知补正"))
    expect(row).to_contain_text("补正通知项目")
    expect(row).to_contain_text("未读")
    check_page(ent, "c5-notifications")
    row.get_by_role("button", name=re.compile("标为已读")).click()
    expect(ent.locator(".flash.ok")).to_contain_text("已标为已读")
    expect(bell.locator(".badge")).to_have_text("1")
    row = ent.get_by_role("table", name="我的消息").get_by_role(
        "row", name=re.compile("一次性告知补正")
    )
    expect(row).to_contain_text("已读")
    row.get_by_role("link").click()
    expect(ent).to_have_url(re.compile(rf"/projects/{asked['id']}$"))
    assert refused["id"] != asked["id"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_link_on_the_list_pages_answers(live, browser: Browser):  # noqa: F811
    base = live.url
    for i in range(3):
        file_project(live, f"链接项目{i}")
    pages = {
        "admin": ["/admin/users", "/admin/users/1", "/admin/projects?size=2", "/notifications"],
        "reviewer-fgw": ["/reviewer?size=2", "/reviewer/done", "/notifications"],
        "enterprise1": ["/enterprise?size=2&sort=-code", "/notifications"],
        "agent1": ["/agent/projects", "/agent/alerts"],
        "regulator1": ["/regulator?size=2", "/regulator/commitments"],
        None: ["/register", "/login"],
    }
    page = browser.new_page()
    total = 0
    for who, paths in pages.items():
        if who:
            login(page, base, who)
        else:
            page.context.clear_cookies()
        for path in paths:
            total += click_every_link(page, base + path)
    assert total > 60
