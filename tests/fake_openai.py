"""A local HTTP server that speaks the parts of OpenAI's API this project calls,
for tests that run the real ``openai`` SDK against it (``OPENAI_BASE_URL``).

Covered (``/v1`` prefix, JSON unless said otherwise):
- files: ``POST /files`` (multipart ``file`` + ``purpose``), ``GET /files``
  (cursor page: ``after``, ``limit``, ``order``, ``purpose``), ``GET /files/{id}``,
  ``DELETE /files/{id}`` (also detaches the file from every vector store, as
  OpenAI does);
- vector stores: ``GET /vector_stores/{id}``;
- vector-store files: ``POST /vector_stores/{id}/files`` (``file_id``,
  ``attributes``), ``GET …/files`` (cursor page: ``after``, ``before``,
  ``limit``, ``order``, ``filter``), ``GET …/files/{file_id}``,
  ``DELETE …/files/{file_id}``;
- errors as OpenAI sends them: ``{"error": {"message", "type", "param", "code"}}``
  with 400/401/404/500….

State is in memory and inspectable: ``files``, ``stores`` (vector store id →
{file id → vector-store file}), ``requests`` (every request received, as
``(method, path)``). Test controls: ``fail(method, path_pattern, status)``
answers the next matching request(s) with an error, ``delay`` slows every
answer (timeouts), ``file_status_set(file_id, …)`` moves a vector-store file to
``completed``/``failed``/``cancelled``, ``new_file_status`` is the status a new
attachment starts in, ``probe`` (a callable) runs on every request (e.g. to
check that the caller holds no database transaction).

Use it through the ``fake_openai`` fixture (``tests/documents/conftest.py``),
or ``FakeOpenAI.start()`` / ``.stop()``.
"""

import email.parser
import email.policy
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "sk-test-fake-openai"


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern
    status: int
    times: int
    message: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many concurrent clients (the benchmark), no SYN retries


