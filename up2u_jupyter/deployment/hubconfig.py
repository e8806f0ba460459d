"""z2jh values -> the hub's traitlets config, as the chart's ``jupyterhub_config.py`` derives it.

A pure derivation: no JupyterHub, no traitlets, nothing executed. ``check``, ``values``, the
Pulumi program and the policy pack judge its result (``deployment``); the local preview applies
it to a traitlets ``Config`` and then runs ``hub.extraConfig`` (``preview/hubconfig.py``), so a
key set two ways (``hub.activeServerLimit`` and ``hub.config.JupyterHub.active_server_limit``, a
``hub.config`` key and an ``extraConfig`` line) ends as it does on the cluster.

Which text this follows. The chart's hub runs ``jupyterhub/files/hub/jupyterhub_config.py`` of
jupyterhub/zero-to-jupyterhub-k8s. The commit of the 4.4.0 tag could not be read from the stored
copy of that repository; the line numbers below are of the file at commit
09f40663e1ec21d0508e8ccb0b6ca1f2ba799050 (542 lines), a downstream merge stored under the
upstream name whose upstream base is about 4.3.3 (its ``values.yaml`` equals 4.4.0's but for
image tags and fork-only keys). The changelog at 0202b91826c53a474ea0422ddbb2f26af0c33b89 shows
that 4.3.4 -> 4.4.0 only upgraded JupyterHub (to 5.5.0) and lists no change to this file after
4.3.3, so the text is taken as 4.4.0's (see /work/research/chart-4.4.0.md, section 0).

The order (precedence: chart-mapped values < ``hub.config`` < ``hub.extraConfig``):

1. JupyterHub basics, the database, the ``hub.*`` traits (lines 41-95)
2. KubeSpawner from ``singleuser.*``: traits, image, privilege escalation, pull secrets,
   scheduling, node affinity, tolerations, storage, files and volumes (138-362)
3. services and roles: the idle culler, then ``hub.services``, then ``hub.loadRoles`` (364-439)
4. ``singleuser.cmd``/``defaultUrl`` (441-448), the cloud-metadata init container (450-482),
   ``debug.enabled`` (485-487), the Secret-held cookie secret and auth-state keys (489-497)
5. ``hub.config`` pass-through, minus those secrets; a lowercase section stops the hub (499-526)
6. ``hub.extraConfig``, in name order, last (539-542): returned, never run here

Not derived: what the hub pod's environment answers (the proxy's and hub's Service ports at
43-47 and 104-106, ``POD_NAMESPACE`` at 136: the caller passes the namespace), the curl HTTP
client (35-39) and ``hub.db.password``'s environment variable (72-77): none is a config trait.

Unlike the chart's file, which assumes the chart's defaults are merged in, a missing map (no
``singleuser.cloudMetadata`` at all) counts as empty: the preview runs without the chart's
``values.yaml`` when it is not beside the schema, and ``check`` judges hostile shapes.
"""

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..chart import NAME, VERSION, resource_prefix
from .lookups import HubValues

