"""The authenticator catalogue: it matches the hub image's pins and the real classes, and the
checks of auth.options read it correctly."""

import importlib
import json
import os
import subprocess
import sys
from importlib import metadata

import pytest

from tests.conftest import CHART_DIR, ROOT
from up2u_jupyter import authenticators
from up2u_jupyter.authenticators import (
    load_catalogue,
    option_problems,
    unknown_type_message,
)
from up2u_jupyter.authenticators_catalogue import (
    ENTRY_POINT_GROUP,
    describe_class,
    is_secret_trait,
    normalize,
    read_pins,
)

CATALOGUE = load_catalogue()


def installed_at_pin(distribution: str) -> bool:
    try:
        return metadata.version(distribution) == CATALOGUE.pins[distribution]
    except metadata.PackageNotFoundError:
        return False


def load_class(class_id: str) -> type:
    module, _, name = class_id.partition(":")
    return getattr(importlib.import_module(module), name)


def importable(class_id: str) -> bool:
    try:
        load_class(class_id)
    except ImportError:  # e.g. MWOAuthenticator without mwoauth, which .venv does not need
        return False
    return True


INSTALLED = sorted(
    key
    for key, cls in CATALOGUE.classes.items()
    if installed_at_pin(cls.distribution) and importable(key)
)


# --- the file matches the pins and the real classes --------------------------------------------


def test_catalogue_records_exactly_the_hub_image_pins():
    pins_file = CHART_DIR / "hub-image-requirements.txt"
    if not pins_file.is_file():
        pytest.skip(f"chart reference data not found at {pins_file}")
    assert dict(CATALOGUE.pins) == read_pins(pins_file.read_text())
    assert CATALOGUE.chart == authenticators.CATALOGUE_CHART == "4.4.0"


def test_the_classes_installed_here_are_in_our_venv():
    # jupyterhub, oauthenticator and tmpauthenticator are pinned as in the image (test_requirements)
    distributions = {CATALOGUE.classes[key].distribution for key in INSTALLED}
    assert {"jupyterhub", "oauthenticator", "jupyterhub-tmpauthenticator"} <= distributions


@pytest.mark.parametrize("class_id", INSTALLED)
def test_installed_class_has_exactly_the_recorded_traits(class_id):
    recorded = CATALOGUE.classes[class_id]
    described = describe_class(load_class(class_id))
    assert described["section"] == recorded.section
    assert tuple(described["sections"]) == recorded.sections
    traits = {name: authenticators.Trait(**trait) for name, trait in described["traits"].items()}
    assert traits == dict(recorded.traits)


def test_every_entry_point_of_the_installed_pinned_packages_is_a_type():
    here = {}
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.dist is None or not installed_at_pin(normalize(entry_point.dist.name)):
            continue
        try:
            cls = entry_point.load()
        except ImportError:  # an optional dependency .venv does not have
            continue
        here[entry_point.name] = f"{cls.__module__}:{cls.__qualname__}"
    assert here, "no pinned authenticator package installed"
    assert {name: CATALOGUE.types[name] for name in here} == here


def test_the_catalogue_covers_every_authenticator_package_of_the_image():
    packages = {cls.distribution for cls in CATALOGUE.classes.values()}
    wanted = {name for name in CATALOGUE.pins if "authenticator" in name} | {"jupyterhub"}
    assert wanted - {"jupyterhub-hmacauthenticator"} <= packages
    for name in ("azuread", "cilogon", "gitlab", "ldap", "native", "firstuse", "shared-password"):
        assert name in CATALOGUE.types, name
    assert "ltiauthenticator.lti13.auth.LTI13Authenticator" in CATALOGUE.types


def test_secret_flags_follow_the_project_rule_everywhere():
    wrong = [
        f"{cls.section}.{name}"
        for cls in CATALOGUE.classes.values()
        for name, trait in cls.traits.items()
        if trait.secret != is_secret_trait(name, trait.type)
    ]
    assert wrong == []
    ldap = CATALOGUE.of("ldap")
    assert ldap is not None and ldap.traits["lookup_dn_search_password"].secret
    assert CATALOGUE.of("generic-oauth").traits["client_secret"].secret
    assert not CATALOGUE.of("generic-oauth").traits["client_id"].secret
    assert not CATALOGUE.of("native").traits["check_common_password"].secret  # a flag
    assert not CATALOGUE.of("generic-oauth").traits["auth_state_groups_key"].secret


@pytest.mark.skipif(
    not os.environ.get("UP2U_REBUILD_CATALOGUE"),
    reason="rebuilds the catalogue in a fresh virtualenv from PyPI (minutes); "
    "set UP2U_REBUILD_CATALOGUE=1 to run",
)
def test_a_fresh_build_from_the_pins_equals_the_committed_file(tmp_path):
    out = tmp_path / "data"
    subprocess.run(
        ["make", "-C", str(ROOT), "authenticator-catalogue", f"PYTHON={sys.executable}"],
        check=True,
        env={**os.environ, "CATALOGUE_OUT": str(out)},
    )
    fresh = (out / "authenticators-4.4.0.json").read_text()
    assert json.loads(fresh) == json.loads(authenticators.catalogue_path().read_text())


# --- checks of auth.type and auth.options ------------------------------------------------------


def test_a_misspelt_type_gets_the_closest_name():
    message = unknown_type_message("ldpa")
    assert message is not None and "did you mean ldap?" in message
    assert unknown_type_message("azuread") is None
    assert unknown_type_message("generic-oauth") is None


def messages(auth_type, options=None, secret_options=None):
    return option_problems(auth_type, options or {}, secret_options or {})


