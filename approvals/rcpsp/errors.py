"""Exception family of the RCPSP engine.

Every error raised on purpose by :mod:`approvals.rcpsp` derives from
:class:`RcpspError`, so a caller (the workflow, the CLI) can catch the whole
family with one ``except`` clause and still tell the cases apart.
"""

from __future__ import annotations


class RcpspError(Exception):
    """Base class of every error raised by the RCPSP engine."""


class InstanceError(RcpspError, ValueError):
    """An :class:`~approvals.rcpsp.model.Instance` is inconsistent.

    Examples: a negative duration, a successor id out of range, a demand
    above the resource capacity, a precedence cycle.
    """


class RcpspFormatError(InstanceError):
    """A PSPLIB ``.sm`` text is malformed.

    Parameters
    ----------
    message
        What is wrong.
    line
        1-based line number in the input where the problem was found, if known.
    field
        Name of the offending section or field, if known.
    """

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None):
        self.line = line
        self.field = field
        where = []
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message)


class InfeasibleScheduleError(RcpspError):
    """A schedule violates a precedence, release time or capacity constraint.

    Attributes
    ----------
    kind
        One of ``"length"``, ``"start"``, ``"release"``, ``"precedence"``,
        ``"capacity"``.
    """

    def __init__(self, message: str, *, kind: str):
        self.kind = kind
        super().__init__(message)


class SolverError(RcpspError):
    """The solver could not produce a schedule (should not happen on a valid instance)."""
