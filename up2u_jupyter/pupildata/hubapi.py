"""The few JupyterHub REST API calls erasure makes, with a service token.

Standard library only (urllib, run in a thread), so that the hub image's retention service and
the operator's ``forget-user`` use the same client.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

STOP_WAIT_SECONDS = 300
"""How long a server may take to stop (KubeSpawner waits for the pod to go)."""


class HubError(Exception):
    """The hub refused or failed a call; the message says which and why (never the token)."""


class HubAPI:
    """``/hub/api`` of one hub, as one service."""

    def __init__(self, url: str, token: str, timeout: float = 60) -> None:
        self.url = url.rstrip("/") + "/"
        self._token = token
        self.timeout = timeout

    def _request(self, method: str, path: str) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            headers={
                "Authorization": f"token {self._token}",
                "Accept": "application/jupyterhub-pagination+json, application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                body = reply.read()
                return reply.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return 404, None
            detail = _message(error)
            raise HubError(f"{method} {path}: {error.code} {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise HubError(f"{method} {self.url}{path}: {reason}") from None

    async def call(self, method: str, path: str) -> tuple[int, Any]:
        """One request; (status, parsed body). 404 is an answer, other errors raise HubError."""
        return await asyncio.to_thread(self._request, method, path)

    async def user(self, name: str) -> dict[str, Any] | None:
        """The user's model with every server, stopped ones included; None if unknown."""
        status, body = await self.call("GET", f"users/{_quote(name)}?include_stopped_servers=1")
        return None if status == 404 else body

    async def users(self) -> list[dict[str, Any]]:
        """Every user (page by page), with their servers, stopped ones included."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            _, body = await self.call(
                "GET", f"users?include_stopped_servers=1&offset={offset}&limit=200"
            )
            if isinstance(body, list):  # a hub that does not paginate
                return body
            found += body["items"]
            following = (body.get("_pagination") or {}).get("next")
            if not following:
                return found
            offset = int(following["offset"])

    async def stop(self, name: str, server: str) -> None:
        """Stop one of the user's servers and wait until it has stopped."""
        path = f"users/{_quote(name)}/server" + (f"s/{_quote(server)}" if server else "")
        status, _ = await self.call("DELETE", path)
        if status == 404:
            return
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while time.monotonic() < deadline:
            model = await self.user(name)
            entry = ((model or {}).get("servers") or {}).get(server)
            if entry is None or (entry.get("stopped") and not entry.get("pending")):
                return
            await asyncio.sleep(1)
        raise HubError(f"{name}'s server {server or '(default)'} did not stop in time")

    async def delete_user(self, name: str) -> bool:
        """Delete the user from the hub; False if the hub did not know them."""
        status, _ = await self.call("DELETE", f"users/{_quote(name)}")
        return status != 404


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read()).get("message", error.reason))[:200]
    except (ValueError, AttributeError, OSError):
        return str(error.reason)[:200]
