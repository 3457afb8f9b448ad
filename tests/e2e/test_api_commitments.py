"""Commitments over real HTTP: roles, drafting, signing with the enterprise's own key, the
administration's counter-signature, the public list (公示), regulator tasks and inspections,
documents, and an inclusion proof downloaded and checked offline."""

from __future__ import annotations

import base64

from approvals.samples import sample_project_doc
from commitments import signing
from commitments.ledger import verify_proof_bundle
from storage.engine import make_engine, make_session_factory


def import_registry(db_url: str) -> None:
    from api.demo import sample_registry_files
    from landplots.services import importing

    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        zones, plots_file = sample_registry_files()
        importing.import_zones_file(s, zones)
        importing.import_file(s, plots_file)
        s.commit()
    engine.dispose()


def test_commitment_from_signature_to_verdict_over_http(live):
    import_registry(live.db_url)
    anon = live.client()
    ent, other = live.client("enterprise1"), live.client("enterprise2")
    admin, regulator = live.client("admin"), live.client("regulator1")
    reviewer = live.client("reviewer-zjj")
    doc = sample_project_doc()
    r = ent.post(
        "/api/projects",
        json={"name": "承诺测试项目", "attributes": doc["attributes"], "plot": "CD-A03"},
    )
    assert r.status_code == 201, r.text
    project_id = r.json()["id"]
    assert anon.get("/api/public/commitments").json() == {"items": []}
    keys = anon.get("/api/public/keys").json()
    platform = signing.load_public(keys["platform"]["ed25519"])
    assert platform.fingerprint == keys["platform"]["fingerprint"]

    assert regulator.post(f"/api/projects/{project_id}/commitment").status_code == 403
    r = ent.post(f"/api/projects/{project_id}/commitment")
    assert r.status_code == 201, r.text
    c = r.json()
    cid, number = c["id"], c["number"]
    assert c["status"] == "draft" and c["document"]["plot"]["code"] == "CD-A03"
    canonical = base64.b64decode(c["canonical_base64"])
    assert ent.get(f"/api/commitments/{cid}/canonical").content == canonical
    # visibility: another enterprise is told nothing; a reviewer's role may not read commitments
    assert other.get(f"/api/commitments/{cid}").status_code == 404
    assert reviewer.get(f"/api/commitments/{cid}").status_code == 403
    assert anon.get(f"/api/commitments/{cid}").status_code == 401
    assert [x["id"] for x in other.get("/api/commitments").json()["items"]] == []

    # the enterprise registers its own key and signs locally: the platform sees only the signature
    key = signing.generate()
    pub = signing.public_of(key)
    r = ent.post("/api/enterprise-keys", json={"public_key": pub.pem(), "label": "财务总监"})
    assert r.status_code == 201 and r.json()["fingerprint"] == pub.fingerprint
    bad = ent.post(
        f"/api/commitments/{cid}/signature",
        json={"key": pub.fingerprint, "signature": signing.sign(key, b"x")},
    )
    assert bad.status_code == 422 and "签名" in bad.json()["detail"]
    assert admin.post(f"/api/commitments/{cid}/acceptance").status_code == 409  # not signed yet
    r = ent.post(
        f"/api/commitments/{cid}/signature",
        json={"key": pub.fingerprint, "signature": signing.sign(key, canonical)},
    )
    assert r.status_code == 200 and r.json()["status"] == "signed"
    assert regulator.post(f"/api/commitments/{cid}/acceptance").status_code == 403
    r = admin.post(f"/api/commitments/{cid}/acceptance")
    assert r.status_code == 200 and r.json()["status"] == "published"
    checkpoints = r.json()["checkpoints"]
    assert [cp["milestone"] for cp in checkpoints] == ["acceptance", "production"]
    listed = anon.get("/api/public/commitments").json()["items"]
    assert [x["number"] for x in listed] == [number] and listed[0][
        "enterprise_key"
    ] == pub.fingerprint
    # anyone with the published keys verifies both signatures
    public = anon.get(f"/api/public/commitments/{cid}").json()
    keys = {
        k["fingerprint"]: signing.load_public(k["ed25519"])
        for k in anon.get("/api/public/keys").json()["keys"]
    }
    assert signing.verify(
        keys[public["enterprise_signature"]["key"]],
        public["enterprise_signature"]["value"],
        public["document"].encode(),
    )
    from commitments.canonical import canonical_bytes

    statement = canonical_bytes(public["acceptance_statement"])
    assert signing.verify(platform, public["administration_signature"]["value"], statement)
    assert anon.get("/api/public/commitments/999").status_code == 404
    head = anon.get("/api/public/ledger/head").json()["tree_head"]
    assert head["tree_size"] == 4

    pdf = ent.get(f"/api/commitments/{cid}/letter.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")

    # the checkpoint falls due: the regulator gets a task and inspects
    acceptance = checkpoints[0]
    assert (
        ent.post("/api/commitments/monitor", json={"on": acceptance["due_on"]}).status_code == 403
    )
    r = admin.post("/api/commitments/monitor", json={"on": acceptance["due_on"]})
    assert r.status_code == 200 and len(r.json()["tasks"]) == 1
    assert ent.get("/api/commitment-tasks").status_code == 403
    tasks = regulator.get("/api/commitment-tasks").json()["items"]
    assert [t["checkpoint_id"] for t in tasks] == [acceptance["id"]]
    mu, m2 = c["document"]["plot"]["area_mu"], c["document"]["plot"]["area_m2"]
    body = {
        "figures": {
            "fixed_asset_investment": 300 * mu,  # 14 % short of 350: not met
            "floor_area": 2 * m2,
            "building_footprint": 0.5 * m2,
            "green_area": 0.1 * m2,
            "building_height": 30,
        },
        "evidence": [
            {"name": "审计报告.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 audit").decode()}
        ],
    }
    assert (
        ent.post(f"/api/checkpoints/{acceptance['id']}/inspections", json=body).status_code == 403
    )
    bad = regulator.post(
        f"/api/checkpoints/{acceptance['id']}/inspections",
        json={**body, "figures": {"tax_paid": 1}},
    )
    assert bad.status_code == 422 and "tax_paid" in bad.json()["detail"]
    r = regulator.post(
        f"/api/checkpoints/{acceptance['id']}/inspections",
        json=body,
        headers={"Idempotency-Key": "insp-1"},
    )
    assert r.status_code == 201, r.text
    verdicts = {v["key"]: v for v in r.json()["checkpoint"]["verdicts"]}
    assert verdicts["investment_intensity"]["status"] == "notMet"
    assert verdicts["investment_intensity"]["consequence"]["code"] == "correction"
    assert verdicts["plot_ratio"]["status"] == "met"
    assert r.json()["recheck"] and r.json()["commitment_status"] == "breached"
    again = regulator.post(
        f"/api/checkpoints/{acceptance['id']}/inspections",
        json=body,
        headers={"Idempotency-Key": "insp-1"},
    )
    assert again.status_code == 201 and again.headers.get("idempotency-replayed") == "true"
    # the regulator's map colours the plot by its worst latest verdict; enterprises may not read it
    colours = regulator.get("/api/plots-compliance").json()
    assert colours["CD-A03"]["status"] == "notMet" and number in colours["CD-A03"]["label"]
    assert ent.get("/api/plots-compliance").status_code == 403
    # the enterprise sees its verdicts on its commitment
    mine = ent.get(f"/api/commitments/{cid}").json()
    assert mine["checkpoints"][0]["status"] == "notMet"

    # an inclusion proof, downloaded and checked offline against the published platform key
    seq = mine["ledger_seq"]
    assert other.get(f"/api/ledger/entries/{seq}/proof").status_code == 404
    bundle = ent.get(f"/api/ledger/entries/{seq}/proof").json()
    result = verify_proof_bundle(bundle, platform)
    assert result.kind == "commitment" and result.subject == number and result.document_checked
    last = regulator.get("/api/public/ledger/head").json()["tree_head"]["tree_size"]
    bundle = regulator.get(f"/api/ledger/entries/{last}/proof").json()
    assert verify_proof_bundle(bundle, platform).tree_size == last

    report = regulator.get("/api/zones/CD-A/compliance-report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")
    assert ent.get("/api/zones/CD-A/compliance-report.pdf").status_code == 403
    assert regulator.get("/api/zones/NOPE/compliance-report.pdf").status_code == 404
    assert regulator.get("/api/grades?zone=CD-A").json() == {"items": []}
