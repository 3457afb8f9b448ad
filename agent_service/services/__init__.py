"""Use cases of the proxy agents (代办员) over a database session, one module per use case; the
caller commits.

"变企业跑为政府跑": each filed project gets an agent by rule (:mod:`.assignment`); the agent reads
the 代办清单 (:mod:`.checklist`), the milestones (:mod:`.milestones`), the inbox of alerts raised
by the daily scan (:mod:`.alert_scan`, :mod:`.inbox`), the dashboard (:mod:`.dashboard`), the
daily digest (:mod:`.digest`) and an iCalendar feed (:mod:`.feeds`); convenes joint meetings
(:mod:`.meetings`).  Visibility is enforced here as in the workflow, through
:mod:`access.policy` (:mod:`.common`).  Other packages' checkpoints come in through the port
:class:`agent_service.ports.CheckpointSource`, passed as ``checkpoints=``.
"""
