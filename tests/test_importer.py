"""import-values: each converter alone, the command's promises, and the hand-written old files.

The corpus modelled on public deployments is tested in test_importer_corpus.py; here each
section converter is exercised on the smallest document that shows one behaviour.
"""

import io
import os
import re
import stat
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT
from tests.importer_helpers import (
    FILES,
    call,
    import_values,
    needs_auth_options,
    rendered,
    stack_values,
)
from up2u_jupyter.chart import coalesce
from up2u_jupyter.cli import run
from up2u_jupyter.importer import ValuesFileError, convert, detect_era
from up2u_jupyter.importer.extraconfig import analyse
from up2u_jupyter.importer.history import ERAS, era_of
from up2u_jupyter.stackfile import read_stack_config

EDUTEAMS_AUTHORIZE = "https://proxy.eduteams.org/saml2sp/OIDC/authorization"
# what each hand-written file lacks and the operator supplies on the command line
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
# the files whose authenticator settings include traits only auth.options can carry
WITH_OPTIONS = {"chart-0.9-github.yaml", "chart-3.x-generic.yaml"}


def _files() -> list[Any]:
    return [
        pytest.param(name, marks=[needs_auth_options] if name in WITH_OPTIONS else [])
        for name in sorted(EXTRA_ARGS)
    ]


def import_file(project_dir, name, *extra, stack="imported"):
    return import_values(project_dir, FILES / name, *EXTRA_ARGS.get(name, []), *extra, stack=stack)


def secrets_in(text: str) -> set[str]:
    return set(re.findall(r"(?:TEST-SECRET|CANARY)-[\w-]+", text))


def report_line(err: str, action: str, key: str) -> str:
    match = re.search(rf"^  {action} +{re.escape(key)}  +(.*)$", err, re.M)
    assert match, f"no {action} line for {key}"
    return match.group(1)


# --- the hand-written files -----------------------------------------------------------------


@pytest.mark.parametrize("name", _files())
def test_each_file_imports_to_a_stack_that_passes_check(project_dir, name):
    code, _, err = import_file(project_dir, name)
    assert code == 0, err
    assert call("check", "--stack", "imported", "--project-dir", project_dir)[0] == 0


@pytest.mark.parametrize("name", _files())
def test_imported_values_pass_the_chart_schema(project_dir, name, chart_defaults, chart_schema):
    assert import_file(project_dir, name)[0] == 0
    merged = coalesce(chart_defaults, rendered(project_dir))
    validator = jsonschema.validators.validator_for(chart_schema)(chart_schema)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(merged)] == []


@pytest.mark.parametrize("name", _files())
def test_secrets_never_reach_the_stack_file_or_the_report(project_dir, name):
    code, out, err = import_file(project_dir, name)
    assert code == 0
    planted = secrets_in((FILES / name).read_text())
    assert planted, "each test file plants at least one secret"
    written = (project_dir / "Pulumi.imported.yaml").read_text()
    assert not secrets_in(written + out + err)


def test_the_up2u_0_9_file_keeps_every_setting(project_dir):
    assert import_file(project_dir, "chart-0.9-up2u.yaml")[0] == 0
    values = rendered(project_dir)
    hub, user = values["hub"], values["singleuser"]
    oauth = hub["config"]["GenericOAuthenticator"]
    assert hub["activeServerLimit"] == 100 and hub["concurrentSpawnLimit"] == 10
    assert hub["image"] == {"name": "OUR-PROJECT/k8s-hub", "tag": "v1.0"}
    assert hub["templatePaths"] == ["/opt/templates"]
    assert user["image"] == {"name": "OUR-PROJECT/k8s-single-user", "tag": "v1.0"}
    assert user["cpu"] == {"limit": 2.0, "guarantee": 0.5}
    # 2G in a 0.9 file meant 2 GiB to KubeSpawner: imported as 2Gi, the deployed limit kept
    assert user["memory"] == {"limit": 2 * 2**30, "guarantee": 2**30}  # bytes
    assert user["storage"]["capacity"] == "10G"
    assert values["cull"] | {} == {
        "enabled": True,
        "timeout": 1800,
        "every": 180,
        "maxAge": 0,
        "users": False,
    }
    assert values["scheduling"] == {"userScheduler": {"enabled": False}}
    assert values["proxy"]["https"] == {"enabled": True, "type": "offload"}
    assert oauth["token_url"] == "https://proxy.eduteams.org/OIDC/token"
    assert oauth["username_claim"] == "sub"
    assert oauth["userdata_params"] == {"state": "state"}
    assert oauth["client_id"] == "up2u-client-id"
    assert oauth["allow_all"] is True  # no allow rule before JupyterHub 5 meant everyone
    assert hub["extraConfig"].get("imported") is None  # jupyter-labhub: superseded


def test_without_domain_and_authorize_url_nothing_is_written(project_dir):
    code, _, err = import_values(project_dir, FILES / "chart-0.9-up2u.yaml", stack="new")
    assert code == 1
    assert not (project_dir / "Pulumi.new.yaml").exists()
    assert "up2u-jupyter:domain: " in err and "(supply it with --domain HOST)" in err
    assert "(supply it with --set auth.authorizeUrl=VALUE)" in err


