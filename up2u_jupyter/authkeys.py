"""The typed sign-in keys and the authenticator traits they set: one table, keyed by owner class.

Each typed key (``auth.clientId``, ``oauthClientSecret``, ...) sets one or more traits, and each
trait is owned by the class that defines it (OAuthenticator 17.4 defines almost all of them on
``OAuthenticator``, JupyterHub 5.5 the allow rules on ``Authenticator``). A key therefore works
for every authenticator type whose class inherits from the owner, which the catalogue records
(``AuthenticatorClass.sections``): ``auth.clientId`` and ``oauthClientSecret`` work for
``azuread`` as they do for ``generic-oauth``.

Read by the settings (which keys a type accepts, which it needs), the values (what is written
into the class's ``hub.config`` section), the ``auth.options`` check (a trait a typed key sets
must use that key) and the importer (which old traits become typed keys). ``test_authkeys.py``
proves each row's owner against the installed classes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .credentials import OAUTH_CLIENT_SECRET

AUTHENTICATOR = "Authenticator"
OAUTHENTICATOR = "OAuthenticator"
GENERIC = "GenericOAuthenticator"


@dataclass(frozen=True)
class TypedKey:
    """One typed sign-in key and the traits it renders."""

    key: str
    """The stack config key (without ``up2u-jupyter:``)."""
    attribute: str | None
    """The ``Auth`` model field holding it (None: a key outside ``auth``)."""
    owner: str
    """The class that defines the trait(s): the key applies to every class inheriting it."""
    traits: tuple[str, ...]
    """The traits it sets in the authenticator's section."""
    required_by: tuple[str, ...] = ()
    """Classes (config sections) that cannot sign anyone in without it."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Class -> the value written when the key is not set (Up2U's default for that class)."""


TYPED_KEYS: tuple[TypedKey, ...] = (
    TypedKey("auth.allowAll", "allow_all", AUTHENTICATOR, ("allow_all",)),
    TypedKey("auth.allowedUsers", "allowed_users", AUTHENTICATOR, ("allowed_users",)),
    TypedKey("auth.adminUsers", "admin_users", AUTHENTICATOR, ("admin_users",)),
    TypedKey("auth.loginService", "login_service", AUTHENTICATOR, ("login_service",),
             defaults={GENERIC: "SSO"}),
    TypedKey("auth.clientId", "client_id", OAUTHENTICATOR, ("client_id",),
             required_by=(OAUTHENTICATOR,)),
    # the client secret reaches the hub as OAUTH_CLIENT_SECRET, OAuthenticator's own default
    # source for client_secret (credentials.SECRETS), never through the values
    TypedKey(OAUTH_CLIENT_SECRET, None, OAUTHENTICATOR, ("client_secret",)),
    TypedKey("domain", None, OAUTHENTICATOR, ("oauth_callback_url",)),
    TypedKey("auth.scope", "scope", OAUTHENTICATOR, ("scope",), defaults={GENERIC: ["openid"]}),
    # GenericOAuthenticator has no endpoints of its own; every other OAuth class knows its
    # provider's and takes these only to point elsewhere (e.g. GitHub Enterprise)
    TypedKey("auth.authorizeUrl", "authorize_url", OAUTHENTICATOR, ("authorize_url",),
             required_by=(GENERIC,)),
    TypedKey("auth.tokenUrl", "token_url", OAUTHENTICATOR, ("token_url",),
             required_by=(GENERIC,)),
    TypedKey("auth.userdataUrl", "userdata_url", OAUTHENTICATOR, ("userdata_url",),
             required_by=(GENERIC,)),
    TypedKey("auth.usernameClaim", "username_claim", OAUTHENTICATOR, ("username_claim",),
             defaults={GENERIC: "sub"}),
    TypedKey("auth.userdataParams", "userdata_params", OAUTHENTICATOR, ("userdata_params",),
             defaults={GENERIC: {}}),
    TypedKey("auth.allowedOrganizations", "allowed_organizations", "GitHubOAuthenticator",
             ("allowed_organizations",), defaults={"GitHubOAuthenticator": []}),
    TypedKey("auth.hostedDomain", "hosted_domain", "GoogleOAuthenticator", ("hosted_domain",),
             defaults={"GoogleOAuthenticator": []}),
    # OAuthenticator 17 reads groups from auth_state (claim_groups_key is deprecated) and
    # honours group rules only with manage_groups, which also mirrors the provider's groups
    # into JupyterHub groups at each sign-in
    TypedKey("auth.groupsClaim", "groups_claim", OAUTHENTICATOR,
             ("auth_state_groups_key", "manage_groups")),
    TypedKey("auth.allowedGroups", "allowed_groups", OAUTHENTICATOR, ("allowed_groups",)),
    TypedKey("auth.adminGroups", "admin_groups", OAUTHENTICATOR, ("admin_groups",)),
)  # fmt: skip
"""Every typed sign-in key, in the order the reference lists them."""

GROUPS_CLAIM_ASKED_BY = (GENERIC,)
"""Classes whose own groups claim (GenericOAuthenticator's ``groups``) is a guess that no
eduTEAMS release fills: their group rules need ``auth.groupsClaim``."""

BY_FIELD = {row.attribute: row for row in TYPED_KEYS if row.attribute is not None}
ALLOW_RULES = ("allow_all", "allowed_users", "admin_users", "allowed_organizations",
               "allowed_groups", "admin_groups")  # fmt: skip
"""The Auth fields that decide who may sign in."""


def applies(row: TypedKey, sections: Sequence[str]) -> bool:
    """Whether a key works for a class that reads these config sections."""
    return row.owner in sections


def keys_for(sections: Sequence[str]) -> list[TypedKey]:
    """The typed keys a class (by its config sections, most specific first) accepts."""
    return [row for row in TYPED_KEYS if applies(row, sections)]


def required_for(sections: Sequence[str]) -> list[TypedKey]:
    """The typed keys without which the class signs nobody in."""
    return [row for row in keys_for(sections) if set(row.required_by) & set(sections)]


def default_for(row: TypedKey, sections: Sequence[str]) -> Any:
    """Up2U's default of a key for the class (the most specific section's), or None."""
    for section in sections:
        if section in row.defaults:
            return row.defaults[section]
    return None


def typed_traits(sections: Sequence[str]) -> dict[str, str]:
    """Trait -> the typed key that sets it, for a class: ``auth.options`` must not set them."""
    return {trait: row.key for row in keys_for(sections) for trait in row.traits}
