"""What changed in the z2jh chart from 0.7 to 4.4.0: data only, read by the conversion.

Each table says, per chart version, what an old values file meant then and what it is called
now. When the next chart version renames or removes a key, the change is an entry here (with the
version that made it), not a change to the conversion code. Sources: the chart's CHANGELOG and
its ``values.yaml``/``schema.yaml`` of each release; the pinned authenticator packages of the
4.4.0 hub image (``hub-image-requirements.txt``) and their ``jupyterhub.authenticators`` entry
points.
"""

from dataclasses import dataclass

from ..chart import VERSION

KeyPath = tuple[str, ...]

TARGET_CHART = VERSION
"""The chart the converted stack deploys."""

CHART_TOP_LEVEL = frozenset(
    {
        "enabled",
        "fullnameOverride",
        "nameOverride",
        "imagePullSecret",
        "imagePullSecrets",
        "hub",
        "proxy",
        "singleuser",
        "scheduling",
        "ingress",
        "httpRoute",
        "prePuller",
        "custom",
        "cull",
        "debug",
        "rbac",
        "global",
    }
)
"""Top-level keys of the chart 4.4.0 values: what may pass through to helmValues."""

OLD_TOP_LEVEL = frozenset({"auth"})
"""Top-level keys that only older charts had (``auth``: 0.x, moved to ``hub.config`` in 1.0)."""

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


# --- eras: what a key meant when it was left at the chart's default ---------------------------


@dataclass(frozen=True)
class Era:
    """Defaults of a range of chart versions that change what an old file means.

    ``None`` means the range spans versions that differ (the file did not say which).
    """

    name: str
    https_enabled_by_default: bool | None
    """``proxy.https.enabled`` when the file leaves it out (true in 0.7-0.9)."""
    oauth_allows_all_without_rule: bool | None
    """OAuthenticator before 16 (chart < 3.0) let every signed-in user in without a rule."""
    hub_allows_all_without_rule: bool | None
    """JupyterHub before 5 (chart < 4.0) let every signed-in user in without a rule."""
    jupyterhub: str
    """The JupyterHub version the chart ran, as the report names it."""


ERAS: dict[str, Era] = {
    "0.7-0.9": Era("0.7-0.9", True, True, True, "0.9 to 1.1"),
    "0.10-0.11": Era("0.10-0.11", False, True, True, "1.2 to 1.3"),
    "1.x-2.x": Era("1.x-2.x", False, True, True, "1.3 to 3.1"),
    "3.x": Era("3.x", False, False, True, "4.0/4.1 with OAuthenticator 16"),
    "4.x": Era("4.x", False, False, False, "5.x"),
    # what a file tells by its shape alone
    "0.x": Era("0.7-0.11", None, True, True, "0.9 to 1.3"),
    "1.0+": Era("1.0 or later", False, None, None, "1.3 or later"),
}
"""Chart version ranges, and the ranges a file's shape alone implies (``0.x``: it has the
top-level ``auth`` block; ``1.0+``: it has ``hub.config``)."""


def era_of(version: str) -> Era | None:
    """The era of a chart version such as ``0.9.0``, ``1.2`` or ``3``; None if not a version."""
    parts = version.strip().lstrip("v").split(".")
    try:
        major = int(parts[0])
        minor = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except ValueError:
        return None
    if major == 0:
        return ERAS["0.7-0.9"] if minor <= 9 else ERAS["0.10-0.11"]
    if major in (1, 2):
        return ERAS["1.x-2.x"]
    if major == 3:
        return ERAS["3.x"]
    return ERAS["4.x"]


CHART_IMAGES = {
    "jupyterhub/k8s-hub": ("hub", "image"),
    "quay.io/jupyterhub/k8s-hub": ("hub", "image"),
    "jupyterhub/k8s-image-awaiter": ("prePuller", "hook", "image"),
    "quay.io/jupyterhub/k8s-image-awaiter": ("prePuller", "hook", "image"),
    "jupyterhub/k8s-secret-sync": ("proxy", "secretSync", "image"),
    "quay.io/jupyterhub/k8s-secret-sync": ("proxy", "secretSync", "image"),
    "jupyterhub/k8s-network-tools": ("singleuser", "networkTools", "image"),
    "quay.io/jupyterhub/k8s-network-tools": ("singleuser", "networkTools", "image"),
}
"""Images the chart builds and tags with its own version: their tag dates the old file."""


# --- keys renamed, moved or removed -------------------------------------------------------------