def test_problems_of_every_stage_are_reported_together(project_dir, tmp_path):
    """An authenticator to choose, a missing domain and settings errors: one run, all lines."""
    old = tmp_path / "old.yaml"
    old.write_text(
        "hub:\n  config:\n    JupyterHub: {authenticator_class: mycorp.SSOAuthenticator}\n"
        "singleuser:\n  storage: {capacity: lots}\ncull: {timeout: 0}\n"
    )
    code, _, err = import_values(project_dir, old, "--set", "namespace=Bad")
    assert code == 1
    problems = err.split("the imported config needs:\n", 1)[1]
    assert "mycorp.SSOAuthenticator' is not in the z2jh 4.4.0 hub image" in problems
    assert "up2u-jupyter:namespace:" in problems
    assert "supply it with --set namespace" not in problems  # a wrong value, not a missing one


def test_report_prints_secret_commands_and_rotations(project_dir):
    _, _, err = import_file(project_dir, "chart-0.9-up2u.yaml")
    assert (
        "pulumi config set --secret up2u-jupyter:oauthClientSecret "
        "<auth.custom.config.client_secret> --stack imported"
    ) in err
    assert "proxy token: hub and proxy restart once" in err
    assert "cookie secret: everyone is signed out once" in err
    assert "keeps that explicitly (allowAll: true)" in report_line(err, "added", "auth.allowAll")
    assert "NOTE: sign-in stays open to everyone" in err


@needs_auth_options
def test_github_file_maps_organizations_renames_and_drops(project_dir):
    code, _, err = import_file(project_dir, "chart-0.9-github.yaml")
    assert code == 0, err
    config = stack_values(project_dir)
    assert config["auth"] == {
        "type": "github",
        "adminUsers": ["teacher1"],
        "scope": ["read:org"],
        "clientId": "gh-client-id",
        "allowedOrganizations": ["school-org"],
        "options": {"enable_auth_state": True},
    }
    assert config["domain"] == "hub.school.example.org"
    assert config["https"] == {"mode": "letsencrypt", "contactEmail": "it@school.example.org"}
    helm = config["helmValues"]
    # rbac.enabled (moved in 2.0, refused by 4.4.0's NOTES.txt): true is the new keys' default
    assert "rbac" not in helm
    assert "whose chart 4.4.0 default is the same" in report_line(err, "dropped", "rbac.enabled")
    assert helm["proxy"]["chp"]["nodeSelector"] == {"pool": "core"}
    assert helm["hub"]["containerSecurityContext"] == {"runAsUser": 1000}
    assert "image" not in helm.get("proxy", {}).get("chp", {})
    assert "auth-state key: auth state stored with the old key" in err
    assert "cmd" not in config["singleuser"]


def test_google_file_strips_the_password_from_the_database_url(project_dir):
    code, _, err = import_file(project_dir, "chart-1.x-google.yaml")
    assert code == 0, err
    config = stack_values(project_dir)
    assert config["hub"]["db"] == {
        "type": "postgres",
        "url": "postgresql+psycopg2://hub@db.uni.example.org:5432/jupyterhub",
    }
    assert config["auth"]["hostedDomain"] == ["uni.example.org"]
    assert config["auth"]["allowedUsers"] == ["student1@uni.example.org"]
    assert "up2u-jupyter:dbPassword <the password in hub.db.url>" in err
    assert "up2u-jupyter:oauthClientSecret <hub.config.GoogleOAuthenticator.client_secret>" in err


@needs_auth_options
def test_deprecated_oauthenticator_names_become_current_ones(project_dir):
    assert import_file(project_dir, "chart-3.x-generic.yaml")[0] == 0
    config = stack_values(project_dir)
    assert config["auth"]["usernameClaim"] == "preferred_username"
    assert config["auth"]["allowedUsers"] == ["alice", "bob"]
    assert config["auth"]["options"] == {
        "token_params": {"audience": "notebooks"},
        "validate_server_cert": False,
    }
    assert config["hub"]["extraConfig"] == {"00-lab": 'c.Spawner.default_url = "/lab"'}
    assert config["https"] == {"mode": "secret", "secretName": "notebooks-tls"}


def test_dummy_password_becomes_a_secret_command(project_dir):
    _, _, err = import_file(project_dir, "chart-0.9-dummy.yaml")
    assert "up2u-jupyter:dummyPassword <auth.dummy.password>" in err
    assert "did not hold" not in err


