"""Real processes and sockets for fault tests: a TCP proxy in front of the database
that can be cut and restored, and the app served by gunicorn as configured."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port(first: int = 8400, last: int = 8499) -> int:
    """A free TCP port on 127.0.0.1 in ``first..last``."""
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


class CuttableProxy:
    """Forwards 127.0.0.1:port to ``target``. ``cut()`` drops every open connection
    and refuses new ones as a stopped database does; ``restore()`` forwards again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = None if not self.up else socket.create_connection(self.target, 5)
            except OSError:
                server = None
            with self.lock:  # cut() takes the lock: a pair is either cut or never opened
                if server is None or not self.up:
                    for s in (client, server):
                        if s is not None:
                            s.close()
                    continue
                server.settimeout(None)
                self.open.update({client, server})
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket):
        with self.lock:
            self.open.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self):
        with self.lock:
            self.up = False
            sockets = list(self.open)
        for s in sockets:
            self._close(s)

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


class Gunicorn:
    """``gunicorn config.wsgi`` with the project's gunicorn.conf.py and production
    settings, on a free port of 127.0.0.1."""

    def __init__(self, database_url: str, **env):
        self.port = free_port()
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by stop())
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "fault-test-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESSLOG": "",
            "WEB_CONCURRENCY": "2",
            "STATIC_ROOT": tempfile.mkdtemp(prefix="fault-static-"),
            **env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=self.log,  # a file: an unread pipe would fill and block the workers
        )
        deadline = time.monotonic() + 120  # workers import Django; a busy machine is slow
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + self.stop())

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        """(status, JSON body) of one request; raises OSError when nothing answers."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback http only)
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> str:
        """Stop gunicorn; return what it wrote to stderr."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        text = self.log.read()
        self.log.close()
        return text
