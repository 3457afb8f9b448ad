"""Pages of the plot registry: the map (every role) and the administrator's import with its
validation report."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy.orm import Session

from access.policy import Action, can, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages.files import COMPLIANCE_PATH
from api.pages.layout import context, page_lang, require_user
from i18n import LocalizedError
from landplots.model import PlotStatus
from landplots.services.importing import import_file, import_zones_file
from landplots.services.registry import count_plots
from landplots.services.search import PlotQuery as _PlotQuery
from landplots.services.search import find_plots
from storage.audit import record

STATUS_COLORS = {
    "reserve": "#9e9e9e",
    "listed": "#1565c0",
    "sold": "#6a1b9a",
    "started": "#ef6c00",
    "completed": "#2e7d32",
    "producing": "#00695c",
}
#: The commitments' compliance of every plot, under the page session (api.pages.files).
COMPLIANCE_URL = COMPLIANCE_PATH
#: Compliance colours of the map (as map.js draws them); a breach (未达标) is red.
COMPLIANCE_COLORS = {
    "notMet": "#c62828",
    "overdue": "#6d1b1b",
    "partiallyMet": "#ef6c00",
    "met": "#2e7d32",
    "scheduled": "#1565c0",
    "none": "#9e9e9e",
}
MAX_UPLOAD = 200 * 1024 * 1024


def _status_label(status: Any, lang: str) -> str:
    try:
        return PlotStatus(status).text(lang)
    except ValueError:
        return str(status)


def _compliance_legend(lang: str) -> list[tuple[str, str, str]]:
    from commitments.model import Status

    def name(key: str) -> str:
        if key == "none":
            return "no published commitment" if lang == "en" else "无已公示承诺"
        return Status(key).text(lang)

    return [(k, color, name(k)) for k, color in COMPLIANCE_COLORS.items()]


@get("/map", include_in_schema=False, sync_to_thread=True)
def map_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    lang = page_lang(request)
    plots, _ = find_plots(session, _PlotQuery(limit=10_000))
    # compliance colouring for those who may read every commitment (the JSON answers 403 else)
    compliance_url = COMPLIANCE_URL if can(actor_of(user), Action.COMPLIANCE_READ) else None
    legend = [(k, color, _status_label(k, lang)) for k, color in STATUS_COLORS.items()]
    rows = [
        {
            "code": p.code,
            "name": p.name,
            "status_name": _status_label(p.status, lang),
            "zone": p.zone or "",
            "area_mu": round(p.area_mu, 2),
        }
        for p in plots
    ]
    title = "Standard plots and zones" if lang == "en" else "标准地与片区地图"
    return Template(
        "map.html",
        context=context(
            request,
            session,
            clock,
            map_title=title,
            legend=legend,
            plots=rows,
            compliance_url=compliance_url,
            compliance_legend=_compliance_legend(lang) if compliance_url else [],
        ),
    )


@get("/admin/plots", include_in_schema=False, sync_to_thread=True)
def admin_plots(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.PLOT_MANAGE))
    return _import_page(request, session, clock, None)


def _import_page(
    request: Request[Any, Any, Any], session: Session, clock: Clock, report: dict[str, Any] | None
) -> Template:
    lang = page_lang(request)
    title = "Plot registry import" if lang == "en" else "标准地登记簿导入"
    return Template(
        "admin_plots.html",
        context=context(
            request, session, clock, title=title, count=count_plots(session), report=report
        ),
    )


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    """Extract a zipped Shapefile, refusing members that try to leave the folder (zip slip)."""
    for member in archive.infolist():
        name = PurePosixPath(member.filename)
        if (
            name.is_absolute()
            or ".." in name.parts
            or member.filename.startswith(("/", "\\"))
            or "\\" in member.filename
        ):
            raise ValueError(member.filename)
        if member.file_size > MAX_UPLOAD:
            raise ValueError(member.filename)
    archive.extractall(target)


class _Refused(LocalizedError):
    """An uploaded file refused before it is read (its type, its size, its archive)."""


@post("/admin/plots", include_in_schema=False, sync_to_thread=True)
def admin_plots_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    admin = require_user(request, *roles_for(Action.PLOT_MANAGE))
    lang = page_lang(request)
    upload = data.get("file")
    kind = data.get("kind") or "plots"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(
            request,
            session,
            clock,
            {
                "refused": True,
                "summary": "no file" if lang == "en" else "未选择文件",
                "problems": [],
            },
        )
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    content = upload.file.read(MAX_UPLOAD + 1)
    report: dict[str, Any]
    with tempfile.TemporaryDirectory(prefix="onetrip-import-") as tmp:
        folder = Path(tmp)

        def shown(message: str) -> str:
            """A message as the administrator reads it: the uploaded file's name, never the
            server's temporary folder."""
            return message.replace(str(folder), name).replace(tmp, name)

        try:
            if len(content) > MAX_UPLOAD:
                raise _Refused("文件超过大小上限", "the file is too large")
            if suffix == ".zip":
                import io

                with zipfile.ZipFile(io.BytesIO(content)) as archive:
                    _safe_extract(archive, folder)
                shapefiles = sorted(folder.rglob("*.shp"))
                if not shapefiles:
                    raise _Refused("压缩包中没有 .shp 文件", "no .shp in the archive")
                path = shapefiles[0]
            elif suffix in {".geojson", ".json", ".gpkg"}:
                path = folder / ("upload" + suffix)
                path.write_bytes(content)
            else:
                raise _Refused(
                    f"不支持的文件类型“{suffix or name}”，请上传 GeoJSON、GeoPackage 或压缩的 Shapefile（.zip）",
                    f"unsupported file type {suffix or name}: upload GeoJSON, GeoPackage or a zipped Shapefile",
                )
        except _Refused as e:
            session.rollback()
            what = name if lang == "en" else f"“{name}”"
            msg = (
                f"file {what} refused: {e.text(lang)}"
                if lang == "en"
                else f"文件{what}被拒绝：{e.text(lang)}"
            )
            return _import_page(
                request, session, clock, {"refused": True, "summary": msg, "problems": []}
            )
        except (ValueError, zipfile.BadZipFile):
            session.rollback()
            msg = (
                f"file {name} refused: not a readable archive"
                if lang == "en"
                else f"文件“{name}”被拒绝：压缩包无法读取或含有不安全的路径"
            )
            return _import_page(
                request, session, clock, {"refused": True, "summary": msg, "problems": []}
            )
        try:
            importer = import_zones_file if kind == "zones" else import_file
            summary = importer(session, path, source_name=name)
            record(
                session,
                actor=admin.username,
                role=admin.role,
                action=f"{kind}.import",
                entity="file",
                entity_id=name,
                after={"file": name, "summary": summary.text("zh")},
            )
            session.commit()
            report = {"refused": False, "summary": summary.text(lang), "problems": []}
        except LocalizedError as e:
            session.rollback()
            problems = [
                shown(p(lang) if callable(p) else str(p)) for p in getattr(e, "problems", [])
            ]
            report = {"refused": True, "summary": shown(e.text(lang)), "problems": problems}  # type: ignore[arg-type]
    return _import_page(request, session, clock, report)


ROUTES = [map_page, admin_plots, admin_plots_submit]
