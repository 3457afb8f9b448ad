"""好差评 on the pages: the enterprise sees the ratings it gave on its project page; the
administration sees, per department and per item, how many ratings of each grade (1 非常不满意 …
5 非常满意), their average, and the comments."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from access.policy import Action, roles_for
from api.clock import Clock
from api.pages.audit_view import local_time
from api.pages.layout import context, department_name, department_names, page_lang, require_user
from approvals.orm import ProjectRow, RatingRow, StepRow
from approvals.services import ratings

RATING_LABELS_EN = {
    1: "very dissatisfied",
    2: "dissatisfied",
    3: "acceptable",
    4: "satisfied",
    5: "very satisfied",
}


def label(score: int, lang: str) -> str:
    return RATING_LABELS_EN[score] if lang == "en" else ratings.RATING_LABELS[score]


def project_ratings(session: Session, project: ProjectRow, lang: str) -> list[dict[str, Any]]:
    """The ratings given on a project, oldest first (for its page); the steps' names from the
    project's steps, already loaded."""
    steps = {s.code: s for s in project.steps}
    rows = session.scalars(
        select(RatingRow).where(RatingRow.project_id == project.id).order_by(RatingRow.id)
    )
    out = []
    for r in rows:
        step = steps.get(r.step_code)
        name, name_en = (step.name, step.name_en) if step is not None else (None, None)
        out.append(
            {
                "step": r.step_code,
                "name": (name_en or name) if lang == "en" else (name or ""),
                "score": r.score,
                "label": label(r.score, lang),
                "comment": r.comment,
                "rated_at": local_time(r.rated_at),
            }
        )
    return out


def _bucket() -> dict[str, Any]:
    return {"counts": {g: 0 for g in range(1, 6)}, "total": 0, "sum": 0, "comments": []}


def _finish(b: dict[str, Any]) -> dict[str, Any]:
    b["average"] = round(b["sum"] / b["total"], 2) if b["total"] else None
    b["counts"] = [b["counts"][g] for g in range(1, 6)]
    return b


def rating_statistics(session: Session, lang: str, limit: int = 50_000) -> dict[str, Any]:
    """Counts by grade, average and comments per department and per item."""
    names = department_names(session)
    rows = session.execute(
        select(RatingRow, StepRow.name, StepRow.name_en, ProjectRow.code)
        .join(ProjectRow, ProjectRow.id == RatingRow.project_id)
        .outerjoin(
            StepRow,
            and_(StepRow.project_id == RatingRow.project_id, StepRow.code == RatingRow.step_code),
        )
        .order_by(RatingRow.id.desc())
        .limit(limit)
    ).all()
    by_dept: dict[str, dict[str, Any]] = {}
    by_item: dict[str, dict[str, Any]] = {}
    for r, name, name_en, project_code in rows:
        item_name = (name_en or name) if lang == "en" else (name or "")
        targets = [
            by_dept.setdefault(d, {**_bucket(), "key": d, "name": department_name(names, d, lang)})
            for d in r.departments or []
        ]
        targets.append(
            by_item.setdefault(r.step_code, {**_bucket(), "key": r.step_code, "name": item_name})
        )
        for b in targets:
            b["counts"][r.score] += 1
            b["total"] += 1
            b["sum"] += r.score
            if r.comment and len(b["comments"]) < 20:
                b["comments"].append(
                    {
                        "project": project_code,
                        "score": r.score,
                        "text": r.comment,
                        "at": local_time(r.rated_at),
                    }
                )
    return {
        "departments": [_finish(b) for _, b in sorted(by_dept.items())],
        "items": [_finish(b) for _, b in sorted(by_item.items())],
        "total": len(rows),
    }


@get("/admin/ratings", include_in_schema=False, sync_to_thread=True)
def admin_ratings(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.STATS_READ))
    lang = page_lang(request)
    return Template(
        "admin_ratings.html",
        context=context(
            request,
            session,
            clock,
            stats=rating_statistics(session, lang),
            grades=[(g, label(g, lang)) for g in range(1, 6)],
        ),
    )


ROUTES = [admin_ratings]
