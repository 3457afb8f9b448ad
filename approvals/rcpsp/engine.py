"""Loading the compiled search engine (the numba kernels) without ever risking the process.

Why this module exists: numba compiles the kernels with LLVM on first use and caches the machine
code on disk.  Compiling in a background thread of the process that solves was the cause of the
scheduler's crashes (segmentation fault, or the LLVM assertion ``dyn_cast on a non-existent
value``): a short ``onetrip rcpsp`` run on a cold cache returned and the interpreter exited —
running LLVM's static destructors — while the daemon thread was still inside LLVM compiling.

So compiling never happens in a process that does other work:

* a **stamp** file beside numba's cache records that the kernels of this source, this numba,
  this Python and this CPU were compiled and exercised successfully;
* without the stamp, a **child process** (``python -m approvals.rcpsp.engine``) compiles and
  exercises them under an exclusive file lock (so concurrent cold processes compile once), then
  writes the stamp; a crash there costs nothing but the child;
* with the stamp, the kernels are loaded from the cache in-process (about a second); the
  interpreter waits for a load in flight at exit rather than tear LLVM down under it.

When the engine cannot be used (numba missing, the compile child failed, still compiling), the
solver uses plain CP-SAT from the LFT schedule and :func:`engine_status` says why.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import platform
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

STAMP_PREFIX = "onetrip-kernels-"
LOCK_NAME = "onetrip-kernels.lock"


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """Whether the compiled engine is usable, and if not, why (for logs and CLI notices)."""

    ready: bool
    state: str  # "ready", "loading", "compiling", "unavailable", "not started"
    reason: str = ""


def _source_files() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [here / "_kernels.py"]


def fingerprint() -> str:
    """Hash of what the cached machine code depends on: source, numba, Python, CPU."""
    import llvmlite.binding as ll
    import numba

    h = hashlib.sha256()
    for p in _source_files():
        h.update(p.read_bytes())
    # numba's own variable (it compiles for that CPU), not a onetrip setting
    cpu = os.environ.get("NUMBA_CPU_NAME") or ll.get_host_cpu_name()
    for part in (numba.__version__, sys.version, platform.machine(), cpu):
        h.update(part.encode())
    return h.hexdigest()[:20]


def cache_dir(kernels: ModuleType) -> Path:
    """The directory numba caches the kernels in (``__pycache__`` or ``NUMBA_CACHE_DIR``)."""
    return Path(kernels.evaluate._cache._cache_path)


def stamp_path(kernels: ModuleType) -> Path:
    return cache_dir(kernels) / f"{STAMP_PREFIX}{fingerprint()}.ok"


def exercise(kernels: ModuleType) -> None:
    """Run every kernel once on a tiny instance (compiles, or loads from the cache)."""
    from .arrays import build_arrays
    from .model import Instance
    from .solver import _Island

    tiny = Instance(
        durations=(0, 2, 1, 0),
        successors=((1, 2), (3,), (3,), ()),
        demands=((0,), (1,), (1,), (0,)),
        capacities=(1,),
        projects=(0, 0, 0, 0),
    )
    for kind in ("makespan", "weighted_completion"):
        isl = _Island(kernels, build_arrays(tiny, kind), 4, 0, 0.05, 2)
        isl.initialise([])
        isl.step(1)
        isl.initialise([], elite=isl.best_list.copy())


def compile_in_child(log: Path, timeout: float = 600.0) -> tuple[bool, str]:
    """Compile and exercise the kernels in a separate process (its output goes to ``log``).

    The child outlives a short parent (a CLI run that fell back to CP-SAT) and leaves the warm
    cache for the next run; its output goes to a file so that it never dies of a closed pipe.
    """
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            proc = subprocess.run(
                [sys.executable, "-m", "approvals.rcpsp.engine"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"compile process failed: {exc}"
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        return False, f"compile process exited with {proc.returncode}: {' | '.join(tail)}"
    return True, ""


class _Loader:
    """One per process: the state of the engine and the thread that brings it up."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.in_llvm = threading.Event()  # an in-process load is running: exit must wait
        self.thread: threading.Thread | None = None
        self.kernels: ModuleType | None = None
        self.state = "not started"
        self.reason = ""

    def start(self) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._body, name="rcpsp-engine", daemon=True)
                self.thread.start()

    def _body(self) -> None:
        try:
            try:
                from . import _kernels as K  # defines the dispatchers; compiles nothing
            except Exception as exc:  # numba missing or broken
                self.state, self.reason = "unavailable", f"numba unavailable: {exc}"
                return
            stamp = stamp_path(K)
            if not stamp.exists():
                self.state = "compiling"
                self.reason = "首次运行，正在后台编译 / first run, compiling in the background"
                ok, why = compile_in_child(stamp.with_name("onetrip-kernels-compile.log"))
                if not ok or not stamp.exists():
                    self.state = "unavailable"
                    self.reason = why or f"no stamp {stamp.name} after compiling"
                    return
            self.state, self.reason = "loading", ""
            self.in_llvm.set()
            try:
                exercise(K)  # from the warm cache: links machine code, no compilation
            finally:
                self.in_llvm.clear()
            self.kernels, self.state = K, "ready"
        except BaseException as exc:  # never let the engine take the process down
            self.state, self.reason = "unavailable", f"{type(exc).__name__}: {exc}"
        finally:
            self.done.set()

    def wait_for_llvm_at_exit(self) -> None:
        if self.thread is not None and self.in_llvm.is_set():
            self.thread.join(timeout=120)


LOADER = _Loader()
atexit.register(LOADER.wait_for_llvm_at_exit)


def engine_status() -> EngineStatus:
    """Whether the compiled engine is ready; if not, its state and the reason."""
    return EngineStatus(LOADER.kernels is not None, LOADER.state, LOADER.reason)


def _main() -> int:
    """Child process: compile under an exclusive lock (one compiler per cache), then stamp."""
    from . import _kernels as K

    directory = cache_dir(K)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp_path(K)
    with open(directory / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process compiling: wait for it, then reuse
        if not stamp.exists():
            exercise(K)
            tmp = stamp.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(fingerprint() + "\n")
            os.replace(tmp, stamp)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
