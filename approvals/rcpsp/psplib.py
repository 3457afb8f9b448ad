"""Reader of the PSPLIB single-mode ``.sm`` format (j30 / j60 / j120 ...).

The format (Kolisch & Sprecher 1996) is a fixed sequence of sections::

    jobs (incl. supersource/sink ):  32
    horizon                       :  158
    RESOURCES
      - renewable                 :  4   R
      - nonrenewable              :  0   N
      - doubly constrained        :  0   D
    PROJECT INFORMATION:            (one row; MPM-Time = critical path length)
    PRECEDENCE RELATIONS:           (jobnr, #modes, #successors, successors...)
    REQUESTS/DURATIONS:             (jobnr, mode, duration, R 1 .. R k)
    RESOURCEAVAILABILITIES:         (one row of k capacities)

Jobs are numbered 1..n in the file and become 0-based indices ``0..n-1``;
``Instance.label(j)`` gives the file's number back.  Only single-mode
instances with renewable resources are accepted; anything else raises
:class:`~approvals.rcpsp.errors.RcpspFormatError` whose message names the
line and field concerned.
"""

from __future__ import annotations

import os
import re

from .errors import InstanceError, RcpspFormatError
from .model import Instance

__all__ = ["RcpspFormatError", "load_sm", "parse_sm"]

_HEADER_KEYS = {
    "jobs": re.compile(r"^\s*jobs\s*\(incl\.\s*supersource/sink\s*\)\s*:\s*(\S+)", re.I),
    "horizon": re.compile(r"^\s*horizon\s*:\s*(\S+)", re.I),
    "renewable": re.compile(r"^\s*-\s*renewable\s*:\s*(\S+)", re.I),
    "nonrenewable": re.compile(r"^\s*-\s*nonrenewable\s*:\s*(\S+)", re.I),
    "doubly constrained": re.compile(r"^\s*-\s*doubly constrained\s*:\s*(\S+)", re.I),
}
_SECTIONS = (
    "PROJECT INFORMATION",
    "PRECEDENCE RELATIONS",
    "REQUESTS/DURATIONS",
    "RESOURCEAVAILABILITIES",
)


