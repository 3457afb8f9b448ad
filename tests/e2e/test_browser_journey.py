"""The whole journey in a real browser (Chromium via Playwright), every page checked with axe and
kept as a screenshot in ``test-artifacts/screenshots``:

an enterprise files a project on a standard plot (一窗受理) and signs its commitment (承诺制); two
departments approve at the same time (并联审批); the agent (代办员) sees the progress on the
dashboard and the 代办清单, convenes a joint meeting and records its minutes; the regulator records
an inspection and downloads the compliance report, whose PDF is rendered to check it is real.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect  # noqa: E402

from approvals.samples import sample_project_doc  # noqa: E402
from commitments import signing  # noqa: E402
from tests.e2e.test_api_commitments import import_registry  # noqa: E402
from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    ARTIFACTS,
    CHROMIUM,
    PDF,
    browser,
    check_page,
    fill_questionnaire,
    login,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


def approve(page: Page, step: str) -> None:
    page.get_by_role("link", name=re.compile(step)).first.click()
    page.get_by_role("button", name="受理").click()
    expect(page.locator(".flash.ok")).to_contain_text("已受理")
    page.get_by_role("button", name="准予许可").click()
    expect(page.locator(".flash.ok")).to_contain_text("已办结")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_whole_journey_from_filing_to_inspection(live, browser: Browser, tmp_path: Path):  # noqa: F811
    import_registry(live.db_url)
    base = live.url
    api_ent, api_admin = live.client("enterprise1"), live.client("admin")
    key = signing.generate()  # the enterprise's own key, registered once
    pub = signing.public_of(key)
    assert api_ent.post("/api/enterprise-keys", json={"public_key": pub.pem()}).status_code == 201

    # 1. the enterprise files once, on standard plot CD-A03, through the questionnaire
    ent = browser.new_page()
    login(ent, base, "enterprise1")
    ent.get_by_role("link", name=re.compile("申报新项目")).first.click()
    doc = sample_project_doc()
    ent.get_by_label(re.compile("^名称")).fill("全流程测试项目")
    for _ in range(4):
        fill_questionnaire(ent, doc["attributes"])
        ent.get_by_role("button", name="下一步").click()
        if ent.get_by_role("button", name="提交申报").count():
            break
    ent.get_by_label(re.compile("标准地地块编码")).fill("CD-A03")
    ent.get_by_role("button", name="下一步").click()
    expect(ent.get_by_role("heading", name=re.compile("一次告知"))).to_be_visible()
    ent.get_by_role("button", name="提交申报").click()
    expect(ent.locator(".flash.ok")).to_contain_text("已申报")
    project_url = ent.url.split("?")[0]
    project_id = int(project_url.rstrip("/").rsplit("/", 1)[1])
    # its agent is named on the project page
    expect(ent.get_by_text("代办员 张敏").first).to_be_visible()
    for code in ("M-filing-form", "M-energy-report", "M-eia-report", "M-soil-water-plan"):
        f = tmp_path / f"{code}.pdf"
        f.write_bytes(PDF + code.encode())
        ent.get_by_label("材料", exact=True).select_option(code)
        ent.get_by_label(re.compile("^文件")).set_input_files(str(f))
        ent.get_by_role("button", name="上传").click()
        expect(ent.locator(".flash.ok")).to_contain_text("材料已提交")
    check_page(ent, "j01-enterprise-filed")

    # ... drafts its commitment from the plot's indicators and signs the canonical bytes offline
    ent.get_by_role("link", name=re.compile("起草承诺书")).click()
    ent.get_by_role("button", name="起草").click()
    expect(ent.locator(".flash.ok")).to_contain_text("承诺书已起草")
    commitment_url = ent.url.split("?")[0].split("#")[0]
    with ent.expect_download() as signed_bytes:
        ent.get_by_role("link", name=re.compile("下载规范字节")).click()
    canonical = Path(signed_bytes.value.path()).read_bytes()
    ent.get_by_label(re.compile("已登记公钥指纹")).fill(pub.fingerprint)
    ent.get_by_label(re.compile("签名（base64）")).fill(signing.sign(key, canonical))
    ent.get_by_role("button", name=re.compile("提交签名")).click()
    expect(ent.locator(".flash.ok")).to_contain_text("签名已核验")
    check_page(ent, "j02-commitment-signed")

    # 2. 发改 approves the first item; then two departments hold items at the same time
    fgw = browser.new_page()
    login(fgw, base, "reviewer-fgw")
    approve(fgw, "S1-01")
    ready = [
        t
        for t in api_ent.get(f"/api/projects/{project_id}/tasks").json()["items"]
        if t["status"] == "ready"
    ]
    by_department: dict[str, str] = {}
    for t in ready:
        by_department.setdefault(t["department"], t["step_code"])
    assert len(by_department) >= 2, ready  # parallel review: at least two departments at once
    (d1, s1), (d2, s2) = sorted(by_department.items())[:2]
    first, second = browser.new_page(), browser.new_page()
    login(first, base, f"reviewer-{d1}")
    login(second, base, f"reviewer-{d2}")
    check_page(second, "j03-second-department-worklist")
    for page, step in ((first, s1), (second, s2)):
        page.get_by_role("link", name=re.compile(step)).first.click()
    for page in (first, second):  # both accept before either decides: truly side by side
        page.get_by_role("button", name="受理").click()
    for page in (second, first):
        page.get_by_role("button", name="准予许可").click()
        expect(page.locator(".flash.ok")).to_contain_text("已办结")
    check_page(first, "j04-department-approved")

    # 3. the agent sees the progress: the dashboard, the 代办清单, a joint meeting
    agent = browser.new_page()
    login(agent, base, "agent1")
    agent.goto(f"{base}/agent")
    board = agent.get_by_role("table", name=re.compile("按风险、延误排序"))
    expect(board).to_contain_text("全流程测试项目")
    check_page(agent, "j05-agent-dashboard")
    agent.get_by_role("link", name="代办清单").first.click()
    for step in ("S1-01", s1, s2):
        row = agent.locator("tr", has=agent.locator("th", has_text=step)).first
        expect(row).to_contain_text("已完成")
    note = agent.get_by_label(re.compile("备注：.*")).first
    note.fill("已与企业确认开工时间")
    agent.get_by_role("button", name="保存").first.click()
    expect(agent.locator(".flash.ok")).to_contain_text("已保存")
    check_page(agent, "j06-agent-checklist")
    agent.goto(f"{base}/projects/{project_id}/meetings")
    agent.get_by_label("议题").fill("施工图联审协调会")
    agent.get_by_label("地点").fill("行政服务中心 3 楼会议室")
    for box in agent.locator("input[name='departments']").all()[:2]:
        box.check()
    agent.get_by_role("button", name="召集").click()
    expect(agent.locator(".flash.ok")).to_contain_text("已召集联席会议")
    agent.get_by_role("link", name="施工图联审协调会").click()
    agent.get_by_role("textbox", name=re.compile("会议决定")).fill(
        "图审与消防审查合并进行\n五个工作日内出具意见"
    )
    agent.get_by_label("事项 1").fill("补充消防设计说明")
    agent.get_by_label("责任人 1").fill("企业 王工")
    agent.get_by_label(re.compile("时限 1")).fill("2030-01-15")
    agent.get_by_role("button", name="记录").click()
    expect(agent.locator(".flash.ok")).to_contain_text("会议纪要已记录")
    expect(agent.get_by_role("table", name=re.compile("跟进事项"))).to_contain_text(
        "补充消防设计说明"
    )
    check_page(agent, "j07-agent-meeting")

    # 4. the administration accepts the commitment; the regulator inspects and downloads
    commitment_id = int(commitment_url.rsplit("/", 1)[1])
    admin = browser.new_page()
    login(admin, base, "admin")
    admin.goto(f"{base}/commitments/{commitment_id}")
    admin.get_by_role("button", name=re.compile("确认")).click()
    expect(admin.locator(".flash.ok")).to_contain_text("已确认并公示")
    accepted = api_admin.get(f"/api/commitments/{commitment_id}").json()
    due = accepted["checkpoints"][0]["due_on"]
    assert api_admin.post("/api/commitments/monitor", json={"on": due}).status_code == 200

    regulator = browser.new_page()
    login(regulator, base, "regulator1")
    regulator.goto(f"{base}/regulator/commitments")
    regulator.get_by_role("link", name=accepted["number"]).first.click()
    mu, m2 = accepted["document"]["plot"]["area_mu"], accepted["document"]["plot"]["area_m2"]
    values = {
        "固定资产投资": 400 * mu,
        "计容建筑面积": 2 * m2,
        "建筑基底面积": 0.5 * m2,
        "绿地面积": 0.1 * m2,
        "建筑高度": 30,
    }
    form = regulator.locator("form[action$='/inspect']").first
    for label, value in values.items():
        form.get_by_label(re.compile(label)).fill(f"{value:.1f}")
    evidence = tmp_path / "竣工测绘报告.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%evidence\n")
    form.get_by_label(re.compile("证据材料")).set_input_files(str(evidence))
    form.get_by_role("button", name=re.compile("录入并生成结论")).click()
    expect(regulator.get_by_role("status")).to_contain_text("检查结果已录入")
    check_page(regulator, "j08-regulator-verdicts")
    regulator.goto(f"{base}/regulator/commitments")
    with regulator.expect_download() as download:
        regulator.get_by_role("button", name="下载 PDF").click()
    report = tmp_path / "report.pdf"
    download.value.save_as(report)
    assert report.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):  # render it: a real PDF with a page drawn on it
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "50",
                "-f",
                "1",
                "-l",
                "1",
                str(report),
                str(tmp_path / "r"),
            ],
            check=True,
        )
        png = next(tmp_path.glob("r*.png"))
        assert png.stat().st_size > 2000
        shutil.copy(png, ARTIFACTS / "j09-compliance-report.png")

    # the enterprise sees the verdicts on its project page, and its agent
    ent.goto(project_url)
    expect(ent.get_by_role("region", name=re.compile("承诺书"))).to_contain_text("达标")
    check_page(ent, "j10-enterprise-sees-verdicts")

    # the administrator's workload view, and a reassignment with its reason kept in the history
    admin.goto(f"{base}/admin/agents")
    workload = admin.get_by_role("table", name=re.compile("负责的项目与容量"))
    expect(workload.locator("tr", has_text="代办员 张敏")).to_contain_text("1")
    check_page(admin, "j11-admin-agent-workload")
    admin.goto(f"{base}/projects/{project_id}/agent")
    choice = admin.locator("#agent_id option", has_text="代办员 刘洋").get_attribute("value")
    admin.get_by_label("改派给").select_option(choice)
    admin.get_by_label(re.compile("改派理由")).fill("张敏休假，移交刘洋")
    admin.get_by_role("button", name="改派").click()
    expect(admin.locator(".flash.ok")).to_contain_text("已改派代办员")
    expect(admin.get_by_test_id("current-agent")).to_contain_text("代办员 刘洋")
    expect(admin.get_by_role("table", name=re.compile("历次分配"))).to_contain_text("张敏休假")
    check_page(admin, "j12-admin-reassigned")
    # the former agent no longer opens the project's checklist; an enterprise never does
    response = agent.goto(f"{base}/projects/{project_id}/checklist")
    assert response is not None and response.status == 404
    response = ent.goto(f"{base}/projects/{project_id}/checklist")
    assert response is not None and response.status == 403
