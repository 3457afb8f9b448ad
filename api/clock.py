"""Today's date in China (Asia/Shanghai), fixable for demos and tests (``ONETRIP_TODAY``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class Clock:
    fixed: date | None = None

    def today(self) -> date:
        return self.fixed or datetime.now(CHINA).date()
