"""Plots and zones as GeoJSON features (the CLI's ``--format geojson`` and OGC API – Features).

Coordinates are CGCS2000 lon/lat, which GeoJSON readers take as CRS84 (the datums agree to
decimetres).  Properties keep Chinese values as they are; ``*_name`` fields carry the label in
the reader's language.
"""

from __future__ import annotations

import json
from typing import Any

import shapely

from landplots.model import Plot, Zone


def geometry_json(geom: Any) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(geom))


def plot_properties(plot: Plot, lang: str = "zh") -> dict[str, Any]:
    return {
        "code": plot.code,
        "name": plot.name,
        "status": plot.status.value,
        "status_name": plot.status.text(lang),
        "land_use": plot.land_use,
        "zone": plot.zone,
        "area_m2": round(plot.area_m2, 2),
        "area_mu": round(plot.area_mu, 4),
        "gk_epsg": plot.gk_epsg,
        "indicators": {
            i.key: {
                "name": i.name,
                "unit": i.unit,
                "lower": i.lower,
                "upper": i.upper,
                "milestone": i.milestone.value,
                "milestone_name": i.milestone.text(lang),
            }
            for i in plot.indicators
        },
        **{k: v for k, v in plot.extra.items() if k not in _RESERVED},
    }


_RESERVED = frozenset(
    {
        "code",
        "name",
        "status",
        "status_name",
        "land_use",
        "zone",
        "area_m2",
        "area_mu",
        "gk_epsg",
        "indicators",
    }
)


def plot_feature(plot: Plot, lang: str = "zh") -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": plot.code,
        "geometry": geometry_json(plot.geometry),
        "properties": plot_properties(plot, lang),
    }


def zone_properties(zone: Zone, lang: str = "zh") -> dict[str, Any]:
    return {
        "code": zone.code,
        "name": zone.name,
        "area_m2": round(zone.area_m2, 2),
        "area_mu": round(zone.area_mu, 4),
        "assessments": [a.to_dict() for a in zone.assessments],
        "indicator_definitions": [d.to_dict() for d in zone.indicator_definitions],
    }


def zone_feature(zone: Zone, lang: str = "zh") -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": zone.code,
        "geometry": geometry_json(zone.geometry),
        "properties": zone_properties(zone, lang),
    }
