"""``hub.extraConfig`` code: find the authenticator it configures and the secrets it holds.

Real deployments choose and configure their authenticator in extraConfig Python
(``c.JupyterHub.authenticator_class = GitHubOAuthenticator``, ``c.GitHubOAuthenticator.client_id
= "..."``), secrets included. Assignments to an authenticator's traits whose value the code
itself says (literals in any shape: ``set([...])``, ``{...}``, tuples, a variable bound to one,
``get_config("custom.users")`` read from the same values file; and ``.add``/``.update``/``|=``
of such values) are lifted out of the code into the stack's ``auth`` keys, so the stack knows
who may sign in. A rule the code computes (a loop, a file, the environment) is never guessed:
it is listed in ``Snippet.unreadable`` and the import asks. Secret literals that stay in code
are replaced by ``os.environ[...]`` reads of secretEnv entries. Code that is not valid Python (a
template, say) is kept as written.
"""

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..deployment.snippets import config_attribute, config_target
from ..dotted import MISSING
from ..secretrule import is_secret_name
from .history import ALLOW_RULE_TRAITS, RENAMED_TRAITS

# c.Spawner.cmd or c.KubeSpawner.cmd: the 0.7-0.9 docs and runbooks (GitLab's) wrote both
_LAB_CMD = re.compile(
    r"""^\s*c\.(Kube)?Spawner\.cmd\s*=\s*\[?\s*['"]jupyter-labhub['"]\s*\]?\s*(#.*)?$"""
)
_SECRET_LITERAL = re.compile(
    r"""^(?P<head>\s*c\.(?P<cls>\w+)\.(?P<trait>\w+)\s*=\s*)[rbuRBU]?(?P<q>['"]).*?(?P=q)\s*(?P<tail>#.*)?$"""
)
_ENV_LITERAL = re.compile(
    r"""^\s*os\.environ\[\s*['"](?P<name>\w+)['"]\s*\]\s*=\s*[rbuRBU]?(?P<q>['"]).*?(?P=q)\s*(#.*)?$"""
)


RULE_TRAITS = ALLOW_RULE_TRAITS | {
    "allow_all",
    "allow_existing_users",
    "admin_users",
    "blocked_users",
    *(old for old, (new, _) in RENAMED_TRAITS.items() if new in ALLOW_RULE_TRAITS),
}
"""Traits that decide who may sign in or who is an admin (in every spelling of every era)."""

Lookup = Callable[[str], Any]
"""``get_config("a.b")`` of the old values file: the value, or ``MISSING``."""


@dataclass(frozen=True)
class Assignment:
    """``c.<section>.<trait> = <value the code says>`` found in a snippet."""

    section: str
    trait: str
    value: Any
    snippet: str
    adds: bool = False
    """``.add``/``.update``/``|=``/``+=``: the value joins what the trait already held."""


@dataclass(frozen=True)
class Unreadable:
    """A rule of who may sign in that the code computes: the import asks instead of guessing."""

    section: str
    trait: str
    line: int
    why: str


@dataclass
class Snippet:
    """One extraConfig entry after analysis."""

    name: str
    code: str
    lab_cmd: bool = False
    """It set ``c.Spawner.cmd = ['jupyter-labhub']`` (removed: superseded)."""
    parsed: bool = True
    authenticator: tuple[str, Any] | None = None
    """(how it was written, resolved name or class text) of ``c.JupyterHub.authenticator_class``."""
    assignments: list[Assignment] = field(default_factory=list)
    env_secrets: list[str] = field(default_factory=list)
    """Environment variables the snippet set to literals (``os.environ['X'] = '...'``)."""
    unreadable: list[Unreadable] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    """Settings of a replaced authenticator class the snippet held (dropped)."""
    classes: dict[str, list[str]] = field(default_factory=dict)
    """Classes the snippet defines -> the names of their bases (a subclass of a shipped
    authenticator: its config section is carried to the shipped class)."""


def is_authenticator_section(section: str) -> bool:
    """Whether a config section belongs to an authenticator (its class or a base of it)."""
    return section.endswith("Authenticator") or section in ("CryptKeeper",)


