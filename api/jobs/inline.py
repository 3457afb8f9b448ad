"""The embedded default's job runner: the same job functions, in a thread of ``onetrip serve``.

On SQLite there is one machine and usually one server process, so no separate worker is needed:
a workflow event only marks the capacity forecast pending and wakes this thread, which
recomputes once for a burst of events (after ``debounce`` seconds); it also wakes every
``interval`` seconds for events of other processes, and runs the day's run once the configured
time of day has passed (once per day: the ``job_runs`` row of the day decides, so a restart or
a second process does not run it again).  A failure is logged, retried with backoff at a later
tick, and recorded for the administrator after the last attempt; it never reaches a request.
"""

from __future__ import annotations

import logging
import threading
import traceback
from datetime import datetime, time
from typing import Any

from api.clock import CHINA
from api.jobs import work

log = logging.getLogger("onetrip.jobs")

MAX_ATTEMPTS = 5


class InlineJobs:
    backend = "inline"

    def __init__(
        self,
        sessions: Any,
        clock: Any,
        *,
        daily_at: str = "06:00",
        interval: float = 2.0,
        debounce: float = 1.0,
        run_daily: bool = True,
    ) -> None:
        self.sessions, self.clock, self.interval = sessions, clock, interval
        self.debounce = debounce  # events in a burst share one recompute
        hour, minute = (int(x) for x in daily_at.split(":"))
        self.daily_at = time(hour, minute)
        self.run_daily = run_daily
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="onetrip-jobs", daemon=True)
        self.failures = {"capacity": 0, "daily": 0}

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)

    def capacity_pending(self) -> None:
        self.wake.set()

    def reachable(self) -> bool:
        return self.thread.is_alive()

    def depth(self) -> dict[str, int]:
        return {"todo": int(self.wake.is_set()), "doing": 0}

    def _run(self) -> None:
        while not self.stop.is_set():
            if self.wake.wait(self.interval):
                self.stop.wait(self.debounce)
            self.wake.clear()
            if self.stop.is_set():
                return
            self._attempt(
                "capacity", lambda: work.refresh_capacity(self.sessions, self.clock.today())
            )
            if self.run_daily and self._daily_due():
                self._attempt("daily", lambda: work.run_daily(self.sessions, self.clock.today()))

    def _daily_due(self) -> bool:
        now = datetime.now(CHINA)
        return now.time() >= self.daily_at

    def _attempt(self, name: str, job: Any) -> None:
        try:
            job()
            self.failures[name] = 0
        except Exception as exc:  # the database may be restarting: try again at a later tick
            self.failures[name] += 1
            log.warning("%s job failed (attempt %d)", name, self.failures[name], exc_info=True)
            if self.failures[name] >= MAX_ATTEMPTS:
                key = self.clock.today().isoformat() if name == "daily" else "inline"
                try:
                    work.record_failure(
                        self.sessions,
                        work.DAILY if name == "daily" else "capacity",
                        key,
                        "".join(traceback.format_exception(exc)),
                        self.failures[name],
                    )
                except Exception:
                    log.exception("could not record the failure of the %s job", name)
                self.failures[name] = 0
            # backoff: skip the next ticks in proportion to the failures so far
            self.stop.wait(min(60.0, self.interval * 2 ** self.failures[name]))
