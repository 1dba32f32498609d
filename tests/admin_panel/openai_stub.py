"""A local server that answers OpenAI's ``GET /v1/models`` as OpenAI does, for the real SDK."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class StubOpenAI:
    """``status``: the HTTP status to answer; ``hold``: while not set, requests wait
    (an OpenAI that hangs); ``requests``: paths received."""

    base_url: str = ""
    status: int = 200
    hold: threading.Event = field(default_factory=threading.Event)
    requests: list[str] = field(default_factory=list)


@contextmanager
def stub_openai() -> Iterator[StubOpenAI]:
    stub = StubOpenAI()
    stub.hold.set()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            stub.requests.append(self.path)
            stub.hold.wait(timeout=30)
            if stub.status == 200:
                body = {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]}
            else:
                body = {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                }
            payload = json.dumps(body).encode()
            try:
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield stub
    finally:
        stub.hold.set()
        server.shutdown()
        server.server_close()
