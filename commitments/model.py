"""The commitment (承诺书) as plain values: indicator terms, the consequence ladder, the zone's
policy, checkpoints and verdicts.

Rules made explicit (all configurable per zone through :class:`Policy`):

* **Terms.**  Each of the plot's indicators becomes a term: the enterprise commits to the
  plot's bounds (``lower``/``upper``, the standard written into the land contract); the
  project's own planned figure (``planned``, e.g. investment / area) is recorded beside it.
  ``tolerance`` is the relative shortfall still judged *partially met* (default 10 %).
* **Checkpoints.**  对标验收 (``acceptance``) checks the acceptance indicators on the
  ``acceptance_workdays``-th working day (default 30) after completion — the day the
  竣工验收备案 step (``S4-08``, :data:`COMPLETION_STEPS`) was done, or its forecast while the
  project is under way.  达产复核 (``production``) checks the production indicators
  ``production_years`` (default 3) years after production start — the project's
  ``production_start`` attribute when it gives one, else the completion date — on the first
  working day on or after that date.
* **Verdicts** (OCDS milestone statuses): ``met`` when the measured value lies within the
  bounds; ``partiallyMet`` when it misses by at most the tolerance; ``notMet`` beyond;
  ``overdue`` when no inspection was recorded ``grace_workdays`` (default 20) working days after
  the due day.
* **Consequences.**  The ladder is an ordered list of rules, least severe first; a verdict
  gets the most severe rule that matches its status, its attempt (1 = first check, 2 = the
  re-check after a rectification period …) and its shortfall.  A rule may forfeit the
  performance bond (``bond_per_mu`` 万元/亩 × area), charge damages in proportion to the
  shortfall (``damages_rate`` × shortfall × land price, as in the national land-transfer
  contract), record the breach in the credit record, recover the land, and set a
  rectification period (``correction_workdays``) after which the indicator is re-checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from commitments.errors import PolicyError
from landplots.model import Milestone

#: Steps whose completion is the project's completion (竣工验收备案), in order of preference.
COMPLETION_STEPS = ("S4-08",)

DOCUMENT_TYPE = "onetrip.commitment"
ACCEPTANCE_TYPE = "onetrip.acceptance"


class Status(StrEnum):
    """A checkpoint's or a verdict's status (OCDS milestone statuses, plus ``scheduled``)."""

    SCHEDULED = "scheduled"
    MET = "met"
    PARTIALLY_MET = "partiallyMet"
    NOT_MET = "notMet"
    OVERDUE = "overdue"

    def text(self, lang: str = "zh") -> str:
        zh, en = STATUS_LABELS[self]
        return en if lang == "en" else zh


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.SCHEDULED: ("待检查", "scheduled"),
    Status.MET: ("达标", "met"),
    Status.PARTIALLY_MET: ("部分达标", "partially met"),
    Status.NOT_MET: ("未达标", "not met"),
    Status.OVERDUE: ("逾期", "overdue"),
}
BREACHES = frozenset({Status.PARTIALLY_MET, Status.NOT_MET, Status.OVERDUE})

#: Commitment states: drafted from the plot → signed by the enterprise → accepted and
#: published (公示) → fulfilled (every checkpoint met) or breached (a consequence applied).
COMMITMENT_STATES: dict[str, tuple[str, str]] = {
    "draft": ("待签署", "awaiting the enterprise's signature"),
    "signed": ("待确认", "signed, awaiting acceptance"),
    "published": ("已公示", "accepted and published"),
    "fulfilled": ("已履约", "fulfilled"),
    "breached": ("违约处置中", "breached, consequences applied"),
}


@dataclass(frozen=True, slots=True)
class IndicatorTerm:
    """One indicator of the commitment: the bounds committed to, when it is checked, the
    tolerance, and the project's planned figure (informative)."""

    key: str
    name: str
    unit: str
    lower: float | None
    upper: float | None
    milestone: Milestone
    tolerance: float = 0.1
    name_en: str = ""
    planned: float | None = None

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.lower is not None and self.upper is not None:
            return f"{_num(self.lower)}–{_num(self.upper)}{unit}"
        if self.lower is not None:
            return f"≥ {_num(self.lower)}{unit}"
        return f"≤ {_num(self.upper)}{unit}"

    def planned_misses(self) -> bool:
        """Whether the project's planned figure already falls outside the bounds (before any
        tolerance: the enterprise is warned before it signs)."""
        if self.planned is None:
            return False
        return (self.lower is not None and self.planned < self.lower) or (
            self.upper is not None and self.planned > self.upper
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "name_en": self.name_en,
            "unit": self.unit,
            "lower": self.lower,
            "upper": self.upper,
            "milestone": self.milestone.value,
            "tolerance": self.tolerance,
            "planned": self.planned,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IndicatorTerm:
        return cls(
            key=str(d["key"]),
            name=str(d["name"]),
            unit=str(d.get("unit", "")),
            lower=_opt_float(d.get("lower")),
            upper=_opt_float(d.get("upper")),
            milestone=Milestone(d["milestone"]),
            tolerance=float(d.get("tolerance", 0.1)),
            name_en=str(d.get("name_en", "")),
            planned=_opt_float(d.get("planned")),
        )


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


CONSEQUENCE_KINDS: dict[str, tuple[str, str]] = {
    "correction": ("限期整改", "rectification within a period"),
    "bond_forfeit": ("扣除履约保证金", "performance bond forfeited"),
    "damages": ("按差额比例支付违约金", "damages in proportion to the shortfall"),
    "credit_record": ("记入信用记录、联合惩戒", "entered in the credit record (joint sanctions)"),
    "land_recovery": ("收回土地使用权", "land use right recovered"),
}


@dataclass(frozen=True, slots=True)
class ConsequenceRule:
    """A rung of the consequence ladder (违约责任).

    It applies to a verdict whose status is in ``statuses``, on check ``attempt >=
    min_attempt``, with a relative shortfall ``>= min_shortfall`` (overdue verdicts count as
    a shortfall of 1).
    """

    code: str
    statuses: tuple[str, ...]
    min_attempt: int = 1
    min_shortfall: float = 0.0
    correction_workdays: int | None = None
    bond_per_mu: float | None = None  # 万元/亩 forfeited
    damages_rate: float | None = None  # × shortfall × land price (万元)
    credit_record: bool = False
    land_recovery: bool = False

    @property
    def name(self) -> str:
        return CONSEQUENCE_KINDS.get(self.code, (self.code, self.code))[0]

    def text(self, lang: str = "zh") -> str:
        zh, en = CONSEQUENCE_KINDS.get(self.code, (self.code, self.code))
        return en if lang == "en" else zh

    def describe(self, lang: str = "zh") -> str:
        """One line for the letter: when it applies and what follows."""
        st = "、".join(Status(s).text(lang) for s in self.statuses)
        parts_zh = [
            f"{st}" + (f"（第 {self.min_attempt} 次检查起）" if self.min_attempt > 1 else "")
        ]
        parts_en = [
            ", ".join(Status(s).text("en") for s in self.statuses)
            + (f" (from check {self.min_attempt})" if self.min_attempt > 1 else "")
        ]
        if self.min_shortfall:
            parts_zh.append(f"差额 ≥ {self.min_shortfall:.0%}")
            parts_en.append(f"shortfall ≥ {self.min_shortfall:.0%}")
        what_zh, what_en = [self.text("zh")], [self.text("en")]
        if self.bond_per_mu:
            what_zh.append(f"{_num(self.bond_per_mu)} 万元/亩")
            what_en.append(f"{_num(self.bond_per_mu)} 10k CNY/mu")
        if self.damages_rate:
            what_zh.append(f"差额比例 × {_num(self.damages_rate)} × 出让价款")
            what_en.append(f"shortfall × {_num(self.damages_rate)} × land price")
        if self.correction_workdays:
            what_zh.append(f"整改期 {self.correction_workdays} 个工作日后复查")
            what_en.append(f"re-check after {self.correction_workdays} working days")
        if lang == "en":
            return f"{'; '.join(parts_en)} → {'; '.join(what_en)}"
        return f"{'，'.join(parts_zh)} → {'，'.join(what_zh)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "statuses": list(self.statuses),
            "min_attempt": self.min_attempt,
            "min_shortfall": self.min_shortfall,
            "correction_workdays": self.correction_workdays,
            "bond_per_mu": self.bond_per_mu,
            "damages_rate": self.damages_rate,
            "credit_record": self.credit_record,
            "land_recovery": self.land_recovery,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "ladder") -> ConsequenceRule:
        try:
            code = str(d["code"])
            statuses = tuple(str(s) for s in d.get("statuses", ()))
            rule = cls(
                code=code,
                statuses=statuses,
                min_attempt=int(d.get("min_attempt", 1)),
                min_shortfall=float(d.get("min_shortfall", 0.0)),
                correction_workdays=None
                if d.get("correction_workdays") is None
                else int(d["correction_workdays"]),
                bond_per_mu=_opt_float(d.get("bond_per_mu")),
                damages_rate=_opt_float(d.get("damages_rate")),
                credit_record=bool(d.get("credit_record", False)),
                land_recovery=bool(d.get("land_recovery", False)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise PolicyError(f"{where}：格式错误（{e}）", f"{where}: malformed ({e})") from None
        if code not in CONSEQUENCE_KINDS:
            raise PolicyError(
                f"{where}：未知的违约责任 '{code}'（可选：{'、'.join(CONSEQUENCE_KINDS)}）",
                f"{where}: unknown consequence '{code}' (one of {', '.join(CONSEQUENCE_KINDS)})",
            )
        bad = [s for s in statuses if s not in {s.value for s in BREACHES}]
        if not statuses or bad:
            raise PolicyError(
                f"{where}（{code}）：statuses 应为 partiallyMet、notMet、overdue 中的一个或多个",
                f"{where} ({code}): statuses must be one or more of partiallyMet, notMet, overdue",
            )
        if rule.min_attempt < 1 or rule.min_shortfall < 0 or (rule.correction_workdays or 0) < 0:
            raise PolicyError(
                f"{where}（{code}）：min_attempt ≥ 1，min_shortfall 与 correction_workdays 不得为负",
                f"{where} ({code}): min_attempt ≥ 1; min_shortfall and correction_workdays not negative",
            )
        return rule


#: The default ladder (Zhejiang 标准地 practice): a first miss → rectification; a large miss
#: or a failed re-check → damages; a repeated large miss → credit record; a third failure
#: by half or more → land recovery; a missed date → the performance bond (5 万元/亩).
DEFAULT_LADDER: tuple[ConsequenceRule, ...] = (
    ConsequenceRule("correction", ("partiallyMet", "notMet"), correction_workdays=120),
    ConsequenceRule("bond_forfeit", ("overdue",), bond_per_mu=5.0, correction_workdays=20),
    ConsequenceRule(
        "damages", ("notMet",), min_shortfall=0.2, damages_rate=1.0, correction_workdays=120
    ),
    ConsequenceRule(
        "damages",
        ("partiallyMet", "notMet"),
        min_attempt=2,
        damages_rate=1.0,
        correction_workdays=120,
    ),
    ConsequenceRule(
        "credit_record",
        ("notMet", "overdue"),
        min_attempt=2,
        min_shortfall=0.2,
        damages_rate=1.0,
        credit_record=True,
        correction_workdays=120,
    ),
    ConsequenceRule(
        "land_recovery", ("notMet", "overdue"), min_attempt=3, min_shortfall=0.5, land_recovery=True
    ),
)


@dataclass(frozen=True, slots=True)
class Policy:
    """A zone's commitment policy (片区承诺制规则); :data:`DEFAULT_POLICY` where none is set."""

    acceptance_workdays: int = 30
    production_years: int = 3
    grace_workdays: int = 20
    tolerance: float = 0.1
    tolerances: Mapping[str, float] = field(default_factory=dict)
    land_price_per_mu: float = 30.0  # 万元/亩, when the project does not give its land price
    ladder: tuple[ConsequenceRule, ...] = DEFAULT_LADDER

    def tolerance_for(self, key: str) -> float:
        return float(self.tolerances.get(key, self.tolerance))

    def to_dict(self) -> dict[str, Any]:
        return {
            "acceptance_workdays": self.acceptance_workdays,
            "production_years": self.production_years,
            "grace_workdays": self.grace_workdays,
            "tolerance": self.tolerance,
            "tolerances": dict(self.tolerances),
            "land_price_per_mu": self.land_price_per_mu,
            "ladder": [r.to_dict() for r in self.ladder],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, where: str = "policy") -> Policy:
        """A policy from a document; omitted fields take the defaults.

        Raises
        ------
        PolicyError
            Naming the field that is malformed.
        """
        if not d:
            return DEFAULT_POLICY
        if not isinstance(d, Mapping):
            raise PolicyError(f"{where}：应为对象", f"{where}: must be an object")
        base = DEFAULT_POLICY
        out: dict[str, Any] = {}
        for name in ("acceptance_workdays", "production_years", "grace_workdays"):
            if name in d:
                try:
                    value = int(d[name])
                except (TypeError, ValueError):
                    value = -1
                if value < 0 or (name == "production_years" and value < 1):
                    raise PolicyError(
                        f"{where}.{name}：应为非负整数",
                        f"{where}.{name}: must be a non-negative integer",
                    )
                out[name] = value
        for name in ("tolerance", "land_price_per_mu"):
            if name in d:
                try:
                    share = float(d[name])
                except (TypeError, ValueError):
                    share = -1.0
                if share < 0 or (name == "tolerance" and share >= 1):
                    raise PolicyError(
                        f"{where}.{name}：数值无效 {d[name]!r}",
                        f"{where}.{name}: invalid value {d[name]!r}",
                    )
                out[name] = share
        if "tolerances" in d:
            tol = d["tolerances"]
            if not isinstance(tol, Mapping) or not all(
                isinstance(v, int | float) and 0 <= v < 1 for v in tol.values()
            ):
                raise PolicyError(
                    f"{where}.tolerances：应为 指标 → [0, 1) 的对象",
                    f"{where}.tolerances: must map indicator keys to numbers in [0, 1)",
                )
            out["tolerances"] = {str(k): float(v) for k, v in tol.items()}
        if "ladder" in d:
            raw = d["ladder"]
            if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
                raise PolicyError(
                    f"{where}.ladder：应为非空列表", f"{where}.ladder: must be a non-empty list"
                )
            out["ladder"] = tuple(
                ConsequenceRule.from_dict(r, f"{where}.ladder[{i}]") for i, r in enumerate(raw)
            )
        unknown = set(d) - {*out, "tolerances", "ladder"} - set(base.to_dict())
        if unknown:
            raise PolicyError(
                f"{where}：未知字段 {'、'.join(sorted(unknown))}",
                f"{where}: unknown fields {', '.join(sorted(unknown))}",
            )
        return replace(base, **out)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one indicator at one check."""

    key: str
    status: Status
    value: float | None
    shortfall: float  # relative: 0 when met, 1 when overdue

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status.value,
            "value": self.value,
            "shortfall": round(self.shortfall, 6),
        }
