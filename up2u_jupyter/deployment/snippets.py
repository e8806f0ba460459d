"""``hub.extraConfig`` read, never run: the writes each snippet makes to the hub's config.

``check``, ``values``, the program and the policy pack must not execute a stack's Python. They
read each snippet with ``ast`` instead and find every write to ``c`` (the hub's traitlets
config): ``c.S.t = ...``, ``c.S.t[k] = ...``, ``c.S.t.update(...)``/``setdefault``/``append``/
``extend``, ``c.S.t += ...``, ``setattr(c.S, "t", ...)``, ``c.S.update({...})``, the same
through a local name (``env = c.KubeSpawner.environment``) or ``c["S"]["t"]``. A write whose
value is a literal is applied to the derived config and judged like any value; any other write
is recorded as opaque, and an invariant that guards that trait refuses it (naming the typed key
to use). Writes to the whole config (``c.update``, ``c.merge``, ``load_subconfig``) are opaque
writes to every trait.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

OPAQUE: Any = type("Opaque", (), {"__repr__": lambda self: "<not a literal>"})()
"""The value of a write that is not a literal (an expression, a call, a variable)."""
ANY = "*"
"""Stands for a section or trait a write names at run time (``c[name]``)."""
_MUTATORS = {
    "update",
    "setdefault",
    "append",
    "extend",
    "insert",
    "__setitem__",
    "pop",
    "clear",
    "remove",
    "add",
    "discard",
}


@dataclass(frozen=True)
class ClassName:
    """``c.JupyterHub.authenticator_class = GenericOAuthenticator`` (an imported class)."""

    module: str
    name: str


@dataclass(frozen=True)
class Write:
    """One write a snippet makes to the hub's config."""

    snippet: str
    section: str
    """The config section (``KubeSpawner``), or ``ANY`` when it is chosen at run time."""
    trait: str
    """The trait (``environment``), or ``ANY``."""
    kind: str
    """``set``, ``item`` (``t[key] = v``), ``update``, ``setdefault``, ``append``, ``extend``,
    or ``other`` (any other change: ``+=`` of a number, ``pop``, ``clear``, ...)."""
    value: Any = OPAQUE
    key: Any = OPAQUE
    line: int = 0

    @property
    def literal(self) -> bool:
        """Whether the written value (and key) are literals check can judge."""
        return (
            self.value is not OPAQUE
            and self.kind != "other"
            and ANY not in (self.section, self.trait)
            and (self.kind not in ("item", "setdefault") or self.key is not OPAQUE)
        )


@dataclass
class Reading:
    """What one snippet does to the hub's config."""

    name: str
    writes: list[Write] = field(default_factory=list)
    error: str | None = None
    """Why the snippet is not Python the hub can load (then it has no writes)."""


def read(name: str, code: str) -> Reading:
    """The writes of one ``hub.extraConfig`` snippet, in the order they appear."""
    reading = Reading(name)
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        reading.error = f"not valid Python (line {error.lineno}: {error.msg})"
        return reading
    except (ValueError, RecursionError, MemoryError):  # a NUL byte, or nested past the parser
        reading.error = "not Python the hub can load"
        return reading
    imported = _imported_classes(tree)
    aliases = _Aliases()
    try:
        for node in ast.walk(tree):
            reading.writes += _writes(name, node, aliases, imported)
    except RecursionError:
        reading.error = "nested too deeply to read"
        reading.writes = []
    reading.writes.sort(key=lambda write: write.line)
    return reading


def config_attribute(node: ast.AST) -> tuple[str, str] | None:
    """(section, trait) when an expression is ``c.<section>.<trait>``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "c"
    ):
        return node.value.attr, node.attr
    return None


def config_target(node: ast.stmt) -> tuple[str, str] | None:
    """(section, trait) when a statement is ``c.<section>.<trait> = ...`` (one target)."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    return config_attribute(node.targets[0])


def _imported_classes(tree: ast.Module) -> dict[str, ClassName]:
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = ClassName(node.module, alias.name)
    return found


def _literal(node: ast.expr | None, imported: dict[str, ClassName]) -> Any:
    if node is None:
        return OPAQUE
    if isinstance(node, ast.Name) and node.id in imported:
        return imported[node.id]
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return OPAQUE
    if isinstance(value, set | frozenset | tuple):
        value = list(value)
    return value


class _Aliases(dict[str, tuple[str, str | None]]):
    """Local names bound to ``c.S`` or ``c.S.t``; ``loops`` holds loop variables over a trait
    (``for s in c.JupyterHub.services``), through which a snippet changes the trait's items."""

    def __init__(self) -> None:
        super().__init__()
        self.loops: dict[str, tuple[str, str]] = {}


