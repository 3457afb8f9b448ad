"""Errors of the proxy-agent domain (代办员): assignment, 代办清单, milestones, alerts, meetings.

One family, rooted at :class:`AgentError`; every message names the culprit (the agent, the
project, the meeting, the field) in Chinese and English.  The HTTP adapter maps the family to
statuses in one place (:mod:`api.errors`); the CLI prints the message on one line.
"""

from __future__ import annotations

from i18n import LocalizedError


class AgentError(LocalizedError):
    """Base of the proxy-agent error family; unlisted subclasses mean 'input refused' (422)."""


class AgentInputError(AgentError):
    """A request names an unknown agent or department, omits a reason, gives a bad date…"""


class AgentNotFound(AgentError):
    """An agent, meeting, action, milestone or alert does not exist — or the caller may not know
    that it does."""


class AgentForbidden(AgentError):
    """The caller's role does not allow this action (only administrators reassign, …)."""


class AgentConflict(AgentError):
    """The action conflicts with the current state (an action already closed, the same agent)."""
