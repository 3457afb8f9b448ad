"""Site screening (选址预审): the zones, regional assessments and plots a candidate site touches,
each with the area of overlap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from landplots import geometry as geo
from landplots.model import Plot, RegionalAssessment, Zone
from landplots.services.registry import get_plots
from landplots.services.search import PlotQuery, search_plots, search_zones


@dataclass(frozen=True)
class ScreenedZone:
    zone: Zone
    overlap_m2: float
    assessments: tuple[tuple[RegionalAssessment, bool], ...]  # (assessment, valid on the day)


@dataclass(frozen=True)
class ScreenedPlot:
    plot: Plot
    overlap_m2: float


@dataclass(frozen=True)
class SiteScreening:
    """What a candidate site touches: zones (with their assessments, valid or not on ``on``)
    and registered plots, each with the area of overlap."""

    on: date
    area_m2: float
    area_mu: float
    zones: list[ScreenedZone] = field(default_factory=list)
    plots: list[ScreenedPlot] = field(default_factory=list)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "area_m2": round(self.area_m2, 2),
            "area_mu": round(self.area_mu, 4),
            "zones": [
                {
                    "code": z.zone.code,
                    "name": z.zone.name,
                    "overlap_m2": round(z.overlap_m2, 2),
                    "assessments": [{**a.to_dict(), "valid": ok} for a, ok in z.assessments],
                }
                for z in self.zones
            ],
            "plots": [
                {
                    "code": p.plot.code,
                    "name": p.plot.name,
                    "status": p.plot.status.value,
                    "status_name": p.plot.status.text(lang),
                    "zone": p.plot.zone,
                    "area_mu": round(p.plot.area_mu, 4),
                    "overlap_m2": round(p.overlap_m2, 2),
                }
                for p in self.plots
            ],
        }


def _overlap_m2(site: BaseGeometry, geoms: Sequence[BaseGeometry]) -> list[float]:
    if not geoms:
        return []
    inter = shapely.intersection(site, np.array(geoms, dtype=object))
    m2 = np.zeros(len(geoms))
    nonempty = ~shapely.is_empty(inter)
    if nonempty.any():
        m2[nonempty], _ = geo.areas(inter[nonempty])
    return [float(x) for x in m2]


def screen_site(session: Session, site: BaseGeometry, on: date | None = None) -> SiteScreening:
    """Site screening (选址预审): the zones, regional assessments and plots a candidate polygon
    touches.

    Preconditions: ``site`` is a valid geometry in EPSG:4490 inside China.
    """
    on = on or date.today()
    zones, _ = search_zones(session, intersects=site)
    found = search_plots(session, PlotQuery(intersects=site))
    plots = get_plots(session, found.codes)
    site_m2 = geo.areas(np.array([site], dtype=object))[0][0] if site.area > 0 else 0.0
    zm2 = _overlap_m2(site, [z.geometry for z in zones])
    pm2 = _overlap_m2(site, [p.geometry for p in plots])
    return SiteScreening(
        on,
        float(site_m2),
        float(geo.mu_from_m2(site_m2)),
        [
            ScreenedZone(z, m2, tuple((a, a.is_valid_on(on)) for a in z.assessments))
            for z, m2 in zip(zones, zm2, strict=True)
        ],
        [ScreenedPlot(p, m2) for p, m2 in zip(plots, pm2, strict=True)],
    )
