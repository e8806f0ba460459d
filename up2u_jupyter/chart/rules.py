"""What chart 4.4.0 refuses beyond its values schema: its templates' ``fail`` calls, and the
environment values Kubernetes refuses after the chart passed them on.

``problems(values)`` is a pure function of the final Helm values (the user values Helm gets,
before it merges the chart's defaults): ``check``, ``values`` and the importer call it next to
the schema validation, so that nothing they accept is refused by ``helm upgrade``. Each rule
cites the template it models (z2jh 4.4.0; notes in /work/research/chart-4.4.0.md section 3):

- ``templates/NOTES.txt``: a key chart 2.0 moved (``hub.fsGid``, ``rbac.enabled``; the table
  is ``chart.history.RENAMED``) fails the render when present, even as null (``hasKey``); so
  does blocking the cloud metadata server twice (``blockWithIptables`` with the NetworkPolicy
  rule ``egressAllowRules.cloudMetadataServer``).
- ``templates/_helpers.tpl`` ``jupyterhub.extraEnv``: in the map form of ``hub.extraEnv``,
  ``proxy.chp.extraEnv`` and (when the autohttps pod renders) ``proxy.traefik.extraEnv``, a
  value that is neither text nor a map fails ("had an unexpected type").
- ``_helpers.tpl`` ``jupyterhub.extraFiles.validate-file``: each ``hub.extraFiles`` and
  ``singleuser.extraFiles`` entry needs ``mountPath`` and exactly one of ``data``,
  ``stringData``, ``binaryData`` (``data`` only for .yaml/.yml/.json/.toml files).
- ``singleuser.extraEnv`` (and a profile's ``environment``) is not rendered by the chart: it
  reaches KubeSpawner, whose ``make_pod`` (kubespawner 7.0 ``objects.py``) fails with a
  TypeError on a number and passes false or null on to a pod the API refuses (``EnvVar.value``
  is a string), so no user server starts. The list form
  of the chart's own environments is copied by ``toYaml``, and Kubernetes refuses it
  (``EnvVar.value`` is a string).

It imports nothing heavy: it runs on every ``check``.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..dotted import MISSING, get_path
from .history import TARGET_CHART, KeyPath, refused_keys


@dataclass(frozen=True)
class ChartProblem:
    """One thing the chart (or Kubernetes after it) refuses: the values key and what to do."""

    key: KeyPath
    message: str
    """One line: what is wrong, in the chart's words where it has some, and the fix."""
    source: str
    """The template (or API rule) that refuses it."""


DEFAULTS: dict[KeyPath, Any] = {
    ("singleuser", "cloudMetadata", "blockWithIptables"): True,
    ("singleuser", "networkPolicy", "enabled"): True,
    ("singleuser", "networkPolicy", "egressAllowRules", "cloudMetadataServer"): False,
    ("proxy", "https", "enabled"): False,
    ("proxy", "https", "type"): "letsencrypt",
    ("proxy", "https", "hosts"): [],
}
"""The chart 4.4.0 defaults (values.yaml) the rules read when the values leave a key out;
tests compare them with the chart's own values.yaml."""

_NOTES = "templates/NOTES.txt"
_HELPERS = "templates/_helpers.tpl"


def problems(values: Mapping[str, Any]) -> list[ChartProblem]:
    """Everything chart 4.4.0's templates (or the API server after them) refuse in ``values``."""
    return [
        *_refused_keys(values),
        *_cloud_metadata(values),
        *_chart_environments(values),
        *_extra_files(values),
        *_spawner_environments(values),
    ]


# --- Go template semantics ----------------------------------------------------------------------

_ABSENT = MISSING


def _lookup(values: Any, path: KeyPath) -> Any:
    return get_path(values, path)


def _effective(values: Mapping[str, Any], path: KeyPath) -> Any:
    """What ``.Values.<path>`` is in a template: the user's value over the chart default; a
    user null deletes a key the defaults have (Helm's coalesce), leaving nothing."""
    value = _lookup(values, path)
    if value is _ABSENT:
        return DEFAULTS.get(path)
    return value


