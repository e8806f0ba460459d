"""Values as the offline commands show them: generated secrets as placeholders, secret-looking
literals hidden, YAML with sorted keys (``values``, ``check``, ``diff``, the importer, tests)."""

from collections.abc import Collection, Mapping
from typing import Any

from . import credentials, restarts
from .errors import shown_key
from .secretrule import HIDDEN, leaf, replace_leaf, secret_leaves
from .settings import Settings
from .values import ChartSecrets, build_values

PLACEHOLDER = "<secret: generated at deploy time>"
"""Stands in for the chart secrets pulumi-random generates when the stack is deployed."""


def offline_values(settings: Settings, secret_env: Collection[str] = ()) -> dict[str, Any]:
    """The stack's values with every generated secret (and hash of one) a placeholder."""
    checksums = dict.fromkeys(restarts.annotation_names(settings, secret_env), restarts.OFFLINE)
    return build_values(settings, ChartSecrets(*[PLACEHOLDER] * 4, checksums=checksums), secret_env)


def helm_secret_paths(settings: Settings) -> list[tuple[str, ...]]:
    """Config paths of secret-looking literals anywhere in the stack's (plain) config.

    Everything in the plain config ends up in Helm values or the stack file in plain text,
    so each is warned about by ``check``, ``values``, ``diff`` and ``pulumi up``.
    ``auth.secretOptions`` is left out: its values are the *names* of secretEnv entries.
    """
    config = settings.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    config.get("auth", {}).pop("secretOptions", None)
    return list(secret_leaves(config))


def helm_secret_warning(path: tuple[str, ...], stack: str) -> str:
    """The warning for a secret-looking literal that would reach Helm's release history."""
    key = ".".join(shown_key(part) for part in path)
    return (
        f"{credentials.PROJECT}:{key} (stack {stack}) looks like a secret and would sit in plain "
        "text in Helm's release history; move the value to secretEnv (pulumi config set "
        f"--secret --path '{credentials.PROJECT}:{credentials.SECRET_ENV}.NAME' <value>) and "
        "read it from the environment"
    )


def hide_secrets(values: dict[str, Any]) -> dict[str, Any]:
    """Replace, in place, each value the secret rule finds with ``HIDDEN``; keep placeholders."""
    for path in list(secret_leaves(values)):
        if leaf(values, path) not in (PLACEHOLDER, [PLACEHOLDER]):
            replace_leaf(values, path, HIDDEN)
    return values


def values_yaml(settings: Settings, secret_env: Collection[str] = ()) -> str:
    """What ``values`` prints: the offline values as YAML, secret-looking values hidden."""
    return dump_values(hide_secrets(offline_values(settings, secret_env)))


def dump_values(values: Mapping[str, Any]) -> str:
    """Rendered values as the commands print them."""
    import yaml

    # sorted keys: a diff between two commits then shows value changes, not code reorderings
    return yaml.safe_dump(dict(values), sort_keys=True, default_flow_style=False)
