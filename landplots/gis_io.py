"""GIS files in and out (GeoJSON, GeoPackage, Shapefile) through geopandas/pyogrio.

Reading gives GeoDataFrames in EPSG:4490 whatever the file's CRS (:func:`read_layer`);
:mod:`landplots.plot_records` and :mod:`landplots.zone_records` turn them into validated plots
and zones.  Writing lays plots out as one flat table (the same columns in the three formats, Shapefile's 10-character field names
included) and zones with their regional assessments (GeoJSON: nested lists; GeoPackage: a
``zones`` layer and an ``assessments`` table; Shapefile: a ``<name>.zones.json`` sidecar).
Export → import is lossless in all three formats.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from i18n import Text
from landplots import geometry as geo
from landplots.errors import GisFileError, ImportRefused, Problem
from landplots.indicators import STANDARD
from landplots.model import STATUS_LABELS, Zone
from landplots.records import PlotTable

Format = Literal["geojson", "gpkg", "shp"]
FORMATS: dict[Format, str] = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile"}
SUFFIXES: dict[str, Format] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".zip": "shp",
}
PLOTS_LAYER, ZONES_LAYER, ASSESSMENTS_LAYER = "plots", "zones", "assessments"


def format_of(path: str | Path, fmt: str | None = None) -> Format:
    """The format named by ``fmt`` or by the file's suffix.

    Raises
    ------
    GisFileError
        Naming the file when neither tells a supported format.
    """
    if fmt:
        f = fmt.lower().lstrip(".")
        f = {"json": "geojson", "shapefile": "shp", "geopackage": "gpkg"}.get(f, f)
        if f in FORMATS:
            return f  # type: ignore[return-value]
        raise GisFileError(
            f"不支持的格式 '{fmt}'（可选 geojson、gpkg、shp）",
            f"unsupported format '{fmt}' (geojson, gpkg or shp)",
        )
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise GisFileError(
        f"{path}：无法从扩展名判断格式（.geojson、.gpkg、.shp）",
        f"{path}: cannot tell the format from the suffix (.geojson, .gpkg, .shp)",
    )


def layers(path: str | Path) -> list[tuple[str, str | None]]:
    """(name, geometry type) of each layer of a file."""
    try:
        return [(str(n), None if t is None else str(t)) for n, t in pyogrio.list_layers(path)]
    except Exception as e:
        raise GisFileError(f"{path}：无法读取：{e}", f"{path}: cannot read: {e}") from None


def _read(path: Path, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    kwargs: dict[str, Any] = {}
    if layer is not None:
        kwargs["layer"] = layer
    if encoding:
        kwargs["encoding"] = encoding
    elif path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        kwargs["encoding"] = "UTF-8"  # GDAL would assume ISO-8859-1 and garble Chinese
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pyogrio.read_dataframe(path, **kwargs)
        except Exception as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise GisFileError(
                f"{path}：无法读取图层 {layer or ''}：{reason}",
                f"{path}: cannot read layer {layer or ''}: {reason}",
            ) from None


def read_layer(
    path: str | Path, layer: str | None = None, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """A layer of a GIS file with its geometries reprojected to EPSG:4490.

    A file without a CRS is taken as CGCS2000 lon/lat when its coordinates look like it, and
    refused otherwise; CRS84/WGS 84 coordinates are taken as they are (they agree with CGCS2000
    to decimetres).

    Raises
    ------
    GisFileError
        A missing or unreadable file or layer.
    ImportRefused
        No CRS and coordinates that are not lon/lat in China; a CRS that cannot be reprojected.
    """
    p = Path(path)
    if not p.exists():
        raise GisFileError(f"文件不存在：{path}", f"no such file: {path}")
    return _in_storage_crs(_read(p, layer, encoding), path)


def _in_storage_crs(frame: gpd.GeoDataFrame, path: str | Path) -> gpd.GeoDataFrame:
    """``frame`` with its geometries in EPSG:4490 (see :func:`read_layer`)."""
    if frame.crs is None:
        geoms = frame.geometry.to_numpy()
        real = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
        if real.any() and geo.outside_china(geoms[real]).any():
            raise ImportRefused(
                [
                    Problem(
                        str(path),
                        Text(
                            "文件没有坐标系（.prj / crs），且坐标不是中国境内的经纬度：请给出坐标系",
                            "the file has no CRS (.prj / crs) and its coordinates are not "
                            "lon/lat in China: give its CRS",
                        ),
                    )
                ],
                str(path),
            )
        return frame.set_crs(geo.STORAGE_EPSG)
    if geo.is_storage_crs(frame.crs):
        return frame.set_crs(geo.STORAGE_EPSG, allow_override=True)
    try:
        return frame.to_crs(geo.STORAGE_EPSG)
    except Exception as e:
        raise ImportRefused(
            [
                Problem(
                    str(path),
                    Text(
                        f"无法从 {geo.crs_epsg_or_wkt(frame.crs)} 转换到 CGCS2000：{e}",
                        f"cannot reproject from {geo.crs_epsg_or_wkt(frame.crs)} to CGCS2000: {e}",
                    ),
                )
            ],
            str(path),
        ) from None


def read_batches(
    path: str | Path,
    layer: str | None = None,
    encoding: str | None = None,
    batch_size: int = 20_000,
) -> Iterator[gpd.GeoDataFrame]:
    """A layer of a GIS file as frames of at most ``batch_size`` features, in file order, each
    as :func:`read_layer` would give it (EPSG:4490, JSON fields decoded): one streaming pass
    through GDAL's Arrow interface, so that memory follows the batch, not the file.

    Raises as :func:`read_layer`.
    """

    from pyogrio.raw import open_arrow

    p = Path(path)
    if not p.exists():
        raise GisFileError(f"文件不存在：{path}", f"no such file: {path}")
    kwargs: dict[str, Any] = {}
    if layer is not None:
        kwargs["layer"] = layer
    if encoding:
        kwargs["encoding"] = encoding
    elif p.suffix.lower() == ".shp" and not p.with_suffix(".cpg").exists():
        kwargs["encoding"] = "UTF-8"

    def failed(e: Exception) -> GisFileError:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return GisFileError(
            f"{path}：无法读取图层 {layer or ''}：{reason}",
            f"{path}: cannot read layer {layer or ''}: {reason}",
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            opened = open_arrow(p, batch_size=batch_size, use_pyarrow=True, **kwargs)
            meta, reader = opened.__enter__()
        except Exception as e:
            raise failed(e) from None
    try:
        json_fields = [
            str(f)
            for f, sub in zip(meta["fields"], meta["ogr_subtypes"], strict=True)
            if sub == "OFSTJSON"
        ]
        geometry = meta.get("geometry_name") or "wkb_geometry"
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except Exception as e:
                    raise failed(e) from None
            df = batch.drop_columns([geometry]).to_pandas()
            for c in json_fields:  # as pyogrio's read_dataframe: all or none of a column
                if pd.api.types.infer_dtype(df[c]) == "string":
                    with contextlib.suppress(ValueError):
                        df[c] = df[c].map(json.loads, na_action="ignore")
            try:
                geoms = shapely.from_wkb(batch.column(geometry).to_numpy(zero_copy_only=False))
            except Exception as e:  # as read_layer: a geometry GEOS cannot read
                raise failed(e) from None
            frame = gpd.GeoDataFrame(df, geometry=geoms, crs=meta["crs"])
            yield _in_storage_crs(frame, path)
    finally:
        opened.__exit__(None, None, None)


@dataclass(frozen=True)
class FileLayers:
    """Which layers of a file hold plots, zones and assessments."""

    plots: str | None
    zones: str | None
    assessments: str | None
    single: bool = False  # a one-layer file: read its only layer


def _single_layer_name(path: Path) -> str | None:
    """The layer name of a one-layer file without opening it through GDAL (which parses a
    whole GeoJSON): a Shapefile's stem, a GeoJSON's top-level ``name``."""
    suffix = path.suffix.lower()
    if suffix == ".shp":
        return path.stem
    if suffix in (".geojson", ".json"):
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", "ignore")
        cut = head.find('"features"')
        m = re.search(r'"name"\s*:\s*"([^"]*)"', head[: cut if cut >= 0 else len(head)])
        return m.group(1) if m else path.stem
    return None


def plan_layers(path: str | Path, plots_layer: str | None = None) -> FileLayers:
    """Pick the layers: ``plots``/``zones``/``assessments`` by name in a multi-layer file
    (GeoPackage), else the single layer as plots."""
    single = _single_layer_name(Path(path)) if plots_layer is None else None
    if single is not None and Path(path).exists():
        if single.lower() == ZONES_LAYER:
            return FileLayers(None, single, None, single=True)
        return FileLayers(None, None, None, single=True)
    names = layers(path)
    by_name = {n.lower(): n for n, _ in names}
    if plots_layer is not None:
        if plots_layer.lower() not in by_name:
            raise GisFileError(
                f"{path}：没有图层 '{plots_layer}'（有：{', '.join(n for n, _ in names)}）",
                f"{path}: no layer '{plots_layer}' (has: {', '.join(n for n, _ in names)})",
            )
        plots = by_name[plots_layer.lower()]
    elif PLOTS_LAYER in by_name:
        plots = by_name[PLOTS_LAYER]
    else:
        candidates = [
            n
            for n, t in names
            if t is not None and n.lower() not in (ZONES_LAYER, ASSESSMENTS_LAYER)
        ]
        plots = candidates[0] if candidates else None
    if len(names) == 1 and names[0][0].lower() == ZONES_LAYER and plots_layer is None:
        return FileLayers(None, names[0][0], None)  # a zones file (e.g. from export-zones)
    zones = by_name.get(ZONES_LAYER) if len(names) > 1 else None
    assessments = by_name.get(ASSESSMENTS_LAYER) if zones else None
    return FileLayers(plots, zones, assessments)


def read_table(path: str | Path, layer: str) -> list[dict[str, Any]]:
    """Rows of an attribute table (a layer without geometry), e.g. GeoPackage ``assessments``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        except Exception as e:
            raise GisFileError(
                f"{path}：无法读取表 {layer}：{e}", f"{path}: cannot read table {layer}: {e}"
            ) from None
    return [{k: v for k, v in r.items()} for r in df.to_dict("records")]


