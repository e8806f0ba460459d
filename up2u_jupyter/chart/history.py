"""What changed in the z2jh chart's values from 0.7 to 4.4.0: data only, one table per concern.

Read by the importer (what an old key means now, and which chart an old file was written for)
and by ``chart.rules`` (which old keys chart 4.4.0 refuses at template time). When the next chart
version renames, removes or refuses a key, the change is an entry here, with the version that
made it and where that is written down, not a change to the code that reads it.

Sources, cited per entry: the chart's changelog (``docs/source/changelog.md`` of
jupyterhub/zero-to-jupyterhub-k8s, read at 0202b918), its 4.4.0 ``values.schema.json`` (notes
such as "Removed in version 2.0.0") and its 4.4.0 ``templates/NOTES.txt`` (the "BREAKING" block
that fails a render).
"""

from dataclasses import dataclass, field

from ..dotted import MISSING, get_path
from . import VERSION

KeyPath = tuple[str, ...]
Version = tuple[int, int]

TARGET_CHART = VERSION
"""The chart the converted stack deploys."""

CHART_TOP_LEVEL = frozenset(
    {
        "enabled",
        "fullnameOverride",
        "nameOverride",
        "imagePullSecret",
        "imagePullSecrets",
        "hub",
        "proxy",
        "singleuser",
        "scheduling",
        "ingress",
        "httpRoute",
        "prePuller",
        "custom",
        "cull",
        "debug",
        "rbac",
        "global",
    }
)
"""Top-level keys of the chart 4.4.0 values: what may pass through to helmValues."""

OLD_TOP_LEVEL = frozenset({"auth"})
"""Top-level keys that only older charts had (``auth``: until 0.11, see REMOVED)."""


def version(text: str) -> Version | None:
    """``0.9.1`` / ``v1.2`` / ``3`` -> (major, minor); None when the text is not a version."""
    parts = text.strip().lstrip("v").split(".")
    try:
        major = int(parts[0])
        minor = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except ValueError:
        return None
    return major, minor


def shown_version(at: Version) -> str:
    """(0, 10) -> ``0.10``."""
    return f"{at[0]}.{at[1]}"


# --- eras: what a key meant when it was left at the chart's default ---------------------------


@dataclass(frozen=True)
class Era:
    """Defaults of a range of chart versions (``since`` up to, not including, ``until``).

    A default is ``None`` when the range spans versions that differ on it: the file did not
    say which, so whoever needs that default asks for ``--from-chart``.
    """

    name: str
    https_enabled_by_default: bool | None
    """``proxy.https.enabled`` when the file leaves it out (true before 0.10)."""
    oauth_allows_all_without_rule: bool | None
    """OAuthenticator before 16 (chart < 3.0) let every signed-in user in without a rule."""
    hub_allows_all_without_rule: bool | None
    """JupyterHub before 5 (chart < 4.0) let every signed-in user in without a rule."""
    jupyterhub: str
    """The JupyterHub version the chart ran, as the report names it."""
    since: Version | None = None
    until: Version | None = None


ERAS: dict[str, Era] = {
    "0.7-0.9": Era("0.7-0.9", True, True, True, "0.9 to 1.1", None, (0, 10)),
    "0.10-0.11": Era("0.10-0.11", False, True, True, "1.2 to 1.3", (0, 10), (1, 0)),
    "1.x-2.x": Era("1.x-2.x", False, True, True, "1.3 to 3.1", (1, 0), (3, 0)),
    "3.x": Era("3.x", False, False, True, "4.0/4.1 with OAuthenticator 16", (3, 0), (4, 0)),
    "4.x": Era("4.x", False, False, False, "5.x", (4, 0), None),
}
"""Chart version ranges whose defaults differ (changelog: 0.10.0 "explicitly required to set
proxy.https.enabled"; 3.0.0 OAuthenticator 16; 4.0.0 JupyterHub 5)."""


def era_of(text: str) -> Era | None:
    """The era of a chart version such as ``0.9.0``, ``1.2`` or ``3``; None if not a version."""
    at = version(text)
    if at is None:
        return None
    return next(era for era in ERAS.values() if _within(at, era.since, era.until))


