"""The one rule for what is secret: names, URLs, extraConfig code, values trees."""

import pytest

from up2u_jupyter.secretrule import (
    extraconfig_secrets,
    is_secret_name,
    redact_url,
    secret_leaves,
    url_has_secret,
)


@pytest.mark.parametrize(
    "name",
    [
        "client_secret", "clientSecret", "apiToken", "secretToken", "cookieSecret", "auth_token",
        "password", "bind_user_password", "user_password", "admin_password", "apiKey",
        "cryptKey", "privateKey", "JUPYTERHUB_CRYPT_KEY", "OAUTH_CLIENT_SECRET", "PGPASSWORD",
        "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "access_token", "sslpassword", "passphrase",
    ],
)  # fmt: skip
def test_names_that_hold_secrets_are_secret(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "token_url", "tokenUrl", "secretName", "existingSecret", "imagePullSecrets",
        "secretKeyRef", "auth_state_groups_key", "username_key", "key", "token_params",
        "enable_auth_state", "hosted_domain", "client_id", "userdata_url", "password_file",
    ],
)  # fmt: skip
def test_names_that_point_at_or_describe_secrets_are_not(name):
    assert not is_secret_name(name)


def test_urls_with_passwords_are_redacted_and_flagged():
    url = "postgresql://hub:pw@db:5432/hub?sslpassword=sp&sslmode=require"
    assert url_has_secret(url)
    assert redact_url(url) == "postgresql://hub:***@db:5432/hub?sslpassword=***&sslmode=require"
    assert not url_has_secret("postgresql://hub@db:5432/hub?sslmode=require")


def test_an_invalid_url_is_judged_and_redacted_without_raising():
    url = "postgresql://hub:pw@[::1:5432/hub"  # unbalanced IPv6 bracket: urlsplit raises
    assert url_has_secret(url)
    assert "pw" not in redact_url(url)


def test_extraconfig_assignments_of_secret_traits_are_found():
    code = (
        "c.GitHubOAuthenticator.client_secret = 'abc'\n"
        "c.Spawner.default_url = '/lab'\n"
        "import os\nos.environ['API_TOKEN'] = \"xyz\"\n"
        "c.LDAPAuthenticator.bind_user_password = os.environ['LDAP_PW']\n"  # read, not literal
    )
    assert extraconfig_secrets(code) == [
        "c.GitHubOAuthenticator.client_secret",
        "os.environ['API_TOKEN']",
    ]


def test_secret_leaves_walks_maps_env_lists_urls_and_code_but_not_references():
    tree = {
        "hub": {
            "extraEnv": {
                "OAUTH_CLIENT_SECRET": "x",
                "HOME_URL": "https://example.org",
                "DB_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            },
            "db": {"url": "postgresql://u:p@h/db", "password": ""},
            "config": {"CryptKeeper": {"keys": ["k1"]}},
            "extraConfig": {"auth": "c.X.client_secret = 'q'"},
        },
        "singleuser": {"extraEnv": [{"name": "MY_TOKEN", "value": "q"}]},
        "proxy": {"https": {"manual": {"key": "-----BEGIN"}}},
    }
    assert sorted(secret_leaves(tree)) == sorted(
        [
            ("hub", "extraEnv", "OAUTH_CLIENT_SECRET"),
            ("hub", "db", "url"),
            ("hub", "config", "CryptKeeper", "keys"),
            ("hub", "extraConfig", "auth"),
            ("singleuser", "extraEnv", "0", "MY_TOKEN"),
            ("proxy", "https", "manual", "key"),
        ]
    )


def test_volume_sources_that_name_a_secret_are_references_not_secrets():
    tree = {
        "hub": {
            "extraVolumes": [{"name": "certs", "secret": {"secretName": "hub-tls", "items": []}}],
            "extraEnv": {"TOKEN": {"secretKeyRef": {"name": "s", "key": "k"}}},
        },
        "singleuser": {"storage": {"extraVolumes": [{"secret": {"name": "x", "optional": True}}]}},
    }
    assert list(secret_leaves(tree)) == []
    assert list(secret_leaves({"secret": {"password": "CANARY"}})) == [("secret",)]


def test_stripping_url_secrets_keeps_the_user_and_other_parameters():
    from up2u_jupyter.secretrule import strip_url_secrets

    url = "postgresql://hub:pw@db:5432/hub?sslpassword=sp&sslmode=require"
    assert strip_url_secrets(url) == "postgresql://hub@db:5432/hub?sslmode=require"
    assert strip_url_secrets("postgresql://hub:pw@[::1:5432/hub") is None


def test_replace_leaf_edits_exactly_what_the_rule_found():
    from up2u_jupyter.secretrule import REMOVE, leaf, replace_leaf

    tree = {
        "env": [{"name": "A_TOKEN", "value": "1"}, {"name": "PLAIN", "value": "x"},
                {"name": "B_TOKEN", "value": "2"}],
        "db": {"password": "p", 5: {"apiKey": "k"}},
    }  # fmt: skip
    paths = list(secret_leaves(tree))
    assert leaf(tree, ("db", "5", "apiKey")) == "k"
    for path in reversed(paths):
        replace_leaf(tree, path, REMOVE)
    assert tree == {"env": [{"name": "PLAIN", "value": "x"}], "db": {5: {}}}
    hidden = {"db": {"password": "p"}, "env": [{"name": "MY_SECRET", "value": "s"}]}
    for path in list(secret_leaves(hidden)):
        replace_leaf(hidden, path, "<hidden>")
    assert hidden == {
        "db": {"password": "<hidden>"},
        "env": [{"name": "MY_SECRET", "value": "<hidden>"}],
    }


def test_an_extraconfig_snippet_is_judged_by_its_code_not_its_name():
    hook = "c.KubeSpawner.pre_spawn_hook = pass_tokens\nc.KubeSpawner.environment.update({})\n"
    leaking = "c.GenericOAuthenticator.client_secret = 'CANARY-in-code'\n"
    tree = {"hub": {"extraConfig": {"pass-tokens": hook, "api-secret": hook, "a": leaking}}}
    # names ending in "tokens"/"secret" name code; only the snippet assigning a literal is secret
    assert list(secret_leaves(tree)) == [("hub", "extraConfig", "a")]


@pytest.mark.parametrize(
    "pasted",
    [
        "CANARY-p0-7f3a",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",  # parses: a Name assignment
        "admin:hunter2",  # parses: an annotated name
        "DEEP",  # stands for code too deep for Python's parser: not judged as code
    ],
)
def test_a_bare_value_under_a_secret_named_snippet_is_still_a_secret(pasted):
    if pasted == "DEEP":
        pasted = "x = " + " + ".join(["1"] * 4000)
    tree = {"hub": {"extraConfig": {"secretToken": pasted, "token": "c.X.y = 1\n"}}}
    assert list(secret_leaves(tree)) == [("hub", "extraConfig", "secretToken")]


def test_a_snippet_of_calls_only_is_code():
    tree = {"hub": {"extraConfig": {"pass-tokens": "c.KubeSpawner.environment.update({'A': 1})"}}}
    assert list(secret_leaves(tree)) == []
