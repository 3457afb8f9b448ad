"""Resource-constrained project scheduling engine (issue 7): pure domain code.

Public API
----------
* :func:`approvals.rcpsp.psplib.parse_sm`, :func:`~approvals.rcpsp.psplib.load_sm`
  read PSPLIB ``.sm`` instances.
* :class:`~approvals.rcpsp.model.Instance`, :class:`~approvals.rcpsp.model.Schedule`,
  :func:`~approvals.rcpsp.model.validate_schedule`,
  :func:`~approvals.rcpsp.model.build_multi_project`,
  :func:`~approvals.rcpsp.model.department_orders`.
* :func:`solve` (see :mod:`approvals.rcpsp.solver`) and :func:`warm_up`.
"""

from .errors import (
    InfeasibleScheduleError,
    InstanceError,
    RcpspError,
    RcpspFormatError,
    SolverError,
)
from .model import (
    Instance,
    ReviewTask,
    Schedule,
    build_multi_project,
    department_orders,
    objective_value,
    resource_orders,
    validate_schedule,
)
from .solver import engine_status, kernels_ready, solve, warm_up

__all__ = [
    "InfeasibleScheduleError",
    "Instance",
    "InstanceError",
    "RcpspError",
    "RcpspFormatError",
    "ReviewTask",
    "Schedule",
    "SolverError",
    "build_multi_project",
    "department_orders",
    "engine_status",
    "kernels_ready",
    "objective_value",
    "resource_orders",
    "solve",
    "validate_schedule",
    "warm_up",
]
