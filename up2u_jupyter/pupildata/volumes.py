"""A user's home volumes: their names under every scheme a deployment may hold, and the calls
that list and delete them.

Names are computed by KubeSpawner's own code (``KubeSpawner._expand_user_properties``, the
function its ``pvc_name`` comes from), for the deployment's template and the templates older
KubeSpawner and z2jh versions used, each under the current ``safe`` and the legacy ``escape``
slug scheme. KubeSpawner 7 itself deletes only the current name (kubespawner issue #924), so a
prod migrated from chart 0.9 keeps ``claim-<escaped>`` volumes forever unless someone asks for
them by their old name.

The Kubernetes side is a small protocol (``Claims``): the cluster (``KubernetesClaims``) or a
file that also records every call (``FileClaims``: the local preview, and the tests).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

KUBESPAWNER_TEMPLATE = "claim-{user_server}"
"""KubeSpawner 7's ``pvc_name_template`` (z2jh 4.4.0 leaves pvcNameTemplate null)."""
LEGACY_TEMPLATES = {
    "claim-{username}--{servername}": "KubeSpawner 1-6 and z2jh 1-3",
    # chart 0.x rendered claim-{username}{servername} with a servername that began with '-'
    "claim-{username}-{servername}": "KubeSpawner 0.x and z2jh 0.x",
}
"""Templates earlier versions used, by where they come from."""
SCHEMES = ("safe", "escape")
"""KubeSpawner 7's slug schemes: ``escape`` is what every version before 7 used."""
PER_USER_FIELDS = (
    "{username}", "{user_server}", "{userid}", "{unescaped_username}", "{safe_username}",
    "{escaped_username}", "{safe_user_server}", "{escaped_user_server}",
)  # fmt: skip
"""A template without one of these names one volume shared by many users (kubespawner issue
#880): it is never deleted for one of them."""
SERVER_FIELDS = (
    "{servername}", "{user_server}", "{safe_servername}", "{escaped_servername}",
    "{unescaped_servername}", "{safe_user_server}", "{escaped_user_server}",
)  # fmt: skip
"""A template without one of these gives a named server the default server's volume."""
USERNAME_ANNOTATION = "hub.jupyter.org/username"
"""KubeSpawner's annotation on the claims it creates: the user who first started it."""


@dataclass(frozen=True)
class Candidate:
    """A volume name a user's files may live under, and why."""

    name: str
    why: str


def per_user(template: str) -> bool:
    """Whether a template names one volume per user (not one shared by many)."""
    return any(part in template for part in PER_USER_FIELDS)


def _expand(template: str, user: str, user_id: int | None, server: str, namespace: str,
            scheme: str) -> str:  # fmt: skip
    """KubeSpawner 7.0's own expansion, on the few attributes it reads from a spawner.

    A whole KubeSpawner would load a kubeconfig and make an API client; its name expansion
    needs only the user, the server name and the namespace.
    """
    from kubespawner import KubeSpawner  # type: ignore[import-untyped]

    spawner = SimpleNamespace(
        user=SimpleNamespace(name=user, id=user_id),
        name=server,
        slug_scheme=scheme,
        _namespace_default=lambda: namespace,
    )
    return str(KubeSpawner._expand_user_properties(spawner, template, slug_scheme=scheme))


def candidates(
    user: str,
    namespace: str,
    servers: Iterable[str] = ("",),
    templates: Sequence[str] = (),
    user_id: int | None = None,
) -> tuple[list[Candidate], list[str]]:
    """Every name the user's volumes may have, and the templates skipped as shared.

    ``templates`` are the deployment's own (from its values); KubeSpawner's default and the
    legacy ones are always added. ``servers``: '' for the default server, plus named ones.
    """
    wanted = dict.fromkeys([*templates, KUBESPAWNER_TEMPLATE, *LEGACY_TEMPLATES])
    found: dict[str, Candidate] = {}
    shared = []
    for template in wanted:
        if not per_user(template) or ("{userid}" in template and user_id is None):
            shared.append(template)  # shared, or not computable without the hub's user id
            continue
        origin = LEGACY_TEMPLATES.get(template) or (
            "the deployment's" if template in templates else "KubeSpawner 7's default"
        )
        for server in dict.fromkeys(["", *servers]):
            if server and not any(part in template for part in SERVER_FIELDS):
                continue  # a named server shares the default server's volume
            for scheme in SCHEMES:
                name = _expand(template, user, user_id, server, namespace, scheme)
                found.setdefault(name, Candidate(name, f"{template}, {scheme} scheme ({origin})"))
    return list(found.values()), shared