def _int(token: str, line: int, field: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise RcpspFormatError(
            f"expected an integer, got {token!r}", line=line, field=field
        ) from None


def _is_rule(text: str) -> bool:
    s = text.strip()
    return bool(s) and set(s) <= set("*-=")


def parse_sm(text: str, name: str = "") -> Instance:
    """Parse the text of a PSPLIB ``.sm`` file.

    Parameters
    ----------
    text
        Whole file content.
    name
        Instance name to record (e.g. the file stem).

    Returns
    -------
    Instance
        Durations, successors, demands and capacities, 0-based.

    Raises
    ------
    RcpspFormatError
        Missing section or header field, wrong row or column counts, a
        non-integer field, job numbers out of sequence, more than one mode,
        unknown successor ids, negative durations or demands, a demand above
        the capacity, or a precedence cycle.
    """
    lines = text.splitlines()
    header, section_at = _scan(lines)
    n, n_res = _check_header(header, section_at)
    successors = _successors(lines, section_at, n)
    capacities = _capacities(lines, section_at, n_res)
    durations, demands = _requests(lines, section_at, n, n_res, capacities)
    try:
        return Instance(
            durations=tuple(durations),
            successors=tuple(successors),
            demands=tuple(demands),
            capacities=tuple(capacities),
            name=name,
        )
    except InstanceError as exc:  # cycles: report against the precedence section
        raise RcpspFormatError(
            str(exc), line=section_at["PRECEDENCE RELATIONS"] + 1, field="PRECEDENCE RELATIONS"
        ) from exc


def _scan(lines: list[str]) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """The header fields (value, line number) and the line index of each section."""
    header: dict[str, tuple[int, int]] = {}
    section_at: dict[str, int] = {}
    for i, raw in enumerate(lines):
        for key, rx in _HEADER_KEYS.items():
            if key not in header:
                m = rx.match(raw)
                if m:
                    header[key] = (_int(m.group(1), i + 1, key), i + 1)
        up = raw.strip().upper()
        for sec in _SECTIONS:
            if up.startswith(sec) and sec not in section_at:
                section_at[sec] = i
    return header, section_at


def _check_header(
    header: dict[str, tuple[int, int]], section_at: dict[str, int]
) -> tuple[int, int]:
    """The number of jobs and of renewable resources, once the header and sections are sound."""
    if "jobs" not in header:
        raise RcpspFormatError(
            "header line 'jobs (incl. supersource/sink ):' not found", field="jobs"
        )
    if "renewable" not in header:
        raise RcpspFormatError("header line '- renewable :' not found", field="renewable")
    for sec in _SECTIONS[1:]:
        if sec not in section_at:
            raise RcpspFormatError(f"section {sec!r} not found", field=sec)
    n, n_line = header["jobs"]
    if n < 1:
        raise RcpspFormatError(
            f"number of jobs must be positive, got {n}", line=n_line, field="jobs"
        )
    n_res, r_line = header["renewable"]
    if n_res < 0:
        raise RcpspFormatError(
            f"negative number of resources {n_res}", line=r_line, field="renewable"
        )
    for key in ("nonrenewable", "doubly constrained"):
        if key in header and header[key][0] != 0:
            raise RcpspFormatError(
                f"only renewable resources are supported, got {header[key][0]}",
                line=header[key][1],
                field=key,
            )
    order = [section_at[s] for s in _SECTIONS if s in section_at]
    if order != sorted(order):
        raise RcpspFormatError("sections out of order; expected " + ", ".join(_SECTIONS))
    return n, n_res


def _rows(
    lines: list[str], section_at: dict[str, int], sec: str, skip_header_lines: int
) -> list[tuple[int, list[str]]]:
    """Data rows of a section: (line number, tokens) until the next rule line."""
    start = section_at[sec] + 1 + skip_header_lines
    out = []
    for i in range(start, len(lines)):
        raw = lines[i]
        if _is_rule(raw):
            if out:
                break
            continue
        if not raw.strip():
            continue
        if any(raw.strip().upper().startswith(s) for s in _SECTIONS):
            break
        out.append((i + 1, raw.split()))
    return out


def _successors(lines: list[str], section_at: dict[str, int], n: int) -> list[tuple[int, ...]]:
    """PRECEDENCE RELATIONS: one header line, then n rows; the successors, 0-based."""
    prec = _rows(lines, section_at, "PRECEDENCE RELATIONS", 1)
    if len(prec) != n:
        where = prec[-1][0] if prec else section_at["PRECEDENCE RELATIONS"] + 1
        raise RcpspFormatError(
            f"{len(prec)} job rows found, expected {n} (the 'jobs' header)",
            line=where,
            field="PRECEDENCE RELATIONS",
        )
    successors: list[tuple[int, ...]] = []
    for j, (ln, tok) in enumerate(prec):
        if len(tok) < 3:
            raise RcpspFormatError(
                "expected 'jobnr #modes #successors successors...'", line=ln, field="jobnr"
            )
        num = _int(tok[0], ln, "jobnr")
        if num != j + 1:
            raise RcpspFormatError(
                f"job number {num} out of sequence, expected {j + 1}", line=ln, field="jobnr"
            )
        modes = _int(tok[1], ln, "#modes")
        if modes != 1:
            raise RcpspFormatError(
                f"job {num}: {modes} modes; only single-mode is supported", line=ln, field="#modes"
            )
        k = _int(tok[2], ln, "#successors")
        succ = [_int(t, ln, "successors") for t in tok[3:]]
        if k != len(succ):
            raise RcpspFormatError(
                f"job {num}: #successors says {k} but {len(succ)} successor ids are listed",
                line=ln,
                field="#successors",
            )
        for s in succ:
            if not 1 <= s <= n:
                raise RcpspFormatError(
                    f"job {num}: unknown successor id {s} (jobs are 1..{n})",
                    line=ln,
                    field="successors",
                )
            if s == num:
                raise RcpspFormatError(
                    f"job {num} lists itself as successor", line=ln, field="successors"
                )
        if len(set(succ)) != len(succ):
            raise RcpspFormatError(
                f"job {num}: duplicate successor ids", line=ln, field="successors"
            )
        successors.append(tuple(s - 1 for s in succ))
    return successors


def _capacities(lines: list[str], section_at: dict[str, int], n_res: int) -> list[int]:
    """RESOURCEAVAILABILITIES: one header line ("R 1  R 2 ..."), one value row."""
    avail = _rows(lines, section_at, "RESOURCEAVAILABILITIES", 1)
    if not avail:
        raise RcpspFormatError(
            "no capacity row",
            line=section_at["RESOURCEAVAILABILITIES"] + 1,
            field="RESOURCEAVAILABILITIES",
        )
    ln, tok = avail[0]
    if len(tok) != n_res:
        raise RcpspFormatError(
            f"{len(tok)} capacities given, expected {n_res}",
            line=ln,
            field="RESOURCEAVAILABILITIES",
        )
    capacities = [_int(t, ln, f"R {r + 1}") for r, t in enumerate(tok)]
    for r, c in enumerate(capacities):
        if c < 0:
            raise RcpspFormatError(f"negative capacity {c}", line=ln, field=f"R {r + 1}")
    return capacities


def _requests(
    lines: list[str], section_at: dict[str, int], n: int, n_res: int, capacities: list[int]
) -> tuple[list[int], list[tuple[int, ...]]]:
    """REQUESTS/DURATIONS: header line, then a dashed rule (skipped by _rows()); durations and
    demands."""
    req = _rows(lines, section_at, "REQUESTS/DURATIONS", 1)
    if len(req) != n:
        where = req[-1][0] if req else section_at["REQUESTS/DURATIONS"] + 1
        raise RcpspFormatError(
            f"{len(req)} job rows found, expected {n}", line=where, field="REQUESTS/DURATIONS"
        )
    durations: list[int] = []
    demands: list[tuple[int, ...]] = []
    for j, (ln, tok) in enumerate(req):
        if len(tok) != 3 + n_res:
            raise RcpspFormatError(
                f"{len(tok)} fields, expected {3 + n_res} (jobnr, mode, duration, {n_res} demands)",
                line=ln,
                field="jobnr",
            )
        num = _int(tok[0], ln, "jobnr")
        if num != j + 1:
            raise RcpspFormatError(
                f"job number {num} out of sequence, expected {j + 1}", line=ln, field="jobnr"
            )
        if _int(tok[1], ln, "mode") != 1:
            raise RcpspFormatError(
                f"job {num}: mode {tok[1]}; only mode 1 is supported", line=ln, field="mode"
            )
        d = _int(tok[2], ln, "duration")
        if d < 0:
            raise RcpspFormatError(f"job {num}: negative duration {d}", line=ln, field="duration")
        dem = tuple(_int(t, ln, f"R {r + 1}") for r, t in enumerate(tok[3:]))
        for r, q in enumerate(dem):
            if q < 0:
                raise RcpspFormatError(
                    f"job {num}: negative demand {q}", line=ln, field=f"R {r + 1}"
                )
            if q > capacities[r]:
                raise RcpspFormatError(
                    f"job {num}: demand {q} exceeds capacity {capacities[r]} of resource {r + 1}",
                    line=ln,
                    field=f"R {r + 1}",
                )
        durations.append(d)
        demands.append(dem)
    return durations, demands


def load_sm(path: str | os.PathLike[str]) -> Instance:
    """Read and parse a ``.sm`` file (see :func:`parse_sm`); the name is the file stem.

    Raises
    ------
    RcpspFormatError
        If the content is malformed (the message starts with the file name).
    OSError
        If the file cannot be read.
    """
    path = os.fspath(path)
    with open(path, encoding="latin-1") as fh:
        text = fh.read()
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        return parse_sm(text, name=stem)
    except RcpspFormatError as exc:
        err = RcpspFormatError(f"{path}: {exc}")
        err.line, err.field = exc.line, exc.field
        raise err from exc
