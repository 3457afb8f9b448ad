"""Persistence of the standard-plot registry: zones, their assessments, plots, indicators, and
the registry's version token.

Rows convert explicitly to and from the domain values (:mod:`landplots.model`); no business
rule lives here.  Geometries use the portable :class:`storage.types.Geometry` (PostGIS with a
GiST index on PostgreSQL, WKB on SQLite).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Date,
    Double,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landplots.indicators import IndicatorDefinition, parse_definition
from landplots.model import (
    Indicator,
    Milestone,
    RegionalAssessment,
    Zone,
)
from storage.base import Base, JSONDoc, UTCDateTime, utcnow
from storage.types import Geometry, gist_index


class ZoneRow(Base):
    """A zone (片区 / 园区) and the indicator keys it adds."""

    __tablename__ = "landplot_zones"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry())
    area_m2: Mapped[float] = mapped_column(Double)
    area_mu: Mapped[float] = mapped_column(Double)
    indicator_definitions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessments: Mapped[list[AssessmentRow]] = relationship(
        back_populates="zone",
        cascade="all, delete-orphan",
        order_by="AssessmentRow.id",
        lazy="selectin",
    )

    def to_domain(self) -> Zone:
        defs: tuple[IndicatorDefinition, ...] = tuple(
            parse_definition(d, self.code, f"zone {self.code}")
            for d in self.indicator_definitions or []
        )
        return Zone(
            self.code,
            self.name,
            self.geometry,
            tuple(a.to_domain() for a in self.assessments),
            defs,
            self.area_m2,
            self.area_mu,
        )


class AssessmentRow(Base):
    """A regional assessment (区域评价) of a zone."""

    __tablename__ = "landplot_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    zone_code: Mapped[str] = mapped_column(
        ForeignKey("landplot_zones.code", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    conclusions: Mapped[str] = mapped_column(Text, default="")
    constraints: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(200), default="")

    zone: Mapped[ZoneRow] = relationship(back_populates="assessments")

    def to_domain(self) -> RegionalAssessment:
        return RegionalAssessment(
            self.type,
            self.name,
            self.valid_from,
            self.valid_to,
            self.conclusions,
            self.constraints,
            self.reference,
        )

    @classmethod
    def from_domain(cls, a: RegionalAssessment) -> AssessmentRow:
        return cls(
            type=a.type,
            name=a.name,
            valid_from=a.valid_from,
            valid_to=a.valid_to,
            conclusions=a.conclusions,
            constraints=a.constraints,
            reference=a.reference,
        )


class PlotRow(Base):
    """A standard plot (标准地).  ``zone_code`` is not a foreign key: a plot may name a zone
    the registry does not hold yet."""

    __tablename__ = "landplots"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    land_use: Mapped[str] = mapped_column(String(100))
    zone_code: Mapped[str] = mapped_column(String(64), index=True)
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry())
    area_m2: Mapped[float] = mapped_column(Double)
    area_mu: Mapped[float] = mapped_column(Double)
    gk_epsg: Mapped[int] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicators: Mapped[list[PlotIndicatorRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class PlotIndicatorRow(Base):
    """One indicator of a plot, frozen as written into its contract (name, unit, milestone)."""

    __tablename__ = "landplot_indicators"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}  # PK is the table

    plot_code: Mapped[str] = mapped_column(
        ForeignKey("landplots.code", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(32))
    lower: Mapped[float | None] = mapped_column(Double, nullable=True)
    upper: Mapped[float | None] = mapped_column(Double, nullable=True)
    milestone: Mapped[str] = mapped_column(String(16))

    def to_domain(self) -> Indicator:
        return Indicator(
            self.key, self.name, self.unit, self.lower, self.upper, Milestone(self.milestone)
        )


class RegistryStateRow(Base):
    """The registry's version: every write changes ``token`` (a fresh random value, so a
    rolled-back write can never be mistaken for a later committed one).  Processes keep their
    in-process spatial index while the token they built it from is current."""

    __tablename__ = "landplot_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


PLOTS_GIST = gist_index(PlotRow.__table__, "geometry")  # type: ignore[arg-type]
ZONES_GIST = gist_index(ZoneRow.__table__, "geometry")  # type: ignore[arg-type]
