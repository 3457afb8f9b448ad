"""Parser of the PSPLIB .sm format: real files accepted, malformed ones refused with line/field."""

from __future__ import annotations

import re

import pytest

from approvals.rcpsp.bounds import critical_path_bound
from approvals.rcpsp.errors import RcpspError, RcpspFormatError
from approvals.rcpsp.psplib import load_sm, parse_sm

from .conftest import psplib_dir

SMALL = """\
************************************************************************
file with basedata            : tiny.bas
initial value random generator: 1
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  5
horizon                       :  12
RESOURCES
  - renewable                 :  2   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PROJECT INFORMATION:
pronr.  #jobs rel.date duedate tardcost  MPM-Time
    1      3      0        7        3        7
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           5
   4        1          1           5
   5        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     3       2    0
  3      1     4       1    1
  4      1     4       2    1
  5      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    2    1
************************************************************************
"""


def test_small_file_is_read_0_based():
    inst = parse_sm(SMALL, name="tiny")
    assert inst.n_jobs == 5
    assert inst.durations == (0, 3, 4, 4, 0)
    assert inst.successors == ((1, 2), (3,), (4,), (4,), ())
    assert inst.demands[3] == (2, 1)
    assert inst.capacities == (2, 1)
    assert inst.label(0) == "1" and inst.label(4) == "5"
    assert critical_path_bound(inst) == 7


def _mutate(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "pattern", "line"),
    [
        (_mutate("PRECEDENCE RELATIONS:", "PRECEDENCE:"), r"PRECEDENCE RELATIONS.*not found", None),
        (_mutate("RESOURCEAVAILABILITIES:", "AVAIL:"), r"RESOURCEAVAILABILITIES.*not found", None),
        (
            _mutate("   2        1          1           4", "   2        1          2           4"),
            r"#successors says 2 but 1",
            20,
        ),
        (
            _mutate("   3        1          1           5", "   3        1          1           9"),
            r"unknown successor id 9",
            21,
        ),
        (
            _mutate("  3      1     4       1    1", "  3      1    -4       1    1"),
            r"negative duration",
            30,
        ),
        (
            _mutate("  4      1     4       2    1", "  4      1     4       3    1"),
            r"demand 3 exceeds capacity 2",
            31,
        ),
        (
            _mutate("   4        1          1           5", "   4        1          1           2"),
            r"cycle",
            None,
        ),
        (
            _mutate("  2      1     3       2    0", "  2      1     x       2    0"),
            r"integer.*'x'",
            29,
        ),
        (_mutate("   5        1          0\n", ""), r"4 job rows found, expected 5", None),
        (
            _mutate("   2        1          1           4", "   2        2          1           4"),
            r"single-mode",
            20,
        ),
        (
            _mutate("  R 1  R 2\n    2    1\n", "  R 1  R 2\n    2\n"),
            r"1 capacities given, expected 2",
            None,
        ),
        (_mutate("jobs (incl. supersource/sink ):  5", "jobs:  5"), r"'jobs", None),
        (
            _mutate("   3        1          1           5", "   7        1          1           5"),
            r"job number 7 out of sequence",
            21,
        ),
    ],
    ids=[
        "no-precedence",
        "no-capacities",
        "successor-count",
        "unknown-successor",
        "negative-duration",
        "demand-above-capacity",
        "cycle",
        "not-an-integer",
        "missing-job-row",
        "multi-mode",
        "capacity-count",
        "no-jobs-header",
        "job-out-of-sequence",
    ],
)
def test_malformed_input_is_refused_with_a_clear_message(text, pattern, line):
    with pytest.raises(RcpspFormatError) as info:
        parse_sm(text)
    assert re.search(pattern, str(info.value)), str(info.value)
    if line is not None:
        assert info.value.line == line
        assert f"line {line}" in str(info.value)
    assert isinstance(info.value, RcpspError)


def test_empty_text_is_refused():
    with pytest.raises(RcpspFormatError, match="jobs"):
        parse_sm("")


def test_load_sm_names_the_file(tmp_path):
    bad = tmp_path / "broken.sm"
    bad.write_text(
        SMALL.replace(
            "   3        1          1           5", "   3        1          1           0"
        )
    )
    with pytest.raises(RcpspFormatError, match=r"broken\.sm.*unknown successor id 0") as info:
        load_sm(bad)
    assert info.value.field == "successors"


def test_every_j30_file_parses_and_matches_its_mpm_time():
    data = psplib_dir()
    files = sorted((data / "j30").glob("*.sm"))
    assert len(files) == 480
    for path in files:
        inst = load_sm(path)
        assert inst.n_jobs == 32 and inst.n_resources == 4
        mpm = int(
            re.search(
                r"MPM-Time\s*\n\s*\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)", path.read_text()
            ).group(1)
        )
        assert critical_path_bound(inst) == mpm, path.name


@pytest.mark.parametrize(
    ("folder", "name", "jobs"), [("j60", "j6017_3.sm", 62), ("j120", "j12033_7.sm", 122)]
)
def test_larger_sets_parse(folder, name, jobs):
    inst = load_sm(psplib_dir() / folder / name)
    assert inst.n_jobs == jobs
    assert inst.name == name[:-3]
    assert inst.durations[0] == 0 and inst.durations[-1] == 0
