"""Read a stack's config from ``Pulumi.yaml`` + ``Pulumi.<stack>.yaml``, without the Pulumi CLI.

Secrets cannot be read here (they are encrypted, or only set where the stack is deployed), so
they are reported by presence only; every other project key is returned as plain data.
"""

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from .credentials import BY_KEY, PROJECT, SECRET_ENV, SECRET_KEYS, set_command, valid_env_name
from .errors import ConfigError, Problem, UsageError, shown_key
from .settings import Settings, load_settings
from .yamlio import BadNumber, YamlError, bad_numbers, read_yaml_file

SecretState = Literal["encrypted", "plain"]
_DECLARATION_KEYS = {"type", "description", "default", "value", "secret", "items"}


@dataclass(frozen=True)
class StackConfig:
    """The project config of one stack, split into plain values and the secrets it has."""

    stack: str
    values: dict[str, Any]
    """Project keys without the ``up2u-jupyter:`` prefix, secrets removed."""
    secrets: dict[str, SecretState] = field(default_factory=dict)
    """Which secret keys are set (``secretEnv.NAME`` for map entries), and how; never values."""
    problems: list[Problem] = field(default_factory=list)
    """Numbers no config can use (``.nan``, 5000 digits), by key; ``load_stack`` reports them
    with the settings' own problems (their values here hold the number's text instead)."""


def split_config(items: Mapping[str, Any], stack: str) -> StackConfig:
    """Keep this project's keys (``up2u-jupyter:x`` or bare ``x``) and set the secrets apart."""
    values: dict[str, Any] = {}
    secrets: dict[str, SecretState] = {}
    problems = []
    for full_key, value in items.items():
        namespace, _, key = str(full_key).rpartition(":")
        if namespace not in ("", PROJECT):
            if near(namespace.lower(), PROJECT):  # up2u_jupyter:cull, Up2U-Jupyter:cull
                problems.append(
                    Problem(
                        f"{shown_key(namespace)}:{shown_key(key)}",
                        f"{shown_key(namespace)} is not this project's namespace, so nothing "
                        f"would read this key; did you mean {PROJECT}:{shown_key(key)}?",
                    )
                )
            continue  # another provider's config, e.g. kubernetes:context
        encrypted = _encrypted(value)
        if key == SECRET_ENV:
            problems += _secret_env(value, secrets, stack)
        elif key in SECRET_KEYS:
            secrets[key] = "encrypted" if encrypted else "plain"
        elif encrypted:
            problems.append(Problem(f"{PROJECT}:{shown_key(key)}", _encrypted_advice(key, stack)))
        else:
            values[key] = value
    if problems:
        raise ConfigError(stack, problems)
    return StackConfig(stack, values, secrets)


def near(text: str, target: str, most: int = 2) -> bool:
    """Whether two names differ by at most ``most`` edits once case and separators are ignored
    (a misspelt namespace or key; difflib is too slow to import on every check)."""
    a, b = (re.sub(r"[^a-z0-9]", "", s.lower()) for s in (text, target))
    if abs(len(a) - len(b)) > most:
        return False
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1] <= most


def _encrypted_advice(key: str, stack: str) -> str:
    """What to do with an encrypted value under a key that is not a secret: set a setting
    without --secret, or set a secret under the secret key that was meant."""
    from .secretrule import is_secret_name

    if key.split(".")[0] in _plain_keys():
        return (
            "is encrypted, so it cannot be checked; it is not a secret, so set it without "
            f"--secret: pulumi config set {PROJECT}:{key} <value> --stack {stack}"
        )
    meant = next(
        (s for s in BY_KEY if s.lower() in key.lower() or key.lower() in s.lower()
         or near(key, s, 3)),
        None,
    )  # fmt: skip
    remove = f"pulumi config rm {PROJECT}:{key} --stack {stack}"
    if meant is not None:
        return (
            f"not a key of {PROJECT}, so nothing would read this secret; did you mean {meant}? "
            f"Run {remove}, then: {set_command(meant, stack)}"
        )
    if is_secret_name(key):
        return (
            f"not a key of {PROJECT}, so nothing would read this secret; a secret the hub "
            f"reads goes in {SECRET_ENV}: run {remove}, then: "
            f"{set_command(f'{SECRET_ENV}.NAME', stack)}"
        )
    return (
        f"not a key of {PROJECT} (and it is encrypted, so it cannot be checked); run {remove} "
        "and set the key you meant"
    )


def _plain_keys() -> set[str]:
    return {field.alias or name for name, field in Settings.model_fields.items()}


