"""The whole real-file corpus, judged as the chart judges it and as an operator meets it.

``check`` agrees with the chart: each fixture's imported stack renders to values that neither
``chart.rules`` nor the independent transcription of the chart's templates (tests/
chart_templates.py, over the chart's own values.yaml as Helm coalesces it) refuse; and when a
refusal is planted in the stack, ``check`` and the templates both refuse it. One run asks
everything: the first import of a fixture (no answers) asks for each answer its case gives.
"""

import copy

import pytest
import yaml

from tests.chart_templates import api_refusals, helm_coalesce, helm_template_failures
from tests.importer_helpers import REAL, call, import_values, rendered
from tests.test_importer_corpus import CORPUS
from up2u_jupyter.chart import rules as chartrules
from up2u_jupyter.dotted import set_path


def _params():
    return [
        pytest.param(name, *case.values, marks=case.marks, id=name.removesuffix(".yaml"))
        for name, case in CORPUS.items()
    ]


def _chart_refuses(values, chart_defaults):
    merged = helm_coalesce(chart_defaults, values)
    return helm_template_failures(merged) + api_refusals(merged)


PLANTED = {
    "hub.fsGid": 1000,
    "rbac.enabled": True,
    "hub.extraEnv.JUPYTER_ENABLE_LAB": 1,
    "singleuser.extraEnv.DB_PORT": 5432,
    "singleuser.cloudMetadata.blockWithIptables": True,
    "singleuser.networkPolicy.enabled": True,
    "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer": True,
    "hub.extraFiles.spawner.mountPath": "/usr/local/etc/jupyterhub/jupyterhub_config.d/s.py",
}
"""What the chart refuses, planted together in an imported stack's helmValues."""


@pytest.mark.parametrize(("name", "args", "expect"), _params())
def test_check_agrees_with_the_charts_templates_on_every_fixture(
    project_dir, chart_defaults, name, args, expect
):
    code, _, err = import_values(project_dir, REAL / name, *args)
    assert code == 0, err
    values = rendered(project_dir)
    assert chartrules.problems(values) == []
    assert _chart_refuses(values, chart_defaults) == []
    # the same stack with the chart's refusals planted: check refuses, and so do the templates
    stack_file = project_dir / "Pulumi.imported.yaml"
    document = yaml.safe_load(stack_file.read_text())
    helm = copy.deepcopy(document["config"].get("up2u-jupyter:helmValues") or {})
    for key, value in PLANTED.items():
        set_path(helm, key, value)
    document["config"]["up2u-jupyter:helmValues"] = helm
    stack_file.write_text(yaml.safe_dump(document))
    code, _, err = call("check", "--stack", "imported", "--project-dir", project_dir)
    refused = {line.split(" (stack")[0].removeprefix("error: values ") for line in err.splitlines()}
    assert code == 1
    assert {
        "hub.fsGid",
        "rbac.enabled",
        "hub.extraEnv.JUPYTER_ENABLE_LAB",
        "singleuser.extraEnv.DB_PORT",
        "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer",
        "hub.extraFiles.spawner",
    } <= refused
    said = "\n".join(_chart_refuses(rendered(project_dir), chart_defaults))
    for words in (
        "rbac.enabled",
        "hub.fsGid",
        "blockWithIptables",
        "JUPYTER_ENABLE_LAB",
        "(spawner)",
    ):
        assert words in said, words
    assert "singleuser.extraEnv.DB_PORT" in said


ANSWERED_BY_CHOICE = ("auth.secretOptions.", "auth.options.", "auth.authorizeUrl", "auth.tokenUrl")
"""Keys a chosen authenticator needs, which its question names as a group (``--set
auth.type=NAME``, ``with its auth.authorizeUrl/tokenUrl/userdataUrl``) or that follow from it."""


@pytest.mark.parametrize(("name", "args", "expect"), _params())
def test_the_first_run_asks_for_every_answer_at_once(project_dir, name, args, expect):
    code, _, err = import_values(project_dir, REAL / name)
    if not args:
        assert code == 0, err  # converted as it is
        return
    assert code == 1
    questions = err.split("the imported config needs:\n", 1)[1]
    chose_type = any(arg.startswith("auth.type=") for arg in args)
    for flag, answer in zip(args[::2], args[1::2], strict=True):
        key = flag if flag in ("--from-chart", "--domain") else answer.partition("=")[0]
        if chose_type and key.startswith(ANSWERED_BY_CHOICE):
            continue
        assert key.rpartition(".")[2] in questions, f"{name}: {key} was not asked"
