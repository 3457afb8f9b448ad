"""The counter's documents and the 电子证照 in a real browser (Chromium via Playwright): from the
task page a reviewer opens each document (一次性告知书, 受理回执, 补正通知书, 不予受理决定书); the
enterprise opens its certificate from the project page, and the URL in the certificate's QR code
(decoded from the rendered PDF) opens the public verification page without a login; the
enterprise's credit page and the administration's price table pass axe."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
zxingcpp = pytest.importorskip("zxingcpp")
from PIL import Image  # noqa: E402
from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.e2e.test_api_workflow import PDF as MATERIAL  # noqa: E402
from tests.e2e.test_api_workflow import file_sample  # noqa: E402
from tests.e2e.test_browser import (  # noqa: E402, F401 - the browser fixture and helpers
    CHROMIUM,
    browser,
    check_page,
    login,
)

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed"),
]


def open_pdf(page: Page, link) -> bytes:
    """Click a link to a PDF: the browser navigates to it (Chromium shows it in its viewer); the
    bytes it received are fetched again in the same session (the viewer hides them)."""
    with page.expect_response(lambda r: r.request.is_navigation_request()) as r:
        link.click()
    assert r.value.status == 200, r.value.url
    assert r.value.headers["content-type"] == "application/pdf"
    again = page.context.request.get(r.value.url)
    assert again.status == 200 and again.headers["content-type"] == "application/pdf"
    body = again.body()
    assert body.startswith(b"%PDF")
    return body


def pdf_text(body: bytes, tmp_path: Path) -> str:
    path = tmp_path / "t.pdf"
    path.write_bytes(body)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def qr_of(body: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "q.pdf"
    path.write_bytes(body)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "q")], check=True)
    png = sorted(tmp_path.glob("q-*.png"))[0]
    return [b.text for b in zxingcpp.read_barcodes(Image.open(png))]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_from_the_task_page_to_each_document_and_from_the_qr_code_to_verification(
    live,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
):
    # a project whose 赋码 was asked once at intake for its form, supplied, accepted, approved
    e1, fgw = live.client("enterprise1"), live.client("reviewer-fgw")
    pid = file_sample(e1).json()["id"]
    task = next(
        t
        for t in fgw.get("/api/tasks").json()["items"]
        if t["project_id"] == pid and t["step_code"] == "S1-01"
    )
    r = fgw.post(
        f"/api/tasks/{task['id']}/intake-corrections", json={"materials": ["M-filing-form"]}
    )
    assert r.status_code == 200, r.text
    up = e1.post(
        f"/api/projects/{pid}/materials",
        data={"code": "M-filing-form"},
        files={"file": ("备案表.pdf", MATERIAL, "application/pdf")},
    )
    assert up.status_code == 201, up.text
    assert e1.post(f"/api/projects/{pid}/resubmissions", json={"task_id": task["id"]}).is_success
    r = fgw.post(f"/api/tasks/{task['id']}/accept", json={})
    assert r.status_code == 200, r.text
    assert fgw.post(f"/api/tasks/{task['id']}/approve", json={}).status_code == 200
    # a second project refused at intake
    pid2 = file_sample(e1).json()["id"]
    refused = next(
        t
        for t in fgw.get("/api/tasks").json()["items"]
        if t["project_id"] == pid2 and t["step_code"] == "S1-01"
    )
    r = fgw.post(f"/api/tasks/{refused['id']}/refuse", json={"reasons": "不属于本部门职权范围"})
    assert r.status_code == 200, r.text

    base = live.url
    page = browser.new_context(accept_downloads=True).new_page()
    login(page, base, "reviewer-fgw")
    page.goto(f"{base}/tasks/{task['id']}")
    docs = page.get_by_role("region", name="办事文书")
    check_page(page, "task-documents")
    expected = {
        "doc-notice": "一次性告知书",
        "doc-receipt": "受理回执",
        "doc-correction": "补正材料通知书",
    }
    for testid, title in expected.items():
        link = docs.get_by_test_id(testid)
        expect(link).to_have_text(re.compile(title))
        body = open_pdf(page, link)
        text = pdf_text(body, tmp_path)
        assert title in text and "杭州智造装备有限公司" in text
        assert f"{base}/verify/" in text
        page.goto(f"{base}/tasks/{task['id']}")
    page.goto(f"{base}/tasks/{refused['id']}")
    link = page.get_by_test_id("doc-refusal")
    text = pdf_text(open_pdf(page, link), tmp_path)
    assert "不予受理决定书" in text and "不属于本部门职权范围" in text

    # the enterprise: its project page lists the certificate; its QR code leads to verification
    login(page, base, "enterprise1")
    page.goto(f"{base}/projects/{pid}")
    cert = page.get_by_test_id("certificate").first
    expect(cert).to_contain_text("投资项目代码")
    number = re.search(r"DZZZ-\d{4}-[0-9A-F]{10}", cert.inner_text()).group(0)
    body = open_pdf(page, cert.get_by_role("link", name=number))
    (url,) = qr_of(body, tmp_path)
    assert url == f"{base}/verify/{number}"
    public = browser.new_context().new_page()  # no login
    public.goto(url)
    expect(public.get_by_test_id("verify-status")).to_have_text("有效")
    expect(public.get_by_test_id("verify-number")).to_have_text(number)
    expect(public.locator("main")).not_to_contain_text("91330")  # no credit code
    check_page(public, "verify-certificate")
    # a later item's material shows 由前序事项核发 with the number, not a red 缺
    page.goto(f"{base}/projects/{pid}")
    row = page.locator("tr", has_text="投资项目代码").first
    expect(row).to_contain_text("由前序事项核发")
    expect(row).to_contain_text(number)
    expect(row.locator(".mstate.missing")).to_have_count(0)
    # credit and prices
    page.goto(f"{base}/enterprise/credit")
    expect(page.get_by_test_id("grade")).to_contain_text("尚未评级")
    expect(page.get_by_test_id("applied-prices")).to_contain_text("用电")
    check_page(page, "enterprise-credit")
    login(page, base, "admin")
    page.goto(f"{base}/admin/prices")
    check_page(page, "admin-prices")
    page.get_by_label("C 用电").fill("-1")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("prices.C.power")
    page.get_by_label("C 用电").fill("0.88")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("差别化价格表已更新")
    expect(page.get_by_label("C 用电")).to_have_value("0.88")
    # the administration revokes the certificate on the project page; verification says so
    page.goto(f"{base}/projects/{pid}")
    item = page.get_by_test_id("certificate").filter(has_text=number)
    item.get_by_text("注销").first.click()
    check_page(page, "project-certificates-admin")
    item.get_by_label("注销理由").fill("核发依据有误")
    item.get_by_role("button", name="注销").click()
    expect(page.get_by_role("status")).to_contain_text(f"证照 {number} 已注销")
    public.goto(url)
    expect(public.get_by_test_id("verify-status")).to_have_text("已注销")
