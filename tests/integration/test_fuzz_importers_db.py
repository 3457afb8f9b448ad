"""Property-based fuzzing of the importers that write (plots, uploads), on a real database:
hostile input never crashes them and never leaves a partial write."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.errors import ApprovalsError
from approvals.orm import BlobRow, MaterialRow, ProjectRow
from approvals.samples import sample_project_doc
from approvals.service import work_calendar
from approvals.services import filing, materials, queries
from landplots.errors import LandplotsError
from landplots.orm import PlotRow
from landplots.services.importing import import_file

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
coords = st.floats(min_value=119.0, max_value=122.0, allow_nan=False) | st.floats(
    allow_nan=True, allow_infinity=True
)
lats = st.floats(min_value=29.0, max_value=31.0, allow_nan=False)
ring = st.lists(st.tuples(coords, lats), min_size=0, max_size=6).map(
    lambda pts: [list(p) for p in pts] + ([list(pts[0])] if pts else [])
)
geometry = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("Polygon"), "coordinates": st.lists(ring, min_size=0, max_size=2)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Point", "LineString", "Nonsense"]),
            "coordinates": st.just([120.1, 30.2]),
        }
    ),
    st.none(),
)
values = (
    st.none()
    | st.booleans()
    | st.integers(-5, 500)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
)
properties = st.fixed_dictionaries(
    {
        "code": st.sampled_from(["P1", "P2", "P1", "", "计划地块"]) | st.integers(),
        "name": st.text(max_size=6),
    },
    optional={
        "status": st.sampled_from(["挂牌", "listed", "bogus", ""]),
        "tax_per_mu": values,
        "plot_ratio_lo": values,
        "plot_ratio_hi": values,
        "tax_u": st.sampled_from(["万元/亩·年", "lightyears", ""]),
        "indicators": values,
    },
)
features = st.lists(
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "geometry": geometry, "properties": properties}
    ),
    max_size=4,
)


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(PlotRow)) or 0


@given(features)
@SETTINGS
def test_plot_importer_never_crashes_nor_writes_half(session, tmp_path_factory, feats):
    before = _count(session)
    path = Path(tmp_path_factory.mktemp("fuzz")) / "plots.geojson"
    path.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": feats}, ensure_ascii=False, allow_nan=True
        ),
        "utf-8",
    )
    try:
        summary = import_file(session, path)
    except LandplotsError:
        session.rollback()
        assert _count(session) == before  # refused: the registry is exactly as it was
        return
    session.commit()
    assert _count(session) >= before and summary.plots >= 0


@given(
    st.binary(max_size=256),
    st.text(max_size=40),
    st.sampled_from(["M-filing-form", "M-nothing", "", "../x"]),
)
@SETTINGS
def test_upload_importer_never_crashes_nor_writes_half(session, data, filename, code):
    accounts = seed_demo_accounts(session)
    owner = accounts.users["enterprise1"]
    actor = Actor(owner.username, "enterprise", owner.id, enterprise_id=owner.enterprise_id)
    project = queries.get_project(session, actor, _project(session, actor).id)
    before = (
        session.scalar(select(func.count()).select_from(MaterialRow)),
        session.scalar(select(func.count()).select_from(BlobRow)),
    )
    try:
        materials.upload_material(
            session,
            actor,
            project.id,
            code,
            filename,
            data,
            date(2026, 3, 2),
            work_calendar(session),
        )
    except ApprovalsError:
        session.rollback()
        after = (
            session.scalar(select(func.count()).select_from(MaterialRow)),
            session.scalar(select(func.count()).select_from(BlobRow)),
        )
        assert after == before
        return
    session.commit()


def _project(session, actor):
    existing = session.scalar(
        select(ProjectRow).where(ProjectRow.enterprise_id == actor.enterprise_id)
    )
    if existing is not None:
        return existing
    doc = sample_project_doc()
    p = filing.file_project(
        session,
        actor,
        work_calendar(session),
        name="上传模糊测试",
        attributes=doc["attributes"],
        regional_assessments=doc["regional_assessments"],
        filed_on=date(2026, 3, 2),
    )
    session.commit()
    return p
