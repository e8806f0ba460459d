"""Environment values as text: what an old file's ``extraEnv`` numbers and true/false meant.

Charts before 1.0 quoted every ``hub.extraEnv`` value into the pod (``{{ $value | quote }}``);
chart 4.4.0 fails the render on one that is not text, and KubeSpawner 7 cannot start a user
server with one in ``singleuser.extraEnv`` (see ``chart.rules``). The value the author wrote is
written as the text it stands for, with a report line; a null (no value at all) is dropped.
"""

from typing import Any

from .model import Conversion, kind

ENVIRONMENTS = (
    ("hub", "extraEnv"),
    ("proxy", "chp", "extraEnv"),
    ("proxy", "traefik", "extraEnv"),
    ("singleuser", "extraEnv"),
)
"""The chart's environment maps (and lists of ``{name, value}``)."""


def as_text(value: bool | int | float) -> str:
    """The text a YAML scalar stands for: ``true``, ``5432``, ``0.5``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def text_environments(c: Conversion) -> None:
    """Every environment value of the old file that is a number or true/false, as text."""
    for path in ENVIRONMENTS:
        env = c.get(*path)
        if isinstance(env, dict):
            for name in list(env):
                _one(c, (*path, str(name)), env, name)
        elif isinstance(env, list):
            for entry in list(env):
                if isinstance(entry, dict) and "value" in entry and "name" in entry:
                    where = (*path, str(entry["name"]))
                    if entry["value"] is None:
                        env.remove(entry)
                        c.note(where, "dropped", "null: the variable had no value")
                    else:
                        _one(c, where, entry, "value")


def _one(c: Conversion, where: tuple[str, ...], holder: dict[Any, Any], key: Any) -> None:
    value = holder[key]
    if value is None:
        del holder[key]
        c.note(where, "dropped", "null: the variable had no value")
    elif isinstance(value, bool | int | float):
        holder[key] = as_text(value)
        c.note(
            where,
            "era",
            f"{kind(value)}, written as text: chart 4.4.0 and KubeSpawner take only text here "
            "(charts before 1.0 quoted it)",
        )
