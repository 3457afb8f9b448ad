"""Drafting the 承诺书: the zone's policy (checkpoint rules, tolerances, consequence ladder) and
the commitment drafted from the project's plot and data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from approvals.calendar import WorkCalendar
from approvals.orm import EnterpriseRow, ProjectRow
from commitments.canonical import FORMAT_VERSION, canonical_bytes, sha256_hex
from commitments.errors import CommitmentAccessDenied, CommitmentNotFound, CommitmentStateError
from commitments.grading import DEFAULT_GRADING, GradingPolicy
from commitments.model import COMPLETION_STEPS, DEFAULT_POLICY, DOCUMENT_TYPE, IndicatorTerm, Policy
from commitments.orm import CommitmentRow, PolicyRow, TermRow
from commitments.services.queries import production_start, project_completion
from storage.audit import record
from storage.base import utcnow

# --- zone policies -------------------------------------------------------------------------------


def zone_policy(session: Session, zone_code: str) -> tuple[Policy, GradingPolicy]:
    """The zone's commitment and grading policies (the defaults where none is set)."""
    row = session.get(PolicyRow, zone_code)
    if row is None:
        return DEFAULT_POLICY, DEFAULT_GRADING
    return (
        Policy.from_dict(row.policy, f"zone {zone_code} policy"),
        GradingPolicy.from_dict(row.grading, f"zone {zone_code} grading"),
    )


def set_zone_policy(
    session: Session,
    actor: Actor,
    zone_code: str,
    policy: Mapping[str, Any] | None,
    grading: Mapping[str, Any] | None = None,
) -> PolicyRow:
    """Set a zone's policies (administrators).  Commitments already drafted keep the policy
    written into them.

    Raises
    ------
    PolicyError
        Naming the malformed field.
    """
    if not can(actor, Action.COMPLIANCE_MANAGE):
        raise CommitmentAccessDenied(
            "只有管理员可以设置片区规则", "only administrators set zone policies"
        )
    from landplots.services.registry import get_zone

    get_zone(session, zone_code)
    p = Policy.from_dict(policy or {}, "policy")
    g = GradingPolicy.from_dict(grading or {}, "grading")
    row = session.get(PolicyRow, zone_code)
    if row is None:
        row = PolicyRow(
            zone_code=zone_code, policy=p.to_dict(), grading=g.to_dict(), updated_by=actor.username
        )
        session.add(row)
    else:
        row.policy, row.grading, row.updated_by, row.updated_at = (
            p.to_dict(),
            g.to_dict(),
            actor.username,
            utcnow(),
        )
    session.flush()
    return row


def _planned(key: str, project: ProjectRow, area_mu: float, area_m2: float) -> float | None:
    a = project.attributes or {}
    try:
        if key == "investment_intensity" and a.get("investment"):
            return round(float(a["investment"]) / area_mu, 2)
        if key == "plot_ratio" and a.get("building_area"):
            return round(float(a["building_area"]) / area_m2, 2)
    except (TypeError, ValueError):
        return None
    return None


def _land_price(project: ProjectRow, area_mu: float, policy: Policy) -> float:
    for source in (project.form or {}, project.attributes or {}):
        if source.get("land_price") is not None:
            try:
                return round(float(source["land_price"]), 2)
            except (TypeError, ValueError):
                break
    return round(area_mu * policy.land_price_per_mu, 2)


def _number(session: Session, today: date) -> str:
    prefix = f"CN-{today.year}-"
    n = session.scalar(
        select(func.count())
        .select_from(CommitmentRow)
        .where(CommitmentRow.number.like(prefix + "%"))
    )
    return f"{prefix}{(n or 0) + 1:06d}"


def create_commitment(
    session: Session, actor: Actor, project_id: int, today: date, calendar: WorkCalendar
) -> CommitmentRow:
    """Draft the project's commitment (承诺书) from its plot and its data.

    The document (canonical JSON, :data:`~commitments.model.DOCUMENT_TYPE`) names the project,
    the enterprise, the plot (area in 亩 from the registry, zone), the land price, each
    indicator term (bounds, milestone, tolerance, planned figure), the checkpoint rules, the
    consequence ladder, and the approvals it replaces (``reduced_to_commitment``).

    Raises
    ------
    CommitmentAccessDenied
        The actor is not the project's enterprise nor an administrator.
    CommitmentStateError
        The project already has a commitment, or names no standard plot.
    """
    from landplots.services.registry import get_plot, zone_of_plot

    project = _draftable_project(session, actor, project_id)
    plot = get_plot(session, project.plot_code)
    zone = zone_of_plot(session, plot)
    zone_code = zone.code if zone else plot.zone
    policy, _ = zone_policy(session, zone_code)
    enterprise = session.get(EnterpriseRow, project.enterprise_id)
    assert enterprise is not None
    terms = _terms(project, plot, policy)
    number = _number(session, today)
    document = _document(
        number,
        today,
        project,
        enterprise,
        plot,
        (zone_code, zone.name if zone else ""),
        policy,
        terms,
        project_completion(session, project, calendar),
    )
    return _store(session, actor, project, plot.code, zone_code, document, terms)


