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
from dataclasses import dataclass
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


_MODIFIERS = {"signed", "value", "b64", "base64", "encoded", "raw", "hex", "str", "string"}
"""Words that describe how a secret is written (``LICENSE_KEY_SIGNED``, ``SECRET_B64``): the
name is judged by the words before them."""


def is_secret_name(name: Any) -> bool:
    """Whether a config key, trait or environment variable name names a secret."""
    parts = words(str(name))
    while len(parts) > 1 and parts[-1] in _MODIFIERS:
        parts = parts[:-1]
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


_PLACEHOLDER = re.compile(
    r"\{[^{}]*\}|%[sd]|%\([a-z_]+\)s|\$\{[^{}]*\}|\$\([^()]*\)|\$[A-Za-z_]\w*"
)
"""A template field standing in for a password (``{password}``, ``%s``, ``${DB_PASSWORD}``,
``$(DB_PASSWORD)``): a URL template, not a secret."""


def url_has_secret(url: str) -> bool:
    """Whether a URL carries a password in its user info or a password-like query parameter
    (a template field in their place is not one)."""
    try:
        parts = urlsplit(url)
        if parts.password and not _PLACEHOLDER.fullmatch(parts.password):
            return True
        return any(
            _is_query_secret(k) and not _PLACEHOLDER.fullmatch(v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
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
    """Where Python code holds a secret literal, as the report names it (``c.X.client_secret``,
    ``os.environ['API_TOKEN']``, ``line 7: compared with password``); see ``code_secrets``.

    Code that does not parse (a template) is judged line by line: ``c.X.secret = '...'`` and
    ``os.environ['X_TOKEN'] = '...'``.
    """
    found = code_secrets(code)
    if found is not None:
        return list(dict.fromkeys(secret.where for secret in found))
    listed = [
        f"c.{m['cls']}.{m['trait']}"
        for m in _ASSIGNMENT.finditer(code)
        if is_secret_name(m["trait"])
    ]
    listed += [
        f"os.environ[{m['name']!r}]"
        for m in _ENV_ASSIGNMENT.finditer(code)
        if is_secret_name(m["name"])
    ]
    return listed


# --- secrets in Python code ---------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSecret:
    """A literal in Python code that is (or is part of) a secret: where it is, never what."""

    name: str
    """The name it is known by (trait, variable, key, compared name): its secretEnv entry's."""
    where: str
    """How the report names the place (``c.GitHubOAuthenticator.client_secret``)."""
    line: int
    col: int
    end_line: int
    end_col: int
    """The literal's span (lines from 1, columns in characters of the line, as ``ast``)."""
    encoded: bool = False
    """A bytes literal: the code needs ``os.environ[...].encode()`` in its place."""


_CONSTRUCTORS = {
    "bytes", "bytearray", "str", "set", "frozenset", "list", "tuple", "sorted", "fromhex",
    "a2b_hex", "unhexlify", "b64decode", "urlsafe_b64decode", "b32decode", "b16decode",
    "encode", "decode", "strip", "SecretStr",
}  # fmt: skip
"""Calls that only re-encode or re-wrap their argument (``bytes.fromhex('...')``,
``set([...])``): a secret passed through them is still the literal."""
_READERS = {"get", "getenv", "setdefault", "get_config", "get_secret_value", "pop"}
"""Calls whose first argument names what they read (``os.environ.get('X_TOKEN', '...')``)."""


def code_secrets(code: str) -> list[CodeSecret] | None:
    """Every literal in ``code`` that holds a secret; None when the code is not Python.

    A literal is secret when it is assigned to, passed as, stored under or compared with
    something whose name says secret (``c.X.client_secret = ...``, ``password='...'``,
    ``{'api_token': ...}``, ``env['GITHUB_TOKEN'] = ...``, ``if password == '...'``), in any
    shape: plain, f-string, bytes (``b'...'``, ``bytes.fromhex('...')``, ``'...'.encode()``),
    inside lists, tuples, sets and dicts, as the fallback of a read (``os.environ.get('X_SECRET')
    or '...'``), or bound to a variable used there; and a URL literal with a password in it.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    finder = _CodeSecrets(tree)
    try:
        finder.visit(tree)
    except RecursionError:  # nested past the interpreter: judged as one secret, never printed
        return [CodeSecret("CODE", "code too deeply nested to read", 1, 0, 1, 0)]
    unique: dict[tuple[int, int, int, int], CodeSecret] = {}
    for secret in finder.found:  # the first finding names it (the assignment before the URL)
        unique.setdefault((secret.line, secret.col, secret.end_line, secret.end_col), secret)
    return sorted(unique.values(), key=lambda s: (s.line, s.col))


def _node_name(node: ast.AST) -> str | None:
    """The name an assignment target or operand goes by (``c.X.trait`` -> ``trait``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    if isinstance(node, ast.Call):
        return _read_name(node)
    return None


def _names_secret(node: ast.AST, name: str) -> bool:
    """Whether a target or operand named ``name`` holds a secret (``c.CryptKeeper.keys`` too)."""
    if is_secret_name(name):
        return True
    parent = node.value if isinstance(node, ast.Attribute) else None
    return isinstance(parent, ast.Attribute) and (parent.attr, name) in _SECRET_CHILDREN


def _read_name(call: ast.Call) -> str | None:
    """``os.environ.get('X')``, ``getenv('X')``, ``get_config('custom.x')`` -> what is read."""
    func = call.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called in _READERS and call.args:
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.rpartition(".")[2]
    return None


def _shown(node: ast.AST) -> str:
    """A target as the report names it: ``c.X.trait``, ``env['NAME']``, ``password``."""
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of parsed code
        text = "?"
    return text if len(text) <= 80 else text[:77] + "..."


class _CodeSecrets(ast.NodeVisitor):
    def __init__(self, tree: ast.Module):
        self.found: list[CodeSecret] = []
        self.bindings: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.bindings.setdefault(target.id, []).append(node.value)

    # each literal of a value in a secret position
    def secret(
        self, value: ast.AST | None, name: str, where: str, seen: frozenset[str] = frozenset()
    ) -> None:
        if value is None:
            return
        if isinstance(value, ast.Constant) and isinstance(value.value, str | bytes):
            if value.value:
                self.add(value, name, where, isinstance(value.value, bytes))
        elif isinstance(value, ast.JoinedStr):
            if any(isinstance(part, ast.Constant) and part.value for part in value.values):
                self.add(value, name, where)
        elif isinstance(value, ast.List | ast.Tuple | ast.Set):
            for item in value.elts:
                self.secret(item, name, where, seen)
        elif isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                self.secret(key, name, where, seen)
                self.secret(item, name, where, seen)
        elif isinstance(value, ast.BoolOp):
            for item in value.values:
                self.secret(item, name, where, seen)
        elif isinstance(value, ast.IfExp):
            self.secret(value.body, name, where, seen)
            self.secret(value.orelse, name, where, seen)
        elif isinstance(value, ast.BinOp):
            self.secret(value.left, name, where, seen)
            self.secret(value.right, name, where, seen)
        elif isinstance(value, ast.Call):
            func = value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in _CONSTRUCTORS:
                for arg in value.args[:1]:
                    self.secret(arg, name, where, seen)
                if isinstance(func, ast.Attribute) and called in ("encode", "decode", "strip"):
                    self.secret(func.value, name, where, seen)
            elif called in _READERS and len(value.args) > 1:
                self.secret(value.args[1], name, where, seen)  # the fallback of a read
        elif isinstance(value, ast.Name) and value.id not in seen:
            for bound in self.bindings.get(value.id, []):
                self.secret(bound, name, where, seen | {value.id})

    def add(self, node: ast.AST, name: str, where: str, encoded: bool = False) -> None:
        self.found.append(
            CodeSecret(
                name,
                where,
                node.lineno,  # type: ignore[attr-defined]
                node.col_offset,  # type: ignore[attr-defined]
                node.end_lineno or node.lineno,  # type: ignore[attr-defined]
                node.end_col_offset or 0,  # type: ignore[attr-defined]
                encoded,
            )
        )

    def reads_secret(self, node: ast.AST) -> str | None:
        """The secret name an expression reads or is (``password``, ``os.environ['X_KEY']``)."""
        name = _node_name(node)
        if name is not None and _names_secret(node, name):
            return name
        if isinstance(node, ast.BoolOp):
            return next((n for n in map(self.reads_secret, node.values) if n), None)
        if isinstance(node, ast.Compare):  # `x == password or '...'`: the literal is beside it
            operands = [node.left, *node.comparators]
            return next((n for n in map(self.reads_secret, operands) if n), None)
        if isinstance(node, ast.IfExp):
            parts = (node.test, node.body, node.orelse)
            return next((n for n in map(self.reads_secret, parts) if n), None)
        return None

    # --- positions -----------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.target(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.target(node.target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.target(node.target, node.value)
        self.generic_visit(node)

    def target(self, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List):
            for one, other in zip(target.elts, value.elts, strict=False):
                self.target(one, other)
            return
        name = _node_name(target)
        if name is not None and _names_secret(target, name):
            self.secret(value, name, _shown(target))
        elif (
            name is not None
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and "://" in value.value
            and url_has_secret(value.value)
        ):
            self.add(value, name, f"{_shown(target)} (a URL with a password)")

    def visit_Call(self, node: ast.Call) -> None:
        for keyword in node.keywords:
            if keyword.arg is not None and is_secret_name(keyword.arg):
                self.secret(keyword.value, keyword.arg, f"{_shown(node.func)}({keyword.arg}=...)")
        read = _read_name(node)
        if read is not None and is_secret_name(read) and len(node.args) > 1:
            self.secret(node.args[1], read, f"the fallback of {_shown(node.func)}({read!r})")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            named = isinstance(key, ast.Constant) and isinstance(key.value, str)
            if named and is_secret_name(key.value):  # type: ignore[union-attr]
                self.secret(value, key.value, f"the dict key {key.value!r}")  # type: ignore[union-attr]
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        names = [self.reads_secret(operand) for operand in operands]
        name = next((n for n in names if n), None)
        if name is not None:
            for operand, named in zip(operands, names, strict=True):
                if not named:
                    self.secret(operand, name, f"line {node.lineno}: compared with {name}")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        name = self.reads_secret(node)
        if name is not None:
            for value in node.values:
                if not self.reads_secret(value):
                    self.secret(value, name, f"line {node.lineno}: the fallback of {name}")
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        name = self.reads_secret(node)
        if name is not None:
            for branch in (node.body, node.orelse):
                if not self.reads_secret(branch):
                    self.secret(branch, name, f"line {node.lineno}: a choice beside {name}")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "://" in node.value and url_has_secret(node.value):
            self.add(node, "URL", f"line {node.lineno}: a URL with a password")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        # the literal parts, with each interpolation as a template field: a URL whose password
        # is literal text is a secret; one whose password is interpolated is a template
        text = "".join(
            str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
        if "://" in text and url_has_secret(text):
            self.add(node, "URL", f"line {node.lineno}: a URL with a password")


def rewrite_code_secrets(code: str, names: dict[CodeSecret, str]) -> str:
    """``code`` with each given secret literal read from ``os.environ[NAME]`` instead."""
    lines = code.splitlines(keepends=True)
    for secret in sorted(names, key=lambda s: (s.line, s.col), reverse=True):
        read = f"os.environ[{names[secret]!r}]" + (".encode()" if secret.encoded else "")
        first, last = lines[secret.line - 1], lines[secret.end_line - 1]
        head = first.encode("utf-8")[: secret.col].decode("utf-8", errors="replace")
        tail = last.encode("utf-8")[secret.end_col :].decode("utf-8", errors="replace")
        lines[secret.line - 1 : secret.end_line] = [head + read + tail]
    text = "".join(lines)
    if names and not re.search(r"^\s*import os\b", text, re.MULTILINE):
        text = "import os\n" + text
    return text


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
            if isinstance(item, str) and is_secret_text(item):
                yield (*path, str(index))  # an argument: a URL or --password=... with a secret
            else:
                yield from secret_leaves(item, (*path, str(index)))


_FLAG = re.compile(r"--?(?P<name>[A-Za-z][\w-]*)=(?P<value>.+)", re.DOTALL)


def is_secret_text(text: str) -> bool:
    """Whether a bare piece of text (a list item, such as a container argument) holds a
    secret: a URL with a password, or ``--password=...`` / ``--api-token=...`` (a file path
    such as ``-credentials=/secrets/db.json`` or a ``$(VAR)`` reference is not one)."""
    if "://" in text and url_has_secret(text):
        return True
    flag = _FLAG.fullmatch(text.strip())
    return bool(
        flag
        and is_secret_name(flag["name"].replace("-", "_"))
        and not _PLACEHOLDER.fullmatch(flag["value"])
        and not flag["value"].startswith(("/", "./", "~/"))
    )


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
