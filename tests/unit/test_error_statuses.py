"""Every domain error answers the HTTP status it answered when api/errors.py listed each class:
the status now follows from the error's kind (i18n), so a new error picks its kind, not a row."""

from __future__ import annotations

import pytest

from access.policy import AccessForbidden
from agent_service import errors as ag
from api.errors import Unauthorized, status_for
from approvals import errors as ap
from approvals.workflow import MaterialsMissing, WorkflowError
from commitments import errors as cm
from i18n import Conflict, Forbidden, Invalid, LocalizedError, Malformed, NotFound
from landplots import errors as lp

STATUS = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Malformed: 400,
    Invalid: 422,
    LocalizedError: 422,
    AccessForbidden: 403,
    ap.ApprovalsError: 422,
    ap.DocumentError: 400,
    ap.CatalogError: 422,
    ap.CycleError: 422,
    ap.UnknownPrerequisiteError: 422,
    ap.ProjectError: 422,
    ap.CalendarError: 422,
    ap.CalendarRangeError: 422,
    ap.NotFoundError: 404,
    ap.AccessDenied: 403,
    ap.StaleVersion: 409,
    WorkflowError: 409,
    MaterialsMissing: 422,  # a workflow error, but the fix is in the input
    lp.LandplotsError: 422,
    lp.GeometryError: 400,
    lp.IndicatorError: 422,
    lp.NotFoundError: 404,
    lp.PlotNotFound: 404,
    lp.ZoneNotFound: 404,
    lp.QueryError: 400,
    lp.GisFileError: 400,
    lp.ImportRefused: 422,
    cm.CommitmentError: 422,
    cm.CommitmentNotFound: 404,
    cm.CommitmentAccessDenied: 403,
    cm.CommitmentStateError: 409,
    cm.SignatureError: 422,
    cm.CanonicalError: 422,
    cm.PolicyError: 422,
    cm.InspectionError: 422,
    cm.LedgerError: 409,
    ag.AgentError: 422,
    ag.AgentInputError: 422,
    ag.AgentNotFound: 404,
    ag.AgentForbidden: 403,
    ag.AgentConflict: 409,
}


@pytest.mark.parametrize(("cls", "status"), STATUS.items(), ids=lambda v: getattr(v, "__name__", v))
def test_status_follows_the_kind(cls: type[Exception], status: int) -> None:
    exc = cls.__new__(cls)  # the status depends on the class only, not on the message
    assert status_for(exc) == status