def analyse(
    name: str,
    code: str,
    lookup: Lookup | None = None,
    replaced: frozenset[str] = frozenset(),
) -> Snippet:
    """Lift the authenticator out of one snippet (see the module docstring).

    ``replaced`` names authenticator classes the operator replaced (``--set auth.type``): the
    statements that configure them are dropped, as they would configure a class that no
    longer runs (and import a package the hub image may not have).
    """
    lines = code.splitlines()
    snippet = Snippet(name, code)
    keep = [not _LAB_CMD.match(line) for line in lines]
    snippet.lab_cmd = not all(keep)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # nested past the parser
        snippet.parsed = False
        tree = None
    reader = _Reader(lookup or (lambda _key: MISSING))
    lifted_names: set[str] = set()
    for node in tree.body if tree is not None else []:
        reader.bind(node)
        if isinstance(node, ast.ClassDef):
            snippet.classes[node.name] = [_base_name(base) for base in node.bases]
        target = config_target(node)
        mutation = _mutation(node)
        if target is None and mutation is None:
            snippet.unreadable += _rules_inside(node)
            continue
        if mutation is not None:
            section, trait, value_node = mutation
            adds = True
        else:
            section, trait = target  # type: ignore[misc]
            value_node = node.value  # type: ignore[attr-defined]
            adds = False
        if section in replaced:
            snippet.replaced.append(f"c.{section}.{trait}")
            lifted_names.add(section)
            _drop(keep, node)
            continue
        if (section, trait) == ("JupyterHub", "authenticator_class") and not adds:
            if isinstance(value_node, ast.Name):
                snippet.authenticator = ("name", value_node.id)
                lifted_names.add(value_node.id)
            elif isinstance(value_node, ast.Constant) and isinstance(value_node.value, str):
                snippet.authenticator = ("string", value_node.value)
            else:
                continue
            _drop(keep, node)
            continue
        if not is_authenticator_section(section):
            continue
        value = reader.read(value_node)
        if value is _UNREADABLE:
            if trait in RULE_TRAITS:
                snippet.unreadable.append(
                    Unreadable(section, trait, node.lineno, _why_unreadable(value_node))
                )
            continue
        if isinstance(value, set | frozenset | tuple):
            value = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        snippet.assignments.append(Assignment(section, trait, value, name, adds))
        _drop(keep, node)
    if tree is not None:
        _drop_unused_imports(tree, keep, lifted_names, lines)
    rewritten = []
    for line, kept in zip(lines, keep, strict=True):
        if not kept:
            continue
        match = _ENV_LITERAL.match(line)
        if match and is_secret_name(match["name"]):
            snippet.env_secrets.append(match["name"])
            continue
        rewritten.append(line)
    snippet.code = "\n".join(rewritten).strip()
    if not _meaningful(snippet.code):
        snippet.code = ""
    return snippet


_UNREADABLE: Any = object()
_WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "set": set,
    "frozenset": frozenset,
    "list": list,
    "tuple": tuple,
    "sorted": lambda items: sorted(items, key=str),
}
_STR_METHODS = {"split", "strip", "lower", "splitlines"}


class _Reader:
    """The value an expression has when the code says it: literals, their containers,
    ``set()``/``list()``/``sorted()`` of them, names bound to them before, ``get_config`` of
    the old values file, ``|``/``+``/``-`` of sets and lists, ``'a,b'.split(',')``."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.names: dict[str, Any] = {}

    def bind(self, node: ast.stmt) -> None:
        """Module-level ``name = value``: later statements may read ``name``."""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.names[target.id] = self.read(node.value)
        elif isinstance(node, ast.AugAssign | ast.For | ast.While | ast.With | ast.If):
            for inner in ast.walk(node):  # changed out of sight: no longer known
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    self.names.pop(inner.id, None)

    def read(self, node: ast.AST) -> Any:
        try:
            return self._read(node)
        except (TypeError, ValueError, RecursionError, MemoryError):
            return _UNREADABLE

    def _read(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self._read(item) for item in node.elts]
            if _UNREADABLE in items:
                return _UNREADABLE
            return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
        if isinstance(node, ast.Dict):
            keys = [self._read(k) if k is not None else _UNREADABLE for k in node.keys]
            values = [self._read(v) for v in node.values]
            if _UNREADABLE in keys or _UNREADABLE in values:
                return _UNREADABLE
            return dict(zip(keys, values, strict=True))
        if isinstance(node, ast.Name):
            return self.names.get(node.id, _UNREADABLE)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.Add | ast.Sub):
            left, right = self._read(node.left), self._read(node.right)
            if _UNREADABLE in (left, right):
                return _UNREADABLE
            if isinstance(node.op, ast.BitOr):
                return set(left) | set(right)
            return left + right if isinstance(node.op, ast.Add) else set(left) - set(right)
        if isinstance(node, ast.Call) and not node.keywords:
            return self._call(node)
        return _UNREADABLE

    def _call(self, node: ast.Call) -> Any:
        func, args = node.func, [self._read(arg) for arg in node.args]
        if _UNREADABLE in args:
            return _UNREADABLE
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if isinstance(func, ast.Name) and called in _WRAPPERS and len(args) <= 1:
            return _WRAPPERS[called](*args)
        if called == "get_config" and args and isinstance(args[0], str) and len(args) <= 2:
            # z2jh.get_config reads the chart's values: the same file the import reads
            found = self.lookup(args[0])
            if found is MISSING:
                return args[1] if len(args) == 2 else _UNREADABLE
            return found
        if isinstance(func, ast.Attribute) and called in _STR_METHODS:
            owner = self._read(func.value)
            if isinstance(owner, str):
                return getattr(owner, called)(*args)
        return _UNREADABLE


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _mutation(node: ast.stmt) -> tuple[str, str, ast.expr] | None:
    """``c.S.t.add(x)``/``.update(x)``/``.append``/``.extend`` or ``c.S.t |= x`` -> (S, t, x)."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitOr | ast.Add):
        target = config_attribute(node.target)
        return (*target, node.value) if target else None
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    if not isinstance(call.func, ast.Attribute) or len(call.args) != 1 or call.keywords:
        return None
    target = config_attribute(call.func.value)
    if target is None or call.func.attr not in ("add", "update", "append", "extend"):
        return None
    arg = call.args[0]
    if call.func.attr in ("add", "append"):  # one item
        arg = ast.copy_location(ast.List(elts=[arg], ctx=ast.Load()), arg)
    return (*target, arg)


