"""The one rule for what is secret, used by the importer, ``check``/``values``, errors and diff.

A value is treated as secret when the last part of its name says so (``client_secret``,
``apiToken``, ``password``, ``cryptKey``, ``OAUTH_CLIENT_SECRET``), when it is the password or a
password-like query parameter of a URL, or when extraConfig code assigns a literal to a trait
with such a name. The rule reads names, never values, so it cannot be fooled into printing one.
It is a leaf module: it imports nothing of the project.
"""

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

HIDDEN = "<secret: hidden>"
"""What every output shows in place of a value the rule finds (values, diff, errors)."""

_SECRET_WORDS = {"secret", "token", "password", "passwd", "pwd", "passphrase", "credentials"}
_KEY_QUALIFIERS = {
    "api", "crypt", "private", "secret", "access", "signing", "encryption", "ssh", "client",
    "license", "master", "shared", "auth", "session", "hmac", "jwt", "sas", "account", "tls",
}  # fmt: skip
# Keys whose name alone is not enough: (parent key, key) pairs that hold secret material.
_SECRET_CHILDREN = {("CryptKeeper", "keys"), ("manual", "key"), ("letsencrypt", "key")}
# Names ending in a secret word that hold a *reference* to a secret, not the secret itself.
_REFERENCE_PREFIXES = ("existing", "secretkeyref", "imagepull")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_QUERY_SECRETS = {"password", "sslpassword", "pass", "pwd", "passwd", "secret", "token",
                  "apikey", "api_key", "access_token", "sslkey"}  # fmt: skip
_ASSIGNMENT = re.compile(
    r"""^\s*c\.(?P<cls>\w+)\.(?P<trait>\w+)\s*=\s*[rbuRBU]?(?P<q>['"]).+?(?P=q)""", re.MULTILINE
)
_ENV_ASSIGNMENT = re.compile(
    r"""os\.environ\[\s*['"](?P<name>\w+)['"]\s*\]\s*=\s*[rbuRBU]?(?P<q>['"]).+?(?P=q)"""
)
REDACTED = "***"


def words(name: str) -> list[str]:
    """A key or variable name split into lowercase words (camelCase, snake_case, SHOUTING)."""
    return [w.lower() for w in _WORD.findall(str(name))]


def is_secret_name(name: Any) -> bool:
    """Whether a config key, trait or environment variable name names a secret."""
    parts = words(str(name))
    if not parts:
        return False
    flat = "".join(parts)
    if flat.startswith(_REFERENCE_PREFIXES) or parts[-1] in ("name", "ref", "url", "file", "path"):
        return False
    last = parts[-1]
    if last in _SECRET_WORDS or last.rstrip("s").endswith(("secret", "token", "password")):
        # plural "secrets" is usually a list of Secret names (imagePullSecrets): a reference
        return not (last == "secrets" and len(parts) > 1 and parts[-2] in ("pull", "image"))
    if last in ("key", "keys") and len(parts) > 1 and parts[-2] in _KEY_QUALIFIERS:
        return True
    return flat in ("cookiesecret", "authtoken", "apikey", "cryptokey")


