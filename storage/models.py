"""Every mapped model, imported once so that ``metadata`` is complete (for alembic and tests)."""

from __future__ import annotations

import agent_service.orm  # noqa: F401
import api.accounts
import api.calendar_feeds
import api.idempotency
import api.ratelimit  # noqa: F401
import approvals.orm  # noqa: F401
import commitments.orm  # noqa: F401
import landplots.orm  # noqa: F401
import storage.audit
import storage.jobs  # noqa: F401
from storage.base import Base

metadata = Base.metadata
