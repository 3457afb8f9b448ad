"""The RCPSP solver: GA + forward-backward improvement, then CP-SAT from the best schedule.

Design
------
``solve`` runs a two-phase hybrid within a wall-clock limit:

1. **Heuristic phase** (numba kernels, :mod:`approvals.rcpsp._kernels`): an
   activity-list genetic algorithm in the style of Hartmann (1998) where every
   child is decoded by the serial SGS and improved by forward-backward
   improvement (Valls et al. 2005).  The population starts from the LFT rule
   and regret-biased random sampling.  With ``workers >= 2`` one independent
   island runs per free core (:func:`free_cores`; the kernels release the
   GIL), its population smaller when each thread gets only a share of a core
   (fewer generations: a smaller population converges within them).  The
   phase stops early when the lower bound is reached.
2. **CP-SAT phase**: the remaining time goes to OR-Tools CP-SAT
   (:mod:`approvals.rcpsp.cpsat`) on up to ``workers`` threads, with the best
   heuristic schedule as a complete hint and its makespan as horizon.  CP-SAT
   improves it (LNS, search) and proves optimality when it can.

Time and work (issue 16): every phase has a **work budget** and a wall-clock
**cap**.  The GA's budget is counted by the kernels (``ops``: jobs placed,
periods scanned and booked), ``OPS_PER_SECOND`` times its share of the time
limit, i.e. what an idle core does in that share; generations run in chunks of
fixed work and restarts are decided between chunks, so the search depends on
the seed and the work done, not on the clock; its share of the time limit is
its cap.  CP-SAT gets ``max_deterministic_time`` for its share (or for the
time left, when the GA ended early) and the remaining wall time as cap, with as
many workers as there are free cores.  With the same seed and the same reading
of the machine's load (it sets the islands and the population), a GA phase that
ends on its budget, not on its cap, repeats itself
(``tests/unit/rcpsp/test_work_budget.py``).  The function returns within
``time_limit`` (plus a few milliseconds of Python overhead).

The numba kernels are loaded from numba's on-disk cache (``cache=True``; numba
falls back to a user cache dir, or ``NUMBA_CACHE_DIR``, when the package
directory is read-only).  Importing numba and loading the cached kernels
costs 0.8-2 s in a fresh process (more on a loaded machine), compiling them
without a cache 20-25 s, always in a child process (:mod:`approvals.rcpsp.engine`
explains why: compiling beside the solver crashed short runs at exit).  So the
load runs in a background thread (:func:`warm_up`) and ``solve`` waits for it at
most 10 % of its budget:
if it is not finished, CP-SAT gets the whole time, starting from a
pure-Python LFT schedule (the first result is then CP-SAT-quality, not
GA-quality).  A long-lived process (service, benchmark) should call
``warm_up()`` once at start; an installation step should run
``python -c "from approvals.rcpsp import warm_up; warm_up()"`` once so that
the cache exists.  Without numba at all the solver is CP-SAT plus the LFT rule.

Results of ``bench/rcpsp.py`` (1 s, 2 workers, all PSPLIB instances) are in
``bench/README.md``.  Things tried that did not help (kept out of the code):
CP-SAT with the GA schedule as hint for half of the budget (worse than the
GA alone on j60/j120), CP-SAT ``use_lns_only``, restarts that seed half the
new population around the elite, a hill-climb with sideways moves on the
elite at each restart, and FBI when minimising the sum of project
completions (it packs towards the makespan and hurt that objective by ~3 %).

Objectives: ``"makespan"`` (default, PSPLIB) or ``"weighted_completion"``
(sum over projects of weight x completion time; "finish projects soonest").
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

import numpy as np

from . import engine
from .arrays import Arrays, build_arrays
from .bounds import makespan_lower_bound, weighted_completion_lower_bound
from .cpsat import solve_cpsat
from .errors import InstanceError, SolverError
from .model import OBJECTIVES, Instance, Schedule, objective_value, validate_schedule
from .sgs import lft_list, serial_sgs

__all__ = ["engine_status", "kernels_ready", "solve", "warm_up"]

engine_status = engine.engine_status

# Work of the GA in the kernels' count (``ops``: jobs placed, periods scanned and booked) per
# second of one core, measured on the 2-core development machine (1.5e8 on PSPLIB makespan
# instances, up to 2.9e8 on large approval portfolios).  A phase's work budget is this rate
# times its share of the time limit; the wall clock is only its cap.
OPS_PER_SECOND = 1.6e8
# CP-SAT's deterministic time per second of its phase: generous (0.1-0.5 was measured per
# CPU-second), so that it binds on a fast idle machine and the wall clock on a busy one.
CP_DET_PER_SECOND = 0.5


def busy_tasks(samples: int = 5) -> tuple[int, int]:
    """(cores this process may use, runnable tasks of other threads and processes right now).

    Reads the number of runnable tasks in ``/proc/loadavg`` (an instant figure, unlike the load
    averages; the median of a few reads 0.5 ms apart), less this thread.  Without it: none busy.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        cores = os.cpu_count() or 1
    try:
        seen = []
        for k in range(samples):
            if k:
                time.sleep(0.0005)
            with open("/proc/loadavg", encoding="ascii") as f:
                seen.append(int(f.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return cores, 0
    return cores, max(0, sorted(seen)[len(seen) // 2] - 1)


def free_cores(workers: int, busy: tuple[int, int] | None = None) -> int:
    """Cores not busy with other processes right now, at most ``workers`` and at least 1.

    ``busy`` is :func:`busy_tasks` (read when None).  Threads on a busy machine get a fair
    share each: two GA islands beside one busy process get 2/3 of a core each, one island gets
    a whole core, and one population evolved twice as far beats two (measured: j60 0.55 %
    against 0.71 %, j120 4.9 % against 5.2 % with the other core busy).  The same holds for
    CP-SAT's workers.
    """
    cores, others = busy if busy is not None else busy_tasks()
    return max(1, min(workers, cores - others))


def warm_up(block: bool = True, timeout: float | None = None) -> bool:
    """Bring up the compiled engine (see :mod:`approvals.rcpsp.engine`) in the background.

    Parameters
    ----------
    block
        Wait for it (at most ``timeout`` seconds).  On a cold cache the kernels are compiled in
        a child process (20-25 s); on a warm one they load in about a second.
    timeout
        Seconds to wait when ``block`` is true (None: no limit).

    Returns
    -------
    bool
        True when the kernels are ready to use.
    """
    engine.LOADER.start()
    if block:
        engine.LOADER.done.wait(timeout)
    return kernels_ready()


def kernels_ready() -> bool:
    """True when the numba kernels are loaded and working."""
    return engine.LOADER.kernels is not None


class _Island:
    """One GA population with its private work arrays (one per thread)."""

    def __init__(self, K, A: Arrays, pop_size: int, seed: int, pm: float, rounds: int):
        self.K = K
        self.A = A
        self.P = max(2, pop_size + (pop_size % 2))
        self.seed = seed
        self.pm = pm
        self.rounds = rounds
        n = A.n
        self.work = np.empty_like(A.avail)
        self.avail_rev = np.empty_like(A.avail)
        self.start = np.zeros(n, dtype=np.int64)
        self.bstart = np.zeros(n, dtype=np.int64)
        self.best_start = np.zeros(n, dtype=np.int64)
        self.pop = np.empty((self.P, n), dtype=np.int64)
        self.pst = np.empty((self.P, n), dtype=np.int64)
        self.p_peak = 0.5
        self.n_keep = self.P
        self.n_shift = 2
        self.fit = np.empty(self.P, dtype=np.float64)
        self.mss = np.empty(self.P, dtype=np.int64)
        self.hashes = np.empty(self.P, dtype=np.int64)
        self.best_list = np.zeros(n, dtype=np.int64)
        self.best_fit = np.inf
        self.best_ms = np.iinfo(np.int64).max
        self.count = 0
        self.ops = np.zeros(1, dtype=np.int64)  # work done, counted by the kernels
        self.stall = 0
        self.near = 0.0

    def _eval_row(self, i: int) -> None:
        A = self.A
        f, ms, h = self.K.evaluate(
            self.pop[i],
            A.dur,
            A.res_ptr,
            A.res_id,
            A.res_q,
            A.pred_ptr,
            A.pred_idx,
            A.succ_ptr,
            A.succ_idx,
            A.release,
            A.zeros,
            A.avail,
            self.avail_rev,
            self.work,
            self.start,
            self.bstart,
            A.topo,
            A.rtopo,
            A.const_cap,
            A.proj,
            A.weights,
            A.kind,
            self.rounds,
            self.ops,
        )
        self.fit[i] = f
        self.pst[i] = self.start
        self.mss[i] = ms
        self.hashes[i] = h
        self.count += 1
        if f < self.best_fit or (f == self.best_fit and ms < self.best_ms):
            self.best_fit, self.best_ms = f, ms
            self.best_start[:] = self.start
            self.best_list[:] = self.pop[i]

    def _sort(self) -> None:
        o = np.lexsort((self.mss, self.fit))
        self.pop[:] = self.pop[o]
        self.pst[:] = self.pst[o]
        self.fit[:] = self.fit[o]
        self.mss[:] = self.mss[o]
        self.hashes[:] = self.hashes[o]

    def initialise(
        self,
        lists: Sequence[Sequence[int]],
        elite: np.ndarray | None = None,
        near: float = 0.5,
        deadline: float = float("inf"),
    ) -> None:
        """Fill the population; must run in the island's own thread (numba RNG is per thread).

        Rows come from ``lists`` first, then regret-biased random sampling.  With
        ``elite`` (a restart), row 0 is the elite list and a ``near`` share of the
        rows are crossovers of the elite with fresh samples.
        """
        K, A = self.K, self.A
        K.seed_rng(self.seed)
        prio = A.lft.astype(np.float64)
        fresh = np.empty((self.P, A.n), dtype=np.int64)
        K.sample_lists(fresh, prio, 1.0, A.pred_ptr, A.pred_idx, A.succ_ptr, A.succ_idx)
        if elite is not None:
            k = int(near * self.P)
            if k > 1:
                K.perturb(elite, fresh[1:k], self.pm * 2, A.prec)
            fresh[0] = elite
        self.pop[:] = fresh
        for k, lst in enumerate(lists[: self.P]):
            self.pop[k] = lst
        for i in range(self.P):
            if i > 0 and time.perf_counter() >= deadline:  # huge instance: copy the evaluated rows
                for k in range(i, self.P):
                    src = k % i
                    self.pop[k], self.pst[k] = self.pop[src], self.pst[src]
                    self.fit[k], self.mss[k], self.hashes[k] = (
                        self.fit[src],
                        self.mss[src],
                        self.hashes[src],
                    )
                break
            self._eval_row(i)
        self._sort()

    def step(self, n_gen: int) -> None:
        A = self.A
        before = self.fit[0]
        self.count += self.K.ga(
            self.pop,
            self.pst,
            self.fit,
            self.mss,
            self.hashes,
            n_gen,
            self.pm,
            self.p_peak,
            self.n_keep,
            self.n_shift,
            A.load,
            A.dur,
            A.res_ptr,
            A.res_id,
            A.res_q,
            A.pred_ptr,
            A.pred_idx,
            A.succ_ptr,
            A.succ_idx,
            A.release,
            A.zeros,
            A.avail,
            self.avail_rev,
            self.work,
            self.start,
            self.bstart,
            A.topo,
            A.rtopo,
            A.const_cap,
            A.proj,
            A.weights,
            A.kind,
            self.rounds,
            A.prec,
            self.best_start,
            self.ops,
        )
        if self.fit[0] < self.best_fit or (
            self.fit[0] == self.best_fit and self.mss[0] < self.best_ms
        ):
            self.best_fit, self.best_ms = self.fit[0], self.mss[0]
            self.best_list[:] = self.pop[0]
        self.stall = self.stall + n_gen if self.fit[0] >= before else 0

    def run(
        self,
        budget: int,
        deadline: float,
        target: float,
        stop: threading.Event,
        restart_after: int,
    ) -> None:
        """Evolve until ``budget`` work (``ops``) is done, ``target`` is reached, ``stop`` is
        set, or the wall-clock cap ``deadline`` (perf_counter) passes.

        Generations run in chunks of a fixed amount of work (about 4 ms of an idle core),
        and restarts are decided between chunks, so that the search depends on the seed and
        the work done only, not on how much CPU the machine gives it.
        """
        per_gen = max(1, int(self.ops[0]) // max(1, self.count))  # ~ one schedule's work
        per_gen *= self.P // 2 * 2
        chunk = max(1, int(OPS_PER_SECOND * 0.004) // per_gen)
        while not stop.is_set() and self.ops[0] < budget and self.best_fit > target:
            if time.perf_counter() >= deadline:
                break
            left = -(-(budget - int(self.ops[0])) // per_gen)
            self.step(max(1, min(chunk, left)))
            if self.stall >= restart_after:
                self.seed += 7919
                self.initialise([], elite=self.best_list.copy(), near=self.near, deadline=deadline)
                self.stall = 0
        if self.best_fit <= target:
            stop.set()


def _lower_bound(instance: Instance, objective: str) -> float:
    if objective == "makespan":
        return float(makespan_lower_bound(instance))
    return weighted_completion_lower_bound(instance)


# Long only for its documented parameters: the body (~40 lines) hands the phases to _Best,
# _ga_phase and _cpsat_phase.
def solve(
    instance: Instance,
    time_limit: float,
    seed: int = 0,
    workers: int | None = None,
    objective: str = "makespan",
    *,
    heuristic_share: float | None = None,
    use_cpsat: bool = True,
    pop_size: int | None = None,
    cp_params: dict[str, object] | None = None,
) -> Schedule:
    """Best schedule found within ``time_limit`` seconds of wall-clock time.

    Parameters
    ----------
    instance
        A valid instance (see :class:`~approvals.rcpsp.model.Instance`).
    time_limit
        Seconds of wall-clock time, > 0.  The call returns within it (a few
        milliseconds of slack; the first schedule is always computed, even
        for absurdly small limits).
    seed
        Seed of the GA and of CP-SAT (same seed and load reading: same search
        as long as no wall-clock cap cuts a phase short).
    workers
        Threads to use at most (default: all cores); fewer when other
        processes keep cores busy (:func:`free_cores`).
    objective
        ``"makespan"`` or ``"weighted_completion"`` (needs ``instance.projects``).
    heuristic_share
        Fraction of the work budget given to the GA before CP-SAT takes over
        (1.0: GA only, 0.0: CP-SAT only from the LFT schedule).  Default:
        0.5 for up to 40 jobs (CP-SAT often proves optimality there), else
        0.95 (on j60/j120 the GA improves faster than CP-SAT from its hint;
        the last 5 % still lets CP-SAT prove optimality on easy instances).
    use_cpsat
        False to skip the CP-SAT phase (the GA then uses the whole budget).
    pop_size
        GA population per island (default 80, smaller beyond 250 jobs so
        that one generation stays well inside the budget).

    Returns
    -------
    Schedule
        Feasible (checked by :func:`~approvals.rcpsp.model.validate_schedule`);
        ``lower_bound`` is a proven bound, ``objective == lower_bound`` means optimal.

    Raises
    ------
    InstanceError
        Unknown objective, or ``"weighted_completion"`` without projects.
    ValueError
        If ``time_limit`` is not positive.
    """
    t0 = time.perf_counter()
    _check_arguments(instance, time_limit, objective)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    # keep 4% + 20 ms for thread joins, the final validation and scheduler jitter under load
    usable = time_limit * 0.96 - 0.02
    deadline = t0 + usable
    lb = _lower_bound(instance, objective)
    if heuristic_share is None:
        heuristic_share = 0.5 if instance.n_jobs <= 40 else 0.95
    if not use_cpsat:
        heuristic_share = 1.0
    # Each phase has a work budget, what an idle core does in its share of the time; the
    # wall clock only caps it.  (Letting a slowed-down GA run past its share did not pay: on
    # j30 it mostly holds the optimum already and CP-SAT's proof then starts late.)
    ga_budget = int(OPS_PER_SECOND * heuristic_share * max(usable, 0.0))
    ga_cap = t0 + usable * heuristic_share

    best = _Best(instance, objective, serial_sgs(instance, lft_list(instance)), "lft")
    if instance.n_jobs == 0:
        return Schedule((), 0, 0.0, 0.0, "empty")
    if best.fit > lb:
        if not engine.LOADER.done.is_set():
            warm_up(block=False)
            engine.LOADER.done.wait(max(0.0, min(0.1 * time_limit, deadline - time.perf_counter())))
        if kernels_ready() and heuristic_share > 0:
            for starts in _ga_phase(
                instance, objective, seed, workers, pop_size, lb, ga_budget, ga_cap
            ):
                best.consider(starts, "ga")
        remaining = deadline - time.perf_counter()
        if use_cpsat and best.fit > lb and remaining > 0.01:
            cp_seconds = max(usable * (1.0 - heuristic_share), remaining)
            lb = _cpsat_phase(
                instance, best, objective, lb, seed, workers, remaining, cp_seconds, cp_params
            )
    try:
        makespan = validate_schedule(instance, best.start)
    except Exception as exc:  # pragma: no cover - would be a solver bug
        raise SolverError(f"internal error: infeasible schedule from {best.method}: {exc}") from exc
    return Schedule(tuple(best.start), makespan, best.fit, min(lb, best.fit), best.method)


def _check_arguments(instance: Instance, time_limit: float, objective: str) -> None:
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit!r}")
    if objective not in OBJECTIVES:
        raise InstanceError(f"unknown objective {objective!r}; expected one of {OBJECTIVES}")
    if objective == "weighted_completion" and instance.projects is None:
        raise InstanceError("objective 'weighted_completion' needs instance.projects")


class _Best:
    """The best schedule so far; on equal objectives the shorter makespan wins."""

    def __init__(self, instance: Instance, objective: str, start: list[int], method: str) -> None:
        self.instance = instance
        self.objective = objective
        self.start = start
        self.fit = objective_value(instance, start, objective)
        self.method = method

    def consider(self, starts: Sequence[int] | np.ndarray, how: str) -> None:
        durations = self.instance.durations
        st = [int(x) for x in starts]
        f = objective_value(self.instance, st, self.objective)
        if f < self.fit or (
            f == self.fit
            and max(s + d for s, d in zip(st, durations, strict=False))
            < max(s + d for s, d in zip(self.start, durations, strict=False))
        ):
            self.start, self.fit, self.method = st, f, how


def _ga_phase(
    instance: Instance,
    objective: str,
    seed: int,
    workers: int,
    pop_size: int | None,
    lb: float,
    ga_budget: int,
    ga_cap: float,
) -> list[np.ndarray]:
    """The GA islands, one thread per free core, within ``ga_budget`` operations and until
    ``ga_cap``; the best schedule of each island."""
    A = build_arrays(instance, objective)
    stop = threading.Event()
    busy = busy_tasks()
    n_isl = free_cores(workers, busy) if workers > 1 else 1
    if pop_size is None:  # keep one generation short on large instances
        pop_size = 80 if instance.n_jobs <= 250 else max(16, 80 * 250 // instance.n_jobs)
        # each thread's fair share of the cores: with less CPU the GA does fewer
        # generations, and a smaller population converges within them (j120 with the
        # other core busy and others' load: 3.7 % at 40 against 4.4 % at 80)
        cores, others = busy
        share = min(1.0, cores / max(1, others + n_isl))
        pop_size = max(16, round(pop_size * share**0.5))
    # FBI serves the makespan; for the sum of completions it would undo the
    # left-packing of early projects, so the GA then decodes with the plain SGS
    rounds = 3 if objective == "makespan" else 0
    islands = [
        _Island(engine.LOADER.kernels, A, pop_size, seed * 1000 + 17 * k + 1, 0.02, rounds)
        for k in range(n_isl)
    ]
    lft = np.asarray(lft_list(instance), dtype=np.int64)

    def body(isl: _Island) -> None:
        isl.initialise([lft], deadline=ga_cap)
        isl.run(ga_budget, ga_cap, lb, stop, restart_after=max(20, 3200 // isl.P))

    if n_isl == 1:
        body(islands[0])
    else:
        threads = [threading.Thread(target=body, args=(isl,), daemon=True) for isl in islands]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    return [isl.best_start for isl in islands]


def _cpsat_phase(
    instance: Instance,
    best: _Best,
    objective: str,
    lb: float,
    seed: int,
    workers: int,
    remaining: float,
    cp_seconds: float,
    cp_params: dict[str, object] | None,
) -> float:
    """CP-SAT from the best schedule as its hint, in the ``remaining`` seconds and a
    deterministic budget worth ``cp_seconds``; the lower bound it proves."""
    ms = max(s + d for s, d in zip(best.start, instance.durations, strict=False))
    params = {"max_deterministic_time": CP_DET_PER_SECOND * cp_seconds}
    params.update(cp_params or {})
    res = solve_cpsat(
        instance,
        remaining,
        workers=free_cores(workers),
        seed=seed,
        objective=objective,
        horizon=ms if objective == "makespan" else None,
        hint=best.start,
        lower_bound=int(lb),
        params=params,
    )
    if res.starts is not None:
        best.consider(res.starts, "cpsat")
    if objective == "makespan":
        lb = max(lb, float(res.bound))
        if res.optimal:
            lb = max(lb, best.fit)
    elif res.optimal:
        lb = max(lb, best.fit)
    return lb
