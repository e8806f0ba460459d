"""The produced hub.config, loaded into the real JupyterHub 5.5 and OAuthenticator 17.4.

The hub image of chart 4.4.0 pins these versions; here we check that every option we set is
one they recognise, none is deprecated, and the authenticator resolves what we meant.
"""

import asyncio
import logging

import pytest
from traitlets.config import Config

from tests.conftest import EDUTEAMS, committed_settings, minimal_config
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
    # TmpAuthenticator 1.0 keeps JupyterHub 5's allow_all=False: the stack says allowAll
    "tmp": (
        {"type": "tmp", "allowAll": True},
        "tmpauthenticator:TmpAuthenticator",
        {"allow_all": True},
    ),
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


# --- group rules: the authenticator's own sign-in logic on eduTEAMS-shaped user info -------------

MEMBERS = "urn:geant:eduteams.org:service:up2u:group:jupyter-dev#eduteams.org"
TEACHERS = "urn:geant:eduteams.org:service:up2u:group:teachers#eduteams.org"


class LocalProvider:
    """A token and a userinfo endpoint on 127.0.0.1 answering like eduTEAMS for one user.

    Only the two endpoint URLs of the rendered config are swapped for these: the code
    exchange, the userinfo request, the claim and group mapping and the allow/admin decision
    all run in the real GenericOAuthenticator.
    """

    def __init__(self):
        self.userinfo: dict = {}

    async def start(self):
        from tornado import web
        from tornado.httpserver import HTTPServer
        from tornado.testing import bind_unused_port

        provider = self

        class Token(web.RequestHandler):
            def post(self):
                self.write({"access_token": "at", "token_type": "Bearer", "scope": "openid"})

        class UserInfo(web.RequestHandler):
            def get(self):
                assert self.request.headers["Authorization"] == "Bearer at"
                self.write(provider.userinfo)

        sock, port = bind_unused_port()  # 127.0.0.1
        self.server = HTTPServer(web.Application([("/token", Token), ("/userinfo", UserInfo)]))
        self.server.add_sockets([sock])
        self.url = f"http://127.0.0.1:{port}"

    def stop(self):
        self.server.stop()


class CallbackHandler:
    """What OAuthenticator reads from the hub's callback request: the code and the PKCE state."""

    def get_argument(self, name, default=None):
        return {"code": "the-code"}.get(name, default)

    def get_state_cookie(self):
        from oauthenticator.oauth2 import _serialize_state

        return _serialize_state({"code_verifier": "v" * 43})


def group_config(**auth):
    base = {**minimal_config()["auth"], "allowAll": False,
            "scope": ["openid", "eduperson_entitlement"],
            "groupsClaim": "eduperson_entitlement", "allowedGroups": [MEMBERS], **auth}  # fmt: skip
    return hub_config(load_settings(minimal_config(auth=base), "dev"))


def sign_in(auth, userinfo):
    """The real sign-in (authenticate, normalize, check_allowed, admin) for one user info."""

    async def flow():
        provider = LocalProvider()
        await provider.start()
        try:
            auth.token_url, auth.userdata_url = f"{provider.url}/token", f"{provider.url}/userinfo"
            provider.userinfo = userinfo
            return await auth.get_authenticated_user(CallbackHandler(), None)
        finally:
            provider.stop()

    return asyncio.run(flow())


def test_group_rules_load_without_warnings_and_mean_what_we_set(authenticator):
    auth, warnings = authenticator(group_config(adminGroups=[TEACHERS]))
    assert warnings == []
    assert auth.manage_groups is True
    assert auth.auth_state_groups_key == "oauth_user.eduperson_entitlement"
    assert (auth.allowed_groups, auth.admin_groups) == ({MEMBERS}, {TEACHERS})


def test_a_member_of_the_allowed_group_gets_in_and_is_not_admin(authenticator):
    auth, _ = authenticator(group_config(adminGroups=[TEACHERS]))
    user = sign_in(auth, {"sub": "ann@eduteams.org", "eduperson_entitlement": [MEMBERS]})
    assert user is not None and user["name"] == "ann@eduteams.org"
    assert user["groups"] == [MEMBERS] and user["admin"] is False


def test_a_user_outside_the_groups_is_refused(authenticator):
    auth, _ = authenticator(group_config(adminGroups=[TEACHERS]))
    other = "urn:geant:eduteams.org:service:up2u:group:other#eduteams.org"
    assert sign_in(auth, {"sub": "bob@eduteams.org", "eduperson_entitlement": [other]}) is None
    assert sign_in(auth, {"sub": "bob@eduteams.org", "eduperson_entitlement": []}) is None
    assert sign_in(auth, {"sub": "bob@eduteams.org"}) is None  # scope not granted: no claim


def test_a_member_of_the_admin_group_gets_in_as_admin(authenticator):
    auth, _ = authenticator(group_config(adminGroups=[TEACHERS]))
    user = sign_in(auth, {"sub": "tess@eduteams.org", "eduperson_entitlement": [TEACHERS]})
    assert user is not None and user["admin"] is True


def test_named_users_still_get_in_beside_the_group_rule(authenticator):
    auth, _ = authenticator(group_config(allowedUsers=["carl@eduteams.org"]))
    user = sign_in(auth, {"sub": "carl@eduteams.org", "eduperson_entitlement": []})
    assert user is not None and user["admin"] is None  # no admin rule here: nothing decided


