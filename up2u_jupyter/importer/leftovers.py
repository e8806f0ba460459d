"""What no section converter took: secrets first, then renamed, removed and passed-through keys.

Every remaining leaf gets one report line. Secrets (by the project's one secret rule) are never
carried; the line says how to supply each. The rest goes to helmValues under its chart 4.4.0 path
when the chart still has the key and the value fits it (judged by the chart's own schema when it
is available), and is dropped with the reason otherwise.
"""

from typing import Any

from ..chart.schema import subschema, value_problem
from ..secretrule import is_reference, is_secret_name, leaf, replace_leaf, secret_leaves
from .history import CHART_TOP_LEVEL, REMOVED, RENAMED, KeyPath
from .model import Conversion, kind, leaves


def convert_secrets(c: Conversion) -> None:
    """Secret-looking values no converter took: reported with how to supply each, never kept."""
    # last first: removing a list's env entry must not shift the ones still to remove
    for path in reversed(list(secret_leaves(c.source))):
        if is_reference(leaf(c.source, path)):
            continue
        value = replace_leaf(c.source, path)
        if value is None:
            continue
        c.note(path, "secret", f"not copied; {_how(path)}")
        if path[:1] == ("imagePullSecret",):
            _drop_pull_secret(c)


PULL_SECRET_NAME = "image-pull-secret"
"""The name the chart gives the registry Secret it creates (``imagePullSecret.create``) and
injects into every pod (``automaticReferenceInjection``): what old pods refer to."""


def _drop_pull_secret(c: Conversion) -> None:
    """The rest of a registry credential whose password was not copied.

    Passed through without its password, ``imagePullSecret.create: true`` would make the chart
    render a pull Secret with no password (its schema refuses that): the registry, user and
    e-mail go into a docker-registry Secret of the same name the operator creates, and every
    pod keeps referring to it (``imagePullSecrets``), as the chart's injection did.
    """
    rest = c.source.get("imagePullSecret")
    if not isinstance(rest, dict):
        return
    created = rest.get("create") is True and rest.get("automaticReferenceInjection") is not False
    for key in list(rest):
        c.note(
            ("imagePullSecret", str(key)),
            "dropped",
            "part of the registry credentials: give it to kubectl create secret "
            "docker-registry with the password",
        )
    del c.source["imagePullSecret"]
    if not created:
        return
    names = c.source.setdefault("imagePullSecrets", [])
    if isinstance(names, list) and PULL_SECRET_NAME not in names:
        names.append(PULL_SECRET_NAME)
    where = c.where("imagePullSecret")
    c.notice(
        f"{where}: the chart made the registry Secret {PULL_SECRET_NAME} from these credentials; "
        f"the stack does not hold them, so create it before deploying: kubectl create secret "
        f"docker-registry {PULL_SECRET_NAME} -n NAMESPACE --docker-server=<{where}.registry> "
        f"--docker-username=<{where}.username> --docker-password=<{where}.password> (every "
        "pod still refers to it through helmValues.imagePullSecrets)"
    )


def _how(path: tuple[str, ...]) -> str:
    """How to supply a secret found at ``path`` in the new stack."""
    if path[:1] == ("imagePullSecret",) or "imagePullSecret" in path:
        return (
            "create the registry credentials as a docker-registry Secret (kubectl create secret "
            "docker-registry NAME ...) and list NAME in helmValues.imagePullSecrets"
        )
    if path[:1] == ("custom",):
        return (
            "custom values are Helm values: put it in secretEnv (pulumi config set --secret "
            "--path 'up2u-jupyter:secretEnv.NAME' <value>) and read os.environ['NAME'] in "
            "hub.extraConfig instead of z2jh.get_config"
        )
    if path[:2] == ("singleuser", "extraEnv"):
        return (
            "keep it in a Kubernetes Secret and read it with helmValues.singleuser.extraEnv."
            f"{path[-1]}.valueFrom.secretKeyRef"
        )
    if path[:1] == ("hub",):
        return (
            "put it in secretEnv (pulumi config set --secret --path 'up2u-jupyter:secretEnv.NAME' "
            "<value>): the hub reads it from its environment"
        )
    return "it would sit in Helm's release history in plain text; keep it in a Kubernetes Secret"


