"""OGC API – Features, Part 1 Core with GeoJSON, over the standard-plot registry (read-only).

``/ogc`` (landing page), ``/ogc/conformance``, ``/ogc/collections``,
``/ogc/collections/{plots|zones}``, ``…/items`` (``bbox``, ``bbox-crs``, ``limit``, ``offset``,
``datetime``, property filters, ``indicator``) and ``…/items/{code}``, as GIS clients (QGIS,
OWSLib, GDAL's OAPIF driver) expect them: ``application/geo+json`` feature collections with
``numberMatched``, ``numberReturned``, ``timeStamp`` and ``self``/``next``/``prev`` links.

Coordinates are CGCS2000 lon/lat, served as CRS84 (the datums agree to decimetres).  ``limit``
defaults to 10; above 10,000 it is served as 10,000 (the specification's permission); below 1,
or any unknown parameter or malformed value, answers 400 with a problem document.  Writing goes
through ``onetrip plots import``; the lead will guard future write endpoints by role.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
import shapely
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter, QueryParameter
from sqlalchemy.orm import Session

from api.schemas.plots import (
    Collection,
    Collections,
    Conformance,
    Feature,
    FeatureCollection,
    LandingPage,
)
from i18n import Malformed, NotFound
from landplots.features import plot_properties, zone_properties
from landplots.geometry import CRS84
from landplots.services import registry, search

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84_URIS = {CRS84, "http://www.opengis.net/def/crs/OGC/1.3/CRS84h"}
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
TAGS = ["ogc"]

COLLECTIONS: dict[str, dict[str, str]] = {
    "plots": {
        "title": "标准地 Standard plots",
        "description": "出让前已明确控制指标（投资强度、容积率、亩均税收、能耗、排放等）的工业用地。"
        " Industrial land sold with its performance standards fixed in advance.",
    },
    "zones": {
        "title": "片区与区域评价 Zones and regional assessments",
        "description": "已完成区域评价（区域能评、规划环评、防洪、水保、水资源、压覆矿产、地质灾害）的片区。"
        " Zones whose regional assessments are done in advance.",
    },
}
PLOT_FILTERS = ("status", "zone", "land_use")
COMMON_PARAMS = frozenset({"f", "lang"})
ITEMS_PARAMS = frozenset({"bbox", "bbox-crs", "limit", "offset", "datetime", "indicator"})


class ProblemDoc(msgspec.Struct):
    """RFC 9457 problem details."""

    type: str
    status: int
    title: str
    detail: str


def _problem(status: int, description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDoc, description=description, media_type="application/problem+json"
    )


BAD = {
    400: _problem(400, "参数错误 Bad request: unknown or malformed parameter"),
    503: _problem(503, "数据库暂不可用 The database is unavailable; retry"),
}
MISSING = {404: _problem(404, "不存在 Not found")}


def _json(body: Any, media_type: str = JSON) -> Response[Any]:
    # pre-encoded: the geometries are GEOS's GeoJSON spliced in raw (api.schemas.plots describes it)
    return Response(msgspec.json.encode(body), media_type=media_type)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _check_params(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed - COMMON_PARAMS)
    if unknown:
        raise Malformed(
            f"未知参数：{', '.join(unknown)}（可用：{', '.join(sorted(allowed | COMMON_PARAMS))}）",
            f"unknown parameter: {', '.join(unknown)} (allowed: {', '.join(sorted(allowed | COMMON_PARAMS))})",
        )
    f = request.query_params.get("f")
    if f is not None and f.lower() not in ("json", "geojson", "application/json", GEOJSON):
        raise Malformed(f"不支持的格式 f={f}（仅 json）", f"unsupported format f={f} (json only)")


def _collection_doc(base: str, cid: str, session: NamedDependency[Session]) -> dict[str, Any]:
    meta = COLLECTIONS[cid]
    extent = registry.plots_extent(session) if cid == "plots" else registry.zones_extent(session)
    doc: dict[str, Any] = {
        "id": cid,
        "title": meta["title"],
        "description": meta["description"],
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": "http://www.opengis.net/def/crs/EPSG/0/4490",
        "links": [
            {
                "rel": "self",
                "type": JSON,
                "title": meta["title"],
                "href": f"{base}/collections/{cid}",
            },
            {
                "rel": "items",
                "type": GEOJSON,
                "title": meta["title"],
                "href": f"{base}/collections/{cid}/items",
            },
        ],
    }
    if extent is not None:
        doc["extent"] = {
            "spatial": {"bbox": [list(extent)], "crs": CRS84},
            "temporal": {"interval": [[None, None]]},
        }
    return doc


@get(
    ["/ogc", "/ogc/"],
    security=[{}],
    operation_id="ogcLandingPage",
    tags=TAGS,
    summary="OGC API 入口 Landing page",
    sync_to_thread=True,
    responses=BAD,
    include_in_schema=True,
)
def landing_page(request: Request) -> Response[LandingPage]:
    """标准地 OGC API – Features 入口页。Landing page of the OGC API – Features."""
    _check_params(request, frozenset())
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return _json(
        {
            "title": "onetrip 标准地 OGC API – Features",
            "description": "标准地、片区及区域评价（只读）。Standard plots, zones and regional assessments (read-only).",
            "links": [
                {"rel": "self", "type": JSON, "title": "本页 This document", "href": base},
                {
                    "rel": "service-desc",
                    "type": OPENAPI_JSON,
                    "title": "OpenAPI 定义 The API definition",
                    "href": f"{root}/schema/openapi.json",
                },
                {
                    "rel": "service-doc",
                    "type": "text/html",
                    "title": "接口文档 The API documentation",
                    "href": f"{root}/schema",
                },
                {
                    "rel": "conformance",
                    "type": JSON,
                    "title": "符合的标准 Conformance classes",
                    "href": f"{base}/conformance",
                },
                {
                    "rel": "data",
                    "type": JSON,
                    "title": "数据集 Collections",
                    "href": f"{base}/collections",
                },
            ],
        }
    )


@get(
    "/ogc/conformance",
    security=[{}],
    operation_id="ogcConformance",
    tags=TAGS,
    summary="符合的标准 Conformance declaration",
    sync_to_thread=True,
    responses=BAD,
)
def conformance(request: Request) -> Response[Conformance]:
    """Conformance classes: Core, GeoJSON, OpenAPI 3.0."""
    _check_params(request, frozenset())
    return _json({"conformsTo": CONFORMANCE})


@get(
    "/ogc/collections",
    security=[{}],
    operation_id="ogcCollections",
    tags=TAGS,
    summary="数据集 Feature collections",
    sync_to_thread=True,
    responses=BAD,
)
def collections(request: Request, session: NamedDependency[Session]) -> Response[Collections]:
    """The collections: ``plots`` and ``zones``."""
    _check_params(request, frozenset())
    base = _base(request)
    return _json(
        {
            "links": [{"rel": "self", "type": JSON, "href": f"{base}/collections"}],
            "collections": [_collection_doc(base, cid, session) for cid in COLLECTIONS],
        }
    )


def _collection_id(collection_id: FromPath[str]) -> str:
    if collection_id not in COLLECTIONS:
        raise NotFound(
            f"没有数据集 '{collection_id}'（有：{', '.join(COLLECTIONS)}）",
            f"no collection '{collection_id}' (there are: {', '.join(COLLECTIONS)})",
        )
    return collection_id


@get(
    "/ogc/collections/{collection_id:str}",
    security=[{}],
    operation_id="ogcCollection",
    tags=TAGS,
    summary="数据集描述 Collection",
    sync_to_thread=True,
    responses={**BAD, **MISSING},
)
def collection(
    request: Request, session: NamedDependency[Session], collection_id: FromPath[str]
) -> Response[Collection]:
    """One collection's description, with its extent."""
    _check_params(request, frozenset())
    return _json(_collection_doc(_base(request), _collection_id(collection_id), session))