def read_rows_document(path: str | Path) -> list[dict[str, Any]]:
    """Rows from a CSV, JSON or YAML file (assessments sidecar)."""
    p = Path(path)
    if not p.exists():
        raise GisFileError(f"文件不存在：{path}", f"no such file: {path}")
    try:
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, dtype=str, keep_default_na=False).to_dict("records")
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            doc = yaml.safe_load(p.read_text("utf-8"))
        else:
            doc = json.loads(p.read_text("utf-8"))
    except Exception as e:
        raise GisFileError(f"{path}：无法读取：{e}", f"{path}: cannot read: {e}") from None
    if isinstance(doc, dict):
        # {zone: [assessments]} or {"assessments": [...]}
        if "assessments" in doc and isinstance(doc["assessments"], list):
            return list(doc["assessments"])
        rows = []
        for zone, entry in doc.items():
            items = entry.get("assessments", []) if isinstance(entry, dict) else entry
            rows += [{**a, "zone": zone} for a in items or []]
        return rows
    if isinstance(doc, list):
        return doc
    raise GisFileError(f"{path}：应为列表", f"{path}: must be a list of rows")


def zones_sidecar(path: str | Path) -> Path:
    """The JSON file beside a zones Shapefile holding assessments and indicator definitions."""
    p = Path(path)
    return p.with_name(p.stem + ".zones.json")


