"""Who signs in, and how: the authenticator of every era -> ``auth.*`` of the stack config.

An old file names its authenticator in one of three places (the 0.x ``auth:`` block,
``hub.config.JupyterHub.authenticator_class``, or extraConfig code) and configures it across
several sections (``Authenticator``, ``OAuthenticator``, the class's own). They are gathered in
the order JupyterHub applies them, converted trait by trait (typed keys where the stack models
them, ``auth.options`` otherwise, ``auth.secretOptions`` + ``secretEnv`` for secrets), and then
the allow rule is decided: ``allowAll: true`` only when the old deployment let everyone in.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic.alias_generators import to_camel

from .. import authkeys
from ..authenticators import is_oauth
from ..chart import env_items
from ..credentials import DUMMY_PASSWORD, OAUTH_CLIENT_SECRET
from ..errors import excerpt, shown_key
from ..secretrule import is_secret_name
from .extraconfig import Unreadable
from .history import (
    ALLOW_RULE_TRAITS,
    AUTHENTICATOR_ALIASES,
    CHART_AUTH_OPTIONS,
    CHART_AUTH_SECTIONS,
    CHART_HUB_TRAIT_KEYS,
    CHART_LDAP_OPTIONS,
    CLASS_NAMES,
    CREDENTIAL_ENV,
    DEFAULT_AUTHENTICATOR,
    IGNORED_TRAITS,
    LDAP_USE_SSL,
    PARENT_AUTHENTICATORS,
    PLACEHOLDER,
    REMOVED_TRAITS,
    RENAMED_TRAITS,
    RESTRICTING_TRAITS,
    SHIPPED_AUTHENTICATORS,
    TARGET_CHART,
    KeyPath,
    section_of,
)
from .model import Conversion, kind

COMMON_OAUTH_TRAITS = frozenset(
    {
        "client_id",
        "client_secret",
        "oauth_callback_url",
        "login_service",
        "scope",
        "username_claim",
        "authorize_url",
        "token_url",
        "userdata_url",
        "userdata_params",
        "token_params",
        "validate_server_cert",
        "enable_auth_state",
        "allow_all",
        "allowed_users",
        "admin_users",
        "blocked_users",
        "manage_groups",
        "auth_state_groups_key",
        "allowed_groups",
        "admin_groups",
    }
)
"""Traits every OAuthenticator has: what carries over when a custom OAuth class is replaced
by one the hub image ships."""


@dataclass
class Option:
    """One trait value of the old file and where it was."""

    value: Any
    where: KeyPath
    section: str = ""
    """The config section (class name) that set it; empty for the 0.x auth block."""


def resolve(name: Any) -> str | None:
    """The auth.type an old authenticator name or class path means, if the hub image ships it."""
    text = str(name).strip()
    if text in SHIPPED_AUTHENTICATORS:
        return text
    if text in AUTHENTICATOR_ALIASES:
        return AUTHENTICATOR_ALIASES[text]
    if text in CLASS_NAMES:
        return CLASS_NAMES[text]
    return _BY_PATH.get(text.replace(":", "."))


_BY_PATH = {path: name for name, path in reversed(SHIPPED_AUTHENTICATORS.items())}


class _Auth:
    """The authenticator being gathered from the old file."""

    def __init__(self, c: Conversion):
        self.c = c
        self.type: str | None = None
        self.type_where: KeyPath | None = None
        self.named: str | None = None
        """The class the old file named when the image does not ship it."""
        self.named_section: str | None = None
        self.sections: dict[str, dict[str, Option]] = {}
        """Config section -> trait -> value (Authenticator, OAuthenticator, the class...)."""
        self.chart_sections: dict[str, tuple[KeyPath, dict[str, Option]]] = {}
        """0.x ``auth.<name>`` blocks (name -> where, options)."""
        self.unreadable: list[tuple[KeyPath, Unreadable]] = []
        """Rules of who may sign in that extraConfig code computes (the import asks)."""
        self.classes: dict[str, list[str]] = {}
        """Classes extraConfig code defines -> their bases' names."""

    def name(self, value: Any, where: KeyPath) -> None:
        """The authenticator chosen at ``where`` (later calls win, as later config does)."""
        resolved = resolve(value)
        self.type_where = where
        if resolved is None:
            self.type, self.named = None, str(value)
            self.named_section = str(value).rpartition(".")[2]
        else:
            self.type, self.named = resolved, None

    def option(
        self, section: str, trait: Any, value: Any, where: KeyPath, adds: bool = False
    ) -> None:
        """A trait value; ``adds``: it joins the value the trait had (``.add``, ``|=``)."""
        options = self.sections.setdefault(section, {})
        before = options.get(str(trait))
        if adds and before is not None and isinstance(before.value, list | set | tuple | dict):
            if isinstance(before.value, dict) and isinstance(value, dict):
                value = {**before.value, **value}
            elif isinstance(value, list):
                value = list(dict.fromkeys([*before.value, *value]))
        options[str(trait)] = Option(value, where, section)

    def subclass_of(self, section: str, base: str) -> bool:
        """Whether a config section names a subclass of ``base``: its name ends with the
        base's (``PurdueCILogonOAuthenticator``), or extraConfig code defines it on ``base``."""
        if section != base and section.endswith(base):
            return True
        seen: set[str] = set()
        todo = list(self.classes.get(section, []))
        while todo:
            name = todo.pop()
            if name == base:
                return True
            if name not in seen:
                seen.add(name)
                todo += self.classes.get(name, [])
        return False


