"""A server's heap after startup (api.ops.settle_heap, issue 16): frozen out of the collector's
walks, the young generation collected less often, and every collection timed for /metrics.

Run in a child process: freezing the test process's heap would outlive the test."""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import gc, json
from prometheus_client import generate_latest
from api.ops import GC_PAUSES, GC_YOUNG_THRESHOLD, settle_heap

before = gc.get_freeze_count()
settle_heap()
settle_heap()  # a second startup hook of the same process adds no second timer
garbage = []
garbage.append(garbage)  # a cycle: only the collector frees it
del garbage
found = gc.collect(0) + gc.collect(2)
samples = {
    s.labels["generation"]: s.value
    for metric in GC_PAUSES.collect()
    for s in metric.samples
    if s.name.endswith("_count")
}
print(json.dumps({
    "before": before,
    "frozen": gc.get_freeze_count(),
    "threshold": list(gc.get_threshold()),
    "young": GC_YOUNG_THRESHOLD,
    "timers": sum(1 for cb in gc.callbacks if cb.__name__ == "_time_collection"),
    "found": found,
    "samples": samples,
}))
"""


def test_settle_heap_freezes_the_startup_heap_and_times_each_collection():
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] == 0
    assert got["frozen"] > 10_000  # the modules imported and what they built
    assert got["threshold"][0] == got["young"] == 10_000
    assert got["timers"] == 1
    assert got["found"] >= 1  # the cycle made after the freeze is still collected
    # one timed pause per collection, by generation: the second hook's full collection, then
    # the two above (the first hook's ran before its timer was in place)
    assert got["samples"] == {"0": 1.0, "2": 2.0}
