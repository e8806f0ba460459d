"""The z2jh chart's own facts, once: its version, names, ports, environment shapes and merge rules.

Everything here is what the chart (jupyterhub/zero-to-jupyterhub-k8s, ``jupyterhub/``) decides,
not what this project decides: the settings, the values, the preview, the importer and the
component read these instead of spelling them again.
"""

import copy
import marshal
from collections.abc import Mapping
from typing import Any, TypeVar

VERSION = "4.4.0"
"""The chart version this project is built and tested for (``chart.version``'s default, the
authenticator catalogue's hub image, the importer's target)."""
NAME = "jupyterhub"
"""The chart's name in its repository (``helm install ... jupyterhub/jupyterhub``)."""
REPO = "https://hub.jupyter.org/helm-chart/"
"""The chart repository (``chart.repo``'s default)."""

HUB_PORT = 8081
"""The hub Service's port (templates/hub/service.yaml)."""
RELEASE_ENV, NAMESPACE_ENV = "HELM_RELEASE_NAME", "POD_NAMESPACE"
HUB_POD_ENV = (RELEASE_ENV, NAMESPACE_ENV, "CONFIGPROXY_AUTH_TOKEN", "PYTHONUNBUFFERED")
"""What the chart's hub Deployment puts in the hub's environment besides hub.extraEnv
(templates/hub/deployment.yaml); extraConfig snippets read the first two."""


# --- environment shapes -------------------------------------------------------------------------


def env_items(environment: Any) -> list[tuple[Any, Any]]:
    """(name, value) of each entry of a chart environment (``hub.extraEnv``,
    ``singleuser.extraEnv``): a map, or the ``[{name, value}]`` list form; nothing otherwise."""
    if isinstance(environment, Mapping):
        return list(environment.items())
    if isinstance(environment, list):
        return [(e.get("name"), e.get("value")) for e in environment if isinstance(e, Mapping)]
    return []


def string_environment(environment: Any) -> dict[str, str]:
    """The variables of a chart or KubeSpawner environment that are plain strings.

    Values such as ``{"valueFrom": {"secretKeyRef": ...}}`` are read from Kubernetes objects,
    which the preview does not have; the preview lists them as not applied.
    """
    return {k: v for k, v in env_items(environment) if isinstance(k, str) and isinstance(v, str)}


# --- Helm's merge semantics ---------------------------------------------------------------------


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
_T = TypeVar("_T")


def plain_copy(value: _T) -> _T:
    """A deep copy of YAML data. Plain data (maps, lists, strings, numbers, booleans, null) is
    copied through ``marshal`` in C, ~4x faster than ``copy.deepcopy`` on the chart's ~1200
    defaults, which ``coalesce`` copies on every check; anything else (a date, a subclass of
    str) falls back to ``copy.deepcopy``. Like it, marshal keeps a shared sub-tree shared."""
    if type(value) in _IMMUTABLE:
        return value
    try:
        copied: _T = marshal.loads(marshal.dumps(value))  # type: ignore[arg-type]
    except ValueError:  # marshal refuses a type it does not know: not plain data
        return copy.deepcopy(value)
    return copied


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge user values the way ``helm -f a.yaml -f b.yaml`` does: maps key by key, the rest
    replaced. A ``null`` is kept, so that Helm still removes that chart default."""
    merged = copy.copy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def coalesce(chart_defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """What the chart templates see: user values over the chart's defaults, ``null`` deleting."""
    merged = plain_copy(dict(chart_defaults))
    _coalesce_into(merged, values)
    return merged


def _coalesce_into(merged: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Merge ``values`` into a copy we own: the defaults are copied once, not once per level."""
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping):
            under = merged.get(key)
            # a fresh map on the way down: a sub-tree the defaults share stays unchanged
            merged[key] = under = dict(under) if isinstance(under, Mapping) else {}
            _coalesce_into(under, value)
        else:
            merged[key] = plain_copy(value)


# --- resource names -----------------------------------------------------------------------------


def resource_prefix(values: Mapping[str, Any], release_name: str) -> str:
    """The prefix the chart puts before its resource names (``""`` with the chart's default).

    Mirrors the chart's ``jupyterhub.fullname.dash`` helper: a string ``fullnameOverride``
    (the default is ``""``) is used as is; ``null`` falls back to the release and chart name.
    """
    override = values.get("fullnameOverride", "")
    if isinstance(override, str):
        fullname = override
    else:
        name = values.get("nameOverride") or NAME
        fullname = release_name if name in release_name else f"{release_name}-{name}"
    return f"{fullname}-" if fullname else ""


def proxy_public_service(values: Mapping[str, Any], release_name: str) -> str:
    """Name of the chart's public proxy Service."""
    return f"{resource_prefix(values, release_name)}proxy-public"


def hub_url(values: Mapping[str, Any], release_name: str, namespace: str) -> str:
    """The hub's in-cluster URL (its Service, port and base URL)."""
    base = str(values.get("hub", {}).get("baseUrl") or "/").strip("/")
    path = f"/{base}/hub/" if base else "/hub/"
    service = f"{resource_prefix(values, release_name)}hub"
    return f"http://{service}.{namespace}.svc.cluster.local:{HUB_PORT}{path}"
