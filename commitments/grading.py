"""亩均论英雄: each enterprise's score and grade from its per-mu results.

The score is a weighted sum of ratios to benchmarks: for each metric, ``weight × min(value /
benchmark, cap)``; a metric the enterprise did not report counts 0 (the figures are required
for a fair grade).  With the default weights (Huangyan: 亩均税收 30, 亩均增加值 20, 全员劳动生产率
20, 单位能耗增加值 10, 单位排放增加值 10, R&D占比 10) an enterprise exactly at every benchmark
scores 100.  Grades: A 优先发展 (≥ ``thresholds["A"]``), B 支持发展, C 提升发展, D 限制发展.

>>> s = score({"tax_per_mu": 30, "value_added_per_mu": 100, "labor_productivity": 30,
...            "energy_value_added": 2, "emission_value_added": 300, "rd_ratio": 3})
>>> round(s.total, 1), s.grade
(100.0, 'B')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from commitments.errors import PolicyError

#: Metric → (中文, English, unit).
METRICS: dict[str, tuple[str, str, str]] = {
    "tax_per_mu": ("亩均税收", "tax per mu", "万元/亩"),
    "value_added_per_mu": ("亩均增加值", "value added per mu", "万元/亩"),
    "labor_productivity": ("全员劳动生产率", "labour productivity", "万元/人"),
    "energy_value_added": (
        "单位能耗增加值",
        "value added per tonne of coal equivalent",
        "万元/吨标煤",
    ),
    "emission_value_added": ("单位排放增加值", "value added per tonne of emissions", "万元/吨"),
    "rd_ratio": ("R&D经费占比", "R&D / revenue", "%"),
}

GRADES: dict[str, tuple[str, str]] = {
    "A": ("优先发展", "priority development"),
    "B": ("支持发展", "supported development"),
    "C": ("提升发展", "development to improve"),
    "D": ("限制发展", "restricted development"),
}


@dataclass(frozen=True, slots=True)
class GradingPolicy:
    """Weights (summing to 100), benchmarks, the cap of each ratio, and the grade thresholds."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "tax_per_mu": 30,
            "value_added_per_mu": 20,
            "labor_productivity": 20,
            "energy_value_added": 10,
            "emission_value_added": 10,
            "rd_ratio": 10,
        }
    )
    benchmarks: Mapping[str, float] = field(
        default_factory=lambda: {
            "tax_per_mu": 30.0,
            "value_added_per_mu": 100.0,
            "labor_productivity": 30.0,
            "energy_value_added": 2.0,
            "emission_value_added": 300.0,
            "rd_ratio": 3.0,
        }
    )
    cap: float = 1.5
    thresholds: Mapping[str, float] = field(
        default_factory=lambda: {"A": 110.0, "B": 80.0, "C": 50.0}
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": dict(self.weights),
            "benchmarks": dict(self.benchmarks),
            "cap": self.cap,
            "thresholds": dict(self.thresholds),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, where: str = "grading") -> GradingPolicy:
        """A grading policy; omitted fields take the defaults.

        Raises
        ------
        PolicyError
            Naming the field: unknown metrics, weights not summing to 100, a benchmark that is
            not positive, thresholds not decreasing A > B > C.
        """
        base = cls()
        if not d:
            return base
        out: dict[str, Any] = {}
        for name in ("weights", "benchmarks", "thresholds"):
            if name not in d:
                continue
            raw = d[name]
            if not isinstance(raw, Mapping):
                raise PolicyError(f"{where}.{name}：应为对象", f"{where}.{name}: must be an object")
            try:
                values = {str(k): float(v) for k, v in raw.items()}
            except (TypeError, ValueError):
                raise PolicyError(
                    f"{where}.{name}：应为数值", f"{where}.{name}: values must be numbers"
                ) from None
            allowed = set(GRADES) - {"D"} if name == "thresholds" else set(METRICS)
            unknown = set(values) - allowed
            if unknown:
                raise PolicyError(
                    f"{where}.{name}：未知项 {'、'.join(sorted(unknown))}",
                    f"{where}.{name}: unknown keys {', '.join(sorted(unknown))}",
                )
            out[name] = {**getattr(base, name), **values} if name != "weights" else values
        if "cap" in d:
            out["cap"] = float(d["cap"])
        policy = replace(base, **out)
        if not math.isclose(sum(policy.weights.values()), 100.0, abs_tol=1e-6) or any(
            w < 0 for w in policy.weights.values()
        ):
            raise PolicyError(
                f"{where}.weights：权重应为非负且合计 100（现为 {sum(policy.weights.values()):g}）",
                f"{where}.weights: must be non-negative and sum to 100 (now {sum(policy.weights.values()):g})",
            )
        if any(b <= 0 for b in policy.benchmarks.values()):
            raise PolicyError(
                f"{where}.benchmarks：基准值应为正数", f"{where}.benchmarks: must be positive"
            )
        t = policy.thresholds
        if not t["A"] > t["B"] > t["C"] >= 0 or policy.cap <= 0:
            raise PolicyError(
                f"{where}.thresholds：应满足 A > B > C ≥ 0（cap > 0）",
                f"{where}.thresholds: must satisfy A > B > C ≥ 0 (and cap > 0)",
            )
        return policy


DEFAULT_GRADING = GradingPolicy()


@dataclass(frozen=True, slots=True)
class Score:
    total: float
    parts: Mapping[str, float]  # metric → points
    values: Mapping[str, float]
    grade: str

    def grade_text(self, lang: str = "zh") -> str:
        zh, en = GRADES[self.grade]
        return f"{self.grade} {en if lang == 'en' else zh}"


def grade_of(total: float, policy: GradingPolicy = DEFAULT_GRADING) -> str:
    for g in ("A", "B", "C"):
        if total >= policy.thresholds[g]:
            return g
    return "D"


def score(values: Mapping[str, float], policy: GradingPolicy = DEFAULT_GRADING) -> Score:
    """The 亩均论英雄 score of one enterprise from its metric values (see the module doc)."""
    parts: dict[str, float] = {}
    for metric, weight in policy.weights.items():
        v = values.get(metric)
        if v is None or not math.isfinite(v) or v <= 0:
            parts[metric] = 0.0
            continue
        parts[metric] = weight * min(v / policy.benchmarks[metric], policy.cap)
    total = sum(parts.values())
    return Score(
        total, parts, {k: v for k, v in values.items() if k in METRICS}, grade_of(total, policy)
    )
