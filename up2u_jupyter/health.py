"""Post-deploy health check: can a user actually work? Each step timed, the first failure named.

Uses the ``health-check`` hub service's token (least privilege: one dedicated user, see
``values.health_check_scopes``) to start that user's server, run one code cell through the
server's kernel API, and stop it again.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .args import positive_seconds
from .errors import EXIT_CONFIG, EXIT_OK, UsageError, excerpt, printable

TOKEN_ENV = "UP2U_HEALTH_TOKEN"
CODE, EXPECTED = "print(6 * 7)", "42"

REQUEST_SECONDS = 30.0
"""The longest one HTTP request may take (and never longer than ``--timeout``, but see below)."""
SPAWN_REPLY_SECONDS = 15.0
"""How long the start request may take whatever ``--timeout`` says: JupyterHub holds it until
the spawn has begun, up to its ``slow_spawn_timeout`` (10 s), before answering 202."""
REPLY_BYTES = 1 << 20
"""The largest reply read: the hub's API answers in a few KB."""
OUTPUT_CHARS = 10_000
"""The most kernel output kept: the cell prints two characters."""

_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")
_USER = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_KERNEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,127}")
_PLAIN = re.compile(r"[\w.+/~%:@-]{1,200}")

Origin = tuple[str, str, int]


class StepError(Exception):
    """A step did not pass; the message is the reason, in one line."""


def check_url(url: str) -> Origin:
    """The origin of a hub URL fit to send a token to; ValueError saying why it is not.

    Only http and https, a host, no user info (the token is the one credential; a password in
    the URL would end up in logs), no whitespace or control characters, no query. The message
    never repeats the URL: it may hold a password.
    """
    if not url.isprintable() or any(c.isspace() for c in url):
        raise ValueError("the URL has whitespace or control characters; pass the hub's URL alone")
    origin = _origin(url)
    if urlsplit(url).query or urlsplit(url).fragment:
        raise ValueError("the URL has a query or fragment; pass the hub's base URL")
    return origin


def _origin(url: str) -> Origin:
    """(scheme, host, port) of an http(s) URL without user info; ValueError otherwise."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(
            "not a valid URL (bad IPv6 address or port); pass e.g. https://jupyter.example.org/"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("only http:// and https:// URLs are checked; pass the hub's public URL")
    if "@" in parts.netloc:
        raise ValueError(
            "the URL has user info (user:password@); remove it: the token is the only credential"
        )
    if not host:
        raise ValueError("the URL has no host; pass e.g. https://jupyter.example.org/")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def check_token(token: str) -> None:
    """ValueError unless the token is plain: visible ASCII, no whitespace (never shown)."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(
            f"{TOKEN_ENV} is not a plain token (it is empty, too long, or has whitespace, "
            "control or non-ASCII characters, e.g. a trailing newline); set it to the token alone"
        )


def hub_url(text: str) -> str:
    """``--url``: a URL ``check_url`` accepts."""
    try:
        check_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def user_name(text: str) -> str:
    """``--user``: a user name as ``healthCheck.user`` allows (a DNS label), safe in a URL path."""
    if not _USER.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{excerpt(text)} is not the health-check user; use the stack's healthCheck.user "
            "(lowercase letters, digits and '-')"
        )
    return text


def _shown(value: Any) -> str:
    """A value from the hub's reply as a report may show it: plain text as is, else excerpted."""
    return value if isinstance(value, str) and _PLAIN.fullmatch(value) else excerpt(value)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the hub's origin: the token never goes anywhere else."""

    def __init__(self, origin: Origin):
        self.origin = origin

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        # checked before urllib's own handling, which sends the request's headers (the token
        # among them) to any http(s) location and raises on some malformed ones
        location = headers.get("location") or headers.get("uri") or ""
        try:
            target: Origin | None = _origin(urljoin(req.full_url, location))
        except ValueError:
            target = None
        if target != self.origin:
            fp.close()
            where = f" ({excerpt(f'{target[0]}://{target[1]}:{target[2]}')})" if target else ""
            raise StepError(
                f"HTTP {code} on {req.get_method()} {urlsplit(req.full_url).path}: the hub "
                f"redirected to another origin{where}; not following it with the token"
            )
        return super().http_error_302(req, fp, code, msg, headers)

    def redirect_request(self, req: Any, *args: Any) -> Any:
        new = super().redirect_request(req, *args)
        if new is not None:  # the same deadline follows the redirect
            new.watchdog = getattr(req, "watchdog", None)  # type: ignore[attr-defined]
        return new

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _Watchdog:
    """Shuts the sockets of one request (or step) down when its deadline passes.

    A socket timeout bounds each read, not a reply: a hub that sends one byte of its headers,
    or of a websocket frame, every few seconds keeps every read short and the check running
    forever. At the deadline the watchdog shuts the socket down, so the read in progress ends
    at once (the caller then reports the time-out).
    """

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False
        self._sockets: list[Callable[[], Any]] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, get_socket: Callable[[], Any]) -> None:
        """Shut down, at the deadline, the socket ``get_socket`` then returns."""
        with self._lock:
            self._sockets.append(get_socket)
            fired = self.fired
        if fired:
            self._shut(get_socket)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for get_socket in sockets:
            self._shut(get_socket)

    @staticmethod
    def _shut(get_socket: Callable[[], Any]) -> None:
        sock = get_socket()
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _guarded(base: type, request: Any) -> Any:
    """An HTTP(S) connection class whose socket the request's watchdog watches."""

    class Guarded(base):  # type: ignore[misc]
        def connect(self) -> None:
            super().connect()
            watchdog = getattr(request, "watchdog", None)
            if watchdog is not None:
                watchdog.watch(lambda: self.sock)

    return Guarded


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_guarded(http.client.HTTPConnection, req), req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        options: dict[str, Any] = {"context": getattr(self, "_context", None)}
        if hasattr(self, "_check_hostname"):  # Python < 3.12
            options["check_hostname"] = self._check_hostname
        return self.do_open(_guarded(http.client.HTTPSConnection, req), req, **options)