def test_a_stack_need_the_old_file_did_not_have_is_said_so(project_dir, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("auth: {type: dummy}\nhub: {concurrentSpawnLimit: 5}\n")
    _, _, err = import_values(project_dir, old)
    assert "secrets the new stack needs that the old file did not hold:" in err
    assert "values from your old file" not in err


def test_tmp_needs_no_secret(project_dir):
    _, _, err = import_file(project_dir, "chart-4.x-tmp.yaml")
    assert "secrets to set" not in err and "did not hold" not in err


def test_existing_stack_file_is_kept_without_force(project_dir):
    target = project_dir / "Pulumi.imported.yaml"
    target.write_text("config: {}\n")
    code, _, err = import_file(project_dir, "chart-4.x-tmp.yaml")
    assert code == 2 and "pass --force" in err
    assert target.read_text() == "config: {}\n"
    assert import_file(project_dir, "chart-4.x-tmp.yaml", "--force")[0] == 0
    assert "tmp" in target.read_text()


def test_stack_file_is_owner_only_and_never_written_through_a_symlink(project_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (project_dir / "Pulumi.imported.yaml").symlink_to(victim)
    assert import_file(project_dir, "chart-4.x-tmp.yaml", "--force")[0] == 0
    target = project_dir / "Pulumi.imported.yaml"
    assert victim.read_text() == "keep me\n" and not target.is_symlink()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


@pytest.mark.parametrize("stack", ["../x", "d/../../x", "a/b", ".."])
def test_stack_must_be_a_name_not_a_path(project_dir, stack):
    code, _, err = import_file(project_dir, "chart-4.x-tmp.yaml", stack=stack)
    assert code == 2 and "is not a stack name" in err and "Traceback" not in err
    assert sorted(p.name for p in project_dir.iterdir()) == ["Pulumi.yaml"]


def test_from_chart_must_be_a_chart_version(project_dir):
    code, _, err = import_file(project_dir, "chart-4.x-tmp.yaml", "--from-chart", "banana")
    assert code == 2 and "is not a chart version" in err


def test_set_overrides_and_adopt(project_dir):
    code, _, err = import_file(
        project_dir, "chart-4.x-tmp.yaml", "--set", "adopt=true", "--set", "namespace=old-jhub",
        "--context", "old-cluster",
    )  # fmt: skip
    assert code == 0, err
    config = read_stack_config(project_dir, "imported").values
    assert (config["adopt"], config["namespace"]) == (True, "old-jhub")


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
        ("jupyterhub: {note: no chart keys}\nnfs: {}\n", "no z2jh section under jupyterhub"),
        ("hub: {env: {{ name }}}\n", "a list or map used as a key at line 1"),  # Jinja
    ],
)
def test_bad_input_is_a_one_line_error(project_dir, tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, _, err = call("import-values", path, "--stack", "x", "--project-dir", project_dir)
    assert code == 1
    assert len(err.splitlines()) == 1 and message in err
    assert not (project_dir / "Pulumi.x.yaml").exists()


@pytest.mark.parametrize(
    "text",
    [
        "hub: [a, list]\nsingleuser: {image: {name: x}}\n",
        "hub: just text\nproxy: 3\nsingleuser: {cpu: [1, 2]}\n",
        "hub: {config: [1, 2], extraConfig: [x], db: {url: 'postgres://u:p@[::1'}}\n",
        "hub: {extraEnv: [{name: A_TOKEN, value: CANARY-list-env-token}]}\nauth: {type: 7}\n",
        "hub: {1: x, true: y, null: z, config: {JupyterHub: {authenticator_class: [x]}}}\n",
        "proxy: {https: {hosts: nope, letsencrypt: [1]}, service: {type: {a: b}}}\n",
        "singleuser: {storage: {capacity: [1]}, extraEnv: {A: {b: c}}, cmd: [1]}\n",
        "jupyterhub: {hub: {config: {JupyterHub: {authenticator_class: dummy}}}}\n"
        "\x7fweird: {'ctl\\u0007key': 1}\n",
    ],
)
def test_structural_surprises_are_report_lines_or_one_line_errors(project_dir, tmp_path, text):
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    code, out, err = import_values(project_dir, path, "--set", "auth.allowAll=true")
    assert code in (0, 1)
    assert "Traceback" not in err and "CANARY" not in err + out
    assert all(line.isprintable() for line in err.splitlines())
    if code == 0:
        assert "CANARY" not in (project_dir / "Pulumi.imported.yaml").read_text()


def test_missing_input_file_is_a_usage_error(project_dir):
    code, _, err = call(
        "import-values", project_dir / "nope.yaml", "--stack", "x", "--project-dir", project_dir
    )
    assert code == 2 and err.startswith("error: no such file")


def test_committed_prod_stack_matches_the_imported_seed(project_dir):
    """The prod stack is the seed, translated: the importer agrees on every carried setting."""
    assert import_file(project_dir, "chart-0.9-up2u.yaml")[0] == 0
    imported = read_stack_config(project_dir, "imported").values
    prod = read_stack_config(ROOT, "prod").values
    for key in ("activeServerLimit", "concurrentSpawnLimit"):
        assert imported["hub"][key] == prod["hub"][key]
    assert imported["cull"] | {"enabled": True} == {k: prod["cull"][k] for k in imported["cull"]}
    assert imported["singleuser"]["cpu"] == prod["singleuser"]["cpu"]
    assert imported["scheduling"] == prod["scheduling"]


# --- parent charts and eras ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrapper", "prefix"),
    [
        (lambda v: {"jupyterhub": v, "nfsPVC": {"enabled": True}}, "jupyterhub"),
        (lambda v: {"basehub": {"jupyterhub": v, "nfs": {}}}, "basehub.jupyterhub"),
        (lambda v: {"pangeo": {"jupyterhub": v}, "homeDirectories": {}}, "pangeo.jupyterhub"),
        (lambda v: {"binderhub": {"jupyterhub": v, "dind": {}}}, "binderhub.jupyterhub"),
    ],
)
def test_z2jh_values_are_found_inside_parent_charts(wrapper, prefix):
    imported = convert(wrapper({"hub": {"config": {"JupyterHub": {"authenticator_class": "tmp"}}}}))
    assert imported.config["auth"] == {"type": "tmp", "allowAll": True}
    parents = [line.key for line in imported.report if line.action == "parent"]
    assert parents and not any(key.startswith(prefix) for key in parents)
    assert any(line.key.startswith(f"{prefix}.hub.config") for line in imported.report)


