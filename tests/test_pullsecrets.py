"""imagePullSecrets: a private registry's pull Secrets reach the hub, every user server and the
pre-puller through the chart's own keys."""

import pytest

from tests.conftest import ROOT, minimal_config, write_stack
from tests.test_cli import call
from up2u_jupyter.chart import coalesce
from up2u_jupyter.chart.schema import problems
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config

REGISTRY = ["up2u-registry", "up2u-mirror.eu"]


def values_with(**config):
    return offline_values(load_settings(minimal_config(**config), "test"))


def committed_with_pull_secrets(stack):
    """A committed stack's settings with imagePullSecrets added."""
    values = read_stack_config(ROOT, stack).values
    return load_settings({**values, "imagePullSecrets": REGISTRY}, stack)


def test_the_hub_and_user_images_get_the_pull_secrets():
    values = offline_values(committed_with_pull_secrets("prod"))
    # prod's own images keep their name and tag; the chart reads pullSecrets beside them for
    # the hub's pod, every user server and the pre-puller's DaemonSets
    assert values["hub"]["image"] == {
        "name": "registry.up2u.example.org/jupyter/k8s-hub",
        "tag": "4.4.0-up2u.1",
        "pullSecrets": REGISTRY,
    }
    assert values["singleuser"]["image"] == {
        "name": "registry.up2u.example.org/jupyter/k8s-singleuser",
        "tag": "4.4.0-up2u.1",
        "pullSecrets": REGISTRY,
    }


def test_without_the_key_no_pull_secret_is_rendered():
    values = values_with()
    assert "image" not in values["hub"] and "image" not in values["singleuser"]


def test_helm_values_still_have_the_last_word():
    values = values_with(
        imagePullSecrets=["up2u-registry"],
        helmValues={"singleuser": {"image": {"pullSecrets": ["other"]}}},
    )
    assert values["singleuser"]["image"]["pullSecrets"] == ["other"]
    assert values["hub"]["image"]["pullSecrets"] == ["up2u-registry"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_chart_schema_accepts_them(stack, chart_schema, chart_defaults):
    values = offline_values(committed_with_pull_secrets(stack))
    assert problems(coalesce(chart_defaults, values), chart_schema) == []


def test_a_name_that_is_no_secret_name_is_one_line_naming_key_value_and_fix(project_dir):
    write_stack(project_dir, "s", minimal_config(imagePullSecrets=["regcred", "Reg_Cred"]))
    code, out, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "error: up2u-jupyter:imagePullSecrets.1 (stack s): 'Reg_Cred': not a Kubernetes Secret "
        "name; use at most 253 lowercase letters, digits, '-' and '.', starting and ending with "
        "a letter or digit (e.g. up2u-registry)"
    ]


def test_kubespawner_puts_them_on_the_user_pod():
    kubespawner = pytest.importorskip("kubespawner")
    user = offline_values(committed_with_pull_secrets("prod"))["singleuser"]
    # jupyterhub_config.py (z2jh 4.4.0, lines 200-212): KubeSpawner.image_pull_secrets is the
    # chart's global imagePullSecrets (empty here) extended by singleuser.image.pullSecrets
    pod = kubespawner.objects.make_pod(
        name="jupyter-pupil",
        cmd=["jupyterhub-singleuser"],
        port=8888,
        image=f"{user['image']['name']}:{user['image']['tag']}",
        image_pull_secrets=[*[], *user["image"]["pullSecrets"]],
    )
    assert [ref.name for ref in pod.spec.image_pull_secrets] == REGISTRY
