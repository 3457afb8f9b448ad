"""The pages in a real browser (Debian's Chromium, driven by Playwright), with an accessibility
check (axe-core) on every page and screenshots kept in ``test-artifacts/screenshots``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from api.seed import DEMO_PASSWORD  # noqa: E402
from approvals.samples import sample_project_doc  # noqa: E402

CHROMIUM = os.environ.get("ONETRIP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PDF = b"%PDF-1.7\n%browser test material\n"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt install chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


AXE = Axe()


def check_page(page: Page, name: str) -> None:
    """No serious or critical accessibility violation; keep a screenshot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    assert not bad, f"{name}: " + "; ".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in bad
    )


def login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("登录|Log in")).click()
    page.wait_for_load_state("networkidle")


def fill_questionnaire(page: Page, answers: dict) -> None:
    for key, value in answers.items():
        field = page.locator(f"[name='{key}']")
        if field.count() == 0:
            continue  # not asked (yet): a progressive questionnaire
        kind = field.first.get_attribute("type")
        tag = field.first.evaluate("e => e.tagName")
        if kind == "radio":
            page.locator(f"#q-{key}-{'y' if value else 'n'}").check()
        elif tag == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_enterprise_files_and_two_departments_review_in_parallel(
    live, browser: Browser, tmp_path: Path
):
    base = live.url
    page = browser.new_page()
    # anonymous → login page
    page.goto(f"{base}/enterprise")
    expect(page).to_have_url(re.compile(r"/login"))
    check_page(page, "01-login")

    # the enterprise files through the questionnaire (一次告知)
    login(page, base, "enterprise1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的项目")
    check_page(page, "02-enterprise-home")
    page.get_by_role("link", name=re.compile("申报新项目")).first.click()
    doc = sample_project_doc()
    page.get_by_label(re.compile("^名称")).fill("浏览器测试项目")
    for _ in range(4):  # progressive: answers reveal more questions
        fill_questionnaire(page, doc["attributes"])
        page.get_by_role("button", name="下一步").click()
        if page.get_by_role("button", name="提交申报").count():
            break
    from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES

    for code in doc["regional_assessments"]:  # ticked by their names, not typed as codes
        page.get_by_role("group", name=re.compile("区域评价")).get_by_label(
            REGIONAL_ASSESSMENT_TYPES[code][0], exact=True
        ).check()
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name=re.compile("一次告知"))).to_be_visible()
    expect(page.locator("text=由前序事项证照自动共享")).to_be_visible()
    check_page(page, "03-questionnaire-notice")
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator(".flash.ok")).to_contain_text("已申报")
    project_url = page.url.split("?")[0]
    expect(page.locator("svg.gantt")).to_be_visible()
    check_page(page, "04-project-filed")

    # one set of materials, uploaded once
    for code in ("M-filing-form", "M-energy-report", "M-eia-report", "M-soil-water-plan"):
        f = tmp_path / f"{code}.pdf"
        f.write_bytes(PDF + code.encode())
        page.get_by_label("材料", exact=True).select_option(code)
        page.get_by_label(re.compile("^文件")).set_input_files(str(f))
        page.get_by_role("button", name="上传").click()
        expect(page.locator(".flash.ok")).to_contain_text("材料已提交")

    # 发改 accepts and approves 企业投资项目备案
    reviewer = browser.new_page()
    login(reviewer, base, "reviewer-fgw")
    expect(reviewer.get_by_role("heading", level=1)).to_contain_text("部门待办")
    check_page(reviewer, "05-reviewer-worklist")
    reviewer.get_by_role("link", name=re.compile("S1-01")).first.click()
    check_page(reviewer, "06-task-page")
    reviewer.get_by_role("button", name="受理").click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已受理")
    reviewer.get_by_role("button", name="准予许可").click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已办结")

    # now two departments hold the next items at the same time and act independently
    sthj = browser.new_page()
    login(sthj, base, "reviewer-sthj")
    login(reviewer, base, "reviewer-fgw")
    sthj.get_by_role("link", name=re.compile("S1-06")).first.click()
    reviewer.get_by_role("link", name=re.compile("S1-05")).first.click()
    for p in (sthj, reviewer):
        p.get_by_role("button", name="受理").click()
    for p in (reviewer, sthj):
        p.get_by_role("button", name="准予许可").click()
        expect(p.locator(".flash.ok")).to_contain_text("已办结")

    # the enterprise sees the progress in its live plan; the English switch works
    page.goto(project_url)
    row = page.locator("tr", has=page.locator("th", has_text="S1-06"))
    expect(row).to_contain_text("已办结")
    expect(page.locator("text=投资项目代码").first).to_be_visible()  # a certificate, by its name
    check_page(page, "07-project-progress")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Live plan")).to_be_visible()
    check_page(page, "08-project-english")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_admin_pages_and_roles(live, browser: Browser):
    base = live.url
    page = browser.new_page()
    login(page, base, "admin")
    page.goto(f"{base}/admin/catalog")
    expect(page.locator("svg.graph")).to_be_visible()
    check_page(page, "10-admin-catalogue")
    page.goto(f"{base}/admin/calendar")
    page.get_by_label(re.compile("导入年度节假日安排")).fill(
        "year: 2027\nholidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"
    )
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".flash.ok")).to_be_visible()
    check_page(page, "11-admin-calendar")
    page.get_by_label(re.compile("导入年度节假日安排")).fill(
        "year: 2027\nworkdays: [2027-03-01]\n"
    )  # a Monday
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".flash.err")).to_contain_text("workdays[0]")
    page.goto(f"{base}/admin/users")
    check_page(page, "12-admin-users")
    # background jobs: reached from the navigation; a failed run shows with its error
    from api.jobs import work
    from storage.engine import make_engine, make_session_factory

    engine = make_engine(live.db_url)
    work.record_failure(
        make_session_factory(engine, write=True),
        "daily",
        "2026-03-05",
        "Traceback (most recent call last):\nOperationalError: server closed the connection",
        5,
    )
    engine.dispose()
    page.get_by_role("navigation").get_by_role("link", name="后台任务").click()
    expect(page.get_by_role("heading", name="后台任务", exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("1 个任务重试后仍失败")
    row = page.get_by_role("row").filter(has_text="2026-03-05")
    expect(row).to_contain_text("失败")
    expect(row).to_contain_text("OperationalError: server closed the connection")
    check_page(page, "12b-admin-jobs")
    # an enterprise may not open administration pages; another enterprise's project is not shown
    login(page, base, "enterprise2")
    response = page.goto(f"{base}/admin/users")
    assert response is not None and response.status == 403
    response = page.goto(f"{base}/admin/jobs")
    assert response is not None and response.status == 403
    response = page.goto(f"{base}/projects/999")
    assert response is not None and response.status == 404


SAMPLE = Path(__file__).resolve().parents[2] / "landplots" / "data"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_plot_import_report_and_map(live, browser: Browser, tmp_path: Path):
    import json

    base = live.url
    page = browser.new_page()
    login(page, base, "admin")
    page.goto(f"{base}/admin/plots")
    check_page(page, "20-admin-plots")
    # a hostile file: every problem is reported, nothing written
    bad = json.loads((SAMPLE / "plots.geojson").read_text("utf-8"))
    bad["features"][1]["properties"]["code"] = bad["features"][0]["properties"][
        "code"
    ]  # duplicate code
    (tmp_path / "bad.geojson").write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    page.get_by_label(re.compile("地块文件")).set_input_files(str(tmp_path / "bad.geojson"))
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_role("heading", name="校验报告")).to_be_visible()
    expect(page.locator("table", has_text="问题清单")).to_contain_text(
        bad["features"][0]["properties"]["code"]
    )
    expect(page.locator("text=登记簿现有 0 个地块")).to_be_visible()
    check_page(page, "21-admin-plots-refused")
    # zones first, then the plots
    page.get_by_label(re.compile("地块文件")).set_input_files(str(SAMPLE / "zones.geojson"))
    page.get_by_label("内容").select_option("zones")
    page.get_by_role("button", name="导入").click()
    page.get_by_label(re.compile("地块文件")).set_input_files(str(SAMPLE / "plots.geojson"))
    page.get_by_role("button", name="导入").click()
    expect(page.locator("text=登记簿现有 20 个地块")).to_be_visible()

    # the regulator's map, drawn from the app's own GeoJSON, with pan and zoom
    login(page, base, "regulator1")
    page.goto(f"{base}/map")
    expect(page.locator("#map")).to_have_attribute("data-loaded", "20")
    plots = page.locator("svg.map path.plot")
    expect(plots).to_have_count(20)
    before = page.locator("svg.map").get_attribute("viewBox")
    page.get_by_role("button", name="放大").click()
    page.locator("svg.map").focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("svg.map").get_attribute("viewBox") != before
    plots.first.focus()
    expect(page.locator("#map-detail")).to_contain_text("亩均税收")
    check_page(page, "22-regulator-map")