@dataclass
class Step:
    """One line of the report."""

    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class HealthCheck:
    """The check against one hub, as one dedicated user.

    Raises ValueError for a URL or token that ``check_url``/``check_token`` refuse, so that no
    request is ever made with them.
    """

    url: str
    token: str
    user: str = "health-check"
    timeout: float = 300.0
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.origin = check_url(self.url)
        check_token(self.token)
        if not _USER.fullmatch(self.user):
            raise ValueError(f"{excerpt(self.user)} is not a user name this check may use")
        parts = urlsplit(self.url.rstrip("/"))
        path = parts.path.removesuffix("/hub")
        self.base = urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")
        self._opener = urllib.request.build_opener(
            _SameOriginRedirects(self.origin), _GuardedHTTPHandler, _GuardedHTTPSHandler
        )

    def run(self) -> bool:
        """Run every step until one fails; return whether all passed."""
        plan: list[tuple[str, Callable[[], str]]] = [
            ("hub health endpoint", self._health),
            ("hub API version", self._version),
            ("start the server", self._start),
            ("wait until ready", self._wait_ready),
            ("run a code cell", self._run_cell),
            ("stop the server", self._stop),
        ]
        for name, action in plan:
            started = time.perf_counter()
            try:
                detail = action()
            except StepError as failure:
                seconds = time.perf_counter() - started
                self.steps.append(Step(name, seconds, False, self._scrub(str(failure))))
                return False
            self.steps.append(Step(name, time.perf_counter() - started, True, self._scrub(detail)))
        return True

    def _scrub(self, text: str) -> str:
        # A hostile hub knows the token and may echo it in any field a detail quotes. (A token
        # under 8 characters is a test's; replacing it would garble every detail.)
        if len(self.token) >= 8:
            text = text.replace(self.token, "<token>")
        return _oneline(text, 500)

    # --- steps -------------------------------------------------------------------------------

    def _health(self) -> str:
        self._request("GET", "/hub/health", auth=False, want_json=False)
        return "200"

    def _version(self) -> str:
        version = self._request("GET", "/hub/api/", auth=False).get("version")
        if not isinstance(version, str):
            raise StepError(
                f"GET /hub/api/: the reply has no version; is {self.base} a JupyterHub?"
            )
        return f"JupyterHub {_shown(version)}"

    def _start(self) -> str:
        user = f"/hub/api/users/{self.user}"
        try:
            self._request("GET", user)
        except StepError as error:
            if "HTTP 404" not in str(error):
                raise
            self._request("POST", user)  # first run: the service may create its one user
        try:
            self._request("POST", f"{user}/server", seconds=max(self.timeout, SPAWN_REPLY_SECONDS))
        except StepError as error:
            if "HTTP 400" not in str(error):  # 400: already running, e.g. after a failed run
                raise
            return "already running"
        return "requested"

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            model = self._request("GET", f"/hub/api/users/{self.user}", deadline=deadline)
            server = self._default_server(model)
            if server and server.get("ready") is True:
                return f"at {_shown(server.get('url'))}"
            if not server and not model.get("pending"):
                raise StepError("the server stopped while starting; see the hub's log")
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        raise StepError(f"the server was not ready within {self.timeout:g} s")

    def _run_cell(self) -> str:
        import websocket  # websocket-client

        prefix = f"/user/{self.user}/api/kernels"
        deadline = time.monotonic() + self.timeout  # the kernel, its websocket and every frame
        kernel = self._request("POST", prefix, body={"name": "python3"}, deadline=deadline).get(
            "id"
        )
        if not isinstance(kernel, str) or not _KERNEL_ID.fullmatch(kernel):
            # the id goes into the next URLs, with the token: never a path of the hub's choosing
            raise StepError(f"POST {prefix}: the reply has no valid kernel id ({excerpt(kernel)})")
        watchdog = _Watchdog(deadline)
        try:
            ws_base = self.base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
            connection = websocket.WebSocket()
            connection.settimeout(max(0.1, min(60.0, deadline - time.monotonic())))
            watchdog.watch(lambda: connection.sock)  # the handshake and every frame
            try:
                connection.connect(  # type: ignore[no-untyped-call]
                    f"{ws_base}{prefix}/{kernel}/channels",
                    header=[f"Authorization: token {self.token}"],
                    redirect_limit=0,  # it would follow a redirect anywhere, with the header
                )
            except (websocket.WebSocketException, OSError, ValueError) as error:
                if watchdog.fired:
                    raise StepError(self._late("the kernel's websocket did not open")) from None
                reason = _oneline(str(error) or type(error).__name__)
                raise StepError(f"cannot open the kernel's websocket: {reason}") from None
            try:
                output = _execute(connection, CODE, deadline)
            except (websocket.WebSocketException, OSError) as error:
                if watchdog.fired:
                    raise StepError(self._late("the kernel did not finish the cell")) from None
                reason = _oneline(str(error) or type(error).__name__)
                raise StepError(f"the kernel's websocket failed: {reason}") from None
            finally:
                connection.close()
        finally:
            watchdog.cancel()
            self._request("DELETE", f"{prefix}/{kernel}")
        if output.strip() != EXPECTED:
            raise StepError(f"{CODE} printed {excerpt(output.strip())}, not {EXPECTED}")
        return f"{CODE} -> {EXPECTED}"

    def _late(self, what: str) -> str:
        return f"{what} within --timeout {self.timeout:g} s (timed out)"

    def _stop(self) -> str:
        self._request("DELETE", f"/hub/api/users/{self.user}/server")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            model = self._request("GET", f"/hub/api/users/{self.user}", deadline=deadline)
            self._default_server(model)  # validates the reply's shape
            if not model.get("servers"):
                return "stopped"
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        raise StepError(f"the server did not stop within {self.timeout:g} s")

    def _default_server(self, model: dict[str, Any]) -> dict[str, Any] | None:
        servers = model.get("servers") or {}
        if not isinstance(servers, dict):
            raise StepError(
                f"GET /hub/api/users/{self.user}: 'servers' in the reply is not a JSON object; "
                f"is {self.base} a JupyterHub?"
            )
        server = servers.get("")
        if server is not None and not isinstance(server, dict):
            raise StepError(
                f"GET /hub/api/users/{self.user}: the default server in the reply is not a JSON "
                f"object; is {self.base} a JupyterHub?"
            )
        return server or None

    # --- HTTP --------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        auth: bool = True,
        want_json: bool = True,
        deadline: float | None = None,
        seconds: float | None = None,
    ) -> dict[str, Any]:
        """One request to the hub; its reply, which must be a JSON object (or empty)."""
        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base + quote(path), data=data, method=method, headers=headers
        )
        seconds = min(REQUEST_SECONDS, self.timeout if seconds is None else seconds)
        if deadline is not None:
            seconds = max(0.1, min(seconds, deadline - time.monotonic()))
        # every read of the reply (status line, headers, body) ends by this request's deadline
        watchdog = _Watchdog(time.monotonic() + seconds)
        request.watchdog = watchdog  # type: ignore[attr-defined]
        try:
            with self._opener.open(request, timeout=seconds) as response:
                text = _read(response, watchdog.deadline)
            if watchdog.fired:  # a body cut short at the deadline is no reply
                raise OSError("timed out")
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 403 and auth:
                raise StepError(
                    f"HTTP 403 on {method} {path}: the hub refused the token; check {TOKEN_ENV} "
                    "(pulumi stack output healthCheckToken --show-secrets)"
                ) from None
            raise StepError(f"HTTP {error.code} on {method} {path}") from None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
            if watchdog.fired:
                raise StepError(
                    f"cannot reach {self.base}: {method} {path} got no complete reply within "
                    f"{seconds:g} s (timed out)"
                ) from None
            reason = getattr(error, "reason", None) or error
            shown = _oneline(str(reason) or type(reason).__name__)
            raise StepError(f"cannot reach {self.base}: {shown}") from None
        finally:
            watchdog.cancel()
        if not want_json or not text.strip():
            return {}
        try:
            reply = json.loads(text)
        except (ValueError, RecursionError):
            raise StepError(
                f"{method} {path}: the reply is not JSON; is {self.base} a JupyterHub?"
            ) from None
        if not isinstance(reply, dict):
            raise StepError(
                f"{method} {path}: the reply is a JSON {type(reply).__name__}, not an object; "
                f"is {self.base} a JupyterHub?"
            )
        return reply