CULLER_SERVICE = "jupyterhub-idle-culler"
CULLER_SCOPES = ("list:users", "read:users:activity", "read:servers", "delete:servers")
"""The culler role's scopes (lines 375-381); ``admin:users`` is added with ``cull.users``."""
HUB_CONTAINER_PORT = 8081
"""The port the hub listens on in its container (line 99)."""

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
"""JupyterHub traits the chart sets from ``hub.<camelCase name>`` (lines 80-95)."""
_SINGLEUSER_TRAITS = (
    ("pod_name_template", None),
    ("start_timeout", None),
    ("image_pull_policy", "image.pullPolicy"),
    ("events_enabled", "events"),
    ("extra_labels", None),
    ("extra_annotations", None),
    ("uid", None),
    ("fs_gid", None),
    ("service_account", "serviceAccountName"),
    ("storage_extra_labels", "storage.extraLabels"),
    ("node_selector", None),
    ("node_affinity_required", "extraNodeAffinity.required"),
    ("node_affinity_preferred", "extraNodeAffinity.preferred"),
    ("pod_affinity_required", "extraPodAffinity.required"),
    ("pod_affinity_preferred", "extraPodAffinity.preferred"),
    ("pod_anti_affinity_required", "extraPodAntiAffinity.required"),
    ("pod_anti_affinity_preferred", "extraPodAntiAffinity.preferred"),
    ("lifecycle_hooks", None),
    ("init_containers", None),
    ("extra_containers", None),
    ("mem_limit", "memory.limit"),
    ("mem_guarantee", "memory.guarantee"),
    ("cpu_limit", "cpu.limit"),
    ("cpu_guarantee", "cpu.guarantee"),
    ("extra_resource_limits", "extraResource.limits"),
    ("extra_resource_guarantees", "extraResource.guarantees"),
    ("environment", "extraEnv"),
    ("profile_list", None),
    ("extra_pod_config", None),
)
"""KubeSpawner traits set from ``singleuser.<key>`` (lines 145-181); None: the camelCase name."""
SECRET_HELD = {
    "JupyterHub": ("proxy_auth_token", "cookie_secret", "services"),
    "ConfigurableHTTPProxy": ("auth_token",),
    "CryptKeeper": ("keys",),
}
"""``hub.config`` keys the chart drops because it loads them from its Secret (lines 500-507)."""


class InvalidSectionError(ValueError):
    """A ``hub.config`` section that is not a Configurable class name: the chart's hub prints
    ``message`` to stderr and exits 1 (lines 509-523)."""

    def __init__(self, section: str):
        self.section = section
        # the chart's exact text (line 516-520)
        super().__init__(
            f"FATAL: Invalid hub.config section name: {section}."
            " hub.config sections must be Configurable class names (e.g. JupyterHub)."
            " Maybe misplaced or misspelled config?"
        )


class InvalidNodePurposeError(ValueError):
    """``scheduling.userPods.nodeAffinity.matchNodePurpose`` the chart's hub refuses (line 243)."""

    def __init__(self, value: Any):
        super().__init__(f"Unrecognized value for matchNodePurpose: {value}")


@dataclass
class HubConfig:
    """The traitlets config the chart's hub ends with before ``hub.extraConfig`` runs."""

    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Section (``JupyterHub``, ``KubeSpawner``, ...) -> trait -> value."""
    origins: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    """(section, trait) -> the values path that set it last (``("hub", "config", ...)``)."""
    extra_config: list[tuple[str, str]] = field(default_factory=list)
    """``hub.extraConfig`` as (name, code), in the order the hub runs them (name order)."""
    fatal: list[tuple[tuple[str, ...], ValueError]] = field(default_factory=list)
    """Where the chart's hub would stop at start: (values path, the error it raises)."""

    def set(self, section: str, trait: str, value: Any, *origin: str) -> None:
        """``c.<section>.<trait> = value``, remembering which values key it came from."""
        self.sections.setdefault(section, {})[trait] = value
        self.origins[(section, trait)] = origin

    def get(self, section: str, trait: str, default: Any = None) -> Any:
        """The value a section holds for a trait, or ``default``."""
        return self.sections.get(section, {}).get(trait, default)

    def copy(self) -> "HubConfig":
        """A deep copy (the caller may change it without changing this one)."""
        return HubConfig(
            copy.deepcopy(self.sections),
            dict(self.origins),
            list(self.extra_config),
            list(self.fatal),
        )


