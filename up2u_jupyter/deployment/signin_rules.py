"""Each hub-image authenticator's own start-up rules and open doors, as data.

A row says which config section it applies to (a class reads the sections of its bases too, so
``OAuthenticator`` rows apply to every OAuth class), when it breaks, what the class does then
(stops the hub at start, or fails or refuses sign-in), the class's own message, the fix, and
the source line in the hub image's pinned package. Rows marked ``verified`` are proved against
the class installed in .venv (JupyterHub 5.5.0, OAuthenticator 17.4.0, tmpauthenticator 1.0.0)
by ``tests/test_signin_rules.py``; the others (ldapauthenticator 2.0.2, nativeauthenticator
1.3.0, firstuseauthenticator 1.1.1, hmacauthenticator 1.0, ltiauthenticator 1.6.3) are not
installed here and are modelled from their source, cited per row (read from the pinned wheels;
see /work/research/auth-and-rules.md, section 1).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

STOPS = "stops the hub at start"
FAILS = "fails every sign-in"
REFUSES = "refuses every sign-in"
NOBODY = "has no sign-in page at all"


@dataclass(frozen=True)
class Authenticator:
    """The authenticator the hub will run: its class and the traits its config gives it."""

    section: str
    """The class name (``GenericOAuthenticator``)."""
    sections: tuple[str, ...]
    """The config sections it reads, most specific first."""
    traits: Mapping[str, Any]
    """Each trait some section sets, from the most specific section that sets it."""
    from_environment: frozenset[str] = frozenset()
    """Traits set from the hub's environment at start (auth.secretOptions): unknown offline."""
    hub_env: frozenset[str] = frozenset()
    """The names in the hub container's environment (hub.extraEnv)."""
    owners: Mapping[str, str] = field(default_factory=dict)
    """Trait -> the section that set it."""

    def has(self, trait: str) -> bool:
        """Whether the config sets the trait (to anything, null included)."""
        return trait in self.traits or trait in self.from_environment

    def get(self, trait: str, default: Any = None) -> Any:
        return self.traits.get(trait, default)


@dataclass(frozen=True)
class StartupRule:
    """One way a class's own config makes it unusable."""

    section: str
    """The config section a class must read for the rule to apply."""
    effect: str
    """STOPS, FAILS, REFUSES or NOBODY."""
    broken: Callable[[Authenticator], str | None]
    """The trait at fault when the rule is broken ("" when the fault is one left unset)."""
    message: str
    """What the class says, ``{cls}`` and ``{trait}`` filled in."""
    fix: str
    source: str
    verified: bool = False
    """Proved against the installed class by tests/test_signin_rules.py."""

    def fault(self, auth: "Authenticator") -> str | None:
        """The trait at fault when this class breaks the rule ("" for one left unset)."""
        return self.broken(auth) if self.section in auth.sections else None


def _first(auth: Authenticator, traits: tuple[str, ...], when: Callable[[Any], bool]) -> str | None:
    return next((t for t in traits if auth.has(t) and when(auth.get(t))), None)


def _groups_without_manage(auth: Authenticator) -> str | None:
    if auth.get("manage_groups"):
        return None
    return _first(auth, ("allowed_groups", "admin_groups", "auth_state_groups_key"), bool)


def _idp_entity(auth: Authenticator) -> str | None:
    idps = auth.get("idps")
    if not isinstance(idps, Mapping):
        return None
    bad = [k for k in idps if urlparse(str(k)).scheme not in ("urn", "https", "http")]
    return "idps" if bad else None


def _idp_derivation(auth: Authenticator) -> str | None:
    idps = auth.get("idps")
    if not isinstance(idps, Mapping):
        return None
    bad = [
        k for k, v in idps.items() if not isinstance(v, Mapping) or "username_derivation" not in v
    ]
    return "idps" if bad else None


def _scopes_not_requested(auth: Authenticator) -> str | None:
    allowed, scope = auth.get("allowed_scopes"), auth.get("scope")
    if not allowed or not auth.has("scope") or not isinstance(allowed, list):
        return None
    return "allowed_scopes" if set(allowed) - set(scope or []) else None


