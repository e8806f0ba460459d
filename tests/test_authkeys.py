"""The typed sign-in keys table: each key's owner is where the real classes define the trait."""

import importlib

import pytest

from up2u_jupyter import authkeys
from up2u_jupyter.authenticators import load_catalogue
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import ChartSecrets, build_values

CATALOGUE = load_catalogue()
SECRETS = ChartSecrets(*["s"] * 4)


def defining_class(auth_type: str, trait: str) -> str:
    """The class in the real MRO that defines a trait (the one installed in .venv)."""
    module, _, name = CATALOGUE.types[auth_type].partition(":")
    cls = getattr(importlib.import_module(module), name)
    return next(k.__name__ for k in reversed(cls.__mro__) if trait in vars(k))


@pytest.mark.parametrize("row", authkeys.TYPED_KEYS, ids=lambda row: row.key)
def test_each_key_is_owned_by_the_class_that_defines_its_traits(row):
    probe = {"GitHubOAuthenticator": "github", "GoogleOAuthenticator": "google"}.get(
        row.owner, "generic-oauth"
    )
    sections = CATALOGUE.of(probe).sections  # most specific first
    owners = [defining_class(probe, trait) for trait in row.traits]
    # a key needing several traits belongs where the most specific of them is defined
    assert min(owners, key=sections.index) == row.owner


def test_shared_oauth_keys_work_for_every_oauth_type():
    oauth = [t for t in CATALOGUE.types if CATALOGUE.of(t).oauth and not t.startswith("local-")]
    assert {"azuread", "cilogon", "gitlab", "github", "generic-oauth"} <= set(oauth)
    for auth_type in oauth:
        keys = {row.key for row in authkeys.keys_for(CATALOGUE.of(auth_type).sections)}
        assert {"auth.clientId", "oauthClientSecret", "auth.scope", "auth.loginService"} <= keys


def test_azuread_takes_the_typed_client_id_and_group_keys():
    config = {
        "domain": "jupyter.example.org",
        "auth": {
            "type": "azuread",
            "clientId": "app-id",
            "scope": ["openid", "profile"],
            "groupsClaim": "groups",
            "allowedGroups": ["teachers"],
            "options": {"tenant_id": "school.onmicrosoft.com"},
        },
    }
    settings = load_settings(config, "dev")
    assert settings.required_secrets() == ["oauthClientSecret"]
    section = build_values(settings, SECRETS)["hub"]["config"]["AzureAdOAuthenticator"]
    assert section["client_id"] == "app-id"
    assert section["oauth_callback_url"] == "https://jupyter.example.org/hub/oauth_callback"
    # the manage_groups an azuread group rule needs comes with the typed key
    assert section["manage_groups"] is True and section["allowed_groups"] == ["teachers"]
    assert "login_service" not in section  # the class's own ("Azure AD") stays


def test_a_key_of_another_class_is_refused_naming_its_owner():
    from up2u_jupyter.errors import ConfigError

    config = {
        "domain": "jupyter.example.org",
        "auth": {"type": "azuread", "clientId": "x", "allowAll": True, "hostedDomain": ["a.b"]},
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(config, "dev")
    assert "GoogleOAuthenticator.hosted_domain" in raised.value.summary()
    assert "azuread" in raised.value.summary()


@pytest.mark.parametrize("auth_type", ["generic-oauth", "azuread", "github", "cilogon", "gitlab"])
def test_the_catalogue_knows_where_each_oauth_class_keeps_groups(auth_type):
    module, _, name = CATALOGUE.types[auth_type].partition(":")
    real = getattr(importlib.import_module(module), name)()
    recorded = CATALOGUE.of(auth_type)
    assert recorded.user_auth_state_key == real.user_auth_state_key
    assert recorded.groups_key_default == (real.auth_state_groups_key or None)


def test_a_groups_claim_renders_under_the_class_s_own_user_record():
    config = {
        "domain": "jupyter.example.org",
        "auth": {"type": "azuread", "clientId": "c", "groupsClaim": "roles",
                 "allowedGroups": ["teachers"]},
    }  # fmt: skip
    section = build_values(load_settings(config, "dev"), SECRETS)["hub"]["config"]
    assert section["AzureAdOAuthenticator"]["auth_state_groups_key"] == "user.roles"
    # azuread knows its groups claim: the rule needs no groupsClaim; generic-oauth asks for one
    del config["auth"]["groupsClaim"]
    assert (
        "auth_state_groups_key"
        not in build_values(load_settings(config, "dev"), SECRETS)["hub"]["config"][
            "AzureAdOAuthenticator"
        ]
    )