def _draftable_project(session: Session, actor: Actor, project_id: int) -> ProjectRow:
    """The project a commitment may be drafted for: visible to the actor, on a standard plot,
    without a commitment yet."""
    from approvals.errors import NotFoundError as ProjectNotFound
    from approvals.services.queries import get_project

    if not can(actor, Action.COMMITMENT_DRAFT):
        raise CommitmentAccessDenied(
            "只有项目单位或管理员可以起草承诺书",
            "only the project's enterprise or an administrator may draft a commitment",
        )
    try:
        project = get_project(session, actor, project_id)
    except ProjectNotFound:
        raise CommitmentNotFound(
            f"项目 {project_id} 不存在", f"project {project_id} not found"
        ) from None
    if session.scalar(select(CommitmentRow.id).where(CommitmentRow.project_id == project.id)):
        raise CommitmentStateError(
            f"项目 {project.code} 已有承诺书", f"project {project.code} already has a commitment"
        )
    if project.status in {"rejected", "refused"}:
        raise CommitmentStateError(
            f"项目 {project.code} 已被作出不予许可或不予受理决定，不能起草承诺书",
            f"project {project.code} was refused; no commitment can be drafted for it",
        )
    if not project.plot_code:
        raise CommitmentStateError(
            f"项目 {project.code} 未选定标准地，无法生成承诺书",
            f"project {project.code} names no standard plot; a commitment is made from the plot's indicators",
        )
    return project


def _terms(project: ProjectRow, plot: Any, policy: Policy) -> list[IndicatorTerm]:
    """The plot's indicators as the commitment's terms, with the zone's tolerances and the
    project's planned figures."""
    from landplots.indicators import STANDARD

    return [
        IndicatorTerm(
            key=i.key,
            name=i.name,
            unit=i.unit,
            lower=i.lower,
            upper=i.upper,
            milestone=i.milestone,
            tolerance=policy.tolerance_for(i.key),
            name_en=STANDARD[i.key].name_en if i.key in STANDARD else "",
            planned=_planned(i.key, project, plot.area_mu, plot.area_m2),
        )
        for i in plot.indicators
    ]


def _document(
    number: str,
    today: date,
    project: ProjectRow,
    enterprise: EnterpriseRow,
    plot: Any,
    zone: tuple[str, str],
    policy: Policy,
    terms: list[IndicatorTerm],
    completion: tuple[date, str],
) -> dict[str, Any]:
    """The 承诺书 as a document (before canonicalisation); ``zone`` is (code, name),
    ``completion`` the project's completion and its basis (actual or forecast)."""
    zone_code, zone_name = zone
    completed_on, basis = completion
    replaces = [
        {"code": r.get("code"), "name": r.get("name"), "reason": r.get("reason", "")}
        for r in (project.baseline or {}).get("reduced_to_commitment", [])
    ]
    return {
        "type": DOCUMENT_TYPE,
        "v": FORMAT_VERSION,
        "number": number,
        "issued_on": today.isoformat(),
        "project": {"id": project.id, "code": project.code, "name": project.name},
        "enterprise": {
            "id": enterprise.id,
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
        },
        "plot": {
            "code": plot.code,
            "name": plot.name,
            "zone": zone_code,
            "zone_name": zone_name,
            "land_use": plot.land_use,
            "area_mu": round(plot.area_mu, 2),
            "area_m2": round(plot.area_m2, 1),
        },
        "land_price_wan": _land_price(project, plot.area_mu, policy),
        "indicators": [t.to_dict() for t in terms],
        "checkpoints": {
            "acceptance": {
                "rule": f"竣工验收备案（{'/'.join(COMPLETION_STEPS)}）后第 {policy.acceptance_workdays} 个工作日",
                "workdays_after_completion": policy.acceptance_workdays,
            },
            "production": {
                "rule": f"投产后 {policy.production_years} 年（未约定投产日期的，自竣工验收备案之日起算）",
                "years_after_production_start": policy.production_years,
                "production_start": production_start(project, completed_on).isoformat()
                if (project.attributes or {}).get("production_start")
                else None,
            },
            "grace_workdays": policy.grace_workdays,
            "completion_basis": basis,
        },
        "consequences": [r.to_dict() for r in policy.ladder],
        "replaces": replaces,
        "statement": (
            f"本企业承诺在标准地 {plot.code} 上建设的项目 {project.name} 达到上列控制指标，"
            "接受对标验收和达产复核；未达标的，按上列违约责任承担后果。"
        ),
    }


def _store(
    session: Session,
    actor: Actor,
    project: ProjectRow,
    plot_code: str,
    zone_code: str,
    document: dict[str, Any],
    terms: list[IndicatorTerm],
) -> CommitmentRow:
    """The draft's row (its canonical bytes and their hash) and its terms' rows, audited."""
    body = canonical_bytes(document)
    row = CommitmentRow(
        number=document["number"],
        project_id=project.id,
        enterprise_id=project.enterprise_id,
        plot_code=plot_code,
        zone_code=zone_code,
        status="draft",
        document=body.decode(),
        document_sha256=sha256_hex(body),
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    for t in terms:
        session.add(
            TermRow(
                commitment_id=row.id,
                key=t.key,
                name=t.name,
                name_en=t.name_en,
                unit=t.unit,
                lower=t.lower,
                upper=t.upper,
                milestone=t.milestone.value,
                tolerance=t.tolerance,
                planned=t.planned,
            )
        )
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.draft",
        entity="commitment",
        entity_id=row.id,
        project_id=project.id,
        after={"number": row.number, "sha256": row.document_sha256, "plot": plot_code},
    )
    return row