RULES: tuple[StartupRule, ...] = (
    StartupRule(
        "OAuthenticator",
        STOPS,
        _groups_without_manage,
        "{cls}.{trait} requires {cls}.manage_groups to also be set",
        "set {manage_groups}: true, or remove {trait}",
        "oauthenticator 17.4.0 oauth2.py:428-437 (@observe allowed_groups, admin_groups, "
        "auth_state_groups_key)",
        verified=True,
    ),
    StartupRule(
        "GenericOAuthenticator",
        STOPS,
        lambda a: (
            "claim_groups_key" if a.get("claim_groups_key") and not a.get("manage_groups") else None
        ),
        "{cls}.{trait} requires {cls}.manage_groups to also be set",
        "use auth.groupsClaim instead (it renders manage_groups and auth_state_groups_key)",
        "oauthenticator 17.4.0 generic.py:47-71 (@observe claim_groups_key)",
        verified=True,
    ),
    StartupRule(
        "OAuthenticator",
        STOPS,
        lambda a: (
            "userdata_url" if a.get("userdata_url") and a.get("userdata_from_id_token") else None
        ),
        "Cannot specify both authenticator.userdata_url and authenticator.userdata_from_id_token.",
        "keep one of userdata_url and userdata_from_id_token",
        "oauthenticator 17.4.0 oauth2.py:515-520 (@validate userdata_url)",
        verified=True,
    ),
    StartupRule(
        "OAuthenticator",
        STOPS,
        _scopes_not_requested,
        "Allowed scopes must be a subset of requested scopes.",
        "request every scope of allowed_scopes in auth.scope",
        "oauthenticator 17.4.0 oauth2.py:653-659 (@validate allowed_scopes)",
        verified=True,
    ),
    StartupRule(
        "CILogonOAuthenticator",
        STOPS,
        lambda a: "idps" if a.has("idps") and "idps" in a.traits and not a.get("idps") else None,
        "One or more idps must be configured",
        "set auth.options.idps to the identity providers users may sign in with",
        "oauthenticator 17.4.0 cilogon.py:222-227 (@validate idps)",
        verified=True,
    ),
    StartupRule(
        "CILogonOAuthenticator",
        FAILS,
        lambda a: "" if not a.has("idps") else None,
        "idps is not configured, so the login handler ends in StopIteration (HTTP 500)",
        "set auth.options.idps to the identity providers users may sign in with "
        "(EntityID -> {username_derivation: ...})",
        "oauthenticator 17.4.0 cilogon.py:29, 52 (next(iter(idps)) with no idps)",
        verified=True,
    ),
    StartupRule(
        "CILogonOAuthenticator",
        STOPS,
        _idp_entity,
        "The keys of `idps` **must** be CILogon permitted EntityIDs.",
        "use EntityIDs (urn:, https:) as the keys of auth.options.idps, see "
        "https://cilogon.org/idplist",
        "oauthenticator 17.4.0 cilogon.py:238-249",
        verified=True,
    ),
    StartupRule(
        "CILogonOAuthenticator",
        STOPS,
        _idp_derivation,
        "'username_derivation' is a required property",
        "give each entry of auth.options.idps a username_derivation",
        "oauthenticator 17.4.0 cilogon.py:229-236 and schemas/cilogon-schema.yaml",
        verified=True,
    ),
    StartupRule(
        "Auth0OAuthenticator",
        FAILS,
        lambda a: (
            ""
            if not (
                a.get("auth0_domain") or a.get("auth0_subdomain") or "AUTH0_DOMAIN" in a.hub_env
            )
            else None
        ),
        "Configuring either auth0_domain or auth0_subdomain is required",
        "set auth.options.auth0_domain (e.g. example.eu.auth0.com)",
        "oauthenticator 17.4.0 auth0.py:35-44 (@default auth0_domain)",
        verified=True,
    ),
    StartupRule(
        "SharedPasswordAuthenticator",
        STOPS,
        lambda a: (
            "password_groups" if a.get("password_groups") and not a.get("manage_groups") else None
        ),
        "{cls}.password_groups is set, but {cls}.manage_groups is not set.",
        "set auth.options.manage_groups: true",
        "jupyterhub 5.5.0 authenticators/shared.py:119-134 (@validate password_groups)",
        verified=True,
    ),
    StartupRule(
        "TmpAuthenticator",
        REFUSES,
        lambda a: "allow_all" if a.get("allow_all") is not True else None,
        "User '<uuid>' not allowed. (allow_all defaults to False in JupyterHub 5)",
        "TmpAuthenticator 1.0.0 needs allow_all: true to let its throwaway users in",
        "jupyterhub-tmpauthenticator 1.0.0 __init__.py (no allow_all default); jupyterhub 5.5.0 "
        "auth.py:240 (allow_all = False), 758",
        verified=True,
    ),
    StartupRule(
        "LocalAuthenticator",
        FAILS,
        lambda a: "",
        "User <name> does not exist on the system. Set LocalAuthenticator.create_system_users=True",
        "the chart's hub pod has no UNIX accounts: use the same authenticator without local- "
        "(e.g. generic-oauth)",
        "jupyterhub 5.5.0 auth.py:1184-1199 (LocalAuthenticator.add_user)",
        verified=True,
    ),
    StartupRule(
        "NullAuthenticator",
        NOBODY,
        lambda a: "",
        "NullAuthenticator has no login handlers: only API tokens reach the hub",
        "use an authenticator users can sign in with, unless the hub serves only API clients",
        "jupyterhub 5.5.0 auth.py:1558-1575",
        verified=True,
    ),
    StartupRule(
        "LDAPAuthenticator",
        STOPS,
        lambda a: (
            _first(a, ("group_search_filter", "group_attributes"), lambda v: not v)
            if a.get("allowed_groups")
            else None
        ),
        "LDAPAuthenticator.allowed_groups requires both group_search_filter and group_attributes "
        "to be configured",
        "remove {trait} (its default works) or set it",
        "jupyterhub-ldapauthenticator 2.0.2 ldapauthenticator.py:207-215",
    ),
    StartupRule(
        "LDAPAuthenticator",
        REFUSES,
        lambda a: "" if not (a.get("lookup_dn") or a.get("bind_dn_template")) else None,
        "LDAPAuthenticator requires either lookup_dn or bind_dn_template to be configured",
        "set auth.options.bind_dn_template (or lookup_dn with its search settings)",
        "jupyterhub-ldapauthenticator 2.0.2 ldapauthenticator.py:160-166, 636-640",
    ),
    StartupRule(
        "LTI11Authenticator",
        REFUSES,
        lambda a: "" if not a.has("consumers") else None,
        "unknown oauth_consumer_key (HTTP 401 for every launch)",
        "set auth.secretOptions.consumers to a secretEnv entry holding the consumer keys",
        "jupyterhub-ltiauthenticator 1.6.3 lti11/validator.py:75-79",
    ),
    StartupRule(
        "LTI13Authenticator",
        REFUSES,
        lambda a: (
            _first(a, ("issuer", "client_id", "jwks_endpoint"), lambda v: not v)
            or next((t for t in ("issuer", "client_id", "jwks_endpoint") if not a.has(t)), None)
        ),
        "every launch's id_token fails validation (HTTP 401/400)",
        "set auth.options.{trait} to the platform's value",
        "jupyterhub-ltiauthenticator 1.6.3 lti13/handlers.py:378-396, 420-432",
    ),
)
"""Start-up rules of the hub image's authenticators (the z2jh 4.4.0 pins)."""