@dataclass(frozen=True)
class Renamed:
    """A key that moved: its value means the same under the new path."""

    new: KeyPath
    version: str
    """The chart version that made the change."""


@dataclass(frozen=True)
class Removed:
    """A key the chart dropped, with its successor if it has one (said in words)."""

    version: str
    reason: str


RENAMED: dict[KeyPath, Renamed] = {
    ("rbac", "enabled"): Renamed(("rbac", "create"), "1.0"),
    ("proxy", "nodeSelector"): Renamed(("proxy", "chp", "nodeSelector"), "1.0"),
    ("proxy", "tolerations"): Renamed(("proxy", "chp", "tolerations"), "1.0"),
    ("proxy", "networkPolicy"): Renamed(("proxy", "chp", "networkPolicy"), "1.0"),
    ("proxy", "pdb"): Renamed(("proxy", "chp", "pdb"), "1.0"),
    ("proxy", "containerSecurityContext"): Renamed(
        ("proxy", "chp", "containerSecurityContext"), "1.0"
    ),
    ("hub", "uid"): Renamed(("hub", "containerSecurityContext", "runAsUser"), "1.0"),
    ("singleuser", "imagePullSecret"): Renamed(("imagePullSecret",), "0.10"),
    ("hub", "imagePullSecret"): Renamed(("imagePullSecret",), "0.10"),
    # never chart keys, but what their authors meant has one
    ("singleuser", "imagePullSecrets"): Renamed(("singleuser", "image", "pullSecrets"), ""),
    ("singleuser", "podSecurityContext", "fsGroup"): Renamed(("singleuser", "fsGid"), ""),
}
"""Old path -> new path (the value is carried to helmValues under the new path)."""

_PINNED = "chart 4.4.0 pins its own {} image; an old tag would run one it was not built for"

REMOVED: dict[KeyPath, Removed] = {
    ("hub", "extraConfigMap"): Removed(
        "1.0", "removed in chart 1.0; its successor is `custom` (read with z2jh.get_config)"
    ),
    ("proxy", "nginx"): Removed(
        "0.8", "the nginx/kube-lego HTTPS sidecar was removed in chart 0.8; HTTPS is https.mode"
    ),
    ("proxy", "lego"): Removed("0.8", "kube-lego was removed in chart 0.8; HTTPS is https.mode"),
    ("singleuser", "schedulerStrategy"): Removed(
        "0.8",
        "removed in chart 0.8; its successor is the user scheduler (scheduling.userScheduler), "
        "which packs user pods onto the fewest nodes",
    ),
    ("proxy", "chp", "cmd"): Removed(
        "1.0", "removed in chart 1.0; its successor is proxy.chp.extraCommandLineFlags"
    ),
    ("scheduling", "userScheduler", "policy"): Removed(
        "1.0", "kube-scheduler policies were replaced by plugins in chart 1.0; 4.4.0's own apply"
    ),
    ("scheduling", "userScheduler", "plugins"): Removed(
        "2.0",
        "written for an older kube-scheduler (plugin names changed in chart 2.0); chart 4.4.0's "
        "own plugin set packs user pods as the old one did",
    ),
    ("hub", "replicas"): Removed(
        "", "never a chart key: the chart runs one hub (JupyterHub does not run replicas)"
    ),
    ("proxy", "chp", "replicas"): Removed(
        "", "never a chart key: configurable-http-proxy keeps its routes in memory, so one runs"
    ),
    ("proxy", "chp", "image"): Removed("", _PINNED.format("proxy")),
    ("proxy", "traefik", "image"): Removed("", _PINNED.format("Traefik")),
    ("proxy", "secretSync", "image"): Removed("", _PINNED.format("secret-sync")),
    ("singleuser", "networkTools", "image"): Removed("", _PINNED.format("network-tools")),
    ("prePuller", "hook", "image"): Removed("", _PINNED.format("image-awaiter")),
    ("prePuller", "pause", "image"): Removed("", _PINNED.format("pause")),
    ("scheduling", "userScheduler", "image"): Removed("", _PINNED.format("kube-scheduler")),
    ("scheduling", "userPlaceholder", "image"): Removed("", _PINNED.format("pause")),
}
"""Old path -> why it is not carried (and what replaced it)."""

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

GENERATED_ENV = {
    "JUPYTERHUB_CRYPT_KEY": "auth-state key",
    "CONFIGPROXY_AUTH_TOKEN": "proxy token",
    "JPY_COOKIE_SECRET": "cookie secret",
}
"""Hub environment variables holding a secret the stack generates (see ROTATES)."""
