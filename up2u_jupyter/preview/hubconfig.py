"""z2jh values -> JupyterHub traitlets config, in the order the chart's hub applies them.

The chart's hub runs ``jupyterhub/files/hub/jupyterhub_config.py`` of
jupyterhub/zero-to-jupyterhub-k8s (chart 4.x; line numbers below are of that file at commit
cbdd5403877b47bbeeed8b5b21bdbf3bc3b93e2a). ``apply_values`` follows its order, so that a key
set two ways (say ``hub.activeServerLimit`` and ``hub.config.JupyterHub.active_server_limit``,
or a ``hub.config`` key and an ``extraConfig`` line) ends as it would on the cluster:

1. ``hub.*`` JupyterHub traits: limits, base URL, templates (lines 78-93)
2. ``singleuser.*`` KubeSpawner traits that snippets read: ``extraEnv``, ``profileList``
   (136-172); a local spawner gets them after ``extraConfig``, snippets' additions included
3. services and roles: the idle culler, then ``hub.services``, then ``hub.loadRoles`` (334-409)
4. ``singleuser.cmd`` and ``singleuser.defaultUrl`` (411-418), ``debug.enabled`` (450-452)
5. the Secret-held values: cookie secret and auth-state keys (454-462)
6. ``hub.config`` pass-through, minus those secrets (464-474)
7. ``hub.extraConfig``, in name order, last (487-490)

Kubernetes-only settings (images, resources, volumes, scheduling, the database and the proxy's
Service) have no local meaning; the preview sets its own and lists them as swapped.
"""

import glob
import os
import re
import sys
from binascii import a2b_hex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..chart import string_environment
from ..classes.spawn_rules import up2u_folder_hook
from .hubvalues import HubValues, install

CULLER_SERVICE = "jupyterhub-idle-culler"
Z2JH_PATH = Path(__file__).with_name("hub_pythonpath")
"""The folder holding the preview's ``z2jh`` module; it goes on the hub's PYTHONPATH."""

_HUB_TRAITS = (
    "concurrent_spawn_limit",
    "active_server_limit",
    "base_url",
    "allow_named_servers",
    "named_server_limit_per_user",
    "authenticate_prometheus",
    "redirect_to_server",
    "shutdown_on_logout",
    "template_paths",
    "template_vars",
)
"""JupyterHub traits the chart sets from ``hub.<camelCase name>`` (lines 78-93)."""
_SECRET_HELD = {
    "JupyterHub": ("proxy_auth_token", "cookie_secret", "services"),
    "ConfigurableHTTPProxy": ("auth_token",),
    "CryptKeeper": ("keys",),
}
"""``hub.config`` keys the chart drops because it loads them from its Secret (lines 466-473)."""


def apply_values(
    c: Any, values: Mapping[str, Any], hub_api_url: str, spawner_section: str = "Spawner"
) -> HubValues:
    """Configure ``c`` (a traitlets Config) from chart values, in the chart's order.

    ``spawner_section`` receives the settings the chart gives KubeSpawner that have a local
    meaning (environment, profile list). ``extraConfig`` runs with the names the chart's config
    file gives it, ``get_config`` and friends answering from ``values``. Returns those lookups.
    """
    chart = install(values)
    for trait in _HUB_TRAITS:
        chart.set_config_if_not_none(c.JupyterHub, trait, f"hub.{_camel(trait)}")
    # as the chart does, on KubeSpawner, so that snippets extend real values
    # (`c.KubeSpawner.environment.setdefault(...)`, 2i2c's and daskhub's do)
    chart.set_config_if_not_none(c.KubeSpawner, "environment", "singleuser.extraEnv")
    chart.set_config_if_not_none(c.KubeSpawner, "profile_list", "singleuser.profileList")
    _services_and_roles(c, chart, hub_api_url)
    cmd = chart.get_config("singleuser.cmd", NotImplemented)
    if cmd is not NotImplemented:  # an explicit null is kept, as in the chart
        c.Spawner.cmd = cmd
    chart.set_config_if_not_none(c.Spawner, "default_url", "singleuser.defaultUrl")
    if chart.get_config("debug.enabled", False):
        c.JupyterHub.log_level = "DEBUG"
        c.Spawner.debug = True
    c.JupyterHub.cookie_secret = chart.get_secret_value("hub.config.JupyterHub.cookie_secret")
    c.CryptKeeper.keys = chart.get_secret_value("hub.config.CryptKeeper.keys").split(";")
    for section, options in (chart.get_config("hub.config") or {}).items():
        for held in _SECRET_HELD.get(section, ()):
            options.pop(held, None)
        c[section].update(options)
    _run_extra_config(c, chart)
    if spawner_section != "KubeSpawner":
        _to_local_spawner(c, spawner_section)
    return chart


