"""The offline commands: `values` and `check`, their exit codes and their messages."""

import io
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT, minimal_config, write_stack
from up2u_jupyter.cli import run
from up2u_jupyter.render import PLACEHOLDER
from up2u_jupyter.stackfile import read_stack_config


def call(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_check_accepts_the_committed_stacks(stack):
    code, out, err = call("check", "--stack", stack, "--project-dir", str(ROOT))
    assert (code, out) == (0, f"stack {stack}: config is valid\n")
    assert f"up2u-jupyter:oauthClientSecret (stack {stack}) is not set" in err


def test_values_prints_yaml_with_placeholders_for_every_secret():
    code, out, _ = call("values", "--stack", "prod", "--project-dir", str(ROOT))
    values = yaml.safe_load(out)
    assert code == 0
    assert values["proxy"]["secretToken"] == PLACEHOLDER
    assert values["hub"]["cookieSecret"] == PLACEHOLDER
    assert values["hub"]["config"]["CryptKeeper"]["keys"] == [PLACEHOLDER]
    assert values["hub"]["activeServerLimit"] == 100


def test_values_output_is_deterministic_for_diffs():
    first = call("values", "--stack", "prod", "--project-dir", str(ROOT))[1]
    assert first == call("values", "--stack", "prod", "--project-dir", str(ROOT))[1]


@pytest.mark.parametrize("form", ["encrypted", "plain", "absent"])
def test_secrets_are_never_printed_whatever_their_form(project_dir, form):
    extra = {
        "encrypted": {"up2u-jupyter:oauthClientSecret": {"secure": "v1:c2VjcmV0LXZhbHVlLWhlcmU="}},
        "plain": {"up2u-jupyter:oauthClientSecret": "plain-text-client-secret"},
        "absent": {},
    }[form]
    write_stack(project_dir, "s", minimal_config(), **extra)
    code, out, err = call("values", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 0
    assert "plain-text-client-secret" not in out + err
    assert "c2VjcmV0LXZhbHVlLWhlcmU" not in out + err
    if form == "absent":
        assert "is not set" in err
    elif form == "plain":
        assert "stored in plain text" in err
    else:
        assert err == ""


def test_check_reports_every_problem_and_exits_1(project_dir):
    write_stack(project_dir, "bad", minimal_config(namespace="Bad", cull={"every": 0}))
    code, out, err = call("check", "--stack", "bad", "--project-dir", str(project_dir))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert [line.split(" ")[1] for line in lines] == [
        "up2u-jupyter:namespace",
        "up2u-jupyter:cull.every",
    ]
    assert all(line.startswith("error: ") and "(stack bad)" in line for line in lines)


def test_values_refuses_an_invalid_config_exactly_as_check(project_dir):
    write_stack(project_dir, "bad", minimal_config(namespace="Bad"))
    check = call("check", "--stack", "bad", "--project-dir", str(project_dir))
    values = call("values", "--stack", "bad", "--project-dir", str(project_dir))
    assert values == check and values[0] == 1


def test_invalid_yaml_is_a_config_error_naming_file_and_line(project_dir):
    (project_dir / "Pulumi.broken.yaml").write_text(
        "config:\n  up2u-jupyter:namespace: [jhub\n  x: 1\n"
    )
    code, _, err = call("check", "--stack", "broken", "--project-dir", str(project_dir))
    assert code == 1
    assert err.startswith("error: Pulumi.broken.yaml (stack broken): not valid YAML at line 3")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "must be a YAML mapping"),
        ("config: [1, 2]\n", "must be a mapping of config keys"),
    ],
)
def test_stack_file_of_the_wrong_shape_is_a_config_error(project_dir, text, message):
    (project_dir / "Pulumi.odd.yaml").write_text(text)
    code, _, err = call("check", "--stack", "odd", "--project-dir", str(project_dir))
    assert code == 1 and message in err


