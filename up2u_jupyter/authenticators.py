"""The authenticators the hub image ships, and the checks of ``auth.options`` against them.

The facts come from ``data/authenticators-<chart>.json`` (written by ``make
authenticator-catalogue`` from the hub image's pinned packages; see
``authenticators_catalogue.py``). It is read only when a stack names an authenticator outside the
five modelled ones or sets ``auth.options``/``auth.secretOptions``, so ``values`` and ``check``
of the committed stacks never pay for it.
"""

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chart import VERSION
from .errors import shown_key

CATALOGUE_CHART = VERSION
"""The chart whose hub image the committed catalogue describes."""
DATA_DIR = Path(__file__).resolve().parent / "data"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

MODELLED = {
    "generic-oauth": "GenericOAuthenticator",
    "github": "GitHubOAuthenticator",
    "google": "GoogleOAuthenticator",
    "dummy": "DummyAuthenticator",
    "tmp": "TmpAuthenticator",
}
"""auth.type values with typed keys -> their config section (known without the catalogue)."""

TYPED_TRAITS = {
    "allow_all": "auth.allowAll",
    "allowed_users": "auth.allowedUsers",
    "admin_users": "auth.adminUsers",
    "client_id": "auth.clientId",
    "client_secret": "oauthClientSecret",
    "oauth_callback_url": "domain",
    "login_service": "auth.loginService",
    "scope": "auth.scope",
    "authorize_url": "auth.authorizeUrl",
    "token_url": "auth.tokenUrl",
    "userdata_url": "auth.userdataUrl",
    "username_claim": "auth.usernameClaim",
    "userdata_params": "auth.userdataParams",
    "allowed_organizations": "auth.allowedOrganizations",
    "hosted_domain": "auth.hostedDomain",
    "auth_state_groups_key": "auth.groupsClaim",
    "manage_groups": "auth.groupsClaim",
    "allowed_groups": "auth.allowedGroups",
    "admin_groups": "auth.adminGroups",
}
"""Traits our typed keys render for the modelled types: ``auth.options`` must not set them."""
ALWAYS_TYPED = ("allow_all", "allowed_users", "admin_users")
"""Traits typed for every auth.type (JupyterHub's own Authenticator allow rules)."""


@dataclass(frozen=True)
class Trait:
    """One configurable trait of an authenticator class."""

    type: str
    """bool, int, float, str, list, dict, any or callable; several joined by ``|``."""
    secret: bool
    nullable: bool = False
    deprecated: str | None = None
    """The trait that replaces this one, when the class keeps it only as an alias."""

    def accepts(self, value: Any) -> bool:
        """Whether a YAML value has this trait's simple type."""
        if value is None:
            return self.nullable
        return any(_is(kind, value) for kind in self.type.split("|"))


