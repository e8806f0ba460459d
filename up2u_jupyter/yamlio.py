"""YAML in, bounded: the one loader for stack files, old values files and ``--set`` values.

PyYAML's ``safe_load`` is safe against code execution, not against size: aliases are shared
objects that expand when anything walks them (a few hundred bytes become gigabytes), nesting
recurses in the composer (a few thousand levels crash it), a duplicate key silently replaces
the first (a whole ``hub:`` block lost), and an integer of over 4300 digits raises from
``int()``. This loader refuses each of those with one line naming the file, the line and the
fix, before anything else sees the document.
"""

import math
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 1024 * 1024
"""The largest document read: real values files are well under 100 KiB."""
MAX_DEPTH = 64
"""The deepest nesting of maps and lists: z2jh values nest about 10 levels."""
MAX_NODES = 50_000
"""The most values in one document, counting every alias expansion."""
MAX_ALIASES = 1_000
"""The most alias uses (``*name``) in one document."""
MAX_NUMBER_DIGITS = 40
"""The longest integer literal: anything longer is no count, size or port."""


class YamlError(ValueError):
    """A document this loader refuses; the message is one line for the operator."""


class BadNumber:
    """A number no config can use (``.nan``, ``.inf``, a 5000-digit integer), kept in place.

    With ``load_yaml(..., keep_bad_numbers=True)`` the loader leaves one of these where the
    number was, so that the caller can name the config key of every bad number at once.
    """

    def __init__(self, text: str, line: int, reason: str) -> None:
        self.text, self.line, self.reason = text, line, reason

    def __repr__(self) -> str:
        return f"<bad number at line {self.line}>"


