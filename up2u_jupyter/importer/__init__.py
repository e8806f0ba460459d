"""Old z2jh values (chart 0.9 to 4.4) -> this project's stack config, with a report of every key.

Pure: a parsed values document in, the stack config and the report out. Secrets found in the
old file are never copied: the report names the ``pulumi config set --secret`` command to run
instead, or says which secret the new stack generates anew and what users will notice.
"""

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from ..credentials import PROJECT
from ..credentials import set_command as secret_set_command
from ..values import AUTHENTICATOR_CLASSES

KeyPath = tuple[str, ...]
Action = Literal["mapped", "helmValues", "dropped", "secret", "added"]

CHART_TOP_LEVEL = {
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
"""Top-level keys of the chart 4.4.0 values: what may pass through to helmValues unchanged."""

ROTATES = {
    "proxy token": "hub and proxy restart once with the new token: new connections pause for "
    "a few seconds; running user servers keep running",
    "cookie secret": "everyone is signed out once and signs in again",
    "auth-state key": "auth state stored with the old key can no longer be read; it is renewed "
    "at each user's next sign-in",
}
"""The chart secrets the new stack generates, and what users notice when they change."""

_AUTH_CLASSES = {
    "generic-oauth": "generic-oauth",
    "oauthenticator.generic.GenericOAuthenticator": "generic-oauth",
    "oauthenticator.GenericOAuthenticator": "generic-oauth",
    "github": "github",
    "oauthenticator.github.GitHubOAuthenticator": "github",
    "oauthenticator.GitHubOAuthenticator": "github",
    "google": "google",
    "oauthenticator.google.GoogleOAuthenticator": "google",
    "oauthenticator.GoogleOAuthenticator": "google",
    "dummy": "dummy",
    "dummyauthenticator.DummyAuthenticator": "dummy",
    "jupyterhub.auth.DummyAuthenticator": "dummy",
    "tmp": "tmp",
    "tmpauthenticator.TmpAuthenticator": "tmp",
}
"""Authenticator names and class paths old files use -> our ``auth.type``."""
_SECTIONS = AUTHENTICATOR_CLASSES

# OAuthenticator option (snake_case, as in traitlets config) -> our auth key
_OAUTH_OPTIONS = {
    "login_service": "loginService",
    "client_id": "clientId",
    "authorize_url": "authorizeUrl",
    "token_url": "tokenUrl",
    "userdata_url": "userdataUrl",
    "username_claim": "usernameClaim",
    "username_key": "usernameClaim",  # renamed in OAuthenticator 16
    "userdata_params": "userdataParams",
    "scope": "scope",
    "allowed_organizations": "allowedOrganizations",
    "hosted_domain": "hostedDomain",
    "allow_all": "allowAll",
    "allowed_users": "allowedUsers",
    "whitelist": "allowedUsers",  # renamed in JupyterHub 1.2
    "admin_users": "adminUsers",
}
# the 0.9 chart's own auth.<type>.<camelCase> spellings
_CHART_AUTH_OPTIONS = {
    "clientId": "client_id",
    "callbackUrl": "oauth_callback_url",
    "orgWhitelist": "allowed_organizations",
    "org_whitelist": "allowed_organizations",
    "allowedOrganizations": "allowed_organizations",
    "hostedDomain": "hosted_domain",
    "loginService": "login_service",
    "scopes": "scope",
    "clientSecret": "client_secret",
    "password": "password",
}
# options OAuthenticator renamed, moved to helmValues under their new name
_RENAMED_OPTIONS = {
    "extra_params": ("token_params", "renamed in OAuthenticator 16"),
    "tls_verify": ("validate_server_cert", "renamed in OAuthenticator 16.0.2"),
}
_LAB_CMD = re.compile(r"""^\s*c\.Spawner\.cmd\s*=\s*\[?\s*['"]jupyter-labhub['"]\s*\]?\s*$""")

# renamed chart keys: old path -> (new path, reason)
_RENAMED_KEYS: dict[KeyPath, tuple[KeyPath, str]] = {
    ("rbac", "enabled"): (("rbac", "create"), "renamed in chart 1.0"),
    ("proxy", "nodeSelector"): (("proxy", "chp", "nodeSelector"), "moved in chart 1.0"),
    ("proxy", "networkPolicy"): (("proxy", "chp", "networkPolicy"), "moved in chart 1.0"),
    ("proxy", "pdb"): (("proxy", "chp", "pdb"), "moved in chart 1.0"),
    ("auth", "admin", "access"): (
        ("hub", "config", "JupyterHub", "admin_access"),
        "auth.* moved to hub.config in chart 1.0",
    ),
    ("auth", "blacklist", "users"): (
        ("hub", "config", "Authenticator", "blocked_users"),
        "auth.* moved to hub.config in chart 1.0",
    ),
    ("auth", "state", "enabled"): (
        ("hub", "config", "Authenticator", "enable_auth_state"),
        "auth.* moved to hub.config in chart 1.0",
    ),
}
# removed chart keys: old path -> reason
_PINNED = "chart 4.4.0 pins its own {} image; an old tag would run one it was not built for"
_REMOVED_KEYS: dict[KeyPath, str] = {
    ("hub", "uid"): "removed in chart 1.0; the hub runs as its image's user",
    ("proxy", "chp", "image"): _PINNED.format("proxy"),
    ("proxy", "traefik", "image"): _PINNED.format("Traefik"),
    ("proxy", "secretSync", "image"): _PINNED.format("secret-sync"),
    ("singleuser", "networkTools", "image"): _PINNED.format("network-tools"),
    ("prePuller", "hook", "image"): _PINNED.format("image-awaiter"),
    ("prePuller", "pause", "image"): _PINNED.format("pause"),
    ("scheduling", "userScheduler", "image"): _PINNED.format("kube-scheduler"),
    ("scheduling", "userPlaceholder", "image"): _PINNED.format("pause"),
    ("singleuser", "cloudMetadata", "enabled"): (
        "replaced in chart 1.0 by singleuser.cloudMetadata.blockWithIptables (default true: "
        "user pods cannot reach the cloud metadata server)"
    ),
    ("singleuser", "cmd"): (
        "chart 4.4.0 runs jupyterhub-singleuser, which serves JupyterLab at "
        "singleuser.defaultUrl (/lab)"
    ),
}


class ValuesFileError(Exception):
    """The input is not a z2jh values file this command can convert."""


@dataclass(frozen=True)
class ReportLine:
    """What happened to one key of the old file (never its value)."""

    key: str
    action: Action
    detail: str


@dataclass
class Imported:
    """The converted stack config and everything an operator must know about it."""

    config: dict[str, Any] = field(default_factory=dict)
    report: list[ReportLine] = field(default_factory=list)
    secrets_to_set: dict[str, str] = field(default_factory=dict)
    """Secret config key -> where its value was in the old file."""
    rotated: list[str] = field(default_factory=list)
    """Names of the generated chart secrets that change on the first deploy (keys of ROTATES)."""
    domain_hint: str | None = None
    """A public host name the old file implies (callback URL or HTTPS host), if any."""

    def commands(self, stack: str) -> list[str]:
        """The ``pulumi config set --secret`` commands the operator must run."""
        return [
            secret_set_command(key, stack).replace("<value>", f"<{where}>")
            for key, where in self.secrets_to_set.items()
        ]


def convert(document: Any) -> Imported:
    """Convert a parsed z2jh values document; raise ValuesFileError if it is not one."""
    if not isinstance(document, Mapping) or not document:
        raise ValuesFileError("not a z2jh values file: expected a YAML mapping of chart values")
    if set(document) == {"jupyterhub"} and isinstance(document["jupyterhub"], Mapping):
        document = document["jupyterhub"]  # values of a parent chart wrapping z2jh
    known = set(document) & (CHART_TOP_LEVEL | {"auth"})
    if not known:
        raise ValuesFileError(
            "not a z2jh values file: none of its top-level keys "
            f"({', '.join(sorted(map(str, document))[:5])}) is a chart key such as hub, proxy "
            "or singleuser"
        )
    return _Converter(copy.deepcopy(dict(document))).run()


class _Converter:
    def __init__(self, source: dict[str, Any]):
        self.source = source
        self.out = Imported()
        self.auth: dict[str, Any] = {}

    # --- bookkeeping ---------------------------------------------------------------------------

    def take(self, *path: str) -> Any:
        """Remove and return the value at path (None when absent), pruning emptied parents."""
        node: Any = self.source
        parents = []
        for part in path[:-1]:
            if not isinstance(node, dict) or part not in node:
                return None
            parents.append((node, part))
            node = node[part]
        if not isinstance(node, dict) or path[-1] not in node:
            return None
        value = node.pop(path[-1])
        for parent, key in reversed(parents):
            if parent[key] == {}:
                del parent[key]
        return value

    def note(self, path: KeyPath | str, action: Action, detail: str) -> None:
        key = path if isinstance(path, str) else ".".join(path)
        self.out.report.append(ReportLine(key, action, detail))

    def put(self, dest: str, value: Any, source: KeyPath | str, also: str = "") -> None:
        """Set a stack config key (dotted) and report where it came from."""
        # auth is assembled in self.auth (its type decides where options go) and set last
        in_auth = dest.startswith("auth.")
        node = self.auth if in_auth else self.out.config
        *parents, last = dest.removeprefix("auth.").split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
        self.note(source, "mapped", f"-> {dest}{'; ' + also if also else ''}")

    def helm(self, dest: KeyPath, value: Any, source: KeyPath | str, why: str = "") -> None:
        """Pass a value through to helmValues (4.4.0 path) and report it."""
        node = self.out.config.setdefault("helmValues", {})
        for part in dest[:-1]:
            node = node.setdefault(part, {})
        node[dest[-1]] = value
        reason = f" ({why})" if why else ""
        self.note(source, "helmValues", f"-> helmValues.{'.'.join(dest)}{reason}")

    def secret(self, key: str, where: str, source: KeyPath | str) -> None:
        self.out.secrets_to_set[key] = where
        self.note(source, "secret", f"not copied; set it with the {PROJECT}:{key} command below")

    def rotate(self, name: str, source: KeyPath | str | None) -> None:
        if name not in self.out.rotated:
            self.out.rotated.append(name)
        if source is not None:
            self.note(source, "secret", f"not copied; the {name} is generated anew (see below)")

    # --- the conversion ------------------------------------------------------------------------

    def run(self) -> Imported:
        self.proxy()
        self.hub()
        self.authentication()
        self.singleuser()
        self.toggles()
        self.leftovers()
        self.allow_rule()
        if self.auth:
            self.out.config["auth"] = self.auth
        for name in ROTATES:
            self.rotate(name, None)
        return self.out

    def proxy(self) -> None:
        token = self.take("proxy", "secretToken")
        if token is not None:
            self.rotate("proxy token", ("proxy", "secretToken"))
        https = self.take("proxy", "https")
        if isinstance(https, dict):
            self.https(https)
        service_type = self.take("proxy", "service", "type")
        if service_type is not None:
            self.put("proxy.serviceType", service_type, ("proxy", "service", "type"))
        resources = self.take("proxy", "chp", "resources")
        if resources:
            self.put("proxy.resources", resources, ("proxy", "chp", "resources"))

    def https(self, https: dict[str, Any]) -> None:
        # the chart's defaults, then and now: enabled false, type letsencrypt
        enabled, kind = https.pop("enabled", False), https.pop("type", None) or "letsencrypt"
        hosts = https.pop("hosts", None) or []
        if hosts:
            self.out.domain_hint = str(hosts[0])
            self.note("proxy.https.hosts", "mapped", "-> domain (unless --domain is given)")
        email = (https.pop("letsencrypt", None) or {}).get("contactEmail")
        secret = https.pop("secret", None) or {}
        manual = https.pop("manual", None) or {}
        if kind == "offload":
            # Old files often said enabled: false with type offload, meaning "the provider
            # terminates HTTPS": the chart's offload mode is that, with port 443 on proxy-public.
            mode = "offload"
        elif not enabled:
            mode = "none"
        elif kind == "manual" or manual:
            mode = "secret"
            self.note(
                "proxy.https.manual",
                "secret",
                "certificate and key not copied: store them as a TLS Secret "
                "(kubectl create secret tls NAME --cert=... --key=... -n NAMESPACE) and pass "
                "--set https.secretName=NAME",
            )
        else:
            mode = kind
        self.put("https.mode", mode, "proxy.https.enabled/type")
        if email and mode == "letsencrypt":
            self.put("https.contactEmail", email, "proxy.https.letsencrypt.contactEmail")
        if secret.get("name") and mode == "secret":
            self.put("https.secretName", secret["name"], "proxy.https.secret.name")
        for key in https:
            self.note(f"proxy.https.{key}", "dropped", "not an option of chart 4.4.0 proxy.https")

    def hub(self) -> None:
        if self.take("hub", "cookieSecret") is not None:
            self.rotate("cookie secret", ("hub", "cookieSecret"))
        image = self.take("hub", "image")
        if isinstance(image, dict) and image.get("name"):
            self.put(
                "hub.image",
                _image(image),
                ("hub", "image"),
                "rebuild it FROM quay.io/jupyterhub/k8s-hub:4.4.0 before deploying",
            )
        for key in (
            "activeServerLimit",
            "concurrentSpawnLimit",
            "templatePaths",
            "templateVars",
            "resources",
        ):
            value = self.take("hub", key)
            if value is not None:
                self.put(f"hub.{key}", value, ("hub", key))
        self.extra_config(self.take("hub", "extraConfig"))
        self.database()

    def extra_config(self, extra: Any) -> None:
        if extra is None:
            return
        snippets = {"imported": extra} if isinstance(extra, str) else dict(extra)
        kept = {}
        for name, code in snippets.items():
            lines = str(code).splitlines()
            lab = [line for line in lines if _LAB_CMD.match(line)]
            rest = "\n".join(line for line in lines if not _LAB_CMD.match(line)).strip()
            if lab:
                self.note(
                    f"hub.extraConfig.{name}",
                    "dropped",
                    "c.Spawner.cmd = ['jupyter-labhub'] is superseded: the chart's "
                    "jupyterhub-singleuser serves JupyterLab at singleuser.defaultUrl (/lab)",
                )
            if rest:
                kept[name] = rest
        if kept:
            source = "hub.extraConfig" + (
                " (a string: now a named entry)" if isinstance(extra, str) else ""
            )
            self.put("hub.extraConfig", kept, source)

    def database(self) -> None:
        db_type = self.take("hub", "db", "type")
        password = self.take("hub", "db", "password")
        url = self.take("hub", "db", "url")
        storage = self.take("hub", "db", "pvc", "storage")
        storage_class = self.take("hub", "db", "pvc", "storageClassName")
        if db_type == "postgres":
            self.put(
                "hub.db.type", db_type, ("hub", "db", "type"),
                "JupyterHub 5 upgrades an older schema only when told: back the database up, "
                "then deploy once with --set helmValues.hub.db.upgrade=true",
            )  # fmt: skip
        elif db_type == "sqlite-pvc":
            self.put("hub.db.type", db_type, ("hub", "db", "type"))
        elif db_type is not None:
            self.helm(
                ("hub", "db", "type"),
                db_type,
                ("hub", "db", "type"),
                "the stack config models sqlite-pvc and postgres",
            )
        if storage is not None:
            self.put("hub.db.storage", storage, ("hub", "db", "pvc", "storage"))
        if storage_class is not None:
            self.put("hub.db.storageClass", storage_class, ("hub", "db", "pvc", "storageClassName"))
        if url is not None:
            parts = urlsplit(str(url))
            if parts.password:
                netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
                url = urlunsplit(parts._replace(netloc=netloc))
                self.secret("dbPassword", "the password from hub.db.url", "hub.db.url (password)")
            if db_type == "postgres":
                self.put("hub.db.url", url, ("hub", "db", "url"))
            else:
                self.helm(("hub", "db", "url"), url, ("hub", "db", "url"))
        if password is not None:
            self.secret("dbPassword", "hub.db.password", ("hub", "db", "password"))

    # --- authentication ----------------------------------------------------------------------

    def authentication(self) -> None:
        old_auth = self.take("auth")
        if isinstance(old_auth, dict):
            self.chart_auth(old_auth)
        config = self.take("hub", "config")
        if isinstance(config, dict):
            self.hub_config(config)

    def chart_auth(self, auth: dict[str, Any]) -> None:
        """The 0.9-era top-level ``auth`` block (removed in chart 1.0)."""
        kind = auth.pop("type", None)
        if kind == "custom":
            custom = auth.pop("custom", None) or {}
            class_name = custom.get("className")
            self.set_type(class_name, "auth.custom.className")
            self.oauth_options(custom.get("config") or {}, "auth.custom.config")
        elif kind is not None:
            self.set_type(kind, "auth.type")
            options = auth.pop(kind, None) or {}
            translated = {_CHART_AUTH_OPTIONS.get(k, k): v for k, v in options.items()}
            self.oauth_options(translated, f"auth.{kind}")
        admin = auth.pop("admin", None) or {}
        if admin.get("users"):
            self.put("auth.adminUsers", list(admin["users"]), "auth.admin.users")
        if "access" in admin:
            self.helm(
                ("hub", "config", "JupyterHub", "admin_access"),
                admin["access"],
                "auth.admin.access",
                "auth.* moved to hub.config in chart 1.0",
            )
        whitelist = (auth.pop("whitelist", None) or {}).get("users")
        if whitelist:
            self.put("auth.allowedUsers", list(whitelist), "auth.whitelist.users")
        blacklist = (auth.pop("blacklist", None) or {}).get("users")
        if blacklist:
            self.helm(
                ("hub", "config", "Authenticator", "blocked_users"),
                list(blacklist),
                "auth.blacklist.users",
                "renamed to blocked_users",
            )
        state = auth.pop("state", None) or {}
        if state.get("cryptoKey"):
            self.rotate("auth-state key", "auth.state.cryptoKey")
        if "enabled" in state:
            self.helm(
                ("hub", "config", "Authenticator", "enable_auth_state"),
                state["enabled"],
                "auth.state.enabled",
                "auth.* moved to hub.config in chart 1.0",
            )
        scopes = auth.pop("scopes", None)
        if scopes:
            self.put("auth.scope", list(scopes), "auth.scopes")
        for key in auth:
            self.note(
                f"auth.{key}", "dropped", "no longer an option (auth.* was removed in chart 1.0)"
            )

    def hub_config(self, config: dict[str, Any]) -> None:
        """``hub.config`` of chart 1.0 and later: traitlets config by class."""
        app = config.get("JupyterHub") or {}
        if "authenticator_class" in app:
            self.set_type(
                app.pop("authenticator_class"), "hub.config.JupyterHub.authenticator_class"
            )
        keeper = config.pop("CryptKeeper", None) or {}
        if keeper.pop("keys", None):
            self.rotate("auth-state key", "hub.config.CryptKeeper.keys")
        if app.pop("cookie_secret", None) is not None:
            self.rotate("cookie secret", "hub.config.JupyterHub.cookie_secret")
        for section in ("Authenticator", "OAuthenticator", *_SECTIONS.values()):
            options = config.pop(section, None)
            if options:
                self.oauth_options(options, f"hub.config.{section}", section=section)
        for section, options in config.items():
            if options:
                self.helm(("hub", "config", section), options, f"hub.config.{section}")

    def set_type(self, name: Any, source: str) -> None:
        kind = _AUTH_CLASSES.get(str(name))
        if kind is None:
            raise ValuesFileError(
                f"{source} is {name!r}, which the stack config does not model (it supports "
                "generic-oauth, github, google, dummy and tmp); convert this authenticator by hand"
            )
        self.auth["type"] = kind
        self.note(source, "mapped", f"-> auth.type {kind}")

    def oauth_options(self, options: Mapping[str, Any], source: str, section: str = "") -> None:
        for option, value in options.items():
            where = f"{source}.{option}"
            if option == "client_secret":
                self.secret("oauthClientSecret", where, where)
            elif option == "password":
                self.secret("dummyPassword", where, where)
            elif option == "oauth_callback_url":
                host = urlsplit(str(value)).hostname
                if host:
                    self.out.domain_hint = self.out.domain_hint or host
                self.note(where, "mapped", "-> domain (the callback URL is derived from it)")
            elif option == "userdata_method":
                self.note(where, "dropped", "removed in OAuthenticator 16, which always uses GET")
            elif option in _RENAMED_OPTIONS:
                new, why = _RENAMED_OPTIONS[option]
                self.helm(
                    (
                        "hub",
                        "config",
                        section
                        or _SECTIONS.get(self.auth.get("type", ""), "GenericOAuthenticator"),
                        new,
                    ),
                    value,
                    where,
                    why,
                )
            elif option in _OAUTH_OPTIONS:
                value = [value] if option == "hosted_domain" and isinstance(value, str) else value
                if isinstance(value, (set, tuple)):
                    value = list(value)
                self.put(f"auth.{_OAUTH_OPTIONS[option]}", value, where)
            else:
                target = section or _SECTIONS.get(
                    self.auth.get("type", ""), "GenericOAuthenticator"
                )
                self.helm(("hub", "config", target, option), value, where)

    def allow_rule(self) -> None:
        rules = ("allowAll", "allowedUsers", "allowedOrganizations")
        if self.auth.get("type") != "tmp" and not any(self.auth.get(r) for r in rules):
            self.auth["allowAll"] = True
            self.note(
                "auth.allowAll",
                "added",
                "the old file has no allow rule, so every user who signed in got in; the "
                "stack keeps that explicitly (allowAll: true). Replace it with allowedUsers "
                "to restrict sign-in",
            )

    # --- user servers and switches -----------------------------------------------------------

    def singleuser(self) -> None:
        for key in ("defaultUrl", "cpu", "memory"):
            value = self.take("singleuser", key)
            if value is not None:
                self.put(f"singleuser.{key}", value, ("singleuser", key))
        image = self.take("singleuser", "image")
        if isinstance(image, dict) and image.get("name"):
            self.put(
                "singleuser.image",
                _image(image),
                ("singleuser", "image"),
                "rebuild it on quay.io/jupyterhub/k8s-singleuser-sample:4.4.0 so that its "
                "jupyterhub package matches the hub",
            )
        capacity = self.take("singleuser", "storage", "capacity")
        if capacity is not None:
            self.put("singleuser.storage.capacity", capacity, "singleuser.storage.capacity")
        storage_class = self.take("singleuser", "storage", "dynamic", "storageClass")
        if storage_class is not None:
            self.put(
                "singleuser.storage.storageClass",
                storage_class,
                "singleuser.storage.dynamic.storageClass",
            )
        env = self.source.get("singleuser", {}).get("extraEnv")
        if isinstance(env, dict) and all(isinstance(v, str) for v in env.values()):
            self.put(
                "singleuser.extraEnv", self.take("singleuser", "extraEnv"), "singleuser.extraEnv"
            )
        pull_secret = self.take("singleuser", "imagePullSecret")
        if pull_secret:
            self.note(
                "singleuser.imagePullSecret",
                "dropped",
                "holds registry credentials, which are not copied; create a docker-registry "
                "Secret and list it in helmValues.imagePullSecrets",
            )

    def toggles(self) -> None:
        for key in ("enabled", "timeout", "every", "maxAge", "users"):
            value = self.take("cull", key)
            if value is not None:
                self.put(f"cull.{key}", value, ("cull", key))
        for key in ("hook", "continuous"):
            value = self.take("prePuller", key, "enabled")
            if value is not None:
                self.put(f"prePuller.{key}", value, ("prePuller", key, "enabled"))
        value = self.take("scheduling", "userScheduler", "enabled")
        if value is not None:
            self.put("scheduling.userScheduler", value, "scheduling.userScheduler.enabled")

    def leftovers(self) -> None:
        for path, value in list(_leaves(self.source)):
            removed, renamed = _under(_REMOVED_KEYS, path), _under(_RENAMED_KEYS, path)
            if removed is not None:
                self.note(path, "dropped", _REMOVED_KEYS[removed])
            elif renamed is not None:
                new, why = _RENAMED_KEYS[renamed]
                self.helm((*new, *path[len(renamed) :]), value, path, why)
            elif path[0] in CHART_TOP_LEVEL:
                self.helm(path, value, path, "not modelled by the stack config; passed through")
            else:
                self.note(path, "dropped", "not a key of chart 4.4.0 values")


def _under(table: Mapping[KeyPath, Any], path: KeyPath) -> KeyPath | None:
    """The entry of ``table`` that ``path`` is, or lies under (the longest one)."""
    for length in range(len(path), 0, -1):
        if path[:length] in table:
            return path[:length]
    return None


def _image(image: Mapping[str, Any]) -> dict[str, Any]:
    result = {"name": str(image["name"])}
    if image.get("tag") is not None:
        result["tag"] = str(image["tag"])
    return result


def _leaves(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Each remaining value with its path; maps are walked, everything else is a leaf."""
    if isinstance(node, dict) and node and path[-1:] not in (("extraEnv",), ("annotations",)):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    elif path:
        yield path, node
