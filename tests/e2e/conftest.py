"""A real HTTP server (uvicorn in a thread, on a free port) over a clean database of each backend."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.seed import DEMO_PASSWORD, seed_demo_accounts
from api.settings import Settings
from storage.engine import make_engine, make_session_factory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    db_url: str

    def client(self, username: str | None = None, password: str = DEMO_PASSWORD) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=30)
        if username:
            r = c.post("/api/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        return c


def run_server(app, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def live(db_url: str) -> Iterator[LiveServer]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        seed_demo_accounts(session)
        session.commit()
    engine.dispose()
    port = free_port()
    server, thread = run_server(create_app(Settings(database_url=db_url)), port)
    yield LiveServer(f"http://127.0.0.1:{port}", db_url)
    server.should_exit = True
    thread.join(timeout=10)
