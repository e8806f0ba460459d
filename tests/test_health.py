"""The health check: against a real hub (the dev stack's local preview, e2e) and a hostile one.

The hostile hub is a scripted ``http.server`` on 127.0.0.1 that redirects elsewhere, answers
garbage and hangs: the token must never leave the hub's origin or reach the terminal, and every
bad reply must end the check with one line naming the step, within ``--timeout``.
"""

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import ROOT, committed_settings
from up2u_jupyter import health
from up2u_jupyter.cli import run
from up2u_jupyter.preview.plan import free_port
from up2u_jupyter.preview.processes import Preview

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
e2e = pytest.mark.e2e


@pytest.fixture(scope="module")
def hub():
    with Preview(committed_settings("dev"), "dev", port=free_port()) as preview:
        yield preview


def token_of(preview):
    return preview.plan.values["hub"]["services"]["health-check"]["apiToken"]


def call(url, token, *extra):
    out, err = io.StringIO(), io.StringIO()
    env = os.environ.copy()
    os.environ[health.TOKEN_ENV] = token
    try:
        code = run(["health", "--url", url, *extra], out, err)
    finally:
        os.environ.clear()
        os.environ.update(env)
    return code, out.getvalue(), err.getvalue()


@e2e
def test_a_healthy_hub_passes_every_step(hub):
    code, out, err = call(hub.url, token_of(hub), "--timeout", "60")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    steps = [line.split("  ")[0] for line in lines[1:-1]]
    assert steps == ["hub health endpoint", "hub API version", "start the server",
                     "wait until ready", "run a code cell", "stop the server"]  # fmt: skip
    assert all("  ok  " in line for line in lines[1:-1])
    assert "JupyterHub 5.5.0" in out and "print(6 * 7) -> 42" in out
    assert lines[-1].startswith("healthy: ")
    print(out)  # the step timings, for the record (pytest -s)


@e2e
def test_it_runs_again_after_a_pass(hub):
    # the user exists now and its server is stopped: a second run must pass too
    assert call(hub.url, token_of(hub), "--timeout", "60")[0] == 0


@e2e
def test_a_wrong_token_fails_at_the_first_authenticated_step(hub):
    code, out, err = call(hub.url, "not-the-token")
    assert code == 1
    assert err.startswith("error: health check failed at 'start the server': HTTP 403")
    assert "UP2U_HEALTH_TOKEN" in err and len(err.splitlines()) == 1
    assert "not-the-token" not in out + err


def test_an_unreachable_hub_fails_at_the_first_step():
    url = f"http://127.0.0.1:{free_port()}/"
    code, _, err = call(url, "x")
    assert code == 1
    assert err.startswith(
        f"error: health check failed at 'hub health endpoint': cannot reach {url.rstrip('/')}"
    )
    assert len(err.splitlines()) == 1


@pytest.mark.slow
@e2e
def test_a_server_that_never_starts_fails_within_the_timeout():
    # a server command that never listens (whatever arguments the spawner adds); the preview
    # sets Spawner.cmd after the stack's config, so this addresses the preview's own spawner
    never = {"extraConfig": {"zz-never": "c.PreviewSpawner.cmd = ['sh', '-c', 'sleep 600', 'x']"}}
    with Preview(committed_settings("dev", hub=never), "dev", port=free_port()) as preview:
        code, _, err = call(preview.url, token_of(preview), "--timeout", "5")
    assert code == 1
    assert (
        err
        == "error: health check failed at 'wait until ready': the server was not ready within 5 s\n"
    )


