"""The authenticators' start-up rules table (deployment/signin_rules.py), proved against the real
classes installed here: JupyterHub 5.5.0, OAuthenticator 17.4.0, tmpauthenticator 1.0.0 (the
hub image's pins). For each verified row: a config that breaks it makes the real class do what
the row says (stop at start with the row's message, or fail or refuse sign-in), and the row's
own test says so; a config that keeps it lets the class start, and the row's test agrees.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from traitlets.config import Config

from up2u_jupyter.deployment.signin_rules import (
    FAILS,
    NOBODY,
    OPEN_DOORS,
    REFUSES,
    RULES,
    STOPS,
    Authenticator,
    StartupRule,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def cls_of(path: str) -> type:
    import importlib

    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def view(cls: type, traits: dict[str, Any], hub_env: frozenset[str] = frozenset()) -> Authenticator:
    """What check sees: the class's sections and the traits the config sets."""
    sections = tuple(reversed(cls.section_names()))  # type: ignore[attr-defined]
    return Authenticator(cls.__name__, sections, traits, hub_env=hub_env)


def build(cls: type, traits: dict[str, Any]) -> Any:
    config = Config()
    for name, value in traits.items():
        setattr(config[cls.__name__], name, value)
    return cls(config=config)


def rule(section: str, effect: str, message: str) -> StartupRule:
    found = [
        r for r in RULES if r.section == section and r.effect == effect and message in r.message
    ]
    assert len(found) == 1, (section, message)
    return found[0]


GENERIC = "oauthenticator.generic.GenericOAuthenticator"
AZURE = "oauthenticator.azuread.AzureAdOAuthenticator"
CILOGON = "oauthenticator.cilogon.CILogonOAuthenticator"
IDP = {
    "https://idp.example.edu/idp/shibboleth": {"username_derivation": {"username_claim": "email"}}
}

STOPPING = [
    # (row: section, message part), class, config that breaks it, config that keeps it
    (
        ("OAuthenticator", "requires {cls}.manage_groups"),
        AZURE,
        {"allowed_groups": ["teachers"]},
        {"allowed_groups": ["teachers"], "manage_groups": True},
    ),
    (
        ("OAuthenticator", "requires {cls}.manage_groups"),
        GENERIC,
        {"auth_state_groups_key": "oauth_user.groups"},
        {"auth_state_groups_key": "oauth_user.groups", "manage_groups": True},
    ),
    (
        ("GenericOAuthenticator", "requires {cls}.manage_groups"),
        GENERIC,
        {"claim_groups_key": "nickname"},
        {"claim_groups_key": "nickname", "manage_groups": True},
    ),
    (
        ("OAuthenticator", "Cannot specify both"),
        GENERIC,
        {"userdata_url": "https://idp.example.org/u", "userdata_from_id_token": True},
        {"userdata_url": "https://idp.example.org/u"},
    ),
    (
        ("OAuthenticator", "Allowed scopes must be a subset"),
        GENERIC,
        {"scope": ["openid"], "allowed_scopes": ["openid", "admin"]},
        {"scope": ["openid", "admin"], "allowed_scopes": ["admin"]},
    ),
    (("CILogonOAuthenticator", "One or more idps"), CILOGON, {"idps": {}}, {"idps": IDP}),
    (
        ("CILogonOAuthenticator", "must** be CILogon permitted EntityIDs"),
        CILOGON,
        {"idps": {"campus.example.edu": IDP["https://idp.example.edu/idp/shibboleth"]}},
        {"idps": IDP},
    ),
    (
        ("CILogonOAuthenticator", "'username_derivation' is a required property"),
        CILOGON,
        {"idps": {"https://idp.example.edu/idp/shibboleth": {"default": True}}},
        {"idps": IDP},
    ),
    (
        ("SharedPasswordAuthenticator", "password_groups is set"),
        "jupyterhub.authenticators.shared.SharedPasswordAuthenticator",
        {"password_groups": {"p" * 12: ["students"]}},
        {"password_groups": {"p" * 12: ["students"]}, "manage_groups": True},
    ),
]


@pytest.mark.parametrize(
    ("row", "path", "broken", "fine"),
    STOPPING,
    ids=[f"{r[0][0]}-{i}" for i, r in enumerate(STOPPING)],
)
def test_a_rule_that_stops_the_hub_stops_the_real_class(row, path, broken, fine):
    cls = cls_of(path)
    found = rule(row[0], STOPS, row[1])
    assert found.verified
    assert found.fault(view(cls, broken)) is not None
    assert found.fault(view(cls, fine)) is None
    stable = row[1].replace("{cls}", cls.__name__)
    with pytest.raises(Exception, match=_escaped(stable)):
        build(cls, broken)
    build(cls, fine)  # starts


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


