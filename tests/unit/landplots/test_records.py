"""Attribute tables to validated plots: every problem named by its plot code."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from landplots.indicators import REQUIRED_KEYS
from landplots.model import PlotStatus, Zone
from landplots.plot_records import parse_plots
from landplots.records import ZoneContext, find_overlaps
from landplots.zone_records import parse_zones

CORE = {"inv_lo": 300.0, "far_lo": 1.0, "far_hi": 2.0, "tax_lo": 30.0}


def frame(rows, geoms, crs=4490):
    return gpd.GeoDataFrame(rows, geometry=list(geoms), crs=crs)


def box(i, size=0.002):
    x = 120.2 + i * 0.003
    return shapely.box(x, 30.3, x + size, 30.3 + size)


def test_a_clean_table_parses_with_areas_and_extras():
    t, problems = parse_plots(
        frame(
            [
                {"code": "P1", "name": "一号地块", "status": "挂牌", "备注": "临河", **CORE},
                {
                    "code": "P2",
                    "status": "sold",
                    "tax_per_mu": 40,
                    "inv_lo": 350,
                    "plot_ratio": "1.2-2.5",
                },
            ],
            [box(0), box(1)],
        )
    )
    assert problems == []
    assert t.codes == ["P1", "P2"] and t.names[1] == "P2"
    assert t.statuses == [PlotStatus.LISTED, PlotStatus.SOLD]
    assert t.extras[0] == {"备注": "临河"}
    p = t.plot(1)
    assert p.indicator("tax_per_mu").lower == 40 and p.indicator("plot_ratio").upper == 2.5
    assert 40_000 < p.area_m2 < 50_000 and p.gk_epsg == 4549


def test_nested_indicator_objects():
    t, problems = parse_plots(
        frame(
            [
                {
                    "code": "P1",
                    "indicators": {
                        "investment_intensity": {"lower": 300, "unit": "万元/亩"},
                        "plot_ratio": {"lower": 1, "upper": 2},
                        "tax_per_mu": {"lower": 30, "unit": "万元/亩·年"},
                    },
                }
            ],
            [box(0)],
        )
    )
    assert problems == [] and len(t.plot(0).indicators) == 3


def test_every_problem_is_collected_and_named():
    bowtie = shapely.Polygon([(120.2, 30.3), (120.21, 30.31), (120.21, 30.3), (120.2, 30.31)])
    rows = [
        {"code": "BAD-GEOM", **CORE},
        {"code": "DUP", **CORE},
        {"code": "DUP", **CORE},
        {"code": "LOHI", **CORE, "far_lo": 3.0, "far_hi": 2.0},
        {"code": "UNIT", **CORE, "tax_u": "元/平方米"},
        {"code": "MISSING", "inv_lo": 300},
        {"code": "STATUS", **CORE, "status": "卖掉了"},
        {"code": "", **CORE},
        {"code": "NOTNUM", **CORE, "inv_lo": "很多"},
        {"code": "NONE"},
    ]
    geoms = [bowtie, box(1), box(2), box(3), box(4), box(5), box(6), box(7), box(8), box(9)]
    _, problems = parse_plots(frame(rows, geoms), required=REQUIRED_KEYS)
    by = {}
    for p in problems:
        by.setdefault(p.culprit, []).append(p("en"))
    assert "Self-intersection" in by["BAD-GEOM"][0]
    assert "duplicate code" in by["DUP"][0]
    assert "exceeds upper bound" in by["LOHI"][0]
    assert "unknown unit '元/平方米'" in by["UNIT"][0]
    assert "missing required indicators: plot_ratio, tax_per_mu" in by["MISSING"][0]
    assert "unknown plot status" in by["STATUS"][0]
    assert "#8" in by and "is not a number" in by["NOTNUM"][0]
    assert by["NONE"] == [
        "NONE: missing indicators (a standard plot's indicators are fixed before sale, "
        "e.g. investment_intensity, plot_ratio, tax_per_mu)"
    ]
    lenient = {p.culprit for p in parse_plots(frame(rows, geoms))[1]}
    assert "MISSING" not in lenient and "NONE" in lenient  # by default: at least one indicator


def test_unknown_indicator_and_zone_keys():
    zone = Zone(
        "Z",
        "片区",
        shapely.box(120, 30, 121, 31),
        indicator_definitions=(),
    )
    _, problems = parse_plots(
        frame([{"code": "P", **CORE, "foo_lo": 3}], [box(0)]), ZoneContext([zone])
    )
    assert "unknown indicator 'foo'" in problems[0]("en")
    zones, zp = parse_zones(
        frame(
            [
                {
                    "code": "Z",
                    "name": "片区",
                    "assessments": [{"type": "区域能评", "valid_to": "2028-12-31"}],
                    "indicator_definitions": [
                        {"key": "labor_productivity", "unit": "万元/人", "short": "labor"}
                    ],
                }
            ],
            [shapely.box(120, 30, 121, 31)],
        )
    )
    assert zp == [] and zones[0].assessments[0].type == "energy"
    t, problems = parse_plots(
        frame(
            [
                {"code": "P", "zone": "Z", **CORE, "labor_lo": 80},
                {"code": "Q", "zone": "", **CORE, "labor_lo": 80},
            ],
            [box(0), box(1)],
        ),
        ZoneContext(zones),
    )
    assert t.plot(0).indicator("labor_productivity").lower == 80
    assert [p.culprit for p in problems] == ["Q"]


def test_overlaps_beyond_the_tolerance():
    a = shapely.box(120.2, 30.3, 120.202, 30.302)
    touching = shapely.box(120.202, 30.3, 120.204, 30.302)
    sliver = shapely.box(120.2019999, 30.3, 120.204, 30.302)  # ~2 cm wide: under 0.1 %
    half = shapely.box(120.201, 30.3, 120.203, 30.302)
    assert find_overlaps(["A", "T"], np.array([a, touching], dtype=object)) == []
    assert find_overlaps(["A", "S"], np.array([a, sliver], dtype=object)) == []
    problems = find_overlaps(
        ["A"], np.array([a], dtype=object), ["H"], np.array([half], dtype=object)
    )
    assert problems[0].culprit == "A" and "registered plot H" in problems[0]("en")
