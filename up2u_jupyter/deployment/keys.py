"""Which config key a values path comes from: what a problem line tells the operator to change.

A value reaches the release from ``helmValues`` (the escape hatch, merged last), from a typed
key that ``values.py`` renders, or from the chart's own defaults. The first that has the path
wins, as in the merge: ``helmValues.<path>`` when ``helmValues`` sets it (or a parent of it),
else the typed key, else ``values <path>`` (a chart default nobody set).
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import authenticators
from ..credentials import PROJECT, SECRET_ENV
from ..errors import shown_key

if TYPE_CHECKING:
    from .model import Deployment

_SINGLEUSER = {
    ("memory", "limit"): "singleuser.memory.limit",
    ("memory", "guarantee"): "singleuser.memory.guarantee",
    ("cpu", "limit"): "singleuser.cpu.limit",
    ("cpu", "guarantee"): "singleuser.cpu.guarantee",
    ("image",): "singleuser.image",
    ("defaultUrl",): "singleuser.defaultUrl",
}
_PROFILE = {
    ("display_name",): "displayName",
    ("description",): "description",
    ("slug",): "slug",
    ("kubespawner_override", "mem_limit"): "memory.limit",
    ("kubespawner_override", "mem_guarantee"): "memory.guarantee",
    ("kubespawner_override", "cpu_limit"): "cpu.limit",
    ("kubespawner_override", "cpu_guarantee"): "cpu.guarantee",
    ("kubespawner_override", "image"): "image",
}


def config_key(deployment: "Deployment", path: tuple[Any, ...]) -> str:
    """The full key an operator changes for the value at ``path`` of the release's values."""
    set_by_helm = _helm_values_prefix(deployment.settings.helm_values, path)
    if set_by_helm is not None:
        return _full("helmValues", *set_by_helm)
    typed = typed_key(deployment, path)
    if typed is not None:
        return f"{PROJECT}:{typed}"
    return "values " + ".".join(shown_key(str(part)) for part in path)


def _full(*parts: Any) -> str:
    return f"{PROJECT}:" + ".".join(shown_key(str(part)) for part in parts)


def _helm_values_prefix(helm: Any, path: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The part of ``path`` that ``helmValues`` sets (all of it, or a parent it replaces)."""
    node, walked = helm, []
    for part in path:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            break
        walked.append(part)
    if not walked:
        return None
    if len(walked) == len(path) or not isinstance(node, Mapping):
        return tuple(walked)
    return None


def typed_key(deployment: "Deployment", path: tuple[Any, ...]) -> str | None:
    """The typed key that renders a values path, when one does."""
    settings = deployment.settings
    head, rest = path[:2], path[2:]
    if head == ("hub", "config") and len(rest) >= 2:
        section, trait = str(rest[0]), str(rest[1])
        if (section, trait) == ("JupyterHub", "authenticator_class"):
            return "auth.type"
        if section in deployment.auth_sections():
            typed = authenticators.typed_traits(settings.auth.type)
            if trait in typed:
                return typed[trait]
            if trait in settings.auth.options:
                return f"auth.options.{shown_key(trait)}"
        return None
    if head in (("hub", "extraConfig"), ("hub", "templateVars")) and rest:
        return f"{'.'.join(head)}.{shown_key(str(rest[0]))}"
    if head == ("hub", "extraEnv") and rest and str(rest[0]) in deployment.secret_env:
        return f"{SECRET_ENV}.{shown_key(str(rest[0]))}"
    if head in (("hub", "services"), ("hub", "loadRoles")) and rest:
        return "healthCheck" if str(rest[0]) == "health-check" else None
    if path[:1] == ("singleuser",):
        return _singleuser_key(deployment, path[1:])
    return None


def _singleuser_key(deployment: "Deployment", path: tuple[Any, ...]) -> str | None:
    if path[:1] == ("extraEnv",) and len(path) >= 2:
        return f"singleuser.extraEnv.{shown_key(str(path[1]))}"
    if path in _SINGLEUSER:
        return _SINGLEUSER[path]
    if path[:1] == ("profileList",) and len(path) >= 2 and isinstance(path[1], int):
        index, rest = path[1], path[2:]
        if not 0 <= index < len(deployment.settings.profiles):
            return None
        if rest[:2] == ("kubespawner_override", "environment") and len(rest) >= 3:
            return f"profiles.{index}.extraEnv.{shown_key(str(rest[2]))}"
        if rest in _PROFILE:
            return f"profiles.{index}.{_PROFILE[rest]}"
        return f"profiles.{index}"
    return None