def truthy(value: Any) -> bool:
    """Go template truth: false, 0, "", nil and empty maps and lists are false."""
    return value not in (None, False, 0, "") and value != {} and value != []


_GO_TYPES: tuple[tuple[Any, str], ...] = (
    (bool, "bool"),  # before int: True is an int to Python
    (int | float, "float64"),
    (str, "string"),
    (Mapping, "map[string]interface {}"),
    (list, "[]interface {}"),
)


def go_type(value: Any) -> str:
    """``typeOf`` of a value decoded from YAML by Helm (numbers from files are float64)."""
    if value is None:
        return "<nil>"
    return next((name for kind, name in _GO_TYPES if isinstance(value, kind)), "?")


def _kind(value: Any) -> str:
    return {
        "<nil>": "null",
        "bool": "true/false",
        "float64": "a number",
        "[]interface {}": "a list",
    }.get(go_type(value), "a value that is not text")


# --- the rules ----------------------------------------------------------------------------------


def _refused_keys(values: Mapping[str, Any]) -> Iterator[ChartProblem]:
    for path, (refused, successor, moved_in) in refused_keys().items():
        if _lookup(values, path) is _ABSENT:
            continue
        fix = (
            f"set {'.'.join(successor)} instead and remove {'.'.join(path)} (even a null counts)"
            if successor is not None
            else f"remove {'.'.join(path)}"
        )
        yield ChartProblem(
            path,
            f"chart {TARGET_CHART} fails the render ('{refused.message}', moved in chart "
            f"{moved_in}): {fix}",
            refused.source,
        )


def _cloud_metadata(values: Mapping[str, Any]) -> Iterator[ChartProblem]:
    block = ("singleuser", "cloudMetadata", "blockWithIptables")
    enabled = ("singleuser", "networkPolicy", "enabled")
    rule = ("singleuser", "networkPolicy", "egressAllowRules", "cloudMetadataServer")
    if truthy(_effective(values, block)) and (
        truthy(_effective(values, enabled)) and truthy(_effective(values, rule))
    ):
        yield ChartProblem(
            rule,
            f"chart {TARGET_CHART} fails the render ('CHANGED: singleuser.cloudMetadata."
            "blockWithIptables must as of version 3.0.0 not be configured together with "
            "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer as it leads to an "
            "ambiguous configuration.'): set singleuser.cloudMetadata.blockWithIptables to "
            "false to let user pods reach the metadata server, or remove this rule to keep "
            "it blocked",
            f"{_NOTES}: and .Values.singleuser.cloudMetadata.blockWithIptables (and "
            ".Values.singleuser.networkPolicy.enabled .Values.singleuser.networkPolicy."
            "egressAllowRules.cloudMetadataServer)",
        )


def _autohttps(values: Mapping[str, Any]) -> bool:
    """Whether the autohttps (Traefik) pod renders: HTTPS on, Let's Encrypt, some hosts."""
    return (
        truthy(_effective(values, ("proxy", "https", "enabled")))
        and _effective(values, ("proxy", "https", "type")) == "letsencrypt"
        and truthy(_effective(values, ("proxy", "https", "hosts")))
    )


def _chart_environments(values: Mapping[str, Any]) -> Iterator[ChartProblem]:
    """The environments the chart's own pods get through ``jupyterhub.extraEnv``."""
    paths: list[KeyPath] = [("hub", "extraEnv"), ("proxy", "chp", "extraEnv")]
    if _autohttps(values):
        paths.append(("proxy", "traefik", "extraEnv"))
    for path in paths:
        env = _lookup(values, path)
        if isinstance(env, Mapping):
            for name, value in env.items():
                if isinstance(value, str | Mapping):
                    continue
                yield ChartProblem(
                    (*path, str(name)),
                    f"{_kind(value)}; chart {TARGET_CHART} renders only text or a "
                    f"{{valueFrom: ...}} map here (it fails with '?.extraEnv.{name} had an "
                    f"unexpected type ({go_type(value)})'): quote the value",
                    f"{_HELPERS}: jupyterhub.extraEnv.withTrailingNewLine",
                )
        elif isinstance(env, list):
            yield from _env_list(
                path,
                env,
                "the chart copies the list as it is, and Kubernetes refuses an environment "
                "variable whose value is not text (EnvVar.value is a string)",
            )


