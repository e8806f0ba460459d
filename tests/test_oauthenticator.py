"""The produced hub.config, loaded into the real JupyterHub 5.5 and OAuthenticator 17.4.

The hub image of chart 4.4.0 pins these versions; here we check that every option we set is
one they recognise, none is deprecated, and the authenticator resolves what we meant.
"""

import asyncio
import logging

import pytest
from traitlets.config import Config

from tests.conftest import ROOT, minimal_config
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config
from up2u_jupyter.values import ChartSecrets, build_values

jupyterhub_app = pytest.importorskip("jupyterhub.app")
generic = pytest.importorskip("oauthenticator.generic")

KEY = "00" * 32
CLIENT_SECRET = "from-the-kubernetes-secret"


def hub_config(settings) -> Config:
    """hub.config as the chart's jupyterhub_config.py applies it: one section per class."""
    values = build_values(settings, ChartSecrets("token", "cookie", KEY))
    return Config(values["hub"]["config"])


def prod_settings():
    config = read_stack_config(ROOT, "prod")
    return load_settings(config.values, "prod")


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
    app = jupyterhub_app.JupyterHub(config=hub_config(prod_settings()))
    assert app.authenticator_class is generic.GenericOAuthenticator


def test_prod_config_loads_without_unrecognised_or_deprecated_options(authenticator):
    _, warnings = authenticator(hub_config(prod_settings()))
    assert warnings == []


def test_authenticator_resolves_the_urls_claim_and_scopes_we_meant(authenticator):
    auth, _ = authenticator(hub_config(prod_settings()))
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

    keeper = CryptKeeper(config=hub_config(prod_settings()))
    assert keeper.keys == [bytes.fromhex(KEY)]


def test_the_warning_check_bites_on_a_deprecated_option(authenticator):
    config = hub_config(prod_settings())
    # renamed in OAuthenticator 16; it warns only when the value differs from username_claim
    config.GenericOAuthenticator.username_key = "email"
    _, warnings = authenticator(config)
    assert any("username_key" in w for w in warnings)


def test_the_warning_check_bites_on_an_unknown_option(authenticator):
    config = hub_config(prod_settings())
    config.GenericOAuthenticator.userdata_method = "GET"  # removed in OAuthenticator 16
    _, warnings = authenticator(config)
    assert any("userdata_method" in w for w in warnings)
