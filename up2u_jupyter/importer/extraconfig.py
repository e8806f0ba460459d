"""``hub.extraConfig`` code: find the authenticator it configures and the secrets it holds.

Real deployments choose and configure their authenticator in extraConfig Python
(``c.JupyterHub.authenticator_class = GitHubOAuthenticator``, ``c.GitHubOAuthenticator.client_id
= "..."``), secrets included. Simple assignments of literals to an authenticator's traits are
lifted out of the code into the stack's ``auth`` keys (so the stack knows who may sign in);
secret literals that stay in code are replaced by ``os.environ[...]`` reads of secretEnv entries.
Code that is not valid Python (a template, say) is kept as written.
"""

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from ..secretrule import is_secret_name

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


@dataclass(frozen=True)
class Assignment:
    """``c.<section>.<trait> = <literal>`` found in a snippet."""

    section: str
    trait: str
    value: Any
    snippet: str


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


def is_authenticator_section(section: str) -> bool:
    """Whether a config section belongs to an authenticator (its class or a base of it)."""
    return section.endswith("Authenticator") or section in ("CryptKeeper",)


def analyse(name: str, code: str) -> Snippet:
    """Lift the authenticator out of one snippet (see the module docstring)."""
    lines = code.splitlines()
    snippet = Snippet(name, code)
    keep = [not _LAB_CMD.match(line) for line in lines]
    snippet.lab_cmd = not all(keep)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # nested past the parser
        snippet.parsed = False
        tree = None
    lifted_names: set[str] = set()
    for node in tree.body if tree is not None else []:
        target = _config_target(node)
        if target is None:
            continue
        section, trait = target
        value_node = node.value  # type: ignore[attr-defined]
        if (section, trait) == ("JupyterHub", "authenticator_class"):
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
        try:
            value = ast.literal_eval(value_node)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
        if isinstance(value, set | frozenset | tuple):
            value = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        snippet.assignments.append(Assignment(section, trait, value, name))
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


def _config_target(node: ast.stmt) -> tuple[str, str] | None:
    """(section, trait) when a statement is ``c.<section>.<trait> = ...`` (one target)."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    target = node.targets[0]
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Attribute)
        and isinstance(target.value.value, ast.Name)
        and target.value.value.id == "c"
    ):
        return target.value.attr, target.attr
    return None


def _drop(keep: list[bool], node: ast.stmt) -> None:
    end = node.end_lineno or node.lineno
    for index in range(node.lineno - 1, end):
        keep[index] = False


def _drop_unused_imports(
    tree: ast.Module, keep: list[bool], names: set[str], lines: list[str]
) -> None:
    """Drop ``from x import Name`` of lifted classes no kept line still uses."""
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not node.names:
            continue
        imported = {alias.asname or alias.name for alias in node.names}
        if not imported <= names:
            continue
        rest = "\n".join(
            line for index, line in enumerate(lines) if keep[index] and index != node.lineno - 1
        )
        if not any(re.search(rf"\b{re.escape(name)}\b", rest) for name in imported):
            _drop(keep, node)


def _meaningful(code: str) -> bool:
    """Whether code does anything (more than comments, blank lines and imports)."""
    for line in code.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not re.match(r"(import|from)\s", stripped):
            return True
    return False
