"""Pod Security Standards: every pod the stack renders passes the level its namespace enforces.

The rules are the Kubernetes documentation's ("Pod Security Standards",
https://kubernetes.io/docs/concepts/security/pod-security-standards/, as of v1.34; read from
the mirror dancer1325/kubernetes-website content/en/docs/concepts/security/
pod-security-standards.md @ f915fce8deec771532b4b17e64a38f32c78f3ac2). "If any of the listed
containers fails to meet the requirements, the entire pod will fail validation": a pod that
breaks the namespace's level is never created.

The program labels the namespace with ``podSecurity`` (``pod-security.kubernetes.io/enforce``);
``check`` judges every pod template at that level (``pods.py``). And the cloud metadata service
stays out of reach of user servers: through the chart's singleuser egress NetworkPolicy, since
the chart's other way (a privileged iptables init container) breaks ``baseline``.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from ..credentials import PROJECT
from .model import Deployment, Finding
from .pods import every_pod

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""Capabilities baseline lets a container add."""
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
"""Sysctls baseline allows (1.27+ and 1.29+ additions included)."""
SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
"""The volume types restricted allows."""
LEVELS = ("baseline", "restricted")
PROBLEM_FIELDS = (
    ("runs as user 0", "runAsUser"),
    ("is privileged", "privileged"),
    ("may escalate privileges", "allowPrivilegeEscalation"),
)
"""The security context field a container problem is about (to name the key that sets it)."""


def namespace_labels(level: str) -> dict[str, str]:
    """The namespace labels that enforce ``level`` and warn and audit at restricted."""
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(field) or []:
            if isinstance(container, Mapping):
                yield container


def _sc(item: Mapping[str, Any]) -> Mapping[str, Any]:
    value = item.get("securityContext")
    return value if isinstance(value, Mapping) else {}


POD_CONTEXT, VOLUMES = "/securityContext", "/volumes"
"""Where a pod-level problem is: ``/<field of the pod spec>`` (a container name never starts
with '/')."""


