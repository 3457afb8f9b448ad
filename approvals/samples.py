"""Sample data shipped with the package (the demo's project)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def sample_project_doc() -> dict[str, Any]:
    """The demo's project: an equipment factory on a standard plot in a Zhejiang development zone."""
    return json.loads(
        resources.files("approvals").joinpath("data/sample_project.json").read_text("utf-8")
    )
