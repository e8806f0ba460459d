"""The state of one conversion: what is left of the old values, what was made of it, the report.

Section converters (``proxy``, ``hub``, ``auth``, ...) ``take`` keys out of the old values and
``put`` them into the stack config (or ``helm`` them into helmValues), each with one report line;
whatever no converter took is reported by ``leftovers``. Nothing here ever formats a value.
"""

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..credentials import PROJECT, SECRET_ENV
from ..credentials import set_command as secret_set_command
from ..dotted import get_path, set_path
from ..errors import shown_key
from .history import Era, KeyPath

Action = Literal["mapped", "helmValues", "dropped", "secret", "added", "parent", "era"]

ROTATES = {
    "proxy token": "hub and proxy restart once with the new token: new connections pause for "
    "a few seconds; running user servers keep running",
    "cookie secret": "everyone is signed out once and signs in again",
    "auth-state key": "auth state stored with the old key can no longer be read; it is renewed "
    "at each user's next sign-in",
}
"""The chart secrets the new stack generates, and what users notice when they change."""


class ValuesFileError(Exception):
    """The input cannot be converted; the message has one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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
    """Secret config key (``secretEnv.NAME`` for map entries) -> where its value was."""
    rotated: list[str] = field(default_factory=list)
    """Names of the generated chart secrets that change on the first deploy (keys of ROTATES)."""
    domain_hint: str | None = None
    """A public host name the old file implies (callback URL or HTTPS host), if any."""
    https_hosts: list[str] = field(default_factory=list)
    """Every host Let's Encrypt served a certificate for (when there were several): the one
    that is not the stack's domain goes to https.extraHosts."""
    problems: list[str] = field(default_factory=list)
    """What the operator must decide before anything is written (one line each)."""
    notices: list[str] = field(default_factory=list)
    """What changes who may sign in or how traffic is protected: printed loudly."""

    def commands(self, stack: str, namespace: str = "NAMESPACE") -> list[str]:
        """The ``pulumi config set --secret`` commands for secrets the old file held (piped
        from ``kubectl`` when the old hub read the value from a Kubernetes object, in the
        namespace the old release runs in: the stack's)."""
        return [
            f"{where.replace(' NAMESPACE ', f' {namespace} ', 1)} | "
            f"{secret_set_command(key, stack).replace(' <value>', '')}"
            if where.startswith("kubectl ")
            else secret_set_command(key, stack).replace("<value>", f"<{where}>")
            for key, where in self.secrets_to_set.items()
        ]


def shown(path: KeyPath | str) -> str:
    """A key path as the report shows it: each part escaped, joined with dots."""
    if isinstance(path, str):
        return path
    return ".".join(shown_key(str(part)) for part in path)


