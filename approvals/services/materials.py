"""Materials (一次采集、多方复用): an upload stored once for every item that needs it, supplying
any deferred (容缺) material of its code; and the enterprise's answer to a 补正."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import BlobRow, CorrectionRow, DeferralRow, MaterialRow, ProjectRow, TaskRow
from approvals.services import capacity, notices
from approvals.services.common import apply_clock, require_supplier, task_clock, task_snapshot
from approvals.services.progress import replan, roll_up
from approvals.services.queries import (
    get_project,
    planned_certificates,
    project_catalogue,
    required_materials,
)
from storage.audit import record

#: Upload limits (bytes) and the file types accepted, recognised by their first bytes.
MAX_MATERIAL_BYTES = 20 * 1024 * 1024
FILE_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),  # OFD, DOCX and XLSX are ZIP containers
]


def sniff_content_type(data: bytes) -> str | None:
    for signature, content_type in FILE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def safe_filename(filename: str) -> str:
    """The file's name, refused when it tries to name a path (traversal) or hides control bytes."""
    name = (filename or "").strip()
    if (
        not name
        or len(name) > 200
        or name in {".", ".."}
        or any(c in name for c in "/\\\x00")
        or any(ord(c) < 32 for c in name)
    ):
        raise ProjectError(
            f"文件名 '{filename[:80]}' 不合法（不得包含路径或控制字符）",
            f"file name '{filename[:80]}' is not allowed (no paths or control characters)",
        )
    return name


def checked_file(code: str, filename: str, data: bytes) -> tuple[str, str]:
    """The file's safe name and content type; refused when empty, too large or of a type not
    accepted (recognised by its first bytes, not its name)."""
    name = safe_filename(filename)
    if not data:
        raise ProjectError(f"材料 {code}：文件为空", f"material {code}: the file is empty")
    if len(data) > MAX_MATERIAL_BYTES:
        raise ProjectError(
            f"材料 {code}：文件超过 {MAX_MATERIAL_BYTES // (1024 * 1024)} MB",
            f"material {code}: larger than {MAX_MATERIAL_BYTES // (1024 * 1024)} MB",
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        raise ProjectError(
            f"材料 {code}：不支持的文件类型（接受 PDF、PNG、JPEG、TIFF、OFD/ZIP）",
            f"material {code}: file type not accepted (PDF, PNG, JPEG, TIFF, OFD/ZIP)",
        )
    return name, content_type


def store_file(
    session: Session,
    project_id: int,
    code: str,
    name: str,
    content_type: str,
    data: bytes,
    uploaded_by: str,
) -> tuple[MaterialRow, list[MaterialRow]]:
    """Store a file once by its hash as the project's current material ``code``; returns the new
    row and the ones it replaced (no longer current)."""
    sha = hashlib.sha256(data).hexdigest()
    if session.get(BlobRow, sha) is None:
        session.add(BlobRow(sha256=sha, size=len(data), content=data))
    previous = session.scalars(
        select(MaterialRow).where(
            MaterialRow.project_id == project_id,
            MaterialRow.code == code,
            MaterialRow.current.is_(True),
        )
    ).all()
    for p in previous:
        p.current = False
    row = MaterialRow(
        project_id=project_id,
        code=code,
        sha256=sha,
        filename=name,
        content_type=content_type,
        size=len(data),
        uploaded_by=uploaded_by,
    )
    session.add(row)
    return row, list(previous)


def _checked_upload(
    session: Session, project: ProjectRow, code: str, filename: str, data: bytes
) -> tuple[str, str]:
    """The upload's safe name and content type; refused when empty, too large, of a type not
    accepted, or of a code no planned item needs."""
    name, content_type = checked_file(code, filename, data)
    catalogue = project_catalogue(session, project)
    outline = [(s.code, s.requires, s.items) for s in project.steps]  # the steps read below too
    issuer = planned_certificates(catalogue, outline).get(code)
    if issuer is not None:
        raise ProjectError(
            f"材料 {code} 由前序事项 {issuer} 核发，系统自动共享，无需上传",
            f"material {code} is issued by the earlier item {issuer} and passed on: no upload",
        )
    needed = {
        m.code for s in project.steps for m in required_materials(catalogue, s, project.attributes)
    }
    if code not in needed:
        raise ProjectError(
            f"本项目的事项不需要材料 '{code}'",
            f"no planned item of this project needs material '{code}'",
        )
    return name, content_type


def _supply_deferrals(session: Session, project: ProjectRow, code: str, on: date) -> int:
    """Mark supplied every open deferral (容缺) of the material; how many there were."""
    supplied = session.scalars(
        select(DeferralRow)
        .join(TaskRow)
        .where(
            TaskRow.project_id == project.id,
            DeferralRow.material_code == code,
            DeferralRow.supplied_on.is_(None),
        )
    ).all()
    for d in supplied:
        d.supplied_on = on
    return len(supplied)


def upload_material(
    session: Session,
    actor: Actor,
    project_id: int,
    code: str,
    filename: str,
    data: bytes,
    on: date,
    calendar: WorkCalendar,
) -> MaterialRow:
    """Store a material once (by its hash) for every item that needs it.  Supplies any deferred
    (容缺) material of that code.

    Raises
    ------
    ProjectError
        Too large, empty, of a type not accepted (checked by content, not by name), a name with a
        path in it, or a code no planned item needs.
    """
    project = get_project(session, actor, project_id, lock=True)
    require_supplier(actor, project)
    name, content_type = _checked_upload(session, project, code, filename, data)
    row, previous = store_file(session, project.id, code, name, content_type, data, actor.username)
    sha = row.sha256
    supplied = _supply_deferrals(session, project, code, on)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="material.upload",
        entity="material",
        entity_id=row.id,
        project_id=project.id,
        before={"sha256": previous[-1].sha256} if previous else None,
        after={
            "code": code,
            "sha256": sha,
            "size": len(data),
            "filename": name,
            "supplied_deferrals": supplied,
        },
    )
    return row


