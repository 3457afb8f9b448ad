"""Exporting the registry to GIS files (GeoJSON, GeoPackage with its zones, Shapefile)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from landplots.indicators import Catalogue
from landplots.records import PlotTable
from landplots.services.registry import all_zones, get_plots
from landplots.services.search import PlotQuery, search_plots


def export_plots(
    session: Session, path: str | Path, fmt: str | None = None, query: PlotQuery | None = None
) -> int:
    """Write the registry's plots (all, or those matching ``query``) to a GeoJSON, GeoPackage
    (with its zones and assessments) or Shapefile; returns how many."""
    from landplots import gis_io  # geopandas/pyogrio: only for files

    f = gis_io.format_of(path, fmt)
    codes = None if query is None else search_plots(session, query).codes
    plots = get_plots(session, codes)
    zones = all_zones(session)
    catalogue = Catalogue(d for z in zones for d in z.indicator_definitions)
    table = PlotTable.from_plots(plots, catalogue)
    gis_io.write_plots(table, path, f, zones if f == "gpkg" else ())
    return len(plots)


def export_zones(session: Session, path: str | Path, fmt: str | None = None) -> int:
    """Write every zone with its assessments and indicator definitions; returns how many."""
    from landplots import gis_io  # geopandas/pyogrio: only for files

    f = gis_io.format_of(path, fmt)
    zones = all_zones(session)
    gis_io.write_zones(zones, path, f)
    return len(zones)
