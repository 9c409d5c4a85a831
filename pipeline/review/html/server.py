"""``pipeline serve``: the preview site on 127.0.0.1, rebuilt whenever a project file changes.

The contract:

- A build is a whole site in memory. Requests are answered from the latest finished
  build, swapped in by one assignment, never from one being built.
- Builds are numbered from 1; a change to any watched file (templates/, audiences/, and
  any message folder or audience file given by path) starts the next build. Every page
  carries its build's number and polls ``/__version``; when the number differs, the page
  reloads itself.
- A message that fails to render is a page that shows the error, with file and line; the
  server keeps running, and the next change rebuilds it.
- Only 127.0.0.1 is bound: the pages show customers' data.
- Nagle's algorithm is off and each answer is written in one piece: otherwise every
  keep-alive request stalls ~40 ms on delayed ACKs.
"""

from __future__ import annotations

import socket
import sys
import threading
import traceback
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import unquote, urlsplit

from pipeline.errors import InputError, PipelineError
from pipeline.project import AUDIENCES_DIR, resolve_audience, resolve_message, templates_root
from pipeline.review.html.pages import render_page
from pipeline.review.html.preview_site import build_preview_site
from pipeline.review.html.sitedir import Site
from pipeline.review.html.watch import Snapshot, snapshot

DEFAULT_PORT: Final = 8643  # next to the sandbox's 8642
VERSION_PATH: Final = "__version"

# A build number -> the whole site, with that number in every page.
Builder = Callable[[int], Site]


class PreviewServer:
    """Serves the site that ``build`` makes, and makes it again when a watched file changes.

    Use as a context manager (served from a background thread), or call ``start`` then
    ``serve_forever`` in the thread that should wait (the CLI's, so Ctrl-C stops it).
    """

    def __init__(
        self,
        build: Builder,
        watched: Sequence[Path],
        *,
        port: int = DEFAULT_PORT,
        interval: float = 0.2,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._build = build
        self._watched = tuple(watched)
        self._port = port
        self._interval = interval
        self._log = log or (lambda _line: None)
        # The build being served, as one value: its number and its pages always agree.
        self._current: tuple[int, Site] = (0, {})
        self._snapshot: Snapshot = {}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http: _HttpServer | None = None

    @property
    def url(self) -> str:
        """The site's address, e.g. ``http://127.0.0.1:8643/``."""
        assert self._http is not None, "start() first"
        return f"http://127.0.0.1:{self._http.server_port}/"

    @property
    def version(self) -> int:
        """The number of the build being served."""
        return self._current[0]

    def start(self) -> PreviewServer:
        """Build once, bind 127.0.0.1 and start watching.

        Raises:
            InputError: The port is taken, or the first build's input is wrong as a whole
                (e.g. no message at all).
        """
        self._snapshot = snapshot(self._watched)
        self._current = (1, self._build(1))
        try:
            self._http = _HttpServer(("127.0.0.1", self._port), self)
        except OSError as error:
            raise InputError(
                f"cannot listen on 127.0.0.1:{self._port}: {error.strerror or error}",
                fix="choose another --port, or --port 0 for any free one",
            ) from error
        self._spawn(self._watch, "pipeline-serve-watch")
        return self

    def serve_forever(self) -> None:
        """Answer requests in this thread until ``close`` (or Ctrl-C, which propagates)."""
        assert self._http is not None, "start() first"
        self._http.serve_forever(poll_interval=0.1)

    def close(self) -> None:
        """Stop answering and watching; idempotent."""
        self._stopping.set()
        if self._http is not None:
            if any(t.name == "pipeline-serve-http" for t in self._threads):
                self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> PreviewServer:
        self.start()
        self._spawn(self.serve_forever, "pipeline-serve-http")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def answer(self, path: str) -> tuple[HTTPStatus, str, bytes]:
        """The status, content type and body for a request path."""
        version, site = self._current  # one build, whatever happens meanwhile
        name = unquote(urlsplit(path).path).lstrip("/")
        if name == VERSION_PATH:
            return HTTPStatus.OK, "text/plain; charset=utf-8", str(version).encode()
        if name == "" or name.endswith("/"):
            name += "index.html"
        page = site.get(name)
        if page is not None:
            return HTTPStatus.OK, "text/html; charset=utf-8", page.encode()
        text = f"No page /{name} in build {version}: the message may have been renamed."
        missing = _notice("Not found", text, version, alert=False)
        return HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", missing.encode()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(self._interval):
            current = snapshot(self._watched)
            if current == self._snapshot:
                continue
            self._snapshot = current  # a change during the build shows in the next look
            version = self._current[0] + 1
            self._current = (version, self._rebuild(version))
            self._log(f"Rebuilt after a change (build {version})")

    def _rebuild(self, version: int) -> Site:
        try:
            return self._build(version)
        except PipelineError as error:
            return {"index.html": _notice("The previews do not build", str(error), version)}
        except Exception:  # a bug: keep serving, show it, and tell the terminal
            text = traceback.format_exc()
            print(text, file=sys.stderr, flush=True)
            return {"index.html": _notice("pipeline failed (a bug)", text, version)}


def _notice(heading: str, text: str, version: int, *, alert: bool = True) -> str:
    return render_page(
        "notice.html.j2", heading=heading, text=text, alert=alert, live_version=version
    )


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: PreviewServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host, which can be slow."""
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a page polls several times a second
    timeout = 60  # an idle connection's thread ends after this
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._reply(head_only=False)

    def do_HEAD(self) -> None:
        self._reply(head_only=True)

    def _reply(self, *, head_only: bool) -> None:
        status, kind, body = self.server.owner.answer(self.path)
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            f"Content-Type: {kind}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "\r\n"
        )
        self.wfile.write(head.encode("latin-1") + (b"" if head_only else body))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a page polls several times a second."""


def preview_server(
    messages: Sequence[str] = (),
    *,
    audience: str | None = None,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    users: Collection[str] = (),
    channels: Collection[str] = (),
    port: int = DEFAULT_PORT,
    log: Callable[[str], None] | None = None,
) -> PreviewServer:
    """``pipeline serve`` as a library call: a server of ``build_preview_site``'s site.

    Options are ``build_preview_site``'s; each build takes ``now`` afresh when it is None.
    Watched: ``templates/``, ``audiences/``, and the message folders and audience file
    given by path.

    Raises:
        InputError: A message or audience given that does not exist.
    """
    for ref in messages:
        resolve_message(root, ref)
    watched = [templates_root(root), root / AUDIENCES_DIR]
    watched += [Path(ref) for ref in messages if Path(ref).is_dir()]
    if audience is not None:
        watched.append(resolve_audience(root, audience))

    def build(version: int) -> Site:
        return build_preview_site(
            messages,
            audience=audience,
            root=root,
            variables=variables,
            now=now,
            users=users,
            channels=channels,
            keep_going=True,
            live_version=version,
        )

    return PreviewServer(build, watched, port=port, log=log)