def _reference(node: ast.expr, aliases: "_Aliases") -> tuple[str, str | None] | None:
    """(section, trait or None) an expression refers to: ``c.S``, ``c.S.t``, ``c["S"]``,
    ``c.S["t"]`` or a name bound to one of them; None for anything else."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id == "c":
            return (node.attr, None)
        parent = _reference(node.value, aliases)
        if parent is not None and parent[1] is None:
            return (parent[0], node.attr)
        return None
    if isinstance(node, ast.Subscript):
        key = node.slice
        name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else ANY
        if isinstance(node.value, ast.Name) and node.value.id == "c":
            return (name, None)
        parent = _reference(node.value, aliases)
        if parent is not None and parent[1] is None:
            return (parent[0], name)
    return None


def _writes(
    snippet: str,
    node: ast.AST,
    aliases: _Aliases,
    imported: dict[str, ClassName],
) -> Iterator[Write]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            yield from _assigned(snippet, target, node.value, aliases, imported, line)
    elif isinstance(node, ast.AugAssign):
        ref = _reference(node.target, aliases)
        if ref is not None and ref[1] is not None:
            value = _literal(node.value, imported)
            kind = "extend" if isinstance(value, list) else "other"
            yield Write(snippet, ref[0], ref[1], kind, value, line=line)
        elif ref is not None:
            yield Write(snippet, ref[0], ANY, "other", line=line)
    elif isinstance(node, ast.Call):
        yield from _called(snippet, node, aliases, imported, line)
    elif isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
        # `for s in c.JupyterHub.services: s[...] = ...` changes that trait's items
        ref = _reference(node.iter, aliases)
        if ref is not None and ref[1] is not None:
            aliases.loops[node.target.id] = (ref[0], ref[1])


def _assigned(
    snippet: str,
    target: ast.expr,
    value: ast.expr | None,
    aliases: _Aliases,
    imported: dict[str, ClassName],
    line: int,
) -> Iterator[Write]:
    if isinstance(target, ast.Name):
        ref = _reference(value, aliases) if value is not None else None
        if ref is not None:
            aliases[target.id] = ref  # `env = c.KubeSpawner.environment`
        else:
            aliases.pop(target.id, None)
        aliases.loops.pop(target.id, None)
        return
    if isinstance(target, ast.Tuple | ast.List):
        values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
        for index, element in enumerate(target.elts):
            item = values[index] if values and len(values) == len(target.elts) else None
            yield from _assigned(snippet, element, item, aliases, imported, line)
        return
    ref = _reference(target, aliases)
    if ref is not None:
        section, trait = ref
        if trait is None:  # `c.KubeSpawner = {...}`: the whole section
            yield Write(snippet, section, ANY, "other", line=line)
        else:
            yield Write(snippet, section, trait, "set", _literal(value, imported), line=line)
        return
    if isinstance(target, ast.Subscript | ast.Attribute):
        # `c.S.t[key] = v` (or deeper: `c.S.t[a][b] = v`, `c.S.t.x = v`)
        inner = _reference(target.value, aliases)
        if inner is not None and inner[1] is not None:
            key = _literal(target.slice, imported) if isinstance(target, ast.Subscript) else OPAQUE
            yield Write(snippet, inner[0], inner[1], "item", _literal(value, imported), key, line)
            return
        owner = _owner(target, aliases)
        if owner is not None:
            yield Write(snippet, owner[0], owner[1], "other", line=line)


def _owner(node: ast.expr, aliases: _Aliases) -> tuple[str, str] | None:
    """The trait an expression reaches into (``c.S.t[a][b]`` -> (S, t)), if any."""
    while isinstance(node, ast.Subscript | ast.Attribute):
        ref = _reference(node, aliases)
        if ref is not None and ref[1] is not None:
            return (ref[0], ref[1])
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases.loops:
        return aliases.loops[node.id]
    if isinstance(node, ast.Name) and node.id in aliases:
        section, trait = aliases[node.id]
        return (section, trait or ANY)
    return None


def _called(
    snippet: str,
    call: ast.Call,
    aliases: _Aliases,
    imported: dict[str, ClassName],
    line: int,
) -> Iterator[Write]:
    func = call.func
    args = [_literal(arg, imported) for arg in call.args]
    if isinstance(func, ast.Name) and func.id in ("setattr", "load_subconfig"):
        if func.id == "load_subconfig":
            yield Write(snippet, ANY, ANY, "other", line=line)
            return
        ref = _reference(call.args[0], aliases) if call.args else None
        if ref is not None and ref[1] is None and len(call.args) == 3:
            trait = args[1] if isinstance(args[1], str) else ANY
            yield Write(snippet, ref[0], trait, "set", args[2], line=line)
        return
    if not isinstance(func, ast.Attribute) or func.attr not in (*_MUTATORS, "merge"):
        return
    if isinstance(func.value, ast.Name) and func.value.id == "c":
        yield Write(snippet, ANY, ANY, "other", line=line)  # c.update(...), c.merge(...)
        return
    ref = _reference(func.value, aliases)
    if ref is None:
        owner = _owner(func.value, aliases)
        if owner is not None:
            yield Write(snippet, owner[0], owner[1], "other", line=line)
        return
    section, named = ref
    if named is None:
        # c.KubeSpawner.update({...}): one set per trait of a literal map
        value = args[0] if func.attr == "update" and len(args) == 1 else OPAQUE
        if isinstance(value, dict) and not call.keywords:
            for name, item in value.items():
                yield Write(snippet, section, str(name), "set", item, line=line)
        else:
            yield Write(snippet, section, ANY, "other", line=line)
        return
    trait = named
    if func.attr == "update" and len(args) == 1 and not call.keywords:
        yield Write(snippet, section, trait, "update", args[0], line=line)
    elif func.attr == "setdefault" and len(args) == 2:
        yield Write(snippet, section, trait, "setdefault", args[1], args[0], line)
    elif func.attr == "__setitem__" and len(args) == 2:
        yield Write(snippet, section, trait, "item", args[1], args[0], line)
    elif func.attr == "append" and len(args) == 1:
        yield Write(snippet, section, trait, "append", args[0], line=line)
    elif func.attr == "extend" and len(args) == 1:
        yield Write(snippet, section, trait, "extend", args[0], line=line)
    else:
        yield Write(snippet, section, trait, "other", line=line)