def convert_auth(c: Conversion, chosen: str | None = None) -> None:
    """Gather, convert and decide the allow rule (see the module docstring).

    ``chosen`` is an auth.type the operator picked (``--set auth.type=...``): it replaces an
    authenticator the hub image does not ship.
    """
    gathered = _Auth(c)
    old = c.take("auth")
    if isinstance(old, dict):
        _chart_auth(c, gathered, old)
    elif old is not None:
        c.note("auth", "dropped", f"{kind(old)} where the 0.x chart expected a map")
    config = c.take("hub", "config")
    if isinstance(config, dict):
        _hub_config(c, gathered, config)
    elif config is not None:
        c.note(("hub", "config"), "dropped", f"{kind(config)} where the chart expects a map")
    _code(c, gathered)
    _ask_about_computed_rules(c, gathered)
    _decide_type(c, gathered, chosen)
    if gathered.type is None:
        _era_question_without_a_type(c, gathered)
        return
    if gathered.type == "generic-oauth":  # the others set their own URL defaults
        _environment_defaults(c, gathered)
    _credential_references(c, gathered)
    _convert_options(c, gathered)
    _allow_rule(c, gathered)
    c.auth["type"] = gathered.type
    c.out.config["auth"] = _ordered(c.auth)


_OAUTH_ENV_DEFAULTS = {
    "OAUTH_CLIENT_ID": "client_id",
    "OAUTH_CALLBACK_URL": "oauth_callback_url",
    "OAUTH2_AUTHORIZE_URL": "authorize_url",
    "OAUTH2_TOKEN_URL": "token_url",
    "OAUTH2_USERDATA_URL": "userdata_url",
    "OAUTH2_USERNAME_KEY": "username_key",
}
"""Environment variables OAuthenticator reads when its config leaves a trait unset."""


def _environment_defaults(c: Conversion, gathered: _Auth) -> None:
    """OAuth settings the old hub took from its environment (``hub.extraEnv``), as
    GenericOAuthenticator does when no config sets them: they become auth.* like config would.
    GitHub's, GitLab's and the other authenticators replace these defaults with their own, so
    their old hubs ignored the variables (left to pass through)."""
    env = c.get("hub", "extraEnv")
    configured = {trait for options in gathered.sections.values() for trait in options}
    configured |= {trait for _, options in gathered.chart_sections.values() for trait in options}
    taken: dict[str, tuple[str, str]] = {}
    for name, value in env_items(env):
        trait = _OAUTH_ENV_DEFAULTS.get(name) if isinstance(name, str) else None
        if trait is not None and trait not in configured and isinstance(value, str) and value:
            taken[name] = (trait, value)
    if not taken:
        return
    if isinstance(env, dict):
        for name in taken:
            env.pop(name)
    else:
        env[:] = [e for e in env if not (isinstance(e, dict) and e.get("name") in taken)]
    for name, (trait, value) in taken.items():
        gathered.option("OAuthenticator", trait, value, ("hub", "extraEnv", name))
    if not env:
        c.take("hub", "extraEnv")


def _credential_references(c: Conversion, gathered: _Auth) -> None:
    """``hub.extraEnv`` entries that read the OAuth client's id or secret from a Kubernetes
    Secret (or ConfigMap): the stack's own credential takes their place, with the command that
    reads the value from the old Secret. Passed through, they would silently override the
    stack's credential (or be read by nobody) while the import still asked for it."""
    kind_ = gathered.type or ""
    env = c.get("hub", "extraEnv")
    if not is_oauth(kind_) or not isinstance(env, dict | list):
        return
    configured = {t for options in gathered.sections.values() for t in options}
    configured |= {t for _, options in gathered.chart_sections.values() for t in options}
    for name, value in list(env_items(env)):
        match = CREDENTIAL_ENV.fullmatch(name) if isinstance(name, str) else None
        reference = _reference(value)
        if match is None or reference is None:
            continue
        source, command = reference
        where: KeyPath = ("hub", "extraEnv", name)
        _remove_env(c, name)
        trait = "client_secret" if match["part"] == "SECRET" else "client_id"
        if trait in configured:
            c.note(where, "dropped", f"the old file also sets {trait}, which wins over it")
            continue
        if trait == "client_secret":
            how = f"the old hub read it from the {source}"
            c.secret(OAUTH_CLIENT_SECRET, where, how, value_is=command)
            continue
        c.note(where, "dropped", f"read from the {source}: the stack sets auth.clientId instead")
        c.ask(
            f"{c.where(where)}: the old hub read its OAuth client id from the {source}; set it "
            f"with --set auth.clientId=VALUE (this shows it: {command})",
            "auth.clientId",
        )