# --- writing --------------------------------------------------------------------------------


def indicator_columns(table: PlotTable) -> list[tuple[str, str, str]]:
    """(key, short, unit) of every indicator column group, the standard keys first."""
    keys = list(STANDARD) + [k for k in table.indicators if k not in STANDARD]
    out = []
    for k in keys:
        v = table.indicators.get(k)
        d = v.definition if v is not None else STANDARD[k]
        out.append((k, d.short, d.unit))
    return out


def plots_frame(table: PlotTable, lang: str = "zh") -> gpd.GeoDataFrame:
    """The flat table of plots: base columns, then ``<short>_lo/_hi/_u`` per indicator, then
    the extra attributes of the file the plots came from."""
    n = len(table)
    data: dict[str, Any] = {
        "code": table.codes,
        "name": table.names,
        "status": [s.value for s in table.statuses],
        "status_zh": [STATUS_LABELS[s][0] for s in table.statuses],
        "land_use": table.land_uses,
        "zone": table.zones,
        "area_m2": np.round(table.area_m2, 2),
        "area_mu": np.round(table.area_mu, 4),
        "gk_epsg": table.gk_epsg.astype(np.int64),
    }
    for key, short, unit in indicator_columns(table):
        v = table.indicators.get(key)
        lo = v.lower if v is not None else np.full(n, np.nan)
        hi = v.upper if v is not None else np.full(n, np.nan)
        present = ~(np.isnan(lo) & np.isnan(hi))
        data[f"{short}_lo"] = lo
        data[f"{short}_hi"] = hi
        data[f"{short}_u"] = [unit if p else None for p in present]
    extra_keys = list(dict.fromkeys(k for e in table.extras for k in e))
    for k in extra_keys:
        if k in data:
            continue
        values = [e.get(k) for e in table.extras]
        if any(isinstance(v, dict | list) for v in values):
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        data[k] = values
    return gpd.GeoDataFrame(data, geometry=list(table.geoms), crs=geo.STORAGE_EPSG)


