"""Every pod template the stack renders, as far as Pod Security Standards look at it.

The chart's own pods are modelled from the values each template reads (the templates of
jupyterhub/zero-to-jupyterhub-k8s cited per pod; commits as in /work/research/chart-4.4.0.md,
section 4.1). User pods are modelled from KubeSpawner 7.0.0's ``make_pod`` (kubespawner
objects.py:395-470 security contexts, 535-548 the notebook container, 577-605 extra and init
containers and volumes, 685-692 ``extra_pod_config``) fed with the hub config the chart derives,
for the default server and each profile (``kubespawner_override``). KubeSpawner is too heavy for
``check`` to import; ``tests/test_pods.py`` proves this model against the real ``make_pod``.

A ``Pod`` keeps, for each part, the values path it comes from, so a finding names the key to
change.
"""

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .hubconfig import BLOCK_METADATA_CONTAINER, HubConfig
from .model import Deployment


@dataclass
class Pod:
    """One pod template: its spec (camelCase, as the Kubernetes API) and where parts come from."""

    name: str
    spec: dict[str, Any]
    origin: tuple[Any, ...]
    """The values path of the pod-level settings (``hub.podSecurityContext``)."""
    containers: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """Container name -> the values path that defines it (or its security context)."""
    fields: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """Pod spec field (``hostNetwork``, ``volumes``, ``securityContext``) -> its values path,
    where it is not ``origin``."""
    container_fields: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    """(container, securityContext field) -> its values path, where a trait of its own sets it
    (the notebook container's ``runAsUser`` is ``singleuser.uid``)."""


