"""Evaluation: per-mu values from an inspection's raw figures, verdicts with tolerance,
consequences from the ladder, rectification deadlines and checkpoint dates.

Raw figures (what a regulator records; 万元 = 10,000 CNY):

============================  ===========================  ==========================
figure                        中文                          used for
============================  ===========================  ==========================
``fixed_asset_investment``    固定资产投资（万元）             investment_intensity = / 亩
``floor_area``                计容建筑面积（m²）               plot_ratio = / area m²
``building_footprint``        建筑基底面积（m²）               building_density = / area m² × 100
``green_area``                绿地面积（m²）                   green_ratio = / area m² × 100
``building_height``           建筑高度（m）                    height
``tax``                       年度实缴税收（万元）             tax_per_mu = / 亩
``value_added``               工业增加值（万元）               value_added_per_mu = / 亩;
                                                             energy_value_added = / energy;
                                                             emission_value_added = / emissions;
                                                             labor_productivity = / employees
``energy_tce``                综合能耗（吨标煤）
``emissions_t``               主要污染物排放量（吨）
``rd_spending``               研发经费（万元）                 rd_ratio = / revenue × 100
``revenue``                   主营业务收入（万元）
``employees``                 年平均职工人数（人）
============================  ===========================  ==========================

A zone's own indicator keys (``indicator_definitions``) are measured directly: the figure of
the same name is the value.  The plot's area comes from the registry (Gauss–Krüger area, 亩).

>>> per_mu_values({"tax": 2800.0}, area_mu=80.0, area_m2=53333.6)["tax_per_mu"]
35.0
>>> evaluate_value(32.0, 35.0, None, 0.1)[0], evaluate_value(30.0, 35.0, None, 0.1)[0]
(<Status.PARTIALLY_MET: 'partiallyMet'>, <Status.NOT_MET: 'notMet'>)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from approvals.calendar import WorkCalendar
from commitments.errors import InspectionError
from commitments.model import (
    BREACHES,
    ConsequenceRule,
    IndicatorTerm,
    Policy,
    Status,
    Verdict,
)

#: The raw figures an inspection may record: name → (中文, English, unit).
FIGURES: dict[str, tuple[str, str, str]] = {
    "fixed_asset_investment": ("固定资产投资", "fixed-asset investment", "万元"),
    "floor_area": ("计容建筑面积", "floor area counted for the plot ratio", "m²"),
    "building_footprint": ("建筑基底面积", "building footprint", "m²"),
    "green_area": ("绿地面积", "green area", "m²"),
    "building_height": ("建筑高度", "building height", "m"),
    "tax": ("年度实缴税收", "taxes paid in the year", "万元"),
    "value_added": ("工业增加值", "industrial value added", "万元"),
    "energy_tce": ("综合能耗", "energy consumption", "吨标煤"),
    "emissions_t": ("主要污染物排放量", "main pollutant emissions", "吨"),
    "rd_spending": ("研发经费", "R&D spending", "万元"),
    "revenue": ("主营业务收入", "main business revenue", "万元"),
    "employees": ("年平均职工人数", "average employees", "人"),
}

#: How each standard indicator is computed: (numerator, denominator, scale); a denominator of
#: ``"area_mu"``/``"area_m2"`` is the plot's area; ``None`` takes the numerator as it is.
DERIVATIONS: dict[str, tuple[str, str | None, float]] = {
    "investment_intensity": ("fixed_asset_investment", "area_mu", 1.0),
    "plot_ratio": ("floor_area", "area_m2", 1.0),
    "building_density": ("building_footprint", "area_m2", 100.0),
    "green_ratio": ("green_area", "area_m2", 100.0),
    "height": ("building_height", None, 1.0),
    "tax_per_mu": ("tax", "area_mu", 1.0),
    "value_added_per_mu": ("value_added", "area_mu", 1.0),
    "energy_value_added": ("value_added", "energy_tce", 1.0),
    "emission_value_added": ("value_added", "emissions_t", 1.0),
    "rd_ratio": ("rd_spending", "revenue", 100.0),
    "labor_productivity": ("value_added", "employees", 1.0),
}


def check_figures(figures: Mapping[str, Any], extra_keys: Sequence[str] = ()) -> dict[str, float]:
    """The figures as non-negative finite numbers.

    Raises
    ------
    InspectionError
        Naming the first unknown figure or the first value that is not a non-negative number.
    """
    out: dict[str, float] = {}
    allowed = set(FIGURES) | set(extra_keys)
    for name, raw in figures.items():
        if name not in allowed:
            raise InspectionError(
                f"未知的检查数据项 '{name}'（可选：{'、'.join(allowed)}）",
                f"unknown figure '{name}' (one of: {', '.join(sorted(allowed))})",
            )
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = float("nan")
        if isinstance(raw, bool) or not math.isfinite(value) or value < 0:
            raise InspectionError(
                f"检查数据项 {name} 的值 {raw!r} 不是非负数",
                f"figure {name}: {raw!r} is not a non-negative number",
            )
        out[name] = value
    return out


def per_mu_values(figures: Mapping[str, float], area_mu: float, area_m2: float) -> dict[str, float]:
    """The indicator values the figures allow (per mu, per m², ratios); a value whose figures
    are missing or whose denominator is zero is left out.

    Precondition: ``area_mu > 0`` and ``area_m2 > 0`` (the plot's registered area).
    """
    denominators = {"area_mu": area_mu, "area_m2": area_m2}
    out: dict[str, float] = {}
    for key, (num, den, scale) in DERIVATIONS.items():
        if num not in figures:
            continue
        if den is None:
            out[key] = figures[num] * scale
            continue
        d = denominators[den] if den in denominators else figures.get(den)
        if d:
            out[key] = figures[num] / d * scale
    for key, value in figures.items():  # a zone's own keys are measured directly
        if key not in FIGURES and key not in out:
            out[key] = value
    return out


def shortfall(value: float, lower: float | None, upper: float | None) -> float:
    """How far ``value`` misses the bounds, relative to the bound it misses (0 when within)."""
    if lower is not None and value < lower:
        return (lower - value) / lower if lower else 1.0
    if upper is not None and value > upper:
        return (value - upper) / upper if upper else 1.0
    return 0.0


def evaluate_value(
    value: float, lower: float | None, upper: float | None, tolerance: float
) -> tuple[Status, float]:
    """The verdict on one measured value: met within the bounds, partially met within the
    tolerance (relative shortfall ≤ tolerance), not met beyond."""
    s = shortfall(value, lower, upper)
    if s == 0.0:
        return Status.MET, 0.0
    return (Status.PARTIALLY_MET if s <= tolerance else Status.NOT_MET), s


def evaluate_term(term: IndicatorTerm, value: float | None) -> Verdict:
    """The verdict on one term; a missing value is not met (shortfall 1)."""
    if value is None:
        return Verdict(term.key, Status.NOT_MET, None, 1.0)
    status, s = evaluate_value(value, term.lower, term.upper, term.tolerance)
    return Verdict(term.key, status, value, s)


def evaluate(
    terms: Sequence[IndicatorTerm], figures: Mapping[str, float], area_mu: float, area_m2: float
) -> list[Verdict]:
    """Verdicts for ``terms`` from an inspection's raw figures.

    Raises
    ------
    InspectionError
        When the figures do not allow computing one of the terms (naming the figures needed).
    """
    values = per_mu_values(figures, area_mu, area_m2)
    missing = [t for t in terms if t.key not in values]
    if missing:
        need = []
        for t in missing:
            num, den, _ = DERIVATIONS.get(t.key, (t.key, None, 1.0))
            need += [f for f in (num, den) if f and f not in {"area_mu", "area_m2"}]
        names = "、".join(dict.fromkeys(need))
        raise InspectionError(
            f"缺少计算 {'、'.join(t.name for t in missing)} 所需的数据：{names}",
            f"figures needed for {', '.join(t.key for t in missing)} are missing: {', '.join(dict.fromkeys(need))}",
        )
    return [evaluate_term(t, values[t.key]) for t in terms]


def overdue_verdicts(terms: Sequence[IndicatorTerm]) -> list[Verdict]:
    """Every term overdue (no inspection by the end of the grace period)."""
    return [Verdict(t.key, Status.OVERDUE, None, 1.0) for t in terms]


#: Status codes of the vectorised evaluation.
STATUS_CODES: tuple[Status, ...] = (Status.MET, Status.PARTIALLY_MET, Status.NOT_MET)


def evaluate_arrays(
    values: np.ndarray, lower: np.ndarray, upper: np.ndarray, tolerance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`evaluate_value` over many checks: status codes (indices into
    :data:`STATUS_CODES`, int8) and relative shortfalls.  A missing bound is NaN.

    Precondition: four float64 arrays of one length; a bound of 0 is not used with a NaN value.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.where(
            values < lower, (lower - values) / np.where(lower == 0, np.nan, lower), 0.0
        )
        below = np.where((values < lower) & (lower == 0), 1.0, below)
        above = np.where(
            values > upper, (values - upper) / np.where(upper == 0, np.nan, upper), 0.0
        )
        above = np.where((values > upper) & (upper == 0), 1.0, above)
    short = np.where(below > 0, below, above)
    codes = np.where(short == 0.0, 0, np.where(short <= tolerance, 1, 2)).astype(np.int8)
    return codes, short


# --- consequences --------------------------------------------------------------------------------


def select_consequence(
    ladder: Sequence[ConsequenceRule], verdict: Verdict, attempt: int
) -> ConsequenceRule | None:
    """The most severe rung of the ladder that applies to ``verdict`` at check ``attempt``
    (the last matching rule; ``None`` when the verdict is met or nothing matches)."""
    if verdict.status not in BREACHES:
        return None
    chosen = None
    for rule in ladder:
        if (
            verdict.status.value in rule.statuses
            and attempt >= rule.min_attempt
            and verdict.shortfall >= rule.min_shortfall
        ):
            chosen = rule
    return chosen


@dataclass(frozen=True, slots=True)
class Consequence:
    """A consequence decided for one verdict."""

    key: str
    rule: ConsequenceRule
    amount: float  # 万元 (bond forfeited + damages)
    deadline: date | None  # end of the rectification period: the re-check is due then

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "code": self.rule.code,
            "amount_wan": round(self.amount, 2),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "credit_record": self.rule.credit_record,
            "land_recovery": self.rule.land_recovery,
        }


def consequence_for(
    verdict: Verdict,
    attempt: int,
    policy: Policy | Sequence[ConsequenceRule],
    *,
    area_mu: float,
    land_price: float,
    decided_on: date,
    calendar: WorkCalendar,
) -> Consequence | None:
    """The consequence of a breached verdict: the ladder's rung, the money (bond forfeited per
    mu of the plot; damages = rate × shortfall × land price) and the rectification deadline
    (``correction_workdays`` working days after ``decided_on``)."""
    ladder = policy.ladder if isinstance(policy, Policy) else policy
    rule = select_consequence(ladder, verdict, attempt)
    if rule is None:
        return None
    amount = 0.0
    if rule.bond_per_mu:
        amount += rule.bond_per_mu * area_mu
    if rule.damages_rate:
        amount += rule.damages_rate * min(verdict.shortfall, 1.0) * land_price
    deadline = (
        calendar.add_workdays(decided_on, rule.correction_workdays)
        if rule.correction_workdays
        else None
    )
    return Consequence(verdict.key, rule, amount, deadline)


# --- checkpoint dates ----------------------------------------------------------------------------


def acceptance_due(calendar: WorkCalendar, completion: date, policy: Policy) -> date:
    """对标验收: the ``acceptance_workdays``-th working day after completion."""
    return calendar.add_workdays(completion, policy.acceptance_workdays)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def production_due(calendar: WorkCalendar, production_start: date, policy: Policy) -> date:
    """达产复核: the first working day on or after ``production_years`` after production start."""
    return calendar.workday_on_or_after(add_years(production_start, policy.production_years))


def overdue_after(calendar: WorkCalendar, due: date, policy: Policy) -> date:
    """The day from which a checkpoint without an inspection is overdue."""
    return calendar.add_workdays(due, policy.grace_workdays)
