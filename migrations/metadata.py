"""Every mapped model, imported once so that ``metadata`` is complete (for alembic and tests).

It lives with the migrations, not in ``storage``: it imports every package's rows, and the
packages import ``storage`` for their base class.
"""

from __future__ import annotations

import access.calendar_feeds
import access.orm  # noqa: F401
import agent_service.orm  # noqa: F401
import approvals.orm  # noqa: F401
import commitments.orm  # noqa: F401
import landplots.orm  # noqa: F401
import storage.audit
import storage.idempotency
import storage.jobs  # noqa: F401
from storage.base import Base

metadata = Base.metadata
