"""health's --timeout bounds every read: a hub that trickles its reply cannot outlast it.

A socket timeout bounds one read, not a reply: a hub that sends one byte of its headers, or of
a websocket frame, every 0.2 s keeps every read short. These scripted hostile hubs (the
``FakeHub`` of tests/test_health.py) trickle forever; the check must fail at the right step,
in one line, within a few seconds of ``--timeout 1`` (five trickled bytes per timeout).
"""

import base64
import hashlib
import json
import threading
import time
from typing import Any

import pytest

from tests import test_health
from tests.test_health import KERNELS, USER_PATH, assert_failed_at, check, serves_until_the_kernel

fake_hub = test_health.fake_hub  # the scripted hostile hub, a fixture of tests/test_health.py

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TIMEOUT = 1.0
BOUND = 4.0
"""Seconds the check may take in all at ``--timeout 1`` (the step's reads, then one DELETE,
and a loaded machine's slack)."""


def trickle(data: bytes, release: threading.Event, pace: float = 0.2) -> Any:
    """An answer that writes ``data`` one byte at a time, ``pace`` seconds apart, forever."""

    def answer(handler: Any, stop: threading.Event) -> None:
        for _ in range(10_000):
            for byte in data:
                if stop.wait(pace) or release.is_set():
                    return
                try:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                except OSError:
                    return

    return answer


def endless_headers(handler: Any, stop: threading.Event) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    trickle(b"X-Slow: " + b"a" * 60 + b"\r\n", stop)(handler, stop)


WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
"""RFC 6455, section 1.3: appended to the client's key to prove the server read it."""


def accept_websocket(handler: Any) -> None:
    """Answer a websocket handshake (RFC 6455, section 4.2.2)."""
    key = handler.headers.get("Sec-WebSocket-Key", "")
    accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
    handler.wfile.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    handler.wfile.flush()


def websocket_trickling_a_frame(handler: Any, stop: threading.Event) -> None:
    """Accept the kernel's websocket (RFC 6455), then send one frame a byte at a time."""
    accept_websocket(handler)
    handler.wfile.flush()
    message = json.dumps(
        {"parent_header": {"msg_id": "someone-else"}, "header": {}, "content": {}}
    ).encode()
    frame = bytes([0x81, 126]) + len(message).to_bytes(2, "big") + message
    trickle(frame, stop)(handler, stop)


def websocket_chattering(handler: Any, stop: threading.Event) -> None:
    """Accept the websocket, then send other sessions' messages, whole, ten a second."""
    accept_websocket(handler)
    message = json.dumps({"parent_header": {"msg_id": "someone-else"}}).encode()
    frame = bytes([0x81, len(message)]) + message
    while not stop.wait(0.1):
        try:
            handler.wfile.write(frame)
            handler.wfile.flush()
        except OSError:
            return


def timed(monkeypatch: Any, url: str) -> tuple[tuple[int, str, str], float]:
    started = time.monotonic()
    result = check(monkeypatch, url, "--timeout", f"{TIMEOUT:g}")
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("method", "path", "step"),
    [
        ("GET", "/hub/health", "hub health endpoint"),
        ("GET", "/hub/api/", "hub API version"),
        ("GET", USER_PATH, "start the server"),
    ],
)
def test_headers_trickled_forever_end_the_step_within_the_timeout(
    monkeypatch, fake_hub, method, path, step
):
    serves_until_the_kernel(fake_hub)
    fake_hub.routes[(method, path)] = endless_headers
    result, seconds = timed(monkeypatch, fake_hub.url)
    err = assert_failed_at(result, step)
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert "timed out" in err


def test_a_body_trickled_forever_ends_within_the_timeout(monkeypatch, fake_hub):
    serves_until_the_kernel(fake_hub)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"

    def body(handler: Any, stop: threading.Event) -> None:
        handler.wfile.write(head)
        trickle(b'{"version": "5.5.0"' + b" " * 1000, stop)(handler, stop)

    fake_hub.routes[("GET", "/hub/api/")] = body
    result, seconds = timed(monkeypatch, fake_hub.url)
    assert_failed_at(result, "hub API version")
    assert seconds < BOUND, f"{seconds:.1f} s"


@pytest.mark.parametrize(
    "answer",
    [websocket_trickling_a_frame, websocket_chattering],
    ids=["one-frame-trickled", "other-sessions-chatter"],
)
def test_a_busy_kernel_websocket_ends_the_cell_within_the_timeout(monkeypatch, fake_hub, answer):
    serves_until_the_kernel(fake_hub)
    fake_hub.routes[("GET", f"{KERNELS}/k1/channels")] = answer
    result, seconds = timed(monkeypatch, fake_hub.url)
    err = assert_failed_at(result, "run a code cell")
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert "in time" in err or "timed out" in err
    assert ("DELETE", f"{KERNELS}/k1") in [(m, p) for m, p, _ in fake_hub.requests]


def test_a_websocket_handshake_trickled_forever_ends_within_the_timeout(monkeypatch, fake_hub):
    serves_until_the_kernel(fake_hub)
    fake_hub.routes[("GET", f"{KERNELS}/k1/channels")] = endless_headers
    result, seconds = timed(monkeypatch, fake_hub.url)
    err = assert_failed_at(result, "run a code cell")
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert "timed out" in err
