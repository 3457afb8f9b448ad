"""电子证照, the counter's documents and credit over HTTP (a real server on each backend):

* an approved item's certificate has a number; its verification page is public (no login) and
  shows nothing confidential; its PDF's QR code decodes to that page;
* a later item needs no upload of it; revoking is the administration's;
* a task's documents (受理回执, 一次性告知书, 补正通知书, 不予受理决定书) print in the page session for
  the enterprise and the task's department, and for no one else;
* an enterprise reads its own credit and prices, never another's; the price table is validated.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from api.auth import TOKEN_COOKIE
from tests.e2e.test_api_workflow import PDF, file_sample

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")


def page_client(live, username):
    """A client with the page session's cookie (as a browser after logging in)."""
    c = live.client(username)
    token = c.headers.pop("Authorization").split()[1]
    c.cookies.set(TOKEN_COOKIE, token)
    return c


def approve_first_item(live):
    """enterprise1 files the sample; 发改 accepts and approves S1-01 (项目赋码)."""
    e1 = live.client("enterprise1")
    pid = file_sample(e1).json()["id"]
    up = e1.post(
        f"/api/projects/{pid}/materials",
        data={"code": "M-filing-form"},
        files={"file": ("备案表.pdf", PDF, "application/pdf")},
    )
    assert up.status_code == 201, up.text
    fgw = live.client("reviewer-fgw")
    task = next(
        t
        for t in fgw.get("/api/tasks").json()["items"]
        if t["project_id"] == pid and t["step_code"] == "S1-01"
    )
    r = fgw.post(f"/api/tasks/{task['id']}/accept", json={})
    assert r.status_code == 200, r.text
    r = fgw.post(f"/api/tasks/{task['id']}/approve", json={"version": r.json()["version"]})
    assert r.status_code == 200, r.text
    cert = e1.get(f"/api/projects/{pid}/certificates").json()["items"][0]
    return pid, task, cert


