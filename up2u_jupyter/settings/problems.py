"""Validation errors -> the lines an operator reads: full key, the value (bounded, never a
secret), and the fix, every problem at once."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from .. import authenticators
from ..credentials import PROJECT, SECRET_KEYS
from ..dotted import MISSING, get_path
from ..errors import ConfigError, Problem, excerpt, shown_key
from ..secretrule import is_secret_name
from .fields import HIDDEN_VALUE, RuleError, _Hidden
from .models import Profile, Settings, Singleuser, profile_problems

# --- loading -----------------------------------------------------------------------------------


def load_settings(raw: Mapping[str, Any], stack: str) -> Settings:
    """Validate a stack's project config (keys without the ``up2u-jupyter:`` prefix).

    Secret keys must already be removed (see ``SECRET_KEYS``); raises ``ConfigError``.
    """
    try:
        settings = Settings.model_validate(dict(raw))
    except ValidationError as error:
        problems = [_problem_from_pydantic(e, raw) for e in error.errors()]
        # auth.options problems are found after the model validates; report them in this same
        # round when the rest of auth is unusable, so a fix does not reveal a second batch
        problems += [
            Problem(f"{PROJECT}:{key}", _with_value(value, message))
            for key, value, message in [*_raw_option_problems(raw), *_raw_profile_problems(raw)]
        ]
        raise ConfigError(stack, problems) from None
    problems = [
        Problem(f"{PROJECT}:{key}", _with_value(value, message))
        for key, value, message in settings.cross_field_problems()
    ]
    if problems:
        raise ConfigError(stack, problems)
    return settings


def _raw_option_problems(raw: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """auth.options/secretOptions problems read from the raw config (when they can be read)."""
    auth = raw.get("auth")
    if not isinstance(auth, Mapping):
        return []
    kind = auth.get("type", "generic-oauth")
    options = auth.get("options", {})
    secret_options = auth.get("secretOptions", {})
    if (
        not isinstance(kind, str)
        or not isinstance(options, Mapping)
        or not isinstance(secret_options, Mapping)
        or not all(isinstance(k, str) for k in [*options, *secret_options])
        or authenticators.unknown_type_message(kind) is not None
    ):
        return []
    return [
        (key, HIDDEN_VALUE if secret else value, message)
        for key, value, message, secret in authenticators.option_problems(
            kind, options, secret_options
        )
    ]


def _raw_profile_problems(raw: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """The rules across profiles, when profiles and singleuser validate on their own."""
    if not raw.get("profiles"):
        return []
    try:
        user = Singleuser.model_validate(raw.get("singleuser", {}))
        profiles: list[Profile] = TypeAdapter(list[Profile]).validate_python(raw["profiles"])
    except ValidationError:
        return []  # their own problems are in this round already
    return profile_problems(user, profiles)


def _with_value(value: Any, message: str) -> str:
    return f"{excerpt(value, secret=isinstance(value, _Hidden))}: {message}"


def _problem_from_pydantic(error: Any, raw: Mapping[str, Any]) -> Problem:
    loc = _data_path(error["loc"], raw)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, RuleError):
        loc += cause.field.split(".")
    kind = error["type"]
    key = f"{PROJECT}:{'.'.join(shown_key(part) for part in loc)}" if loc else PROJECT
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        import difflib  # only for 'did you mean': not on every run

        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6) if loc else []
        hint = (
            f"did you mean {'.'.join([*loc[:-1], close[0]])}?"
            if close
            else (f"known keys here: {', '.join(sorted(known))}")
        )
        return Problem(key, f"unknown key; {hint}")
    value = get_path(raw, loc)
    secret = bool(loc) and is_secret_name(loc[-1])
    shown = "not set" if value is MISSING else excerpt(value, secret=secret)
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return Problem(key, "required but not set; set it")
    if kind in ("literal_error", "enum"):
        return Problem(key, f"{shown}: {message}")
    if (
        kind.endswith("_type")
        or kind.endswith("_parsing")
        or kind in ("greater_than", "greater_than_equal", "string_too_short")
    ):
        return Problem(key, f"{shown}: {message[0].lower()}{message[1:]}; fix the value")
    return Problem(key, f"{shown}: {message}")


def _data_path(loc: Any, raw: Mapping[str, Any]) -> list[str]:
    """The config keys of a pydantic error location, without pydantic's own tags.

    pydantic puts validator and union tags (``function-after[...]``, ``[key]``, ``int``) in
    locations; a part is kept when it is a key of the data there, or a field name.
    """
    path: list[str] = []
    node: Any = raw
    for part in loc:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "bool")):
            continue
        else:
            node = None  # a field that is not in the data (e.g. missing)
        path.append(str(part))
    return path


def _known_keys(loc: list[str]) -> list[str]:
    """The camelCase keys accepted at a location of the contract (for 'did you mean')."""
    model: Any = Settings
    for part in loc:
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        field = fields.get(part)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    keys = [f.alias or name for name, f in model.model_fields.items()]
    if model is Settings:
        keys += list(SECRET_KEYS)
    return keys


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