def test_a_plain_values_file_is_not_mistaken_for_a_parent():
    imported = convert({"hub": {"concurrentSpawnLimit": 3}, "jupyterhub": {"hub": {}}})
    assert imported.config["hub"] == {"concurrentSpawnLimit": 3}


def test_convert_rejects_a_document_without_chart_keys():
    with pytest.raises(ValuesFileError, match="none of its top-level keys"):
        convert({"foo": 1})


@pytest.mark.parametrize(
    ("version", "era"),
    [
        ("0.7.0", "0.7-0.9"),
        ("0.9.1", "0.7-0.9"),
        ("0.11.1", "0.10-0.11"),
        ("1.2.0", "1.x-2.x"),
        ("2.0.0", "1.x-2.x"),
        ("3.3.7", "3.x"),
        ("4.4.0", "4.x"),
        ("v4", "4.x"),
    ],
)
def test_chart_versions_fall_in_their_era(version, era):
    assert era_of(version) == ERAS[era]


def test_the_era_is_told_by_the_chart_own_image_tag_then_by_shape():
    assert (
        detect_era({"hub": {"image": {"name": "jupyterhub/k8s-hub", "tag": "0.9.1"}}}, None)[0]
        == ERAS["0.7-0.9"]
    )
    mirrored = {"hub": {"image": {"name": "10.0.0.5:5000/jupyterhub/k8s-hub", "tag": "0.11.0"}}}
    assert detect_era(mirrored, None)[0] == ERAS["0.10-0.11"]  # the chart's image, mirrored
    assert detect_era({"auth": {}}, None)[0].until == (0, 11)  # moved to hub.config in 0.11
    assert detect_era({"hub": {"config": {}}}, None)[0].since == (0, 11)
    assert detect_era({"singleuser": {}}, None)[0] is None
    assert detect_era({"auth": {}}, "3.1.0")[0] == ERAS["3.x"]


# --- HTTPS, per era -------------------------------------------------------------------------

LE = {"hosts": ["hub.example.org"], "letsencrypt": {"contactEmail": "ops@example.org"}}


@pytest.mark.parametrize(
    ("chart", "mode"),
    [("0.8.2", "letsencrypt"), ("0.9.0", "letsencrypt"), ("0.11.1", "none"), ("1.1.0", "none")],
)
def test_https_left_out_follows_the_chart_default_of_its_era(chart, mode):
    imported = convert({"proxy": {"https": dict(LE)}, "singleuser": {}}, from_chart=chart)
    assert imported.config["https"]["mode"] == mode


def test_https_of_an_undated_file_with_hosts_and_email_stays_on():
    imported = convert({"proxy": {"https": dict(LE)}, "singleuser": {}})
    assert imported.config["https"] == {"mode": "letsencrypt", "contactEmail": "ops@example.org"}
    assert any("--from-chart" in line.detail for line in imported.report if line.action == "era")


def test_a_staging_acme_server_is_carried_and_the_production_one_is_the_default():
    staging = "https://acme-staging-v02.api.letsencrypt.org/directory"
    https = {**LE, "enabled": True, "letsencrypt": {**LE["letsencrypt"], "acmeServer": staging}}
    imported = convert({"proxy": {"https": https}})
    assert imported.config["helmValues"]["proxy"]["https"]["letsencrypt"] == {"acmeServer": staging}
    production = https["letsencrypt"] | {
        "acmeServer": "https://acme-v02.api.letsencrypt.org/directory"
    }
    imported = convert({"proxy": {"https": {**https, "letsencrypt": production}}})
    assert "helmValues" not in imported.config


def test_contact_email_without_lets_encrypt_is_reported_not_lost_silently():
    imported = convert({"proxy": {"https": {**LE, "enabled": False}}})
    assert imported.config["https"] == {"mode": "none"}
    [line] = [x for x in imported.report if x.key == "proxy.https.letsencrypt.contactEmail"]
    assert line.action == "dropped" and "HTTPS here is none" in line.detail


def test_tls_at_the_ingress_or_an_https_callback_keeps_the_public_url_on_https():
    ingress = {"ingress": {"enabled": True, "tls": [{"secretName": "t"}]}, "proxy": {}}
    assert convert(ingress, from_chart="2.0.0").config["https"]["mode"] == "offload"
    code = (
        'c.JupyterHub.authenticator_class = "github"\n'
        'c.GitHubOAuthenticator.oauth_callback_url = "https://h.example.org/hub/oauth_callback"\n'
        "c.Authenticator.allow_all = True\n"
    )
    behind = {"proxy": {"https": {"enabled": False}}, "hub": {"extraConfig": {"auth": code}}}
    assert convert(behind, from_chart="4.0.0").config["https"]["mode"] == "offload"