def _stale_corrections(
    session: Session, project: ProjectRow, correction: CorrectionRow
) -> list[str]:
    """The materials a correction request named that were not uploaded again since."""
    stale = []
    for code in correction.material_codes:
        latest = session.scalar(
            select(MaterialRow).where(
                MaterialRow.project_id == project.id,
                MaterialRow.code == code,
                MaterialRow.current.is_(True),
            )
        )
        if latest is None or latest.uploaded_at < correction.requested_at:
            stale.append(code)
    return stale


def resubmit_corrections(
    session: Session, actor: Actor, project_id: int, task_id: int, on: date, calendar: WorkCalendar
) -> TaskRow:
    """The enterprise answers a 补正: every material named must have been uploaded again since the
    request; the task's clock resumes."""
    project = get_project(session, actor, project_id, lock=True)
    require_supplier(actor, project)
    task = session.get(TaskRow, task_id)
    if task is None or task.project_id != project.id:
        raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    if task.status != "corrections":
        raise wf.WorkflowError(
            "该任务没有待补正的通知", "the task has no pending correction request"
        )
    correction = session.scalar(
        select(CorrectionRow)
        .where(CorrectionRow.task_id == task.id, CorrectionRow.resolved_on.is_(None))
        .order_by(CorrectionRow.id.desc())
    )
    assert correction is not None
    stale = _stale_corrections(session, project, correction)
    if stale:
        raise ProjectError(
            f"以下补正材料尚未重新提交：{'、'.join(stale)}",
            f"these materials have not been submitted again since the request: {', '.join(stale)}",
        )
    before = task_snapshot(task)
    apply_clock(task, wf.resume(task_clock(task), on, calendar))
    task.stop_kind = None
    correction.resolved_on = on
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="task.resubmit",
        entity="task",
        entity_id=task.id,
        project_id=project.id,
        before=before,
        after=task_snapshot(task),
    )
    notices.materials_supplied(session, project, task)
    roll_up(session, project, task.step, on)
    replan(
        session,
        project,
        on,
        calendar,
        f"项目单位补正 {task.step.code}，恢复计时",
        f"the enterprise answered the corrections on {task.step.code}; clock resumed",
        subject=task.step.code,
    )
    capacity.after_event(session, on, calendar, f"corrections answered on {task.step.code}")
    return task