def test_encrypted_non_secret_key_cannot_be_checked_offline(project_dir):
    write_stack(project_dir, "s", minimal_config(), **{"up2u-jupyter:domain": {"secure": "v1:abc"}})
    code, _, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and "set it without --secret" in err


def test_missing_stack_file_is_a_usage_error(project_dir):
    write_stack(project_dir, "dev", minimal_config())
    code, _, err = call("check", "--stack", "nope", "--project-dir", str(project_dir))
    assert code == 2
    assert err == f"error: no stack file Pulumi.nope.yaml in {project_dir}; known stacks: dev\n"


@pytest.mark.parametrize(
    "argv", [[], ["check"], ["frobnicate", "--stack", "dev"], ["check", "--stack"]]
)
def test_bad_arguments_are_usage_errors(argv):
    code, _, err = call(*argv)
    assert code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1


def test_bare_keys_and_project_defaults_are_read_like_pulumi(project_dir):
    (project_dir / "Pulumi.yaml").write_text(
        (ROOT / "Pulumi.yaml").read_text()
        + "config:\n  up2u-jupyter:namespace:\n    default: from-project\n"
        + "  releaseName:\n    value: from-project-value\n"
    )
    config = minimal_config()
    path = project_dir / "Pulumi.s.yaml"
    path.write_text(yaml.safe_dump({"config": {**config, "kubernetes:context": "ctx"}}))
    code, _, _ = call("values", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 0

    settings = read_stack_config(project_dir, "s").values
    assert (
        settings["namespace"] == "from-project" and settings["releaseName"] == "from-project-value"
    )
    assert "kubernetes:context" not in settings and "context" not in settings


def test_module_entry_point_runs_with_no_traceback(project_dir):
    write_stack(project_dir, "bad", minimal_config(domain="https://x.example.org"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "up2u_jupyter",
            "check",
            "--stack",
            "bad",
            "--project-dir",
            str(project_dir),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: up2u-jupyter:domain (stack bad): 'https://x.example.org'"
    )


def test_secret_looking_helm_values_warn_by_key_and_are_hidden_in_print(project_dir):
    config = minimal_config(
        helmValues={
            "hub": {
                "db": {"password": "CANARY-1"},
                "extraEnv": {"GRADER_API_KEY": "CANARY-2"},
            },
            "proxy": {"secretToken": "CANARY-3"},
        },
        singleuser={"extraEnv": {"MY_API_TOKEN": "CANARY-4", "GREETING": "hello"}},
    )
    write_stack(project_dir, "s", config)
    for command in ("check", "values"):
        code, out, err = call(command, "--stack", "s", "--project-dir", str(project_dir))
        assert code == 0
        assert "CANARY" not in out + err
        warned = sorted(line.split(" ")[1] for line in err.splitlines() if "looks like" in line)
        assert warned == [
            "up2u-jupyter:helmValues.hub.db.password",
            "up2u-jupyter:helmValues.hub.extraEnv.GRADER_API_KEY",
            "up2u-jupyter:helmValues.proxy.secretToken",
            "up2u-jupyter:singleuser.extraEnv.MY_API_TOKEN",
        ]
    values = yaml.safe_load(out)
    assert values["hub"]["db"]["password"] == "<secret: hidden>"
    assert values["singleuser"]["extraEnv"] == {
        "MY_API_TOKEN": "<secret: hidden>",
        "GREETING": "hello",
    }


def test_an_error_about_a_map_never_prints_its_content(project_dir):
    auth = {k: v for k, v in minimal_config()["auth"].items() if k != "allowAll"}
    auth["userdataParams"] = {"token": "CANARY-map"}
    write_stack(project_dir, "s", minimal_config(auth=auth))
    code, _, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and "CANARY" not in err
    assert "up2u-jupyter:auth (stack s): a mapping of " in err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://hub:CANARY-pw@db:5432/hub",
        "postgresql://hub@db:5432/hub?password=CANARY-pw",
        "postgresql://hub@db:5432/hub?sslpassword=CANARY-pw&sslmode=require",
        "postgresql://hub:CANARY-pw@[::1:5432/hub",
    ],
)
def test_database_urls_with_passwords_are_refused_without_printing_them(project_dir, url):
    write_stack(project_dir, "s", minimal_config(hub={"db": {"type": "postgres", "url": url}}))
    code, out, err = call("values", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and "CANARY" not in out + err
    assert "up2u-jupyter:hub.db.url (stack s): " in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("stack", ["../x", "d/../../x", "a/b", "..", "x\ny", ""])
def test_a_stack_must_be_a_name_not_a_path(project_dir, stack):
    code, _, err = call("check", "--stack", stack, "--project-dir", str(project_dir))
    assert code == 2 and err.startswith("error: argument --stack: ")
    assert len(err.splitlines()) == 1


def test_secret_env_entries_render_by_name_and_plain_ones_warn(project_dir):
    write_stack(
        project_dir,
        "s",
        minimal_config(),
        **{"up2u-jupyter:secretEnv": {"API_KEY": {"secure": "v1:abc"}, "OTHER": "CANARY-plain"}},
    )
    code, out, err = call("values", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 0 and "CANARY" not in out + err
    env = yaml.safe_load(out)["hub"]["extraEnv"]
    assert env["API_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "env-API_KEY"
    assert env["OTHER"]["valueFrom"]["secretKeyRef"]["key"] == "env-OTHER"
    assert (
        "warning: up2u-jupyter:secretEnv.OTHER (stack s) is stored in plain text in the stack "
        "file; remove it and run: pulumi config set --secret --path 'up2u-jupyter:secretEnv.OTHER' "
        "<value> --stack s"
    ) in err.splitlines()


def test_a_chart_schema_error_at_a_secret_key_never_shows_the_value(project_dir, chart_schema):
    write_stack(
        project_dir, "s", minimal_config(helmValues={"hub": {"db": {"password": 98765432123}}})
    )
    code, out, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and "98765432123" not in out + err
    assert "values hub.db.password (stack s): <secret: hidden> is not of type" in err


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"domain": "https://admin:CANARY-pw@/x"}, "domain"),
        ({"chart": {"repo": "https://bot:CANARY-pw@charts.example.org/"}}, "chart.repo"),
        ({"auth": {**minimal_config()["auth"], "tokenUrl": "https://idp.example.org/t?token=CANARY"}},
         "auth.tokenUrl"),
    ],
)  # fmt: skip
def test_urls_with_credentials_are_refused_without_echo(project_dir, overrides, key):
    write_stack(project_dir, "s", minimal_config(**overrides))
    code, out, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and "CANARY" not in out + err
    assert f"error: up2u-jupyter:{key} (stack s): " in err


