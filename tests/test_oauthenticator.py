"""The produced hub.config, loaded into the real JupyterHub 5.5 and OAuthenticator 17.4.

The hub image of chart 4.4.0 pins these versions; here we check that every option we set is
one they recognise, none is deprecated, and the authenticator resolves what we meant.
"""

import asyncio
import logging

import pytest
from traitlets.config import Config

from tests.conftest import committed_settings, minimal_config
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import ChartSecrets, build_values

jupyterhub_app = pytest.importorskip("jupyterhub.app")
generic = pytest.importorskip("oauthenticator.generic")

KEY = "00" * 32
CLIENT_SECRET = "from-the-kubernetes-secret"


def hub_config(settings) -> Config:
    """hub.config as the chart's jupyterhub_config.py applies it: one section per class."""
    values = build_values(settings, ChartSecrets("token", "cookie", KEY))
    return Config(values["hub"]["config"])


@pytest.fixture
def authenticator(caplog, monkeypatch):
    """Build the real GenericOAuthenticator from a config, returning it and its warnings."""
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", CLIENT_SECRET)

    def make(config: Config):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            auth = generic.GenericOAuthenticator(config=config)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        return auth, warnings

    return make


def test_authenticator_class_name_resolves_to_generic_oauthenticator():
    app = jupyterhub_app.JupyterHub(config=hub_config(committed_settings("prod")))
    assert app.authenticator_class is generic.GenericOAuthenticator


def test_prod_config_loads_without_unrecognised_or_deprecated_options(authenticator):
    _, warnings = authenticator(hub_config(committed_settings("prod")))
    assert warnings == []


def test_authenticator_resolves_the_urls_claim_and_scopes_we_meant(authenticator):
    auth, _ = authenticator(hub_config(committed_settings("prod")))
    assert auth.client_id == "up2u-jupyter-prod"
    assert auth.client_secret == CLIENT_SECRET  # read from OAUTH_CLIENT_SECRET, as in the pod
    assert auth.authorize_url == "https://proxy.eduteams.org/saml2sp/OIDC/authorization"
    assert auth.token_url == "https://proxy.eduteams.org/OIDC/token"
    assert auth.userdata_url == "https://proxy.eduteams.org/OIDC/userinfo"
    assert auth.oauth_callback_url == "https://jupyter.up2u.example.org/hub/oauth_callback"
    assert auth.username_claim == "sub"
    assert auth.scope == ["openid"]
    assert auth.userdata_params == {"state": "state"}
    assert auth.login_service == "eduTEAMS"
    assert auth.allow_all is True
    assert auth.admin_users == {"5f2b1e0c9a7d4b3e8f6a1c2d3e4f5a6b@eduteams.org"}


def test_allowed_users_and_admins_are_both_allowed(authenticator):
    config = minimal_config(
        auth={
            **minimal_config()["auth"],
            "allowAll": False,
            "allowedUsers": ["alice"],
            "adminUsers": ["root"],
        }
    )
    auth, warnings = authenticator(hub_config(load_settings(config, "dev")))
    assert warnings == []
    assert auth.allowed_users == {"alice"} and auth.allow_all is False

    def allowed_in(name):
        # the auth model JupyterHub 5 hands check_allowed after a successful OAuth login
        model = {"name": name, "admin": name in auth.admin_users, "auth_state": {}}
        return asyncio.run(auth.check_allowed(name, model))

    allowed = {name: allowed_in(name) for name in ("alice", "root", "mallory")}
    assert allowed == {"alice": True, "root": True, "mallory": False}


def test_crypt_keeper_accepts_the_generated_key_format():
    from jupyterhub.crypto import CryptKeeper

    keeper = CryptKeeper(config=hub_config(committed_settings("prod")))
    assert keeper.keys == [bytes.fromhex(KEY)]


def test_the_warning_check_bites_on_a_deprecated_option(authenticator):
    config = hub_config(committed_settings("prod"))
    # renamed in OAuthenticator 16; it warns only when the value differs from username_claim
    config.GenericOAuthenticator.username_key = "email"
    _, warnings = authenticator(config)
    assert any("username_key" in w for w in warnings)


def test_the_warning_check_bites_on_an_unknown_option(authenticator):
    config = hub_config(committed_settings("prod"))
    config.GenericOAuthenticator.userdata_method = "GET"  # removed in OAuthenticator 16
    _, warnings = authenticator(config)
    assert any("userdata_method" in w for w in warnings)


AUTHENTICATOR_CASES = {
    "github": (
        {"type": "github", "clientId": "gh-client", "allowedOrganizations": ["up2u"]},
        "oauthenticator.github:GitHubOAuthenticator",
        {"client_id": "gh-client", "allowed_organizations": {"up2u"}, "login_service": "GitHub"},
    ),
    "google": (
        {
            "type": "google",
            "clientId": "g-client",
            "hostedDomain": ["up2u.example.org"],
            "allowAll": True,
        },
        "oauthenticator.google:GoogleOAuthenticator",
        {"client_id": "g-client", "hosted_domain": ["up2u.example.org"], "allow_all": True},
    ),
    "dummy": (
        {"type": "dummy", "allowedUsers": ["tester"]},
        "jupyterhub.auth:DummyAuthenticator",
        {"allowed_users": {"tester"}},
    ),
    "tmp": ({"type": "tmp"}, "tmpauthenticator:TmpAuthenticator", {}),
}


@pytest.mark.parametrize("kind", sorted(AUTHENTICATOR_CASES))
def test_other_authenticator_types_load_cleanly(kind, caplog, monkeypatch):
    import importlib

    auth_config, class_path, expected = AUTHENTICATOR_CASES[kind]
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", CLIENT_SECRET)
    config = hub_config(load_settings(minimal_config(auth=auth_config), "dev"))
    app = jupyterhub_app.JupyterHub(config=config)
    module, _, name = class_path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    assert app.authenticator_class is cls
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        auth = cls(config=config)
    assert [r.getMessage() for r in caplog.records] == []
    for attribute, value in expected.items():
        assert getattr(auth, attribute) == value, attribute
    if kind in ("github", "google"):
        assert auth.client_secret == CLIENT_SECRET
        assert auth.oauth_callback_url == "https://jupyter.example.org/hub/oauth_callback"


def test_dummy_password_is_read_from_the_environment(monkeypatch):
    from jupyterhub.auth import DummyAuthenticator

    from up2u_jupyter.values import DUMMY_PASSWORD_CONFIG

    monkeypatch.setenv("DUMMY_PASSWORD", "from-secret")
    c = Config()
    exec(DUMMY_PASSWORD_CONFIG, {"c": c})  # what the chart does with hub.extraConfig
    # JupyterHub 5.3 deprecated this password in favour of SharedPasswordAuthenticator; it still
    # works in 5.5, and migrated dummy stacks keep their behaviour (see README, migration).
    with pytest.warns(DeprecationWarning, match="DummyAuthenticator.password is deprecated"):
        assert DummyAuthenticator(config=c).password == "from-secret"