def remembered(user: str, state_names: Iterable[str], known: Iterable[str]) -> list[Candidate]:
    """Volume names KubeSpawner stored in the hub's server state, when they are the user's.

    A remembered name outside the computed ones is taken only when it carries the user's own
    slug (safe or escaped): a name from a shared template must not be deleted for one user.
    """
    from kubespawner.slugs import escape_slug, safe_slug  # type: ignore[import-untyped]

    slugs = {escape_slug(user), safe_slug(user, max_length=48)}
    seen = set(known)
    out = []
    for name in dict.fromkeys(state_names):
        if name in seen:
            continue
        if any(slug in name for slug in slugs):
            out.append(Candidate(name, "remembered in the hub's server state"))
    return out


# --- the Kubernetes side ------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A persistent volume claim as listed: its name and KubeSpawner's annotations."""

    name: str
    annotations: dict[str, str] = field(default_factory=dict)


class Claims(Protocol):
    """Persistent volume claims of one namespace: what erasure needs and nothing more."""

    namespace: str

    async def list(self) -> list[Claim]:
        """Every claim in the namespace."""
        ...

    async def delete(self, name: str) -> bool:
        """Delete one claim; False when there is none of that name."""
        ...


class KubernetesClaims:
    """The cluster's claims, through kubernetes_asyncio (in the hub image and in .venv)."""

    def __init__(self, namespace: str, configuration: Any) -> None:
        self.namespace = namespace
        self._configuration = configuration

    async def _call(self, method: str, **kwargs: Any) -> Any:
        from kubernetes_asyncio import client

        async with client.ApiClient(self._configuration) as api:
            return await getattr(client.CoreV1Api(api), method)(namespace=self.namespace, **kwargs)

    async def list(self) -> list[Claim]:
        """Every claim in the namespace (needs ``list`` on persistentvolumeclaims)."""
        reply = await self._call("list_namespaced_persistent_volume_claim")
        return [
            Claim(item.metadata.name, dict(item.metadata.annotations or {})) for item in reply.items
        ]

    async def delete(self, name: str) -> bool:
        """Delete one claim; False when it does not exist."""
        from kubernetes_asyncio.client.exceptions import ApiException

        try:
            await self._call("delete_namespaced_persistent_volume_claim", name=name)
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True


def in_pod_configuration(token_dir: Path) -> Any:
    """The API server as seen from a pod, authenticated with a mounted service-account token
    (the data-protection ServiceAccount's Secret), not the hub's own."""
    from kubernetes_asyncio.client import Configuration

    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    configuration = Configuration()
    configuration.host = f"https://{host}:{port}"
    configuration.ssl_ca_cert = str(token_dir / "ca.crt")
    configuration.api_key = {"authorization": f"Bearer {(token_dir / 'token').read_text().strip()}"}
    return configuration


async def kubeconfig_configuration(context: str | None, token: str | None) -> Any:
    """The API server of a kubeconfig context; with ``token``, authenticated by it alone (the
    narrow ServiceAccount's, from ``kubectl create token``), not by the context's own user."""
    from kubernetes_asyncio import config
    from kubernetes_asyncio.client import Configuration

    loaded = Configuration()
    await config.load_kube_config(context=context, client_configuration=loaded)
    if token is None:
        return loaded
    narrow = Configuration()
    narrow.host = loaded.host
    narrow.ssl_ca_cert = loaded.ssl_ca_cert
    narrow.verify_ssl = loaded.verify_ssl
    narrow.api_key = {"authorization": f"Bearer {token}"}
    return narrow


class FileClaims:
    """Claims kept in a JSON file, with every call appended to a log: the local preview's
    stand-in for the cluster (it has no Kubernetes), and what the tests judge erasure by.

    The file is ``{"namespace": ..., "claims": [{"name": ..., "annotations": {...}}]}``; the
    log has one JSON line per call: ``{"call": "list"|"delete", "name": ..., "found": ...}``.
    """

    def __init__(self, path: Path, log: Path | None = None) -> None:
        self.path = path
        self.log = log or path.with_suffix(".calls.jsonl")
        self.namespace = str(self._read().get("namespace", ""))

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"claims": []}
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def _record(self, **call: Any) -> None:
        with self.log.open("a") as out:
            out.write(json.dumps(call) + "\n")

    async def list(self) -> list[Claim]:
        """The claims in the file."""
        await asyncio.sleep(0)
        claims = [
            Claim(c["name"], dict(c.get("annotations") or {})) for c in self._read()["claims"]
        ]
        self._record(call="list", namespace=self.namespace, found=[c.name for c in claims])
        return claims

    async def delete(self, name: str) -> bool:
        """Remove a claim from the file; False when it is not there."""
        await asyncio.sleep(0)
        data = self._read()
        kept = [c for c in data["claims"] if c["name"] != name]
        found = len(kept) != len(data["claims"])
        if found:
            data["claims"] = kept
            written = self.path.with_suffix(".partial")
            written.write_text(json.dumps(data, indent=1))
            written.replace(self.path)
        self._record(call="delete", namespace=self.namespace, name=name, found=found)
        return found