def test_cilogon_without_idps_starts_and_then_fails_every_sign_in():
    cls = cls_of(CILOGON)
    found = rule("CILogonOAuthenticator", FAILS, "idps is not configured")
    instance = build(cls, {})  # no start error: the @validate runs only on assignment
    assert found.fault(view(cls, {})) == ""
    assert found.fault(view(cls, {"idps": IDP})) is None
    from oauthenticator.cilogon import _get_select_idp_param

    with pytest.raises(StopIteration):  # what the login handler does with every sign-in
        _get_select_idp_param(instance.idps)


def test_auth0_without_a_domain_cannot_make_its_urls():
    cls = cls_of("oauthenticator.auth0.Auth0OAuthenticator")
    found = rule("Auth0OAuthenticator", FAILS, "auth0_domain or auth0_subdomain")
    assert found.fault(view(cls, {})) == ""
    assert found.fault(view(cls, {}, hub_env=frozenset({"AUTH0_DOMAIN"}))) is None
    assert found.fault(view(cls, {"auth0_subdomain": "school"})) is None
    with pytest.raises(ValueError, match="Configuring either auth0_domain or auth0_subdomain"):
        _ = build(cls, {}).authorize_url
    assert build(cls, {"auth0_subdomain": "school"}).authorize_url.startswith("https://school.")


def test_tmp_without_allow_all_refuses_every_visitor():
    cls = cls_of("tmpauthenticator.TmpAuthenticator")
    found = rule("TmpAuthenticator", REFUSES, "not allowed")
    assert found.fault(view(cls, {})) == "allow_all"
    assert found.fault(view(cls, {"allow_all": True})) is None
    assert build(cls, {}).check_allowed("4f1c-visitor") is False
    assert build(cls, {"allow_all": True}).check_allowed("4f1c-visitor") is True


def test_local_authenticators_fail_for_users_the_hub_pod_does_not_have():
    cls = cls_of("oauthenticator.generic.LocalGenericOAuthenticator")
    found = rule("LocalAuthenticator", FAILS, "does not exist on the system")
    assert found.fault(view(cls, {})) == ""
    assert found.fault(view(cls_of(GENERIC), {})) is None  # only the local- variants

    class User:
        name = "no-such-unix-user-4f1c"

    with pytest.raises(KeyError, match="does not exist on the system"):
        asyncio.run(build(cls, {"allow_all": True}).add_user(User()))


def test_null_has_no_sign_in_page():
    cls = cls_of("jupyterhub.auth.NullAuthenticator")
    found = rule("NullAuthenticator", NOBODY, "no login handlers")
    assert found.fault(view(cls, {})) == ""
    assert build(cls, {}).get_handlers(None) == []


def test_every_row_about_an_installed_class_is_verified_here():
    installed = {
        "OAuthenticator",
        "GenericOAuthenticator",
        "CILogonOAuthenticator",
        "Auth0OAuthenticator",
        "SharedPasswordAuthenticator",
        "TmpAuthenticator",
        "LocalAuthenticator",
        "NullAuthenticator",
    }
    assert {r.section for r in RULES if r.verified} == installed
    assert all(r.source for r in RULES)


# --- open doors -----------------------------------------------------------------------------------


def _signs_in(instance: Any, name: str, password: str) -> bool:
    async def go() -> Any:
        return await instance.get_authenticated_user(None, {"username": name, "password": password})

    return asyncio.run(go()) is not None


OPEN: list[tuple[str, dict[str, Any], Callable[[Any], bool]]] = [
    ("jupyterhub.auth.DummyAuthenticator", {}, lambda a: _signs_in(a, "stranger", "anything")),
    (
        "jupyterhub.authenticators.shared.SharedPasswordAuthenticator",
        {"allow_all": True, "user_password": "workshop-2026"},
        lambda a: _signs_in(a, "any-new-name", "workshop-2026"),
    ),
    (
        "tmpauthenticator.TmpAuthenticator",
        {"allow_all": True},
        lambda a: a.check_allowed("a-fresh-uuid"),
    ),
]


@pytest.mark.parametrize(
    ("path", "traits", "lets_in"), OPEN, ids=[path.rpartition(".")[2] for path, _, _ in OPEN]
)
def test_an_open_door_lets_a_stranger_in_with_the_real_class(path, traits, lets_in, caplog):
    cls = cls_of(path)
    door = next(d for d in OPEN_DOORS if d.section == cls.__name__)
    assert door.opens(view(cls, traits))
    with caplog.at_level(logging.ERROR):
        assert lets_in(build(cls, traits))
