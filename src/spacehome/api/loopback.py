"""The application served on a loopback port from a background thread, for a browser to open.

The end-to-end tests and the page benchmarks both need the real server (uvicorn, real sockets,
real HTTP) inside their own process, so they can seed its database and stop it when done.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from spacehome.errors import SpacehomeError

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI, *, startup_timeout_s: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a daemon thread; yields its base URL
    (``http://127.0.0.1:PORT``) once it accepts connections, and stops it on exit."""
    import uvicorn  # the server only where one is run

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name=f"spacehome-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise SpacehomeError(f"the server did not start on port {port} within {startup_timeout_s:g} s")
        time.sleep(0.05)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