def derive(
    chart: HubValues,
    *,
    release: str | None = None,
    namespace: str | None = None,
    culler_url: str | None = None,
    python: str = "python3",
    strict: bool = False,
) -> HubConfig:
    """The hub's config from the values ``chart`` answers, in the chart's order.

    ``release`` names the chart's resources (``get_name``: the user scheduler, the pull Secret),
    ``culler_url`` replaces the culler's ``--url`` (the preview's hub is not on localhost:8081)
    and ``python`` its interpreter. Where the chart's hub stops at start (a lowercase
    ``hub.config`` section, an unknown ``matchNodePurpose``), ``strict`` raises that error
    (``InvalidSectionError``, ``InvalidNodePurposeError``); otherwise it is recorded in
    ``fatal`` and the derivation goes on without the offending key, so that the rest can still
    be judged.
    """
    hub = HubConfig()
    get = chart.get_config
    names = _Names(chart, release)

    hub.set("JupyterHub", "spawner_class", "kubespawner.KubeSpawner")  # line 41
    hub.set("ConfigurableHTTPProxy", "should_start", False)  # line 48
    hub.set("JupyterHub", "cleanup_servers", False)  # line 51
    hub.set("JupyterHub", "last_activity_interval", 60)  # line 54
    hub.set("JupyterHub", "tornado_settings", {"slow_spawn_timeout": 0})  # lines 57-59
    _database(hub, get)  # lines 62-70
    for trait in _HUB_TRAITS:  # lines 80-95
        _set_if_not_none(hub, get, "JupyterHub", trait, f"hub.{camel(trait)}")
    hub.set("JupyterHub", "hub_bind_url", f"http://:{HUB_CONTAINER_PORT}")  # lines 99-100
    hub.set("KubeSpawner", "common_labels", _common_labels(get, release))  # lines 109-134
    if namespace is not None:
        hub.set("KubeSpawner", "namespace", namespace)  # line 136: the pod's POD_NAMESPACE
    _set_if_not_none(  # lines 138-143
        hub, get, "Spawner", "consecutive_failure_limit", "hub.consecutiveFailureLimit"
    )
    _singleuser(hub, get, names)
    _services_and_roles(hub, chart, culler_url, python)  # lines 364-439
    cmd = get("singleuser.cmd", _UNSPECIFIED)  # lines 441-446: an explicit null is kept
    if cmd is not _UNSPECIFIED:
        hub.set("Spawner", "cmd", cmd, "singleuser", "cmd")
    _set_if_not_none(hub, get, "Spawner", "default_url", "singleuser.defaultUrl")  # line 448
    _cloud_metadata(hub, get)  # lines 450-482
    if get("debug.enabled", False):  # lines 485-487
        hub.set("JupyterHub", "log_level", "DEBUG", "debug", "enabled")
        hub.set("Spawner", "debug", True, "debug", "enabled")
    hub.set(  # line 493
        "JupyterHub",
        "cookie_secret",
        chart.get_secret_value("hub.config.JupyterHub.cookie_secret"),
        "hub",
        "cookieSecret",
    )
    keys = chart.get_secret_value("hub.config.CryptKeeper.keys")  # line 497
    hub.set("CryptKeeper", "keys", str(keys).split(";"), "hub", "config", "CryptKeeper", "keys")
    _pass_through(hub, get("hub.config", {}), strict)  # lines 499-526
    snippets = get("hub.extraConfig", {})  # lines 539-542
    if isinstance(snippets, Mapping):
        hub.extra_config = sorted((str(k), v) for k, v in snippets.items() if isinstance(v, str))
    if strict and hub.fatal:
        raise hub.fatal[0][1]
    return hub


_UNSPECIFIED: Any = object()


def camel(snake: str) -> str:
    """The chart's ``camelCaseify`` (lines 26-32): ``server_limit`` -> ``serverLimit``."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), snake)


def url_path_join(*pieces: str) -> str:
    """``jupyterhub.utils.url_path_join``: one slash between pieces, the ends kept."""
    initial = pieces[0].startswith("/")
    final = pieces[-1].endswith("/")
    stripped = [piece.strip("/") for piece in pieces]
    result = "/".join(piece for piece in stripped if piece)
    if initial:
        result = "/" + result
    if final:
        result = result + "/"
    return "/" if result == "//" else result


def _set_if_not_none(hub: HubConfig, get: Any, section: str, trait: str, key: str) -> None:
    """The chart's ``set_config_if_not_none``: set only a non-null value."""
    value = get(key)
    if value is not None:
        hub.set(section, trait, value, *key.split("."))


class _Names:
    """The chart's ``get_name``: its resources' full names, when the release is known."""

    def __init__(self, chart: HubValues, release: str | None):
        self.prefix = None if release is None else resource_prefix(chart.root, release)

    def __call__(self, short: str) -> str | None:
        return None if self.prefix is None else self.prefix + short


