"""The server's background refresher of the capacity forecast (审查能力预测).

In the server, a workflow event only marks the forecast pending (see
:class:`approvals.capacity_service.Deferral`); this thread, one per worker process, wakes on
an event of its own process or every ``interval`` seconds for those of the others, and
recomputes once for all the pending events.  Workers take turns: on PostgreSQL through a
transaction-scoped advisory lock, on SQLite through the write lock.  A failure (the database
restarting) is logged and retried at the next tick; it never reaches a request.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import text

from approvals import capacity_service as cs
from approvals.service import work_calendar
from storage.engine import begin_write, is_sqlite

log = logging.getLogger("onetrip.capacity")

#: Key of the advisory lock that makes PostgreSQL workers take turns ("onetrip capacity").
ADVISORY_KEY = 0x6F6E_6361


class CapacityRefresher:
    def __init__(
        self, sessions: Any, clock: Any, *, interval: float = 2.0, debounce: float = 1.0
    ) -> None:
        self.sessions, self.clock, self.interval = sessions, clock, interval
        self.debounce = debounce  # events in a burst share one recompute
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="capacity-refresher", daemon=True)

    def start(self) -> None:
        cs.DEFERRAL.enabled = True
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        cs.DEFERRAL.wake.set()
        self.thread.join(timeout=10)
        cs.DEFERRAL.enabled = False

    def _run(self) -> None:
        while not self.stop.is_set():
            if cs.DEFERRAL.wake.wait(self.interval):
                self.stop.wait(self.debounce)
            cs.DEFERRAL.wake.clear()
            if self.stop.is_set():
                return
            try:
                self.refresh_once()
            except Exception:  # the database may be restarting: try again at the next tick
                log.warning("capacity refresh failed; retrying", exc_info=True)

    def refresh_once(self) -> bool:
        """Recompute if anything is pending; True when it did."""
        with self.sessions() as session:
            if not cs.is_pending(session):
                return False
            session.rollback()
            begin_write(session)
            if not is_sqlite(str(session.get_bind().url)):
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_KEY})
            run = cs.refresh_pending(session, self.clock.today(), work_calendar(session))
            session.commit()
            return run is not None
