"""The in-process STRtree index answers like PostGIS would."""

from __future__ import annotations

import numpy as np
import shapely

from landplots.index import PlotIndex


def grid(n=20):
    codes, geoms = [], []
    for i in range(n):
        for j in range(n):
            codes.append(f"P{i:02d}{j:02d}")
            geoms.append(
                shapely.box(
                    120 + i * 0.01, 30 + j * 0.01, 120 + i * 0.01 + 0.008, 30 + j * 0.01 + 0.008
                )
            )
    return codes, geoms


def test_predicates_and_code_order():
    codes, geoms = grid()
    idx = PlotIndex.build(codes[::-1], geoms[::-1])
    hit = idx.codes_at(idx.bbox(120.0, 30.0, 120.015, 30.005))
    assert hit == ["P0000", "P0100"]
    assert idx.codes_at(idx.containing(shapely.Point(120.004, 30.004))) == ["P0000"]
    assert idx.codes_at(idx.containing(shapely.Point(120.009, 30.004))) == []  # in the road
    assert idx.codes_at(idx.covered_by(shapely.box(119.9, 29.9, 120.0185, 30.0085))) == [
        "P0000",
        "P0100",
    ]


def test_nearest_candidates_match_brute_force():
    codes, geoms = grid()
    idx = PlotIndex.build(codes, geoms)
    rng = np.random.default_rng(1)
    for _ in range(20):
        p = shapely.Point(120 + rng.random() * 0.25, 30 + rng.random() * 0.25)
        pos, d = idx.nearest_candidates(p, 7)
        brute = sorted((shapely.distance(p, g), c) for c, g in zip(codes, geoms, strict=True))[:7]
        assert np.allclose(d, [x for x, _ in brute])
        assert sorted(idx.codes_at(pos)) == sorted(c for _, c in brute) or np.isclose(
            d[-1], brute[-1][0]
        )