def test_a_secret_pasted_into_secret_options_is_not_echoed(project_dir):
    auth = {**minimal_config()["auth"], "secretOptions": {"client_secret": "glpat-CANARY-token"}}
    write_stack(project_dir, "s", minimal_config(auth=auth))
    code, out, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 1 and "CANARY" not in out + err
    assert "up2u-jupyter:auth.secretOptions.client_secret (stack s): " in err


HEAVY = ("pulumi", "pulumi_kubernetes", "jsonschema", "difflib", "up2u_jupyter.preview")
"""What `values`/`check` must not import: the deploy-time SDKs, the pure-Python jsonschema
(~45 ms; the command validates with jsonschema-rs) and other commands' modules."""


@pytest.mark.parametrize("command", ["values", "check"])
def test_offline_commands_import_only_what_they_use(command):
    probe = (
        "import io, sys\n"
        "from up2u_jupyter.cli import run\n"
        f"code = run([{command!r}, '--stack', 'prod'], io.StringIO(), io.StringIO())\n"
        "print(code, *sys.modules)\n"
    )
    code, *modules = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # the command ran and loaded the settings: the probe sees what a real run imports
    assert code == "0" and "up2u_jupyter.settings" in modules
    assert [name for name in modules if name in HEAVY or name.split(".")[0] in HEAVY] == []


