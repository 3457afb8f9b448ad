"""Use cases of the review workflow over a database session, one module per concern.

- :mod:`.queries`: loading with visibility, material status, the read models.
- :mod:`.filing`: 一窗受理 (filing a project), 一次告知 questionnaire, project codes.
- :mod:`.materials`: uploads (一次采集、多方复用), 容缺 and answering a 补正.
- :mod:`.review`: a department's decisions on its task (受理、审批、不予许可、补正、特别程序).
- :mod:`.progress`: step roll-up, certificates, the live plan and its change log.
- :mod:`.clocks`: department worklists and the daily clock scan (督办).
- :mod:`.ratings`: 好差评.
- :mod:`.capacity`: the capacity-aware forecast over every open task.

Each use case loads what it needs, applies the pure rules of :mod:`approvals.workflow` and the
planner, records the action in the audit trail, re-plans the project and leaves the commit to
the caller (one request = one unit of work).  Visibility is enforced here, not only in the web
layer; who may do what is asked of :mod:`access.policy`.

Concurrency: every action on a project first locks the project row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite serialises writers anyway), so two departments acting on the same project at
the same moment both succeed, one after the other; a task or project updated from a stale
``version`` is refused (:class:`~approvals.errors.StaleVersion`).
"""
