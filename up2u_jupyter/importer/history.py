"""What changed from chart 0.7 to 4.4.0 that the conversion reads: data only.

The chart's own values history (renames, removals, additions, eras, what 4.4.0 refuses) is
``up2u_jupyter.chart.history``, shared with ``chart.rules`` and re-exported here; this module adds
what only the importer needs: parent charts, storage and command values, and the authenticators
(the pinned packages of the 4.4.0 hub image, ``hub-image-requirements.txt``, and their
``jupyterhub.authenticators`` entry points). When the next release renames or removes
something, the change is an entry in a table, not a change to the conversion code.
"""

import re

from ..chart.history import (
    ADDED,
    CHART_IMAGES,
    CHART_TOP_LEVEL,
    ERAS,
    OLD_TOP_LEVEL,
    REMOVED,
    RENAMED,
    TARGET_CHART,
    UNKNOWN_ERA,
    Bound,
    Era,
    KeyPath,
    Removed,
    Renamed,
    bounds,
    chart_image,
    era_between,
    era_of,
)

__all__ = [
    "ADDED",
    "CHART_IMAGES",
    "CHART_TOP_LEVEL",
    "ERAS",
    "OLD_TOP_LEVEL",
    "REMOVED",
    "RENAMED",
    "TARGET_CHART",
    "UNKNOWN_ERA",
    "Bound",
    "Era",
    "KeyPath",
    "Removed",
    "Renamed",
    "bounds",
    "chart_image",
    "era_between",
    "era_of",
]

PARENT_SECTIONS: tuple[KeyPath, ...] = (
    ("jupyterhub",),
    ("basehub", "jupyterhub"),
    ("daskhub", "jupyterhub"),
    ("daskhub", "basehub", "jupyterhub"),
    ("pangeo", "jupyterhub"),
    ("binderhub", "jupyterhub"),
)
"""Where parent charts put the z2jh values (datahub and 2i2c's basehub under ``jupyterhub:``,
2i2c's daskhub two charts deep, pangeo's hubploy chart, BinderHub), tried in this order."""


STORAGE_TYPES_REMOVED = {
    "custom": "none",
    "hostPath": "none",
}
"""``singleuser.storage.type`` values 0.x accepted -> the 4.4.0 value that does the same (the
chart made no home volume for them; ``extraVolumes`` did)."""

SINGLEUSER_CMD = {
    "jupyterhub-singleuser": "the chart's default command",
    "jupyter-labhub": (
        "jupyter-labhub is gone; the chart's jupyterhub-singleuser serves JupyterLab at "
        "singleuser.defaultUrl (/lab)"
    ),
    "jupyter-lab": (
        "jupyter-lab alone does not sign users in through the hub; the chart's "
        "jupyterhub-singleuser serves JupyterLab at singleuser.defaultUrl (/lab)"
    ),
    "start-singleuser.sh": "the chart's jupyterhub-singleuser does what the start script did",
}
"""Old ``singleuser.cmd`` values -> why the 4.4.0 default replaces them."""


# --- authenticators -------------------------------------------------------------------------

_LTI11 = "ltiauthenticator.lti11.auth.LTI11Authenticator"
AUTHENTICATOR_ALIASES: dict[str, str] = {
    # entry point names the packages also declare
    "ldap": "ldapauthenticator",
    "firstuse": "firstuseauthenticator",
    "default": "pam",
    # 0.x chart auth.type names (jupyterhub_config.py of 0.7-0.11)
    "gitlab": "gitlab",
    "mediawiki": "mediawiki",
    "lti": _LTI11,
    "hmac": "hmacauthenticator.HMACAuthenticator",
    # class paths old files use, including short and legacy module paths
    "oauthenticator.GenericOAuthenticator": "generic-oauth",
    "oauthenticator.GitHubOAuthenticator": "github",
    "oauthenticator.GoogleOAuthenticator": "google",
    "oauthenticator.GitLabOAuthenticator": "gitlab",
    "oauthenticator.azuread.AzureAdOAuthenticator": "azuread",
    "oauthenticator.azuread.LocalAzureAdOAuthenticator": "azuread",
    "oauthenticator.CILogonOAuthenticator": "cilogon",
    "oauthenticator.globus.GlobusOAuthenticator": "globus",
    "dummyauthenticator.DummyAuthenticator": "dummy",
    "jupyterhub.auth.DummyAuthenticator": "dummy",
    "nativeauthenticator.NativeAuthenticator": "native",
    "ldapauthenticator.LDAPAuthenticator": "ldapauthenticator",
    "ldapauthenticator.ldapauthenticator.LDAPAuthenticator": "ldapauthenticator",
    "ltiauthenticator.LTIAuthenticator": _LTI11,
    "tmpauthenticator.TmpAuthenticator": "tmp",
    "firstuseauthenticator.FirstUseAuthenticator": "firstuseauthenticator",
    "jupyterhub.auth.PAMAuthenticator": "pam",
}
"""Names and class paths old files use -> auth.type (see SHIPPED_AUTHENTICATORS)."""