def _database(hub: HubConfig, get: Any) -> None:
    db_type = get("hub.db.type")
    if db_type == "sqlite-pvc":
        hub.set("JupyterHub", "db_url", "sqlite:///jupyterhub.sqlite", "hub", "db", "type")
    elif db_type == "sqlite-memory":
        hub.set("JupyterHub", "db_url", "sqlite://", "hub", "db", "type")
    else:
        _set_if_not_none(hub, get, "JupyterHub", "db_url", "hub.db.url")


def _common_labels(get: Any, release: str | None) -> dict[str, str]:
    """``KubeSpawner.common_labels`` (lines 120-134); the chart's name and version are ours,
    as the Secret's ``Chart`` entry would give them."""
    labels: dict[str, str] = {}
    labels["app.kubernetes.io/name"] = labels["app"] = get("nameOverride", default=NAME)
    if release:
        labels["app.kubernetes.io/instance"] = labels["release"] = release
    labels["helm.sh/chart"] = labels["chart"] = f"{NAME}-{VERSION.replace('+', '_')}"
    labels["app.kubernetes.io/managed-by"] = "kubespawner"
    return labels


def _singleuser(hub: HubConfig, get: Any, names: _Names) -> None:
    for trait, key in _SINGLEUSER_TRAITS:  # lines 145-181
        _set_if_not_none(hub, get, "KubeSpawner", trait, f"singleuser.{key or camel(trait)}")
    image = get("singleuser.image.name")  # lines 183-189
    if image:
        tag = get("singleuser.image.tag")
        hub.set("KubeSpawner", "image", f"{image}:{tag}" if tag else image, "singleuser", "image")
    hub.set(  # lines 196-198: set even when null, so that null is honoured
        "KubeSpawner",
        "allow_privilege_escalation",
        get("singleuser.allowPrivilegeEscalation"),
        "singleuser",
        "allowPrivilegeEscalation",
    )
    pull_secrets: list[Any] = []  # lines 200-212
    if get("imagePullSecret.automaticReferenceInjection") and get("imagePullSecret.create"):
        name = names("image-pull-secret")
        if name is not None:
            pull_secrets.append(name)
    pull_secrets += _list(get("imagePullSecrets")) + _list(get("singleuser.image.pullSecrets"))
    if pull_secrets:
        hub.set("KubeSpawner", "image_pull_secrets", pull_secrets, "imagePullSecrets")
    if get("scheduling.userScheduler.enabled"):  # lines 214-216
        name = names("user-scheduler")
        if name is not None:
            hub.set("KubeSpawner", "scheduler_name", name, "scheduling", "userScheduler")
    if get("scheduling.podPriority.enabled"):  # lines 217-218
        name = names("priority")
        if name is not None:
            hub.set("KubeSpawner", "priority_class_name", name, "scheduling", "podPriority")
    _node_purpose(hub, get("scheduling.userPods.nodeAffinity.matchNodePurpose"))
    tolerations = _list(get("scheduling.userPods.tolerations", [])) + _list(
        get("singleuser.extraTolerations", [])
    )  # lines 248-253
    if tolerations:
        hub.set("KubeSpawner", "tolerations", tolerations, "singleuser", "extraTolerations")
    _volumes(hub, get, names)


def _node_purpose(hub: HubConfig, purpose: Any) -> None:
    """``matchNodePurpose`` (lines 220-246): appended to the singleuser affinities."""
    if not purpose:
        return
    selector = {
        "matchExpressions": [
            {"key": "hub.jupyter.org/node-purpose", "operator": "In", "values": ["user"]}
        ]
    }
    origin = ("scheduling", "userPods", "nodeAffinity", "matchNodePurpose")
    if purpose == "prefer":
        preferred = _list(hub.get("KubeSpawner", "node_affinity_preferred", []))
        term = {"weight": 100, "preference": selector}
        hub.set("KubeSpawner", "node_affinity_preferred", [*preferred, term], *origin)
    elif purpose == "require":
        required = _list(hub.get("KubeSpawner", "node_affinity_required", []))
        hub.set("KubeSpawner", "node_affinity_required", [*required, selector], *origin)
    elif purpose != "ignore":
        hub.fatal.append((origin, InvalidNodePurposeError(purpose)))


