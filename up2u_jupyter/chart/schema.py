"""The z2jh chart's own ``values.schema.json``: validate final values as Helm would, offline.

Helm refuses an install whose values break the chart's schema; ``check`` and ``values`` run the
same validation first, so nothing they accept is refused at deploy time. The schema is the
chart's, not ours, so it is not copied into this project: it is read from the file named by
``UP2U_CHART_SCHEMA``, else from where ``chart.files`` finds the chart (``../shared`` or the
cache ``make chart`` fills). When there is none the validation is skipped, and ``check`` says so.
"""

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError, excerpt, shown_key
from ..secretrule import is_secret_name
from .files import PROJECT_ROOT, chart_dir

SCHEMA_ENV = "UP2U_CHART_SCHEMA"
"""Environment variable naming a values.schema.json to use instead of the shared one."""


def schema_path(chart_version: str, project_dir: Path = PROJECT_ROOT) -> Path | None:
    """Where the schema of a chart version is, if it is anywhere."""
    named = os.environ.get(SCHEMA_ENV)
    if named:
        path = Path(named)
        return path if path.is_file() else None
    folder = chart_dir(chart_version, project_dir)
    return None if folder is None else folder / "values.schema.json"


@functools.cache
def _load(path: str) -> dict[str, Any]:
    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InputError(_unusable(path, type(error).__name__)) from None
    if not isinstance(schema, dict):
        raise InputError(_unusable(path, "not a JSON object"))
    return schema


def _unusable(path: str, why: str) -> str:
    return (
        f"chart schema '{path}' cannot be used ({why[:200]}); point {SCHEMA_ENV} at the "
        f"chart's values.schema.json, or unset it"
    )


def load_schema(chart_version: str, project_dir: Path = PROJECT_ROOT) -> dict[str, Any] | None:
    """The chart's schema, or None when it cannot be found."""
    path = schema_path(chart_version, project_dir)
    return None if path is None else _load(str(path))


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any], path: str = "") -> Any:
    """A validator for the schema's own draft, built once per schema object (the loaded schema
    and its sub-schemas are kept for the process: ``check`` validates several trees with it).

    jsonschema-rs (Rust) builds the chart's schema in ~3 ms and imports in a few more; the
    pure-Python jsonschema cost ~45 ms per command, a third of what ``values`` took (its attrs
    classes, and every optional ``format`` checker it finds installed). The tests keep
    jsonschema as an independent second opinion. Offline: a ``$ref`` never fetches a URL.
    """
    kept = _VALIDATORS.get(id(schema))
    if kept is not None and kept[0] is schema:
        return kept[1]
    import jsonschema_rs

    try:
        validator = jsonschema_rs.validator_for(dict(schema), validate_formats=False, offline=True)
    except ValueError as error:  # the schema itself is broken, or refers to the network
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(_unusable(path or "(given)", first)) from None
    if len(_VALIDATORS) >= 256:  # sub-schemas of many values: keep the memory bounded
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)  # the schema is kept: its id is not reused
    return validator


def _errors(validator: Any, value: Any) -> list[Any]:
    """The schema errors of a value, ordered by where they are."""
    try:
        found = list(validator.iter_errors(value))
    except ValueError:  # not JSON (a date, bytes, a non-string key): say where, as a type error
        return [_NotJson(*next(_non_json(value), ((), value)))]
    return sorted(found, key=lambda error: [str(part) for part in error.instance_path])


class _NotJson:
    """A value JSON cannot hold, shaped like a schema error so it is reported like one."""

    def __init__(self, path: tuple[Any, ...], instance: Any) -> None:
        self.instance_path = list(path)
        self.instance = instance
        self.kind = self

    name = "type"
    types = ("JSON (string, number, true/false, null, list or map)",)


def _non_json(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Each place a value holds something JSON cannot (with its path)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield (*path, str(key)), key
            else:
                yield from _non_json(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _non_json(item, (*path, index))
    elif (isinstance(value, str) and not _utf8(value)) or (  # a lone surrogate (a \ud800)
        value is not None and not isinstance(value, (str, int, float, bool))
    ):
        yield path, value


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problems(values: Mapping[str, Any], schema: Mapping[str, Any], path: str = "") -> list[str]:
    """One line per place the values break the schema: the key path, what is wrong, the fix."""
    return [_line(error) for error in _errors(_validator(schema, path), values)]


def _line(error: Any, show_value: bool = True) -> str:
    """``<values path>: what is wrong`` for one schema error (never a whole map's content)."""
    where = list(error.instance_path)
    parts = [shown_key(str(part)) for part in where]
    kind = error.kind.name
    if kind == "additionalProperties":
        extra = sorted(map(str, error.kind.unexpected))
        names = ", ".join(".".join([*parts, shown_key(key)]) for key in extra[:5])
        return f"{names}: not a key of the chart's values (unknown to its schema)"
    path = ".".join(parts) or "(top level)"
    if kind == "falseSchema":  # a key under `additionalProperties: false`: never its value
        return f"{path}: holds a key the chart's schema does not allow"
    if kind == "required":
        return f"{path}: missing {shown_key(str(error.kind.property))}, which the chart requires"
    # a value at a secret-named key (hub.db.password) is never shown, whatever is wrong with it
    if show_value:
        shown = excerpt(error.instance, secret=bool(where) and is_secret_name(str(where[-1])))
    else:
        shown = _kind(error.instance)
    if kind == "type":
        return f"{path}: {shown} is not of type {' or '.join(error.kind.types)}"
    if kind == "enum":
        choices = ", ".join(_choice(value) for value in error.kind.options)
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
    for error in _errors(_validator(schema), value):
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


_DEFAULTS: dict[tuple[str, int, int], dict[str, Any]] = {}


def chart_defaults(schema_file: Path) -> dict[str, Any] | None:
    """The chart's own values.yaml beside its schema (Helm validates defaults + values).

    Read once per process for a file unchanged since (its path, size and modification time):
    one ``check`` derives the deployment from them several times, and the importer checks what
    it writes. Each caller gets its own copy.
    """
    from . import plain_copy

    path = schema_file.with_name("values.yaml")
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _DEFAULTS:
        defaults = _read_defaults(path)
        if defaults is None:
            return None
        _DEFAULTS.clear()  # one chart per process: an edited file replaces its old reading
        _DEFAULTS[key] = defaults
    return plain_copy(_DEFAULTS[key])


def _read_defaults(path: Path) -> dict[str, Any] | None:
    import yaml

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
    from . import coalesce

    path = schema_path(chart_version, project_dir)
    if path is None:
        return None
    schema = _load(str(path))
    defaults = chart_defaults(path)
    if defaults is not None:
        return problems(coalesce(defaults, values), schema, str(path))
    return [line for line in problems(values, schema, str(path)) if ": missing " not in line]


def skipped_warning(chart_version: str) -> str:
    """The one line ``check`` prints when there is no schema to validate against."""
    named = os.environ.get(SCHEMA_ENV)
    where = (
        f"{SCHEMA_ENV} names no file"
        if named
        else f"not in ../shared/z2jh/{chart_version}/ nor the cache: `make chart` fetches it"
    )
    return (
        f"warning: chart schema validation skipped: no values.schema.json for chart "
        f"{chart_version} ({where})"
    )
