"""Post-deploy health check: can a user actually work? Each step timed, the first failure named.

Uses the ``health-check`` hub service's token (least privilege: one dedicated user, see
``values.health_check_scopes``) to start that user's server, run one code cell through the
server's kernel API, and stop it again.
"""

import argparse
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from .args import positive_seconds
from .errors import EXIT_CONFIG, EXIT_OK, UsageError

TOKEN_ENV = "UP2U_HEALTH_TOKEN"
CODE, EXPECTED = "print(6 * 7)", "42"


class StepError(Exception):
    """A step did not pass; the message is the reason, in one line."""


@dataclass
class Step:
    """One line of the report."""

    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class HealthCheck:
    """The check against one hub, as one dedicated user."""

    url: str
    token: str
    user: str = "health-check"
    timeout: float = 300.0
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url.rstrip("/"))
        path = parts.path.removesuffix("/hub")
        self.base = urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")

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
                self.steps.append(Step(name, time.perf_counter() - started, False, str(failure)))
                return False
            self.steps.append(Step(name, time.perf_counter() - started, True, detail))
        return True

    # --- steps -------------------------------------------------------------------------------

    def _health(self) -> str:
        self._request("GET", "/hub/health", auth=False)
        return "200"

    def _version(self) -> str:
        return f"JupyterHub {self._request('GET', '/hub/api/', auth=False).get('version')}"

    def _start(self) -> str:
        user = f"/hub/api/users/{self.user}"
        try:
            self._request("GET", user)
        except StepError as error:
            if "HTTP 404" not in str(error):
                raise
            self._request("POST", user)  # first run: the service may create its one user
        try:
            self._request("POST", f"{user}/server")
        except StepError as error:
            if "HTTP 400" not in str(error):  # 400: already running, e.g. after a failed run
                raise
            return "already running"
        return "requested"

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            model = self._request("GET", f"/hub/api/users/{self.user}")
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return f"at {server.get('url')}"
            if not server and not model.get("pending"):
                raise StepError("the server stopped while starting; see the hub's log")
            time.sleep(1)
        raise StepError(f"the server was not ready within {self.timeout:g} s")

    def _run_cell(self) -> str:
        import websocket  # websocket-client

        prefix = f"/user/{self.user}/api/kernels"
        kernel = self._request("POST", prefix, body={"name": "python3"})["id"]
        try:
            ws_base = self.base.replace("https://", "wss://").replace("http://", "ws://")
            connection = websocket.create_connection(
                f"{ws_base}{prefix}/{kernel}/channels",
                header=[f"Authorization: token {self.token}"],
                timeout=60,
            )
            try:
                output = _execute(connection, CODE)
            finally:
                connection.close()
        finally:
            self._request("DELETE", f"{prefix}/{kernel}")
        if output.strip() != EXPECTED:
            raise StepError(f"{CODE} printed {output.strip()!r}, not {EXPECTED}")
        return f"{CODE} -> {EXPECTED}"

    def _stop(self) -> str:
        self._request("DELETE", f"/hub/api/users/{self.user}/server")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            model = self._request("GET", f"/hub/api/users/{self.user}")
            if not model.get("servers"):
                return "stopped"
            time.sleep(0.5)
        raise StepError(f"the server did not stop within {self.timeout:g} s")

    # --- HTTP --------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, body: Any = None, auth: bool = True
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            if error.code == 403 and auth:
                raise StepError(
                    f"HTTP 403 on {method} {path}: the hub refused the token; check {TOKEN_ENV} "
                    "(pulumi stack output healthCheckToken --show-secrets)"
                ) from None
            raise StepError(f"HTTP {error.code} on {method} {path}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise StepError(f"cannot reach {self.base}: {reason}") from None
        return json.loads(text) if text.strip() else {}


def _execute(connection: Any, code: str) -> str:
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
    output, replied, idle = [], False, False
    while not (replied and idle):
        message = json.loads(connection.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["header"]["msg_type"]
        if kind == "stream":
            output.append(message["content"]["text"])
        elif kind == "error":
            raise StepError(f"the cell raised {message['content'].get('ename')}")
        elif kind == "execute_reply":
            replied = True
            if message["content"].get("status") != "ok":
                raise StepError(f"execute_reply status {message['content'].get('status')}")
        elif kind == "status" and message["content"].get("execution_state") == "idle":
            idle = True
    return "".join(output)


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
    command.add_argument("--url", required=True, help="the hub's public URL (publicUrl)")
    command.add_argument("--user", default="health-check", help="the dedicated user")
    command.add_argument(
        "--timeout",
        type=positive_seconds,
        default=300.0,
        help="seconds to wait for start and stop (300)",
    )
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``health``: the post-deploy check, token from the environment."""
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise UsageError(
            f"set {TOKEN_ENV} to the health-check service's token "
            "(pulumi stack output healthCheckToken --show-secrets)"
        )
    check = HealthCheck(args.url, token, user=args.user, timeout=args.timeout)
    passed = check.run()
    report(check, passed, out)
    if not passed:
        failed = check.steps[-1]
        print(f"error: health check failed at '{failed.name}': {failed.detail}", file=err)
        return EXIT_CONFIG
    return EXIT_OK