def test_missing_token_is_a_usage_error(monkeypatch):
    monkeypatch.delenv(health.TOKEN_ENV, raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run(["health", "--url", "http://127.0.0.1:1/"], out, err) == 2
    assert err.getvalue().startswith("error: set UP2U_HEALTH_TOKEN")


def test_url_forms_are_normalised():
    for url in (
        "https://hub.example.org",
        "https://hub.example.org/",
        "https://hub.example.org/hub/",
    ):
        assert health.HealthCheck(url, "t").base == "https://hub.example.org"


# --- a hostile hub -----------------------------------------------------------------------------

TOKEN = "0123456789abcdef0123456789abcdef"
USER_PATH = "/hub/api/users/health-check"
KERNELS = "/user/health-check/api/kernels"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

Reply = tuple[int, dict[str, str], bytes] | str | Any
"""(status, headers, body), or "hang" (no answer until the test ends), or "raw:..." bytes, or a
function of the request handler that answers itself."""


@dataclass
class FakeHub:
    """A scripted HTTP server on 127.0.0.1 that records every request it gets."""

    routes: dict[tuple[str, str], Reply] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                hub.requests.append((self.command, self.path, dict(self.headers)))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                reply = hub.routes.get((self.command, self.path), (404, {}, b"{}"))
                if reply == "hang":
                    hub.release.wait(60)
                    return
                if callable(reply):
                    reply(self, hub.release)
                    return
                if isinstance(reply, str):
                    self.wfile.write(reply.removeprefix("raw:").encode("latin-1"))
                    return
                status, headers, body = reply
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815 (http.server's names)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.server.serve_forever(poll_interval=0.05)  # quick shutdown at teardown

    def json(self, method: str, path: str, document: Any, status: int = 200) -> None:
        body = json.dumps(document).encode()
        self.routes[(method, path)] = (status, {"Content-Type": "application/json"}, body)

    def redirect(self, method: str, path: str, location: str, status: int = 302) -> None:
        self.routes[(method, path)] = (status, {"Location": location}, b"")

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub()
    yield hub
    hub.close()


@pytest.fixture
def elsewhere() -> Iterator[FakeHub]:
    """Another origin (127.0.0.1, another port): where a hostile hub sends the check."""
    other = FakeHub()
    yield other
    other.close()


def serves_until_the_kernel(hub: FakeHub, kernel: Any = "k1") -> None:
    """Answer like a hub whose user server is ready, up to the kernel's creation."""
    hub.routes[("GET", "/hub/health")] = (200, {}, b"")
    hub.json("GET", "/hub/api/", {"version": "5.5.0"})
    ready = {"name": "health-check", "servers": {"": {"ready": True, "url": "/user/h/"}}}
    hub.json("GET", USER_PATH, ready)
    hub.json("POST", f"{USER_PATH}/server", {}, status=201)
    hub.json("POST", KERNELS, {"id": kernel, "name": "python3"}, status=201)
    hub.routes[("DELETE", f"{KERNELS}/{kernel}")] = (204, {}, b"")


def check(monkeypatch, url: str, *extra: str, token: str = TOKEN) -> tuple[int, str, str]:
    monkeypatch.setenv(health.TOKEN_ENV, token)
    out, err = io.StringIO(), io.StringIO()
    code = run(["health", "--url", url, *extra], out, err)
    return code, out.getvalue(), err.getvalue()


def assert_failed_at(result: tuple[int, str, str], step: str, token: str = TOKEN) -> str:
    """Exit 1, one error line naming the step, the token nowhere, no raw control characters."""
    code, out, err = result
    assert code == 1, err
    assert err.startswith(f"error: health check failed at '{step}': "), err
    assert len(err.splitlines()) == 1, err
    assert token not in out + err
    assert not RAW_CONTROL.search(out + err.rstrip("\n")), out + err
    return err


def authorized(hub: FakeHub) -> list[str]:
    """The paths that received the token."""
    return [path for _, path, headers in hub.requests if "Authorization" in headers]


@pytest.mark.parametrize(
    "target",
    [
        "{elsewhere}/steal",
        "https://127.0.0.1:{port}/hub/api/users/health-check",  # same host and port, not https
        "http://user:pw@127.0.0.1:{port}/hub/api/users/health-check",
        "file:///etc/passwd",
        "ftp://127.0.0.1:{port}/",
        "http://[::1/x",
    ],
    ids=["other-port", "other-scheme", "user-info", "file", "ftp", "bad-ipv6"],
)
def test_the_token_never_follows_a_redirect_off_the_hub(monkeypatch, fake_hub, elsewhere, target):
    serves_until_the_kernel(fake_hub)
    port = fake_hub.server.server_address[1]
    location = target.format(elsewhere=elsewhere.url, port=port)
    fake_hub.redirect("GET", USER_PATH, location)
    err = assert_failed_at(check(monkeypatch, fake_hub.url), "start the server")
    assert "not following it with the token" in err
    assert elsewhere.requests == []
    assert authorized(fake_hub) == [USER_PATH]  # only the request the hub redirected


def test_a_redirect_within_the_hub_is_followed_with_the_token(monkeypatch, fake_hub):
    serves_until_the_kernel(fake_hub)
    fake_hub.redirect("GET", "/hub/health", "/hub/health/")
    fake_hub.routes[("GET", "/hub/health/")] = (200, {}, b"")
    fake_hub.redirect("GET", USER_PATH, f"{fake_hub.url}/hub/api/users/health-check/")
    fake_hub.json("GET", USER_PATH + "/", {"name": "health-check", "servers": {}})
    fake_hub.routes.pop(("POST", f"{USER_PATH}/server"))  # then fail: 404
    err = assert_failed_at(check(monkeypatch, fake_hub.url), "start the server")
    assert "HTTP 404 on POST /hub/api/users/health-check/server" in err
    assert USER_PATH + "/" in authorized(fake_hub)


def test_the_kernel_websocket_never_follows_a_redirect(monkeypatch, fake_hub, elsewhere):
    serves_until_the_kernel(fake_hub)
    fake_hub.redirect("GET", f"{KERNELS}/k1/channels", f"{elsewhere.url}/channels")
    err = assert_failed_at(check(monkeypatch, fake_hub.url), "run a code cell")
    assert "websocket" in err
    assert elsewhere.requests == []
    assert ("DELETE", f"{KERNELS}/k1") in [(m, p) for m, p, _ in fake_hub.requests]


@pytest.mark.parametrize(
    "kernel",
    ["../../../hub/api/users/alice", "k1?x=1", "k1/../../x", "", 42, None, ["k1"], "k" * 500],
    ids=["traversal", "query", "nested", "empty", "int", "null", "list", "long"],
)
def test_a_kernel_id_that_is_not_an_id_is_never_used(monkeypatch, fake_hub, kernel):
    serves_until_the_kernel(fake_hub, kernel="k1")
    fake_hub.json("POST", KERNELS, {"id": kernel}, status=201)
    err = assert_failed_at(check(monkeypatch, fake_hub.url), "run a code cell")
    assert "no valid kernel id" in err
    assert fake_hub.requests[-1][:2] == ("POST", KERNELS)  # nothing after it


NOT_A_HUB = [
    ("/hub/api/", (200, {}, b"<html>a login page</html>"), "hub API version", "not JSON"),
    ("/hub/api/", (200, {}, b"[1, 2]"), "hub API version", "JSON list, not an object"),
    ("/hub/api/", (200, {}, b"\xff\xfe\x00garbage"), "hub API version", "not JSON"),
    ("/hub/api/", (200, {}, b"[" * 100_000), "hub API version", "not JSON"),
    ("/hub/api/", (200, {}, b'{"version": {"a": 1}}'), "hub API version", "no version"),
    ("/hub/api/", (200, {}, b" " * (2 << 20)), "hub API version", "larger than 1 MB"),
    ("/hub/api/", "raw:NOT HTTP AT ALL\r\n\r\n", "hub API version", "cannot reach"),
    ("/hub/api/", "raw:HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{", "hub API version", ""),
    ("/hub/health", (302, {"Location": "http://[::1/x"}, b""), "hub health endpoint", ""),
    (USER_PATH, (200, {}, b'["servers"]'), "start the server", "JSON list"),
    (USER_PATH, (200, {}, b'{"servers": "x"}'), "wait until ready", "not a JSON object"),
    (USER_PATH, (200, {}, b'{"servers": {"": "ready"}}'), "wait until ready", "not a JSON object"),
    (f"{KERNELS}/k1/channels", (200, {}, b"<html>"), "run a code cell", "websocket"),
]


@pytest.mark.parametrize(
    ("path", "reply", "step", "says"),
    NOT_A_HUB,
    ids=[f"{p}-{n}" for n, (p, *_) in enumerate(NOT_A_HUB)],
)
def test_a_reply_that_is_not_a_hubs_fails_the_step_in_one_line(
    monkeypatch, fake_hub, path, reply, step, says
):
    serves_until_the_kernel(fake_hub)
    fake_hub.routes[("GET", path)] = reply
    err = assert_failed_at(check(monkeypatch, fake_hub.url, "--timeout", "5"), step)
    assert says in err


def test_reply_text_reaches_the_terminal_escaped_and_without_the_token(monkeypatch, fake_hub):
    serves_until_the_kernel(fake_hub)
    fake_hub.json("GET", "/hub/api/", {"version": f"5.5\x1b]0;pwned\x07 {TOKEN}"})
    fake_hub.json("POST", KERNELS, {"id": f"\x1b[2J{TOKEN}"}, status=201)
    code, out, err = check(monkeypatch, fake_hub.url)
    assert code == 1
    assert TOKEN not in out + err and "<token>" in out
    assert not RAW_CONTROL.search(out + err.rstrip("\n")), out + err


@pytest.mark.parametrize(
    ("method", "path", "step"),
    [
        ("GET", "/hub/health", "hub health endpoint"),
        ("GET", USER_PATH, "start the server"),
        ("POST", f"{USER_PATH}/server", "start the server"),  # held up to SPAWN_REPLY_SECONDS
        ("GET", f"{KERNELS}/k1/channels", "run a code cell"),
    ],
)
def test_a_hub_that_hangs_is_given_up_on_within_the_timeout(
    monkeypatch, fake_hub, method, path, step
):
    monkeypatch.setattr(health, "SPAWN_REPLY_SECONDS", 2.0)
    serves_until_the_kernel(fake_hub)
    fake_hub.routes[(method, path)] = "hang"
    started = time.monotonic()
    err = assert_failed_at(check(monkeypatch, fake_hub.url, "--timeout", "1"), step)
    assert time.monotonic() - started < 8
    assert "timed out" in err


def test_a_server_that_stays_pending_is_given_up_on_within_the_timeout(monkeypatch, fake_hub):
    serves_until_the_kernel(fake_hub)
    pending = {"servers": {"": {"ready": False}}, "pending": "spawn"}
    fake_hub.json("GET", USER_PATH, pending)
    started = time.monotonic()
    err = assert_failed_at(check(monkeypatch, fake_hub.url, "--timeout", "1"), "wait until ready")
    assert time.monotonic() - started < 8
    assert "not ready within 1 s" in err


def assert_refused_before_any_request(result: tuple[int, str, str], hub: FakeHub, *hidden: str):
    code, out, err = result
    assert code == 2, err
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert not RAW_CONTROL.search(out + err.rstrip("\n")), err
    for text in hidden:
        assert text not in out + err
    assert hub.requests == []


@pytest.mark.parametrize(
    "token",
    [
        f"{TOKEN}\r\nX-Injected: 1",
        f"{TOKEN} x",
        f" {TOKEN}",
        f"{TOKEN}\n",
        f"{TOKEN}\tx",
        f"{TOKEN}\x1b[2J",
        f"{TOKEN}\x7f",
        f"{TOKEN}ø",
        TOKEN * 200,
    ],
    ids=["crlf", "space", "leading-space", "newline", "tab", "escape", "del", "non-ascii", "huge"],
)
def test_a_token_that_is_not_plain_is_refused_before_any_request(monkeypatch, fake_hub, token):
    result = check(monkeypatch, fake_hub.url, token=token)
    assert_refused_before_any_request(result, fake_hub, TOKEN)
    assert health.TOKEN_ENV in result[2]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1:{port}/",
        "http://health:CANARY-7a-7f3a@127.0.0.1:{port}/",
        "http://CANARY-7b-7f3a@127.0.0.1:{port}/",
        "https://[::1",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:{port}/\r\nX-Injected: 1",
        "http://127.0.0.1:{port}/ hub",
        "javascript:alert(1)",
        "http:///hub",
        "http://127.0.0.1:{port}/?next=/x",
        "127.0.0.1:{port}",
    ],
)
def test_only_a_plain_http_url_is_accepted(monkeypatch, fake_hub, url):
    url = url.format(port=fake_hub.server.server_address[1])
    result = check(monkeypatch, url)
    assert_refused_before_any_request(result, fake_hub, "CANARY", TOKEN)
    assert "--url" in result[2]


@pytest.mark.parametrize("timeout", ["inf", "-inf", "nan", "-1", "0", "1e999", "abc", "1e6"])
def test_the_timeout_must_be_finite_and_positive(monkeypatch, fake_hub, timeout):
    result = check(monkeypatch, fake_hub.url, "--timeout", timeout)
    assert_refused_before_any_request(result, fake_hub, TOKEN)
    assert "--timeout" in result[2]


@pytest.mark.parametrize("user", ["../admin", "alice/../bob", "a?b", "Alice", "", "x" * 100])
def test_the_user_must_be_a_user_name(monkeypatch, fake_hub, user):
    result = check(monkeypatch, fake_hub.url, "--user", user)
    assert_refused_before_any_request(result, fake_hub, TOKEN)


def test_a_token_with_a_line_break_gives_one_line_and_no_traceback(fake_hub):
    """As a user runs it (issue 10 saw this one print the token in a traceback)."""
    token = f"{TOKEN}\r\n"
    env = {**os.environ, health.TOKEN_ENV: token, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "up2u_jupyter", "health", "--url", fake_hub.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert fake_hub.requests == []
