"""Persistence of the approvals domain: departments, catalogue versions, calendar arrangements.

Rows convert explicitly to and from the domain values; no business rule lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, JSONDoc, UTCDateTime, utcnow


class DepartmentRow(Base):
    """An approving department (审批部门)."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")


class CatalogVersionRow(Base):
    """One loaded version of a catalogue (事项清单).  Exactly one version is active; projects
    keep the version they were filed under, so a new catalogue never rewrites an old plan."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("code", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(100), default="")

    items: Mapped[list[CatalogItemRow]] = relationship(
        back_populates="catalog", cascade="all, delete-orphan"
    )


class CatalogItemRow(Base):
    """A queryable summary of an item of a catalogue version (the document is the source)."""

    __tablename__ = "catalog_items"

    catalog_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_versions.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    statutory_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    legal_basis: Mapped[str] = mapped_column(Text, default="")

    catalog: Mapped[CatalogVersionRow] = relationship(back_populates="items")


class CalendarArrangementRow(Base):
    """A year's holiday arrangement (节假日安排) loaded by an administrator."""

    __tablename__ = "calendar_arrangements"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(100), default="")
