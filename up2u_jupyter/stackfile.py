"""Read a stack's config from ``Pulumi.yaml`` + ``Pulumi.<stack>.yaml``, without the Pulumi CLI.

Secrets cannot be read here (they are encrypted, or only set where the stack is deployed), so
they are reported by presence only; every other project key is returned as plain data.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from .errors import ConfigError, Problem, UsageError, shown_key
from .settings import PROJECT, SECRET_KEYS

SecretState = Literal["encrypted", "plain"]
_DECLARATION_KEYS = {"type", "description", "default", "value", "secret", "items"}


@dataclass(frozen=True)
class StackConfig:
    """The project config of one stack, split into plain values and the secrets it has."""

    stack: str
    values: dict[str, Any]
    """Project keys without the ``up2u-jupyter:`` prefix, secrets removed."""
    secrets: dict[str, SecretState] = field(default_factory=dict)
    """Which secret keys are set, and how (never their values)."""


def split_config(items: Mapping[str, Any], stack: str) -> StackConfig:
    """Keep this project's keys (``up2u-jupyter:x`` or bare ``x``) and set the secrets apart."""
    values: dict[str, Any] = {}
    secrets: dict[str, SecretState] = {}
    problems = []
    for full_key, value in items.items():
        namespace, _, key = str(full_key).rpartition(":")
        if namespace not in ("", PROJECT):
            continue  # another provider's config, e.g. kubernetes:context
        encrypted = isinstance(value, Mapping) and set(value) == {"secure"}
        if key in SECRET_KEYS:
            secrets[key] = "encrypted" if encrypted else "plain"
        elif encrypted:
            problems.append(
                Problem(
                    f"{PROJECT}:{shown_key(key)}",
                    "is encrypted, so it cannot be checked; it is not a secret, so set it "
                    f"without --secret: pulumi config set {PROJECT}:{key} <value> --stack {stack}",
                )
            )
        else:
            values[key] = value
    if problems:
        raise ConfigError(stack, problems)
    return StackConfig(stack, values, secrets)


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
    if project_file.is_file():
        project = _load_yaml(project_file, stack)
        for key, declared in _config_section(project, project_file, stack).items():
            if isinstance(declared, Mapping) and declared and set(declared) <= _DECLARATION_KEYS:
                if "value" in declared or "default" in declared:
                    items[key] = declared.get("value", declared.get("default"))
            else:
                items[key] = declared
    items.update(_config_section(_load_yaml(path, stack), path, stack))
    return split_config(items, stack)


def _load_yaml(path: Path, stack: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        reason = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(
            stack,
            [Problem(path.name, f"not valid YAML at {where} ({reason}); fix the syntax there")],
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(stack, [Problem(path.name, "not UTF-8 text; save it as UTF-8")]) from None


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