def _encrypted(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _secret_env(value: Any, secrets: dict[str, SecretState], stack: str) -> list[Problem]:
    """Record which secretEnv entries are set; the map itself is never read for values."""
    key = f"{PROJECT}:{SECRET_ENV}"
    if _encrypted(value):
        # `pulumi config set --secret secretEnv '{...}'` without --path encrypts the whole map
        return [Problem(key, "is one encrypted value, so its entry names cannot be read; set "
                        f"each entry with: pulumi config set --secret --path '{key}.NAME' <value> "
                        f"--stack {stack}")]  # fmt: skip
    if not isinstance(value, Mapping):
        return [Problem(key, f"must be a map of NAME -> secret; set entries with: pulumi config "
                        f"set --secret --path '{key}.NAME' <value> --stack {stack}")]  # fmt: skip
    problems = []
    for name, entry in value.items():
        if not isinstance(name, str) or not valid_env_name(name):
            problems.append(
                Problem(
                    f"{key}.{shown_key(str(name))}",
                    "not an environment variable name; use letters, digits and _ "
                    "(e.g. LDAP_BIND_PASSWORD)",
                )
            )
            continue
        secrets[f"{SECRET_ENV}.{name}"] = "encrypted" if _encrypted(entry) else "plain"
    return problems


def load_stack(project_dir: Path, stack: str) -> tuple[StackConfig, Settings]:
    """Read and validate a stack's config from its files; raise ConfigError or UsageError.

    Every problem comes at once: bad numbers by their keys, then the settings' own problems
    about other keys.
    """
    config = read_stack_config(project_dir, stack)
    try:
        settings = load_settings(config.values, stack)
    except ConfigError as error:
        named = {problem.key for problem in config.problems}
        rest = [problem for problem in error.problems if problem.key not in named]
        raise ConfigError(stack, [*config.problems, *rest]) from None
    if config.problems:
        raise ConfigError(stack, config.problems)
    return config, settings


def stack_file(project_dir: Path, stack: str) -> Path:
    """The path of a stack's settings file."""
    return project_dir / f"Pulumi.{stack}.yaml"


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    """Project-level defaults from ``Pulumi.yaml`` overlaid with ``Pulumi.<stack>.yaml``."""
    project_file = project_dir / "Pulumi.yaml"
    path = stack_file(project_dir, stack)
    if not path.is_file():
        known = sorted(
            p.name.removeprefix("Pulumi.").removesuffix(".yaml")
            for p in project_dir.glob("Pulumi.*.yaml")
        )
        stacks = ", ".join(known) or "none"
        raise UsageError(f"no stack file {path.name} in {project_dir}; known stacks: {stacks}")
    items: dict[str, Any] = {}
    problems: list[Problem] = []
    if project_file.is_file():
        project = _load_yaml(project_file, stack, problems)
        for key, declared in _config_section(project, project_file, stack).items():
            if isinstance(declared, Mapping) and declared and set(declared) <= _DECLARATION_KEYS:
                if "value" in declared or "default" in declared:
                    items[key] = declared.get("value", declared.get("default"))
            else:
                items[key] = declared
    items.update(_config_section(_load_yaml(path, stack, problems), path, stack))
    config = split_config(items, stack)
    config.problems.extend(problems)
    return config


def _load_yaml(path: Path, stack: str, problems: list[Problem]) -> Any:
    """The file's document; each bad number is added to ``problems`` and replaced by its text."""
    try:
        document = read_yaml_file(path, keep_bad_numbers=True)
    except YamlError as error:
        name, _, message = str(error).partition(": ")
        raise ConfigError(stack, [Problem(name, message)]) from None
    for where, number in bad_numbers(document):
        # another provider's config (kubernetes:context) or the file's own keys are not ours
        # to judge: they are left as the text they were
        if (
            len(where) >= 2
            and where[0] == "config"
            and where[1].rpartition(":")[0] in ("", PROJECT)
        ):
            problems.append(_bad_number(where, number))
        node = document
        for part in where[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(where[-1]) if isinstance(node, list) else where[-1]] = number.text
    return document


def _bad_number(where: tuple[str, ...], number: BadNumber) -> Problem:
    """A bad number named by its config key (``up2u-jupyter:hub.activeServerLimit``)."""
    key = where[1].rpartition(":")[2]
    full = f"{PROJECT}:{'.'.join(shown_key(p) for p in (key, *where[2:]))}"
    return Problem(full, f"{number.reason} (line {number.line}); write a realistic number")


def _config_section(document: Any, path: Path, stack: str) -> dict[str, Any]:
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise ConfigError(
            stack,
            [Problem(path.name, "must be a YAML mapping with a 'config:' section; fix the file")],
        )
    section = document.get("config") or {}
    if not isinstance(section, Mapping):
        raise ConfigError(
            stack,
            [Problem(f"{path.name}: config", "must be a mapping of config keys; fix the file")],
        )
    return dict(section)


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_stack_file(
    target: Path, config: Mapping[str, Any], source: str, other: Mapping[str, Any] | None = None
) -> None:
    """Write ``Pulumi.<stack>.yaml`` atomically, owner-only, never through a symlink.

    The file is committed later by the operator; until then it is the operator's alone
    (0600). A symlink at the target is replaced, not followed, so an import cannot write
    into whatever file the link points at.
    """
    import os
    import tempfile

    name = "".join(c if c.isprintable() else "?" for c in source)[:100]
    header = (
        f"# Imported from {name} by `python -m up2u_jupyter import-values`.\n"
        "# Secrets are not in this file: set them with the commands the import printed.\n"
    )
    # other providers' keys (kubernetes:context) first, as the committed stack files have them
    body = {"config": {**(other or {}), **{f"{PROJECT}:{k}": v for k, v in config.items()}}}
    # no anchors or aliases in the written file: each value is written out where it is used
    text = header + yaml.dump(body, Dumper=_PlainDumper, sort_keys=False, allow_unicode=False)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)  # replaces a symlink itself, never its target
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