def _read(response: Any, deadline: float) -> bytes:
    """The reply's body: at most REPLY_BYTES, read by deadline (a trickle cannot stall it)."""
    chunks, size = [], 0
    while chunk := response.read1(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > REPLY_BYTES:
            raise StepError(f"the reply is larger than {REPLY_BYTES >> 20} MB; is it a JupyterHub?")
        if time.monotonic() > deadline:
            raise StepError("the reply did not arrive in time")
    return b"".join(chunks)


def _execute(connection: Any, code: str, deadline: float) -> str:
    """Run code on a kernel over the Jupyter websocket protocol; return its stdout."""
    msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
    connection.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "session": session,
                    "username": "health-check",
                    "msg_type": "execute_request",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    output, replied, idle = "", False, False
    while not (replied and idle):
        if time.monotonic() > deadline:  # a server that chatters about other things
            raise StepError("the kernel did not finish the cell in time")
        message = _kernel_message(connection.recv())
        parent, header, content = (message.get(k) for k in ("parent_header", "header", "content"))
        if not isinstance(parent, dict) or parent.get("msg_id") != msg_id:
            continue
        if not isinstance(header, dict) or not isinstance(content, dict):
            raise StepError("a kernel message has no header or content; is it a Jupyter server?")
        kind = header.get("msg_type")
        if kind == "stream" and isinstance(content.get("text"), str):
            output = (output + content["text"])[:OUTPUT_CHARS]
        elif kind == "error":
            raise StepError(f"the cell raised {_shown(content.get('ename'))}")
        elif kind == "execute_reply":
            replied = True
            if content.get("status") != "ok":
                raise StepError(f"execute_reply status {_shown(content.get('status'))}")
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True
    return output


def _kernel_message(frame: Any) -> dict[str, Any]:
    try:
        message = json.loads(frame)
    except (ValueError, TypeError, RecursionError):
        raise StepError("a kernel message is not JSON; is it a Jupyter server?") from None
    if not isinstance(message, dict):
        raise StepError("a kernel message is not a JSON object; is it a Jupyter server?")
    return message


def _oneline(text: str, limit: int = 200) -> str:
    """Text from elsewhere (an OS error, a reply) as one bounded line with escapes."""
    return printable(text)[:limit]


def report(check: HealthCheck, passed: bool, out: TextIO) -> None:
    """The table of steps, then one verdict line."""
    width = max(len(step.name) for step in check.steps)
    print(f"{'step':<{width}}  result  seconds  detail", file=out)
    for step in check.steps:
        result = "ok" if step.ok else "FAILED"
        print(f"{step.name:<{width}}  {result:<6}  {step.seconds:7.2f}  {step.detail}", file=out)
    total = sum(step.seconds for step in check.steps)
    if passed:
        print(f"healthy: {check.base}/hub/ ({total:.1f} s)", file=out)
    else:
        failed = check.steps[-1]
        print(f"unhealthy: step '{failed.name}' failed: {failed.detail}", file=out)


def register(commands: Any) -> None:
    """Add ``health``."""
    help_text = "post-deploy check: start the health-check user's server, run code, stop it"
    command = commands.add_parser("health", help=help_text, description=help_text)
    command.add_argument(
        "--url", required=True, type=hub_url, help="the hub's public URL (publicUrl), http(s)"
    )
    command.add_argument(
        "--user", default="health-check", type=user_name, help="the dedicated user"
    )
    command.add_argument(
        "--timeout",
        type=positive_seconds,
        default=300.0,
        help="seconds to wait for start and stop, and at most for any one request (300)",
    )
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``health``: the post-deploy check, token from the environment (checked before use)."""
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise UsageError(
            f"set {TOKEN_ENV} to the health-check service's token "
            "(pulumi stack output healthCheckToken --show-secrets)"
        )
    try:
        check = HealthCheck(args.url, token, user=args.user, timeout=args.timeout)
    except ValueError as error:  # the token (the URL and user were checked by the parser)
        raise UsageError(str(error)) from None
    passed = check.run()
    report(check, passed, out)
    if not passed:
        failed = check.steps[-1]
        print(f"error: health check failed at '{failed.name}': {failed.detail}", file=err)
        return EXIT_CONFIG
    return EXIT_OK