# --- who may sign in, per era ---------------------------------------------------------------


def _auth(document: dict[str, Any], chart: str | None = None) -> dict[str, Any]:
    return convert(document, from_chart=chart).config["auth"]


def test_allow_all_false_with_groups_is_kept_and_never_widened():
    auth = _auth(
        {
            "hub": {
                "config": {
                    "JupyterHub": {"authenticator_class": "generic-oauth"},
                    "GenericOAuthenticator": {"allowed_groups": ["staff"], "claim_groups_key": "g"},
                    "Authenticator": {"allow_all": False},
                }
            }
        },
        "1.0.0",
    )
    assert auth["allowAll"] is False and auth["allowedGroups"] == ["staff"]
    assert auth["groupsClaim"] == "g"


def test_an_organisation_rule_in_a_file_without_auth_type_is_github_and_not_widened():
    imported = convert({"auth": {"github": {"org_whitelist": ["org"]}}})
    assert imported.config["auth"] == {"type": "github", "allowedOrganizations": ["org"]}
    assert not imported.notices


@pytest.mark.parametrize(
    ("chart", "everyone"), [("0.9.0", True), ("2.1.0", True), ("3.0.0", False), ("4.0.0", False)]
)
def test_an_oauth_file_without_rule_lets_everyone_in_only_where_its_chart_did(chart, everyone):
    imported = convert(
        {"hub": {"config": {"JupyterHub": {"authenticator_class": "github"}}}}, from_chart=chart
    )
    assert imported.config["auth"].get("allowAll", False) is everyone
    assert bool(imported.notices) is everyone


def test_no_rule_and_no_chart_version_is_a_question_not_a_guess():
    imported = convert({"hub": {"config": {"JupyterHub": {"authenticator_class": "github"}}}})
    assert "allowAll" not in imported.config["auth"]
    assert any("--from-chart VERSION" in problem for problem in imported.problems)


def test_a_hosted_domain_before_oauthenticator_16_let_the_whole_domain_in():
    google = {"JupyterHub": {"authenticator_class": "google"}}
    google["GoogleOAuthenticator"] = {"hosted_domain": "uni.example.org"}
    imported = convert({"hub": {"config": google}}, from_chart="1.1.0")
    assert imported.config["auth"]["allowAll"] is True
    assert imported.config["auth"]["hostedDomain"] == ["uni.example.org"]
    assert "within hosted_domain" in imported.notices[0]


def test_a_missing_authenticator_is_the_dummy_default_said_truthfully():
    imported = convert({"hub": {"concurrentSpawnLimit": 4}}, from_chart="0.9.0")
    assert imported.config["auth"]["type"] == "dummy"
    [line] = [x for x in imported.report if x.key == "auth"]
    assert "DummyAuthenticator" in line.detail and "authorizeUrl" not in line.detail


@needs_auth_options
def test_ldap_of_the_0x_chart_becomes_options_and_a_secret_option(project_dir, tmp_path):
    old = tmp_path / "ldap.yaml"
    old.write_text(
        "auth:\n  type: ldap\n  ldap:\n    server: {address: ldap.example.org}\n"
        "    dn:\n      templates: ['uid={username},dc=example']\n"
        "      search: {user: reader, password: CANARY-ldap-bind}\n"
        "    allowedGroups: [cn=users]\n"
    )
    code, _, err = import_values(project_dir, old)
    assert code == 0, err
    auth = stack_values(project_dir)["auth"]
    assert auth["type"] == "ldapauthenticator"
    assert auth["options"]["server_address"] == "ldap.example.org"
    assert auth["options"]["allowed_groups"] == ["cn=users"]
    assert auth["secretOptions"] == {"lookup_dn_search_password": "LOOKUP_DN_SEARCH_PASSWORD"}
    assert "secretEnv.LOOKUP_DN_SEARCH_PASSWORD" in err and "CANARY" not in err


def test_a_custom_class_needs_a_choice_and_then_keeps_what_fits():
    config = {
        "JupyterHub": {"authenticator_class": "corp.CorpOAuthenticator"},
        "CorpOAuthenticator": {"client_id": "abc", "corp_realm": "x", "client_secret": "s"},
    }
    refused = convert({"hub": {"config": config}})
    assert "corp.CorpOAuthenticator' is not in the z2jh 4.4.0 hub image" in refused.problems[0]
    chosen = convert({"hub": {"config": config}}, auth_type="generic-oauth")
    assert chosen.config["auth"]["clientId"] == "abc"
    assert "corp_realm" not in str(chosen.config)
    assert chosen.secrets_to_set == {
        "oauthClientSecret": "hub.config.CorpOAuthenticator.client_secret"
    }


