"""``chart.rules``: what chart 4.4.0's templates refuse beyond the schema, and ``check`` saying so.

Each rule is shown three ways: ``chart.rules.problems`` names the key, ``check`` refuses the
stack with one line, and the independent transcription of the templates (tests/chart_templates)
refuses the same values, so the product's model and the chart's agree.
"""

import copy

import pytest

from tests.chart_templates import api_refusals, helm_coalesce, helm_template_failures
from tests.conftest import committed_settings, minimal_config, write_stack
from tests.importer_helpers import call
from up2u_jupyter.chart import rules as chartrules
from up2u_jupyter.dotted import set_path
from up2u_jupyter.render import offline_values


@pytest.fixture(scope="module")
def prod_values():
    return offline_values(committed_settings("prod"))


REFUSED = {
    "hub.fsGid": 1000,
    "hub.fsGid=null": None,  # hasKey: a null counts (the chart's defaults have no hub.fsGid)
    "rbac.enabled": False,
    "hub.extraEnv.JUPYTER_ENABLE_LAB": 1,
    "hub.extraEnv.FLAG": True,
    "hub.extraEnv.EMPTY": None,
    "proxy.chp.extraEnv.PORT": 8000,
    "singleuser.cloudMetadata.blockWithIptables": True,  # with the rule below
    "hub.extraFiles.auth.mountPath": "/usr/local/etc/jupyterhub/jupyterhub_config.d/a.py",
    "hub.extraFiles.cfg": {"mountPath": "/etc/app.py", "data": {"a": 1}},
    "singleuser.extraFiles.x": {"stringData": "text"},
    "singleuser.extraFiles.y": {"mountPath": "/a.txt", "stringData": "a", "binaryData": "Yg=="},
    "singleuser.extraEnv.DB_PORT": 5432,
    "singleuser.extraEnv.IS_STAGING": False,
}


def _mutated(values, case):
    changed = copy.deepcopy(values)
    key, value = case.partition("=")[0], REFUSED[case]
    set_path(changed, key, value)
    if key == "singleuser.cloudMetadata.blockWithIptables":
        set_path(changed, "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer", True)
    return changed


def _chart_refuses(values, chart_defaults):
    merged = helm_coalesce(chart_defaults, values)
    return helm_template_failures(merged) + api_refusals(merged)


def test_the_committed_stacks_pass_the_chart_rules_and_the_templates(chart_defaults):
    for stack in ("dev", "prod"):
        values = offline_values(committed_settings(stack))
        assert chartrules.problems(values) == []
        assert _chart_refuses(values, chart_defaults) == []


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_each_template_refusal_is_a_problem_the_chart_also_raises(
    prod_values, chart_defaults, case
):
    values = _mutated(prod_values, case)
    found = chartrules.problems(values)
    assert len(found) == 1, found
    key = case.partition("=")[0]
    if key == "singleuser.cloudMetadata.blockWithIptables":
        key = "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer"  # the rule blamed
    assert key.startswith(".".join(found[0].key))
    assert _chart_refuses(values, chart_defaults), "the templates accept what chartrules refuses"


def test_the_traefik_environment_is_judged_only_when_the_autohttps_pod_renders(prod_values):
    values = copy.deepcopy(prod_values)
    set_path(values, "proxy.traefik.extraEnv.LEGO_TIMEOUT", 30)
    assert values["proxy"]["https"]["type"] == "offload"
    assert chartrules.problems(values) == []  # no autohttps pod: nothing renders it
    values["proxy"]["https"] = {
        "enabled": True,
        "type": "letsencrypt",
        "hosts": ["hub.example.org"],
        "letsencrypt": {"contactEmail": "ops@example.org"},
    }
    assert [".".join(p.key) for p in chartrules.problems(values)] == [
        "proxy.traefik.extraEnv.LEGO_TIMEOUT"
    ]


def test_a_null_metadata_block_is_off_as_helm_deletes_it(prod_values, chart_defaults):
    values = copy.deepcopy(prod_values)
    set_path(values, "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer", True)
    set_path(values, "singleuser.cloudMetadata.blockWithIptables", None)
    assert chartrules.problems(values) == []
    assert _chart_refuses(values, chart_defaults) == []


def test_text_and_value_from_environments_pass(prod_values):
    values = copy.deepcopy(prod_values)
    set_path(values, "hub.extraEnv.A", "1")
    set_path(values, "hub.extraEnv.B", {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}})
    set_path(values, "singleuser.extraEnv.C", "yes")
    assert chartrules.problems(values) == []


def test_the_rules_defaults_are_the_chart_defaults(chart_defaults):
    for path, default in chartrules.DEFAULTS.items():
        node = chart_defaults
        for part in path:
            node = node[part]
        assert node == default, path


@pytest.mark.parametrize("value", [5432, False, None])
def test_kubespawner_cannot_make_a_user_pod_with_an_environment_value_that_is_not_text(value):
    """Why ``singleuser.extraEnv.X: 1`` is refused: KubeSpawner 7 fails every spawn on it."""
    from kubespawner.objects import make_pod

    def pod(env):
        return make_pod(
            name="jupyter-a", cmd=["jupyterhub-singleuser"], port=8888, image="x:1",
            image_pull_policy="IfNotPresent", env=env,
        )  # fmt: skip

    from kubernetes_asyncio.client.models import V1EnvVar

    assert pod({"DB_PORT": "5432"}).spec.containers[0].env[0].value == "5432"
    if value:  # a number: make_pod reads $(VAR) references in it and fails
        with pytest.raises(TypeError):
            pod({"DB_PORT": value})
    else:  # false or null reach the pod as they are, where the API wants text
        assert pod({"DB_PORT": value}).spec.containers[0].env[0].value is value
        assert V1EnvVar.openapi_types["value"] == "str"


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("hub.fsGid", 1000, "set hub.podSecurityContext.fsGroup instead"),
        ("hub.extraEnv.JUPYTER_ENABLE_LAB", 1, "had an unexpected type (float64)"),
        ("singleuser.extraEnv.DB_PORT", 5432, "KubeSpawner 7 cannot start a user server"),
    ],
)
def test_check_and_values_refuse_with_one_line_naming_the_key(project_dir, key, value, words):
    helm: dict = {}
    set_path(helm, key, value)
    write_stack(project_dir, "s", minimal_config(helmValues=helm))
    for command in ("check", "values"):
        code, out, err = call(command, "--stack", "s", "--project-dir", project_dir)
        assert code == 1 and out == ""
        lines = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(lines) == 1 and f"error: values {key} (stack s): " in lines[0]
        assert words in lines[0] and "Traceback" not in err
