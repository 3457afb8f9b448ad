"""A small in-process limiter for failed logins (per client address and username).

After ``max_failures`` failures within ``window`` seconds, further attempts are refused with 429
until the window has passed.  Each server process keeps its own counts (enough to make password
guessing slow; a shared store would be needed across many machines).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from litestar.exceptions import TooManyRequestsException


class LoginLimiter:
    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            if len(q) >= self.max_failures:
                wait = int(q[0] + self.window - now) + 1
                raise TooManyRequestsException(
                    f"登录失败次数过多，请 {wait} 秒后再试 (too many failed logins; retry in {wait} s)",
                    headers={"Retry-After": str(wait)},
                )

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