def _shipped() -> dict[str, str]:
    from ..authenticators import load_catalogue

    catalogue = load_catalogue(TARGET_CHART)
    return {
        name: class_id.replace(":", ".")
        for name, class_id in catalogue.types.items()
        # one name per class: the alias table names the one a converted stack uses, and the
        # local-* variants need local accounts a hub pod does not have
        if AUTHENTICATOR_ALIASES.get(name, name) == name and not name.startswith("local-")
    }


SHIPPED_AUTHENTICATORS = _shipped()
"""auth.type -> the class (``module.Class``) the z2jh hub image runs for it: the catalogue's
types (``data/authenticators-<chart>.json``), one name per class."""

CLASS_NAMES = {path.rpartition(".")[2]: name for name, path in SHIPPED_AUTHENTICATORS.items()}
"""Bare class names (``c.JupyterHub.authenticator_class = GitHubOAuthenticator`` after an
import in extraConfig) -> auth.type."""
CLASS_NAMES |= {
    "LocalAzureAdOAuthenticator": "azuread",
    "LTIAuthenticator": CLASS_NAMES["LTI11Authenticator"],
}

DEFAULT_AUTHENTICATOR = "dummy"
"""What every chart version runs when the file names no authenticator."""

PARENT_AUTHENTICATORS: dict[KeyPath, tuple[str, str]] = {
    ("binderhub", "jupyterhub"): (
        "null",
        "the BinderHub chart's own values set NullAuthenticator for its hub: nobody signs in, "
        "and anyone may start a server through BinderHub's API",
    ),
}
"""Authenticators a parent chart's own defaults set when the file names none."""


def section_of(auth_type: str) -> str:
    """The hub.config section (class name) of an auth.type."""
    return SHIPPED_AUTHENTICATORS[auth_type].rpartition(".")[2]


CHART_AUTH_SECTIONS: dict[str, str] = {
    "github": "github",
    "google": "google",
    "gitlab": "gitlab",
    "cilogon": "cilogon",
    "azuread": "azuread",
    "mediawiki": "mediawiki",
    "globus": "globus",
    "generic-oauth": "generic-oauth",
    "lti": _LTI11,
    "hmac": "hmacauthenticator.HMACAuthenticator",
    "ldap": "ldapauthenticator",
    "dummy": "dummy",
    "tmp": "tmp",
}
"""0.x ``auth.<name>`` blocks -> auth.type (0.x read ``auth.<auth.type>`` for the options)."""

CHART_AUTH_OPTIONS: dict[str, str] = {
    "clientId": "client_id",
    "clientSecret": "client_secret",
    "callbackUrl": "oauth_callback_url",
    "orgWhitelist": "allowed_organizations",
    "org_whitelist": "allowed_organizations",
    "hostedDomain": "hosted_domain",
    "loginService": "login_service",
    "tenantId": "tenant_id",
    "gitlabUrl": "gitlab_url",
    "gitlabGroupWhitelist": "allowed_gitlab_groups",
    "gitlabProjectIdWhitelist": "allowed_project_ids",
    "identityProvider": "identity_provider",
    "idpWhitelist": "allowed_idps",
    "mwOauthUrl": "mw_index_url",
    "secretKey": "secret_key",
    "consumers": "consumers",
    "password": "password",
    "authorizeUrl": "authorize_url",
    "tokenUrl": "token_url",
    "userdataUrl": "userdata_url",
    "usernameKey": "username_claim",
    "userdataMethod": "userdata_method",
    "extraParams": "token_params",
    "tlsVerify": "validate_server_cert",
}
"""0.x ``auth.<type>.<camelCase>`` -> the trait 0.x's jupyterhub_config.py set from it."""

CHART_LDAP_OPTIONS: dict[KeyPath, str] = {
    ("server", "address"): "server_address",
    ("server", "port"): "server_port",
    ("server", "ssl"): "use_ssl",
    ("dn", "lookup"): "lookup_dn",
    ("dn", "search", "filter"): "lookup_dn_search_filter",
    ("dn", "search", "user"): "lookup_dn_search_user",
    ("dn", "search", "password"): "lookup_dn_search_password",
    ("dn", "templates"): "bind_dn_template",
    ("dn", "user", "dnAttribute"): "lookup_dn_user_dn_attribute",
    ("dn", "user", "escape"): "escape_userdn",
    ("dn", "user", "searchBase"): "user_search_base",
    ("dn", "user", "attribute"): "user_attribute",
    ("allowedGroups",): "allowed_groups",
}
"""0.x ``auth.ldap.*`` paths -> LDAPAuthenticator traits."""

LDAP_USE_SSL = ("use_ssl", "tls_strategy", "on_connect")
"""ldapauthenticator 2.0 deprecated ``use_ssl``: true became ``tls_strategy: on_connect``, and
false (the old default) translates to nothing (ldapauthenticator.py:50-73)."""

