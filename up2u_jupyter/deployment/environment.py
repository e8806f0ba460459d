"""Environment invariants: no variable a stack sets can break a pod or take over a program.

For every environment the stack writes (user servers: ``singleuser.extraEnv``, profiles,
``hub.config.KubeSpawner.environment``, snippets; the hub: ``secretEnv``, ``hub.extraEnv``; the
proxy: ``proxy.chp.extraEnv``):

1. each name is one Kubernetes accepts (else the API refuses every such pod);
2. no name is one the chart, JupyterHub, KubeSpawner, the proxy, Kubernetes or this program sets
   for that pod (a stack's value would silently replace it: the hub's API URL for every user
   server, the proxy's token, the OAuth client secret);
3. loader and interpreter hijacks (``LD_*``, ``PYTHON*``, ``PATH``, ``NODE_OPTIONS``,
   ``BASH_ENV``) are refused in ``secretEnv`` (a reviewer cannot read an encrypted value), and
   in plain environments need their name in ``allowedLoaderEnv``.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..chart import HUB_POD_ENV, env_items, resource_prefix
from ..credentials import BY_KEY, PROJECT, SECRET_ENV, SECRETS, set_command
from ..errors import excerpt, shown_key
from ..settings import PROFILE_ENV
from ..values import METRICS_TOKEN_ENV
from .model import Deployment, Finding, snippet_key

LEGACY_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
"""Kubernetes' environment variable names before 1.34 (apimachinery ``IsEnvVarName``); 1.32-1.33
accept the relaxed rule only with the RelaxedEnvironmentVariableValidation gate."""
HIJACKS = re.compile(r"LD_\w*|PYTHON\w*|PATH|NODE_OPTIONS|BASH_ENV")
"""Variables the dynamic loader, Python, a shell or Node.js read at start to load other code."""
USER_POD_NAMES = frozenset(
    {
        *(
            f"JUPYTERHUB_{name}"
            for name in (
                "API_TOKEN",
                "ADMIN_ACCESS",
                "CLIENT_ID",
                "HOST",
                "OAUTH_CALLBACK_URL",
                "COOKIE_OPTIONS",
                "COOKIE_HOST_PREFIX_ENABLED",
                "OAUTH_SCOPES",
                "OAUTH_ACCESS_SCOPES",
                "OAUTH_CLIENT_ALLOWED_SCOPES",
                "USER",
                "SERVER_NAME",
                "API_URL",
                "ACTIVITY_URL",
                "BASE_URL",
                "SERVICE_PREFIX",
                "SERVICE_URL",
                "PUBLIC_URL",
                "PUBLIC_HUB_URL",
                "SSL_KEYFILE",
                "SSL_CERTFILE",
                "SSL_CLIENT_CA",
                "ROOT_DIR",
                "DEFAULT_URL",
                "DEBUG",
                "DISABLE_USER_CONFIG",
            )
        ),
        "JPY_API_TOKEN",
        "MEM_LIMIT",
        "MEM_GUARANTEE",
        "CPU_LIMIT",
        "CPU_GUARANTEE",
        "JUPYTER_IMAGE",
        "JUPYTER_IMAGE_SPEC",
    }
)
"""What JupyterHub's ``Spawner.get_env`` (jupyterhub 5.5.0 spawner.py:1244-1370) and KubeSpawner's
(kubespawner 7.0.0 spawner.py:2484-2500) set in every user server; tests/test_effective.py
compares it with the real ``get_env``. Other ``JUPYTERHUB_*`` names are settings of the server
(``JUPYTERHUB_SINGLEUSER_APP``), not replacements."""
HUB_POD_NAMES = re.compile(r"CONFIGPROXY_\w*|JPY_\w*|KUBERNETES_\w*|MYSQL_PWD")
"""Names the chart's hub pod and configurable-http-proxy set or read for themselves
(``JPY_COOKIE_SECRET``: the program sets the cookie secret; ``MYSQL_PWD``: the chart's)."""
CHART_SERVICES = ("hub", "proxy-api", "proxy-public", "proxy-http")
"""The chart's Services, whose ``<NAME>_SERVICE_HOST``/``_PORT`` the kubelet injects in every
pod of the namespace (service links are on: KubeSpawner never turns them off)."""


@dataclass(frozen=True)
class Entry:
    """One variable a stack sets: where (the pod), its key, its name and value."""

    pod: str
    """``user``, ``hub`` or ``proxy``."""
    key: str
    name: str
    value: Any
    secret: bool = False


def check(d: Deployment) -> list[Finding]:
    """The environment invariants (see the module docstring)."""
    found = []
    allowed = set(d.settings.allowed_loader_env)
    services = _service_names(d)
    for entry in entries(d):
        problem = _problem(entry, allowed, services, d)
        if problem is not None:
            found.append(problem)
    return found


def entries(d: Deployment) -> Iterator[Entry]:
    """Every variable the stack itself sets (the program's own entries are not judged)."""
    yield from _user_entries(d)
    ours = dict(env_items(d.intent_values.get("hub", {}).get("extraEnv"))) | _program_env(d)
    for name in d.secret_env:
        yield Entry("hub", f"{PROJECT}:{SECRET_ENV}.{shown_key(name)}", name, None, secret=True)
    for name, value in env_items(d.chart_map("hub").get("extraEnv")):
        if ours.get(name, object()) != value:
            yield Entry("hub", d.key("hub", "extraEnv", name), str(name), value)
    for name, value in env_items(d.chart_map("proxy", "chp").get("extraEnv")):
        yield Entry("proxy", d.key("proxy", "chp", "extraEnv", name), str(name), value)


def _program_env(d: Deployment) -> dict[str, Any]:
    """Entries the program renders under some setting of this stack (the credentials table's,
    the metrics token's): the same entry carried in helmValues (an import of values this program
    rendered) replaces nothing."""
    from ..credentials import secret_name
    from ..values import METRICS_SECRET_KEY, metrics_secret_name

    def ref(name: str, key: str) -> dict[str, Any]:
        return {"valueFrom": {"secretKeyRef": {"name": name, "key": key}}}

    settings = d.settings
    env = {spec.env: ref(secret_name(settings.release_name), spec.secret_key) for spec in SECRETS}
    env[METRICS_TOKEN_ENV] = ref(metrics_secret_name(settings), METRICS_SECRET_KEY)
    return env


def _user_entries(d: Deployment) -> Iterator[Entry]:
    for section in ("KubeSpawner", "Spawner"):
        for name, value in env_items(d.hub.get(section, "environment")):
            yield Entry("user", _user_key(d, section, str(name)), str(name), value)
    profiles = d.hub.get("KubeSpawner", "profile_list")
    for index, profile in enumerate(profiles if isinstance(profiles, list) else []):
        override = profile.get("kubespawner_override") if isinstance(profile, dict) else None
        env = override.get("environment") if isinstance(override, dict) else None
        for name, value in env_items(env):
            if name == PROFILE_ENV and value == profile.get("slug"):
                continue  # the program's: values.py sets it to the profile's slug
            key = d.key(
                "singleuser", "profileList", index, "kubespawner_override", "environment", name
            )
            yield Entry("user", key, str(name), value)


def _user_key(d: Deployment, section: str, name: str) -> str:
    """Where a user-server variable was set: singleuser.extraEnv, hub.config, or a snippet."""
    for reading in reversed(d.readings):
        for write in reversed(reading.writes):
            if (write.section, write.trait) == (section, "environment") and (
                write.key == name
                or (
                    write.kind in ("set", "update")
                    and isinstance(write.value, dict)
                    and name in write.value
                )
            ):
                return snippet_key(write.snippet)
    if section == "KubeSpawner" and name in dict(
        env_items(d.chart_map("singleuser").get("extraEnv"))
    ):
        return d.key("singleuser", "extraEnv", name)
    return d.key("hub", "config", section, "environment", name)


def _service_names(d: Deployment) -> list[str]:
    prefix = resource_prefix(d.values, d.settings.release_name)
    return [f"{prefix}{name}".upper().replace("-", "_") for name in CHART_SERVICES]


def _is_service_link(name: str, services: list[str]) -> bool:
    return any(
        name == f"{base}_PORT" or name.startswith((f"{base}_SERVICE_", f"{base}_PORT_"))
        for base in services
    )


def _problem(entry: Entry, allowed: set[str], services: list[str], d: Deployment) -> Finding | None:
    name = entry.name
    shown = excerpt(name)
    if not name or not name.isascii() or not name.isprintable() or "=" in name:
        return Finding(
            entry.key,
            f"{shown} is not an environment variable name Kubernetes accepts (printable ASCII, "
            "no '='), so it would refuse every such pod; use the name alone, e.g. LANG, with "
            "the value as its value",
        )
    reserved = _reserved(entry, services, d)
    if reserved is not None:
        return Finding(entry.key, f"{shown}: {reserved}")
    if HIJACKS.fullmatch(name):
        if entry.secret:
            return Finding(
                entry.key,
                f"{shown} makes the hub load code at start, and an encrypted value is one no "
                f"reviewer can read; remove it (pulumi config rm --path "
                f"'{PROJECT}:{SECRET_ENV}.{name}'); set such a variable in plain text with "
                f"{PROJECT}:allowedLoaderEnv",
            )
        if name not in allowed:
            return Finding(
                entry.key,
                f"{shown} changes which code the {entry.pod} pod loads at start; if that is "
                f"meant, list it in {PROJECT}:allowedLoaderEnv, else remove it",
            )
    if not LEGACY_NAME.fullmatch(name) or name in (".", "..") or name.startswith(".."):
        return Finding(
            entry.key,
            f"{shown} is refused by Kubernetes before 1.34 (names start with a letter, '_', "
            "'-' or '.', then letters, digits, '_', '-', '.'); rename it",
            warning=True,
        )
    return None


def _reserved(entry: Entry, services: list[str], d: Deployment) -> str | None:
    name = entry.name
    if _is_service_link(name, services) or name.startswith("KUBERNETES_"):
        return (
            "Kubernetes sets it in every pod of the namespace (a Service's address), and a "
            "stack's value would send clients elsewhere; rename it"
        )
    if entry.pod == "user":
        if name == PROFILE_ENV:
            return "set by the program to the profile's slug; remove it"
        if name in USER_POD_NAMES:
            return (
                "JupyterHub or KubeSpawner sets it in every user server (the hub's API URL, "
                "the server's token, its limits), and a stack's value would replace theirs; "
                "rename it"
            )
        return None
    spec = next((s for s in SECRETS if s.env == name), None)
    if spec is not None:
        return (
            f"the hub reads {spec.key} from it, and this would replace that secret; set "
            f"it with: {set_command(spec.key, d.stack)}"
            if spec.key in BY_KEY
            else None
        )
    if name == "JUPYTERHUB_CRYPT_KEY":
        return (
            "the program sets CryptKeeper.keys from its own generated key, so JupyterHub never "
            "reads this variable; remove it (see README: Rotate a generated secret)"
        )
    if name in HUB_POD_ENV or HUB_POD_NAMES.fullmatch(name) or name == METRICS_TOKEN_ENV:
        return (
            f"the chart, JupyterHub, the proxy or this program sets it in the {entry.pod} pod "
            "(the proxy's token, the hub's release name, ...), and a stack's value would "
            "replace theirs; rename it"
        )
    return None
