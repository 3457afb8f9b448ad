"""The demo's commitments step (承诺制): the two demo projects sign their commitments with their
own keys (written to ``<out>/keys``), the administration counter-signs and publishes them, the
regulator inspects at the checkpoints — one met, one breached with its consequence and re-check —
the commitment letter and the zone's compliance report are written, and the ledger is verified.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from rich.table import Table
from sqlalchemy import select

from access.actor import Actor, Role
from approvals.orm import ProjectRow
from approvals.service import work_calendar
from commitments import signing
from commitments.model import CONSEQUENCE_KINDS, Status
from commitments.orm import CheckpointRow, CommitmentRow
from commitments.services import documents as documents_service
from commitments.services import drafting as drafting_service
from commitments.services import grading as grading_service
from commitments.services import inspections as inspections_service
from commitments.services import keys as keys_service
from commitments.services import ledger_store as ledger_store_service
from commitments.services import monitoring as monitoring_service
from commitments.services import queries as queries_service
from commitments.services import signatures as signatures_service
from storage.engine import begin_write, make_session_factory

#: A one-page PDF standing for the regulator's evidence (a survey report).
EVIDENCE_PDF = b"%PDF-1.4\n% onetrip demo evidence: site survey report\n%%EOF\n"


def _evidence(name: str) -> list[dict[str, Any]]:
    import base64

    return [{"name": name, "content_base64": base64.b64encode(EVIDENCE_PDF).decode()}]


def step_commitments(ctx: Any) -> None:
    """Sign, publish, monitor, inspect, report and verify (see the module docstring)."""
    from api.seed import seed_demo_accounts

    ctx.heading(
        "三、承诺制：签署、公示、监管与台账",
        "3. Commitments: signed, published, monitored, verified",
    )
    keys_dir = ctx.out / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    with make_session_factory(ctx.engine)() as session:
        begin_write(session)
        accounts = seed_demo_accounts(session)
        calendar = work_calendar(session)
        regulator = _actor(accounts, "regulator1")
        made = _sign_and_publish(ctx, session, accounts, calendar, keys_dir)
        session.commit()
        if not made:
            return
        checkpoints, first_due = _monitor_until_acceptance(ctx, session, made, calendar)
        _inspect_acceptance(session, regulator, made, checkpoints, first_due, calendar)
        _recheck_after_rectification(session, regulator, made, calendar)
        production = _review_production(session, regulator, made[0], checkpoints, calendar)
        _print_verdicts(ctx, session, made)
        today = production.due_on if production is not None else first_due
        _write_documents(ctx, session, made[0], today, keys_dir)
        _print_credit(ctx, session, made)
        check = ledger_store_service.verify_ledger(session)
        ctx.console.print(check.text(ctx.lang), style="bold green")
        session.commit()


def _sign_and_publish(
    ctx: Any, session: Any, accounts: Any, calendar: Any, keys_dir: Any
) -> list[CommitmentRow]:
    """Each project on a plot: its enterprise registers a fresh key, signs its commitment, and
    the administration counter-signs and publishes it."""
    admin = _actor(accounts, "admin")
    projects = session.scalars(
        select(ProjectRow).where(ProjectRow.plot_code.is_not(None)).order_by(ProjectRow.id)
    ).all()
    made: list[CommitmentRow] = []
    for project in projects:
        owner = next(
            u
            for u in accounts.users.values()
            if u.enterprise_id == project.enterprise_id and u.role == Role.ENTERPRISE
        )
        enterprise = _actor(accounts, owner.username)
        key, pub = _write_enterprise_key(keys_dir, owner.username)
        keys_service.register_enterprise_key(
            session, enterprise, pub.pem(), label=f"{owner.display_name} 演示密钥"
        )
        c = drafting_service.create_commitment(
            session, enterprise, project.id, project.filed_on, calendar
        )
        signatures_service.submit_signature(
            session, enterprise, c.id, pub.fingerprint, signing.sign(key, c.document.encode())
        )
        signatures_service.accept_commitment(session, admin, c.id, project.filed_on, calendar)
        made.append(c)
        ctx.console.print(
            ctx.t(
                f"{owner.display_name} 以自有密钥（指纹 {signing.grouped(pub.fingerprint, 4)}…）签署承诺书 {c.number}"
                f"（标准地 {c.plot_code}），行政服务中心会签后公示。",
                f"{owner.username} signed {c.number} (plot {c.plot_code}) with its own key "
                f"({signing.grouped(pub.fingerprint, 4)}…); the administration counter-signed and published it.",
            )
        )
    return made


def _write_enterprise_key(keys_dir: Any, username: str) -> tuple[Any, Any]:
    """A new key pair: the private key written owner-only, the public key beside it."""
    key = signing.generate()
    pub = signing.public_of(key)
    private_path = keys_dir / f"{username}.key"
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signing.private_pem(key))
    (keys_dir / f"{username}.pub").write_text(pub.pem(), "utf-8")
    return key, pub


def _monitor_until_acceptance(
    ctx: Any, session: Any, made: list[CommitmentRow], calendar: Any
) -> tuple[dict[int, Any], date]:
    """The projects are complete: the daily run re-dates the 对标验收 checkpoints and gives
    tasks.  Returns each commitment's checkpoints and the last acceptance due date."""
    checkpoints = {
        c.id: session.scalars(
            select(CheckpointRow)
            .where(CheckpointRow.commitment_id == c.id)
            .order_by(CheckpointRow.id)
        ).all()
        for c in made
    }
    first_due = max(cps[0].due_on for cps in checkpoints.values())
    begin_write(session)
    report = monitoring_service.run_monitor(session, first_due, calendar)
    session.commit()
    ctx.console.print(report.text(ctx.lang))
    for c in made:
        session.refresh(c)
    return checkpoints, first_due


