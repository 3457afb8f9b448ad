"""Real ``onetrip serve`` and ``onetrip worker`` processes for the tests that need several."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.conftest import free_port


def onetrip_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "ONETRIP_SECRET_KEY": "cluster-test-signing-secret-0123456789abcdef",
        "ONETRIP_LANG": "zh",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str | None = None
    extra: dict = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def kill9(self) -> None:
        os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


def start(name: str, args: list[str], env: dict[str, str], logs: Path) -> Proc:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )
    return Proc(name, popen, log)


def start_server(name: str, env: dict[str, str], logs: Path, timeout: float = 60) -> Proc:
    port = free_port()
    proc = start(name, ["serve", "--port", str(port)], env, logs)
    proc.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{name} exited {proc.popen.returncode}:\n{proc.output()}")
        try:
            if httpx.get(f"{proc.url}/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError(f"{name} was not ready in {timeout} s:\n{proc.output()}")


def start_worker(name: str, env: dict[str, str], logs: Path, *extra: str) -> Proc:
    proc = start(name, ["worker", "--heartbeat", "1", "--stalled-after", "3", *extra], env, logs)
    deadline = time.monotonic() + 60
    while "Starting worker" not in proc.output():
        if proc.popen.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start:\n{proc.output()}")
        time.sleep(0.2)
    return proc
