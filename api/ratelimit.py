"""Failed logins, counted in the database so that every server sees the same counts.

After ``max_failures`` failures of one key (client address and username) within ``window``
seconds, further attempts are refused with 429 until the window has passed.  Several servers
behind one proxy share the table, so spreading guesses over servers does not multiply them.
Each call is its own short transaction (the login request's session only reads).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.exceptions import TooManyRequestsException
from sqlalchemy import delete, func, select

from access.orm import LoginFailureRow
from storage.engine import begin_write


class LoginLimiter:
    def __init__(self, sessions: Any, max_failures: int = 5, window: float = 300.0) -> None:
        self.sessions = sessions  # a factory of writer sessions
        self.max_failures = max_failures
        self.window = window

    def check(self, key: str) -> None:
        """Raise 429 when ``key`` failed too often in the window."""
        key = key[:300]
        now = datetime.now(UTC)
        since = now - timedelta(seconds=self.window)
        with self.sessions() as session:
            count, first = session.execute(
                select(func.count(), func.min(LoginFailureRow.at)).where(
                    LoginFailureRow.key == key, LoginFailureRow.at > since
                )
            ).one()
        if count >= self.max_failures:
            first = first if first.tzinfo else first.replace(tzinfo=UTC)  # SQLite keeps no zone
            wait = int((first - since).total_seconds()) + 1
            raise TooManyRequestsException(
                f"登录失败次数过多，请 {wait} 秒后再试 (too many failed logins; retry in {wait} s)",
                headers={"Retry-After": str(wait)},
            )

    def failed(self, key: str) -> None:
        key = key[:300]
        now = datetime.now(UTC)
        with self.sessions() as session:
            begin_write(session)
            # forget what has left the window (this key's only: each call stays small)
            session.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.key == key,
                    LoginFailureRow.at <= now - timedelta(seconds=self.window),
                )
            )
            session.add(LoginFailureRow(key=key, at=now))
            session.commit()

    def succeeded(self, key: str) -> None:
        with self.sessions() as session:
            begin_write(session)
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == key[:300]))
            session.commit()


__all__ = ["LoginLimiter"]
