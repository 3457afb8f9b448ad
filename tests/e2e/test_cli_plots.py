"""The `onetrip plots` contract: real GIS files made with geopandas, hostile ones included.

The contract itself (import summary, query, a refused file, a Shapefile round trip) runs as a
user runs it, in real processes; the many variations run the same click commands in process
(``CliRunner``) to keep the suite fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

ROOT = Path(__file__).parents[2]
DATA = ROOT / "landplots" / "data"
CORE = {
    "investment_intensity": {"lower": 300, "unit": "万元/亩"},
    "plot_ratio": {"lower": 1.2, "upper": 2.5},
    "tax_per_mu": {"lower": 30, "unit": "万元/亩·年"},
}


def onetrip(*args: str, cwd: Path, db: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whatever is installed
    if db:
        args = (*args, "--db", db)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(*args: str, cwd: Path, db: str | None = None) -> Result:
    """The same command in process (click's runner), from ``cwd``."""
    from click.testing import CliRunner

    from api.cli import cli as group

    if db:
        args = (*args, "--db", db)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        r = CliRunner().invoke(group, list(args), env={"DATABASE_URL": None, "ONETRIP_LANG": None})
    finally:
        os.chdir(old)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Result(r.exit_code, r.stdout, r.stderr)


def feature(code: str, geom, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"{code} 号地块", "indicators": CORE, **props},
        "geometry": shapely.geometry.mapping(geom),
    }


def box(i: int, j: int = 0, size: float = 0.002):
    return shapely.box(
        120.2 + i * 0.003, 30.3 + j * 0.003, 120.2 + i * 0.003 + size, 30.3 + j * 0.003 + size
    )