def report_parent(c: Conversion, parent_keys: tuple[KeyPath, ...]) -> None:
    """The parent charts' own keys: named, never imported."""
    for path in parent_keys:
        c.out.report.append(
            _line(
                path,
                "parent",
                "belongs to the parent chart, not z2jh: not imported (deploy "
                "what it configures with the parent chart, or in Pulumi)",
            )
        )


def _line(path: KeyPath, action: Any, detail: str) -> Any:
    from .model import ReportLine, shown

    return ReportLine(shown(path), action, detail)


def convert_leftovers(c: Conversion, schema: Any) -> None:
    """Every remaining leaf: renamed, removed, passed through or dropped (see module doc)."""
    mistyped: set[KeyPath] = set()
    for path, value in list(leaves(c.source)):
        if any(path[:n] in mistyped for n in range(1, len(path))):
            continue
        if not all(isinstance(part, str) for part in path):
            c.note(
                path,
                "dropped",
                "a key that is not text (a number, true/false or null); "
                "quote it in the old file if it was meant as text",
            )
            continue
        removed, renamed = _under(REMOVED, path), _under(RENAMED, path)
        if removed is not None:
            c.note(path, "dropped", REMOVED[removed].reason)
        elif value is None:
            c.note(path, "dropped", "null: the chart's default applies")
        elif value in ({}, []):
            c.note(path, "dropped", "empty: nothing to carry")
        elif renamed is not None:
            _renamed(c, path, renamed, value, schema)
        elif path[0] in CHART_TOP_LEVEL:
            parent = _scalar_parent(schema, path)
            if parent is not None:
                mistyped.add(parent[0])
                c.note(parent[0], "dropped", f"a map where chart 4.4.0 wants {parent[1]}; fix it")
                continue
            _pass(c, path, path, value, schema, "not modelled by the stack config; passed through")
        else:
            c.note(path, "dropped", "not a key of chart 4.4.0 values")


def _renamed(c: Conversion, path: KeyPath, renamed: KeyPath, value: Any, schema: Any) -> None:
    """A key the chart moved: its value under the new path (and the paths it also became)."""
    change = RENAMED[renamed]
    rest = path[len(renamed) :]
    targets = [(*change.new, *rest), *((*also, *rest) for also in change.also)]
    where = ", ".join(".".join(target) for target in targets)
    if change.default is not None and value == change.default:
        c.note(
            path,
            "dropped",
            f"moved in chart {change.version} to {where}, whose chart 4.4.0 default is the same",
        )
        return
    why = (
        f"moved in chart {change.version}"
        if change.version
        else ("never a chart key; the chart's own is this")
    )
    for target in targets:
        _pass(c, path, target, value, schema, why)


def _pass(c: Conversion, old: KeyPath, new: KeyPath, value: Any, schema: Any, why: str) -> None:
    if is_secret_name(new[-1]) and value not in (None, "", False):
        c.note(old, "secret", "not copied; it would sit in Helm's release history")
        return
    if schema is not None:
        sub = subschema(schema, new)
        if sub is None:
            c.note(old, "dropped", "not a key of chart 4.4.0 values (its schema refuses it)")
            return
        problem = value_problem(sub, value)
        if problem is not None:
            c.note(old, "dropped", f"{kind(value)} the chart 4.4.0 schema refuses here ({problem})")
            return
    c.helm(new, value, old, why)


def _scalar_parent(schema: Any, path: KeyPath) -> tuple[KeyPath, str] | None:
    """The first map on the path where the chart's schema wants a plain value, and what."""
    if schema is None:
        return None
    for length in range(1, len(path)):
        sub = subschema(schema, path[:length])
        if not sub:
            return None
        if "enum" in sub:
            return path[:length], "one of " + ", ".join(map(str, sub["enum"]))
        kinds = sub.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if kinds and "object" not in kinds:
            return path[:length], " or ".join(kinds)
    return None


def _under(table: dict[KeyPath, Any], path: KeyPath) -> KeyPath | None:
    """The entry of ``table`` that ``path`` is, or lies under (the longest one)."""
    for length in range(len(path), 0, -1):
        if path[:length] in table:
            return path[:length]
    return None
