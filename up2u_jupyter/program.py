"""The Pulumi program: this stack's config -> validated settings -> JupyterHub -> stack outputs."""

import json
from typing import Any

import pulumi

from . import credentials
from .component import JupyterHub, JupyterHubArgs
from .credentials import PROJECT, SECRET_ENV, SECRETS
from .deployment import judge_stack
from .errors import ConfigError, Problem
from .render import helm_secret_paths, helm_secret_warning, offline_values
from .settings import Settings, load_settings, top_level_string_keys
from .stackfile import StackConfig, split_config

STRING_KEYS = {*top_level_string_keys(), *credentials.BY_KEY}
"""Top-level keys whose values are strings (from the model); every other value is JSON as
Pulumi passes it."""
MAX_CONFIG_DEPTH = 64
"""The deepest nesting a config value may have (as yamlio.MAX_DEPTH for stack files)."""


MARKED_SECRET = {"secure": "<marked secret by Pulumi: never read>"}
"""Stands for the value of a plain key Pulumi marks secret: the engine hands the program that
value decrypted, and an error quoting it would print it (Pulumi masks only the exact secret)."""


def stack_config(stack: str) -> StackConfig:
    """This stack's project config as the Pulumi runtime passes it, secrets set apart.

    The value of a key Pulumi marks secret is never read unless the key is one of ours that
    holds a secret (``credentials.SECRET_KEYS``): an encrypted value moved under a plain key is
    reported by its key alone. Other namespaces are passed by key only, to catch a misspelt
    ``up2u-jupyter``.
    """
    problems: list[Problem] = []
    items: dict[str, Any] = {}
    marked = _secret_keys()
    for key, value in _runtime_config().items():
        if not key.startswith(f"{PROJECT}:"):
            items[key] = None  # another namespace: only its name is looked at
        elif key in marked and not credentials.is_secret_key(key.partition(":")[2]):
            items[key] = MARKED_SECRET
        else:
            try:
                items[key] = _decode(key, value)
            except ValueError as error:
                problems.append(Problem(key, f"{error}; fix the value"))
    if problems:
        raise ConfigError(stack, problems)
    return split_config(items, stack)


def _validated(stack: str) -> tuple[Settings, StackConfig]:
    config = stack_config(stack)
    settings = load_settings(config.values, stack)
    missing = [key for key in settings.required_secrets() if key not in config.secrets]
    if missing:
        raise ConfigError(
            stack,
            [
                Problem(
                    f"{PROJECT}:{key}",
                    f"required secret not set; run: {credentials.set_command(key, stack)}",
                )
                for key in missing
            ],
        )
    return settings, config


def main() -> None:
    """Deploy this stack; a config mistake is reported without a traceback."""
    stack = pulumi.get_stack()
    try:
        settings, stack_config_ = _validated(stack)
    except ConfigError as error:
        raise pulumi.RunError(error.summary()) from None
    for path in helm_secret_paths(settings):
        pulumi.log.warn(helm_secret_warning(path, stack))
    env_names = credentials.secret_env_names(stack_config_.secrets)
    # the same invariants check judges, on the same effective deployment, before anything is
    # registered (docs/checks.md)
    findings = judge_stack(settings, offline_values(settings, env_names), env_names, stack=stack)
    for finding in findings:
        if finding.warning:
            pulumi.log.warn(finding.line(stack))
    errors = [finding.line(stack) for finding in findings if not finding.warning]
    if errors:
        raise pulumi.RunError("\n".join(errors))
    config = pulumi.Config(PROJECT)
    secret_env = config.get_secret_object(SECRET_ENV) if env_names else None
    hub = JupyterHub(
        "up2u",
        JupyterHubArgs(
            settings=settings,
            secrets={spec.key: config.get_secret(spec.key) for spec in SECRETS},
            secret_env={name: _entry(secret_env, name) for name in env_names},
        ),
    )
    for name, value in hub.outputs().items():
        pulumi.export(name, value)


def _entry(secret_map: Any, name: str) -> pulumi.Output[str]:
    """One entry of a secret map config value, still secret."""
    return pulumi.Output.secret(secret_map).apply(lambda entries: str(entries[name]))


def _secret_keys() -> set[str]:
    """The config keys Pulumi marks secret (the runtime's list, or the environment's)."""
    keys = set(pulumi.runtime.config.get_config_secret_keys_env())
    keys |= {key for key in _runtime_config() if pulumi.runtime.config.is_config_secret(key)}
    return keys


def _runtime_config() -> dict[str, Any]:
    # Pulumi hands the program its config through the runtime (CONFIG) or, in older hosts,
    # the PULUMI_CONFIG environment variable: take both, the runtime winning.
    merged = dict(pulumi.runtime.config.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def _decode(full_key: str, value: Any) -> Any:
    key = full_key.partition(":")[2]
    if not isinstance(value, str) or key in STRING_KEYS:
        return value
    try:
        decoded = json.loads(value, parse_constant=_no_constant, parse_int=_bounded_int)
    except json.JSONDecodeError:
        return value
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_CONFIG_DEPTH} levels") from None
    _check_depth(decoded)
    return decoded


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 40:
        raise ValueError(f"an integer of {len(text)} digits is no count, size or port")
    return int(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def _check_depth(value: Any) -> None:
    level = [value]
    for _ in range(MAX_CONFIG_DEPTH):
        level = [
            child
            for node in level
            for child in (
                node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
            )
        ]
        if not level:
            return
    raise ValueError(f"nested deeper than {MAX_CONFIG_DEPTH} levels")