def _rules_inside(node: ast.stmt) -> list[Unreadable]:
    """Rules of who may sign in set inside a block (a loop, a function, an if): computed."""
    found = []
    block = _BLOCKS.get(type(node), "inside a statement the importer does not run")
    for inner in ast.walk(node):
        target = config_attribute(inner)
        if target and is_authenticator_section(target[0]) and target[1] in RULE_TRAITS:
            found.append(Unreadable(*target, getattr(inner, "lineno", node.lineno), block))
    return found


_BLOCKS: dict[type, str] = {
    ast.For: "in a loop",
    ast.While: "in a loop",
    ast.If: "under a condition",
    ast.FunctionDef: "in a function",
    ast.AsyncFunctionDef: "in a function",
    ast.ClassDef: "in a class",
    ast.With: "in a with block",
    ast.Try: "in a try block",
}


def _why_unreadable(node: ast.AST) -> str:
    """How a value the importer cannot read is computed, in a few words."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _WRAPPERS:
                continue  # set(...) of something: what is inside decides
            if called == "get_config":
                return "from a get_config key the old file does not hold"
            return f"by calling {called}()" if called else "by a call"
    if isinstance(node, ast.Name):
        return f"from {node.id}, which the code computes"
    return "by an expression"


def secret_assignments(code: str) -> list[tuple[int, str, str]]:
    """(line index, section, trait) of ``c.X.y = '...'`` lines whose trait names a secret."""
    found = []
    for index, line in enumerate(code.splitlines()):
        match = _SECRET_LITERAL.match(line)
        if match and is_secret_name(match["trait"]):
            found.append((index, match["cls"], match["trait"]))
    return found


def read_from_environment(code: str, replacements: dict[int, str]) -> str:
    """The code with each secret literal line (by index) reading os.environ[NAME] instead."""
    lines = code.splitlines()
    for index, env in replacements.items():
        match = _SECRET_LITERAL.match(lines[index])
        if match:
            lines[index] = f"{match['head']}os.environ[{env!r}]"
    text = "\n".join(lines)
    if replacements and not re.search(r"^\s*import os\b", text, re.MULTILINE):
        text = "import os\n" + text
    return text


def _drop(keep: list[bool], node: ast.stmt) -> None:
    end = node.end_lineno or node.lineno
    for index in range(node.lineno - 1, end):
        keep[index] = False


def _drop_unused_imports(
    tree: ast.Module, keep: list[bool], names: set[str], lines: list[str]
) -> None:
    """Drop ``from x import Name`` when no kept line uses its names any more and a dropped
    statement did (the lifted authenticator class, what only a replaced class's settings
    used): an import the author left unused on purpose stays."""
    dropped_text = "\n".join(line for index, line in enumerate(lines) if not keep[index])
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not node.names:
            continue
        imported = {alias.asname or alias.name for alias in node.names}
        rest = "\n".join(
            line for index, line in enumerate(lines) if keep[index] and index != node.lineno - 1
        )

        def used(text: str, name: str) -> bool:
            return bool(re.search(rf"(?<![.\w]){re.escape(name)}\b", text))

        if any(used(rest, name) for name in imported):
            continue
        if imported <= names or any(used(dropped_text, name) for name in imported):
            _drop(keep, node)


def _meaningful(code: str) -> bool:
    """Whether code does anything (more than comments, blank lines and imports)."""
    for line in code.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not re.match(r"(import|from)\s", stripped):
            return True
    return False