def qr_texts(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "page")], check=True)
    png = sorted(tmp_path.glob("page-*.png"))[0]
    return [b.text for b in zxingcpp.read_barcodes(Image.open(png))]


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_certificate_number_public_verification_and_its_qr_code(live, tmp_path):
    pid, _task, cert = approve_first_item(live)
    number = cert["number"]
    assert cert["status"] == "valid" and cert["verify_path"] == f"/verify/{number}"
    anon = live.client()
    page = anon.get(f"/verify/{number}")
    assert page.status_code == 200, page.text
    e1 = live.client("enterprise1")
    project = e1.get(f"/api/projects/{pid}").json()
    assert "有效" in page.text and number in page.text and "投资项目代码" in page.text
    # nothing confidential: not the project, its code or figures, nor the credit code
    assert project["name"] not in page.text and project["code"] not in page.text
    admin = live.client("admin")
    enterprises = admin.get("/api/enterprises").json()["items"]
    e1_row = next(e for e in enterprises if e["name"] in page.text)  # the holder is named
    assert e1_row["credit_code"] not in page.text
    api = anon.get(f"/api/verify/{number}")
    assert api.status_code == 200 and api.json()["status"] == "valid"
    assert set(api.json()) == {
        "kind", "title", "number", "status", "holder", "item", "department",
        "issued_on", "revoked_on", "content_sha256",
    }  # fmt: skip
    assert anon.get("/verify/DZZZ-2026-0000000000").status_code == 404
    assert anon.get("/api/verify/DZZZ-2026-0000000000").status_code == 404
    # the printed certificate: the owner's session prints it, its QR code leads to the page
    pdf = page_client(live, "enterprise1").get(f"/certificates/{cert['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert qr_texts(pdf.content, tmp_path) == [f"{live.url}/verify/{number}"]
    assert (
        page_client(live, "enterprise2").get(f"/certificates/{cert['id']}/pdf").status_code == 404
    )
    assert anon.get(f"/certificates/{cert['id']}/pdf", follow_redirects=False).status_code in {
        303,
        401,
    }


def test_a_later_item_reuses_the_certificate_and_revocation_is_the_administrations(live):
    pid, _task, cert = approve_first_item(live)
    e1 = live.client("enterprise1")
    # S1-05 (节能审查) needs the project code: supplied by the certificate, never uploaded
    tasks = e1.get(f"/api/projects/{pid}/tasks").json()["items"]
    energy = next(t for t in tasks if t["step_code"] == "S1-05")
    detail = live.client("admin").get(f"/api/tasks/{energy['id']}").json()
    m = next(m for m in detail["materials"] if m["code"] == "C-project-code")
    assert m["state"] == "certificate" and m["certificate"]["number"] == cert["number"]
    up = e1.post(
        f"/api/projects/{pid}/materials",
        data={"code": "C-project-code"},
        files={"file": ("代码.pdf", PDF, "application/pdf")},
    )
    assert up.status_code == 422 and "无需上传" in up.json()["detail"]
    # the task page shows 由前序事项核发 with the number, not a red 缺
    page = page_client(live, "admin").get(f"/tasks/{energy['id']}")
    assert "由前序事项核发" in page.text and cert["number"] in page.text
    url = f"/api/certificates/{cert['number']}/revoke"
    assert e1.post(url, json={"reason": "x"}).status_code == 403
    assert live.client("admin").post(url, json={"reason": ""}).status_code == 422
    r = live.client("admin").post(url, json={"reason": "核发错误"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert live.client().get(f"/api/verify/{cert['number']}").json()["status"] == "revoked"
    assert "已注销" in live.client().get(f"/verify/{cert['number']}").text
    assert live.client("admin").post(url, json={"reason": "again"}).status_code == 409


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_task_documents_print_for_the_enterprise_and_the_department_only(live, tmp_path):
    pid, task, _cert = approve_first_item(live)
    base = f"/tasks/{task['id']}/documents"
    for who in ("enterprise1", "reviewer-fgw", "admin"):
        c = page_client(live, who)
        for name, title in (("receipt.pdf", "受理回执"), ("notice.pdf", "一次性告知书")):
            r = c.get(f"{base}/{name}")
            assert r.status_code == 200, (who, name, r.text[:200])
            path = tmp_path / f"{who}-{name}"
            path.write_bytes(r.content)
            text = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert title in text and "/verify/" in text
    # the same number every time it is printed
    numbers = set()
    for who in ("enterprise1", "reviewer-fgw"):
        body = page_client(live, who).get(f"{base}/receipt.pdf").content
        (tmp_path / "r.pdf").write_bytes(body)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
        ).stdout
        numbers |= {w for w in text.split() if w.startswith("SL-")}
    assert len(numbers) == 1
    for who in ("enterprise2", "reviewer-zjj"):
        assert page_client(live, who).get(f"{base}/receipt.pdf").status_code == 404
    c = page_client(live, "enterprise1")
    assert c.get(f"{base}/refusal.pdf").status_code == 404  # not refused
    assert c.get(f"{base}/correction-999.pdf").status_code == 404
    assert c.get(f"{base}/other.pdf").status_code == 404
    verified = live.client().get(f"/api/verify/{numbers.pop()}").json()
    assert verified["kind"] == "receipt" and verified["title"] == "受理回执"
    code = live.client("enterprise1").get(f"/api/projects/{pid}").json()["code"]
    assert verified["holder"] and code not in str(verified)  # nothing of the project itself


def test_an_enterprise_reads_its_own_credit_and_the_table_is_validated(live):
    e1, admin = live.client("enterprise1"), live.client("admin")
    enterprises = {e["name"]: e["id"] for e in admin.get("/api/enterprises").json()["items"]}
    own = e1.get("/api/credit")
    assert own.status_code == 200, own.text
    mine = own.json()
    assert mine["grade"] is None and mine["applied_grade"] == "B" and mine["records"] == []
    other = next(i for i in enterprises.values() if i != mine["enterprise_id"])
    assert e1.get(f"/api/enterprises/{other}/credit").status_code == 403
    assert admin.get(f"/api/enterprises/{other}/credit").status_code == 200
    assert live.client("reviewer-fgw").get("/api/credit").status_code == 403
    table = admin.get("/api/prices").json()
    prices = {
        row["grade"]: {p["resource"]: p["price"] for p in row["prices"]} for row in table["rows"]
    }
    bad = {**prices, "C": {**prices["C"], "power": -0.5}}
    r = admin.put("/api/prices", json={"prices": bad})
    assert r.status_code == 422 and "prices.C.power" in r.json()["detail"]
    assert e1.put("/api/prices", json={"prices": prices}).status_code == 403
    new = {**prices, "B": {**prices["B"], "power": 0.71}}
    assert admin.put("/api/prices", json={"prices": new}).status_code == 200
    power = next(p for p in e1.get("/api/credit").json()["prices"] if p["resource"] == "power")
    assert power["price"] == 0.71
    # exports in the page session: its own only
    c = page_client(live, "enterprise1")
    csv = c.get(f"/enterprises/{mine['enterprise_id']}/credit/export.csv")
    assert csv.status_code == 200 and "信用记录" in csv.content.decode("utf-8-sig")
    xlsx = c.get(f"/enterprises/{mine['enterprise_id']}/credit/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    rows = list(wb["适用价格"].iter_rows(values_only=True))
    assert ("B 支持发展（尚未评级）", "用电", 0.71, "元/千瓦时") in rows
    assert c.get(f"/enterprises/{other}/credit/export.csv").status_code == 403
    assert c.get(f"/enterprises/{other}/credit").status_code == 403