class Conversion:
    """One old values document being converted (see the module docstring)."""

    def __init__(
        self,
        values: dict[str, Any],
        era: Era | None,
        prefix: KeyPath = (),
        answers: Mapping[str, Any] | None = None,
    ):
        self.source = values
        self.original = copy.deepcopy(values)
        """The values as the file held them (converters take keys out of ``source``)."""
        self.era = era
        """The chart era the file is from (None: the file does not tell)."""
        self.prefix = prefix
        """Where the z2jh values sit in the old file (``("binderhub", "jupyterhub")``)."""
        self.answers: Mapping[str, Any] = answers or {}
        """The operator's answers: stack keys given with ``--set`` (dotted) -> values."""
        self.out = Imported()
        self.auth: dict[str, Any] = {}
        self.code_snippets: list[Any] = []
        self.callback_scheme: str | None = None
        """The scheme of the old OAuth callback URL: how users reached the hub."""
        """extraConfig snippets after analysis (see ``extraconfig.analyse``)."""

    # --- reading the old values ------------------------------------------------------------

    def get(self, *path: str) -> Any:
        """The value at path (None when absent or when a parent is not a map)."""
        node: Any = self.source
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def lookup(self, dotted: str) -> Any:
        """``z2jh.get_config(dotted)`` of the old values: the value, or ``MISSING``."""
        return get_path(self.original, dotted)

    def take(self, *path: str) -> Any:
        """Remove and return the value at path (None when absent), pruning emptied parents."""
        node: Any = self.source
        parents = []
        for part in path[:-1]:
            if not isinstance(node, dict) or not isinstance(node.get(part), dict):
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

    def take_map(self, *path: str) -> dict[str, Any]:
        """Like ``take`` for a key that must be a map; anything else is reported and dropped."""
        value = self.take(*path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.note(path, "dropped", f"{_kind(value)} where the chart expects a map; fix it")
            return {}
        return value

    def where(self, path: KeyPath | str) -> str:
        """The full path in the old file (with the parent chart's prefix), escaped."""
        parts = tuple(path.split(".")) if isinstance(path, str) else path
        return shown((*self.prefix, *parts))

    # --- writing the stack config and the report ---------------------------------------------

    def note(self, path: KeyPath | str, action: Action, detail: str) -> None:
        """One report line about a key of the old file."""
        self.out.report.append(ReportLine(self.where(path), action, detail))

    def put(self, dest: str, value: Any, source: KeyPath | str, also: str = "") -> None:
        """Set a stack config key (dotted) and report where it came from."""
        if dest.startswith("auth."):
            # auth is assembled apart: its type decides where options go; it is set last
            set_path(self.auth, dest.removeprefix("auth."), value)
        else:
            set_path(self.out.config, dest, value)
        self.note(source, "mapped", f"-> {dest}{'; ' + also if also else ''}")

    def helm(self, dest: KeyPath, value: Any, source: KeyPath | str, why: str = "") -> None:
        """Pass a value through to helmValues (its 4.4.0 path) and report it."""
        set_path(self.out.config, ("helmValues", *dest), value)
        reason = f" ({why})" if why else ""
        self.note(source, "helmValues", f"-> helmValues.{shown(dest)}{reason}")

    def secret(self, key: str, where: KeyPath | str, how: str = "", value_is: str = "") -> None:
        """A secret of the old file that the operator sets as secret stack key ``key``.

        ``value_is`` describes the value when it is not the whole of ``where`` (a password
        inside a URL, say).
        """
        self.out.secrets_to_set[key] = value_is or self.where(where)
        command = f"{PROJECT}:{key}" if "." not in key else f"'{PROJECT}:{key}'"
        detail = f"not copied; set {command} with the command below"
        self.note(where, "secret", f"{detail}{'; ' + how if how else ''}")

    def secret_env(
        self, name: str, where: KeyPath | str, how: str = "", value_is: str = ""
    ) -> None:
        """A secret the hub reads from environment variable ``name`` (a secretEnv entry)."""
        self.secret(f"{SECRET_ENV}.{name}", where, how, value_is)

    def rotate(self, name: str, source: KeyPath | str | None) -> None:
        """A chart secret the new stack generates: reported, and what users notice listed."""
        if name not in self.out.rotated:
            self.out.rotated.append(name)
        if source is not None:
            self.note(source, "secret", f"not copied; the {name} is generated anew (see below)")

    def problem(self, text: str) -> None:
        """Something the operator must decide before the stack can be written."""
        self.out.problems.append(text)

    def answered(self, *keys: str) -> str | None:
        """The ``--set`` key that answers a question about ``keys`` (a key or a parent of
        one counts: ``auth.options`` answers ``auth.options.idps``), if the operator gave one."""
        for given in self.answers:
            for key in keys:
                if given == key or given.startswith(f"{key}.") or key.startswith(f"{given}."):
                    return given
        return None

    def ask(self, text: str, *keys: str) -> bool:
        """A question the ``--set`` of one of ``keys`` answers: True when it is answered,
        else it becomes a problem (nothing is written until every one is answered)."""
        if self.answered(*keys):
            return True
        self.problem(text)
        return False

    def notice(self, text: str) -> None:
        """A change to who may sign in or how traffic is protected, printed loudly."""
        self.out.notices.append(text)

    def hint_domain(self, host: str | None) -> None:
        """A public host name the old file implies (the first one found wins)."""
        if host and self.out.domain_hint is None:
            self.out.domain_hint = host


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "a value"


def kind(value: Any) -> str:
    """What sort of value this is, in words (for report lines that cannot show the value)."""
    return "a map" if isinstance(value, Mapping) else _kind(value)


def leaves(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Each remaining value with its path; maps are walked (non-empty ones), the rest are leaves."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif path:
        yield path, node