def _parse_bbox(bbox: str | None, bbox_crs: str | None) -> tuple[float, float, float, float] | None:
    if bbox_crs is not None and bbox_crs not in CRS84_URIS:
        raise Malformed(
            f"bbox-crs 仅支持 {CRS84}", f"bbox-crs: only {CRS84} is supported (got {bbox_crs})"
        )
    if bbox is None:
        return None
    try:
        nums = [float(x) for x in bbox.split(",")]
    except ValueError:
        nums = []
    if len(nums) not in (4, 6) or not all(math.isfinite(x) for x in nums):
        raise Malformed(
            f"bbox 应为 4 个（或 6 个）以逗号分隔的数字：经度,纬度,经度,纬度（收到 '{bbox}'）",
            f"bbox must be 4 (or 6) comma-separated numbers lon,lat,lon,lat (got '{bbox}')",
        )
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    minx, miny, maxx, maxy = nums
    if (
        miny > maxy
        or not (-90 <= miny <= 90 and -90 <= maxy <= 90)
        or not (-180 <= minx <= 180 and -180 <= maxx <= 180)
    ):
        raise Malformed(
            f"bbox 无效：'{bbox}'（顺序为 经度,纬度,经度,纬度，南 ≤ 北）",
            f"invalid bbox '{bbox}' (order lon,lat,lon,lat with south ≤ north)",
        )
    return (minx, miny, maxx, maxy)


