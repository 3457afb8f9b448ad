"""The demo's registry step: the sample zones and plots, and the plan from the sample's plot."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from api.demo import run_demo
from migrations.runner import upgrade
from storage.engine import make_engine


def test_demo_imports_the_registry_and_plans_from_the_plot(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade(engine)
    out = io.StringIO()
    try:
        run_demo(engine, tmp_path, Console(file=out, width=200), "zh")
    finally:
        engine.dispose()
    text = out.getvalue()
    assert "导入 20 个地块" in text and "CD-A03" in text
    assert "城东智造园智能装备片区" in text  # waivers name the zone's assessments
    assert (tmp_path / "plots.gpkg").exists() and (tmp_path / "plan.json").exists()
