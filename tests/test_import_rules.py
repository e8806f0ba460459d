"""Who may sign in survives the import: rules in code are read (or asked), never guessed;
subclass sections, credentials from Secrets, services and every certificate host are kept."""

import pytest

from tests.importer_helpers import call, import_values, stack_values
from up2u_jupyter.importer import convert
from up2u_jupyter.importer.extraconfig import analyse

GITHUB = {
    "JupyterHub": {"authenticator_class": "github"},
    "GitHubOAuthenticator": {"client_id": "a"},
}


def _with_code(code: str, custom: dict | None = None, **answers):
    values = {"hub": {"config": dict(GITHUB), "extraConfig": {"rules": code}}}
    if custom is not None:
        values["custom"] = custom
    return convert(values, from_chart="2.0.0", answers=answers)


@pytest.mark.parametrize(
    "code",
    [
        "c.Authenticator.allowed_users = set(['ada', 'bob'])",
        "c.Authenticator.allowed_users = {'ada', 'bob'}",
        "c.Authenticator.allowed_users = ('ada', 'bob')",
        "c.Authenticator.allowed_users = frozenset(['bob', 'ada'])",
        "users = ['ada', 'bob']\nc.Authenticator.allowed_users = set(users)",
        "c.Authenticator.allowed_users = set(get_config('custom.users'))",
        "c.Authenticator.allowed_users = set(z2jh.get_config('custom.users', []))",
        "c.Authenticator.allowed_users = set()\nc.Authenticator.allowed_users.update(['ada'])\n"
        "c.Authenticator.allowed_users.add('bob')",
        "c.Authenticator.allowed_users = {'ada'} | {'bob'}",
        "c.Authenticator.whitelist = 'ada bob'.split()",
    ],
)
def test_an_allow_rule_in_any_literal_shape_becomes_the_typed_key(code):
    imported = _with_code(code, custom={"users": ["ada", "bob"]})
    assert imported.problems == []
    assert sorted(imported.config["auth"]["allowedUsers"]) == ["ada", "bob"]
    assert "allowAll" not in imported.config["auth"]  # the rule is kept, nobody else gets in
    assert "allowed_users" not in imported.config.get("hub", {}).get("extraConfig", {}).get(
        "rules", ""
    )


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("for line in open('/etc/users'):\n    c.Authenticator.allowed_users.add(line)", "loop"),
        ("c.Authenticator.allowed_users = set(load_users())", "load_users()"),
        ("c.Authenticator.allowed_users = set(get_config('custom.absent'))", "get_config"),
        ("if True:\n    c.Authenticator.allow_all = True", "condition"),
    ],
)
def test_a_rule_the_code_computes_is_asked_never_widened(code, why):
    imported = _with_code(code)
    (question,) = imported.problems
    assert "who may sign in is computed by code the importer cannot read" in question
    assert why in question and "--set auth.allowedUsers=[...]" in question
    assert "allowAll" not in imported.config["auth"]


def test_the_answer_settles_the_question_and_the_code_keeps_running():
    code = "for line in open('/etc/users'):\n    c.Authenticator.allowed_users.add(line)"
    imported = _with_code(code, **{"auth.allowedUsers": ["ada"]})
    assert imported.problems == []
    assert "open('/etc/users')" in imported.config["hub"]["extraConfig"]["rules"]
    assert any("kept in hub.extraConfig" in line.detail for line in imported.report)


def test_admins_computed_in_code_are_asked_for_with_their_own_key():
    imported = _with_code("c.Authenticator.admin_users = fetch_admins()")
    assert any("who is an admin" in p and "auth.adminUsers" in p for p in imported.problems)


PURDUE = {
    "hub": {
        "config": {
            "JupyterHub": {"authenticator_class": "cilogon"},
            "PurdueCILogonOAuthenticator": {
                "admin_users": ["lead"],
                "logout_redirect_url": "https://af.example.edu/hub",
                "allowed_idps": {
                    "https://idp.example.edu/idp/shibboleth": {
                        "allow_all": True,
                        "username_derivation": {"username_claim": "eppn"},
                    }
                },
            },
        },
        "extraEnv": {
            "CILOGON_CLIENT_SECRET": {
                "valueFrom": {"secretKeyRef": {"name": "auth-secret", "key": "client_secret"}}
            }
        },
    }
}


def test_a_subclass_section_is_carried_to_the_shipped_class():
    imported = convert(PURDUE, from_chart="3.0.0")
    auth = imported.config["auth"]
    assert auth["adminUsers"] == ["lead"]
    assert auth["options"]["logout_redirect_url"] == "https://af.example.edu/hub"
    assert auth["options"]["idps"]["https://idp.example.edu/idp/shibboleth"]["allow_all"]
    assert "allowAll" not in auth  # the identity provider's rule is kept, not widened


def test_a_credential_from_a_secret_becomes_the_stacks_own_with_the_command_to_copy_it():
    imported = convert(PURDUE, from_chart="3.0.0")
    assert "secretOptions" not in imported.config["auth"]  # the typed credential, as for all
    assert "hub" not in imported.config.get("helmValues", {})  # no override left behind
    (command,) = imported.commands("s", "jhub")
    assert command == (
        "kubectl -n jhub get secret auth-secret -o jsonpath='{.data.client_secret}' | base64 -d | "
        "pulumi config set --secret up2u-jupyter:oauthClientSecret --stack s"
    )