def _clear(path: Path, fmt: Format) -> None:
    if fmt == "shp":
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"):
            path.with_suffix(suffix).unlink(missing_ok=True)
    else:
        path.unlink(missing_ok=True)


def _write(
    frame: gpd.GeoDataFrame | pd.DataFrame, path: Path, fmt: Format, layer: str, **kw: Any
) -> None:
    options: dict[str, Any] = {"driver": FORMATS[fmt]}
    if fmt == "shp":
        options["encoding"] = "UTF-8"
    elif fmt == "gpkg":
        options["layer"] = layer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pyogrio.write_dataframe(frame, path, **options, **kw)
        except Exception as e:
            raise GisFileError(f"{path}：写入失败：{e}", f"{path}: cannot write: {e}") from None


def write_plots(
    table: PlotTable, path: str | Path, fmt: Format, zones: Sequence[Zone] = ()
) -> None:
    """Write the plots (and, in a GeoPackage, the zones with their assessments) to ``path``,
    replacing the file.

    Precondition: ``table`` holds valid geometries in EPSG:4490.
    """
    p = Path(path)
    _clear(p, fmt)
    frame = plots_frame(table)
    if fmt == "shp":
        for c in frame.columns:
            if c != "geometry" and len(c.encode("utf-8")) > 10:
                raise GisFileError(
                    f"属性名 '{c}' 超过 Shapefile 的 10 字节限制，请改用 GeoPackage",
                    f"attribute '{c}' exceeds Shapefile's 10-byte field names; use a GeoPackage",
                )
    kw: dict[str, Any] = {}
    if fmt == "gpkg":
        kw["geometry_type"] = "Unknown"  # keep Polygon and MultiPolygon as they are
    elif fmt == "shp":
        kw["geometry_type"] = "MultiPolygon"
    _write(frame, p, fmt, PLOTS_LAYER, **kw)
    if fmt == "gpkg" and zones:
        write_zones(zones, p, fmt, append=True)


def zones_frame(zones: Sequence[Zone]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": [z.code for z in zones],
            "name": [z.name for z in zones],
            "area_m2": [round(z.area_m2, 2) for z in zones],
            "area_mu": [round(z.area_mu, 4) for z in zones],
            "ind_defs": [
                json.dumps([d.to_dict() for d in z.indicator_definitions], ensure_ascii=False)
                if z.indicator_definitions
                else None
                for z in zones
            ],
        },
        geometry=[z.geometry for z in zones],
        crs=geo.STORAGE_EPSG,
    )


def assessments_rows(zones: Sequence[Zone]) -> list[dict[str, Any]]:
    rows = []
    for z in zones:
        for a in z.assessments:
            d = a.to_dict()
            d.pop("type_name", None)
            rows.append({"zone": z.code, **d})
    return rows


def write_zones(zones: Sequence[Zone], path: str | Path, fmt: Format, append: bool = False) -> None:
    """Write zones with their assessments and indicator definitions (see the module doc)."""
    p = Path(path)
    if not append:
        _clear(p, fmt)
    if fmt == "geojson":
        features = []
        for z in zones:
            features.append(
                {
                    "type": "Feature",
                    "id": z.code,
                    "properties": {
                        "code": z.code,
                        "name": z.name,
                        "area_m2": round(z.area_m2, 2),
                        "area_mu": round(z.area_mu, 4),
                        "assessments": [
                            {k: v for k, v in a.to_dict().items() if k != "type_name"}
                            for a in z.assessments
                        ],
                        "indicator_definitions": [d.to_dict() for d in z.indicator_definitions],
                    },
                    "geometry": json.loads(shapely.to_geojson(z.geometry)),
                }
            )
        doc = {
            "type": "FeatureCollection",
            "name": ZONES_LAYER,
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
            "features": features,
        }
        p.write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
        return
    frame = zones_frame(zones)
    _write(frame, p, fmt, ZONES_LAYER, geometry_type="Unknown" if fmt == "gpkg" else "MultiPolygon")
    rows = assessments_rows(zones)
    if fmt == "gpkg":
        cols = [
            "zone",
            "type",
            "name",
            "valid_from",
            "valid_to",
            "conclusions",
            "constraints",
            "reference",
        ]
        _write(pd.DataFrame(rows, columns=cols), p, fmt, ASSESSMENTS_LAYER)
    else:
        sidecar = {
            z.code: {
                "assessments": [
                    {k: v for k, v in a.to_dict().items() if k != "type_name"}
                    for a in z.assessments
                ],
                "indicator_definitions": [d.to_dict() for d in z.indicator_definitions],
            }
            for z in zones
        }
        zones_sidecar(p).write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), "utf-8")
