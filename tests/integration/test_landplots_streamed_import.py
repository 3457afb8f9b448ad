"""The plots import read, checked and written in batches (landplots.services.import_stream), on
SQLite (R*Tree of the batches written) and PostgreSQL (GiST): the same rows as the whole-file
import, every problem found across batches named by its plot or feature number, and nothing
stored when there is any."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely import affinity
from sqlalchemy import text

from landplots import gis_io
from landplots.errors import ImportRefused
from landplots.services import import_stream, importing, registry

DATA = Path(__file__).parents[2] / "landplots" / "data"
CORE = {"inv_lo": 300.0, "far_lo": 1.0, "far_hi": 2.0, "tax_lo": 30.0}


def rows(session) -> tuple[list, list]:
    geom = (
        "ST_AsBinary(geometry)" if session.get_bind().dialect.name == "postgresql" else "geometry"
    )
    plots = session.execute(
        text(
            f"SELECT code, name, status, land_use, zone_code, {geom}, area_m2, area_mu, gk_epsg,"
            " extra FROM landplots ORDER BY code"
        )
    ).all()
    indicators = session.execute(
        text(
            "SELECT plot_code, key, name, unit, lower, upper, milestone FROM landplot_indicators"
            " ORDER BY plot_code, key"
        )
    ).all()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in plots], [
        tuple(r) for r in indicators
    ]


def whole_file_import(session, path: Path) -> None:
    """The import as it was before batches: the whole layer read, validated, then written."""
    importing._import(
        session, str(path), [], [], gis_io.read_layer(path), None, time.perf_counter(), ()
    )


def test_batches_store_the_same_rows_as_the_whole_file(session, monkeypatch):
    importing.import_zones_file(session, DATA / "zones.geojson")
    session.commit()
    monkeypatch.setattr(import_stream, "BATCH", 7)  # 20 plots: batches of 7, 7 and 6
    summary = importing.import_file(session, DATA / "plots.geojson")
    assert (summary.plots_new, summary.plots_updated) == (20, 0)
    streamed = rows(session)
    session.rollback()
    assert rows(session) == ([], [])
    whole_file_import(session, DATA / "plots.geojson")
    before = rows(session)
    assert len(before[0]) == 20 and len(before[1]) > 60
    assert streamed == before
    session.commit()
    # again, over the registry: every plot replaced, in batches
    summary = importing.import_file(session, DATA / "plots.geojson")
    assert (summary.plots_new, summary.plots_updated) == (0, 20)
    assert rows(session) == before


def grid_plot(i: int) -> shapely.Polygon:
    x, y = 120.60 + (i % 10) * 0.003, 30.60 + (i // 10) * 0.003
    return shapely.box(x, y, x + 0.0025, y + 0.0025)


def test_problems_across_batches_are_named_and_nothing_is_stored(session, tmp_path, monkeypatch):
    importing.import_zones_file(session, DATA / "zones.geojson")
    importing.import_file(session, DATA / "plots.geojson")
    session.commit()
    before = rows(session)
    a01 = registry.get_plot(session, "CD-A01").geometry
    a02 = registry.get_plot(session, "CD-A02").geometry
    features, geoms = [], []
    for i in range(30):  # features #1 … #30, in batches of 7
        features.append({"code": f"S{i:02d}", **CORE})
        geoms.append(grid_plot(i))
    features[2]["code"] = None  # #3: no code
    features[11]["code"] = "S01"  # #12 repeats #2's code (another batch)
    geoms[14] = affinity.translate(geoms[4], 0.0003, 0)  # #15 overlaps #5 (another batch)
    geoms[8] = shapely.Polygon(
        [(120.62, 30.62), (120.621, 30.621), (120.621, 30.62), (120.62, 30.621)]
    )  # #9 bow-tie
    geoms[20] = affinity.translate(a01, 0.0003, 0)  # #21 overlaps the registry's CD-A01 (kept)
    geoms[22] = affinity.translate(a02, 0.0003, 0)  # #23 overlaps CD-A02's old place…
    features[27]["code"] = "CD-A02"  # …but #28 moves CD-A02 away: no problem
    path = tmp_path / "bad.geojson"
    gpd.GeoDataFrame(features, geometry=geoms, crs=4490).to_file(path, driver="GeoJSON")
    monkeypatch.setattr(import_stream, "BATCH", 7)
    with pytest.raises(ImportRefused) as refused:
        importing.import_file(session, path)
    problems = [(p.culprit, p.text("en")) for p in refused.value.problems]
    session.rollback()
    text_of = "\n".join(f"{c}: {m}" for c, m in problems)
    assert any(c == "#3" and "no plot code" in m for c, m in problems), text_of
    assert any(c == "S01" and "#2, #12" in m for c, m in problems), text_of
    assert any(c == "S14" and "overlaps S04" in m for c, m in problems), text_of
    assert any(c == "S08" and "invalid geometry" in m for c, m in problems), text_of
    assert any(c == "S20" and "registered plot CD-A01" in m for c, m in problems), text_of
    assert not any("CD-A02" in m for _, m in problems), text_of
    assert len(problems) == 5, text_of
    assert rows(session) == before  # nothing stored
    # without the faults the same file goes in, CD-A02 moved
    for i in (2, 11):
        features[i]["code"] = f"S{i:02d}"
    geoms[14], geoms[8], geoms[20] = grid_plot(14), grid_plot(8), grid_plot(20)
    gpd.GeoDataFrame(features, geometry=geoms, crs=4490).to_file(path, driver="GeoJSON")
    summary = importing.import_file(session, path)
    assert (summary.plots_new, summary.plots_updated) == (29, 1)
    assert (
        registry.get_plot(session, "CD-A02")
        .geometry.normalize()
        .equals_exact(grid_plot(27).normalize(), 1e-9)
    )