RENAMED_TRAITS: dict[str, tuple[str, str]] = {
    "whitelist": ("allowed_users", "JupyterHub 1.2"),
    "blacklist": ("blocked_users", "JupyterHub 1.2"),
    "org_whitelist": ("allowed_organizations", "OAuthenticator 0.12"),
    "github_organization_whitelist": ("allowed_organizations", "OAuthenticator 0.12"),
    "gitlab_group_whitelist": ("allowed_gitlab_groups", "OAuthenticator 0.12"),
    "gitlab_project_id_whitelist": ("allowed_project_ids", "OAuthenticator 0.12"),
    "google_group_whitelist": ("allowed_google_groups", "OAuthenticator 0.12"),
    "team_whitelist": ("allowed_teams", "OAuthenticator 0.12"),
    "bitbucket_team_whitelist": ("allowed_teams", "OAuthenticator 0.12"),
    "idp_whitelist": ("idps", "OAuthenticator 0.12 (allowed_idps), then 17 (idps)"),
    "allowed_idps": ("idps", "OAuthenticator 17"),
    "allowed_globus_groups": ("allowed_globus_groups", ""),
    "username_key": ("username_claim", "OAuthenticator 16"),
    "extra_params": ("token_params", "OAuthenticator 16"),
    "tls_verify": ("validate_server_cert", "OAuthenticator 16.0.2"),
    "claim_groups_key": ("auth_state_groups_key", "OAuthenticator 16"),
    "groups_key": ("auth_state_groups_key", "OAuthenticator 16"),
}
"""Trait names JupyterHub/OAuthenticator renamed -> (current name, release that renamed it)."""

REMOVED_TRAITS: dict[str, str] = {
    "userdata_method": "removed in OAuthenticator 16, which always uses GET",
    "strip_email_domain": "removed from GoogleOAuthenticator in OAuthenticator 16",
    "escape_userdn": "removed in ldapauthenticator 2.0, where it has no effect",
}
"""Traits the 4.4.0 hub image no longer has -> why they are not carried."""

ALLOW_RULE_TRAITS = frozenset(
    {
        "allowed_users",
        "allowed_organizations",
        "allowed_groups",
        "admin_groups",
        "allowed_teams",
        "allowed_gitlab_groups",
        "allowed_project_ids",
        "allowed_google_groups",
        "allowed_globus_groups",
        "allowed_domains",
        "idps",
    }
)
"""Traits that, non-empty, decide who may sign in (besides allow_all and admin_users)."""

RESTRICTING_TRAITS = frozenset({"hosted_domain", "identity_provider"})
"""Traits that narrow who can sign in without letting anyone in on their own (OAuthenticator
16+); before 16 everyone they let through got in."""

IGNORED_TRAITS: dict[tuple[str, str], str] = {
    ("JupyterHub", "admin_users"): (
        "admins are Authenticator.admin_users, which the stack's auth.adminUsers sets"
    ),
}
"""hub.config traits the hub did not have, so a deployment ran without them (never carried)."""

CHART_HUB_TRAIT_KEYS = frozenset(
    {
        "concurrentSpawnLimit",
        "activeServerLimit",
        "baseUrl",
        "allowNamedServers",
        "namedServerLimitPerUser",
        "authenticatePrometheus",
        "redirectToServer",
        "shutdownOnLogout",
        "templatePaths",
        "templateVars",
    }
)
"""The chart's hub.* keys that set JupyterHub traits (jupyterhub_config.py 4.4.0, lines 80-95):
written camelCase under hub.config.JupyterHub by mistake, they did nothing."""

PLACEHOLDER = re.compile(
    r"<[^<>]*>|\$\{[^{}]*\}|\{[^{}]*\}|x{3,}|changeme|change[-_ ]me|replace[-_ ]?me|todo"
    r"|your[-_ ][\w -]+|openssl rand -hex \d+",
    re.IGNORECASE,
)
"""Values written in an old file to be filled in when deploying (``<redacted>``, ``xxx``,
``${GH_OAUTH_CLIENT_ID}``, ``{client_id}``, ``openssl rand -hex 32``): never carried as values."""

CREDENTIAL_ENV = re.compile(r"(?:[A-Z][A-Z0-9]*_)?CLIENT_(?P<part>SECRET|ID)")
"""Hub environment variables that hold an OAuth client's credentials: OAuthenticator's own
``OAUTH_CLIENT_ID``/``OAUTH_CLIENT_SECRET`` and the ``<PROVIDER>_CLIENT_...`` that
deployments' own code reads (``CILOGON_CLIENT_SECRET``)."""

GENERATED_ENV = {
    "JUPYTERHUB_CRYPT_KEY": "auth-state key",
    "CONFIGPROXY_AUTH_TOKEN": "proxy token",
    "JPY_COOKIE_SECRET": "cookie secret",
}
"""Hub environment variables holding a secret the stack generates (see ROTATES)."""