def test_an_unquoted_date_tag_is_the_string_pulumi_reads(project_dir):
    # `tag: 2023-02-28` (docker-stacks style) is a string to Pulumi and Helm; not a date here
    path = write_stack(project_dir, "dated", minimal_config())
    path.write_text(
        path.read_text()
        + "  up2u-jupyter:singleuser:\n    image:\n      name: jupyter/scipy-notebook\n"
        "      tag: 2023-02-28\n"
    )
    code, out, err = call("values", "--stack", "dated", "--project-dir", str(project_dir))
    assert code == 0, err
    assert yaml.safe_load(out)["singleuser"]["image"]["tag"] == "2023-02-28"


def test_an_environment_variable_a_snippet_needs_but_nothing_sets_is_warned(project_dir):
    code = (
        "import os\n"
        "c.JupyterHub.db_url = os.environ['HUB_DB_URL']\n"  # nothing sets it: warned
        "c.Up2U.key = os.environ['API_KEY']\n"  # a secretEnv entry: set
        "c.Up2U.flag = os.environ['FEATURE_FLAG']\n"  # helmValues.hub.extraEnv: set
        "c.Up2U.ns = os.environ['POD_NAMESPACE']\n"  # the chart sets it
        "c.Up2U.opt = os.environ.get('OPTIONAL', '') + os.getenv('ALSO', '')\n"  # fallbacks
    )
    config = minimal_config(
        hub={"extraConfig": {"10-reads": code}},
        helmValues={"hub": {"extraEnv": {"FEATURE_FLAG": "on"}}},
    )
    write_stack(
        project_dir, "s", config, **{"up2u-jupyter:secretEnv": {"API_KEY": {"secure": "v1:abc"}}}
    )
    code_, _, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code_ == 0
    warned = [line for line in err.splitlines() if "reads os.environ" in line]
    assert warned == [
        "warning: hub.extraConfig.10-reads (stack s) reads os.environ['HUB_DB_URL'], which "
        "nothing sets in the hub's pod (neither secretEnv nor helmValues.hub.extraEnv): the hub "
        "would stop at start with a KeyError. If it is a secret, run: pulumi config set --secret "
        "--path 'up2u-jupyter:secretEnv.HUB_DB_URL' <value> --stack s"
    ]


def test_the_committed_stacks_read_no_unset_environment():
    # prod's monitoring snippet reads os.environ['UP2U_METRICS_TOKEN'], which its extraEnv sets
    _, values, _ = call("values", "--stack", "prod", "--project-dir", str(ROOT))
    assert "os.environ['UP2U_METRICS_TOKEN']" in values
    for stack in ("dev", "prod"):
        _, _, err = call("check", "--stack", stack, "--project-dir", str(ROOT))
        assert "reads os.environ" not in err


def test_a_snippet_name_in_the_environment_warning_is_escaped(project_dir):
    config = minimal_config(hub={"extraConfig": {"\x1b[2Jx": "c.A.b = os.environ['NOPE']\n"}})
    write_stack(project_dir, "s", config)
    _, _, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    [line] = [line for line in err.splitlines() if "reads os.environ" in line]
    assert "\x1b" not in line and "hub.extraConfig.'\\x1b[2Jx'" in line


@pytest.mark.parametrize(
    ("hub", "expected"),
    [
        ([1], []),
        (
            {"extraEnv": [{"name": ["A"], "value": "x"}], "extraConfig": {"a": "os.environ['B']"}},
            [("a", "B")],
        ),
        ({"extraConfig": {1: "os.environ['B']", "b": "os.environ['C']"}}, [("1", "B"), ("b", "C")]),
        ({"extraEnv": "text", "extraConfig": ["not", "a", "map"]}, []),
    ],
)
def test_odd_shapes_never_break_the_environment_check(hub, expected):
    # the chart's schema check reports the shapes themselves, one line each
    from up2u_jupyter.offline import unset_environment

    assert list(unset_environment({"hub": hub})) == expected
