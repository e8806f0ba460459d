"""The effective deployment: the values Helm gets, what the chart's templates and hub read, and
the hub config the chart derives, with the literal writes of ``hub.extraConfig`` applied."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import authenticators
from ..chart import coalesce
from ..chart import files as chartfiles
from ..chart import schema as chartschema
from ..credentials import PROJECT
from ..dotted import MISSING, get_path
from ..errors import excerpt, shown_key
from ..settings import Settings
from .hubconfig import HubConfig, derive
from .lookups import HubValues
from .snippets import OPAQUE, Reading, Write, read


@dataclass(frozen=True)
class Finding:
    """One thing the effective deployment breaks: the key to change, what is wrong, the fix."""

    key: str
    """The full config key (``up2u-jupyter:helmValues.hub.config...``), or ``values <path>``
    for a value no config key sets (a chart default)."""
    message: str
    """The value (bounded, never a secret), what is wrong, and the fix, in one sentence."""
    warning: bool = False
    """A warning (deploys anyway) rather than an error (refused)."""

    def line(self, stack: str) -> str:
        """The line ``check``, the program and the policy pack print."""
        return f"{self.key} (stack {shown_key(stack)}): {self.message}"


@dataclass
class Deployment:
    """What the cluster will run for one stack, and where each part of it comes from."""

    settings: Settings
    """The typed intent: what the stack's config keys say."""
    values: dict[str, Any]
    """The release's values (``helmValues`` merged last), as Helm gets them."""
    chart_values: dict[str, Any]
    """What the chart's templates and hub read: the values over the chart's defaults."""
    defaults: bool
    """Whether the chart's own ``values.yaml`` was found (else the chart's pods are not judged:
    their security contexts are its defaults)."""
    hub: HubConfig
    """The hub's config as the chart derives it, with the literal ``extraConfig`` writes."""
    intent: HubConfig
    """The hub's config the typed keys alone render (no ``helmValues``, no snippet writes)."""
    intent_values: dict[str, Any] = field(default_factory=dict)
    """What the chart reads from the typed keys alone (``chart_values`` without helmValues)."""
    readings: list[Reading] = field(default_factory=list)
    """What each of the stack's own ``hub.extraConfig`` snippets writes (the program's are not
    judged: values.py renders them)."""
    secret_env: tuple[str, ...] = ()
    """The stack's secretEnv entry names (never values)."""
    stack: str = "<stack>"
    """The stack's name (for the commands a fix quotes)."""

    @property
    def opaque(self) -> list[Write]:
        """Writes of the stack's snippets that are not literals: they cannot be judged."""
        return [w for reading in self.readings for w in reading.writes if not w.literal]

    def chart_map(self, *path: str) -> Mapping[str, Any]:
        """The map at ``path`` in the chart's values; an empty one where what is there is not a
        map. helmValues can put a list anywhere: the chart's schema names that, when it is
        here, and the invariants judge the rest without it."""
        node: Any = self.chart_values
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else {}

    def key(self, *path: Any) -> str:
        """The config key a values path comes from: the ``helmValues`` entry that sets it, the
        typed key that renders it, or ``values <path>`` (a chart default)."""
        from .keys import config_key

        return config_key(self, tuple(path))

    def auth_class(self) -> authenticators.AuthenticatorClass:
        """The class the typed ``auth.type`` names (the settings refuse any other)."""
        return authenticators.class_of(self.settings.auth.type)

    def auth_sections(self) -> tuple[str, ...]:
        """The config sections the typed authenticator reads, most specific first."""
        return self.auth_class().sections


def resolve(hub: HubConfig, sections: Sequence[str], trait: str) -> tuple[Any, str | None]:
    """The value a class whose config sections are ``sections`` (most specific first) gets for
    a trait, and the section it comes from; (MISSING, None) when none sets it."""
    for section in sections:
        value = hub.sections.get(section, {}).get(trait, MISSING)
        if value is not MISSING:
            return value, section
    return MISSING, None


def effective(
    settings: Settings,
    values: Mapping[str, Any],
    secret_env: Collection[str] = (),
    project_dir: Path = chartfiles.PROJECT_ROOT,
    stack: str = "<stack>",
) -> Deployment:
    """The effective deployment of a stack whose release gets ``values``."""
    from ..render import offline_values

    defaults = _chart_defaults(settings.chart.version, project_dir)
    chart_values = coalesce(defaults, values) if defaults is not None else dict(values)
    hub = _derive(settings, chart_values)
    typed = offline_values(settings.model_copy(update={"helm_values": {}}), secret_env)
    if defaults is not None:
        typed = coalesce(defaults, typed)
    intent = _derive(settings, typed)
    ours = {
        name: code
        for name, code in intent.extra_config
        if name not in settings.hub.extra_config  # rendered by values.py, not the stack's
    }
    readings = [read(name, code) for name, code in hub.extra_config if ours.get(name) != code]
    for reading in readings:
        for write in reading.writes:
            if write.literal:
                _apply(hub, write)
    return Deployment(
        settings=settings,
        values=dict(values),
        chart_values=chart_values,
        defaults=states_pod_security(defaults),
        hub=hub,
        intent=intent,
        intent_values=typed,
        readings=readings,
        secret_env=tuple(sorted(secret_env)),
        stack=stack,
    )


def _derive(settings: Settings, values: Mapping[str, Any]) -> HubConfig:
    return derive(HubValues(values), release=settings.release_name, namespace=settings.namespace)


def _chart_defaults(version: str, project_dir: Path) -> dict[str, Any] | None:
    path = chartschema.schema_path(version, project_dir)
    return None if path is None else chartschema.chart_defaults(path)


def states_pod_security(defaults: Mapping[str, Any] | None) -> bool:
    """Whether a chart's values.yaml gives its pods their security contexts, as every 4.x
    release's does (a stand-in chart without them would make every chart pod look unhardened)."""
    hub = (defaults or {}).get("hub")
    return isinstance(hub, Mapping) and isinstance(hub.get("containerSecurityContext"), Mapping)


def _apply(hub: HubConfig, write: Write) -> None:
    """A literal write of a snippet, applied as traitlets would apply it to the config."""
    current = hub.get(write.section, write.trait, MISSING)
    value: Any
    if write.kind == "set":
        value = write.value
    elif write.kind in ("item", "setdefault", "update"):
        if current is not MISSING and not isinstance(current, Mapping):
            return
        value = dict(current) if current is not MISSING else {}
        if write.kind == "item":
            value[write.key] = write.value
        elif write.kind == "setdefault":
            value.setdefault(write.key, write.value)
        elif isinstance(write.value, Mapping):
            value.update(write.value)
        else:
            return
    elif write.kind in ("append", "extend"):
        if current is not MISSING and not isinstance(current, list):
            return
        value = list(current) if current is not MISSING else []
        if write.kind == "append":
            value.append(write.value)
        elif isinstance(write.value, list):
            value.extend(write.value)
        else:
            return
    else:
        return
    hub.set(write.section, write.trait, value, "hub", "extraConfig", write.snippet)


def shown(value: Any) -> str:
    """A value for a finding: a list of names as the names (bounded), anything else excerpted."""
    if isinstance(value, list | tuple | set) and all(isinstance(v, str | int) for v in value):
        return "[]" if not value else excerpt(", ".join(str(v) for v in value))
    return excerpt(value)


def snippet_key(snippet: str) -> str:
    """The config key of a ``hub.extraConfig`` entry of the stack."""
    return f"{PROJECT}:hub.extraConfig.{shown_key(snippet)}"


__all__ = ["MISSING", "OPAQUE", "Deployment", "Finding", "effective", "get_path", "resolve"]
