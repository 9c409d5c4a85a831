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
from pipeline.sandbox.store import Delivery, DeliveryStore

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
        self._count_lock = threading.Lock()
        self._requests = 0
        self._store: DeliveryStore | None = None
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

    def start(self) -> Sandbox:
        """Open the store and start serving on a background thread.

        Raises:
            InputError: The store cannot be opened, or the port cannot be listened on.
        """
        if self._server is not None or self._final is not None:
            raise RuntimeError("a sandbox starts once")
        store = DeliveryStore(self._store_path)
        try:
            server = SandboxServer((HOST, self._port), self)
        except OSError as exc:
            store.close()
            raise InputError(
                f"cannot listen on {HOST}:{self._port}: {exc.strerror or exc}",
                fix="choose another port, or 0 for any free one",
            ) from exc
        self._store, self._server = store, server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"pinpoint-sandbox-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and the store; deliveries stay readable."""
        server, store = self._server, self._store
        if server is None or store is None:
            return
        self.stopping.set()
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
        with self._count_lock:
            self._requests += 1
        return self._plan

    def process(
        self,
        route: Route,
        payload: dict[str, Any],
        request_id: str,
        plan: FaultPlan,
        draws: EndpointDraws | None,
    ) -> service.Outcome:
        """Answer a valid request and record its deliveries."""
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
            self._store.record(outcome.rows)
        return outcome
