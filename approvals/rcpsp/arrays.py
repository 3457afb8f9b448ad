"""Flat numpy view of an :class:`~approvals.rcpsp.model.Instance` for the kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bounds import latest_finishes
from .model import Instance


def _csr(rows: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    for j, row in enumerate(rows):
        ptr[j + 1] = ptr[j] + len(row)
    idx = np.fromiter((x for row in rows for x in row), dtype=np.int64, count=int(ptr[-1]))
    return ptr, idx


@dataclass
class Arrays:
    """Kernel inputs (see :mod:`approvals.rcpsp._kernels` for the layout)."""

    n: int
    dur: np.ndarray
    res_ptr: np.ndarray
    res_id: np.ndarray
    res_q: np.ndarray
    pred_ptr: np.ndarray
    pred_idx: np.ndarray
    succ_ptr: np.ndarray
    succ_idx: np.ndarray
    release: np.ndarray
    zeros: np.ndarray
    avail: np.ndarray
    const_cap: bool
    topo: np.ndarray
    load: np.ndarray
    rtopo: np.ndarray
    prec: np.ndarray
    lft: np.ndarray
    proj: np.ndarray
    weights: np.ndarray
    kind: int


def build_arrays(instance: Instance, objective: str = "makespan") -> Arrays:
    """Flatten ``instance``; ``objective`` is ``"makespan"`` or ``"weighted_completion"``."""
    n = instance.n_jobs
    R = instance.n_resources
    res_rows = tuple(tuple(r for r in range(R) if instance.demands[j][r] > 0) for j in range(n))
    res_ptr, res_id = _csr(res_rows)
    res_q = np.fromiter(
        (instance.demands[j][r] for j in range(n) for r in res_rows[j]),
        dtype=np.int64,
        count=int(res_ptr[-1]),
    )
    pred_ptr, pred_idx = _csr(instance.predecessors)
    succ_ptr, succ_idx = _csr(instance.successors)
    horizon = instance.horizon_upper_bound() + 1
    # twice the serial horizon: the mirrored backward pass may run past the forward makespan
    rows = 2 * horizon
    avail = np.empty((rows, max(R, 1)), dtype=np.int64)
    avail[:, :R] = np.asarray(instance.capacities, dtype=np.int64)
    const_cap = True
    if instance.capacity_profile is not None:
        for r, row in enumerate(instance.capacity_profile):
            if row:
                avail[: len(row), r] = row
                if min(row) < instance.capacities[r]:
                    const_cap = False
    topo = np.asarray(instance.topological_order, dtype=np.int64)
    prec = np.zeros((n, n), dtype=np.uint8)
    for j in reversed(instance.topological_order):  # transitive closure, successors first
        for s in instance.successors[j]:
            prec[j, s] = 1
            prec[j] |= prec[s]
    release = np.asarray([instance.release(j) for j in range(n)], dtype=np.int64)
    if instance.projects is not None:
        proj = np.asarray(instance.projects, dtype=np.int64)
        weights = np.asarray(
            instance.project_weights or (1.0,) * instance.n_projects, dtype=np.float64
        )
    else:
        proj = np.full(n, -1, dtype=np.int64)
        weights = np.zeros(0, dtype=np.float64)
    return Arrays(
        n=n,
        dur=np.asarray(instance.durations, dtype=np.int64),
        res_ptr=res_ptr,
        res_id=res_id,
        res_q=res_q,
        pred_ptr=pred_ptr,
        pred_idx=pred_idx,
        succ_ptr=succ_ptr,
        succ_idx=succ_idx,
        release=release,
        zeros=np.zeros(n, dtype=np.int64),
        avail=avail,
        const_cap=const_cap,
        topo=topo,
        load=np.asarray(
            [
                sum(
                    q / c
                    for q, c in zip(instance.demands[j], instance.capacities, strict=True)
                    if q
                )
                for j in range(n)
            ],
            dtype=np.float64,
        ),
        rtopo=topo[::-1].copy(),
        prec=prec,
        lft=np.asarray(latest_finishes(instance, horizon), dtype=np.int64),
        proj=proj,
        weights=weights,
        kind=0 if objective == "makespan" else 1,
    )