_PROFILE_TRAITS = (
    "profile_list",
    "profile_form_template",
    "additional_profile_form_template_paths",
)
"""KubeSpawner's profile traits; the preview's spawner runs KubeSpawner's own profile code."""
CLASS_FOLDER_HOOK = up2u_folder_hook([], None).__name__
"""The name of the class folders' ``pre_spawn_hook`` (what the stack's snippet installs)."""


def _to_local_spawner(c: Any, section: str) -> None:
    """What KubeSpawner ends with, extraConfig's additions included, for a local spawner: the
    plain-string variables, the profile traits (a callable profile list too: it is called as
    KubeSpawner calls it), and the classes' folder hook. Other ``pre_spawn_hook``s are
    KubeSpawner's alone: they may read its Kubernetes-only attributes."""
    if "environment" in c.KubeSpawner:
        c[section].environment = string_environment(c.KubeSpawner.environment)
    for trait in _PROFILE_TRAITS:
        if trait in c.KubeSpawner:
            c[section][trait] = c.KubeSpawner[trait]
    hook = c.KubeSpawner.get("pre_spawn_hook")
    if getattr(hook, "__name__", None) == CLASS_FOLDER_HOOK:
        c[section].pre_spawn_hook = hook


def culler_command(cull: Mapping[str, Any], hub_api_url: str) -> list[str]:
    """The jupyterhub-idle-culler command line the chart builds from ``cull`` (lines 356-381)."""
    command = [sys.executable, "-m", "jupyterhub_idle_culler", f"--url={hub_api_url}"]
    for key, flag in (("timeout", "--timeout"), ("every", "--cull-every"),
                      ("concurrency", "--concurrency")):  # fmt: skip
        if cull.get(key):
            command.append(f"{flag}={cull[key]}")
    if cull.get("users"):
        command.append("--cull-users")
    # the chart's default for cull.adminUsers is true; only an explicit false adds the flag
    if cull.get("adminUsers") is False:
        command.append("--cull-admin-users=false")
    if cull.get("removeNamedServers"):
        command.append("--remove-named-servers")
    if cull.get("maxAge"):
        command.append(f"--max-age={cull['maxAge']}")
    return command


def _services_and_roles(c: Any, chart: HubValues, hub_api_url: str) -> None:
    c.JupyterHub.services = []
    c.JupyterHub.load_roles = []
    cull = chart.get_config("cull") or {}
    if cull.get("enabled", True):  # the chart's default is enabled
        scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
        if cull.get("users"):
            scopes.append("admin:users")
        c.JupyterHub.services.append(
            {"name": CULLER_SERVICE, "command": culler_command(cull, hub_api_url)}
        )
        c.JupyterHub.load_roles.append(
            {"name": CULLER_SERVICE, "scopes": scopes, "services": [CULLER_SERVICE]}
        )
    for name, service in (chart.get_config("hub.services") or {}).items():
        service.setdefault("name", name)
        service.pop("apiToken", None)
        service["api_token"] = chart.get_secret_value(f"hub.services.{name}.apiToken")
        c.JupyterHub.services.append(service)
    for name, role in (chart.get_config("hub.loadRoles") or {}).items():
        role.setdefault("name", name)
        c.JupyterHub.load_roles.append(role)


def _run_extra_config(c: Any, chart: HubValues) -> None:
    # The chart exec()s each snippet inside its config file, so snippets see that file's names
    # (`c`, the z2jh helpers, the modules it imported) and whatever an earlier snippet defined.
    from jupyterhub.utils import url_path_join  # type: ignore[import-untyped]

    namespace = {
        "c": c,
        "get_config": chart.get_config,
        "get_secret_value": chart.get_secret_value,
        "set_config_if_not_none": chart.set_config_if_not_none,
        "get_name": chart.get_name,
        "get_name_env": chart.get_name_env,
        "os": os,
        "re": re,
        "sys": sys,
        "glob": glob,
        "a2b_hex": a2b_hex,
        "url_path_join": url_path_join,
    }
    for key, code in sorted((chart.get_config("hub.extraConfig") or {}).items()):
        exec(compile(code, f"<hub.extraConfig.{key}>", "exec"), namespace)


def _camel(snake: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), snake)
