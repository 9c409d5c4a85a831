"""The sandbox as a library object: start it, point boto3 at its URL, read what it delivered."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from pipeline.errors import InputError
from pipeline.sandbox import service
from pipeline.sandbox.endpoints import EndpointDirectory, load_endpoints
from pipeline.sandbox.faults import EndpointDraws, FaultPlan, Faults
from pipeline.sandbox.protocol import SEND_USERS_MESSAGES, Route
from pipeline.sandbox.server import SandboxServer
from pipeline.sandbox.store import Delivery, Store, open_store

DEFAULT_PORT: Final = 8642
HOST: Final = "127.0.0.1"


class Sandbox:
    """A local Pinpoint endpoint for ``SendUsersMessages`` and ``SendMessages``.

    Example::

        with Sandbox(faults=Faults(throttle_share=0.1)) as sandbox:
            client = session.client("pinpoint", endpoint_url=sandbox.url)
            ...
            assert all(n == 1 for n in sandbox.delivery_counts().values())

    Credentials and signatures are not checked: any access key works.
    """

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        endpoints: str | os.PathLike[str] | None = None,
        store: str | os.PathLike[str] | None = None,
        port: int = 0,
    ) -> None:
        """Prepare a sandbox; ``start()`` (or ``with``) opens the store and the port.

        Args:
            faults: The faults to inject; none by default.
            endpoints: An endpoints file (format in ``pipeline.sandbox.endpoints``); without
                one every user has synthetic endpoints.
            store: The SQLite file that records deliveries; in memory without one.
            port: The port on 127.0.0.1; 0 picks a free one.

        Raises:
            InputError: The endpoints file is unreadable or malformed.
        """
        self._plan = FaultPlan(faults or Faults())
        self._directory = (
            load_endpoints(Path(endpoints)) if endpoints is not None else EndpointDirectory()
        )
        self._store_path = Path(store) if store is not None else None
        self._port = port
        self.stopping = threading.Event()
        # Guards the counters below; notified whenever one changes, for the wait_* methods.
        self._state = threading.Condition()
        self._requests = 0
        self._active = 0  # requests being served
        self._held = 0  # requests waiting for release()
        self._holding = False
        self._admitted = 0  # requests let through admit()
        self._hold_after: int | None = None  # hold once this many more were admitted
        self._partitioned = False
        self._store: Store | None = None
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._final: list[Delivery] | None = None

    @property
    def faults(self) -> Faults:
        """The faults in force.

        Assign new ones at any time: they apply from the next request, with the generator
        restarted from their seed.
        """
        return self._plan.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._plan = FaultPlan(faults)

    @property
    def url(self) -> str:
        """The endpoint URL for boto3's ``endpoint_url``, e.g. ``http://127.0.0.1:8642``."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return f"http://{HOST}:{self._server.server_port}"

    @property
    def requests_received(self) -> int:
        """Every HTTP request received so far, faulted ones included."""
        return self._requests

    @property
    def partitioned(self) -> bool:
        """Whether the sandbox refuses connections (a partition, until ``heal()``)."""
        return self._partitioned

    def hold(self, *, after: int = 0) -> None:
        """Requests wait before they are processed, until ``release()``.

        ``after`` lets that many more requests through first: a test that holds a send's
        later calls says which by count, not by catching the send at a moment.
        """
        with self._state:
            if after:
                self._hold_after = self._admitted + after
            else:
                self._holding = True

    def release(self) -> None:
        """Let the held requests (and every later one) be processed."""
        with self._state:
            self._holding = False
            self._hold_after = None
            self._state.notify_all()

    def wait_until_held(self, count: int, *, timeout: float = 60.0) -> None:
        """Block until ``count`` requests wait at the hold.

        The timeout only guards against a test that would otherwise hang: what the test
        asserts never depends on it.

        Raises:
            TimeoutError: Fewer requests arrived within ``timeout`` seconds.
        """
        with self._state:
            if not self._state.wait_for(lambda: self._held >= count, timeout):
                raise TimeoutError(f"{self._held} requests held, not {count}")

    def wait_until_idle(self, *, timeout: float = 60.0) -> None:
        """Block until no request is being served (the timeout only guards against a hang).

        Raises:
            TimeoutError: Requests were still being served after ``timeout`` seconds.
        """
        with self._state:
            if not self._state.wait_for(lambda: self._active == 0, timeout):
                raise TimeoutError(f"{self._active} requests still being served")

    def admit(self) -> bool:
        """Wait while the sandbox holds requests (see ``hold``); False if it stops meanwhile."""
        with self._state:
            if self._hold_after is not None and self._admitted >= self._hold_after:
                self._holding, self._hold_after = True, None
            if self._holding:
                self._held += 1
                self._state.notify_all()
                self._state.wait_for(lambda: not self._holding or self.stopping.is_set())
                self._held -= 1
            self._admitted += 1
            return not self.stopping.is_set()

    def partition(self) -> None:
        """Stop listening and close every connection: new connections are refused."""
        server = self._server
        if server is None or self._partitioned:
            return
        self._partitioned = True
        server.shutdown()  # called from a connection thread, never the serving one
        server.socket.close()
        server.close_connections()

    def heal(self) -> None:
        """End a partition: listen again on the same port."""
        if not self._partitioned or self._server is None:
            return
        port = self._server.server_port
        self._server.server_close()
        self._partitioned = False
        self._serve(SandboxServer((HOST, port), self))

    def start(self) -> Sandbox:
        """Open the store and start serving on a background thread.

        Raises:
            InputError: The store cannot be opened, or the port cannot be listened on.
        """
        if self._server is not None or self._final is not None:
            raise RuntimeError("a sandbox starts once")
        store = open_store(self._store_path)
        try:
            server = SandboxServer((HOST, self._port), self)
        except OSError as exc:
            store.close()
            raise InputError(
                f"cannot listen on {HOST}:{self._port}: {exc.strerror or exc}",
                fix="choose another port, or 0 for any free one",
            ) from exc
        self._store = store
        self._serve(server)
        return self

    def _serve(self, server: SandboxServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"pinpoint-sandbox-{server.server_port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close every connection and the store; deliveries stay readable."""
        server, store = self._server, self._store
        if server is None or store is None:
            return
        self.stopping.set()
        with self._state:
            self._state.notify_all()  # held requests end without being processed
        server.shutdown()
        if self._thread is not None:
            self._thread.join()
        server.close_connections()
        server.server_close()  # also waits for the connection threads
        self._final = store.deliveries()
        store.close()
        self._server = self._store = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def deliveries(self) -> list[Delivery]:
        """Every successful per-endpoint delivery of this sandbox, in arrival order."""
        if self._final is not None:
            return list(self._final)
        return self._store.deliveries() if self._store is not None else []

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """How many deliveries each (user id, endpoint id) got: 1 each, unless sent twice."""
        if self._final is not None:
            return dict(Counter((d.user_id, d.endpoint_id) for d in self._final))
        return self._store.delivery_counts() if self._store is not None else {}

    def begin_request(self) -> FaultPlan:
        """Count one HTTP request and return the faults that apply to it."""
        with self._state:
            self._requests += 1
            self._active += 1
        return self._plan

    def end_request(self) -> None:
        """One HTTP request is done with."""
        with self._state:
            self._active -= 1
            self._state.notify_all()

    def process(
        self,
        route: Route,
        payload: dict[str, Any],
        request_id: str,
        plan: FaultPlan,
        draws: EndpointDraws | None,
        *,
        checked_text: bool = False,
    ) -> service.Outcome:
        """Answer a valid request and record its deliveries.

        ``checked_text``: no text of the payload can hold a lone surrogate (UTF-8 can encode it).
        """
        answer = (
            service.send_users_messages
            if route.operation == SEND_USERS_MESSAGES
            else service.send_messages
        )
        outcome = answer(
            payload,
            request_id=request_id,
            application_id=route.application_id,
            directory=self._directory,
            plan=plan,
            draws=draws,
        )
        if self._store is not None:
            self._store.record(outcome.rows, checked_text=checked_text)
        return outcome
