"""Real gunicorn servers for tests, started with grants/project/gunicorn.conf.py (as `make
serve` does) on a free port in 8100-8199 and stopped by their PID."""

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
_taken: set[int] = set()


def free_port() -> int:
    """A free port in 8100-8199, the range this project's test servers use."""
    for port in range(8100, 8200):
        if port in _taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError("No free port in 8100-8199.")


def get(port, path, headers=None):
    """(status, headers, body) of a GET, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


class GunicornServer:
    def __init__(self, env, *, workers=1):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "-c",
                "grants/project/gunicorn.conf.py",
                "grants.project.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--preload",
                "--log-level",
                "warning",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until_up(self):
        for _attempt in range(150):  # bounded: about 15 s at most
            if self.process.poll() is not None:
                break
            try:
                get(self.port, "/robots.txt")
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn on port {self.port} did not start")

    def get(self, path, headers=None):
        return get(self.port, path, headers)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        _taken.discard(self.port)