@dataclass(frozen=True)
class OpenDoor:
    """A class (under some settings) that lets anyone sign in or sign up."""

    section: str
    opens: Callable[[Authenticator], bool]
    why: str
    source: str


OPEN_DOORS: tuple[OpenDoor, ...] = (
    OpenDoor(
        "DummyAuthenticator",
        lambda a: True,
        "lets anyone sign in under any name (a test authenticator)",
        "jupyterhub 5.5.0 auth.py:1519-1555",
    ),
    OpenDoor(
        "TmpAuthenticator",
        lambda a: a.get("allow_all") is True,
        "gives every visitor a throwaway user",
        "jupyterhub-tmpauthenticator 1.0.0",
    ),
    OpenDoor(
        "SharedPasswordAuthenticator",
        lambda a: True,
        "is a workshop mode: anyone with the one shared password signs in under any new name",
        "jupyterhub 5.5.0 authenticators/shared.py:30-47, 171-193",
    ),
    OpenDoor(
        "FirstUseAuthenticator",
        lambda a: a.get("create_users", True) is not False,
        "lets anyone claim any new name with the first password typed (create_users)",
        "jupyterhub-firstuseauthenticator 1.1.1 firstuseauthenticator.py:299-330",
    ),
    OpenDoor(
        "NativeAuthenticator",
        lambda a: a.get("enable_signup", True) is not False,
        "lets anyone sign up (enable_signup), even under an admin's name not yet taken",
        "jupyterhub-nativeauthenticator 1.3.0 nativeauthenticator.py:132-145, 271-331",
    ),
    OpenDoor(
        "HMACAuthenticator",
        lambda a: not a.has("secret_key"),
        "has an empty secret_key by default, so anyone can compute a valid password",
        "jupyterhub-hmacauthenticator 1.0 __init__.py:18-27, 43-51",
    ),
)
"""Authenticators that let strangers in: refused on protected stacks."""
