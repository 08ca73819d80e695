"""Running the app for real: uvicorn in a thread (one event loop, as ``hotline serve``),
or a ``hotline`` command (``serve``, ``demo``) as a separate process."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedServer:
    """The app under uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, access_log=False, log_level="warning", lifespan="on"))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self.server.serve()), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function`` in the server's event loop (where the bus and feed live)."""

        async def run() -> Any:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.loop.close()


class ServeProcess:
    """``hotline ARGS`` (default ``serve``) in its own process, with ``env`` added."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = ("serve",)) -> None:
        self.args = args
        self.port = free_port()
        self.env = {**os.environ, **env, "HOTLINE_HTTP_PORT": str(self.port), "HOTLINE_HTTP_HOST": "127.0.0.1"}
        self.process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: a chatty server must never block on a full pipe buffer.
        self.log = tempfile.NamedTemporaryFile(prefix="hotline-", suffix=".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> ServeProcess:
        self.process = subprocess.Popen([sys.executable, "-c", "from api.cli import main; main()", *self.args], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hotline {' '.join(self.args)} exited: {self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"hotline {' '.join(self.args)} did not answer /healthz within 60 s")

    def output(self) -> str:
        """Everything the process printed so far (also after it has stopped)."""
        return Path(self.log.name).read_text(errors="replace")

    def password(self) -> str:
        """The demo login's password, as ``hotline demo`` printed it."""
        match = re.search(r"password '([^']+)'", self.output())
        if match is None:
            raise ValueError("hotline demo printed no login yet")
        return match.group(1)

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