def url_has_secret(url: str) -> bool:
    """Whether a URL carries a password in its user info or a password-like query parameter."""
    try:
        parts = urlsplit(url)
        if parts.password:
            return True
        return any(_is_query_secret(k) for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    except ValueError:  # an invalid URL (bad port, bad IPv6): judged by its text alone
        return "@" in url.partition("://")[2].partition("/")[0] or "password" in url.lower()


def redact_url(url: str) -> str:
    """The URL with its password and password-like query values replaced by ``***``."""
    try:
        return _rewrite(url, REDACTED)
    except ValueError:
        scheme, sep, rest = url.partition("://")
        host = rest.partition("/")[0].rpartition("@")[2]
        return f"{scheme}{sep}{REDACTED}@{host}/..." if "@" in rest else f"{scheme}{sep}..."


def strip_url_secrets(url: str) -> str | None:
    """The URL without its password (the user is kept) and password-like query parameters;
    None when it is not a URL that can be taken apart."""
    try:
        return _rewrite(url, None)
    except ValueError:
        return None


def _rewrite(url: str, mask: str | None) -> str:
    """Mask (or, with ``mask=None``, remove) a URL's password and secret query parameters."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}{'' if mask is None else ':' + mask}@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if mask is None:
        query = urlencode([(k, v) for k, v in pairs if not _is_query_secret(k)])
    else:
        query = "&".join(f"{k}={mask if _is_query_secret(k) else v}" for k, v in pairs)
    return parts._replace(netloc=netloc, query=query if parts.query else "").geturl()


def _is_query_secret(name: str) -> bool:
    return name.lower() in _QUERY_SECRETS or is_secret_name(name)


def extraconfig_secrets(code: str) -> list[str]:
    """``c.Class.trait = '...'`` (and ``os.environ['X'] = '...'``) assignments of secrets."""
    found = [
        f"c.{m['cls']}.{m['trait']}"
        for m in _ASSIGNMENT.finditer(code)
        if is_secret_name(m["trait"])
    ]
    found += [
        f"os.environ[{m['name']!r}]"
        for m in _ENV_ASSIGNMENT.finditer(code)
        if is_secret_name(m["name"])
    ]
    return found


_VOLUME_SOURCE_KEYS = {"secretName", "name", "key", "items", "defaultMode", "optional"}


def is_reference(value: Any) -> bool:
    """A value that points at a Secret instead of holding it: ``valueFrom: secretKeyRef``, or
    a volume's ``secret: {secretName: ...}`` source."""
    if not isinstance(value, Mapping):
        return False
    if "valueFrom" in value or "secretKeyRef" in value:
        return True
    return (
        bool(value)
        and set(value) <= _VOLUME_SOURCE_KEYS
        and ("secretName" in value or "name" in value)
    )


def secret_leaves(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of values in a values tree that hold, or look like they hold, a secret.

    Walked: maps by key name, lists (``extraEnv`` as a list of ``{name, value}``), URLs with a
    password, and extraConfig code with secret assignments. Empty values and references to
    Kubernetes Secrets are not secrets.
    """
    if isinstance(tree, Mapping):
        if "name" in tree and "value" in tree and isinstance(tree.get("name"), str):
            # an environment entry {name: X, value: ...}: judged as a map entry would be
            if is_secret_env(tree["name"], tree["value"]):
                yield (*path, str(tree["name"]))
            return
        for key, value in tree.items():
            here = (*path, str(key))
            if _holds_secret(path, str(key), value):
                yield here
            else:
                yield from secret_leaves(value, here)
    elif isinstance(tree, list):
        for index, item in enumerate(tree):
            yield from secret_leaves(item, (*path, str(index)))


def is_secret_env(name: Any, value: Any) -> bool:
    """Whether an environment variable (or any map entry) holds a secret: by its name, or as
    a URL with a password or code assigning one; references and empty values never do."""
    return isinstance(name, str) and _holds_secret((), name, value)


def _holds_secret(parent: tuple[str, ...], key: str, value: Any) -> bool:
    """Whether one entry of a map holds a secret: by its name, or as a URL or code."""
    if parent[-1:] == ("extraConfig",) and isinstance(value, str):
        # a snippet's name (`pass-tokens`) names code, not a secret: code is judged by what
        # it assigns; a value that is no hub code (`TOKEN=ghp_...`) is judged by the name
        if is_secret_name(key) and not _is_hub_code(value):
            return _literal(value)
        return bool(extraconfig_secrets(value))
    if is_secret_name(key) or (*parent[-1:], key) in _SECRET_CHILDREN:
        return _literal(value)
    if isinstance(value, str) and "://" in value:
        return url_has_secret(value)
    return isinstance(value, str) and "=" in value and bool(extraconfig_secrets(value))


def _is_hub_code(text: str) -> bool:
    """Python that configures or extends the hub: it imports, defines, calls, branches or
    assigns to something's attribute or item. A lone ``NAME=value`` or ``user:password`` parses
    as Python too, but is a pasted value, not hub code."""
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(_acts(statement) for statement in body)


def _acts(statement: Any) -> bool:
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, (ast.Call, ast.Await))
    if isinstance(statement, ast.Assign):
        return any(not isinstance(target, ast.Name) for target in statement.targets)
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        return not isinstance(statement.target, ast.Name)
    return not isinstance(statement, (ast.Pass, ast.Expr))


def _literal(value: Any) -> bool:
    """A value that could be a secret: a non-empty scalar, or a list/map of them."""
    if value is None or value == "" or is_reference(value) or isinstance(value, bool):
        return False
    if isinstance(value, Mapping):
        return any(_literal(v) for v in value.values())
    if isinstance(value, list):
        return any(_literal(v) for v in value)
    return True


REMOVE: Any = object()
"""Passed to ``replace_leaf``: remove the value (a list's env entry as a whole) instead."""


def _locate(tree: Any, path: tuple[str, ...]) -> tuple[Any, Any] | None:
    """The container and key (or index) holding the value at a ``secret_leaves`` path.

    Keys are matched by their text (old files have numbers as keys); a last part that is the
    name of a ``{name, value}`` environment entry locates that entry's value.
    """
    node = tree
    for part in path[:-1]:
        if isinstance(node, Mapping):
            node = next((v for k, v in node.items() if str(k) == part), None)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    last = path[-1]
    if isinstance(node, dict):
        key = next((k for k in node if str(k) == last), None)
        if key is not None:
            return node, key
        if node.get("name") == last and "value" in node:
            return node, "value"
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    return None


def leaf(tree: Any, path: tuple[str, ...]) -> Any:
    """The value at a ``secret_leaves`` path (None when it is not there)."""
    found = _locate(tree, path)
    return None if found is None else found[0][found[1]]


def replace_leaf(tree: Any, path: tuple[str, ...], value: Any = REMOVE) -> Any:
    """Replace (or with ``REMOVE``, remove) the value at a ``secret_leaves`` path; return the
    old value, or None when it is not there. The one place that edits what the rule found."""
    found = _locate(tree, path)
    if found is None:
        return None
    container, key = found
    old = container[key]
    if value is not REMOVE:
        container[key] = value
    elif key == "value" and container.get("name") == path[-1]:
        # an env entry {name, value}: remove the whole entry from its list
        entries = _locate(tree, path[:-1])
        if entries is not None and isinstance(entries[0], list):
            entries[0].pop(entries[1])
        else:
            del container[key]
    else:
        del container[key]
    return old