def camel_keys(value: Any) -> Any:
    """A Kubernetes object with snake_case keys (Python client style) in camelCase."""
    if isinstance(value, Mapping):
        return {
            re.sub(r"_([a-z])", lambda m: m[1].upper(), k) if isinstance(k, str) else k: (
                camel_keys(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _get(values: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _container(
    name: str, security: Any, origin: tuple[Any, ...]
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    spec: dict[str, Any] = {"name": name}
    if isinstance(security, Mapping) and security:
        spec["securityContext"] = camel_keys(security)
    return spec, origin


def _path(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def _chart_pod(
    values: Mapping[str, Any],
    name: str,
    containers: list[tuple[str, str]],
    *,
    pod_security: str | None = None,
    init: list[tuple[str, str]] = (),  # type: ignore[assignment]
    extra_containers: str | None = None,
    extra_init: str | None = None,
    volumes: list[dict[str, Any]] = (),  # type: ignore[assignment]
    extra_volumes: str | None = None,
    extra_spec: str | None = None,
) -> Pod:
    """A chart pod: (container name, values key of its securityContext) for each container."""
    spec: dict[str, Any] = {"containers": [], "initContainers": [], "volumes": list(volumes)}
    pod = Pod(name, spec, _path(pod_security or extra_spec or name))
    if pod_security is not None and isinstance(_get(values, pod_security), Mapping):
        spec["securityContext"] = camel_keys(_get(values, pod_security))
    for field_name, listed in (("containers", containers), ("initContainers", init)):
        for container_name, key in listed:
            container, origin = _container(container_name, _get(values, key), _path(key))
            spec[field_name].append(container)
            pod.containers[container_name] = origin
    for field_name, extra_key in (("containers", extra_containers), ("initContainers", extra_init)):
        extra = _get(values, extra_key) if extra_key else None
        for index, container in enumerate(extra if isinstance(extra, list) else []):
            if isinstance(container, Mapping):
                item = camel_keys(container)
                spec[field_name].append(item)
                pod.containers[str(item.get("name"))] = (*_path(extra_key or ""), index)
    extra = _get(values, extra_volumes) if extra_volumes else None
    spec["volumes"] += [camel_keys(v) for v in (extra if isinstance(extra, list) else [])]
    if extra_volumes and extra:
        pod.fields["volumes"] = _path(extra_volumes)
    extra = _get(values, extra_spec) if extra_spec else None
    if isinstance(extra, Mapping):
        spec.update(camel_keys(extra))
        for key in camel_keys(extra):
            pod.fields[key] = (*_path(extra_spec or ""), key)
    return pod


def chart_pods(values: Mapping[str, Any]) -> Iterator[Pod]:
    """The pods the chart's templates render from ``values`` (the chart's defaults merged in)."""
    # hub/deployment.yaml @5ad350ef: config and secret volumes, the database's claim
    hub_volumes = [{"name": "config", "configMap": {}}, {"name": "secret", "secret": {}}]
    if _get(values, "hub.db.type") == "sqlite-pvc":
        hub_volumes.append({"name": "pvc", "persistentVolumeClaim": {}})
    yield _chart_pod(
        values,
        "hub",
        [("hub", "hub.containerSecurityContext")],
        pod_security="hub.podSecurityContext",
        extra_containers="hub.extraContainers",
        extra_init="hub.initContainers",
        volumes=hub_volumes,
        extra_volumes="hub.extraVolumes",
        extra_spec="hub.extraPodSpec",
    )
    # proxy/deployment.yaml @5ad350ef
    yield _chart_pod(
        values,
        "proxy",
        [("chp", "proxy.chp.containerSecurityContext")],
        extra_spec="proxy.chp.extraPodSpec",
    )
    https = _get(values, "proxy.https", {}) or {}
    if https.get("enabled") and https.get("type") == "letsencrypt" and https.get("hosts"):
        # proxy/autohttps/deployment.yaml @5ad350ef
        sync = "proxy.secretSync.containerSecurityContext"
        yield _chart_pod(
            values,
            "autohttps",
            [("traefik", "proxy.traefik.containerSecurityContext"), ("secret-sync", sync)],
            init=[("load-acme", sync)],
            extra_init="proxy.traefik.extraInitContainers",
            volumes=[
                {"name": "certificates", "emptyDir": {}},
                {"name": "traefik-config", "configMap": {}},
            ],
            extra_volumes="proxy.traefik.extraVolumes",
            extra_spec="proxy.traefik.extraPodSpec",
        )
    if _get(values, "scheduling.userScheduler.enabled"):
        # scheduling/user-scheduler/deployment.yaml @5ad350ef
        yield _chart_pod(
            values,
            "user-scheduler",
            [("kube-scheduler", "scheduling.userScheduler.containerSecurityContext")],
            volumes=[{"name": "config", "configMap": {}}],
            extra_spec="scheduling.userScheduler.extraPodSpec",
        )
    if _get(values, "scheduling.userPlaceholder.enabled"):
        # scheduling/user-placeholder/statefulset.yaml @6c7787cc
        yield _chart_pod(
            values,
            "user-placeholder",
            [("pause", "scheduling.userPlaceholder.containerSecurityContext")],
            extra_spec="scheduling.userPlaceholder.extraPodSpec",
        )
    for kind in ("hook", "continuous"):
        if not _get(values, f"prePuller.{kind}.enabled"):
            continue
        # image-puller/_helpers-daemonset.tpl @d94c1130: every pull is an init container with
        # prePuller.containerSecurityContext, then one pause container
        pulls = [("image-pull-singleuser", "prePuller.containerSecurityContext")]
        if _get(values, "singleuser.cloudMetadata.blockWithIptables") is True:
            pulls.insert(0, ("image-pull-metadata-block", "prePuller.containerSecurityContext"))
        yield _chart_pod(
            values,
            f"{kind}-image-puller",
            [("pause", "prePuller.pause.containerSecurityContext")],
            init=pulls,
        )
    if _get(values, "prePuller.hook.enabled"):
        # image-puller/job.yaml @5ad350ef
        yield _chart_pod(
            values,
            "hook-image-awaiter",
            [("hook-image-awaiter", "prePuller.hook.containerSecurityContext")],
        )


# --- user pods (KubeSpawner 7.0.0 make_pod) -------------------------------------------------------

_KUBESPAWNER_DEFAULTS: dict[str, Any] = {
    "uid": None,
    "gid": None,
    "fs_gid": None,
    "supplemental_gids": [],
    "privileged": False,
    "allow_privilege_escalation": False,
    "container_security_context": {},
    "pod_security_context": {},
    "init_containers": [],
    "extra_containers": [],
    "extra_container_config": {},
    "extra_pod_config": {},
    "volumes": [],
    "lifecycle_hooks": {},
}
"""The KubeSpawner 7.0.0 defaults of the traits ``make_pod`` turns into security settings
(spawner.py trait definitions)."""
USER_TRAITS = tuple(_KUBESPAWNER_DEFAULTS)


def spawner_traits(hub: HubConfig, override: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The security traits a KubeSpawner gets: Spawner's section, KubeSpawner's over it, then a
    profile's ``kubespawner_override`` (maps merged into the trait, the rest replaced)."""
    traits = copy.deepcopy(_KUBESPAWNER_DEFAULTS)
    for section in ("Spawner", "KubeSpawner"):
        for trait in USER_TRAITS:
            if trait in hub.sections.get(section, {}):
                traits[trait] = copy.deepcopy(hub.sections[section][trait])
    for trait, value in (override or {}).items():
        if trait not in USER_TRAITS:
            continue
        if isinstance(value, Mapping) and isinstance(traits.get(trait), Mapping):
            traits[trait] = {**traits[trait], **value}
        else:
            traits[trait] = copy.deepcopy(value)
    return traits


def _values_of(volumes: Any) -> list[Any]:
    if isinstance(volumes, Mapping):
        return [volumes[key] for key in sorted(volumes, key=str)]
    return list(volumes) if isinstance(volumes, list) else []


def user_pod_spec(traits: Mapping[str, Any]) -> dict[str, Any]:
    """The pod spec KubeSpawner 7.0.0's ``make_pod`` builds from these traits (security fields:
    security contexts, containers, init containers, volumes, the spec-level settings)."""
    psc: dict[str, Any] = {}
    if traits.get("fs_gid") is not None:
        psc["fsGroup"] = int(traits["fs_gid"])
    if traits.get("supplemental_gids"):
        psc["supplementalGroups"] = [int(g) for g in traits["supplemental_gids"]]
    psc.update(traits.get("pod_security_context") or {})
    csc: dict[str, Any] = {}
    if traits.get("uid") is not None:
        csc["runAsUser"] = int(traits["uid"])
    if traits.get("gid") is not None:
        csc["runAsGroup"] = int(traits["gid"])
    if traits.get("privileged"):
        csc["privileged"] = True
    if traits.get("allow_privilege_escalation") is not None:
        csc["allowPrivilegeEscalation"] = traits["allow_privilege_escalation"]
    csc.update(traits.get("container_security_context") or {})
    notebook: dict[str, Any] = {"name": "notebook", "ports": [{"containerPort": 8888}]}
    if csc:
        notebook["securityContext"] = csc
    if traits.get("lifecycle_hooks"):
        notebook["lifecycle"] = camel_keys(traits["lifecycle_hooks"])
    notebook.update(camel_keys(traits.get("extra_container_config") or {}))
    spec: dict[str, Any] = {
        "containers": [notebook, *camel_keys(list(traits.get("extra_containers") or []))],
        "initContainers": camel_keys(list(traits.get("init_containers") or [])),
        "volumes": camel_keys(_values_of(traits.get("volumes"))),
    }
    if psc:
        spec["securityContext"] = camel_keys(psc)
    spec.update(camel_keys(traits.get("extra_pod_config") or {}))
    return spec


def user_pods(d: Deployment) -> Iterator[Pod]:
    """The user pod of the default server and of each profile."""
    profiles = d.hub.get("KubeSpawner", "profile_list")
    entries: list[tuple[str, Any]] = [("user", None)]
    if isinstance(profiles, list):
        entries += [
            (f"user ({p.get('slug') or i})", p.get("kubespawner_override"))
            for i, p in enumerate(profiles)
            if isinstance(p, Mapping)
        ]
    for name, override in entries:
        traits = spawner_traits(d.hub, override if isinstance(override, Mapping) else None)
        spec = user_pod_spec(traits)
        pod = Pod(name, spec, _trait_origin(d.hub, "pod_security_context"))
        pod.containers["notebook"] = _trait_origin(d.hub, "container_security_context")
        pod.fields["volumes"] = _trait_origin(d.hub, "volumes")
        own = traits.get("container_security_context") or {}
        for trait, context_field in _NOTEBOOK_FIELDS.items():
            if context_field not in own:  # else the security context's origin says it
                pod.container_fields[("notebook", context_field)] = _trait_origin(d.hub, trait)
        extra = traits.get("extra_pod_config")
        for key in camel_keys(extra) if isinstance(extra, Mapping) else {}:
            pod.fields[key] = _trait_origin(d.hub, "extra_pod_config")
        for trait in ("init_containers", "extra_containers"):
            for container in _values_of(traits.get(trait)):
                if isinstance(container, Mapping):
                    origin = _trait_origin(d.hub, trait)
                    if container.get("name") == BLOCK_METADATA_CONTAINER:
                        origin = ("singleuser", "cloudMetadata", "blockWithIptables")
                    pod.containers[str(container.get("name"))] = origin
        yield pod


_NOTEBOOK_FIELDS = {
    "uid": "runAsUser",
    "gid": "runAsGroup",
    "privileged": "privileged",
    "allow_privilege_escalation": "allowPrivilegeEscalation",
}
"""KubeSpawner's own traits for the notebook container's security context (objects.py:449-456)."""


def _trait_origin(hub: HubConfig, trait: str) -> tuple[Any, ...]:
    for section in ("KubeSpawner", "Spawner"):
        origin = hub.origins.get((section, trait))
        if origin:
            return origin
    return ("hub", "config", "KubeSpawner", trait)


def every_pod(d: Deployment) -> Iterator[Pod]:
    """The chart's pods and the user pods.

    The chart's own pods are judged only with the chart's ``values.yaml`` at hand: their
    security contexts are its defaults, and without them every pod would look unhardened
    (``check`` says when the chart's reference files are missing).
    """
    if d.defaults:
        yield from chart_pods(d.chart_values)
    yield from user_pods(d)
