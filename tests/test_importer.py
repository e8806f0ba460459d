"""import-values: old z2jh values files (chart 0.9 to 4.x) -> stack files that deploy the same."""

import io
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT
from up2u_jupyter.cli import run
from up2u_jupyter.importer import ValuesFileError, convert
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config
from up2u_jupyter.values import coalesce, offline_values

FILES = Path(__file__).parent / "values_files"
EDUTEAMS_AUTHORIZE = "https://proxy.eduteams.org/saml2sp/OIDC/authorization"
# what each file lacks and the operator supplies on the command line
EXTRA_ARGS = {
    "chart-0.9-up2u.yaml": [
        "--domain",
        "jupyter.up2u.example.org",
        "--set",
        f"auth.authorizeUrl={EDUTEAMS_AUTHORIZE}",
    ],
    "chart-0.9-github.yaml": [],
    "chart-1.x-google.yaml": [],
    "chart-3.x-generic.yaml": [],
    "chart-4.x-tmp.yaml": [],
    "chart-0.9-dummy.yaml": [],
}


def call(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def import_file(project_dir, name, *extra, stack="imported"):
    return call(
        "import-values",
        FILES / name,
        "--stack",
        stack,
        "--project-dir",
        project_dir,
        *EXTRA_ARGS.get(name, []),
        *extra,
    )


def secrets_in(path: Path) -> set[str]:
    return set(re.findall(r"TEST-SECRET-[\w-]+", path.read_text()))


def imported_values(project_dir, stack="imported"):
    config = read_stack_config(project_dir, stack)
    return offline_values(load_settings(config.values, stack))


@pytest.mark.parametrize("name", sorted(EXTRA_ARGS))
def test_each_file_imports_to_a_stack_that_passes_check(project_dir, name):
    code, _, err = import_file(project_dir, name)
    assert code == 0, err
    assert call("check", "--stack", "imported", "--project-dir", project_dir)[0] == 0


@pytest.mark.parametrize("name", sorted(EXTRA_ARGS))
def test_imported_values_pass_the_chart_schema(project_dir, name, chart_defaults, chart_schema):
    assert import_file(project_dir, name)[0] == 0
    merged = coalesce(chart_defaults, imported_values(project_dir))
    validator = jsonschema.validators.validator_for(chart_schema)(chart_schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(merged)]
    assert errors == []


@pytest.mark.parametrize("name", sorted(EXTRA_ARGS))
def test_secrets_never_reach_the_stack_file_or_the_report(project_dir, name):
    code, out, err = import_file(project_dir, name)
    assert code == 0
    planted = secrets_in(FILES / name)
    assert planted, "each test file plants at least one secret"
    written = (project_dir / "Pulumi.imported.yaml").read_text()
    for secret in planted:
        assert secret not in written
        assert secret not in out + err


def test_the_up2u_0_9_file_keeps_every_setting(project_dir):
    assert import_file(project_dir, "chart-0.9-up2u.yaml")[0] == 0
    values = imported_values(project_dir)
    hub, user = values["hub"], values["singleuser"]
    oauth = hub["config"]["GenericOAuthenticator"]
    assert hub["activeServerLimit"] == 100 and hub["concurrentSpawnLimit"] == 10
    assert hub["image"] == {"name": "OUR-PROJECT/k8s-hub", "tag": "v1.0"}
    assert hub["templatePaths"] == ["/opt/templates"]
    assert user["image"] == {"name": "OUR-PROJECT/k8s-single-user", "tag": "v1.0"}
    assert user["cpu"] == {"limit": 2.0, "guarantee": 0.5}
    assert user["memory"] == {"limit": "2G", "guarantee": "1G"}
    assert user["storage"]["capacity"] == "10G"
    assert user["defaultUrl"] == "/lab"
    assert values["cull"] | {} == {
        "enabled": True,
        "timeout": 1800,
        "every": 180,
        "maxAge": 0,
        "users": False,
    }
    assert values["prePuller"]["hook"] == {"enabled": True}
    assert values["scheduling"] == {"userScheduler": {"enabled": False}}
    assert values["proxy"]["https"] == {"enabled": True, "type": "offload"}
    assert oauth["authorize_url"] == EDUTEAMS_AUTHORIZE
    assert oauth["token_url"] == "https://proxy.eduteams.org/OIDC/token"
    assert oauth["userdata_url"] == "https://proxy.eduteams.org/OIDC/userinfo"
    assert oauth["username_claim"] == "sub"
    assert oauth["login_service"] == "SSO"
    assert oauth["scope"] == ["openid"]
    assert oauth["userdata_params"] == {"state": "state"}
    assert oauth["client_id"] == "up2u-client-id"
    assert oauth["allow_all"] is True  # no allow rule before 4.0 meant everyone
    assert hub["extraConfig"] == {}  # jupyter-labhub is superseded by defaultUrl


def test_without_domain_and_authorize_url_nothing_is_written(project_dir):
    code, _, err = call(
        "import-values",
        FILES / "chart-0.9-up2u.yaml",
        "--stack",
        "new",
        "--project-dir",
        project_dir,
    )
    assert code == 1
    assert not (project_dir / "Pulumi.new.yaml").exists()
    assert "up2u-jupyter:domain: " in err and "(supply it with --domain HOST)" in err
    assert "(supply it with --set auth.authorizeUrl=VALUE)" in err


def test_report_lists_every_key_of_the_old_file(project_dir):
    _, _, err = import_file(project_dir, "chart-0.9-up2u.yaml")
    for key in (
        "proxy.secretToken",
        "proxy.https.enabled/type",
        "hub.image",
        "hub.templatePaths",
        "hub.activeServerLimit",
        "hub.concurrentSpawnLimit",
        "hub.extraConfig.imported",
        "auth.custom.className",
        "auth.custom.config.login_service",
        "auth.custom.config.client_id",
        "auth.custom.config.client_secret",
        "auth.custom.config.token_url",
        "auth.custom.config.userdata_url",
        "auth.custom.config.userdata_method",
        "auth.custom.config.userdata_params",
        "auth.custom.config.username_key",
        "auth.custom.config.scope",
        "prePuller.hook.enabled",
        "singleuser.defaultUrl",
        "singleuser.image",
        "singleuser.cpu",
        "singleuser.memory",
        "singleuser.storage.capacity",
        "scheduling.userScheduler.enabled",
        "cull.enabled",
        "cull.timeout",
        "cull.every",
    ):
        assert re.search(rf"^  \w+ +{re.escape(key)} ", err, re.M), key


def test_report_prints_secret_commands_and_rotations(project_dir):
    _, _, err = import_file(project_dir, "chart-0.9-up2u.yaml")
    assert (
        "pulumi config set --secret up2u-jupyter:oauthClientSecret "
        "<auth.custom.config.client_secret> --stack imported"
    ) in err
    assert "proxy token: hub and proxy restart once" in err
    assert "cookie secret: everyone is signed out once" in err
    assert "auth.allowAll" in err and "keeps that explicitly (allowAll: true)" in err


def test_github_file_maps_organizations_renames_and_drops(project_dir):
    code, _, err = import_file(project_dir, "chart-0.9-github.yaml")
    assert code == 0, err
    config = read_stack_config(project_dir, "imported").values
    assert config["auth"] == {
        "type": "github",
        "clientId": "gh-client-id",
        "allowedOrganizations": ["school-org"],
        "scope": ["read:org"],
        "adminUsers": ["teacher1"],
    }
    assert config["domain"] == "hub.school.example.org"
    assert config["https"] == {"mode": "letsencrypt", "contactEmail": "it@school.example.org"}
    helm = config["helmValues"]
    assert helm["rbac"] == {"create": True}
    assert helm["proxy"]["chp"]["nodeSelector"] == {"pool": "core"}
    assert helm["proxy"]["service"]["loadBalancerIP"] == "203.0.113.7"
    assert helm["hub"]["config"]["JupyterHub"]["admin_access"] is True
    assert helm["hub"]["config"]["Authenticator"]["enable_auth_state"] is True
    assert "image" not in helm.get("proxy", {}).get("chp", {})
    assert "uid" not in helm.get("hub", {})
    assert config["hub"]["extraConfig"] == {"timeouts": "c.Spawner.start_timeout = 600"}
    assert "cmd" not in config["singleuser"]
    assert "auth-state key: auth state stored with the old key" in err
    for dropped in (
        "proxy.chp.image.name",
        "hub.uid",
        "singleuser.cmd",
        "singleuser.cloudMetadata.enabled",
    ):
        assert re.search(rf"^  dropped +{re.escape(dropped)} ", err, re.M), dropped


def test_google_file_strips_the_password_from_the_database_url(project_dir):
    code, _, err = import_file(project_dir, "chart-1.x-google.yaml")
    assert code == 0, err
    config = read_stack_config(project_dir, "imported").values
    assert config["hub"]["db"] == {
        "type": "postgres",
        "url": "postgresql+psycopg2://hub@db.uni.example.org:5432/jupyterhub",
    }
    assert config["auth"]["hostedDomain"] == ["uni.example.org"]
    assert config["auth"]["allowedUsers"] == ["student1@uni.example.org"]
    assert "up2u-jupyter:dbPassword <the password from hub.db.url>" in err
    assert "up2u-jupyter:oauthClientSecret <hub.config.GoogleOAuthenticator.client_secret>" in err


def test_deprecated_oauthenticator_names_become_current_ones(project_dir):
    assert import_file(project_dir, "chart-3.x-generic.yaml")[0] == 0
    config = read_stack_config(project_dir, "imported").values
    assert config["auth"]["usernameClaim"] == "preferred_username"
    assert config["auth"]["allowedUsers"] == ["alice", "bob"]
    section = config["helmValues"]["hub"]["config"]["GenericOAuthenticator"]
    assert section == {"token_params": {"audience": "notebooks"}, "validate_server_cert": False}
    assert config["hub"]["extraConfig"] == {"00-lab": 'c.Spawner.default_url = "/lab"'}
    assert config["https"] == {"mode": "secret", "secretName": "notebooks-tls"}


def test_dummy_password_becomes_a_secret_command(project_dir):
    _, _, err = import_file(project_dir, "chart-0.9-dummy.yaml")
    assert "up2u-jupyter:dummyPassword <auth.dummy.password>" in err


def test_tmp_needs_no_secret(project_dir):
    _, _, err = import_file(project_dir, "chart-4.x-tmp.yaml")
    assert "secrets to set" not in err


def test_existing_stack_file_is_kept_without_force(project_dir):
    target = project_dir / "Pulumi.imported.yaml"
    target.write_text("config: {}\n")
    code, _, err = import_file(project_dir, "chart-4.x-tmp.yaml")
    assert code == 2 and "pass --force" in err
    assert target.read_text() == "config: {}\n"
    assert import_file(project_dir, "chart-4.x-tmp.yaml", "--force")[0] == 0
    assert "tmp" in target.read_text()


def test_set_overrides_and_adopt(project_dir):
    code, _, _ = import_file(
        project_dir,
        "chart-4.x-tmp.yaml",
        "--set",
        "adopt=true",
        "--set",
        "hub.activeServerLimit=5",
        "--set",
        "namespace=old-jhub",
    )
    assert code == 0
    settings = load_settings(read_stack_config(project_dir, "imported").values, "imported")
    assert (settings.adopt, settings.hub.active_server_limit, settings.namespace) == (
        True,
        5,
        "old-jhub",
    )


def test_set_refuses_secrets(project_dir):
    code, _, err = import_file(project_dir, "chart-4.x-tmp.yaml", "--set", "oauthClientSecret=x")
    assert code == 2 and "secrets are never written to stack files" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("proxy: [unclosed\n", "not valid YAML at line"),
        ("apiVersion: v1\nkind: ConfigMap\n", "not a z2jh values file"),
        ("- just\n- a list\n", "not a z2jh values file"),
        ("", "not a z2jh values file"),
        ("auth: {type: ldap}\n", "does not model"),
    ],
)
def test_bad_input_is_a_one_line_error(project_dir, tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, _, err = call("import-values", path, "--stack", "x", "--project-dir", project_dir)
    assert code == 1
    assert len(err.splitlines()) == 1 and message in err
    assert not (project_dir / "Pulumi.x.yaml").exists()


def test_missing_input_file_is_a_usage_error(project_dir):
    code, _, err = call(
        "import-values", project_dir / "nope.yaml", "--stack", "x", "--project-dir", project_dir
    )
    assert code == 2 and err.startswith("error: no such file")


def test_parent_chart_values_are_unwrapped():
    imported = convert({"jupyterhub": yaml.safe_load((FILES / "chart-4.x-tmp.yaml").read_text())})
    assert imported.config["auth"] == {"type": "tmp"}


def test_convert_rejects_a_document_without_chart_keys():
    with pytest.raises(ValuesFileError, match="none of its top-level keys"):
        convert({"foo": 1})


def test_committed_prod_stack_matches_the_imported_seed(project_dir):
    """The prod stack is the seed, translated: the importer agrees on every carried setting."""
    assert import_file(project_dir, "chart-0.9-up2u.yaml")[0] == 0
    imported = read_stack_config(project_dir, "imported").values
    prod = read_stack_config(ROOT, "prod").values
    for key in ("activeServerLimit", "concurrentSpawnLimit"):
        assert imported["hub"][key] == prod["hub"][key]
    assert imported["cull"] | {"enabled": True} == {k: prod["cull"][k] for k in imported["cull"]}
    assert imported["singleuser"]["cpu"] == prod["singleuser"]["cpu"]
    assert imported["singleuser"]["memory"] == prod["singleuser"]["memory"]
    assert imported["scheduling"] == prod["scheduling"]