def test_an_option_the_hub_image_class_lacks_is_dropped_with_the_reason():
    config = {
        "JupyterHub": {"authenticator_class": "azuread"},
        "AzureAdOAuthenticator": {"tenant_id": "t", "graph_api_version": "1.6"},
        "Authenticator": {"allowed_users": ["a"]},
    }
    imported = convert({"hub": {"config": config}}, from_chart="1.0.0")
    assert imported.config["auth"]["options"] == {"tenant_id": "t"}
    [line] = [x for x in imported.report if x.key.endswith("graph_api_version")]
    assert line.action == "dropped" and "not an option of AzureAdOAuthenticator" in line.detail


# --- keys the chart removed, and secrets ----------------------------------------------------


def test_cloud_metadata_access_maps_to_its_inverted_successor():
    opened = convert({"singleuser": {"cloudMetadata": {"enabled": True}}})
    assert opened.config["helmValues"]["singleuser"]["cloudMetadata"] == {
        "blockWithIptables": False
    }
    closed = convert({"singleuser": {"cloudMetadata": {"enabled": False}}})
    assert "helmValues" not in closed.config


def test_removed_keys_are_reported_with_their_successor():
    imported = convert(
        {"hub": {"extraConfigMap": {"a": "b"}}, "proxy": {"nginx": {"x": 1}}}, from_chart="0.7.0"
    )
    details = {line.key: line.detail for line in imported.report if line.action == "dropped"}
    assert "successor is `custom`" in details["hub.extraConfigMap.a"]
    assert "removed in chart 0.8" in details["proxy.nginx.x"]


def test_every_leaf_of_the_old_file_has_a_report_line():
    old = {
        "hub": {"extraEnv": {"A": "1"}, "nodeSelector": {"pool": "core"}, "fsGid": 1000},
        "custom": {"k": {"v": 1}},
        "unknown": {"x": 1},
    }
    keys = {line.key for line in convert(old, from_chart="1.0.0").report}
    assert {
        "hub.extraEnv.A",
        "hub.nodeSelector.pool",
        "hub.fsGid",
        "custom.k.v",
        "unknown.x",
    } <= keys


def test_extraconfig_secrets_are_read_from_secretenv_never_written():
    code = (
        "import json\n"
        "c.KubeSpawner.environment = {'A': '1'}\n"
        "c.MyService.api_token = 'CANARY-code-token'\n"
        "os.environ['WEBHOOK_SECRET'] = 'CANARY-code-env'\n"
    )
    imported = convert({"hub": {"extraConfig": {"svc": code}}}, from_chart="4.0.0")
    kept = imported.config["hub"]["extraConfig"]["svc"]
    assert "CANARY" not in kept
    assert "c.MyService.api_token = os.environ['API_TOKEN']" in kept
    assert kept.startswith("import os\n")
    assert set(imported.secrets_to_set) == {"secretEnv.API_TOKEN", "secretEnv.WEBHOOK_SECRET"}


def test_authenticator_code_is_lifted_out_of_extraconfig():
    snippet = analyse(
        "auth",
        "from oauthenticator.github import GitHubOAuthenticator\n"
        "c.JupyterHub.authenticator_class = GitHubOAuthenticator\n"
        "c.GitHubOAuthenticator.allowed_organizations = {'b-org', 'a-org'}\n"
        "c.Spawner.start_timeout = 600\n",
    )
    assert snippet.authenticator == ("name", "GitHubOAuthenticator")
    assert [(a.trait, a.value) for a in snippet.assignments] == [
        ("allowed_organizations", ["a-org", "b-org"])
    ]
    assert snippet.code == "c.Spawner.start_timeout = 600"


@pytest.mark.parametrize(
    "line",
    [
        "c.Spawner.cmd = ['jupyter-labhub']",
        # GitLab's JupyterHub runbook values (gitlabhq/gitlabhq doc/user/project/clusters/
        # runbooks/index.md @ a5f4bba440d7f9ea47046a0a561d49adf0a1e6d4) wrote the KubeSpawner form
        'c.KubeSpawner.cmd = ["jupyter-labhub"]  # lab by default',
    ],
)
def test_the_jupyter_labhub_command_is_dropped_in_either_spawner_spelling(line):
    # jupyter-labhub is gone from 4.4's images: carried over, every user pod would fail to start
    snippet = analyse("lab", f"{line}\nc.KubeSpawner.start_timeout = 600\n")
    assert snippet.lab_cmd
    assert snippet.code == "c.KubeSpawner.start_timeout = 600"


@pytest.mark.parametrize(
    ("path", "how"),
    [
        (("imagePullSecret", "password"), "docker-registry Secret"),
        (("singleuser", "extraEnv", "API_KEY"), "secretKeyRef"),
        (("custom", "service", "apiKey"), "os.environ['NAME'] in hub.extraConfig"),
        (("hub", "services", "grader", "apiToken"), "the chart generates a token"),
        # JupyterHub's own spelling, passed through by charts before 1.0, as in EGI-Federation/
        # documentation content/en/providers/notebooks/architecture/_index.md
        # @ 432b8f3cb7326442297ad64897bd85462c533099
        (("hub", "services", "status", "api_token"), "give the new token to the service"),
        (("hub", "extraEnv", "JUPYTERHUB_CRYPT_KEY"), "auth-state key is generated anew"),
    ],
)
def test_each_secret_says_how_to_supply_it(path, how):
    old: dict[str, Any] = {}
    node = old
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = "CANARY-supplied-elsewhere"
    imported = convert(old, from_chart="4.0.0")
    assert "CANARY" not in str(imported.config)
    [line] = [line for line in imported.report if line.key == ".".join(path)]
    assert line.action == "secret" and how in line.detail