def test_an_oauth_client_secret_override_maps_to_the_stacks_credential():
    values = {
        "hub": {
            "config": {
                "JupyterHub": {"authenticator_class": "github"},
                "GitHubOAuthenticator": {"client_id": "a", "allowed_organizations": ["o"]},
            },
            "extraEnv": {
                "OAUTH_CLIENT_SECRET": {"valueFrom": {"secretKeyRef": {"name": "gh", "key": "s"}}}
            },
        }
    }
    imported = convert(values, from_chart="3.0.0")
    assert "helmValues" not in imported.config  # the stack's own secretKeyRef is not overridden
    assert imported.secrets_to_set["oauthClientSecret"].startswith(
        "kubectl -n NAMESPACE get secret gh"
    )


def test_a_subclass_only_option_is_asked_and_the_answer_settles_it():
    values = {
        "hub": {
            "config": {
                "JupyterHub": {"authenticator_class": "cilogon"},
                "CILogonOAuthenticator": {"client_id": "cilogon:/client_id/1"},
                "SchoolCILogonOAuthenticator": {"school_banner": "x", "admin_users": ["a"]},
            }
        }
    }
    (question,) = convert(values, from_chart="4.0.0").problems
    assert "CILogonOAuthenticator has no option school_banner" in question
    assert "--set auth.type=cilogon" in question
    answered = convert(values, from_chart="4.0.0", answers={"auth.type": "cilogon"})
    assert answered.problems == [] and answered.config["auth"]["adminUsers"] == ["a"]


def test_a_class_code_defines_on_a_shipped_one_is_its_subclass():
    snippet = analyse("a", "class Campus(CILogonOAuthenticator):\n    pass\n")
    assert snippet.classes == {"Campus": ["CILogonOAuthenticator"]}
    values = {
        "hub": {
            "config": {
                "JupyterHub": {"authenticator_class": "cilogon"},
                "Campus": {"admin_users": ["a"]},
            },
            "extraConfig": {"a": "class Campus(CILogonOAuthenticator):\n    pass\n"},
        }
    }
    assert convert(values, from_chart="4.0.0").config["auth"]["adminUsers"] == ["a"]


def test_a_service_with_only_its_token_stays_registered():
    imported = convert(
        {"hub": {"services": {"dask-gateway": {"apiToken": "CANARY-gw"}}}}, from_chart="1.0.0"
    )
    assert imported.config["helmValues"]["hub"]["services"] == {"dask-gateway": {}}
    assert "CANARY" not in repr(imported.config)


def test_environment_numbers_and_booleans_become_the_text_they_stand_for():
    imported = convert(
        {
            "hub": {"extraEnv": {"JUPYTER_ENABLE_LAB": 1}},
            "singleuser": {"extraEnv": {"DB_PORT": 5432, "IS_STAGING": False, "NONE": None}},
        },
        from_chart="0.9.0",
    )
    assert imported.config["singleuser"]["extraEnv"] == {"DB_PORT": "5432", "IS_STAGING": "false"}
    assert imported.config["helmValues"]["hub"]["extraEnv"] == {"JUPYTER_ENABLE_LAB": "1"}


def test_an_extra_file_without_content_is_dropped_loudly_with_the_fix():
    imported = convert(
        {"hub": {"extraFiles": {"spawner": {"mountPath": "/etc/jupyterhub/a.py"}}}},
        from_chart="3.0.0",
    )
    assert "extraFiles" not in repr(imported.config)
    assert any(
        "helmValues.hub.extraFiles.spawner with mountPath and stringData" in notice
        for notice in imported.notices
    )


LE_TWO_HOSTS = (
    "proxy:\n  https:\n    enabled: true\n    hosts: [exam.example.edu, www.exam.example.edu]\n"
    "    letsencrypt: {contactEmail: ops@example.edu}\n"
    "hub:\n  config:\n    JupyterHub: {authenticator_class: dummy}\n"
    "    Authenticator: {allowed_users: [a]}\n"
)


def test_every_lets_encrypt_host_keeps_its_certificate(project_dir, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(LE_TWO_HOSTS)
    code, _, err = import_values(project_dir, old)
    assert code == 0, err
    config = stack_values(project_dir)
    assert config["domain"] == "exam.example.edu"
    assert config["https"]["extraHosts"] == ["www.exam.example.edu"]
    code, out, _ = call("values", "--stack", "imported", "--project-dir", project_dir)
    assert "    hosts:\n    - exam.example.edu\n    - www.exam.example.edu\n" in out
    # with another domain, both old hosts keep theirs
    code, _, err = import_values(project_dir, old, "--domain", "new.example.edu", "--force")
    assert stack_values(project_dir)["https"]["extraHosts"] == [
        "exam.example.edu",
        "www.exam.example.edu",
    ]


@pytest.mark.parametrize(
    ("https", "words"),
    [
        (
            {"mode": "offload", "extraHosts": ["b.example.org"]},
            "only used with https.mode letsencrypt",
        ),
        (
            {"mode": "letsencrypt", "contactEmail": "o@example.org", "extraHosts": ["not a host"]},
            "",
        ),
    ],
)
def test_extra_hosts_are_host_names_for_lets_encrypt_only(project_dir, https, words):
    from tests.conftest import minimal_config, write_stack

    write_stack(project_dir, "s", minimal_config(https=https))
    code, _, err = call("check", "--stack", "s", "--project-dir", project_dir)
    assert code == 1 and "up2u-jupyter:https.extraHosts" in err and words in err