def era_between(since: Version | None, until: Version | None) -> Era:
    """The defaults every chart in [since, until) agrees on (None where they differ)."""
    eras = [era for era in ERAS.values() if _overlaps(era, since, until)]
    if len(eras) == 1:
        return eras[0]

    def agreed(name: str) -> bool | None:
        seen = {getattr(era, name) for era in eras}
        return seen.pop() if len(seen) == 1 else None

    return Era(
        span_name(since, until),
        agreed("https_enabled_by_default"),
        agreed("oauth_allows_all_without_rule"),
        agreed("hub_allows_all_without_rule"),
        f"{eras[0].jupyterhub.split(' ')[0]} to {eras[-1].jupyterhub.split(' ')[-1]}",
        since,
        until,
    )


UNKNOWN_ERA = Era("of an unknown version", None, None, None, "of its time")
"""What a file whose keys disagree about its chart version tells of its defaults: nothing."""


def span_name(since: Version | None, until: Version | None) -> str:
    """How the report names a range of chart versions."""
    if since is None and until is None:
        return "of any version"
    if since is None:
        return f"<{shown_version(until)}"  # type: ignore[arg-type]
    if until is None:
        return f">={shown_version(since)}"
    return f">={shown_version(since)} <{shown_version(until)}"


def _within(at: Version, since: Version | None, until: Version | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def _overlaps(era: Era, since: Version | None, until: Version | None) -> bool:
    low_ok = until is None or era.since is None or era.since < until
    high_ok = since is None or era.until is None or since < era.until
    return low_ok and high_ok


CHART_IMAGES = {
    "jupyterhub/k8s-hub": ("hub", "image"),
    "jupyterhub/k8s-image-awaiter": ("prePuller", "hook", "image"),
    "jupyterhub/k8s-secret-sync": ("proxy", "secretSync", "image"),
    "jupyterhub/k8s-network-tools": ("singleuser", "networkTools", "image"),
    "jupyterhub/k8s-singleuser-sample": ("singleuser", "image"),
}
"""Images the chart builds and tags with its own version: their tag dates the old file. Any
registry may serve them (``quay.io/jupyterhub/k8s-hub``, a local mirror ``10.0.0.5:5000/
jupyterhub/k8s-hub``): the name is matched from its end."""


def chart_image(name: str) -> bool:
    """Whether an image name is one of the chart's own (CHART_IMAGES), from any registry."""
    return any(name == own or name.endswith(f"/{own}") for own in CHART_IMAGES)


# --- keys renamed, moved, removed or added ------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """Chart 4.4.0 fails the render when the key is present (even as null: ``hasKey``)."""

    source: str
    """Where: the template and its condition."""
    message: str
    """What the chart prints, word for word."""


@dataclass(frozen=True)
class Renamed:
    """A key that moved: its value means the same under the new path."""

    new: KeyPath
    version: str
    """The chart version that made the change ("" for keys that were never the chart's)."""
    also: tuple[KeyPath, ...] = ()
    """Further keys that take the same value (one old switch became several)."""
    refused: Refused | None = None
    default: object = None
    """The chart 4.4.0 default of the new keys, when the old value equal to it needs no key
    (None: always carried)."""


@dataclass(frozen=True)
class Removed:
    """A key the chart dropped, with its successor if it has one (said in words)."""

    version: str
    reason: str
    refused: Refused | None = None
    enforced: bool = False
    """The chart refused the key from ``version`` on (before 1.0, charts ignored keys they no
    longer read, so a removed key could linger in a working file until 1.0)."""


_NOTES = "templates/NOTES.txt (chart 4.4.0, the BREAKING block)"

RENAMED: dict[KeyPath, Renamed] = {
    ("rbac", "enabled"): Renamed(
        ("rbac", "create"),
        "2.0",
        also=tuple(
            (*component, "serviceAccount", "create")
            for component in (
                ("hub",),
                ("proxy", "traefik"),
                ("scheduling", "userScheduler"),
                ("prePuller", "hook"),
            )
        ),
        refused=Refused(
            f'{_NOTES}: hasKey .Values.rbac "enabled"',
            "CHANGED: rbac.enabled must as of version 2.0.0 be configured via rbac.create and "
            "<hub|proxy.traefik|scheduling.userScheduler|prePuller.hook>.serviceAccount.create.",
        ),
        default=True,
    ),
    ("hub", "fsGid"): Renamed(
        ("hub", "podSecurityContext", "fsGroup"),
        "2.0",
        refused=Refused(
            f'{_NOTES}: hasKey .Values.hub "fsGid"',
            "CHANGED: hub.fsGid must as of version 2.0.0 be configured via "
            "hub.podSecurityContext.fsGroup.",
        ),
    ),
    ("proxy", "nodeSelector"): Renamed(("proxy", "chp", "nodeSelector"), "1.0"),
    ("proxy", "tolerations"): Renamed(("proxy", "chp", "tolerations"), "1.0"),
    # changelog 0.10.0, breaking changes
    ("proxy", "networkPolicy"): Renamed(("proxy", "chp", "networkPolicy"), "0.10"),
    ("proxy", "containerSecurityContext"): Renamed(
        ("proxy", "chp", "containerSecurityContext"), "0.10"
    ),
    # changelog 0.11.0, #1938
    ("proxy", "pdb"): Renamed(("proxy", "chp", "pdb"), "0.11"),
    ("hub", "uid"): Renamed(("hub", "containerSecurityContext", "runAsUser"), "1.0"),
    ("singleuser", "imagePullSecret"): Renamed(("imagePullSecret",), "0.10"),
    ("hub", "imagePullSecret"): Renamed(("imagePullSecret",), "0.10"),
    # never chart keys, but what their authors meant has one
    ("singleuser", "imagePullSecrets"): Renamed(("singleuser", "image", "pullSecrets"), ""),
    ("singleuser", "podSecurityContext", "fsGroup"): Renamed(("singleuser", "fsGid"), ""),
}
"""Old path -> new path (the value is carried to helmValues under the new path)."""

_PINNED = "chart 4.4.0 pins its own {} image; an old tag would run one it was not built for"

REMOVED: dict[KeyPath, Removed] = {
    # changelog 0.11.0: "auth configuration moves to hub.config" (#1943); 0.11 aborted on it
    ("auth",): Removed("0.11", "moved to hub.config in chart 0.11", enforced=True),
    ("hub", "extraConfigMap"): Removed(
        "1.0", "removed in chart 1.0; its successor is `custom` (read with z2jh.get_config)"
    ),
    ("proxy", "nginx"): Removed(
        "0.8", "the nginx/kube-lego HTTPS sidecar was removed in chart 0.8; HTTPS is https.mode"
    ),
    ("proxy", "lego"): Removed("0.8", "kube-lego was removed in chart 0.8; HTTPS is https.mode"),
    ("singleuser", "schedulerStrategy"): Removed(
        "0.8",
        "removed in chart 0.8; its successor is the user scheduler (scheduling.userScheduler), "
        "which packs user pods onto the fewest nodes",
    ),
    ("singleuser", "cloudMetadata", "enabled"): Removed(
        "1.0", "renamed and inverted: singleuser.cloudMetadata.blockWithIptables (chart 0.10)"
    ),
    ("proxy", "chp", "cmd"): Removed(
        "1.0", "removed in chart 1.0; its successor is proxy.chp.extraCommandLineFlags"
    ),
    ("scheduling", "userScheduler", "policy"): Removed(
        "1.0", "kube-scheduler policies were replaced by plugins in chart 1.0; 4.4.0's own apply"
    ),
    ("scheduling", "userScheduler", "plugins"): Removed(
        "2.0",
        "written for an older kube-scheduler (plugin names changed in chart 2.0); chart 4.4.0's "
        "own plugin set packs user pods as the old one did",
    ),
    ("hub", "replicas"): Removed(
        "", "never a chart key: the chart runs one hub (JupyterHub does not run replicas)"
    ),
    ("proxy", "chp", "replicas"): Removed(
        "", "never a chart key: configurable-http-proxy keeps its routes in memory, so one runs"
    ),
    ("proxy", "chp", "image"): Removed("", _PINNED.format("proxy")),
    ("proxy", "traefik", "image"): Removed("", _PINNED.format("Traefik")),
    ("proxy", "secretSync", "image"): Removed("", _PINNED.format("secret-sync")),
    ("singleuser", "networkTools", "image"): Removed("", _PINNED.format("network-tools")),
    ("prePuller", "hook", "image"): Removed("", _PINNED.format("image-awaiter")),
    ("prePuller", "pause", "image"): Removed("", _PINNED.format("pause")),
    ("scheduling", "userScheduler", "image"): Removed("", _PINNED.format("kube-scheduler")),
    ("scheduling", "userPlaceholder", "image"): Removed("", _PINNED.format("pause")),
}
"""Old path -> why it is not carried (and what replaced it)."""

ADDED: dict[KeyPath, tuple[str, str]] = {
    ("imagePullSecret",): ("0.10", "changelog 0.10.0, #1794"),
    ("proxy", "chp", "networkPolicy"): ("0.10", "changelog 0.10.0, breaking changes"),
    ("proxy", "chp", "containerSecurityContext"): ("0.10", "changelog 0.10.0, breaking changes"),
    ("proxy", "chp", "extraEnv"): ("0.10", "changelog 0.10.0, #1784"),
    ("proxy", "chp", "extraCommandLineFlags"): ("0.10", "changelog 0.10.0, #1813"),
    ("singleuser", "cloudMetadata", "blockWithIptables"): ("0.10", "changelog 0.10.0, #1805"),
    ("hub", "config"): ("0.11", "changelog 0.11.0: hub.config passthrough, #1943"),
    ("proxy", "chp", "pdb"): ("0.11", "changelog 0.11.0, #1938"),
    ("hub", "extraFiles"): ("1.0", "changelog 1.0.0 highlights, #2006"),
    ("singleuser", "extraFiles"): ("1.0", "changelog 1.0.0 highlights, #2006"),
    ("hub", "podSecurityContext"): ("2.0", "NOTES.txt 4.4.0: hub.fsGid moved there in 2.0.0"),
    ("singleuser", "networkPolicy", "egressAllowRules"): ("2.0", "schema 4.4.0: added 2.0.0"),
    ("httpRoute",): ("4.0", "a chart 4.x key (values.schema.json 4.4.0)"),
}
"""Keys that appeared in a chart version: a file that has one is at least that recent. (Bounds
are kept loose where the exact release is not written down: they only ever narrow the era.)"""


@dataclass(frozen=True)
class Bound:
    """The chart versions a key's presence allows: [since, until)."""

    path: KeyPath
    since: Version | None = None
    until: Version | None = None
    why: str = field(default="", compare=False)


_LINGER_UNTIL = (1, 0)
"""Charts before 1.0 had no values schema and ignored keys they no longer read (changelog
1.0.0: "Schema validation of chart config"), so a key removed before 1.0 only dates a file as
older than 1.0."""


def bounds(values: dict[str, object]) -> list[Bound]:
    """What each key of a values file says about its chart version (only keys that say so)."""
    found = []
    changes: list[tuple[KeyPath, Renamed | Removed]] = [*RENAMED.items(), *REMOVED.items()]
    for path, change in changes:
        at = version(change.version) if change.version else None
        if at is None or not _present(values, path):
            continue
        enforced = isinstance(change, Removed) and change.enforced
        until = at if enforced or at >= _LINGER_UNTIL else _LINGER_UNTIL
        verb = "moved" if isinstance(change, Renamed) else "removed"
        found.append(Bound(path, until=until, why=f"chart {change.version} {verb} it"))
    for path, (since, _source) in ADDED.items():
        at = version(since)
        if at is not None and _present(values, path):
            found.append(Bound(path, since=at, why=f"added in chart {since}"))
    return found


def _present(values: object, path: KeyPath) -> bool:
    return get_path(values, path) is not MISSING


def refused_keys() -> dict[KeyPath, tuple[Refused, KeyPath | None, str]]:
    """Keys chart 4.4.0 refuses at template time -> (why, successor, version that moved it)."""
    found: dict[KeyPath, tuple[Refused, KeyPath | None, str]] = {}
    for path, renamed in RENAMED.items():
        if renamed.refused is not None:
            found[path] = (renamed.refused, renamed.new, renamed.version)
    for path, removed in REMOVED.items():
        if removed.refused is not None:
            found[path] = (removed.refused, None, removed.version)
    return found