def write_fc(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path


def db_of(work: Path) -> str:
    return f"sqlite:///{work / 'registry.sqlite3'}"


def test_import_query_and_summary(work: Path):
    db = db_of(work)
    r = onetrip("plots", "import", str(DATA / "zones.geojson"), cwd=work, db=db)
    assert r.returncode == 0, r.stderr
    assert "3 个片区" in r.stdout
    r = onetrip("plots", "import", str(DATA / "plots.geojson"), cwd=work, db=db)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and "20 个地块" in lines[0]
    r = onetrip(
        "plots",
        "query",
        "--bbox",
        "120.285,30.295,120.2975,30.3",
        "--format",
        "codes",
        cwd=work,
        db=db,
    )
    assert r.returncode == 0, r.stderr
    codes = r.stdout.split()
    assert "CD-A03" in codes and not any(c.startswith("CD-C") for c in codes)
    table = cli("plots", "query", "--bbox", "120.285,30.295,120.2975,30.3", cwd=work, db=db)
    assert all(c in table.stdout for c in codes) and "CD-B01" not in table.stdout
    r = cli(
        "plots",
        "query",
        "--near",
        "120.293,30.296",
        "--nearest",
        "2",
        "--where",
        "tax_per_mu.lower>=35",
        "--format",
        "json",
        cwd=work,
        db=db,
    )
    out = json.loads(r.stdout)
    assert out["number_returned"] == 2 and out["plots"][0]["code"] == "CD-A03"
    assert out["plots"][0]["distance_m"] == 0
    r = onetrip("plots", "query", "--bbox", "1,2,3", cwd=work, db=db)
    assert r.returncode == 1 and "--bbox" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("plots", "show", "NOPE", cwd=work, db=db)
    assert r.returncode == 1 and "NOPE" in r.stderr
    r = cli(
        "plots",
        "screen",
        "--polygon",
        "POLYGON((120.29 30.295,120.30 30.295,120.30 30.305,120.29 30.305,120.29 30.295))",
        "--format",
        "json",
        cwd=work,
        db=db,
    )
    screen = json.loads(r.stdout)
    assert [z["code"] for z in screen["zones"]] == ["CD-A", "CD-C"] and screen["plots"]


def test_plan_takes_the_assessments_of_the_plot(work: Path):
    db = db_of(work)
    cli("plots", "import", str(DATA / "zones.geojson"), cwd=work, db=db)
    cli("plots", "import", str(DATA / "plots.geojson"), cwd=work, db=db)
    sample = json.loads((ROOT / "approvals" / "data" / "sample_project.json").read_text("utf-8"))
    project = {**sample, "plot": "CD-C01"}
    del project["regional_assessments"]
    (work / "p.json").write_text(json.dumps(project, ensure_ascii=False), "utf-8")
    r = cli("plan", "--project", "p.json", "--format", "json", cwd=work, db=db)
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    reasons = " ".join(w["reason"] for w in plan["waived"] + plan["reduced_to_commitment"])
    assert "城东智造园新材料片区" in reasons
    assert "energy" not in {w["assessment"] for w in plan["waived"]}  # CD-C's expired in 2025
    (work / "q.json").write_text(json.dumps({**project, "plot": "NOPE"}), "utf-8")
    r = cli("plan", "--project", "q.json", cwd=work, db=db)
    assert r.returncode == 1 and "NOPE" in r.stderr


def hostile_cases(work: Path) -> dict[str, tuple[Path, list[str]]]:
    bowtie = shapely.Polygon([(120.2, 30.3), (120.21, 30.31), (120.21, 30.3), (120.2, 30.31)])
    cases = {
        "invalid": (
            [feature("OK-1", box(0)), feature("BOWTIE-7", bowtie)],
            ["BOWTIE-7", "Self-intersection"],
        ),
        "duplicate": ([feature("D-1", box(0)), feature("D-1", box(1))], ["D-1", "重复"]),
        "overlap": (
            [feature("O-1", box(0)), feature("O-2", box(0).buffer(-0.0002).union(box(1)).envelope)],
            ["O-2", "O-1", "重叠"],
        ),
        "lower_gt_upper": (
            [
                feature(
                    "R-1", box(0), indicators={**CORE, "plot_ratio": {"lower": 3.0, "upper": 1.5}}
                )
            ],
            ["R-1", "plot_ratio", "下限 3 大于上限 1.5"],
        ),
        "unknown_unit": (
            [
                feature(
                    "U-1",
                    box(0),
                    indicators={**CORE, "tax_per_mu": {"lower": 30, "unit": "美元/英亩"}},
                )
            ],
            ["U-1", "美元/英亩"],
        ),
        "missing": ([feature("M-1", box(0), indicators={})], ["M-1", "缺少控制指标"]),
        "no_bound": (
            [feature("N-1", box(0), indicators={**CORE, "rd_ratio": {"unit": "%"}})],
            ["N-1", "rd_ratio", "缺少指标值"],
        ),
    }
    out = {
        k: (write_fc(work / f"{k}.geojson", feats), needles)
        for k, (feats, needles) in cases.items()
    }
    # wrong CRS: metres labelled as lon/lat
    t = Transformer.from_crs(4490, 4549, always_xy=True)
    metres = shapely.transform(box(0), lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    out["wrong_crs"] = (
        write_fc(
            work / "wrong_crs.geojson", [feature("W-1", metres)], "urn:ogc:def:crs:EPSG::4490"
        ),
        ["W-1", "CGCS2000"],
    )
    return out


def test_hostile_files_are_refused_naming_the_culprits(work: Path):
    db = db_of(work)
    assert cli("plots", "import", str(DATA / "zones.geojson"), cwd=work, db=db).returncode == 0
    assert cli("plots", "import", str(DATA / "plots.geojson"), cwd=work, db=db).returncode == 0
    assert cli("plots", "export", "before.geojson", cwd=work, db=db).returncode == 0
    cases = hostile_cases(work)
    path, needles = cases.pop("invalid")
    r = onetrip("plots", "import", str(path), cwd=work, db=db)  # one as a real process
    assert r.returncode == 1 and "文件被拒绝" in r.stderr.strip().splitlines()[-1]
    assert all(n in r.stderr for n in needles) and "OK-1" not in r.stderr
    for name, (path, needles) in cases.items():
        r = cli("plots", "import", str(path), cwd=work, db=db)
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        last = r.stderr.strip().splitlines()[-1]
        assert "文件被拒绝" in last, (name, r.stderr)
        for needle in needles:
            assert needle in r.stderr, (name, needle, r.stderr)
    assert cli("plots", "export", "after.geojson", cwd=work, db=db).returncode == 0
    features = lambda p: json.loads((work / p).read_text("utf-8"))["features"]  # noqa: E731
    assert features("before.geojson") == features("after.geojson")
    partial = write_fc(
        work / "partial.geojson", [feature("S-1", box(0), indicators={"tax_per_mu": {"lower": 30}})]
    )
    r = cli("plots", "import", str(partial), "--strict", cwd=work, db=db)
    assert r.returncode == 1 and "S-1" in r.stderr and "investment_intensity" in r.stderr


def test_any_crs_is_reprojected(work: Path):
    db = db_of(work)
    t = Transformer.from_crs(4490, 4549, always_xy=True)
    g = box(0)
    gk = shapely.transform(g, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    frame = gpd.GeoDataFrame(
        {
            "code": ["GK-1"],
            "name": ["高斯投影地块"],
            "inv_lo": [300.0],
            "far_lo": [1.0],
            "far_hi": [2.0],
            "tax_lo": [30.0],
        },
        geometry=[gk],
        crs=4549,
    )
    frame.to_file(work / "gk.gpkg", driver="GPKG", layer="plots")
    r = cli("plots", "import", "gk.gpkg", cwd=work, db=db)
    assert r.returncode == 0, r.stderr
    r = cli("plots", "show", "GK-1", "--format", "geojson", cwd=work, db=db)
    f = json.loads(r.stdout)
    assert shapely.geometry.shape(f["geometry"]).equals_exact(g, 1e-7)
    assert f["properties"]["area_mu"] == pytest.approx(shapely.area(gk) / (10000 / 15), rel=1e-6)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_chinese_attributes_survive_every_format(work: Path, fmt: str):
    db = db_of(work)
    run = onetrip if fmt == "shp" else cli  # the Shapefile trip in real processes
    rows = [
        feature(
            "甲-001",
            box(0),
            status="挂牌",
            land_use="工业用地（M1）",
            zone="滨江片区",
            备注="临江，近地铁",
        ),
        feature("乙-002", box(1), status="已出让", land_use="研发用地", zone="滨江片区"),
    ]
    write_fc(work / "cn.geojson", rows)
    assert run("plots", "import", "cn.geojson", cwd=work, db=db).returncode == 0
    r = run("plots", "export", f"out.{fmt}", cwd=work, db=db)
    assert r.returncode == 0, r.stderr
    db2 = f"sqlite:///{work / 'second.sqlite3'}"
    r = run("plots", "import", f"out.{fmt}", cwd=work, db=db2)
    assert r.returncode == 0, r.stderr
    out = json.loads(run("plots", "query", "--format", "json", cwd=work, db=db2).stdout)
    by = {p["code"]: p for p in out["plots"]}
    assert set(by) == {"甲-001", "乙-002"}
    assert by["甲-001"]["name"] == "甲-001 号地块" and by["甲-001"]["land_use"] == "工业用地（M1）"
    assert by["甲-001"]["status_name"] == "挂牌" and by["乙-002"]["zone"] == "滨江片区"
    assert by["甲-001"]["备注"] == "临江，近地铁"
    assert by["甲-001"]["indicators"]["tax_per_mu"]["lower"] == 30


def test_large_files_show_progress_and_end_with_one_line(work: Path):
    feats = [feature(f"G-{i:05d}", box(i % 100, i // 100, 0.0025)) for i in range(3000)]
    write_fc(work / "big.geojson", feats)
    r = cli("plots", "import", "big.geojson", cwd=work, db=db_of(work))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().count("\n") == 0 and "3000 个地块" in r.stdout