def _parse_limit(limit: int | None, offset: int | None) -> tuple[int, int]:
    if limit is not None and limit < 1:
        raise Malformed(f"limit 应为 1 到 {MAX_LIMIT}", f"limit must be 1 to {MAX_LIMIT}")
    if offset is not None and offset < 0:
        raise Malformed("offset 不能为负", "offset must not be negative")
    return min(limit or DEFAULT_LIMIT, MAX_LIMIT), offset or 0


def _check_datetime(value: str | None) -> None:
    """Features here carry no time: any well-formed ``datetime`` matches every feature."""
    if value is None:
        return
    for part in value.split("/"):
        if part in ("", ".."):
            continue
        try:
            datetime.fromisoformat(part.replace("Z", "+00:00"))
        except ValueError:
            raise Malformed(
                f"datetime 格式错误：'{value}'（RFC 3339）",
                f"malformed datetime '{value}' (RFC 3339)",
            ) from None


def _links(
    request: Request, base: str, cid: str, matched: int, returned: int, limit: int, offset: int
) -> list[dict[str, Any]]:
    url = f"{base}/collections/{cid}/items"
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]

    def href(off: int) -> str:
        return f"{url}?{urlencode([*params, ('limit', str(limit)), ('offset', str(off))])}"

    links = [
        {"rel": "self", "type": GEOJSON, "title": "本页 This page", "href": href(offset)},
        {
            "rel": "collection",
            "type": JSON,
            "title": COLLECTIONS[cid]["title"],
            "href": f"{base}/collections/{cid}",
        },
    ]
    if offset + returned < matched:
        links.append(
            {
                "rel": "next",
                "type": GEOJSON,
                "title": "下一页 Next page",
                "href": href(offset + limit),
            }
        )
    if offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": GEOJSON,
                "title": "上一页 Previous page",
                "href": href(max(offset - limit, 0)),
            }
        )
    return links


def _lang(request: Request) -> str:
    from api.errors import request_lang

    return request_lang(request)


def _features(items: list[tuple[str, Any, dict[str, Any]]], base: str, cid: str) -> list[Any]:
    """GeoJSON features with geometries serialised by GEOS (vectorised) and spliced in raw."""
    if not items:
        return []
    geoms = shapely.to_geojson([g for _, g, _ in items])
    return [
        {
            "type": "Feature",
            "id": code,
            "geometry": msgspec.Raw(g.encode()),
            "properties": props,
            "links": [
                {"rel": "self", "type": GEOJSON, "href": f"{base}/collections/{cid}/items/{code}"}
            ],
        }
        for (code, _, props), g in zip(items, geoms, strict=True)
    ]


