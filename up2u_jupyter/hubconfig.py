"""z2jh values -> JupyterHub traitlets config, the way the chart's jupyterhub_config.py does it.

Only the settings the local preview runs are applied: ``hub.config``, the server limits, the
templates, ``singleuser.defaultUrl``, ``hub.extraConfig`` and the idle culler. Kubernetes-only
settings (images, resources, volumes, scheduling) have no local meaning and are reported by the
preview as swapped or ignored.
"""

import sys
from collections.abc import Mapping
from typing import Any

CULLER_SERVICE = "jupyterhub-idle-culler"


def apply_values(c: Any, values: Mapping[str, Any], hub_api_url: str) -> None:
    """Configure ``c`` (a traitlets Config) from chart values, as the chart's hub does."""
    hub = values.get("hub", {})
    for section, options in (hub.get("config") or {}).items():
        c[section].update(options)
    _set_if(c.JupyterHub, "active_server_limit", hub.get("activeServerLimit"))
    _set_if(c.JupyterHub, "concurrent_spawn_limit", hub.get("concurrentSpawnLimit"))
    if hub.get("templatePaths"):
        c.JupyterHub.template_paths = list(hub["templatePaths"])
    if hub.get("templateVars"):
        c.JupyterHub.template_vars = dict(hub["templateVars"])
    _set_if(c.Spawner, "default_url", values.get("singleuser", {}).get("defaultUrl"))
    for name, service in (hub.get("services") or {}).items():
        entry = {"name": name}
        if service.get("apiToken"):
            entry["api_token"] = service["apiToken"]
        c.JupyterHub.services = [*c.JupyterHub.get("services", []), entry]
    for name, role in (hub.get("loadRoles") or {}).items():
        c.JupyterHub.load_roles = [*c.JupyterHub.get("load_roles", []), {"name": name, **role}]
    cull = values.get("cull", {})
    if cull.get("enabled", True):
        _add_culler(c, cull, hub_api_url)
    # the chart runs extraConfig last, in name order, with `c` in scope
    for _, code in sorted((hub.get("extraConfig") or {}).items()):
        exec(compile(code, "<hub.extraConfig>", "exec"), {"c": c, "get_config": None})


def culler_command(cull: Mapping[str, Any], hub_api_url: str) -> list[str]:
    """The jupyterhub-idle-culler command line the chart builds from ``cull``."""
    command = [sys.executable, "-m", "jupyterhub_idle_culler", f"--url={hub_api_url}"]
    flags = {"timeout": "--timeout", "every": "--cull-every", "concurrency": "--concurrency",
             "maxAge": "--max-age"}  # fmt: skip
    for key, flag in flags.items():
        if cull.get(key):
            command.append(f"{flag}={cull[key]}")
    if cull.get("users"):
        command.append("--cull-users")
    if cull.get("removeNamedServers"):
        command.append("--remove-named-servers")
    if cull.get("adminUsers") is False:
        command.append("--cull-admin-users=false")
    return command


def _add_culler(c: Any, cull: Mapping[str, Any], hub_api_url: str) -> None:
    scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
    if cull.get("users"):
        scopes.append("admin:users")
    c.JupyterHub.services = [
        *c.JupyterHub.get("services", []),
        {"name": CULLER_SERVICE, "command": culler_command(cull, hub_api_url)},
    ]
    c.JupyterHub.load_roles = [
        *c.JupyterHub.get("load_roles", []),
        {"name": CULLER_SERVICE, "scopes": scopes, "services": [CULLER_SERVICE]},
    ]


def _set_if(section: Any, name: str, value: Any) -> None:
    if value is not None:
        setattr(section, name, value)