def test_an_unknown_option_gets_the_closest_known_name():
    [(key, value, message, secret)] = messages("azuread", {"tenant_idd": "abc"})
    assert (key, value, secret) == ("auth.options.tenant_idd", "abc", False)
    assert message == "not an option of AzureAdOAuthenticator; did you mean tenant_id?"


def test_a_secret_option_is_refused_hidden_and_names_the_fix():
    [(key, _, message, secret)] = messages("ldap", {"lookup_dn_search_password": "hunter2"})
    assert key == "auth.options.lookup_dn_search_password" and secret is True
    assert "secretEnv.LOOKUP_DN_SEARCH_PASSWORD" in message
    assert "auth.secretOptions.lookup_dn_search_password: LOOKUP_DN_SEARCH_PASSWORD" in message


def test_a_misspelt_secret_option_is_still_hidden():
    [(_, _, message, secret)] = messages("ldap", {"lookup_dn_search_pasword": "hunter2"})
    assert secret is True and "did you mean lookup_dn_search_password?" in message


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("server_port", "389", "a whole number"),
        ("use_lookup_dn_username", "yes", "true or false"),
        ("server_address", ["a"], "a string"),
        ("allowed_groups", "cn=x", "a list"),
    ],
)
def test_a_wrong_type_is_refused(option, value, words):
    [(key, shown, message, _)] = messages("ldap", {option: value})
    assert key == f"auth.options.{option}" and shown == value and f"takes {words}" in message


def test_right_types_pass():
    options = {"server_address": "ldap.example.org", "server_port": 636,
               "tls_strategy": "on_connect",
               "allowed_groups": ["cn=teachers,dc=example,dc=org"]}  # fmt: skip
    assert messages("ldap", options) == []


def test_aliases_kept_outside_alias_tables_are_deprecated_too():
    # OAuthenticator 17 handles these with observers of their own; ldapauthenticator 2.0 says
    # so in the help (the catalogue reads both, authenticators_catalogue.deprecated_aliases)
    [(_, _, message, _)] = messages("generic-oauth", {"claim_groups_key": "nickname"})
    assert message == "GenericOAuthenticator.claim_groups_key is deprecated; use auth.groupsClaim"
    [(_, _, message, _)] = messages("azuread", {"user_groups_claim": "roles"})
    assert message == "AzureAdOAuthenticator.user_groups_claim is deprecated; use auth.groupsClaim"
    [(_, _, message, _)] = messages("ldap", {"use_ssl": True})
    assert message == "LDAPAuthenticator.use_ssl is deprecated; use auth.options.tls_strategy"
    [(_, _, message, _)] = messages("ldap", {"escape_userdn": True})
    assert message == "LDAPAuthenticator.escape_userdn was removed and has no effect; remove it"
    [(_, _, message, _)] = messages("pam", {"group_whitelist": ["staff"]})
    assert (
        message == "PAMAuthenticator.group_whitelist is deprecated; use auth.options.allowed_groups"
    )
    [(_, _, message, _)] = messages("dummy", {"password": "x"})
    assert message == (
        "DummyAuthenticator.password is deprecated; use auth.type shared-password "
        "(SharedPasswordAuthenticator)"
    )


def test_deprecated_and_typed_options_point_to_the_right_key():
    [(_, _, message, _)] = messages("generic-oauth", {"username_key": "email"})
    assert message == "GenericOAuthenticator.username_key is deprecated; use auth.usernameClaim"
    [(_, _, message, _)] = messages("generic-oauth", {"client_id": "x"})
    assert message == "set by auth.clientId; use that key instead"
    [(_, _, message, _)] = messages("azuread", {"allowed_users": ["a"]})
    assert message == "set by auth.allowedUsers; use that key instead"
    # the typed keys every OAuth class shares work for azuread too (authkeys)
    [(_, _, message, _)] = messages("azuread", {"client_id": "x"})
    assert message == "set by auth.clientId; use that key instead"
    assert messages("azuread", {"tenant_id": "school"}) == []


def test_code_options_go_to_extra_config():
    [(_, _, message, _)] = messages("generic-oauth", {"modify_auth_state_hook": "f"})
    assert "hub.extraConfig" in message


def test_secret_options_need_a_known_trait_and_a_valid_variable_name():
    assert messages("ldap", secret_options={"lookup_dn_search_password": "LDAP_PW"}) == []
    [(key, shown, message, _)] = messages(
        "ldap", secret_options={"lookup_dn_search_pasword": "LDAP_PW"}
    )
    assert key == "auth.secretOptions.lookup_dn_search_pasword" and shown == "LDAP_PW"
    assert "did you mean lookup_dn_search_password?" in message
    [(_, _, message, _)] = messages("ldap", secret_options={"lookup_dn_search_password": "1-x"})
    assert "not an environment variable name" in message
    [(_, _, message, _)] = messages(
        "ldap", {"server_port": 1}, secret_options={"server_port": "PORT"}
    )
    assert message == "also set in auth.options.server_port; keep one of them"


def test_allow_rule_options_are_non_empty_allowed_lists():
    assert authenticators.allow_rule_options(
        {"allowed_groups": ["g"], "allowed_failed_logins": 3, "allowed_teams": [],
         "admin_groups": ["a"]}
    ) == ["admin_groups", "allowed_groups"]  # fmt: skip


def test_odd_option_names_are_escaped_and_long_ones_get_no_suggestion():
    [(key, _, message, _)] = messages("ldap", {"bad\x1b[31mname": 1})
    assert key == "auth.options.'bad\\x1b[31mname'"
    [(key, _, message, _)] = messages("ldap", {"server_address" * 20: 1})
    assert "(280 characters)" in key and message.endswith("see its traits in the catalogue")