@get(
    "/ogc/collections/{collection_id:str}/items",
    security=[{}],
    operation_id="ogcItems",
    tags=TAGS,
    summary="要素 Features",
    sync_to_thread=True,
    media_type=GEOJSON,
    responses={**BAD, **MISSING},
)
def items(
    request: Request,
    session: NamedDependency[Session],
    collection_id: FromPath[str],
    bbox: Annotated[
        str | None,
        Parameter(description="经度,纬度,经度,纬度 minLon,minLat,maxLon,maxLat (CRS84)"),
    ] = None,
    bbox_crs: Annotated[
        str | None, QueryParameter(name="bbox-crs", description=f"仅 only {CRS84}")
    ] = None,
    limit: Annotated[
        int | None, Parameter(description=f"1–{MAX_LIMIT}, default {DEFAULT_LIMIT}")
    ] = None,
    offset: Annotated[int | None, Parameter(description="起始位置 start position (0…)")] = None,
    datetime_: Annotated[
        str | None, QueryParameter(name="datetime", description="RFC 3339 instant or interval")
    ] = None,
    status: Annotated[
        str | None, Parameter(description="plots: 状态 status (挂牌 / listed …)")
    ] = None,
    zone: Annotated[str | None, Parameter(description="plots: 片区编码 zone code")] = None,
    land_use: Annotated[str | None, Parameter(description="plots: 用地性质 land use")] = None,
    indicator: Annotated[
        list[str] | None,
        Parameter(description="plots: 指标条件 indicator condition, e.g. tax_per_mu.lower>=25"),
    ] = None,
) -> Response[FeatureCollection]:
    """Features of a collection, filtered by bbox and properties, a page at a time."""
    cid = _collection_id(collection_id)
    filters = frozenset(PLOT_FILTERS) if cid == "plots" else frozenset()
    _check_params(
        request, ITEMS_PARAMS | filters | ({"indicator"} if cid == "plots" else frozenset())
    )
    box = _parse_bbox(bbox, bbox_crs)
    page_size, start = _parse_limit(limit, offset)
    _check_datetime(datetime_)
    base = _base(request)
    lang = _lang(request)
    if cid == "plots":
        q = search.PlotQuery(
            bbox=box,
            status=search.parse_statuses([status]) if status else (),
            zone=zone,
            land_use=land_use,
            indicators=tuple(search.IndicatorFilter.parse(x) for x in indicator or ()),
            limit=page_size,
            offset=start,
        )
        plots, matched = search.find_plots(session, q)
        rows = [(p.code, p.geometry, plot_properties(p, lang)) for p in plots]
    else:
        if indicator:
            raise Malformed("zones 不支持 indicator 参数", "zones take no indicator parameter")
        zones, matched = search.search_zones(session, bbox=box, limit=page_size, offset=start)
        rows = [(z.code, z.geometry, zone_properties(z, lang)) for z in zones]
    body = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(rows),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": _links(request, base, cid, matched, len(rows), page_size, start),
        "features": _features(rows, base, cid),
    }
    return _json(body, GEOJSON)


@get(
    "/ogc/collections/{collection_id:str}/items/{feature_id:str}",
    security=[{}],
    operation_id="ogcItem",
    tags=TAGS,
    summary="单个要素 Feature",
    sync_to_thread=True,
    media_type=GEOJSON,
    responses={**BAD, **MISSING},
)
def item(
    request: Request,
    session: NamedDependency[Session],
    collection_id: FromPath[str],
    feature_id: FromPath[str],
) -> Response[Feature]:
    """One feature by its code."""
    cid = _collection_id(collection_id)
    _check_params(request, frozenset())
    base = _base(request)
    lang = _lang(request)
    if cid == "plots":
        p = registry.get_plot(session, feature_id)
        row = (p.code, p.geometry, plot_properties(p, lang))
    else:
        z = registry.get_zone(session, feature_id)
        row = (z.code, z.geometry, zone_properties(z, lang))
    feature = _features([row], base, cid)[0]
    feature["links"] = [
        {"rel": "self", "type": GEOJSON, "href": f"{base}/collections/{cid}/items/{row[0]}"},
        {"rel": "collection", "type": JSON, "href": f"{base}/collections/{cid}"},
    ]
    return _json(feature, GEOJSON)


ROUTES = [landing_page, conformance, collections, collection, items, item]