def _inspect_acceptance(
    session: Any,
    regulator: Actor,
    made: list[CommitmentRow],
    checkpoints: dict[int, Any],
    first_due: date,
    calendar: Any,
) -> None:
    """对标验收: the first project meets its standards, the second builds 25 % short of the
    investment."""
    for i, c in enumerate(made):
        acceptance = session.get(CheckpointRow, checkpoints[c.id][0].id)
        assert acceptance is not None
        doc = queries_service.document_of(c)
        mu, m2 = doc["plot"]["area_mu"], doc["plot"]["area_m2"]
        terms = {t["key"]: t for t in doc["indicators"]}
        intensity = terms["investment_intensity"]["lower"] * (1.2 if i == 0 else 0.75)
        figures = {
            "fixed_asset_investment": round(intensity * mu, 1),
            "floor_area": round(2.0 * m2, 1),
            "building_footprint": round(0.5 * m2, 1),
            "green_area": round(0.12 * m2, 1),
            "building_height": 36,
        }
        figures = {k: v for k, v in figures.items() if _needed(k, acceptance.keys)}
        begin_write(session)
        inspections_service.record_inspection(
            session,
            regulator,
            acceptance.id,
            figures,
            _evidence("竣工对标验收测绘报告.pdf"),
            max(acceptance.due_on, first_due),
            calendar,
            note="对标验收",
        )
        session.commit()


def _recheck_after_rectification(
    session: Any, regulator: Actor, made: list[CommitmentRow], calendar: Any
) -> None:
    """The second enterprise tops up its investment within the rectification period: re-check
    met."""
    recheck = session.scalar(
        select(CheckpointRow).where(
            CheckpointRow.commitment_id == made[-1].id, CheckpointRow.attempt == 2
        )
    )
    if recheck is not None and len(made) > 1:
        doc = queries_service.document_of(made[-1])
        lower = next(t["lower"] for t in doc["indicators"] if t["key"] == "investment_intensity")
        begin_write(session)
        monitoring_service.run_monitor(session, recheck.due_on, calendar)
        inspections_service.record_inspection(
            session,
            regulator,
            recheck.id,
            {"fixed_asset_investment": round(lower * 1.05 * doc["plot"]["area_mu"], 1)},
            _evidence("整改后固定资产投资审计报告.pdf"),
            recheck.due_on,
            calendar,
            note="整改复查",
        )
        session.commit()