def _volumes(hub: HubConfig, get: Any, names: _Names) -> None:
    """Home storage, extraFiles and extra volumes (lines 255-362): dicts keyed by name."""
    volumes: dict[str, Any] = {}
    mounts: dict[str, Any] = {}
    storage_type = get("singleuser.storage.type")
    if storage_type == "dynamic":  # lines 259-291
        template = get("singleuser.storage.dynamic.pvcNameTemplate")
        if template:
            hub.set("KubeSpawner", "pvc_name_template", template, "singleuser", "storage")
        volume = get("singleuser.storage.dynamic.volumeNameTemplate")
        hub.set("KubeSpawner", "storage_pvc_ensure", True, "singleuser", "storage", "type")
        for trait, key in (
            ("storage_class", "dynamic.storageClass"),
            ("storage_access_modes", "dynamic.storageAccessModes"),
            ("storage_capacity", "capacity"),
        ):
            _set_if_not_none(hub, get, "KubeSpawner", trait, f"singleuser.storage.{key}")
        volumes = {volume: {"name": volume, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
        mounts = {
            volume: {
                "mountPath": get("singleuser.storage.homeMountPath"),
                "name": volume,
                "subPath": get("singleuser.storage.dynamic.subPath"),
            }
        }
    elif storage_type == "static":  # lines 292-307
        claim = get("singleuser.storage.static.pvcName")
        volumes = {"home": {"name": "home", "persistentVolumeClaim": {"claimName": claim}}}
        mounts = {
            "home": {
                "mountPath": get("singleuser.storage.homeMountPath"),
                "name": "home",
                "subPath": get("singleuser.storage.static.subPath"),
            }
        }
    files = get("singleuser.extraFiles", {})  # lines 309-340
    if isinstance(files, Mapping) and files:
        items = []
        for key, details in files.items():
            item = {"key": key, "path": key}
            if isinstance(details, Mapping) and "mode" in details:
                item["mode"] = details["mode"]
            items.append(item)
        volumes["files"] = {
            "name": "files",
            "secret": {"secretName": names("singleuser") or "singleuser", "items": items},
        }
        for index, (key, details) in enumerate(files.items()):
            path = details.get("mountPath") if isinstance(details, Mapping) else None
            mounts[f"{index}-files"] = {"mountPath": path, "subPath": key, "name": "files"}
    extra = get("singleuser.storage.extraVolumes", default={})  # lines 342-348
    if isinstance(extra, Mapping):
        volumes.update(extra)
    elif isinstance(extra, list):
        volumes.update({str(v.get("name")): v for v in extra if isinstance(v, Mapping)})
    extra = get("singleuser.storage.extraVolumeMounts", default={})  # lines 350-359
    if isinstance(extra, Mapping):
        mounts.update(extra)
    elif isinstance(extra, list):
        mounts.update(
            {f"{i}-{m.get('name')}": m for i, m in enumerate(extra) if isinstance(m, Mapping)}
        )
    # lines 361-362; a volume a level refuses most likely comes from the extra ones
    extra_given = bool(get("singleuser.storage.extraVolumes"))
    origin = ("singleuser", "storage", "extraVolumes") if extra_given else ("singleuser", "storage")
    hub.set("KubeSpawner", "volumes", volumes, *origin)
    hub.set("KubeSpawner", "volume_mounts", mounts, "singleuser", "storage")


def culler_command(cull: Mapping[str, Any], url: str, python: str = "python3") -> list[str]:
    """The jupyterhub-idle-culler command line the chart builds from ``cull`` (lines 383-412).

    The chart reads ``cull.adminUsers`` with the chart's default (true) merged in; without
    that default only an explicit false adds the flag, as the chart would then.
    """
    command = [python, "-m", "jupyterhub_idle_culler", f"--url={url}"]
    for key, flag in (
        ("timeout", "--timeout"),
        ("every", "--cull-every"),
        ("concurrency", "--concurrency"),
    ):
        if cull.get(key):
            command.append(f"{flag}={cull[key]}")
    if cull.get("users"):
        command.append("--cull-users")
    if cull.get("adminUsers") is False:
        command.append("--cull-admin-users=false")
    if cull.get("removeNamedServers"):
        command.append("--remove-named-servers")
    if cull.get("maxAge"):
        command.append(f"--max-age={cull['maxAge']}")
    return command


def _services_and_roles(
    hub: HubConfig, chart: HubValues, culler_url: str | None, python: str
) -> None:
    services: list[Any] = []
    roles: list[Any] = []
    cull = chart.get_config("cull") or {}
    if not isinstance(cull, Mapping):
        cull = {}
    if cull.get("enabled", True):  # line 370 (the chart's default is enabled)
        scopes = list(CULLER_SCOPES)
        if cull.get("users"):
            scopes.append("admin:users")
        base_url = hub.get("JupyterHub", "base_url", "/")  # hub.config is not applied yet
        url = culler_url or "http://localhost:8081" + url_path_join(str(base_url), "hub/api")
        services.append({"name": CULLER_SERVICE, "command": culler_command(cull, url, python)})
        roles.append({"name": CULLER_SERVICE, "scopes": scopes, "services": [CULLER_SERVICE]})
    for name, service in _items(chart.get_config("hub.services")):  # lines 422-432
        if isinstance(service, dict):
            service.setdefault("name", name)
            service.pop("apiToken", None)
            service["api_token"] = chart.get_secret_value(f"hub.services.{name}.apiToken")
            services.append(service)
    for name, role in _items(chart.get_config("hub.loadRoles")):  # lines 434-439
        if isinstance(role, dict):
            role.setdefault("name", name)
            roles.append(role)
    hub.set("JupyterHub", "services", services, "hub", "services")
    hub.set("JupyterHub", "load_roles", roles, "hub", "loadRoles")


BLOCK_METADATA_CONTAINER = "block-cloud-metadata"
"""The privileged init container the chart adds with ``blockWithIptables`` (line 457)."""


def _cloud_metadata(hub: HubConfig, get: Any) -> None:
    """The iptables init container (lines 450-482), as the Kubernetes API spells it."""
    metadata = get("singleuser.cloudMetadata") or {}
    if not isinstance(metadata, Mapping) or metadata.get("blockWithIptables") is not True:
        return
    image = (
        f"{get('singleuser.networkTools.image.name')}:{get('singleuser.networkTools.image.tag')}"
    )
    container = {
        "name": BLOCK_METADATA_CONTAINER,
        "image": image,
        "command": [
            "iptables",
            "--append",
            "OUTPUT",
            "--protocol",
            "tcp",
            "--destination",
            metadata.get("ip"),
            "--destination-port",
            "80",
            "--jump",
            "DROP",
        ],
        "securityContext": {
            "privileged": True,
            "runAsUser": 0,
            "capabilities": {"add": ["NET_ADMIN"]},
        },
        "resources": get("singleuser.networkTools.resources"),
    }
    existing = _list(hub.get("KubeSpawner", "init_containers", []))
    hub.set(
        "KubeSpawner",
        "init_containers",
        [*existing, container],
        "singleuser",
        "cloudMetadata",
        "blockWithIptables",
    )


def _pass_through(hub: HubConfig, config: Any, strict: bool) -> None:
    """``hub.config``: each section updates the config, the Secret-held keys dropped first."""
    for section, options in _items(config):
        if not section[:1].isupper():
            hub.fatal.append((("hub", "config", section), InvalidSectionError(section)))
            if strict:
                return  # the chart's hub exits at this section
            continue
        if not isinstance(options, Mapping):
            continue  # the chart's schema refuses it (values must be objects)
        options = {k: v for k, v in options.items() if k not in SECRET_HELD.get(section, ())}
        for trait, value in options.items():
            hub.set(section, str(trait), value, "hub", "config", section, str(trait))


def _items(value: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