def _is(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    return False  # callable: no YAML value is one


@dataclass(frozen=True)
class AuthenticatorClass:
    """An authenticator class: its config section and traits."""

    class_id: str
    """``module:Class``."""
    section: str
    """The ``hub.config`` section (``c.<section>.<trait>``): the class name."""
    distribution: str
    allow_all_by_default: bool | None
    """Whether it lets every signed-in user in when nothing is set (None: not known)."""
    traits: Mapping[str, Trait]


@dataclass(frozen=True)
class Catalogue:
    """Every authenticator of one chart's hub image."""

    chart: str
    pins: Mapping[str, str]
    types: Mapping[str, str]
    """auth.type (an entry point name, or an import path) -> class id."""
    classes: Mapping[str, AuthenticatorClass]

    def of(self, auth_type: str) -> AuthenticatorClass | None:
        """The class an auth.type names, if the hub image ships it."""
        key = self.types.get(auth_type)
        return None if key is None else self.classes[key]


def catalogue_path(chart: str = CATALOGUE_CHART) -> Path:
    return DATA_DIR / f"authenticators-{chart}.json"


@functools.cache
def load_catalogue(chart: str = CATALOGUE_CHART) -> Catalogue:
    """The committed catalogue of a chart's hub image (read once per process)."""
    data = json.loads(catalogue_path(chart).read_text(encoding="utf-8"))
    classes = {
        key: AuthenticatorClass(
            class_id=key,
            section=entry["section"],
            distribution=entry["distribution"],
            allow_all_by_default=entry["allowAllByDefault"],
            traits={name: Trait(**trait) for name, trait in entry["traits"].items()},
        )
        for key, entry in data["classes"].items()
    }
    return Catalogue(chart=data["chart"], pins=data["pins"], types=data["types"], classes=classes)


def section_of(auth_type: str) -> str:
    """The hub.config section of an auth.type (the catalogue is read only for unmodelled ones)."""
    modelled = MODELLED.get(auth_type)
    if modelled is not None:
        return modelled
    cls = load_catalogue().of(auth_type)
    if cls is None:
        raise KeyError(auth_type)
    return cls.section


def unknown_type_message(auth_type: str) -> str | None:
    """None for an auth.type the hub image ships, else the message with the closest names."""
    if auth_type in MODELLED:
        return None
    catalogue = load_catalogue()
    if catalogue.of(auth_type) is not None:
        return None
    close = _closest(auth_type, list(catalogue.types))
    hint = f"did you mean {close[0]}?" if close else "use one of its entry point names"
    listed = catalogue_path(catalogue.chart).relative_to(DATA_DIR.parent.parent)
    return (
        f"not an authenticator the z2jh {catalogue.chart} hub image ships; {hint} "
        f"(all {len(catalogue.types)} are listed in {listed})"
    )


def typed_traits(auth_type: str) -> dict[str, str]:
    """Trait -> the typed key that renders it, for this auth.type."""
    if auth_type in MODELLED:
        return dict(TYPED_TRAITS)
    return {name: TYPED_TRAITS[name] for name in ALWAYS_TYPED}


def allow_rule_options(options: Mapping[str, Any]) -> list[str]:
    """The options that let users in (``allowed_*`` and ``admin_groups`` lists, non-empty)."""
    return sorted(
        name
        for name, value in options.items()
        if (name.startswith("allowed_") or name == "admin_groups")
        and isinstance(value, list | dict)
        and value
    )


def option_problems(
    auth_type: str, options: Mapping[str, Any], secret_options: Mapping[str, str]
) -> list[tuple[str, Any, str, bool]]:
    """Problems of ``auth.options`` and ``auth.secretOptions``: (key, value, message, secret),
    where ``secret`` says the value must not be shown.

    Whether each secretEnv entry a secretOption names is set is not checked here: like every
    required secret, ``check`` warns when it is absent and ``pulumi up`` refuses to deploy.
    """
    if not options and not secret_options:
        return []
    cls = load_catalogue().of(auth_type)
    if cls is None:
        return []  # the unknown auth.type is reported on its own
    typed = typed_traits(auth_type)
    found: list[tuple[str, Any, str, bool]] = []
    for name, value in options.items():
        key = f"auth.options.{shown_key(name)}"
        hidden = _maybe_secret(cls, name)
        problem = _name_problem(cls, name, typed)
        if problem is not None:
            found.append((key, value, problem, hidden))
            continue
        trait = cls.traits[name]
        if trait.secret:
            env = _env_name(name)
            found.append(
                (
                    key,
                    value,
                    f"{cls.section}.{name} holds a secret, and options land in the Helm values; "
                    f"remove it, run pulumi config set --secret --path "
                    f"'up2u-jupyter:secretEnv.{env}' <value>, and set "
                    f"auth.secretOptions.{name}: {env}",
                    True,
                )
            )
        elif trait.type == "callable":
            found.append(
                (
                    key,
                    value,
                    f"{cls.section}.{name} takes Python code, which YAML cannot carry; "
                    "set it in hub.extraConfig instead",
                    hidden,
                )
            )
        elif not trait.accepts(value):
            message = f"{cls.section}.{name} takes {_type_words(trait)}; fix the value"
            found.append((key, value, message, hidden))
    for name, env in secret_options.items():
        key = f"auth.secretOptions.{shown_key(name)}"
        problem = _name_problem(cls, name, typed)
        if problem is None and name in options:
            problem = f"also set in auth.options.{name}; keep one of them"
        elif problem is None and cls.traits[name].type == "callable":
            problem = f"{cls.section}.{name} takes Python code; set it in hub.extraConfig"
        elif problem is None and not (isinstance(env, str) and ENV_NAME.fullmatch(env)):
            problem = (
                "not an environment variable name (the secretEnv entry to read); "
                "use letters, digits and '_', e.g. LDAP_BIND_PASSWORD"
            )
        if problem is not None:
            # hidden: a value here should be a variable's name, and a mistake is often the
            # secret itself pasted in
            found.append((key, env, problem, True))
    return found


def _name_problem(cls: AuthenticatorClass, name: str, typed: Mapping[str, str]) -> str | None:
    if name in typed:
        return f"set by {typed[name]}; use that key instead"
    trait = cls.traits.get(name)
    if trait is None:
        close = _closest(name, list(cls.traits))
        hint = f"did you mean {close[0]}?" if close else "see its traits in the catalogue"
        return f"not an option of {cls.section}; {hint}"
    if trait.deprecated is not None:
        replacement = typed.get(trait.deprecated, f"auth.options.{trait.deprecated}")
        return f"{cls.section}.{name} is deprecated; use {replacement}"
    return None


def _maybe_secret(cls: AuthenticatorClass, name: str) -> bool:
    """Whether an option's value may be a secret (then no message shows it)."""
    from .secretrule import is_secret_name

    if is_secret_name(name):
        return True
    if name in cls.traits:
        return cls.traits[name].secret
    # a misspelt secret trait still holds the secret
    close = _closest(name, list(cls.traits))
    return bool(close) and cls.traits[close[0]].secret


def _closest(name: str, known: list[str]) -> list[str]:
    """The closest known name (none for a name far longer than any trait: not a typo)."""
    if len(name) > 200:
        return []
    import difflib  # only for 'did you mean': not on every run

    return difflib.get_close_matches(name, known, n=1, cutoff=0.6)


def _type_words(trait: Trait) -> str:
    words = {
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "str": "a string",
        "list": "a list",
        "dict": "a map",
        "any": "any value",
        "callable": "Python code",
    }
    kinds = " or ".join(words[kind] for kind in trait.type.split("|"))
    return f"{kinds} (or null)" if trait.nullable else kinds


def _env_name(trait: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", trait.upper())
