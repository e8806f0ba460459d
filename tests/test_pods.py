"""Pod templates and Pod Security Standards: the user-pod model is the real KubeSpawner's, every
pod the committed stacks render passes restricted, and each control of the standard is judged
as the Kubernetes documentation states it."""

import asyncio
import copy
from typing import Any

import pytest
from traitlets.config import Config

from tests.conftest import committed_settings, minimal_config
from up2u_jupyter.deployment import effective, judge
from up2u_jupyter.deployment.pods import chart_pods, spawner_traits, user_pod_spec
from up2u_jupyter.deployment.podsecurity import namespace_labels, violations
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings

kubespawner = pytest.importorskip("kubespawner")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)


def deployment(**overrides: Any) -> Any:
    settings = load_settings(minimal_config(**overrides), "dev")
    return effective(settings, offline_values(settings))


def real_pod(d: Any, profile: str | None = None) -> dict[str, Any]:
    """The pod spec the real KubeSpawner 7.0.0 makes from the hub config check derived."""
    from kubernetes_asyncio.client import ApiClient

    config = Config()
    for section in ("Spawner", "KubeSpawner"):
        for trait, value in d.hub.sections.get(section, {}).items():
            config[section][trait] = copy.deepcopy(value)
    spawner = kubespawner.KubeSpawner(config=config, _mock=True)
    spawner.api_token = "token"
    if profile is not None:
        spawner.user_options = spawner.options_from_form({"profile": [profile]})
        asyncio.run(spawner.load_user_options())
    pod = asyncio.run(spawner.get_pod_manifest())
    return ApiClient.__new__(ApiClient).sanitize_for_serialization(pod)["spec"]


