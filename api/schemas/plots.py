"""Standard plots over OGC API – Features (Part 1 Core, GeoJSON): the documents' shapes.

The routes send these documents pre-encoded (GEOS writes the geometries, spliced in raw), so
these Structs describe the answers for the OpenAPI document; ``properties`` are a plot's or a
zone's (see :mod:`landplots.features`)."""

from __future__ import annotations

from typing import Any

import msgspec

from api.schemas.common import Number, Out


class Link(Out):
    rel: str
    type: str
    href: str
    title: str | msgspec.UnsetType = msgspec.UNSET


class LandingPage(Out):
    title: str
    description: str
    links: list[Link]


class Conformance(Out):
    conformsTo: list[str]


class SpatialExtent(Out):
    bbox: list[list[Number]]
    crs: str


class TemporalExtent(Out):
    interval: list[list[str | None]]


class Extent(Out):
    spatial: SpatialExtent
    temporal: TemporalExtent


class Collection(Out):
    id: str
    title: str
    description: str
    itemType: str
    crs: list[str]
    storageCrs: str
    links: list[Link]
    extent: Extent | msgspec.UnsetType = msgspec.UNSET  # absent while the collection is empty


class Collections(Out):
    links: list[Link]
    collections: list[Collection]


class Feature(Out):
    """A GeoJSON feature: ``geometry`` is a GeoJSON geometry in CRS84."""

    type: str
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    links: list[Link]


class FeatureCollection(Out):
    type: str
    numberMatched: int
    numberReturned: int
    timeStamp: str
    links: list[Link]
    features: list[Feature]