def bad_numbers(tree: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], BadNumber]]:
    """Every ``BadNumber`` in a loaded tree, with its path."""
    if isinstance(tree, BadNumber):
        return [(path, tree)]
    if isinstance(tree, dict):
        return [hit for k, v in tree.items() for hit in bad_numbers(v, (*path, str(k)))]
    if isinstance(tree, list):
        return [hit for i, v in enumerate(tree) for hit in bad_numbers(v, (*path, str(i)))]
    return []


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts what it builds and refuses what is out of bounds."""

    keep_bad_numbers = False

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._open: set[str] = set()  # anchors whose node is still being composed

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _refusal(event.start_mark, f"more than {MAX_ALIASES} aliases")
            if event.anchor in self._open:
                raise _refusal(event.start_mark, f"alias *{event.anchor} refers to itself")
            return Composer.compose_node(self, parent, index)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _refusal(event.start_mark, f"more than {MAX_NODES} values")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _refusal(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor or "")

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key (a list or map used as a key)
                raise _refusal(key_node.start_mark, "a list or map used as a key") from None
            line = key_node.start_mark.line + 1
            if first is not None:
                raise _refusal(
                    key_node.start_mark,
                    f"duplicate key {_key(key)} (first at line {first}, again at line {line}); "
                    "YAML keeps only the last one, so merge the two",
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _bad(loader: Any, node: ScalarNode, reason: str) -> BadNumber:
    if not getattr(loader, "keep_bad_numbers", False):
        raise _refusal(node.start_mark, reason)
    return BadNumber(str(node.value)[:20], node.start_mark.line + 1, reason)


def _int(loader: SafeConstructor, node: ScalarNode) -> int | BadNumber:
    text = str(node.value).replace("_", "").lstrip("+-")
    if len(text) > MAX_NUMBER_DIGITS:
        return _bad(loader, node, f"an integer of {len(text)} digits")
    return SafeConstructor.construct_yaml_int(loader, node)


def _float(loader: SafeConstructor, node: ScalarNode) -> float | BadNumber:
    value = SafeConstructor.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        return _bad(loader, node, f"{str(node.value)[:20]!r} is not a finite number")
    return value


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _int)  # type: ignore[type-var]
_BoundedLoader.add_constructor("tag:yaml.org,2002:float", _float)  # type: ignore[type-var]
# A date-like scalar (`tag: 2023-02-28`, the docker-stacks tag style) stays the text it is:
# Helm (sigs.k8s.io/yaml) and Pulumi (yaml.v3) read it as a string, so `check` must too, or an
# image tag that deploys fine would be refused offline as "a value of type date".
_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    SafeConstructor.construct_yaml_str,  # type: ignore[type-var]
)


def _key(key: Any) -> str:
    from .errors import excerpt

    return excerpt(key)


def _refusal(mark: Any, what: str) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=f"refused: {what}", problem_mark=mark)


def _count_nodes(node: Node) -> int:
    """Values in the composed graph with every alias expanded, stopping past the limit."""
    stack = [node]
    memo: dict[int, int] = {}
    # Aliases are shared nodes: count each node's expanded size once, bottom up, so that a
    # billion-laughs document is measured in a few thousand steps instead of expanded.
    order: list[Node] = []
    while stack:
        current = stack.pop()
        if id(current) in memo:
            continue
        memo[id(current)] = -1
        order.append(current)
        if isinstance(current, SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
    for current in reversed(order):
        size = 1
        if isinstance(current, SequenceNode):
            size += sum(max(memo[id(child)], 1) for child in current.value)
        elif isinstance(current, MappingNode):
            size += sum(max(memo[id(k)], 1) + max(memo[id(v)], 1) for k, v in current.value)
        memo[id(current)] = min(size, MAX_NODES + 1)
    return memo[id(node)]


def load_yaml(text: str, source: str, keep_bad_numbers: bool = False) -> Any:
    """Parse one YAML document within the bounds above; raise ``YamlError`` naming ``source``.

    ``keep_bad_numbers`` leaves a ``BadNumber`` where a non-finite or overlong number was,
    instead of refusing the document at the first one.
    """
    if len(text) > MAX_BYTES:
        raise YamlError(
            f"{source}: larger than {MAX_BYTES // (1024 * 1024)} MiB ({len(text)} characters); "
            "a values or stack file is far smaller: check that this is the right file"
        )
    try:
        loader = _BoundedLoader(text)
        loader.keep_bad_numbers = keep_bad_numbers
    except yaml.YAMLError as error:  # the reader refuses control characters up front
        raise YamlError(f"{source}: {describe(error)}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _count_nodes(node) > MAX_NODES:
            raise YamlError(
                f"{source}: refused: more than {MAX_NODES} values once aliases are expanded "
                "(an alias bomb or a generated file); write the values out plainly"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise YamlError(f"{source}: {describe(error)}") from None
    except RecursionError:
        raise YamlError(f"{source}: nested too deeply to read; flatten the file") from None
    finally:
        loader.dispose()


def read_yaml_file(path: Path, source: str | None = None, keep_bad_numbers: bool = False) -> Any:
    """Read and parse a YAML file (UTF-8, bounded); raise ``YamlError`` with one line."""
    label = source or path.name
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            # a FIFO would block the read forever, a device never ends
            raise YamlError(f"{label}: not a regular file; give the path of a YAML file")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # /dev/zero and huge files stop here
    except FileNotFoundError:
        raise YamlError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise YamlError(f"{label}: is a folder, not a file") from None
    except OSError as error:
        raise YamlError(f"{label}: cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_BYTES:
        raise YamlError(
            f"{label}: larger than {MAX_BYTES // (1024 * 1024)} MiB; a values or stack file is "
            "far smaller: check that this is the right file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlError(f"{label}: not UTF-8 text; save it as UTF-8") from None
    if "\x00" in text:
        raise YamlError(f"{label}: contains NUL bytes, so it is not a YAML text file")
    return load_yaml(text, label, keep_bad_numbers)


def describe(error: yaml.YAMLError) -> str:
    """One line for a YAML error: where it is and what is wrong, never the offending text."""
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
    problem = getattr(error, "problem", None) or "not valid YAML"
    if isinstance(error, yaml.reader.ReaderError):
        where = f"character {error.position + 1}"
        problem = "a control character YAML does not allow"
    if isinstance(error, ConstructorError) and "could not determine a constructor" in problem:
        problem = "a tag this reader does not accept (only plain YAML is read)"
    if str(problem).startswith("refused: "):
        return f"{problem} at {where}"
    return f"not valid YAML at {where} ({problem}); fix the syntax there"