def test_a_profile_list_the_stack_can_say_becomes_profiles():
    entries = [
        {"display_name": "Small", "default": True},
        {
            "display_name": "Large GPU!",
            "description": "one GPU",
            "kubespawner_override": {"image": "reg.example:5000/nb:7", "cpu_limit": 4},
        },
    ]
    imported = convert({"singleuser": {"profileList": entries}}, from_chart="1.0.0")
    assert imported.config["profiles"] == [
        {"slug": "small", "displayName": "Small", "default": True},
        {
            "slug": "large-gpu",
            "displayName": "Large GPU!",
            "description": "one GPU",
            "image": {"name": "reg.example:5000/nb", "tag": "7"},
            "cpu": {"limit": 4},
        },
    ]


def test_a_profile_list_with_more_than_the_stack_models_stays_as_written():
    entries = [{"display_name": "A", "kubespawner_override": {"mem_limit": None}}]
    imported = convert({"singleuser": {"profileList": entries}}, from_chart="1.0.0")
    assert imported.config["helmValues"]["singleuser"]["profileList"] == entries
    [why] = [line.detail for line in imported.report if line.key == "singleuser.profileList"][:1]
    assert "entry 0 sets a null override (it removes a limit)" in why


def test_a_volume_that_references_a_secret_is_not_a_secret():
    volume = {"name": "creds", "secret": {"secretName": "db-creds"}}
    imported = convert({"hub": {"extraVolumes": [volume]}}, from_chart="1.0.0")
    assert imported.config["helmValues"]["hub"]["extraVolumes"] == [volume]


def test_report_keys_are_escaped():
    imported = convert({"hub": {"extraEnv": {"BAD\x1b[31mKEY": "x"}}}, from_chart="1.0.0")
    assert all(line.key.isprintable() for line in imported.report)


def test_the_report_never_passes_escape_sequences_to_the_terminal(project_dir, tmp_path):
    source = tmp_path / "old.yaml"
    source.write_text(
        "hub:\n  extraConfig:\n    auth: |\n"
        '      c.JupyterHub.authenticator_class = "my\\x1b[31mEVIL.Auth"\n'
    )
    out, err = io.StringIO(), io.StringIO()
    run(["import-values", str(source), "--stack", "x", "--project-dir", str(project_dir),
         "--set", "auth.type=dummy", "--set", "auth.allowAll=true"], out, err)  # fmt: skip
    assert "\x1b" not in out.getvalue() + err.getvalue()


def test_a_snippet_named_like_a_secret_is_kept_when_its_code_holds_none(project_dir, tmp_path):
    # an auth-state hook in a snippet named "pass-tokens": the name says what the code passes on
    old = tmp_path / "old.yaml"
    old.write_text(
        "hub:\n  config:\n    JupyterHub: {authenticator_class: github}\n"
        "    GitHubOAuthenticator: {client_id: abc, allowed_organizations: [my-org]}\n"
        "  extraConfig:\n    pass-tokens: |\n"
        "      async def pass_login(spawner):\n"
        "          state = await spawner.user.get_auth_state()\n"
        "          spawner.environment['LOGIN'] = state['github_user']['login']\n"
        "      c.KubeSpawner.pre_spawn_hook = pass_login\n"
    )
    code, _, err = import_values(project_dir, old, "--from-chart", "2.0.0", "--domain", "d.org")
    assert code == 0, err
    kept = stack_values(project_dir)["hub"]["extraConfig"]["pass-tokens"]
    assert "c.KubeSpawner.pre_spawn_hook = pass_login" in kept
    assert "looks like a secret" not in err


@pytest.mark.parametrize(
    ("old", "chart"),
    [
        # the z2jh 0.x docs' way to keep admins out of users' servers (auth.admin.access)
        ({"auth": {"admin": {"access": False, "users": ["ada"]}}}, "0.8.2"),
        ({"hub": {"config": {"JupyterHub": {"admin_access": False}}}}, "1.0.0"),
    ],
)
def test_admin_access_false_is_not_carried_as_a_protection_the_hub_no_longer_gives(old, chart):
    imported = convert(old, from_chart=chart)
    assert "admin_access" not in str(imported.config)
    [notice] = [text for text in imported.notices if "admin_access" in text or "access" in text]
    assert "admins can now" in notice and "hub.loadRoles" in notice


@pytest.mark.parametrize(
    "db",
    [
        {"type": "mysql", "url": "mysql+pymysql://jhub:CANARY-in-url@mysql.db:3306/jhub"},
        {"type": "mysql", "url": "mysql+pymysql://jhub@mysql.db:3306/jhub", "password": "CANARY"},
    ],
)
def test_a_mysql_password_reaches_the_hub_through_secretenv_not_dbpassword(db):
    # dbPassword becomes PGPASSWORD; chart 4.4 gives MySQL only MYSQL_PWD, which PyMySQL (the
    # hub image's driver) never reads: the hub reads the whole URL from secretEnv instead
    imported = convert({"hub": {"db": db}}, from_chart="1.0.0")
    assert "CANARY" not in str(imported.config)
    assert set(imported.secrets_to_set) == {"secretEnv.HUB_DB_URL"}
    snippet = imported.config["hub"]["extraConfig"]["hub-db-url"]
    assert "c.JupyterHub.db_url = os.environ['HUB_DB_URL']" in snippet
    helm_db = imported.config["helmValues"]["hub"]["db"]
    assert helm_db == {"type": "mysql", "url": "mysql+pymysql://jhub@mysql.db:3306/jhub"}


