"""The commitments' pages in a real browser (Chromium via Playwright) with the accessibility
check of every page: the public list (公示), the regulator's overview and inspection form, the
enterprise's project page with its commitment and letter."""

from __future__ import annotations

import base64
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
    browser,
    check_page,
    login,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_regulator_inspects_and_enterprise_sees_its_commitment(
    live,
    browser: Browser,  # noqa: F811 - the module-scoped fixture of test_browser
    tmp_path: Path,
):
    import_registry(live.db_url)
    ent, admin = live.client("enterprise1"), live.client("admin")
    doc = sample_project_doc()
    project = ent.post(
        "/api/projects",
        json={"name": "页面测试项目", "attributes": doc["attributes"], "plot": "CD-A03"},
    ).json()
    c = ent.post(f"/api/projects/{project['id']}/commitment").json()
    key = signing.generate()
    pub = signing.public_of(key)
    ent.post("/api/enterprise-keys", json={"public_key": pub.pem()})
    canonical = base64.b64decode(c["canonical_base64"])
    ent.post(
        f"/api/commitments/{c['id']}/signature",
        json={"key": pub.fingerprint, "signature": signing.sign(key, canonical)},
    )
    accepted = admin.post(f"/api/commitments/{c['id']}/acceptance").json()
    admin.post("/api/commitments/monitor", json={"on": accepted["checkpoints"][0]["due_on"]})

    base = live.url
    page = browser.new_page()
    page.goto(f"{base}/public/commitments")
    expect(page.get_by_role("table", name=re.compile("已公示的承诺书"))).to_contain_text(
        c["number"]
    )
    check_page(page, "c1-public-commitments")

    login(page, base, "regulator1")
    page.goto(f"{base}/regulator/commitments")
    expect(page.get_by_role("table", name=re.compile("到期检查任务"))).to_contain_text(c["number"])
    check_page(page, "c2-regulator-commitments")
    page.get_by_role("link", name=c["number"]).first.click()
    mu, m2 = c["document"]["plot"]["area_mu"], c["document"]["plot"]["area_m2"]
    values = {
        "固定资产投资": 400 * mu,
        "计容建筑面积": 2 * m2,
        "建筑基底面积": 0.5 * m2,
        "绿地面积": 0.1 * m2,
        "建筑高度": 30,
    }
    form = page.locator("form[action$='/inspect']").first
    for label, value in values.items():
        form.get_by_label(re.compile(label)).fill(f"{value:.1f}")
    evidence = tmp_path / "测绘报告.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%evidence\n")
    form.get_by_label(re.compile("证据材料")).set_input_files(str(evidence))
    check_page(page, "c3-inspection-form")
    form.get_by_role("button", name=re.compile("录入并生成结论")).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_contain_text("检查结果已录入")
    expect(page.get_by_role("table", name=re.compile("对标验收"))).to_contain_text("达标")
    check_page(page, "c4-verdicts")

    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{project['id']}")
    block = page.get_by_role("region", name=re.compile("承诺书"))
    expect(block).to_contain_text(c["number"])
    check_page(page, "c5-project-commitment")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载承诺书")).click()
    assert download.value.suggested_filename == f"{c['number']}.pdf"
