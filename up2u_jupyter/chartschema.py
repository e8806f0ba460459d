"""The z2jh chart's own ``values.schema.json``: validate final values as Helm would, offline.

Helm refuses an install whose values break the chart's schema; ``check`` and ``values`` run the
same validation first, so nothing they accept is refused at deploy time. The schema is the
chart's, not ours, so it is not copied into this project: it is read from
``<project>/../shared/z2jh/<chart version>/values.schema.json`` or from the file named by
``UP2U_CHART_SCHEMA``. When neither exists the validation is skipped, and ``check`` says so.
"""

import functools
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import excerpt, shown_key
from .secretrule import is_secret_name

SCHEMA_ENV = "UP2U_CHART_SCHEMA"
"""Environment variable naming a values.schema.json to use instead of the shared one."""
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def schema_path(chart_version: str, project_dir: Path = PROJECT_ROOT) -> Path | None:
    """Where the schema of a chart version is, if it is anywhere."""
    named = os.environ.get(SCHEMA_ENV)
    if named:
        path = Path(named)
        return path if path.is_file() else None
    for root in dict.fromkeys((project_dir, PROJECT_ROOT)):
        path = root.parent / "shared" / "z2jh" / chart_version / "values.schema.json"
        if path.is_file():
            return path
    return None


@functools.cache
def _load(path: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return schema


def load_schema(chart_version: str, project_dir: Path = PROJECT_ROOT) -> dict[str, Any] | None:
    """The chart's schema, or None when it cannot be found."""
    path = schema_path(chart_version, project_dir)
    return None if path is None else _load(str(path))


_FORMAT_EXTRAS = (
    "fqdn",
    "idna",
    "isoduration",
    "jsonpointer",
    "rfc3339_validator",
    "rfc3986_validator",
    "rfc3987",
    "rfc3987_syntax",
    "uri_template",
    "webcolors",
)
"""Optional packages jsonschema's ``format`` checkers import when installed."""


def _validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator for the schema's draft, imported only when validating."""
    # jsonschema imports every optional "format" checker it finds installed (arrow, lark
    # grammars...): up to seconds, for a keyword the chart's schema never uses. They are
    # hidden while jsonschema is first imported, and importable again right after.
    hidden = [name for name in _FORMAT_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import jsonschema  # type: ignore[import-untyped]
    finally:
        for name in hidden:
            del sys.modules[name]
    return jsonschema.validators.validator_for(schema)(schema)


def problems(values: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """One line per place the values break the schema: the key path, what is wrong, the fix."""
    validator = _validator(schema)
    found = []
    for error in sorted(validator.iter_errors(values), key=lambda e: list(map(str, e.path))):
        found.append(_line(error))
    return found


def _line(error: Any, show_value: bool = True) -> str:
    """``<values path>: what is wrong`` for one schema error (never a whole map's content)."""
    parts = [shown_key(str(part)) for part in error.absolute_path]
    kind = error.validator
    if kind == "additionalProperties":
        extra = sorted(map(str, set(error.instance) - set(error.schema.get("properties", {}))))
        names = ", ".join(".".join([*parts, shown_key(key)]) for key in extra[:5])
        return f"{names}: not a key of the chart's values (unknown to its schema)"
    path = ".".join(parts) or "(top level)"
    # a value at a secret-named key (hub.db.password) is never shown, whatever is wrong with it
    where = list(error.absolute_path)
    if show_value:
        shown = excerpt(error.instance, secret=bool(where) and is_secret_name(str(where[-1])))
    else:
        shown = _kind(error.instance)
    if kind == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return f"{path}: missing {', '.join(missing)}, which the chart requires"
    if kind == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{path}: {shown} is not of type {wanted}"
    if kind == "enum":
        choices = ", ".join(_choice(value) for value in error.validator_value)
        return f"{path}: {shown} is not one of {choices}"
    return f"{path}: {shown} breaks the chart's schema ({kind})"


def _choice(value: Any) -> str:
    return "null" if value is None else repr(value) if value == "" else str(value)


def subschema(schema: Mapping[str, Any], path: tuple[Any, ...]) -> Mapping[str, Any] | None:
    """The schema a value at ``path`` must match; None if the chart has no such key.

    Free-form maps (``additionalProperties`` other than false, ``patternProperties``) accept
    any key below them, so the walk stops there with ``{}`` (anything).
    """
    node: Mapping[str, Any] = schema
    for part in path:
        properties = node.get("properties")
        if isinstance(properties, Mapping) and isinstance(part, str) and part in properties:
            node = properties[part]
            continue
        patterns = node.get("patternProperties") or {}
        matched = [sub for regex, sub in patterns.items() if re.search(regex, str(part))]
        if matched:
            node = matched[0]
            continue
        extra = node.get("additionalProperties", True)
        if extra is False:
            return None
        if isinstance(extra, Mapping):
            node = extra
            continue
        return {}
    return node


def value_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """Why a value does not match a (sub)schema, in a few words, never showing the value;
    None when it matches (the importer's report promises no values)."""
    validator = _validator(schema)
    for error in validator.iter_errors(value):
        return _line(error, show_value=False).partition(": ")[2]
    return None


def _kind(value: Any) -> str:
    """What a value is, without the value: structure is shown, scalars only by type."""
    if isinstance(value, (Mapping, list)) or value is None:
        return excerpt(value)
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"


def walk(values: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Each leaf of a values tree with its path."""
    if isinstance(values, Mapping) and values:
        for key, value in values.items():
            yield from walk(value, (*path, key))
    else:
        yield path, values


def chart_defaults(schema_file: Path) -> dict[str, Any] | None:
    """The chart's own values.yaml beside its schema (Helm validates defaults + values)."""
    import yaml

    path = schema_file.with_name("values.yaml")
    if not path.is_file():
        return None
    # The chart's reference data, not user input: libyaml's C loader reads its ~1200 values
    # in a few milliseconds, where the bounded pure-Python reader for user files takes ~60 ms
    # on every check and values run.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        defaults = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return defaults if isinstance(defaults, dict) else None


def validate(
    values: Mapping[str, Any], chart_version: str, project_dir: Path = PROJECT_ROOT
) -> list[str] | None:
    """Problems of final values against the chart's schema, as Helm checks them; None if the
    schema cannot be found (the caller says validation was skipped).

    Helm validates the chart's defaults merged with the release's values; without the chart's
    values.yaml beside the schema, ``required`` keys are not checked (the defaults supply them).
    """
    from .values import coalesce

    path = schema_path(chart_version, project_dir)
    if path is None:
        return None
    schema = _load(str(path))
    defaults = chart_defaults(path)
    if defaults is not None:
        return problems(coalesce(defaults, values), schema)
    return [line for line in problems(values, schema) if ": missing " not in line]


def skipped_warning(chart_version: str) -> str:
    """The one line ``check`` prints when there is no schema to validate against."""
    named = os.environ.get(SCHEMA_ENV)
    where = (
        f"{SCHEMA_ENV} names no file"
        if named
        else f"none at ../shared/z2jh/{chart_version}/ and {SCHEMA_ENV} is not set"
    )
    return (
        f"warning: chart schema validation skipped: no values.schema.json for chart "
        f"{chart_version} ({where})"
    )