def baseline(spec: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    """(container name, or ``/<pod spec field>``, what breaks baseline) of a pod spec."""
    pod = _sc(spec)
    if (pod.get("windowsOptions") or {}).get("hostProcess"):
        yield POD_CONTEXT, "runs as a Windows HostProcess"
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            yield f"/{field}", f"shares the node's namespace ({field})"
    for volume in spec.get("volumes") or []:
        if isinstance(volume, Mapping) and "hostPath" in volume:
            yield VOLUMES, f"mounts a hostPath volume ({volume.get('name')})"
    yield from (_pod_common(POD_CONTEXT, pod, baseline=True))
    for sysctl in pod.get("sysctls") or []:
        name = sysctl.get("name") if isinstance(sysctl, Mapping) else None
        if name not in SAFE_SYSCTLS:
            yield POD_CONTEXT, f"sets the unsafe sysctl {name}"
    for container in _containers(spec):
        name = str(container.get("name"))
        sc = _sc(container)
        if sc.get("privileged"):
            yield name, "is privileged"
        added = set(((sc.get("capabilities") or {}).get("add")) or [])
        if added - BASELINE_CAPABILITIES:
            yield name, f"adds capabilities {', '.join(sorted(added - BASELINE_CAPABILITIES))}"
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            yield name, "runs as a Windows HostProcess"
        for port in container.get("ports") or []:
            if isinstance(port, Mapping) and port.get("hostPort"):
                yield name, f"uses host port {port.get('hostPort')}"
        if sc.get("procMount") not in (None, "Default"):
            yield name, f"uses procMount {sc.get('procMount')}"
        yield from _pod_common(name, sc, baseline=True)
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if _probe_host(container.get(probe)):
                yield name, f"probes another host ({probe})"
        for hook in ("postStart", "preStop"):
            if _probe_host((container.get("lifecycle") or {}).get(hook)):
                yield name, f"runs a lifecycle hook against another host ({hook})"


def _probe_host(probe: Any) -> bool:
    if not isinstance(probe, Mapping):
        return False
    return any(
        isinstance(probe.get(kind), Mapping) and probe[kind].get("host")
        for kind in ("httpGet", "tcpSocket")
    )


def _pod_common(
    name: str | None, sc: Mapping[str, Any], baseline: bool
) -> Iterator[tuple[str | None, str]]:
    """Controls pod and container security contexts share (AppArmor, SELinux, seccomp)."""
    apparmor = (sc.get("appArmorProfile") or {}).get("type")
    if apparmor not in (None, "RuntimeDefault", "Localhost"):
        yield name, f"uses AppArmor profile {apparmor}"
    selinux = sc.get("seLinuxOptions") or {}
    if selinux.get("type", "") not in SELINUX_TYPES:
        yield name, f"uses SELinux type {selinux.get('type')}"
    if selinux.get("user") or selinux.get("role"):
        yield name, "sets an SELinux user or role"
    if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield name, "runs seccomp Unconfined"


def restricted(spec: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    """What breaks restricted, beyond baseline, of a pod spec."""
    pod = _sc(spec)
    for volume in spec.get("volumes") or []:
        if isinstance(volume, Mapping):
            kinds = set(volume) - {"name"}
            if not kinds & RESTRICTED_VOLUMES:
                kind = "/".join(sorted(kinds)) or "bare"
                yield VOLUMES, f"mounts a {kind} volume ({volume.get('name')})"
    if pod.get("runAsUser") == 0:
        yield POD_CONTEXT, "runs as user 0 (root)"
    pod_non_root = pod.get("runAsNonRoot") is True
    pod_seccomp = (pod.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
    if pod.get("runAsNonRoot") is False:
        yield POD_CONTEXT, "sets runAsNonRoot: false"
    for container in _containers(spec):
        name = str(container.get("name"))
        sc = _sc(container)
        if sc.get("allowPrivilegeEscalation") is not False:
            yield name, "may escalate privileges (allowPrivilegeEscalation is not false)"
        non_root = sc.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            yield name, "may run as root (runAsNonRoot is not true)"
        if sc.get("runAsUser") == 0:
            yield name, "runs as user 0 (root)"
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost") and not (seccomp is None and pod_seccomp):
            yield name, "has no RuntimeDefault (or Localhost) seccomp profile"
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            yield name, "does not drop ALL capabilities"
        added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            yield name, f"adds capabilities {', '.join(sorted(added))}"


def violations(spec: Mapping[str, Any], level: str) -> list[tuple[str | None, str]]:
    """Every way a pod spec breaks a level (baseline, or restricted which includes it)."""
    found = list(dict.fromkeys(baseline(spec)))
    if level == "restricted":
        found += [v for v in dict.fromkeys(restricted(spec)) if v not in found]
    return found


def check(d: Deployment) -> list[Finding]:
    """Every pod passes ``podSecurity``; the metadata service is blocked without privilege."""
    return [*pod_findings(d), *_metadata_blocked(d)]


def pod_findings(d: Deployment) -> list[Finding]:
    """What breaks ``podSecurity`` in the pod templates, one line per key, pod and container."""
    level = d.settings.pod_security
    grouped: dict[tuple[str, str, str | None], list[str]] = {}
    for pod in every_pod(d):
        for where, problem in violations(pod.spec, level):
            if where is not None and where.startswith("/"):
                origin, container = pod.fields.get(where[1:], pod.origin), None
            else:
                container = where
                origin = pod.containers.get(str(where), pod.origin)
                field = next((f for words, f in PROBLEM_FIELDS if problem.startswith(words)), "")
                origin = pod.container_fields.get((str(where), field), origin)
            key = d.key(*origin)
            grouped.setdefault((key, pod.name, container), []).append(problem)
    found = []
    seen: set[tuple[str, str | None, tuple[str, ...]]] = set()
    for (key, pod_name, container), problems in grouped.items():
        mark = (key, container, tuple(problems))
        if mark in seen:  # the same container in several user pods (profiles): once
            continue
        seen.add(mark)
        where = f"{pod_name} pod" + (f", container {container}" if container else "")
        volumes = all(" volume (" in problem for problem in problems)
        found.append(
            Finding(
                key,
                f"{where}: {'; '.join(problems)}, which the namespace's Pod Security level "
                f"{level} refuses, so the pod would never start; {_fix(level, volumes)}",
            )
        )
    return found


def _fix(level: str, volumes: bool = False) -> str:
    if volumes:
        return (
            "use a volume type the level allows: a PersistentVolumeClaim, or a CSI driver for a "
            "node's files (e.g. CVMFS's)"
        )
    if level == "restricted":
        return (
            "remove the setting, or give the container runAsNonRoot, allowPrivilegeEscalation: "
            f"false, capabilities drop [ALL] and seccomp RuntimeDefault (or set {PROJECT}:"
            "podSecurity: baseline if it truly needs more)"
        )
    return "remove the setting: baseline is the least a stack may enforce"


def _metadata_blocked(d: Deployment) -> list[Finding]:
    """The cloud metadata service (node credentials) is out of reach of user servers."""
    if d.chart_map("singleuser", "cloudMetadata").get("blockWithIptables") is True:
        return []  # blocked, with a privileged container the pod checks above refuse
    policy = d.chart_map("singleuser", "networkPolicy")
    egress = d.chart_map("singleuser", "networkPolicy", "egressAllowRules")
    if policy.get("enabled") is not False and egress.get("cloudMetadataServer") is not True:
        return []
    path = (
        ("singleuser", "networkPolicy", "enabled")
        if policy.get("enabled") is False
        else ("singleuser", "networkPolicy", "egressAllowRules", "cloudMetadataServer")
    )
    return [
        Finding(
            d.key(*path),
            "lets user servers reach the cloud metadata service "
            f"({d.chart_map('singleuser', 'cloudMetadata').get('ip', '169.254.169.254')}), "
            "which hands out the node's credentials; keep the singleuser NetworkPolicy enabled "
            "with egressAllowRules.cloudMetadataServer false",
        )
    ]
