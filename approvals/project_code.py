"""The national investment-project code (全国投资项目在线审批监管平台项目代码).

Format ``YYYY-RRRRRR-II-TT-NNNNNN``: the year of filing, the 6-digit administrative division
code (行政区划代码), the 2-digit industry division (国民经济行业分类大类), the project type
(01 审批, 02 核准, 03 备案) and a 6-digit serial number.

>>> is_valid("2026-330110-34-03-000001")
True
>>> make(2026, "330110", "34", "03", 12)
'2026-330110-34-03-000012'
"""

from __future__ import annotations

import re

PATTERN = re.compile(r"^(\d{4})-(\d{6})-(\d{2})-(0[1-3])-(\d{6})$")

#: Industry division of the shipped questionnaire's answers (GB/T 4754-2017 大类).
INDUSTRY_DIVISIONS = {
    "equipment": "34",  # 通用设备制造业
    "electronics": "39",  # 计算机、通信和其他电子设备制造业
    "chemical": "26",  # 化学原料和化学制品制造业
    "textile": "17",  # 纺织业
    "food": "14",  # 食品制造业
    "other": "41",  # 其他制造业
}
PROJECT_TYPES = {
    "01": ("审批", "approval"),
    "02": ("核准", "authorisation"),
    "03": ("备案", "filing"),
}


def is_valid(code: str) -> bool:
    m = PATTERN.match(code)
    return m is not None and 2000 <= int(m.group(1)) <= 2099 and int(m.group(5)) > 0


def make(year: int, region: str, industry: str, project_type: str, serial: int) -> str:
    return f"{year:04d}-{region}-{industry}-{project_type}-{serial:06d}"


def prefix(code: str) -> str:
    """Everything but the serial number."""
    return code.rsplit("-", 1)[0]