def test_the_committed_dev_stack_lets_its_group_in(authenticator):
    dev = committed_settings("dev")
    auth, warnings = authenticator(hub_config(dev))
    assert warnings == []
    for group in dev.auth.allowed_groups:  # jupyter-dev, and its class's pupils and teachers
        member = sign_in(auth, {"sub": "x@eduteams.org", "eduperson_entitlement": [group]})
        assert member is not None and member["admin"] is None
    admin = dev.auth.admin_users[0]
    assert sign_in(auth, {"sub": admin, "eduperson_entitlement": []})["admin"] is True
    assert sign_in(auth, {"sub": "y@eduteams.org", "eduperson_entitlement": []}) is None


# --- every authenticator the hub image ships, as far as .venv has them ---------------------------


def _catalogue_types_installed_here():
    from tests.test_authenticators import CATALOGUE, INSTALLED

    return sorted(name for name, key in CATALOGUE.types.items() if key in INSTALLED)


def _yaml_default(trait):
    """A trait's static default as a stack file could write it, or None."""
    value = trait.default_value
    if isinstance(value, set | tuple):
        value = sorted(value) if all(isinstance(v, str) for v in value) else None
    if isinstance(value, bool | int | float | str | list | dict) and json_safe(value):
        return value
    return None


def json_safe(value):
    import json

    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


@pytest.mark.parametrize("auth_type", _catalogue_types_installed_here())
def test_every_installed_authenticator_loads_its_options_without_warnings(
    auth_type, caplog, monkeypatch
):
    """Each option the catalogue allows, set to the class's own default through the stack's
    auth.options, passes check and loads into the real class with no warning."""
    from up2u_jupyter.authenticators import load_catalogue, typed_traits

    monkeypatch.setenv("OAUTH_CLIENT_SECRET", CLIENT_SECRET)
    catalogue = load_catalogue()
    recorded = catalogue.of(auth_type)
    module, _, name = recorded.class_id.partition(":")
    import importlib

    cls = getattr(importlib.import_module(module), name)
    live = cls.class_traits(config=True)
    typed = typed_traits(auth_type)
    options = {}
    for trait_name, trait in recorded.traits.items():
        if trait.secret or trait.deprecated or trait.type == "callable" or trait_name in typed:
            continue
        value = _yaml_default(live[trait_name])
        if value is not None and trait.accepts(value):
            options[trait_name] = value
    assert options, "no option exercised"
    auth = {"type": auth_type, "allowAll": True, "options": options}
    if recorded.oauth:
        generic = "GenericOAuthenticator" in recorded.sections
        auth |= {"clientId": "c"} | ({**EDUTEAMS} if generic else {})
    config = hub_config(load_settings(minimal_config(auth=auth), "dev"))
    app = jupyterhub_app.JupyterHub(config=config)
    assert app.authenticator_class is cls
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        instance = cls(config=config)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert instance.allow_all is True  # the stack said so (auth.allowAll), whatever the class
    for trait_name, value in options.items():
        got = getattr(instance, trait_name)
        assert (sorted(got) if isinstance(got, set | tuple) else got) == value, trait_name


def test_another_oauth_provider_takes_the_typed_client_keys(monkeypatch):
    """azuread with the keys every OAuth class shares (authkeys): auth.clientId into hub.config,
    oauthClientSecret from the credentials Secret as OAUTH_CLIENT_SECRET, the callback from
    domain; its own options beside them; the secret is nowhere in the values."""
    from oauthenticator.azuread import AzureAdOAuthenticator

    auth = {"type": "azuread", "allowedUsers": ["ann"], "clientId": "az-client",
            "loginService": "Azure", "options": {"tenant_id": "t-1"}}  # fmt: skip
    settings = load_settings(minimal_config(auth=auth), "dev")
    assert settings.required_secrets() == ["oauthClientSecret"]
    values = build_values(settings, ChartSecrets("token", "cookie", KEY))
    hub = values["hub"]
    ref = hub["extraEnv"]["OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "jhub-up2u-credentials", "key": "oauth-client-secret"}
    assert "client_secret" not in hub["config"]["AzureAdOAuthenticator"]
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", "from-the-credentials-secret")
    az = AzureAdOAuthenticator(config=Config(hub["config"]))
    assert az.client_secret == "from-the-credentials-secret"
    assert (az.client_id, az.tenant_id, az.login_service) == ("az-client", "t-1", "Azure")
    assert az.oauth_callback_url == "https://jupyter.example.org/hub/oauth_callback"
    assert az.allowed_users == {"ann"}


def test_a_structured_secret_option_is_parsed_from_json(monkeypatch):
    from up2u_jupyter.values import secret_options_config

    auth = {"type": "shared-password", "allowAll": True,
            "secretOptions": {"user_password": "SHARED_PW"}}  # fmt: skip
    code = secret_options_config(load_settings(minimal_config(auth=auth), "dev"))
    assert "c.SharedPasswordAuthenticator.user_password = os.environ['SHARED_PW']" in code
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

    monkeypatch.setenv("SHARED_PW", "a-long-enough-shared-password")
    c = Config()
    exec(code, {"c": c})
    assert SharedPasswordAuthenticator(config=c).user_password == "a-long-enough-shared-password"
