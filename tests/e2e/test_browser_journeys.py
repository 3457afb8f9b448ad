"""Issue 15's broken journeys, clicked through in a real browser (Chromium via Playwright), each
page checked with axe: a reviewer opens an uploaded material from the task page (another
company gets 404); the regulator's map colours a breached plot red with a compliance legend;
the agent subscribes to their calendar by a secret link and revokes it; the project page says
why each item is waived, reduced or applies; a 好差评 rating stays visible and the
administration sees its statistics; the audit trail reads as lines in China's time."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect  # noqa: E402

from approvals.samples import sample_project_doc  # noqa: E402
from commitments import signing  # noqa: E402
from tests.e2e.test_api_commitments import import_registry  # noqa: E402
from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    CHROMIUM,
    PDF,
    browser,
    check_page,
    login,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


def file_project(live, plot: str = "CD-A03", name: str = "旅程测试项目") -> dict:
    import_registry(live.db_url)
    doc = sample_project_doc()
    r = live.client("enterprise1").post(
        "/api/projects",
        json={
            "name": name,
            "attributes": doc["attributes"],
            "plot": plot,
            "regional_assessments": doc["regional_assessments"],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def upload(live, project_id: int, code: str) -> dict:
    r = live.client("enterprise1").post(
        f"/api/projects/{project_id}/materials",
        data={"code": code},
        files={"file": (f"{code}.pdf", PDF + code.encode(), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    return r.json()


def first_task(live, project_id: int, step: str) -> dict:
    tasks = live.client("enterprise1").get(f"/api/projects/{project_id}/tasks").json()["items"]
    return next(t for t in tasks if t["step_code"] == step)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_reviewer_opens_a_material_from_the_task_page(live, browser: Browser):  # noqa: F811
    base = live.url
    project = file_project(live)
    upload(live, project["id"], "M-filing-form")
    task = first_task(live, project["id"], "S1-01")

    page = browser.new_page()
    login(page, base, "reviewer-fgw")
    page.get_by_role("link", name=re.compile("S1-01")).first.click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task['id']}"))
    link = page.get_by_role("link", name="M-filing-form.pdf")
    href = link.get_attribute("href")
    assert href and not href.startswith("/api/")  # the page session reaches it
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF + b"M-filing-form"
    r = page.request.get(base + href)
    assert r.status == 200 and r.headers["content-type"].startswith("application/pdf")
    assert r.body() == PDF + b"M-filing-form"
    check_page(page, "jy01-task-material")

    # the owner opens it from the project page too
    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{project['id']}")
    with page.expect_download() as download:
        page.get_by_role("link", name="M-filing-form.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF + b"M-filing-form"

    # another company, a department without a task on it, and nobody at all do not get it
    login(page, base, "enterprise2")
    assert page.request.get(base + href).status == 404
    login(page, base, "reviewer-zjj")
    assert page.request.get(base + href).status == 404
    page.context.clear_cookies()
    anonymous = httpx.get(base + href)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


def breach_on(live, plot: str) -> str:
    """A published commitment on ``plot`` whose acceptance inspection found investment short."""
    ent, admin, regulator = (live.client(u) for u in ("enterprise1", "admin", "regulator1"))
    project = file_project(live, plot=plot)
    c = ent.post(f"/api/projects/{project['id']}/commitment").json()
    key = signing.generate()
    pub = signing.public_of(key)
    assert ent.post("/api/enterprise-keys", json={"public_key": pub.pem()}).status_code == 201
    canonical = base64.b64decode(c["canonical_base64"])
    signed = ent.post(
        f"/api/commitments/{c['id']}/signature",
        json={"key": pub.fingerprint, "signature": signing.sign(key, canonical)},
    )
    assert signed.status_code == 200, signed.text
    accepted = admin.post(f"/api/commitments/{c['id']}/acceptance").json()
    checkpoint = accepted["checkpoints"][0]
    admin.post("/api/commitments/monitor", json={"on": checkpoint["due_on"]})
    mu, m2 = c["document"]["plot"]["area_mu"], c["document"]["plot"]["area_m2"]
    r = regulator.post(
        f"/api/checkpoints/{checkpoint['id']}/inspections",
        json={
            "figures": {
                "fixed_asset_investment": 100 * mu,  # far below the plot's intensity: not met
                "floor_area": 2 * m2,
                "building_footprint": 0.5 * m2,
                "green_area": 0.1 * m2,
                "building_height": 30,
            },
            "evidence": [
                {"name": "审计报告.pdf", "content_base64": base64.b64encode(PDF).decode()}
            ],
        },
    )
    assert r.status_code in (200, 201), r.text
    return c["number"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_regulator_map_colours_the_breach_red(live, browser: Browser):  # noqa: F811
    number = breach_on(live, "CD-A05")
    page = browser.new_page()
    login(page, live.url, "regulator1")
    page.get_by_role("link", name=re.compile("地图")).first.click()
    expect(page.locator("#map[data-loaded]")).to_have_count(1, timeout=20_000)
    plot = page.locator("path.plot[data-code='CD-A05']")
    expect(plot).to_have_attribute("fill", "#c62828")  # 未达标: red
    legend = page.get_by_role("list", name=re.compile("图例：承诺履约"))
    expect(legend).to_be_visible()
    expect(legend.locator("li[data-key='notMet']")).to_contain_text("未达标")
    expect(page.locator("#legend-status")).to_be_hidden()  # sale statuses: not shown
    data = page.request.get(f"{live.url}/map/compliance").json()
    assert data["CD-A05"]["status"] == "notMet" and number in data["CD-A05"]["label"]
    plot.click()
    expect(page.locator("#map-detail")).to_contain_text(number)
    check_page(page, "jy02-regulator-map-compliance")
    # the sale statuses are one switch away, with their own legend
    page.get_by_label("着色方式").select_option("status")
    expect(page.locator("#legend-status")).to_be_visible()
    expect(legend).to_be_hidden()
    # an enterprise neither gets the colours nor the JSON
    login(page, live.url, "enterprise1")
    assert page.request.get(f"{live.url}/map/compliance").status == 403


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_agent_subscribes_to_the_calendar_and_revokes_the_link(live, browser: Browser):  # noqa: F811
    project = file_project(live)
    username = next(
        u
        for u in ("agent1", "agent2")
        if project["code"] in live.client(u).get("/api/agents/me/projects").text
    )
    page = browser.new_page()
    login(page, live.url, username)
    section = page.get_by_role("region", name="日程订阅")
    section.get_by_role("button", name="生成订阅链接").click()
    expect(page.locator(".flash.ok")).to_contain_text("订阅链接")
    first = page.get_by_label("订阅链接").input_value()
    assert re.fullmatch(rf"{re.escape(live.url)}/calendar-feeds/[\w-]{{20,}}\.ics", first), first
    check_page(page, "jy03-agent-calendar-feed")
    anonymous = httpx.Client(timeout=30)  # a calendar app: no session, no token
    r = anonymous.get(first)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert r.text.startswith("BEGIN:VCALENDAR") and "END:VCALENDAR" in r.text
    assert project["code"] in r.text
    # the page shows the same link again on the next visit
    page.reload()
    assert page.get_by_label("订阅链接").input_value() == first
    # a new link: the old one stops working
    page.get_by_role("button", name="停用并生成新链接").click()
    expect(page.locator(".flash.ok")).to_contain_text("旧链接已失效")
    second = page.get_by_label("订阅链接").input_value()
    assert second != first
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    page.get_by_role("button", name="停用链接").click()
    assert anonymous.get(second).status_code == 404
    expect(page.get_by_role("button", name="生成订阅链接")).to_be_visible()
    # the button is a form with its CSRF token: a POST with the session but without it is refused
    session = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = httpx.post(f"{live.url}/agent/calendar-feed", cookies=session, data={})
    assert forged.status_code == 403
    expect(page.get_by_role("button", name="生成订阅链接")).to_be_visible()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_why_items_apply_ratings_and_a_readable_audit(live, browser: Browser):  # noqa: F811
    base = live.url
    project = file_project(live)
    upload(live, project["id"], "M-filing-form")
    fgw = live.client("reviewer-fgw")
    task = first_task(live, project["id"], "S1-01")
    accepted = fgw.post(f"/api/tasks/{task['id']}/accept", json={"version": task["version"]})
    assert accepted.status_code == 200, accepted.text
    approved = fgw.post(
        f"/api/tasks/{task['id']}/approve", json={"version": accepted.json()["version"]}
    )
    assert approved.status_code == 200, approved.text

    page: Page = browser.new_page()
    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{project['id']}")
    why = page.get_by_role("region", name="事项适用依据")
    waived = why.get_by_role("table", name=re.compile("免于办理"))
    expect(waived).to_contain_text("S1-10")  # 压覆矿产: the zone's assessment covers it
    expect(waived).to_contain_text("区域评估")
    expect(waived).to_contain_text("浙政办发")  # its legal basis
    reduced = why.get_by_role("table", name=re.compile("告知承诺"))
    expect(reduced).to_contain_text("S1-05")
    why.get_by_text("各事项为何需要办理").click()
    applied = why.get_by_role("table", name=re.compile("使其适用的申报答复"))
    expect(applied.get_by_role("row", name=re.compile("S1-12"))).to_have_count(0)  # not hazardous
    expect(applied.get_by_role("row", name=re.compile("S3-08"))).to_contain_text("是")

    # 好差评: the rating stays on the page after the form is gone
    rate = page.get_by_role("region", name="好差评")
    rate.get_by_label("事项").select_option("S1-01")
    rate.get_by_label("评分").select_option("2")
    rate.get_by_label("意见").fill("窗口排队时间较长")
    rate.get_by_role("button", name="评价").click()
    expect(page.locator(".flash.ok")).to_be_visible()
    given = page.get_by_role("table", name="已作出的评价")
    expect(given).to_contain_text("S1-01")
    expect(given).to_contain_text("2 不满意")
    expect(given).to_contain_text("窗口排队时间较长")
    check_page(page, "jy04-project-why-and-rating")

    # the audit trail: key: value lines, unescaped, in China's time to the minute
    page.get_by_role("link", name="审计记录").click()
    table = page.get_by_role("table", name="审计记录")
    text = table.inner_text()
    assert "\\u" not in text and "窗口排队时间较长" in text
    times = re.findall(r"\d{4}-\d{2}-\d{2}[ T][\d:.+]+", text)
    assert times and all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", t) for t in times), times
    check_page(page, "jy05-audit")

    # the administration: statistics per department and per item
    login(page, base, "admin")
    page.get_by_role("link", name="好差评统计").click()
    by_dept = page.get_by_test_id("ratings-dept")
    row = by_dept.get_by_role("row", name=re.compile("发展和改革"))
    expect(row.locator("td").nth(1)).to_have_text("1")  # one rating of grade 2
    expect(row).to_contain_text("2.00")
    expect(row).to_contain_text("窗口排队时间较长")
    by_item = page.get_by_test_id("ratings-item")
    expect(by_item.get_by_role("row", name=re.compile("S1-01"))).to_contain_text("2.00")
    check_page(page, "jy06-admin-ratings")
