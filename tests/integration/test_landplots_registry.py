"""The standard-plot registry on SQLite (in-process STRtree) and PostgreSQL (PostGIS GiST):
the same imports, refusals, queries, exports, screening and planner feed on both."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import select

from approvals.calendar import WorkCalendar
from approvals.catalog import default_catalogue
from approvals.planning import plan
from approvals.project import parse_project
from approvals.samples import sample_project_doc
from landplots import geometry as geo
from landplots.errors import ImportRefused, PlotNotFound, ZoneNotFound
from landplots.model import PlotStatus
from landplots.orm import PlotIndicatorRow
from landplots.services import exporting, importing, index_cache, registry, screening, search
from storage.engine import make_session_factory

DATA = Path(__file__).parents[2] / "landplots" / "data"
CORE = {"inv_lo": 300.0, "far_lo": 1.0, "far_hi": 2.0, "tax_lo": 30.0}


def load_sample(session) -> None:
    importing.import_zones_file(session, DATA / "zones.geojson")
    importing.import_file(session, DATA / "plots.geojson")
    session.commit()


def write_geojson(path: Path, rows, geoms, crs=4490) -> Path:
    gpd.GeoDataFrame(rows, geometry=list(geoms), crs=crs).to_file(path, driver="GeoJSON")
    return path


def snapshot(session):
    plots = registry.get_plots(session)
    return [(p.code, p.name, p.geometry.wkb, p.indicators, p.zone) for p in plots], [
        (z.code, z.assessments) for z in registry.all_zones(session)
    ]


def test_import_the_sample_registry(session):
    load_sample(session)
    assert registry.count_plots(session) == 20
    a03 = registry.get_plot(session, "CD-A03")
    assert a03.name == "城东智造园A03地块" and a03.zone == "CD-A"
    assert a03.area_mu == pytest.approx(80.03, abs=0.01) and a03.gk_epsg == 4549
    assert a03.indicator("tax_per_mu").unit == "万元/亩·年"
    assert registry.get_plot(session, "CD-C01").indicator("labor_productivity").lower == 80
    zones = {z.code: z for z in registry.all_zones(session)}
    assert (
        len(zones["CD-A"].assessments) == 7
        and zones["CD-C"].indicator_definitions[0].short == "labor"
    )


def test_a_refused_file_leaves_the_registry_exactly_as_it_was(session, tmp_path):
    load_sample(session)
    before = snapshot(session)
    token = index_cache.registry_token(session)
    a01 = registry.get_plot(session, "CD-A01").geometry
    bowtie = shapely.Polygon([(120.5, 30.5), (120.51, 30.51), (120.51, 30.5), (120.5, 30.51)])
    hostile = write_geojson(
        tmp_path / "hostile.geojson",
        [
            {"code": "NEW-1", "name": "新地块", **CORE},  # fine on its own
            {"code": "CD-A02", "name": "改写", **CORE},  # would replace a plot
            {"code": "BOW", **CORE},
            {"code": "OVER", **CORE},
            {"code": "RANGE", **CORE, "far_lo": 3.0, "far_hi": 1.0},
            {"code": "UNIT", **CORE, "inv_u": "元/亩"},
        ],
        [
            shapely.box(120.6, 30.6, 120.602, 30.602),
            registry.get_plot(session, "CD-A02").geometry,
            bowtie,
            a01.buffer(-0.0001),
            shapely.box(120.7, 30.6, 120.702, 30.602),
            shapely.box(120.8, 30.6, 120.802, 30.602),
        ],
    )
    with pytest.raises(ImportRefused) as e:
        importing.import_file(session, hostile)
    session.rollback()
    culprits = set(e.value.culprits)
    assert {"BOW", "OVER", "RANGE", "UNIT"} <= culprits and "NEW-1" not in culprits
    text = str(e.value)
    assert "Self-intersection" in text and "CD-A01" in "".join(p("en") for p in e.value.problems)
    assert snapshot(session) == before and index_cache.registry_token(session) == token


def test_reimport_replaces_by_code_and_moves_the_index(engine, tmp_path):
    sessions = make_session_factory(engine)
    with sessions() as s:
        load_sample(s)
        assert (
            search.search_plots(s, search.PlotQuery(bbox=(120.6, 30.6, 120.61, 30.61))).codes == []
        )
    path = write_geojson(
        tmp_path / "more.geojson",
        [{"code": "CD-A01", "name": "A01 改", **CORE, "tax_lo": 55.0}, {"code": "FAR", **CORE}],
        [
            shapely.box(120.601, 30.601, 120.603, 30.603),
            shapely.box(120.605, 30.601, 120.607, 30.603),
        ],
    )
    with sessions() as reader:  # builds its index before the write
        assert len(search.search_plots(reader, search.PlotQuery()).codes) == 20
        reader.rollback()
        with sessions() as writer:
            summary = importing.import_file(writer, path)
            writer.commit()
        assert (summary.plots_new, summary.plots_updated) == (1, 1)
        found = search.search_plots(reader, search.PlotQuery(bbox=(120.6, 30.6, 120.61, 30.61)))
        assert found.codes == ["CD-A01", "FAR"]
        assert registry.get_plot(reader, "CD-A01").indicator("tax_per_mu").lower == 55
        rows = reader.scalars(
            select(PlotIndicatorRow).where(PlotIndicatorRow.plot_code == "CD-A01")
        ).all()
        assert {r.key for r in rows} == {"investment_intensity", "plot_ratio", "tax_per_mu"}


def test_each_query_kind(session):
    load_sample(session)
    q = search.PlotQuery
    box = (120.285, 30.295, 120.2975, 30.3)
    bbox = search.search_plots(session, q(bbox=box))
    assert len(bbox.codes) == bbox.number_matched > 3
    every = registry.get_plots(session)
    expected = sorted(p.code for p in every if p.geometry.intersects(shapely.box(*box)))
    assert bbox.codes == expected
    site = shapely.Polygon([(120.29, 30.2955), (120.30, 30.2955), (120.295, 30.305)])
    assert search.search_plots(session, q(intersects=site)).codes == sorted(
        p.code for p in every if p.geometry.intersects(site)
    )
    a03 = registry.get_plot(session, "CD-A03")
    inside = a03.geometry.representative_point()
    assert search.search_plots(session, q(contains=inside)).codes == ["CD-A03"]
    assert search.search_plots(session, q(within_zone="CD-B")).codes == [
        f"CD-B0{i}" for i in range(1, 7)
    ]
    with pytest.raises(ZoneNotFound):
        search.search_plots(session, q(within_zone="NOPE"))
    near = search.search_plots(session, q(near=inside, nearest=4))
    metres = geo.metric_distances(inside, np.array([p.geometry for p in every], dtype=object))
    brute = sorted(zip(metres.tolist(), [p.code for p in every], strict=True))[:4]
    assert near.codes == [c for _, c in brute]
    assert near.distances_m == pytest.approx([d for d, _ in brute], abs=1e-6)
    rich = search.search_plots(
        session, q(indicators=(search.IndicatorFilter.parse("tax_per_mu.lower>=40"),))
    )
    assert rich.codes == sorted(
        p.code for p in every if (p.indicator("tax_per_mu").lower or 0) >= 40
    )
    assert rich.codes == ["CD-B01", "CD-B02", "CD-B03", "CD-B04", "CD-B05", "CD-B06"]
    combined = search.search_plots(
        session,
        q(
            bbox=(120.28, 30.29, 120.32, 30.32),
            status=search.parse_statuses(["挂牌"]),
            indicators=(
                search.IndicatorFilter.parse("tax_per_mu>=40"),
                search.IndicatorFilter.parse("plot_ratio.upper<=2.5"),
            ),
        ),
    )
    assert combined.codes == ["CD-B03"]
    for offset in (0, 2, len(bbox.codes), len(bbox.codes) + 3):
        paged = search.search_plots(session, q(bbox=box, limit=2, offset=offset))
        assert paged.codes == bbox.codes[offset : offset + 2]
        assert paged.number_matched == bbox.number_matched
        plots, matched = search.find_plots(session, q(bbox=box, limit=2, offset=offset))
        assert matched == bbox.number_matched
        assert plots == registry.get_plots(session, paged.codes)
    page = search.search_plots(session, q(limit=5, offset=15))
    assert page.number_matched == 20 and page.codes == [p.code for p in every][15:20]
    nearest_listed = search.search_plots(
        session, q(near=inside, nearest=2, status=(PlotStatus.LISTED,))
    )
    assert all(
        registry.get_plot(session, c).status is PlotStatus.LISTED for c in nearest_listed.codes
    )


def test_site_screening(session):
    load_sample(session)
    a03 = registry.get_plot(session, "CD-A03")
    site = a03.geometry.buffer(0.0005)  # reaches across the 30 m roads
    result = screening.screen_site(session, site, on=date(2026, 3, 1))
    assert [z.zone.code for z in result.zones] == ["CD-A"]
    assert {p.plot.code for p in result.plots} >= {"CD-A02", "CD-A03"}
    a03_hit = next(p for p in result.plots if p.plot.code == "CD-A03")
    assert a03_hit.overlap_m2 == pytest.approx(a03.area_m2, rel=1e-6)
    assert all(ok for _, ok in result.zones[0].assessments)
    far = screening.screen_site(session, shapely.box(121, 31, 121.01, 31.01))
    assert far.zones == [] and far.plots == []
    doc = json.dumps(result.to_dict(), ensure_ascii=False)
    assert "城东智造园智能装备片区" in doc


def test_planner_feed(session):
    load_sample(session)
    covered = registry.assessments_for_plot(session, "CD-A03", date(2026, 1, 5))
    assert {c.type for c in covered} == {
        "energy",
        "environment",
        "flood",
        "soil_water",
        "water_resources",
        "mineral",
        "geohazard",
    }
    assert all(c.source == "zone" and c.zone == "城东智造园智能装备片区" for c in covered)
    # an expired assessment does not count: CD-C's energy assessment ended 2025-06-30
    c_types = {c.type for c in registry.assessments_for_plot(session, "CD-C01", date(2026, 1, 5))}
    assert "energy" not in c_types and "environment" in c_types
    with pytest.raises(PlotNotFound, match="NOPE"):
        registry.assessments_for_plot(session, "NOPE")
    doc = sample_project_doc()
    assert doc["plot"] == "CD-A03"
    project = parse_project(doc)
    from dataclasses import replace

    on_plot = replace(project, assessments=registry.assessments_for_plot(session, doc["plot"]))
    declared = plan(default_catalogue(), project, WorkCalendar())
    p = plan(default_catalogue(), on_plot, WorkCalendar())
    assert p.makespan <= declared.makespan and len(p.waived) >= len(declared.waived)
    reasons = " ".join(w.reason_zh for w in p.waived)
    assert "城东智造园智能装备片区" in reasons and "杭林水〔2024〕21号" in reasons
    # the plot in CD-C loses the energy waiver: the planner keeps that item
    on_c = replace(project, assessments=registry.assessments_for_plot(session, "CD-C01"))
    pc = plan(default_catalogue(), on_c, WorkCalendar())
    assert {w.assessment for w in pc.waived} | {r.assessment for r in pc.reduced} <= {
        "environment",
        "mineral",
        "geohazard",
    }


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_export_import_round_trip(session, tmp_path, fmt):
    load_sample(session)
    before = registry.get_plots(session)
    path = tmp_path / f"plots.{fmt}"
    assert exporting.export_plots(session, path) == 20
    zpath = tmp_path / f"zones.{fmt}"
    assert exporting.export_zones(session, zpath) == 3
    zones_before = registry.all_zones(session)
    registry.delete_plots(session, [p.code for p in before])
    session.commit()
    assert registry.count_plots(session) == 0
    importing.import_zones_file(session, zpath)
    importing.import_file(session, path)
    session.commit()
    after = registry.get_plots(session)
    assert [p.code for p in after] == [p.code for p in before]
    for a, b in zip(before, after, strict=True):
        assert (a.name, a.status, a.land_use, a.zone, a.indicators) == (
            b.name,
            b.status,
            b.land_use,
            b.zone,
            b.indicators,
        )
        assert shapely.equals_exact(
            shapely.normalize(a.geometry), shapely.normalize(b.geometry), 1e-9
        )
        assert a.area_m2 == pytest.approx(b.area_m2, rel=1e-9)
    assert registry.all_zones(session)[2].assessments == zones_before[2].assessments
