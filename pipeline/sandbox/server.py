"""The sandbox's HTTP side: a threaded HTTP/1.1 server on 127.0.0.1 that boto3 talks to.

One thread per connection (boto3 keeps its connections alive), Nagle's algorithm off and
every answer written with one ``sendall``: with either missing, each request of a
keep-alive connection stalls ~40 ms on delayed ACKs.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final, Protocol

from pipeline.pinpoint.limits import MAX_PAYLOAD_BYTES
from pipeline.sandbox.faults import EndpointDraws, FaultPlan, RequestFault
from pipeline.sandbox.protocol import (
    ERRORS,
    BadRequest,
    Route,
    error_body,
    has_no_surrogates,
    match_route,
    new_request_id,
    parse_request,
    response_head,
)

if TYPE_CHECKING:
    from pipeline.sandbox.service import Outcome

# A body too large to accept is still read (and dropped) up to this size, so that the client,
# which sends its whole body before reading, gets the 413 instead of a reset connection.
_MAX_DISCARD: Final = 64 * 1024 * 1024


class Backend(Protocol):
    """What the HTTP side needs from the sandbox (``pipeline.sandbox.Sandbox`` is one)."""

    stopping: threading.Event

    def begin_request(self) -> FaultPlan:
        """Count one HTTP request and return the faults that apply to it."""

    def end_request(self) -> None:
        """One HTTP request is done with (answered, refused or dropped)."""

    def admit(self) -> bool:
        """Wait while the sandbox holds requests; False if it stops meanwhile.

        Tests schedule a crash or a race with a hold, by request count and not by time.
        """

    def partition(self) -> None:
        """Stop listening and close every connection: clients are refused until healed."""

    def process(
        self,
        route: Route,
        payload: dict[str, Any],
        request_id: str,
        plan: FaultPlan,
        draws: EndpointDraws | None,
        *,
        checked_text: bool = False,
    ) -> Outcome:
        """Answer a valid request and record its deliveries.

        ``checked_text``: no text of the payload can hold a lone surrogate (UTF-8 can encode it).
        """


def answer_request(
    backend: Backend,
    route: Route,
    body: bytes,
    request_id: str,
    plan: FaultPlan,
    draws: EndpointDraws | None,
) -> tuple[int, bytes]:
    """The status and body of the answer to a request that reached the service."""
    try:
        payload = parse_request(route, body)
    except BadRequest as exc:
        return 400, error_body(str(exc), request_id)
    checked = has_no_surrogates(body)
    try:
        outcome = backend.process(route, payload, request_id, plan, draws, checked_text=checked)
    except Exception as exc:  # a bug of the sandbox: tell the client, show the trace
        traceback.print_exc()
        return 500, error_body(f"Sandbox failure: {exc!r}", request_id)
    return 200, outcome.body


class SandboxServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that can close its keep-alive connections when stopping."""

    daemon_threads = True
    # Many clients open their connections at once (e.g. a pool of 64); the default backlog
    # of 5 would make some of them wait for a SYN retransmission (a second or more).
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        self.backend = backend
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.work_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host, which can be slow."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember the connection (in the accepting thread) before serving it."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection and close it."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake every connection thread that waits for its client, so that it ends."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client goes away or the sandbox stops; report anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the sandbox answers thousands of requests a second."""

    def _serve(self) -> None:
        backend = self.server.backend
        plan = backend.begin_request()
        try:
            self._serve_one(backend, plan)
        finally:
            backend.end_request()

    def _serve_one(self, backend: Backend, plan: FaultPlan) -> None:
        request_id = new_request_id()
        length = self._content_length()
        if length is None:
            self.close_connection = True
            self._error(plan, 400, "A request needs a valid Content-Length.", request_id)
            return
        route = match_route(self.path)
        status = 404 if route is None else 405 if self.command != "POST" else 0
        if not status and length > MAX_PAYLOAD_BYTES:
            status = 413
        if status:
            self._discard(length)
            message = {
                404: f"Resource not found: {self.command} {self.path.split('?', 1)[0]}",
                405: f"Method {self.command} is not allowed on {self.path.split('?', 1)[0]}.",
                413: f"The request is larger than {MAX_PAYLOAD_BYTES} bytes.",
            }[status]
            self._error(plan, status, message, request_id)
            return
        assert route is not None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body
            return
        fault, draws = plan.draw()
        if fault is RequestFault.DROP:
            self._pause(plan)
            self.close_connection = True
            return
        if not backend.admit():
            self.close_connection = True
            return
        if fault is RequestFault.THROTTLE:
            self._error(plan, 429, "Too many requests", request_id)
            return
        if fault is RequestFault.ERROR:
            self._error(plan, 500, "Internal server error", request_id)
            return
        # One request at a time does the CPU work: the GIL serialises it anyway, and threads
        # that queue on a lock do not fight for the GIL (with 64 threads that fight cost
        # about as much CPU as the work itself).
        with self.server.work_lock:
            status, answer = answer_request(backend, route, body, request_id, plan, draws)
        if fault in (RequestFault.LOSE_ANSWER, RequestFault.PARTITION):
            # Processed and recorded, but the client never hears of it: it must not guess.
            self._pause(plan)
            if fault is RequestFault.PARTITION:
                backend.partition()  # before the client can learn anything and try again
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if status == 200:
            self._send(plan, 200, answer, request_id)
        else:
            self._send(plan, status, answer, request_id, ERRORS[status])

    def _content_length(self) -> int | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        return length if length >= 0 else None

    def _discard(self, length: int) -> None:
        if length > _MAX_DISCARD:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    def _pause(self, plan: FaultPlan) -> None:
        latency = plan.faults.latency
        if latency > 0:
            self.server.backend.stopping.wait(latency)

    def _error(self, plan: FaultPlan, status: int, message: str, request_id: str) -> None:
        self._send(plan, status, error_body(message, request_id), request_id, ERRORS[status])

    def _send(
        self, plan: FaultPlan, status: int, body: bytes, request_id: str, error: str | None = None
    ) -> None:
        self._pause(plan)
        head = response_head(
            status, len(body), request_id, error=error, close=self.close_connection
        )
        self.wfile.write(head + body)  # one sendall: the socket writer is unbuffered