class FakeOpenAI:
    """The server's state and controls; ``base_url`` ends with ``/v1``."""

    def __init__(self) -> None:
        self.files: dict[str, dict] = {}
        self.contents: dict[str, bytes] = {}
        self.stores: dict[str, dict[str, dict]] = {}
        self.requests: list[tuple[str, str]] = []
        self.new_file_status = "in_progress"
        self.delay = 0.0
        self.probe: Any = None
        self._failures: list[_Failure] = []
        self._sequence = 0
        self._order: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> "FakeOpenAI":
        """Serve on 127.0.0.1 on a free port chosen by the OS, in a thread."""
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- controls -----------------------------------------------------------------

    def vector_store_create(self, vector_store_id: str | None = None) -> str:
        """A new, empty vector store; returns its id."""
        vector_store_id = vector_store_id or f"vs_{secrets.token_hex(12)}"
        with self._lock:
            self.stores.setdefault(vector_store_id, {})
        return vector_store_id

    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int = 500,
        *,
        times: int = 1,
        message: str = "The server had an error while processing your request.",
    ) -> None:
        """Answer the next ``times`` requests whose method is ``method`` and whose
        path (without ``/v1``) matches the regular expression ``path_pattern``
        (``re.fullmatch``) with ``status`` and an OpenAI error body."""
        self._failures.append(
            _Failure(method.upper(), re.compile(path_pattern), status, times, message)
        )

    def file_add(
        self,
        *,
        filename: str = "found.pdf",
        content: bytes = b"%PDF-1.7 found",
        vector_store_id: str | None = None,
        status: str = "completed",
        attributes: dict | None = None,
    ) -> str:
        """A file created on "OpenAI" directly (not through this project), attached
        to ``vector_store_id`` when given; returns its id."""
        file_id = self._file_new(filename, content, "assistants")
        if vector_store_id is not None:
            self._attach(vector_store_id, file_id, attributes, status)
        return file_id

    def file_status_set(
        self,
        file_id: str,
        status: str,
        *,
        error_code: str = "unsupported_file",
        message: str = "The file type is not supported.",
    ) -> None:
        """Move the file's vector-store entries to ``status`` (``completed``,
        ``failed`` with ``last_error``, ``cancelled``, ``in_progress``)."""
        with self._lock:
            for store in self.stores.values():
                entry = store.get(file_id)
                if entry is not None:
                    entry["status"] = status
                    entry["last_error"] = (
                        {"code": error_code, "message": message} if status == "failed" else None
                    )

    def count(self, method: str, path_pattern: str = ".*") -> int:
        """How many requests with ``method`` and a path matching ``path_pattern``
        were received."""
        pattern = re.compile(path_pattern)
        return sum(1 for m, p in self.requests if m == method and pattern.fullmatch(p))

    # --- internals ------------------------------------------------------------------

    def _next_order(self, object_id: str) -> None:
        self._sequence += 1
        self._order[object_id] = self._sequence

    def _file_new(self, filename: str, content: bytes, purpose: str) -> str:
        file_id = f"file-{secrets.token_hex(12)}"
        with self._lock:
            self.files[file_id] = {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": filename,
                "purpose": purpose,
                "status": "processed",
                "expires_at": None,
                "status_details": None,
            }
            self.contents[file_id] = content
            self._next_order(file_id)
        return file_id

    def _attach(self, store_id: str, file_id: str, attributes: dict | None, status: str) -> dict:
        entry = {
            "id": file_id,
            "object": "vector_store.file",
            "created_at": int(time.time()),
            "usage_bytes": len(self.contents.get(file_id, b"")),
            "vector_store_id": store_id,
            "status": status,
            "last_error": None,
            "attributes": attributes,
            "chunking_strategy": {
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            },
        }
        with self._lock:
            self.stores.setdefault(store_id, {})[file_id] = entry
            self._next_order(f"{store_id}/{file_id}")
        return entry

    def _failure_for(self, method: str, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if (
                    failure.method == method
                    and failure.times > 0
                    and failure.pattern.fullmatch(path)
                ):
                    failure.times -= 1
                    return failure
        return None

    def _page(self, items: list[dict], keys: list[str], query: dict) -> dict:
        """OpenAI's cursor page: ``order`` by creation (default desc), ``after`` /
        ``before`` an id, ``limit`` 1…100 (default 20)."""
        order = query.get("order", "desc")
        pairs = sorted(zip(keys, items, strict=True), key=lambda pair: self._order[pair[0]])
        if order == "desc":
            pairs.reverse()
        ids = [item["id"] for _, item in pairs]
        data = [item for _, item in pairs]
        if "after" in query and query["after"] in ids:
            cut = ids.index(query["after"]) + 1
            data, ids = data[cut:], ids[cut:]
        if "before" in query and query["before"] in ids:
            cut = ids.index(query["before"])
            data, ids = data[:cut], ids[:cut]
        limit = max(1, min(100, int(query.get("limit", 20))))
        page = data[:limit]
        return {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(data) > limit,
        }

    # --- routes ---------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, headers, body: bytes):
        """Answer one request: ``(status, JSON body)``."""
        if headers.get("Authorization") != f"Bearer {API_KEY}":
            return 401, _error("Incorrect API key provided.")
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["files"]:
            return self._files(method, parts[1:], query, headers, body)
        if parts[:1] == ["vector_stores"] and len(parts) >= 2:
            store_id = parts[1]
            if store_id not in self.stores:
                return 404, _error(f"No vector store found with id '{store_id}'.")
            if len(parts) == 2 and method == "GET":
                return 200, self._vector_store(store_id)
            if parts[2:3] == ["files"]:
                return self._store_files(method, store_id, parts[3:], query, body)
        return 404, _error(f"Unknown route {method} {path}.")

    def _files(self, method, rest, query, headers, body):
        if not rest and method == "POST":
            fields = _multipart(headers.get("Content-Type", ""), body)
            if "file" not in fields or "purpose" not in fields:
                return 400, _error("Missing required parameter: 'file' or 'purpose'.", param="file")
            filename, content = fields["file"]
            file_id = self._file_new(filename, content, fields["purpose"][1].decode())
            return 200, self.files[file_id]
        if not rest and method == "GET":
            items = [f for f in self.files.values() if query.get("purpose") in (None, f["purpose"])]
            return 200, self._page(items, [f["id"] for f in items], query)
        file_id = rest[0] if rest else ""
        if file_id not in self.files:
            return 404, _error(f"No such File object: {file_id}", param="id")
        if method == "GET":
            return 200, self.files[file_id]
        if method == "DELETE":
            with self._lock:
                del self.files[file_id]
                self.contents.pop(file_id, None)
                for store in self.stores.values():
                    store.pop(file_id, None)
            return 200, {"id": file_id, "object": "file", "deleted": True}
        return 405, _error("Method not allowed.")

    def _vector_store(self, store_id):
        entries = list(self.stores[store_id].values())
        counts = {s: sum(e["status"] == s for e in entries) for s in _STATUSES}
        return {
            "id": store_id,
            "object": "vector_store",
            "created_at": 1_700_000_000,
            "name": "documents",
            "usage_bytes": sum(e["usage_bytes"] for e in entries),
            "file_counts": {**counts, "total": len(entries)},
            "status": "completed",
            "last_active_at": int(time.time()),
            "metadata": None,
            "expires_after": None,
            "expires_at": None,
        }

    def _store_files(self, method, store_id, rest, query, body):
        store = self.stores[store_id]
        if not rest and method == "POST":
            payload = json.loads(body or b"{}")
            file_id = payload.get("file_id")
            if file_id not in self.files:
                return 404, _error(f"No file found with id '{file_id}'.", param="file_id")
            entry = self._attach(store_id, file_id, payload.get("attributes"), self.new_file_status)
            return 200, entry
        if not rest and method == "GET":
            items = [e for e in store.values() if query.get("filter") in (None, e["status"])]
            keys = [f"{store_id}/{e['id']}" for e in items]
            return 200, self._page(items, keys, query)
        file_id = rest[0] if rest else ""
        if file_id not in store:
            return 404, _error(f"No file found with id '{file_id}' in vector store '{store_id}'.")
        if method == "GET":
            return 200, store[file_id]
        if method == "DELETE":
            with self._lock:
                store.pop(file_id, None)
            return 200, {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}
        return 405, _error("Method not allowed.")


_STATUSES = ("in_progress", "completed", "failed", "cancelled")


def _error(message: str, kind: str = "invalid_request_error", param=None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Fields of a multipart/form-data body: name → (file name or None, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once on keep-alive

    def _serve(self):
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        path = url.path.removeprefix("/v1")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake.requests.append((self.command, path))
        if fake.probe is not None:
            fake.probe(self.command, path)
        if fake.delay:
            time.sleep(fake.delay)
        failure = fake._failure_for(self.command, path)
        if failure is not None:
            status = failure.status
            answer = _error(
                failure.message, "server_error" if status >= 500 else "invalid_request_error"
            )
        else:
            status, answer = fake.handle(self.command, path, query, self.headers, body)
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_{secrets.token_hex(8)}")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, *args):  # keep test output quiet
        pass