def _review_production(
    session: Any,
    regulator: Actor,
    first: CommitmentRow,
    checkpoints: dict[int, Any],
    calendar: Any,
) -> CheckpointRow | None:
    """达产复核 of the first project, three years on: its results grade it (亩均论英雄)."""
    production = session.get(CheckpointRow, checkpoints[first.id][1].id)
    if production is not None:
        doc = queries_service.document_of(first)
        mu = doc["plot"]["area_mu"]
        begin_write(session)
        monitoring_service.run_monitor(session, production.due_on, calendar)
        inspections_service.record_inspection(
            session,
            regulator,
            production.id,
            {
                "tax": round(42 * mu, 1),
                "value_added": round(160 * mu, 1),
                "energy_tce": round(160 * mu / 3.2, 1),
                "emissions_t": round(160 * mu / 420, 2),
                "rd_spending": 1800,
                "revenue": 45000,
                "employees": 420,
            },
            _evidence("达产复核税收与能耗数据.pdf"),
            production.due_on,
            calendar,
            note="达产复核",
        )
        session.commit()
    return production


def _write_documents(
    ctx: Any, session: Any, first: CommitmentRow, today: date, keys_dir: Any
) -> None:
    """The first commitment's letter and its zone's compliance report, with the grades."""
    letter = ctx.out / "commitment-letter.pdf"
    letter.write_bytes(documents_service.letter_pdf(session, first))
    zone = first.zone_code
    report_path = ctx.out / "compliance-report.pdf"
    report_path.write_bytes(documents_service.compliance_pdf(session, zone, today))
    for g in grading_service.grades(session, zone):
        ctx.console.print(
            ctx.t(
                f"亩均论英雄：{g.enterprise} 得分 {g.score.total:.1f}，{g.score.grade_text('zh')}",
                f"per-mu grading: {g.enterprise} scores {g.score.total:.1f}, {g.score.grade_text('en')}",
            )
        )
    ctx.console.print(
        ctx.t(
            f"已写入 {letter}、{report_path}，企业密钥在 {keys_dir}",
            f"wrote {letter}, {report_path}; the enterprises' keys are in {keys_dir}",
        )
    )


def _print_credit(ctx: Any, session: Any, made: list[CommitmentRow]) -> None:
    """联合奖惩: each enterprise's credit records and the prices its grade gives it."""
    from commitments.services import credit

    admin = Actor("demo", Role.ADMIN, None)
    for c in made:
        view = credit.credit_view(session, admin, c.enterprise_id)
        unrated = ("" if view.grade else "（尚未评级）", "" if view.grade else " (not graded yet)")
        power = view.prices["power"]
        ctx.console.print(
            ctx.t(
                f"信用记录：{view.enterprise.name} {len(view.records)} 条"
                + "".join(f"；{r.description}" for r in view.records)
                + f"。适用 {view.applied_grade} 类价格{unrated[0]}，用电 {power} 元/千瓦时",
                f"credit: {view.enterprise.name} has {len(view.records)} record(s); "
                f"grade {view.applied_grade} prices apply{unrated[1]}, electricity {power} yuan/kWh",
            )
        )


def _needed(figure: str, keys: list[str]) -> bool:
    from commitments.evaluation import DERIVATIONS

    return any(DERIVATIONS.get(k, ("", None, 1))[0] == figure for k in keys)


def _actor(accounts: Any, username: str) -> Actor:
    u = accounts.users[username]
    return Actor(u.username, u.role, u.id, u.department, u.enterprise_id, u.intermediary_id)


def _print_verdicts(ctx: Any, session: Any, made: list[CommitmentRow]) -> None:
    table = Table(
        *ctx.t(
            "承诺书,检查节点,指标,实测,结论,违约处置",
            "commitment,checkpoint,indicator,measured,verdict,consequence",
        ).split(","),
        title=ctx.t("检查结论与违约处置", "verdicts and consequences"),
    )
    for c in made:
        session.refresh(c)
        detail = queries_service.commitment_detail(session, c, ctx.lang)
        for cp in detail["checkpoints"]:
            for v in cp["verdicts"]:
                k = v["consequence"]
                table.add_row(
                    c.number,
                    f"{cp['milestone_name']} #{cp['attempt']}",
                    v["name"],
                    f"{v['value']:.2f}" if v["value"] is not None else "—",
                    Status(v["status"]).text(ctx.lang),
                    (
                        f"{CONSEQUENCE_KINDS[k['code']][1 if ctx.lang == 'en' else 0]} {k['amount_wan']:.1f} 万元"
                        + (
                            ctx.t(
                                f"，{k['deadline']} 前整改后复查",
                                f", re-check after {k['deadline']}",
                            )
                            if k["deadline"]
                            else ""
                        )
                    )
                    if k
                    else "",
                )
    ctx.console.print(table)
    _ = date  # dates print as ISO strings
