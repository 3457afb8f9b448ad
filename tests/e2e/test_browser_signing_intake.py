"""Issue 15 items 6 and 7 in a real browser (Chromium via Playwright), each page checked with axe:
the enterprise makes a key pair in the browser (WebCrypto Ed25519), keeps the private key file,
registers the public key, is warned that its planned figures miss the plot's indicators, signs
its commitment in the browser and the administration accepts it; a reviewer asks once at intake
for a missing material (一次性告知补正), the enterprise supplies it and the reviewer accepts; a
不予受理 with its reason shows as such to the enterprise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, expect  # noqa: E402

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


def file_project(live, name: str, plot: str | None = None) -> dict:
    doc = sample_project_doc()
    body = {"name": name, "attributes": doc["attributes"]}
    if plot:
        body["plot"] = plot
    else:
        body["regional_assessments"] = doc["regional_assessments"]
    r = live.client("enterprise1").post("/api/projects", json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_enterprise_signs_its_commitment_in_the_browser(live, browser: Browser, tmp_path: Path):  # noqa: F811
    import_registry(live.db_url)
    project = file_project(live, "浏览器签名项目", plot="CD-A04")  # planned intensity < 400
    c = live.client("enterprise1").post(f"/api/projects/{project['id']}/commitment").json()
    base = live.url
    page = browser.new_context(accept_downloads=True).new_page()
    login(page, base, "enterprise1")
    page.goto(f"{base}/commitments/{c['id']}")
    # the plot's indicators with their bounds and units, beside the planned figures
    table = page.get_by_role("table", name=re.compile("承诺的控制指标"))
    expect(table).to_contain_text("≥ 400 万元/亩")
    expect(table.locator("tr.miss", has_text="固定资产投资强度")).to_contain_text("未达标")
    warning = page.locator("#miss-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("项目计划值未达到标准地控制指标")
    expect(page.get_by_text("尚未登记签名公钥")).to_be_visible()
    check_page(page, "s1-commitment-draft")

    # 1. a key pair made here; the private key is downloaded, the public key registered
    with page.expect_download() as download:
        page.get_by_role("button", name="生成密钥对并保存私钥文件").click()
    key_file = tmp_path / "enterprise.pem"
    download.value.save_as(key_file)
    pem = key_file.read_text()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    private = signing.load_private_pem(pem.encode(), "downloaded key")  # the CLI reads it too
    fingerprint = signing.public_of(private).fingerprint
    expect(page.locator("#newfp")).to_contain_text(fingerprint)
    page.get_by_role("button", name="登记公钥").click()
    expect(page.locator(".flash.ok")).to_contain_text("公钥已登记")
    expect(page.locator("code.fingerprint")).to_have_text(fingerprint)

    # 2. signed in the browser, once the warning is confirmed
    page.get_by_label(re.compile("本企业私钥文件")).set_input_files(str(key_file))
    page.get_by_role("button", name="在浏览器中签名").click()
    expect(page.locator("#signstatus")).to_contain_text("请先勾选确认")
    assert not page.get_by_label("签名（base64）").input_value()
    page.get_by_label(re.compile("我已知悉计划值未达标")).check()
    page.get_by_role("button", name="在浏览器中签名").click()
    expect(page.locator("#signstatus")).to_contain_text("已在浏览器中签名")
    expect(page.get_by_label("已登记公钥指纹")).to_have_value(fingerprint)
    assert page.get_by_label("签名（base64）").input_value()
    page.get_by_role("button", name="提交签名").click()
    expect(page.locator(".flash.ok")).to_contain_text("签名已核验并记入台账")
    signed = live.client("enterprise1").get(f"/api/commitments/{c['id']}").json()
    assert signed["status"] == "signed"
    assert signed["signatures"]["enterprise"]["key"] == fingerprint
    assert signed["ledger_seq"] is not None
    check_page(page, "s2-commitment-signed")

    # the administration counter-signs: accepted and published
    login(page, base, "admin")
    page.goto(f"{base}/commitments/{c['id']}")
    page.get_by_role("button", name=re.compile("确认并公示")).click()
    expect(page.locator(".flash.ok")).to_contain_text("已确认并公示")
    assert live.client("admin").get(f"/api/commitments/{c['id']}").json()["status"] == "published"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_intake_notice_supply_accept_and_refusal(live, browser: Browser, tmp_path: Path):  # noqa: F811
    base = live.url
    project = file_project(live, "受理补正项目")
    refused = file_project(live, "不予受理项目")

    reviewer = browser.new_page()
    login(reviewer, base, "reviewer-fgw")
    expect(reviewer.get_by_role("table", name=re.compile("部门待办"))).to_contain_text("受理时限")
    reviewer.get_by_role("row", name=re.compile("受理补正项目")).get_by_role("link").click()
    expect(reviewer.locator(".intake-due")).to_be_visible()
    check_page(reviewer, "i1-task-intake")
    form = reviewer.locator("form[action$='/intake-corrections']")
    expect(form.get_by_label("企业投资项目备案信息表")).to_be_checked()  # missing: by its name
    form.get_by_role("button").click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已一次性告知补正")
    expect(reviewer.locator("main")).to_contain_text("补正中")
    expect(reviewer.locator("form[action$='/intake-corrections']")).to_have_count(0)  # once
    expect(reviewer.get_by_role("button", name="受理", exact=True)).to_have_count(0)

    ent = browser.new_page()
    login(ent, base, "enterprise1")
    ent.goto(f"{base}/projects/{project['id']}")
    notice = ent.locator("#corr-h").locator("..")
    expect(notice).to_contain_text("受理前一次性告知补正")
    expect(notice).to_contain_text("企业投资项目备案信息表")
    f = tmp_path / "M-filing-form.pdf"
    f.write_bytes(PDF + b"filing form")
    ent.get_by_label("材料", exact=True).select_option("M-filing-form")
    ent.get_by_label(re.compile("^文件")).set_input_files(str(f))
    ent.get_by_role("button", name="上传").click()
    expect(ent.locator(".flash.ok")).to_contain_text("材料已提交")
    ent.get_by_role("button", name="提交补正").click()
    expect(ent.locator(".flash.ok")).to_be_visible()
    check_page(ent, "i2-project-supplied")

    reviewer.reload()
    expect(reviewer.locator("main")).to_contain_text("待受理")
    reviewer.get_by_role("button", name="受理", exact=True).click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已受理")
    expect(reviewer.locator("main")).to_contain_text("审查中")

    # 不予受理 on the other project, with a reason the enterprise reads
    reviewer.goto(f"{base}/reviewer")
    reviewer.get_by_role("row", name=re.compile("不予受理项目")).get_by_role("link").click()
    reviewer.locator("details.refuse > summary").click()  # a refusal is one step further
    reviewer.get_by_label(re.compile("不予受理 · 理由")).fill("申请事项不属于本机关职权范围")
    reviewer.get_by_role("button", name="不予受理", exact=True).click()
    expect(reviewer.locator(".flash.ok")).to_contain_text("已作出不予受理决定")
    ent.goto(f"{base}/projects/{refused['id']}")
    refusal = ent.locator("#refusal-h").locator("..")
    expect(refusal).to_contain_text("不予受理")
    expect(refusal).to_contain_text("申请事项不属于本机关职权范围")
    expect(ent.locator("dl.facts").first).to_contain_text("不予受理")
    expect(refusal).not_to_contain_text("不予许可")  # not a refusal of the permit
    check_page(ent, "i3-project-refused")