def security_view(spec: dict[str, Any]) -> dict[str, Any]:
    """What Pod Security Standards look at, names of generated volumes left out."""

    def containers(field: str) -> list[Any]:
        return [
            (
                c.get("name"),
                c.get("securityContext") or None,
                [p.get("hostPort") for p in c.get("ports") or []],
            )
            for c in spec.get(field) or []
        ]

    return {
        "securityContext": spec.get("securityContext") or None,
        "containers": containers("containers"),
        "initContainers": containers("initContainers"),
        "volumes": sorted(sorted(set(v) - {"name"}) for v in spec.get("volumes") or []),
        **{k: spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")},
    }


HOSTILE_USER_PODS = {
    "the stack as it is": {},
    "the chart's iptables container": {
        "singleuser": {"cloudMetadata": {"blockWithIptables": True}}
    },
    "a privileged init container": {
        "singleuser": {
            "initContainers": [
                {"name": "setup", "image": "busybox", "securityContext": {"privileged": True}}
            ]
        }
    },
    "a sidecar with no security context": {
        "singleuser": {
            "extraContainers": [
                {
                    "name": "sidecar",
                    "image": "busybox",
                    "ports": [{"containerPort": 80, "hostPort": 80}],
                }
            ]
        }
    },
    "the pod's context replaced": {
        "singleuser": {"extraPodConfig": {"securityContext": {"fsGroup": 100}, "hostNetwork": True}}
    },
    "no uid": {"singleuser": {"uid": None}},
    "the container context replaced": {
        "hub": {
            "config": {
                "KubeSpawner": {
                    "container_security_context": {"capabilities": {"add": ["SYS_ADMIN"]}}
                }
            }
        }
    },
    "a hostPath volume": {
        "singleuser": {
            "storage": {
                "extraVolumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]
            }
        }
    },
}


@pytest.mark.parametrize("helm", HOSTILE_USER_PODS.values(), ids=list(HOSTILE_USER_PODS))
def test_the_user_pod_model_is_what_the_real_kubespawner_makes(helm):
    d = deployment(helmValues=helm)
    model = user_pod_spec(spawner_traits(d.hub))
    real = real_pod(d)
    assert security_view(model) == security_view(real)
    for level in ("baseline", "restricted"):
        assert violations(model, level) == violations(real, level)


def test_profiles_are_modelled_as_kubespawner_applies_their_overrides():
    profiles = [
        {"slug": "plain", "displayName": "Plain", "default": True},
        {"slug": "gpu", "displayName": "GPU"},
    ]
    helm = {
        "singleuser": {
            "profileList": [
                {"slug": "plain", "display_name": "Plain", "default": True},
                {
                    "slug": "gpu",
                    "display_name": "GPU",
                    "kubespawner_override": {
                        "container_security_context": {"privileged": True},
                        "extra_pod_config": {"hostIPC": True},
                    },
                },
            ]
        }
    }
    d = deployment(profiles=profiles, helmValues=helm)
    override = d.hub.get("KubeSpawner", "profile_list")[1]["kubespawner_override"]
    model = user_pod_spec(spawner_traits(d.hub, override))
    real = real_pod(d, profile="gpu")
    assert security_view(model) == security_view(real)
    assert violations(model, "baseline") == violations(real, "baseline") != []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_pod_of_the_committed_stacks_passes_restricted(stack):
    settings = committed_settings(stack)
    d = effective(settings, offline_values(settings))
    assert d.defaults, "the chart's values.yaml is needed to judge its pods"
    names = [pod.name for pod in chart_pods(d.chart_values)]
    assert {"hub", "proxy", "continuous-image-puller", "user-placeholder"} <= set(names)
    for pod in chart_pods(d.chart_values):
        assert violations(pod.spec, "restricted") == [], pod.name
    assert violations(real_pod(d), "restricted") == []  # the real KubeSpawner's user pod


def test_every_chart_pod_is_judged_when_the_stack_turns_it_on():
    d = deployment(
        https={"mode": "letsencrypt", "contactEmail": "ops@example.org"},
        scheduling={"userScheduler": True},
        prePuller={"hook": True, "continuous": True},
    )
    names = {pod.name for pod in chart_pods(d.chart_values)}
    assert names == {
        "hub",
        "proxy",
        "autohttps",
        "user-scheduler",
        "user-placeholder",
        "hook-image-puller",
        "continuous-image-puller",
        "hook-image-awaiter",
    }
    assert judge(d) == []


def test_a_chart_pod_setting_that_breaks_the_level_is_named_by_its_key():
    d = deployment(
        helmValues={
            "hub": {"extraPodSpec": {"hostNetwork": True}},
            "proxy": {"chp": {"containerSecurityContext": {"runAsUser": 0}}},
        }
    )
    lines = [f.line("dev") for f in judge(d)]
    assert any(
        line.startswith(
            "up2u-jupyter:helmValues.hub.extraPodSpec.hostNetwork (stack dev): hub pod: "
            "shares the node's namespace (hostNetwork)"
        )
        for line in lines
    ), lines
    assert any(
        "helmValues.proxy.chp.containerSecurityContext" in line
        and "container chp" in line
        and "runs as user 0 (root)" in line
        for line in lines
    ), lines


def test_baseline_is_a_choice_and_still_refuses_what_baseline_forbids():
    nfs = {
        "singleuser": {
            "storage": {"extraVolumes": [{"name": "home", "nfs": {"server": "n", "path": "/"}}]}
        }
    }
    assert judge(deployment(helmValues=nfs))  # restricted: nfs is no allowed volume type
    assert judge(deployment(helmValues=nfs, podSecurity="baseline")) == []
    privileged = {"singleuser": {"cloudMetadata": {"blockWithIptables": True}}}
    assert judge(deployment(helmValues=privileged, podSecurity="baseline"))


def test_the_metadata_server_stays_blocked_without_the_privileged_container():
    open_netpol = {
        "singleuser": {"networkPolicy": {"egressAllowRules": {"cloudMetadataServer": True}}}
    }
    [finding] = judge(deployment(helmValues=open_netpol))
    assert finding.key == (
        "up2u-jupyter:helmValues.singleuser.networkPolicy.egressAllowRules.cloudMetadataServer"
    )
    assert "cloud metadata service" in finding.message
    off = {"singleuser": {"networkPolicy": {"enabled": False}}}
    assert [f.key for f in judge(deployment(helmValues=off))] == [
        "up2u-jupyter:helmValues.singleuser.networkPolicy.enabled"
    ]


def test_the_namespace_enforces_the_level_and_warns_at_restricted():
    assert namespace_labels("baseline") == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


# --- each control, as the documentation states it -------------------------------------------------

GOOD = {
    "name": "c",
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def pod_with(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"containers": [copy.deepcopy(GOOD)]}
    base.update(spec)
    return base


def container_with(**security: Any) -> dict[str, Any]:
    container = copy.deepcopy(GOOD)
    container["securityContext"].update(security)
    return pod_with(containers=[container])


CONTROLS = [
    # (spec, lowest level that refuses it, words)
    (pod_with(hostNetwork=True), "baseline", "hostNetwork"),
    (pod_with(hostPID=True), "baseline", "hostPID"),
    (pod_with(volumes=[{"name": "h", "hostPath": {"path": "/"}}]), "baseline", "hostPath"),
    (container_with(privileged=True), "baseline", "privileged"),
    (container_with(capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]}), "baseline", "NET_ADMIN"),
    (container_with(procMount="Unmasked"), "baseline", "procMount"),
    (container_with(seccompProfile={"type": "Unconfined"}), "baseline", "Unconfined"),
    (container_with(seLinuxOptions={"type": "spc_t"}), "baseline", "SELinux"),
    (container_with(appArmorProfile={"type": "Unconfined"}), "baseline", "AppArmor"),
    (
        pod_with(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}),
        "baseline",
        "sysctl",
    ),
    (
        pod_with(containers=[{**GOOD, "ports": [{"containerPort": 80, "hostPort": 80}]}]),
        "baseline",
        "host port",
    ),
    (
        pod_with(
            containers=[{**GOOD, "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}]
        ),
        "baseline",
        "probes another host",
    ),
    (pod_with(volumes=[{"name": "n", "nfs": {"server": "s", "path": "/"}}]), "restricted", "nfs"),
    (container_with(allowPrivilegeEscalation=None), "restricted", "escalate"),
    (container_with(runAsNonRoot=None), "restricted", "runAsNonRoot"),
    (container_with(runAsUser=0), "restricted", "user 0"),
    (container_with(seccompProfile=None), "restricted", "seccomp"),
    (container_with(capabilities={}), "restricted", "drop ALL"),
    (container_with(capabilities={"drop": ["ALL"], "add": ["CHOWN"]}), "restricted", "CHOWN"),
]


@pytest.mark.parametrize(("spec", "level", "words"), CONTROLS, ids=[c[2] for c in CONTROLS])
def test_each_control_refuses_at_its_level(spec, level, words):
    found = violations(spec, "restricted")
    assert any(words in what for _, what in found), found
    assert bool(violations(spec, "baseline")) == (level == "baseline")


def test_pod_level_settings_count_for_every_container():
    spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "c",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }
    assert violations(spec, "restricted") == []
    assert violations(pod_with(), "restricted") == []
    assert (
        violations(
            container_with(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
            "restricted",
        )
        == []
    )