def _reference(value: Any) -> tuple[str, str] | None:
    """Where an environment entry's ``valueFrom`` reads: (in words, the command printing it)."""
    source = value.get("valueFrom") if isinstance(value, dict) else None
    for ref, kind_ in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
        found = source.get(ref) if isinstance(source, dict) else None
        if isinstance(found, dict) and found.get("name") and found.get("key"):
            name, key = shown_key(str(found["name"])), shown_key(str(found["key"]))
            path = key.replace(".", "\\.")
            decode = " | base64 -d" if kind_ == "Secret" else ""
            command = (
                f"kubectl -n NAMESPACE get {kind_.lower()} {name} -o jsonpath='{{.data.{path}}}'"
                f"{decode}"
            )
            return f"key {key} of the {kind_} {name}", command
    return None


def _remove_env(c: Conversion, name: str) -> None:
    env = c.get("hub", "extraEnv")
    if isinstance(env, dict):
        env.pop(name, None)
    elif isinstance(env, list):
        env[:] = [e for e in env if not (isinstance(e, dict) and e.get("name") == name)]
    if not env:
        c.take("hub", "extraEnv")


def _ordered(auth: dict[str, Any]) -> dict[str, Any]:
    first = {key: auth[key] for key in ("type",) if key in auth}
    last = {key: auth[key] for key in ("options", "secretOptions") if key in auth}
    return first | {k: v for k, v in auth.items() if k not in first and k not in last} | last


# --- gathering ----------------------------------------------------------------------------


def _chart_auth(c: Conversion, gathered: _Auth, auth: dict[str, Any]) -> None:
    """The top-level ``auth`` block of charts 0.7-0.11 (moved to hub.config in 1.0)."""
    kind_ = auth.pop("type", None)
    custom = auth.pop("custom", None)
    if kind_ == "custom" and isinstance(custom, dict):
        gathered.name(custom.get("className"), ("auth", "custom", "className"))
        config = custom.get("config") or {}
        section = gathered.named_section or (
            section_of(gathered.type) if gathered.type else "Authenticator"
        )
        for trait, value in config.items() if isinstance(config, dict) else ():
            gathered.option(section, trait, value, ("auth", "custom", "config", str(trait)))
    elif kind_ is not None:
        gathered.name(CHART_AUTH_SECTIONS.get(str(kind_), kind_), ("auth", "type"))
    elif custom is not None:
        c.note(("auth", "custom"), "dropped", "auth.type is not custom, so the chart ignored it")
    for name in list(auth):
        if name in CHART_AUTH_SECTIONS and isinstance(auth[name], dict):
            block = auth.pop(name)
            options = _chart_section(c, str(name), block)
            gathered.chart_sections[str(name)] = (("auth", str(name)), options)
    admin = auth.pop("admin", None) or {}
    if isinstance(admin, dict):
        if admin.get("users"):
            gathered.option(
                "Authenticator", "admin_users", admin["users"], ("auth", "admin", "users")
            )
        if "access" in admin:
            _admin_access(c, admin["access"], ("auth", "admin", "access"))
    for old, trait in (("whitelist", "allowed_users"), ("blacklist", "blocked_users")):
        block = auth.pop(old, None) or {}
        if isinstance(block, dict) and block.get("users"):
            gathered.option("Authenticator", trait, block["users"], ("auth", old, "users"))
    state = auth.pop("state", None) or {}
    if isinstance(state, dict):
        if state.get("cryptoKey"):
            c.rotate("auth-state key", ("auth", "state", "cryptoKey"))
        if "enabled" in state:
            gathered.option(
                "Authenticator", "enable_auth_state", state["enabled"], ("auth", "state", "enabled")
            )
    scopes = auth.pop("scopes", None)
    if scopes:
        gathered.option("OAuthenticator", "scope", scopes, ("auth", "scopes"))
    for key in auth:
        c.note(("auth", str(key)), "dropped", "not a key of the 0.x chart's auth block")


def _chart_section(c: Conversion, name: str, block: dict[str, Any]) -> dict[str, Option]:
    """One 0.x ``auth.<name>`` block, as the traits 0.x's jupyterhub_config.py set from it."""
    options: dict[str, Option] = {}
    if name == "ldap":
        for path, trait in CHART_LDAP_OPTIONS.items():
            value = _pop_path(block, path)
            if value is not None:
                options[trait] = Option(value, ("auth", "ldap", *path))
        for path, _ in _leaf_paths(block):
            c.note(("auth", "ldap", *path), "dropped", "not a key of the 0.x chart's auth.ldap")
        return options
    for key, value in block.items():
        trait = CHART_AUTH_OPTIONS.get(str(key), str(key))
        options[trait] = Option(value, ("auth", name, str(key)))
    return options


def _pop_path(block: dict[str, Any], path: KeyPath) -> Any:
    """Remove the value at a nested path, then the maps it leaves empty."""
    chain = [block]
    for part in path[:-1]:
        node = chain[-1].get(part)
        if not isinstance(node, dict):
            return None
        chain.append(node)
    value = chain[-1].pop(path[-1], None)
    for depth in range(len(chain) - 1, 0, -1):
        if chain[depth] == {}:
            chain[depth - 1].pop(path[depth - 1])
    return value


