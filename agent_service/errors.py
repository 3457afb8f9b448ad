"""Errors of the proxy-agent domain (代办员): assignment, 代办清单, milestones, alerts, meetings.

One family, rooted at :class:`AgentError`; every message names the culprit (the agent, the
project, the meeting, the field) in Chinese and English.  Each specific error is also one of
the kinds of :mod:`i18n`, which is what the HTTP adapter maps (:mod:`api.errors`).
"""

from __future__ import annotations

from i18n import Conflict, Forbidden, Invalid, LocalizedError, NotFound


class AgentError(LocalizedError):
    """Base of the proxy-agent error family; unlisted subclasses mean 'input refused' (422)."""


class AgentInputError(AgentError, Invalid):
    """A request names an unknown agent or department, omits a reason, gives a bad date…"""


class AgentNotFound(AgentError, NotFound):
    """An agent, meeting, action, milestone or alert does not exist — or the caller may not know
    that it does."""


class AgentForbidden(AgentError, Forbidden):
    """The caller's role does not allow this action (only administrators reassign, …)."""


class AgentConflict(AgentError, Conflict):
    """The action conflicts with the current state (an action already closed, the same agent)."""