def _spawner_environments(values: Mapping[str, Any]) -> Iterator[ChartProblem]:
    """Environments KubeSpawner puts into user pods: singleuser.extraEnv and profiles'."""
    why = (
        "KubeSpawner 7 cannot start a user server with it (make_pod fails on a number, and "
        "Kubernetes refuses an environment value that is not text)"
    )
    env = _lookup(values, ("singleuser", "extraEnv"))
    if isinstance(env, Mapping):
        yield from _env_map(("singleuser", "extraEnv"), env, why)
    elif isinstance(env, list):
        yield from _env_list(("singleuser", "extraEnv"), env, why)
    profiles = _lookup(values, ("singleuser", "profileList"))
    for index, profile in enumerate(profiles if isinstance(profiles, list) else []):
        override = profile.get("kubespawner_override") if isinstance(profile, Mapping) else None
        environment = override.get("environment") if isinstance(override, Mapping) else None
        if isinstance(environment, Mapping):
            path = ("singleuser", "profileList", str(index), "kubespawner_override", "environment")
            yield from _env_map(path, environment, why)


def _env_map(path: KeyPath, env: Mapping[str, Any], why: str) -> Iterator[ChartProblem]:
    for name, value in env.items():
        # KubeSpawner calls a map value's fields an EnvVar (valueFrom...); a callable is code
        if not isinstance(value, str | Mapping):
            yield _api_refuses((*path, str(name)), value, why)


def _env_list(path: KeyPath, env: list[Any], why: str) -> Iterator[ChartProblem]:
    for entry in env:
        if isinstance(entry, Mapping) and "value" in entry and not isinstance(entry["value"], str):
            yield _api_refuses((*path, str(entry.get("name"))), entry["value"], why)


def _api_refuses(key: KeyPath, value: Any, why: str) -> ChartProblem:
    return ChartProblem(
        key,
        f"{_kind(value)}; {why}: quote the value",
        "kubespawner 7.0 objects.make_pod; Kubernetes core/v1 EnvVar.value (string)",
    )


def _extra_files(values: Mapping[str, Any]) -> Iterator[ChartProblem]:
    source = f"{_HELPERS}: jupyterhub.extraFiles.validate-file"
    for section in ("hub", "singleuser"):
        files = _lookup(values, (section, "extraFiles"))
        if not isinstance(files, Mapping):
            continue
        for name, entry in files.items():
            key = (section, "extraFiles", str(name))
            entry = entry if isinstance(entry, Mapping) else {}
            mount = entry.get("mountPath")
            if not truthy(mount):
                yield ChartProblem(
                    key,
                    f"chart {TARGET_CHART} fails the render ('extraFiles entries ({name}) must "
                    "contain the field 'mountPath'.'): set mountPath",
                    source,
                )
                continue
            given = [
                field for field in ("data", "stringData", "binaryData") if truthy(entry.get(field))
            ]
            if len(given) != 1:
                yield ChartProblem(
                    key,
                    f"chart {TARGET_CHART} fails the render ('extraFiles entries ({name}) must "
                    "only contain one of the fields: 'data', 'stringData', and 'binaryData'.'): "
                    + (
                        "give the file's content in stringData (or data, binaryData)"
                        if not given
                        else f"keep one of {', '.join(given)}"
                    ),
                    source,
                )
                continue
            if given == ["data"] and not str(mount).endswith((".yaml", ".yml", ".json", ".toml")):
                yield ChartProblem(
                    key,
                    f"chart {TARGET_CHART} fails the render ('extraFiles entries with 'data' "
                    f"({name} > {mount}) needs to have a filename extension of .yaml, .yml, "
                    ".json, or .toml!'): use stringData for other files",
                    source,
                )