def _leaf_paths(node: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    if isinstance(node, dict) and node:
        return [
            leaf for key, value in node.items() for leaf in _leaf_paths(value, (*path, str(key)))
        ]
    return [(path, node)] if path else []


def _admin_access(c: Conversion, value: Any, source: KeyPath) -> None:
    """``admin_access``: whether admins could open users' servers. Since JupyterHub 2 (chart
    2.0) it does nothing: the admin role includes ``access:servers``. Carrying ``false`` over
    would read as a protection the hub no longer gives, so it is dropped, loudly."""
    if value is False:
        c.note(source, "dropped", "JupyterHub 2+ ignores it: admins can open every user's server")
        c.notice(
            f"{c.where(source)} was false: admins could not open users' servers. JupyterHub 2 "
            "and later ignore that setting and the admin role includes access:servers, so "
            "admins can now. To keep someone out of users' servers, do not list them as an "
            "admin: give them a role in helmValues.hub.loadRoles with only the scopes they need "
            "(not access:servers, admin:users or tokens)"
        )
    else:
        c.note(source, "dropped", "JupyterHub 2+ ignores it; admins open users' servers anyway")


def _hub_config(c: Conversion, gathered: _Auth, config: dict[str, Any]) -> None:
    """``hub.config`` (chart 1.0 and later): traitlets config by section."""
    app = config.get("JupyterHub")
    if isinstance(app, dict):
        if "authenticator_class" in app:
            gathered.name(
                app.pop("authenticator_class"),
                ("hub", "config", "JupyterHub", "authenticator_class"),
            )
        if app.pop("cookie_secret", None) not in (None, ""):
            c.rotate("cookie secret", ("hub", "config", "JupyterHub", "cookie_secret"))
        if "admin_access" in app:
            _admin_access(
                c, app.pop("admin_access"), ("hub", "config", "JupyterHub", "admin_access")
            )
    proxy = config.get("ConfigurableHTTPProxy")
    if isinstance(proxy, dict) and proxy.pop("auth_token", None) not in (None, ""):
        c.rotate("proxy token", ("hub", "config", "ConfigurableHTTPProxy", "auth_token"))
    keeper = config.pop("CryptKeeper", None)
    if isinstance(keeper, dict) and keeper.pop("keys", None):
        c.rotate("auth-state key", ("hub", "config", "CryptKeeper", "keys"))
    defined = {name for snippet in c.code_snippets for name in snippet.classes}
    for section in list(config):
        options = config[section]
        if (
            isinstance(section, str)
            and (section.endswith("Authenticator") or section in defined)
            and isinstance(options, dict)
        ):
            config.pop(section)
            for trait, value in options.items():
                gathered.option(section, trait, value, ("hub", "config", section, str(trait)))
    for section, options in config.items():
        where: KeyPath = ("hub", "config", str(section))
        if not isinstance(options, dict):
            c.note(where, "dropped", f"{kind(options)} where a section of traits is expected")
            continue
        for trait, value in options.items():
            path = (*where, str(trait))
            ignored = IGNORED_TRAITS.get((str(section), str(trait))) or _not_a_trait(str(trait))
            if ignored:
                c.note(
                    path, "dropped", f"not a trait of {section}: the old hub ignored it ({ignored})"
                )
            elif is_secret_name(str(trait)) and value not in (None, ""):
                c.note(
                    path,
                    "secret",
                    "not copied (it would sit in Helm's release history); "
                    "read it in hub.extraConfig from a secretEnv entry instead",
                )
            else:
                c.helm(("hub", "config", str(section), str(trait)), value, path)


def _not_a_trait(name: str) -> str:
    """Why a camelCase name is no trait (traits are snake_case; it is often a chart key)."""
    if name[:1].islower() and name != name.lower() and "_" not in name:
        chart_key = f"hub.{name}"
        return (
            f"traits are snake_case; to apply it now, set helmValues.{chart_key}"
            if name in CHART_HUB_TRAIT_KEYS
            else "traits are snake_case"
        )
    return ""


def _code(c: Conversion, gathered: _Auth) -> None:
    """Authenticator settings lifted out of extraConfig code (they run last, so they win)."""
    for snippet in c.code_snippets:
        where: KeyPath = ("hub", "extraConfig", snippet.name)
        gathered.classes.update(snippet.classes)
        if snippet.authenticator is not None:
            gathered.name(snippet.authenticator[1], (*where, "c.JupyterHub.authenticator_class"))
        for item in snippet.assignments:
            if item.section == "CryptKeeper":
                c.rotate("auth-state key", (*where, "c.CryptKeeper.keys"))
                continue
            written = f"c.{item.section}.{item.trait}" + (" (added to)" if item.adds else "")
            gathered.option(item.section, item.trait, item.value, (*where, written), item.adds)
        for rule in snippet.unreadable:
            place = (*where, f"line {rule.line}: c.{rule.section}.{rule.trait}")
            gathered.unreadable.append((place, rule))


ALLOW_ANSWERS = (
    "auth.allowAll",
    "auth.allowedUsers",
    "auth.allowedOrganizations",
    "auth.allowedGroups",
    "auth.hostedDomain",
    "auth.options",
)
"""Stack keys that say who may sign in: setting one answers a question about the rule."""
ADMIN_ANSWERS = ("auth.adminUsers", "auth.adminGroups", "auth.options")


def _ask_about_computed_rules(c: Conversion, gathered: _Auth) -> None:
    """A rule the code computes is never guessed: one question each, kept code noted."""
    for where, rule in gathered.unreadable:
        admins = rule.trait == "admin_users"
        key = "auth.adminUsers" if admins else "auth.allowedUsers"
        text = (
            f"{c.where(where)}: {'who is an admin' if admins else 'who may sign in'} is "
            f"computed by code the importer cannot read ({rule.why}); say it with --set "
            f"{key}=[...]"
            + ("" if admins else " (or auth.allowAll=true, auth.allowedOrganizations=[...])")
            + "; the code is kept and still runs when the hub starts"
        )
        if c.ask(text, *(ADMIN_ANSWERS if admins else ALLOW_ANSWERS)):
            c.note(
                where,
                "era",
                f"computed by code ({rule.why}): kept in hub.extraConfig, where it still runs "
                f"after auth.* (answered with --set {c.answered(key) or key})",
            )


def _decide_type(c: Conversion, gathered: _Auth, chosen: str | None) -> None:
    if chosen is not None:
        previous = gathered.named or gathered.type
        gathered.type, gathered.named = chosen, gathered.named
        if previous and previous != chosen:
            c.note(
                gathered.type_where or "auth",
                "mapped",
                f"-> auth.type {excerpt(chosen)} (chosen with --set, replacing "
                f"{excerpt(previous)})",
            )
        elif gathered.type_where is not None:
            c.note(gathered.type_where, "mapped", f"-> auth.type {chosen}")
        return
    if gathered.named is not None:
        c.problem(
            f"{c.where(gathered.type_where or ('auth',))}: the authenticator "
            f"{excerpt(gathered.named)} is not in the z2jh 4.4.0 hub image; choose one it ships "
            "with "
            "--set auth.type=NAME (e.g. generic-oauth for an OAuth2 provider, with its "
            "auth.clientId, auth.authorizeUrl/tokenUrl/userdataUrl and the public host of its "
            "callback, --domain HOST) and its options are carried where they fit"
        )
        return
    if gathered.type is not None:
        c.note(gathered.type_where or "auth", "mapped", f"-> auth.type {gathered.type}")
        return
    blocks = [name for name in gathered.chart_sections if name != "dummy"]
    if len(blocks) == 1:
        name = blocks[0]
        gathered.type = CHART_AUTH_SECTIONS[name]
        c.note(
            ("auth", name),
            "era",
            f"auth.type is not in this file, but auth.{name} is: "
            f"-> auth.type {gathered.type} (the chart's default would be dummy; if the file "
            "is an overlay, its base file sets auth.type)",
        )
        return
    parent = PARENT_AUTHENTICATORS.get(c.prefix)
    if parent is not None:
        gathered.type = parent[0]
        c.note(
            "auth",
            "added",
            f"the file names no authenticator; {parent[1]}: -> auth.type "
            f"{parent[0]} (pass --set auth.type=NAME if the deployment overrode it)",
        )
        return
    gathered.type = DEFAULT_AUTHENTICATOR
    c.note(
        "auth",
        "added",
        "the file names no authenticator, so the old hub ran the chart's "
        "default, DummyAuthenticator (any user name, the shared password if one was set): "
        "-> auth.type dummy. If this file is an overlay, its base file named the real one: "
        "pass --set auth.type=NAME",
    )


# --- converting ---------------------------------------------------------------------------


def _applicable(gathered: _Auth) -> list[tuple[str, dict[str, Option]]]:
    """The gathered sections that configure the running class, lowest precedence first."""
    kind_ = gathered.type or ""
    oauth = is_oauth(kind_)
    own = section_of(kind_)
    order = ["Authenticator", "LocalAuthenticator"] + (["OAuthenticator"] if oauth else [])
    applicable = [(name, gathered.sections[name]) for name in order if name in gathered.sections]
    for name, (_, options) in gathered.chart_sections.items():
        if CHART_AUTH_SECTIONS[name] == kind_ or (name == "dummy" and kind_ == "dummy"):
            applicable.append((f"auth.{name}", options))
    if own in gathered.sections:
        applicable.append((own, gathered.sections[own]))
    for name, options in gathered.sections.items():
        if name not in (own, gathered.named_section) and gathered.subclass_of(name, own):
            applicable.append((name, options))  # a subclass: more specific, as in traitlets
    if gathered.named_section and gathered.named_section in gathered.sections:
        applicable.append((gathered.named_section, gathered.sections[gathered.named_section]))
    return applicable


def _convert_options(c: Conversion, gathered: _Auth) -> None:
    kind_ = gathered.type or ""
    merged: dict[str, Option] = {}
    applicable = _applicable(gathered)
    for _, options in applicable:
        for trait, option in options.items():
            new, _why = RENAMED_TRAITS.get(trait, (trait, ""))
            merged[new] = option  # more specific sections and later code win, as in traitlets
    used = {id(option) for option in merged.values()}
    applied = {id(options) for _, options in applicable}
    replaced = gathered.named_section is not None
    for section, options in gathered.sections.items():
        for trait, option in options.items():
            if id(option) in used:
                continue
            if id(options) in applied:  # the same trait, set again where it wins
                winner = merged[RENAMED_TRAITS.get(trait, (trait, ""))[0]]
                why = f"set again at {c.where(winner.where)}, which wins as in traitlets"
            else:
                why = (
                    f"{section} is not the authenticator the hub runs ({section_of(kind_)}) "
                    "nor one of its bases"
                )
            c.note(option.where, "dropped", why)
    for name, (_, options) in gathered.chart_sections.items():
        for option in options.values():
            if id(option) not in used:
                c.note(
                    option.where,
                    "dropped",
                    f"auth.{name} configures an authenticator the "
                    f"old hub did not run (auth.type was {kind_})",
                )
    typed = _typed(kind_)
    known = _class_traits(kind_)
    own = section_of(kind_) if kind_ in SHIPPED_AUTHENTICATORS else ""
    subclasses = sorted(
        {o.section for o in merged.values() if o.section and gathered.subclass_of(o.section, own)}
    )
    for section in subclasses:
        c.note(
            ("hub", "config", section) if section in c.original.get("hub", {}).get("config", {})
            else section,
            "era",
            f"a subclass of {own} the hub image does not ship: its options go to {own}, "
            "the class the stack runs, where that class has them",
        )  # fmt: skip
    for trait, option in merged.items():
        original = option.where[-1].rpartition(".")[2]
        renamed = RENAMED_TRAITS.get(original)
        also = f"renamed from {original} in {renamed[1]}" if renamed and renamed[1] else ""
        if option.section in subclasses and known and trait not in known and trait not in typed:
            _subclass_only(c, kind_, own, trait, option)
            continue
        carried = known or COMMON_OAUTH_TRAITS
        if replaced and trait not in carried and option.where[:-1] != ():
            from_custom = option.where[-2:-1] == (gathered.named_section,) or (
                len(option.where) > 2 and option.where[1] == "custom"
            )
            if from_custom:
                c.note(
                    option.where,
                    "dropped",
                    f"an option of {excerpt(gathered.named)}, which {section_of(kind_)} does "
                    "not have",
                )
                continue
        _convert_trait(c, kind_, typed, trait, option, also)


def _subclass_only(c: Conversion, kind_: str, own: str, trait: str, option: Option) -> None:
    """A trait only the subclass had: asked, never dropped without a word."""
    keep = f"helmValues.hub.config.{option.section}.{trait}"
    asked = c.ask(
        f"{c.where(option.where)}: {own} has no option {trait} (only the subclass "
        f"{option.section} had it, and the hub image does not ship that class): run {own} "
        f"without it with --set auth.type={kind_}, or keep it for your own subclass with "
        f"--set {keep}=VALUE",
        "auth.type",
        keep,
    )
    if asked:
        c.note(option.where, "dropped", f"an option of {option.section} only, not of {own}")


def _typed(kind_: str) -> dict[str, str]:
    """Trait -> the ``auth.*`` key that sets it for this type (``authkeys``)."""
    from ..authenticators import class_of

    return {
        row.traits[0]: to_camel(row.attribute)
        for row in authkeys.keys_for(class_of(kind_).sections)
        if row.attribute is not None
    }


def _convert_trait(
    c: Conversion, kind_: str, typed: dict[str, str], trait: str, option: Option, also: str
) -> None:
    value, where = option.value, option.where
    if trait in REMOVED_TRAITS:
        c.note(where, "dropped", REMOVED_TRAITS[trait])
        return
    old, new, on = LDAP_USE_SSL
    if trait == old and new in _class_traits(kind_):
        if value is True:
            c.auth.setdefault("options", {})[new] = on
            c.note(where, "mapped", f"-> auth.options.{new}: {on} (ldapauthenticator 2.0's {old})")
        else:
            c.note(where, "dropped", f"ldapauthenticator 2.0 dropped {old}; false means nothing")
        return
    if trait == "oauth_callback_url":
        host = _host(value)
        c.hint_domain(host)
        c.callback_scheme = _scheme(value)
        if is_oauth(kind_):
            c.note(where, "mapped", "-> domain (the callback URL is derived from it)")
            return
    known = _class_traits(kind_)
    if is_secret_name(trait) or trait == "consumers" or (trait in known and known[trait].secret):
        _secret_trait(c, kind_, trait, value, where)
        return
    if value is None:
        c.note(where, "dropped", "null: the authenticator's default applies")
        return
    if isinstance(value, str) and PLACEHOLDER.fullmatch(value.strip()):
        key = f"auth.{typed[trait]}" if trait in typed else f"auth.options.{trait}"
        c.note(where, "dropped", f"a placeholder, not a value: supply it with --set {key}=VALUE")
        if trait not in typed:  # a typed key the stack needs asks by itself when it is unset
            c.ask(
                f"{c.where(where)}: a placeholder, filled in when the old file was deployed; "
                f"set the real value with --set {key}=VALUE",
                key,
            )
        return
    if isinstance(value, set | frozenset | tuple):
        value = sorted(value, key=str)
    if trait == "auth_state_groups_key" and isinstance(value, str) and is_oauth(kind_):
        _groups_key(c, kind_, value, where, also)
        return
    if trait == "manage_groups" and is_oauth(kind_):
        if value and "groupsClaim" not in c.auth and _groups_claim_needed(kind_):
            c.note(
                where,
                "dropped",
                f"{kind_} takes groups from a userinfo claim: set "
                "--set auth.groupsClaim=CLAIM to keep managing groups",
            )
        else:
            c.note(
                where,
                "dropped",
                "the typed group keys (auth.groupsClaim, auth.allowedGroups, "
                "auth.adminGroups) turn group management on",
            )
        return
    if trait in typed:
        if trait == "hosted_domain" and isinstance(value, str):
            value = [value]
        if trait in ("admin_users", "allowed_users", "allowed_organizations") and isinstance(
            value, str
        ):
            value = [value]
        c.put(f"auth.{typed[trait]}", value, where, also)
        return
    if known and trait not in known:
        c.note(
            where,
            "dropped",
            f"not an option of {section_of(kind_)} in the chart "
            f"{TARGET_CHART} hub image (an older release had it, or it belongs to another class)",
        )
        return
    c.auth.setdefault("options", {})[trait] = value
    c.note(where, "mapped", f"-> auth.options.{trait}{'; ' + also if also else ''}")


def _groups_claim_needed(kind_: str) -> bool:
    """Whether the class needs auth.groupsClaim to find groups (AzureAD reads its own)."""
    from ..authenticators import class_of

    cls = class_of(kind_)
    asked = set(cls.sections) & set(authkeys.GROUPS_CLAIM_ASKED_BY)
    return cls.groups_key_default is None or bool(asked)


def _groups_key(c: Conversion, kind_: str, value: str, where: KeyPath, also: str) -> None:
    """auth_state_groups_key ``<user key>.<claim>`` -> auth.groupsClaim ``<claim>``."""
    from ..authenticators import class_of

    cls = class_of(kind_)
    prefix = f"{cls.user_auth_state_key}."
    if where[-1].rpartition(".")[2] in ("claim_groups_key", "groups_key"):
        # the pre-16 names held the claim itself, not a path into auth_state
        c.put("auth.groupsClaim", value, where, also)
    elif value == cls.groups_key_default and not _groups_claim_needed(kind_):
        c.note(where, "dropped", f"{cls.section}'s own default, which applies anyway")
    elif value.startswith(prefix) and len(value) > len(prefix):
        c.put("auth.groupsClaim", value.removeprefix(prefix), where, also)
    else:
        c.problem(
            f"{c.where(where)}: groups are read from {excerpt(value)}, outside the user record "
            f"({cls.user_auth_state_key}) whose claims auth.groupsClaim names; pick the claim "
            "with --set auth.groupsClaim=CLAIM, or read groups in hub.extraConfig"
        )


def _class_traits(kind_: str) -> dict[str, Any]:
    """The traits of the class an auth.type names, from the hub image's catalogue."""
    from ..authenticators import load_catalogue

    cls = load_catalogue(TARGET_CHART).of(kind_)
    return dict(cls.traits) if cls is not None else {}


def _secret_trait(c: Conversion, kind_: str, trait: str, value: Any, where: KeyPath) -> None:
    if value in (None, "", [], {}):
        c.note(where, "dropped", "empty")
        return
    # a placeholder (${GH_OAUTH_CLIENT_SECRET}, <redacted>) stood for the value deployed
    stood_for = (
        f"the value the placeholder in {c.where(where)} stood for"
        if isinstance(value, str) and PLACEHOLDER.fullmatch(value.strip())
        else ""
    )
    if trait == "client_secret" and is_oauth(kind_):
        c.secret(OAUTH_CLIENT_SECRET, where, value_is=stood_for)
        return
    if trait == "password" and kind_ == "dummy":
        c.secret(DUMMY_PASSWORD, where, value_is=stood_for)
        return
    if not isinstance(value, str):
        c.note(
            where,
            "secret",
            f"not copied: {kind(value)} of secrets; set it in "
            "hub.extraConfig from secretEnv entries (os.environ[...])",
        )
        return
    env = trait.upper()
    c.auth.setdefault("secretOptions", {})[trait] = env
    c.secret_env(env, where, f"auth.secretOptions.{trait} reads it", stood_for)


def _host(url: Any) -> str | None:
    try:
        return urlsplit(str(url)).hostname
    except ValueError:
        return None


def _scheme(url: Any) -> str | None:
    try:
        return urlsplit(str(url)).scheme or None
    except ValueError:
        return None


# --- who may sign in ----------------------------------------------------------------------


def _era_question_without_a_type(c: Conversion, gathered: _Auth) -> None:
    """The authenticator is still to be chosen, but whether the old hub let everyone in
    without a rule is a question of the chart version: asked now, with the others."""
    era = c.era
    known = era is not None and None not in (
        era.oauth_allows_all_without_rule,
        era.hub_allows_all_without_rule,
    )
    ruled = any(
        trait in ALLOW_RULE_TRAITS
        or trait == "allow_all"
        or RENAMED_TRAITS.get(trait, ("",))[0] in ALLOW_RULE_TRAITS
        for options in [
            *gathered.sections.values(),
            *(o for _, o in gathered.chart_sections.values()),
        ]
        for trait in options
    )
    if known or ruled or gathered.unreadable:
        return
    c.ask(
        "auth: the old file has no allow rule, and it does not tell its chart version, which "
        "decided whether every user who signed in got in (charts before 3.0 for OAuth, before "
        "4.0 for the others) or only admins; pass --from-chart VERSION (helm list shows it), "
        "or decide with --set auth.allowAll=true or --set auth.allowedUsers=[...]",
        *ALLOW_ANSWERS,
    )


def _allow_rule(c: Conversion, gathered: _Auth) -> None:
    """allowAll only when the old deployment let everyone in; say so loudly when it did."""
    kind_ = gathered.type or ""
    auth = c.auth
    options = auth.get("options", {})
    if kind_ == "tmp" and "allowAll" not in auth:
        # tmp lets everyone in as a new user: that is what it is for. TmpAuthenticator 1.0
        # keeps JupyterHub 5's allow_all=False, so that now has to be said.
        auth["allowAll"] = True
        c.note(
            "auth.allowAll",
            "added",
            "tmp gives every visitor a throwaway user; under JupyterHub 5 it lets them in "
            "only with allow_all, so auth.allowAll: true keeps the old hub's behaviour",
        )
        return
    if kind_ == "null" and not auth.get("allowedUsers"):
        auth["allowAll"] = True
        c.note(
            "auth.allowAll",
            "added",
            "NullAuthenticator signs nobody in; anyone may start a "
            "server through the parent's API, as before: allowAll: true says so",
        )
        c.notice(
            "anyone may start a server, as with the old BinderHub: auth.type null with "
            "auth.allowAll: true"
        )
        return
    if any(rule.trait != "admin_users" for _, rule in gathered.unreadable):
        return  # the rule is in code the importer cannot read: it asked (never allowAll)
    explicit = auth.get("allowAll")
    if explicit is True:
        c.notice(
            f"sign-in stays open to everyone: the old file set allow_all, so every user "
            f"who can sign in through {kind_} gets in (auth.allowAll: true)"
        )
        return
    rules = [
        name
        for name in sorted(ALLOW_RULE_TRAITS | {"allowed_organizations"})
        if _has_rule(name, auth, options)
    ]
    if explicit is False or rules:
        return
    oauth = is_oauth(kind_)
    era = c.era
    everyone = (
        None
        if era is None
        else (era.oauth_allows_all_without_rule if oauth else era.hub_allows_all_without_rule)
    )
    if everyone is None or era is None:
        c.ask(
            f"auth: the old file has no allow rule, and it does not tell its chart version: "
            f"charts before {'3.0' if oauth else '4.0'} let every user who signed in through "
            f"{kind_} get in, later ones only admins; pass --from-chart VERSION (helm list "
            "shows it), or decide with --set auth.allowAll=true or --set auth.allowedUsers=[...]",
            *ALLOW_ANSWERS,
        )
        return
    if not everyone:
        return  # admins only, as before: the stack's own check asks for a rule if none is left
    narrowed = [
        name
        for name in sorted(RESTRICTING_TRAITS | {"idps"})
        if _has_rule(name, auth, options) or isinstance(options.get(name), list)
    ]
    who = f" (within {', '.join(sorted(narrowed))}, which the stack keeps)" if narrowed else ""
    auth["allowAll"] = True
    c.note(
        "auth.allowAll",
        "added",
        f"the old file has no allow rule, and under chart "
        f"{era.name} that let every user who signed in get in{who}; the stack keeps "
        "that explicitly (allowAll: true). Replace it with allowedUsers to restrict sign-in",
    )
    c.notice(
        f"sign-in stays open to everyone who can sign in through {kind_}{who}, as the old "
        f"deployment (chart {era.name}, JupyterHub {era.jupyterhub}) allowed: "
        "auth.allowAll: true was added; restrict it before going live if that was not meant"
    )


def _has_rule(trait: str, auth: dict[str, Any], options: dict[str, Any]) -> bool:
    typed = {
        "allowed_users": "allowedUsers",
        "allowed_organizations": "allowedOrganizations",
        "hosted_domain": "hostedDomain",
        "allowed_groups": "allowedGroups",
        "admin_groups": "adminGroups",
    }
    value = auth.get(typed.get(trait, ""), options.get(trait))
    if trait == "idps" and isinstance(value, dict):
        # CILogon 16+: each identity provider says who of its users may sign in
        return any(
            isinstance(idp, dict) and (idp.get("allow_all") or idp.get("allowed_domains"))
            for idp in value.values()
        )
    if trait == "idps":
        return False  # a list (CILogon before 16) narrows identity providers, allows no one
    return bool(value)
