"""What the proxy agents' use cases are given for their ports (:mod:`agent_service.ports`).

The one place that says which packages add entries to the 代办清单, the milestones and the
alerts: the commitment checkpoints (对标验收, 达产复核).  The app factory puts it in the app's
state (handlers receive it as the ``checkpoints`` dependency); the CLI, the jobs, the demo and
the benchmarks pass it to the use cases they call.
"""

from __future__ import annotations

from agent_service.ports import CheckpointSources
from commitments.agent_port import checkpoint_entries

AGENT_CHECKPOINTS: CheckpointSources = (checkpoint_entries,)
