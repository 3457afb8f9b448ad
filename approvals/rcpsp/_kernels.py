"""Numba kernels: serial schedule generation, forward-backward improvement, GA.

Data layout (all ``int64`` numpy arrays, built by :mod:`approvals.rcpsp.arrays`):

* ``dur[n]``, ``release[n]``, ``topo[n]`` / ``rtopo[n]`` (a fixed
  topological order and its reverse, used to break ties so that every list derived from
  start times stays precedence-feasible);
* predecessors and successors in CSR form (``pred_ptr[n+1]``,
  ``pred_idx``; ``succ_ptr``, ``succ_idx``);
* the resources a job uses, CSR (``res_ptr[n+1]``, ``res_id``, ``res_q``);
* ``avail[H, R]``: capacity of every resource in every period of a horizon
  ``H`` long enough for any serial schedule (the capacity profile of the
  instance, nominal capacity beyond it);
* ``prec[n, n]`` (``uint8``): 1 where job ``a`` must precede job ``b``
  (transitive closure), used by the mutation operator.

Serial SGS: jobs are taken in activity-list order, each started at the first
period >= its release and its predecessors' finishes where every used
resource has room during the whole duration (scanning a window from its end
so that a conflict at ``u`` jumps the candidate start to ``u + 1``).

Forward-backward improvement (FBI, "justification", Valls et al. 2005): the
forward schedule's jobs are re-scheduled in decreasing order of finish time
as late as possible in the reversed problem (capacity profile mirrored at the
forward makespan), then forward again in increasing order of those starts.
Without release times this never makes the makespan worse; the returned
schedule is always a forward one, hence feasible.

GA (Hartmann 1998 activity-list GA with FBI on every child): two-point
crossover, adjacent-swap mutation guarded by the precedence closure,
elitist ranking replacement of parents + children with duplicate schedules
removed.

Every kernel is ``nogil`` so two threads can run independent GA islands.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def seed_rng(seed):  # pragma: no cover - compiled
    np.random.seed(seed)


@njit(cache=True, nogil=True)
def sgs(
    order, dur, res_ptr, res_id, res_q, p_ptr, p_idx, release, avail, work, start
):  # pragma: no cover
    """Serial SGS; ``work`` is overwritten, ``start`` filled; returns the makespan."""
    ops = np.zeros(1, dtype=np.int64)
    return counted_sgs(
        order, dur, res_ptr, res_id, res_q, p_ptr, p_idx, release, avail, work, start, ops
    )


@njit(cache=True, nogil=True)
def counted_sgs(
    order, dur, res_ptr, res_id, res_q, p_ptr, p_idx, release, avail, work, start, ops
):  # pragma: no cover
    """:func:`sgs` that also counts its work.

    ``ops[0]`` grows by the work done (jobs placed, periods scanned and booked): the
    solver's budgets count it, a measure of CPU that does not depend on the wall clock.
    """
    R = avail.shape[1]
    steps = 0
    top = 0  # rows [0, top) of work are initialised from avail (lazily, as the schedule grows)
    ms = 0
    n = order.shape[0]
    for k in range(n):
        j = order[k]
        t = release[j]
        for p in range(p_ptr[j], p_ptr[j + 1]):
            i = p_idx[p]
            f = start[i] + dur[i]
            if f > t:
                t = f
        d = dur[j]
        a = res_ptr[j]
        b = res_ptr[j + 1]
        if d > 0 and b > a:
            while True:
                while top < t + d:
                    for r in range(R):
                        work[top, r] = avail[top, r]
                    top += 1
                conflict = -1
                u = t + d - 1
                while u >= t:
                    steps += 1
                    for x in range(a, b):
                        if work[u, res_id[x]] < res_q[x]:
                            conflict = u
                            break
                    if conflict >= 0:
                        break
                    u -= 1
                if conflict < 0:
                    break
                t = conflict + 1
            steps += d
            for u in range(t, t + d):
                for x in range(a, b):
                    work[u, res_id[x]] -= res_q[x]
        start[j] = t
        if t + d > ms:
            ms = t + d
    ops[0] += n + top + steps
    return ms


@njit(cache=True, nogil=True)
def objective(start, dur, proj, weights, kind, ms):  # pragma: no cover
    """0: makespan; 1: weighted sum of project completion times."""
    if kind == 0:
        return float(ms)
    n_p = weights.shape[0]
    comp = np.zeros(n_p, dtype=np.int64)
    for j in range(start.shape[0]):
        p = proj[j]
        if p >= 0:
            f = start[j] + dur[j]
            if f > comp[p]:
                comp[p] = f
    tot = 0.0
    for p in range(n_p):
        tot += weights[p] * comp[p]
    return tot


@njit(cache=True, nogil=True)
def bucket_order(keys, seq, out):  # pragma: no cover
    """Stable counting sort: jobs by ascending ``keys`` (>= 0), ties in the order of ``seq``."""
    n = keys.shape[0]
    mx = 0
    for j in range(n):
        if keys[j] > mx:
            mx = keys[j]
    cnt = np.zeros(mx + 2, dtype=np.int64)
    for j in range(n):
        cnt[keys[j] + 1] += 1
    for k in range(1, mx + 2):
        cnt[k] += cnt[k - 1]
    for k in range(n):
        j = seq[k]
        out[cnt[keys[j]]] = j
        cnt[keys[j]] += 1


@njit(cache=True, nogil=True)
def order_from_starts(start, topo, out):  # pragma: no cover
    """Activity list sorted by start time (ties by topological position)."""
    bucket_order(start, topo, out)


# Long for its 21 array parameters (numba takes no structs), repeated in each of its three
# counted_sgs calls; the rounds are the hot path, kept in one piece.
@njit(cache=True, nogil=True)
def fbi(
    order,
    dur,
    res_ptr,
    res_id,
    res_q,
    pred_ptr,
    pred_idx,
    succ_ptr,
    succ_idx,
    release,
    zeros,
    avail,
    avail_rev,
    work,
    start,
    bstart,
    topo,
    rtopo,
    const_cap,
    max_rounds,
    ops,
):  # pragma: no cover
    """Forward SGS then up to ``max_rounds`` backward/forward rounds.

    On return ``start`` holds the best forward schedule and ``order`` its
    start-sorted activity list; returns its makespan.
    """
    n = order.shape[0]
    H = avail.shape[0]
    R = avail.shape[1]
    ms = counted_sgs(
        order, dur, res_ptr, res_id, res_q, pred_ptr, pred_idx, release, avail, work, start, ops
    )
    keys = np.empty(n, dtype=np.int64)
    border = np.empty(n, dtype=np.int64)
    fstart = np.empty(n, dtype=np.int64)
    for _ in range(max_rounds):
        # backward list: decreasing finish, ties by decreasing topological position
        for j in range(n):
            keys[j] = ms - start[j] - dur[j]
        bucket_order(keys, rtopo, border)
        if not const_cap:
            ops[0] += H
            for t in range(H):
                src = ms - 1 - t
                for r in range(R):
                    if src >= 0:
                        avail_rev[t, r] = avail[src, r]
                    else:
                        avail_rev[t, r] = avail[H - 1, r]
        bms = counted_sgs(
            border,
            dur,
            res_ptr,
            res_id,
            res_q,
            succ_ptr,
            succ_idx,
            zeros,
            avail if const_cap else avail_rev,
            work,
            bstart,
            ops,
        )
        # forward list: increasing original start = bms - bfinish
        for j in range(n):
            keys[j] = bms - bstart[j] - dur[j]
        bucket_order(keys, topo, border)
        fms = counted_sgs(
            border,
            dur,
            res_ptr,
            res_id,
            res_q,
            pred_ptr,
            pred_idx,
            release,
            avail,
            work,
            fstart,
            ops,
        )
        if fms < ms:
            ms = fms
            for j in range(n):
                start[j] = fstart[j]
        else:
            if fms == ms:
                for j in range(n):
                    start[j] = fstart[j]
            break
    order_from_starts(start, topo, order)
    return ms


@njit(cache=True, nogil=True)
def _hash(start):  # pragma: no cover
    h = np.int64(1469598103934665603)
    for j in range(start.shape[0]):
        h = (h ^ start[j]) * np.int64(1099511628211)
    return h


@njit(cache=True, nogil=True)
def evaluate(
    order,
    dur,
    res_ptr,
    res_id,
    res_q,
    pred_ptr,
    pred_idx,
    succ_ptr,
    succ_idx,
    release,
    zeros,
    avail,
    avail_rev,
    work,
    start,
    bstart,
    topo,
    rtopo,
    const_cap,
    proj,
    weights,
    kind,
    rounds,
    ops,
):  # pragma: no cover
    """FBI-evaluate an activity list in place; returns (objective, tie-break, hash).

    The tie-break (smaller is better among equal objectives) is the sum of
    finish times: it rewards compact schedules on the makespan plateaus.
    """
    ms = fbi(
        order,
        dur,
        res_ptr,
        res_id,
        res_q,
        pred_ptr,
        pred_idx,
        succ_ptr,
        succ_idx,
        release,
        zeros,
        avail,
        avail_rev,
        work,
        start,
        bstart,
        topo,
        rtopo,
        const_cap,
        rounds,
        ops,
    )
    tb = 0
    for j in range(start.shape[0]):
        tb += start[j] + dur[j]
    return objective(start, dur, proj, weights, kind, ms), tb, _hash(start)


@njit(cache=True, nogil=True)
def sample_lists(pop, prio, bias, pred_ptr, pred_idx, succ_ptr, succ_idx):  # pragma: no cover
    """Fill ``pop`` with precedence-feasible lists: regret-biased random sampling.

    ``prio[j]``: smaller is more urgent (e.g. latest finish time).  Row 0
    is the deterministic priority-rule list; the others draw among eligible
    jobs with probability proportional to ``(max_prio - prio + 1) ** bias``.
    """
    P, n = pop.shape
    indeg = np.empty(n, dtype=np.int64)
    elig = np.empty(n, dtype=np.int64)
    w = np.empty(n, dtype=np.float64)
    for row in range(P):
        for j in range(n):
            indeg[j] = pred_ptr[j + 1] - pred_ptr[j]
        ne = 0
        for j in range(n):
            if indeg[j] == 0:
                elig[ne] = j
                ne += 1
        for k in range(n):
            best = 0
            if row == 0:
                for e in range(1, ne):
                    if prio[elig[e]] < prio[elig[best]] or (
                        prio[elig[e]] == prio[elig[best]] and elig[e] < elig[best]
                    ):
                        best = e
            else:
                mx = prio[elig[0]]
                for e in range(1, ne):
                    if prio[elig[e]] > mx:
                        mx = prio[elig[e]]
                tot = 0.0
                for e in range(ne):
                    w[e] = (mx - prio[elig[e]] + 1.0) ** bias
                    tot += w[e]
                x = np.random.random() * tot
                best = ne - 1
                acc = 0.0
                for e in range(ne):
                    acc += w[e]
                    if x < acc:
                        best = e
                        break
            j = elig[best]
            elig[best] = elig[ne - 1]
            ne -= 1
            pop[row, k] = j
            for s in range(succ_ptr[j], succ_ptr[j + 1]):
                q = succ_idx[s]
                indeg[q] -= 1
                if indeg[q] == 0:
                    elig[ne] = q
                    ne += 1


@njit(cache=True, nogil=True)
def crossover(ma, pa, q1, q2, child, used):  # pragma: no cover
    """Two-point crossover: ``ma[:q1]``, then ``pa``'s relative order up to ``q2``, then ``ma``'s."""
    n = ma.shape[0]
    for j in range(n):
        used[j] = 0
    pos = 0
    for k in range(q1):
        child[pos] = ma[k]
        used[ma[k]] = 1
        pos += 1
    k = 0
    while pos < q2 and k < n:
        j = pa[k]
        if used[j] == 0:
            child[pos] = j
            used[j] = 1
            pos += 1
        k += 1
    k = 0
    while pos < n and k < n:
        j = ma[k]
        if used[j] == 0:
            child[pos] = j
            used[j] = 1
            pos += 1
        k += 1


@njit(cache=True, nogil=True)
def peak_crossover(ma, sm, pa, dur, load, child, used, usage):  # pragma: no cover
    """Keep the mother's densest time window (a "peak", cf. Valls et al. 2008).

    ``sm`` are the mother's start times, ``load[j]`` the job's resource
    use normalised by capacities.  With ``[a, a+L)`` the window of random
    length ``L`` (1/4 to 1/2 of the makespan) of largest total load: the jobs
    started before ``a`` come in the father's order, then the jobs started in
    the window in the mother's order, then the rest in the father's order.
    Every part is closed under predecessors, so the child is feasible.
    """
    n = ma.shape[0]
    ms = 0
    for j in range(n):
        if sm[j] + dur[j] > ms:
            ms = sm[j] + dur[j]
    if ms < 2:
        for k in range(n):
            child[k] = ma[k]
        return
    for t in range(ms):
        usage[t] = 0.0
    for j in range(n):
        for t in range(sm[j], sm[j] + dur[j]):
            usage[t] += load[j]
    lo = max(1, ms // 4)
    hi = max(lo, ms // 2)
    L = np.random.randint(lo, hi + 1)
    cur = 0.0
    for t in range(L):
        cur += usage[t]
    best = cur
    a = 0
    for t in range(L, ms):
        cur += usage[t] - usage[t - L]
        if cur > best + 1e-12 or (cur > best - 1e-12 and np.random.random() < 0.5):
            best = cur
            a = t - L + 1
    b = a + L
    pos = 0
    for k in range(n):
        j = pa[k]
        if sm[j] < a:
            child[pos] = j
            pos += 1
    for k in range(n):
        j = ma[k]
        if sm[j] >= a and sm[j] < b:
            child[pos] = j
            pos += 1
    for k in range(n):
        j = pa[k]
        if sm[j] >= b:
            child[pos] = j
            pos += 1


@njit(cache=True, nogil=True)
def mutate(child, pm, prec):  # pragma: no cover
    """Swap neighbours with probability ``pm`` when they are not precedence-related."""
    n = child.shape[0]
    for k in range(n - 1):
        if np.random.random() < pm:
            x = child[k]
            y = child[k + 1]
            if prec[x, y] == 0:
                child[k] = y
                child[k + 1] = x


@njit(cache=True, nogil=True)
def shift_move(child, pred_ptr, pred_idx, succ_ptr, succ_idx, pos):  # pragma: no cover
    """Move one random job to a random position between its predecessors and successors."""
    n = child.shape[0]
    for k in range(n):
        pos[child[k]] = k
    k = np.random.randint(0, n)
    j = child[k]
    lo = 0
    for p in range(pred_ptr[j], pred_ptr[j + 1]):
        if pos[pred_idx[p]] + 1 > lo:
            lo = pos[pred_idx[p]] + 1
    hi = n - 1
    for p in range(succ_ptr[j], succ_ptr[j + 1]):
        if pos[succ_idx[p]] - 1 < hi:
            hi = pos[succ_idx[p]] - 1
    if hi <= lo:
        return
    t = np.random.randint(lo, hi + 1)
    if t < k:
        for q in range(k, t, -1):
            child[q] = child[q - 1]
    else:
        for q in range(k, t):
            child[q] = child[q + 1]
    child[t] = j


@njit(cache=True, nogil=True)
def perturb(elite, rows, pm, prec):  # pragma: no cover
    """Replace each row of ``rows`` (fresh lists) by a crossover of ``elite`` with it, then mutate."""
    P, n = rows.shape
    used = np.zeros(n, dtype=np.uint8)
    child = np.empty(n, dtype=np.int64)
    for i in range(P):
        q1 = np.random.randint(0, n + 1)
        q2 = np.random.randint(0, n + 1)
        if q1 > q2:
            q1, q2 = q2, q1
        crossover(elite, rows[i], q1, q2, child, used)
        mutate(child, pm, prec)
        for k in range(n):
            rows[i, k] = child[k]


@njit(cache=True, nogil=True)
def select(
    kids,
    kst,
    kfit,
    kms,
    khash,
    pop,
    pst,
    fit,
    mss,
    hashes,
    n_keep,
    all_lists,
    all_st,
    all_fit,
    all_ms,
    all_hash,
    ops,
):  # pragma: no cover
    """The next population, in place: children and the ``n_keep`` best parents ranked by
    fitness (then makespan), distinct schedules first, duplicates only to fill up."""
    P, n = pop.shape
    nk = (P // 2) * 2
    # merge: children first so that ties favour newcomers
    m = 0
    for i in range(nk):
        all_lists[m] = kids[i]
        all_st[m] = kst[i]
        all_fit[m] = kfit[i]
        all_ms[m] = kms[i]
        all_hash[m] = khash[i]
        m += 1
    for i in range(min(P, n_keep)):
        all_lists[m] = pop[i]
        all_st[m] = pst[i]
        all_fit[m] = fit[i]
        all_ms[m] = mss[i]
        all_hash[m] = hashes[i]
        m += 1
    ops[0] += m * n  # the merge copies every row once
    keys = np.empty(m, dtype=np.float64)
    for i in range(m):
        keys[i] = all_fit[i] + 1e-9 * all_ms[i]
    idx = np.argsort(keys, kind="mergesort")
    taken = np.zeros(m, dtype=np.uint8)
    filled = 0
    for ii in range(m):
        if filled >= P:
            break
        i = idx[ii]
        dup = False
        for q in range(filled):
            if hashes[q] == all_hash[i]:
                dup = True
                break
        if dup:
            continue
        taken[i] = 1
        pop[filled] = all_lists[i]
        pst[filled] = all_st[i]
        fit[filled] = all_fit[i]
        mss[filled] = all_ms[i]
        hashes[filled] = all_hash[i]
        filled += 1
    for ii in range(m):  # only duplicates left: take them in rank order
        if filled >= P:
            break
        i = idx[ii]
        if taken[i]:
            continue
        pop[filled] = all_lists[i]
        pst[filled] = all_st[i]
        fit[filled] = all_fit[i]
        mss[filled] = all_ms[i]
        hashes[filled] = all_hash[i]
        filled += 1


# Long for its 36 array parameters (numba takes no structs), repeated in the call to evaluate;
# the breeding loop is the hot path, kept in one piece.  select() (17 parameters, ~75 lines) is
# the survivor selection, once per generation.
@njit(cache=True, nogil=True)
def ga(
    pop,
    pst,
    fit,
    mss,
    hashes,
    n_gen,
    pm,
    p_peak,
    n_keep,
    n_shift,
    load,
    dur,
    res_ptr,
    res_id,
    res_q,
    pred_ptr,
    pred_idx,
    succ_ptr,
    succ_idx,
    release,
    zeros,
    avail,
    avail_rev,
    work,
    start,
    bstart,
    topo,
    rtopo,
    const_cap,
    proj,
    weights,
    kind,
    rounds,
    prec,
    best_start,
    ops,
):  # pragma: no cover
    """Run ``n_gen`` generations; population arrays are updated in place.

    ``fit`` must be sorted ascending on entry (row 0 the best); so it is on
    exit.  ``best_start`` receives the schedule of the best individual
    whenever a new best is found.  Returns the number of schedules evaluated.
    """
    P, n = pop.shape
    kids = np.empty((P, n), dtype=np.int64)
    kst = np.empty((P, n), dtype=np.int64)
    posbuf = np.empty(n, dtype=np.int64)
    all_st = np.empty((2 * P, n), dtype=np.int64)
    usage = np.empty(avail.shape[0], dtype=np.float64)
    kfit = np.empty(P, dtype=np.float64)
    kms = np.empty(P, dtype=np.int64)
    khash = np.empty(P, dtype=np.int64)
    used = np.zeros(n, dtype=np.uint8)
    perm = np.arange(P)
    count = 0
    all_lists = np.empty((2 * P, n), dtype=np.int64)
    all_fit = np.empty(2 * P, dtype=np.float64)
    all_ms = np.empty(2 * P, dtype=np.int64)
    all_hash = np.empty(2 * P, dtype=np.int64)
    bf = fit[0]
    bm = mss[0]
    for _g in range(n_gen):
        np.random.shuffle(perm)
        for c in range(0, P - 1, 2):
            mother = perm[c]
            father = perm[c + 1]
            q1 = np.random.randint(0, n + 1)
            q2 = np.random.randint(0, n + 1)
            if q1 > q2:
                q1, q2 = q2, q1
            for side in range(2):
                a = mother if side == 0 else father
                b = father if side == 0 else mother
                child = kids[c + side]
                if np.random.random() < p_peak:
                    peak_crossover(pop[a], pst[a], pop[b], dur, load, child, used, usage)
                else:
                    crossover(pop[a], pop[b], q1, q2, child, used)
                mutate(child, pm, prec)
                for _s in range(n_shift):
                    shift_move(child, pred_ptr, pred_idx, succ_ptr, succ_idx, posbuf)
                f, ms, h = evaluate(
                    child,
                    dur,
                    res_ptr,
                    res_id,
                    res_q,
                    pred_ptr,
                    pred_idx,
                    succ_ptr,
                    succ_idx,
                    release,
                    zeros,
                    avail,
                    avail_rev,
                    work,
                    start,
                    bstart,
                    topo,
                    rtopo,
                    const_cap,
                    proj,
                    weights,
                    kind,
                    rounds,
                    ops,
                )
                count += 1
                kfit[c + side] = f
                kms[c + side] = ms
                khash[c + side] = h
                for j in range(n):
                    kst[c + side, j] = start[j]
                if f < bf or (f == bf and ms < bm):
                    bf = f
                    bm = ms
                    for j in range(n):
                        best_start[j] = start[j]
        select(
            kids,
            kst,
            kfit,
            kms,
            khash,
            pop,
            pst,
            fit,
            mss,
            hashes,
            n_keep,
            all_lists,
            all_st,
            all_fit,
            all_ms,
            all_hash,
            ops,
        )
    return count
