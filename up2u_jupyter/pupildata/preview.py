"""dataProtection in the local preview: the same services and sidecar, with local stand-ins.

- forget-user's token (a Kubernetes Secret on the cluster) is generated for the run;
- the data-retention service runs for real against the preview hub; the cluster's claims are
  a file in the state folder (``volumes.json``; ``FileClaims``), whose every list and delete
  is recorded beside it (``volumes.calls.jsonl``): forget-user takes it as ``--volumes-file``;
- the hub-db-backup sidecar runs its own command against the preview's SQLite database, into
  moto's S3-compatible server (``python -m moto.server``) on 127.0.0.1.

Paths are relative: the hub, its services and these processes all run in the state folder.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .helm import FORGET_TOKEN_ENV, PYTHON_PATH, SIDECAR, TOKEN_DIR
from .names import RETENTION_SERVICE

CLAIMS_FILE = "volumes.json"
"""The preview's stand-in for the namespace's claims, in the state folder."""
DATABASE = "jupyterhub.sqlite"
"""The preview hub's database, in the state folder (preview/config.py)."""
HOST = "127.0.0.1"


@dataclass
class LocalProcess:
    """A process the stack runs beside the hub, as the preview runs it."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    """Answers once it is up."""
    url: str | None = None
    """Where it serves (object storage)."""


def swap(
    values: dict[str, Any],
    env: dict[str, str],
    swaps: list[str],
    repo: str,
    free_port: Callable[[], int],
) -> list[LocalProcess]:
    """Swap what dataProtection needs from Kubernetes; the processes to run beside the hub."""
    hub = values["hub"]
    if FORGET_TOKEN_ENV in (hub.get("extraEnv") or {}):
        env[FORGET_TOKEN_ENV] = secrets.token_hex(32)
        swaps.append(
            f"forget-user service token (a Kubernetes Secret) -> generated for this run "
            f"({FORGET_TOKEN_ENV} in the hub's environment)"
        )
    service = (hub.get("services") or {}).get(RETENTION_SERVICE)
    if isinstance(service, dict) and service.get("command"):
        service["command"] = [
            sys.executable if part == "python3" else part
            for part in service["command"]
            if not part.startswith("--kube-token-dir=")
        ] + [f"--claims-file={CLAIMS_FILE}"]
        service.setdefault("environment", {})["PYTHONPATH"] = repo
        swaps.append(
            f"data-retention's Kubernetes claims ({TOKEN_DIR}) -> {CLAIMS_FILE} in the state "
            "folder (each list and delete recorded in volumes.calls.jsonl; forget-user "
            f"--volumes-file takes it); {PYTHON_PATH} -> this checkout"
        )
    return _backup(hub, env, swaps, repo, free_port)


def _backup(hub: dict[str, Any], env: dict[str, str], swaps: list[str], repo: str,
            free_port: Callable[[], int]) -> list[LocalProcess]:  # fmt: skip
    sidecar = next((c for c in hub.get("extraContainers") or [] if c.get("name") == SIDECAR), None)
    if sidecar is None:
        return []
    storage_port, metrics_port = free_port(), free_port()
    storage = f"http://{HOST}:{storage_port}"
    keys = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"].removeprefix("env-")
        for e in sidecar.get("env", [])
        if "valueFrom" in e
    }
    replaced = ("python3", "--database=", "--endpoint-url=", "--metrics-port=")
    argv = [sys.executable] + [
        part for part in sidecar["command"] if not part.startswith(replaced)
    ] + [
        f"--database={DATABASE}", f"--endpoint-url={storage}", f"--metrics-port={metrics_port}",
        f"--metrics-host={HOST}", "--create-bucket",
    ]  # fmt: skip
    agent_env = {"PYTHONPATH": repo, "PYTHONUNBUFFERED": "1"}
    agent_env |= {name: env.get(entry, f"preview-{entry.lower()}") for name, entry in keys.items()}
    swaps.append(
        f"the {SIDECAR} sidecar -> the same command on this machine, backing up the preview's "
        f"database to moto's S3 server on {storage} (in memory, gone with the preview)"
    )
    return [
        LocalProcess(
            "object-storage",
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(storage_port)],
            ready_url=f"{storage}/moto-api/",
            url=storage,
        ),
        LocalProcess(SIDECAR, argv, agent_env, ready_url=f"http://{HOST}:{metrics_port}/metrics"),
    ]