def test_a_postgres_password_still_becomes_dbpassword():
    imported = convert(
        {"hub": {"db": {"type": "postgres", "url": "postgresql://hub:CANARY@pg:5432/hub"}}},
        from_chart="1.0.0",
    )
    assert set(imported.secrets_to_set) == {"dbPassword"}
    assert "extraConfig" not in imported.config.get("hub", {})


def test_an_option_set_twice_names_where_the_winning_one_is():
    # auth.state.enabled (Authenticator) and the custom class's own enable_auth_state, as in
    # EGI's notebooks values (EGI-Federation/documentation content/en/providers/notebooks/
    # architecture/_index.md @ 432b8f3cb7326442297ad64897bd85462c533099)
    old = {
        "auth": {
            "type": "custom",
            "state": {"enabled": True},
            "custom": {
                "className": "oauthenticator.generic.GenericOAuthenticator",
                "config": {"enable_auth_state": True, "client_id": "egi"},
            },
        }
    }
    imported = convert(old, from_chart="0.8.2")
    [line] = [line for line in imported.report if line.key == "auth.state.enabled"]
    assert line.action == "dropped"
    assert line.detail == (
        "set again at auth.custom.config.enable_auth_state, which wins as in traitlets"
    )


@pytest.mark.parametrize("as_list", [False, True])
def test_oauth_urls_the_old_hub_read_from_its_environment_become_auth_keys(as_list):
    urls = {
        "OAUTH2_AUTHORIZE_URL": "https://proxy.eduteams.org/saml2sp/OIDC/authorization",
        "OAUTH2_TOKEN_URL": "https://proxy.eduteams.org/OIDC/token",
        "KEEP_ME": "1",
    }
    env: Any = [{"name": k, "value": v} for k, v in urls.items()] if as_list else urls
    config = {"client_id": "hub", "token_url": "https://explicit.example.org/token"}
    old = {
        "hub": {"extraEnv": env},
        "auth": {"type": "custom", "custom": {
            "className": "oauthenticator.generic.GenericOAuthenticator", "config": config}},
    }  # fmt: skip
    imported = convert(old, from_chart="0.9.0")
    auth = imported.config["auth"]
    assert auth["authorizeUrl"] == urls["OAUTH2_AUTHORIZE_URL"]  # OAuthenticator's env default
    assert auth["tokenUrl"] == "https://explicit.example.org/token"  # config wins, as on the hub
    kept = imported.config["helmValues"]["hub"]["extraEnv"]
    names = [e["name"] for e in kept] if as_list else list(kept)
    assert names == ["OAUTH2_TOKEN_URL", "KEEP_ME"]


def test_oauth_environment_urls_pass_through_for_authenticators_with_their_own():
    # GitHubOAuthenticator sets its own URL defaults: its old hub ignored OAUTH2_AUTHORIZE_URL
    urls = {"OAUTH2_AUTHORIZE_URL": "https://idp.example.org/authorize"}
    old = {
        "hub": {
            "extraEnv": urls,
            "config": {
                "JupyterHub": {"authenticator_class": "github"},
                "GitHubOAuthenticator": {"client_id": "abc", "allowed_organizations": ["o"]},
            },
        }
    }
    imported = convert(old, from_chart="3.3.0")
    assert "authorizeUrl" not in imported.config["auth"]
    assert "options" not in imported.config["auth"]
    assert imported.config["helmValues"]["hub"]["extraEnv"] == urls


def test_a_snippet_nested_past_the_parser_is_kept_without_a_traceback():
    deep = "x = " + " + ".join(["1"] * 4000) + "\n"
    imported = convert({"hub": {"extraConfig": {"long": deep}}}, from_chart="4.0.0")
    assert imported.config["hub"]["extraConfig"]["long"].startswith("x = 1 + 1")


def test_the_mysql_url_snippet_never_replaces_a_snippet_of_the_old_file():
    old = {
        "hub": {
            "db": {"type": "mysql", "url": "mysql+pymysql://jhub:CANARY@db:3306/jhub"},
            "extraConfig": {"hub-db-url": "c.JupyterHub.log_level = 'DEBUG'"},
        }
    }
    imported = convert(old, from_chart="3.3.0")
    snippets = imported.config["hub"]["extraConfig"]
    assert snippets["hub-db-url"] == "c.JupyterHub.log_level = 'DEBUG'"
    assert "os.environ['HUB_DB_URL']" in snippets["hub-db-url-2"]
    [line] = [line for line in imported.report if line.action == "secret"]
    assert "hub.extraConfig.hub-db-url-2" in line.detail
