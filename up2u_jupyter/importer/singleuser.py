"""``singleuser``: each user's server (image, resources, storage, environment, command)."""

import re
from typing import Any

from ..classes.spawn_rules import UP2U_GROUPS_KEY
from ..quantity import QuantityError, parse_quantity
from ..secretrule import is_secret_env
from ..settings.models import COLLABORATION_ENV, PROFILE_ENV
from .history import SINGLEUSER_CMD, STORAGE_TYPES_REMOVED
from .model import Conversion, kind


def convert_singleuser(c: Conversion) -> None:
    """The typed singleuser keys; everything else is left for leftovers (helmValues)."""
    url = c.get("singleuser", "defaultUrl")
    if isinstance(url, str) and url:
        c.put(
            "singleuser.defaultUrl",
            c.take("singleuser", "defaultUrl"),
            ("singleuser", "defaultUrl"),
        )
    for resource in ("cpu", "memory"):
        for part in ("limit", "guarantee"):
            _resource(c, resource, part)
    _image(c)
    _storage(c)
    _extra_env(c)
    _cmd(c)
    _cloud_metadata(c)
    _profiles(c)


def _resource(c: Conversion, resource: str, part: str) -> None:
    path = ("singleuser", resource, part)
    value = c.get(*path)
    if value is None or isinstance(value, bool):
        return  # null is the chart's default: leftovers say so
    try:
        amount = parse_quantity(value)
    except QuantityError:
        return  # left for leftovers, where the chart's schema judges it
    if amount < 0:
        return
    value = c.take(*path)
    binary = as_kubespawner_bytes(value) if resource == "memory" else None
    if binary is not None:
        c.put(
            f"singleuser.{resource}.{part}",
            binary,
            path,
            "K/M/G/T written as Ki/Mi/Gi/Ti: KubeSpawner read them as powers of 1024, this "
            "stack's quantities follow Kubernetes, so the deployed amount stays the same",
        )
        return
    c.put(f"singleuser.{resource}.{part}", value, path)


_DECIMAL_SUFFIX = re.compile(r"([0-9]+(?:\.[0-9]+)?)([KMGT])")


def as_kubespawner_bytes(value: Any) -> str | None:
    """The binary quantity an old memory value meant, when it used a K/M/G/T suffix.

    The chart hands ``singleuser.memory`` to KubeSpawner, which reads ``2G`` as 2 x 2^30
    bytes; this stack reads quantities as Kubernetes does (2 x 10^9). ``2G`` -> ``2Gi`` keeps
    the deployed limit exactly; None when there is nothing to translate.
    """
    match = _DECIMAL_SUFFIX.fullmatch(value) if isinstance(value, str) else None
    return f"{match[1]}{match[2]}i" if match else None


def _image(c: Conversion) -> None:
    image = c.get("singleuser", "image")
    if not isinstance(image, dict) or not isinstance(image.get("name"), str) or not image["name"]:
        return
    name = c.take("singleuser", "image", "name")
    tag = c.take("singleuser", "image", "tag")
    result = {"name": name} | ({"tag": str(tag)} if tag not in (None, "") else {})
    c.put(
        "singleuser.image",
        result,
        ("singleuser", "image", "name/tag"),
        "rebuild it on quay.io/jupyterhub/k8s-singleuser-sample:4.4.0 so that its jupyterhub "
        "package matches the hub",
    )


def _storage(c: Conversion) -> None:
    capacity = c.get("singleuser", "storage", "capacity")
    if capacity is not None and _quantity(capacity):
        c.put(
            "singleuser.storage.capacity",
            c.take("singleuser", "storage", "capacity"),
            ("singleuser", "storage", "capacity"),
        )
    storage_class = c.get("singleuser", "storage", "dynamic", "storageClass")
    if isinstance(storage_class, str) and storage_class:
        c.put(
            "singleuser.storage.storageClass",
            c.take("singleuser", "storage", "dynamic", "storageClass"),
            ("singleuser", "storage", "dynamic", "storageClass"),
        )
    kind_ = c.get("singleuser", "storage", "type")
    if kind_ == "dynamic":
        c.take("singleuser", "storage", "type")
        c.note(("singleuser", "storage", "type"), "dropped", "dynamic is the chart's default")
    elif isinstance(kind_, str) and kind_ in STORAGE_TYPES_REMOVED:
        c.take("singleuser", "storage", "type")
        new = STORAGE_TYPES_REMOVED[kind_]
        c.helm(
            ("singleuser", "storage", "type"),
            new,
            ("singleuser", "storage", "type"),
            f"{kind_} was dropped in chart 1.0; the chart made no home volume for it, as "
            f"{new} does now (extraVolumes provide the home)",
        )


def _quantity(value: Any) -> bool:
    try:
        return parse_quantity(value) >= 0
    except QuantityError:
        return False


def _extra_env(c: Conversion) -> None:
    env = c.get("singleuser", "extraEnv")
    if isinstance(env, dict):
        for name, value in list(env.items()):
            if is_secret_env(name, value):
                env.pop(name)
                _user_secret(c, ("singleuser", "extraEnv", str(name)))
        plain = all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        if env and plain:
            c.put(
                "singleuser.extraEnv", c.take("singleuser", "extraEnv"), ("singleuser", "extraEnv")
            )
        elif not env:
            c.take("singleuser", "extraEnv")
    elif isinstance(env, list):
        for index, entry in reversed(list(enumerate(env))):
            if isinstance(entry, dict) and is_secret_env(entry.get("name"), entry.get("value")):
                env.pop(index)
                _user_secret(c, ("singleuser", "extraEnv", str(entry["name"])))


def _user_secret(c: Conversion, where: tuple[str, ...]) -> None:
    c.note(
        where,
        "secret",
        "not copied: the stack's secretEnv reaches only the hub; keep it "
        "in a Kubernetes Secret and read it with helmValues.singleuser.extraEnv."
        f"{where[-1]}.valueFrom.secretKeyRef (name, key)",
    )


def _cmd(c: Conversion) -> None:
    cmd = c.get("singleuser", "cmd")
    words = cmd if isinstance(cmd, list) else [cmd] if isinstance(cmd, str) else None
    if not words or not all(isinstance(word, str) for word in words):
        return
    program = words[0].rpartition("/")[2]
    if program in SINGLEUSER_CMD and len(words) == 1:
        c.take("singleuser", "cmd")
        c.note(("singleuser", "cmd"), "dropped", SINGLEUSER_CMD[program])


def _cloud_metadata(c: Conversion) -> None:
    """0.x ``cloudMetadata.enabled`` (true: user pods may reach it) -> ``blockWithIptables``;
    ``blockWithIptables: true`` is dropped: the stack blocks the metadata server with the
    chart's egress NetworkPolicy instead (``hardening.py``)."""
    where = ("singleuser", "cloudMetadata", "blockWithIptables")
    if c.get(*where) is True:
        c.take(*where)
        c.note(
            where,
            "dropped",
            "the stack blocks the cloud metadata server with the chart's singleuser egress "
            "NetworkPolicy; the privileged iptables init container breaks Pod Security",
        )
    enabled = c.take("singleuser", "cloudMetadata", "enabled")
    where = ("singleuser", "cloudMetadata", "enabled")
    if enabled is True:
        c.helm(
            ("singleuser", "cloudMetadata", "blockWithIptables"),
            False,
            where,
            "renamed and inverted in chart 1.0; the old hub let user pods reach the cloud "
            "metadata server, and so does this",
        )
    elif enabled is False:
        c.note(
            where,
            "dropped",
            "renamed and inverted in chart 1.0: blocking the metadata "
            "server (blockWithIptables: true) is chart 4.4.0's default",
        )
    elif enabled is not None:
        c.note(where, "dropped", f"{kind(enabled)}, not true/false")


_PROFILE_KEYS = {
    "display_name",
    "description",
    "default",
    "slug",
    "kubespawner_override",
    UP2U_GROUPS_KEY,
}
_OVERRIDES = {"image", "cpu_limit", "cpu_guarantee", "mem_limit", "mem_guarantee", "environment"}


def _profiles(c: Conversion) -> None:
    """A profileList the stack's ``profiles`` can say exactly becomes ``profiles``.

    Anything else (profile_options, node selectors, extra resources, a null that removes a
    limit) stays in helmValues as written: the report says which entry and why.
    """
    entries = c.get("singleuser", "profileList")
    if not isinstance(entries, list) or not entries:
        return
    profiles: list[dict[str, Any]] = []
    slugs: set[str] = set()
    for index, entry in enumerate(entries):
        profile = _profile(entry, index, slugs)
        if isinstance(profile, str):
            c.note(
                ("singleuser", "profileList"),
                "era",
                f"entry {index} {profile}, which the "
                "stack's profiles do not model: the list stays in helmValues as written",
            )
            return
        profiles.append(profile)
    c.take("singleuser", "profileList")
    c.put(
        "profiles",
        profiles,
        ("singleuser", "profileList"),
        "each with a slug; the stack checks their limits and adds capacity per profile",
    )


def _profile(entry: Any, index: int, slugs: set[str]) -> dict[str, Any] | str:
    """The stack's profile for one profileList entry, or why there is none."""
    if not isinstance(entry, dict) or not set(entry) <= _PROFILE_KEYS:
        extra = sorted(map(str, set(entry) - _PROFILE_KEYS)) if isinstance(entry, dict) else []
        return f"uses {', '.join(extra) or 'a shape'}"
    name, override = entry.get("display_name"), entry.get("kubespawner_override") or {}
    if not isinstance(name, str) or not name or not isinstance(override, dict):
        return "has no display_name"
    if not set(override) <= _OVERRIDES or None in override.values():
        odd = sorted(set(override) - _OVERRIDES) or ["a null override (it removes a limit)"]
        return f"sets {', '.join(map(str, odd))}"
    profile: dict[str, Any] = {"slug": _slug(entry.get("slug") or name, index, slugs)}
    profile["displayName"] = name
    if isinstance(entry.get("description"), str) and entry["description"]:
        profile["description"] = entry["description"]
    if entry.get("default") is True:
        profile["default"] = True
    groups = entry.get(UP2U_GROUPS_KEY)
    if groups is not None:  # the spawn rules' key (a values file an Up2U stack rendered)
        if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
            return f"has {UP2U_GROUPS_KEY} that are not group names"
        profile["groups"] = list(groups)
    image = override.get("image")
    if image is not None:
        if not isinstance(image, str) or not image:
            return "has an image that is not name:tag"
        name_part, colon, tag = image.rpartition(":")
        ok = colon and "/" not in tag
        profile["image"] = {"name": name_part, "tag": tag} if ok else {"name": image}
    for resource, prefix in (("cpu", "cpu"), ("memory", "mem")):
        part = {
            key: override[f"{prefix}_{key}"]
            for key in ("limit", "guarantee")
            if f"{prefix}_{key}" in override
        }
        if any(not _quantity(value) for value in part.values()):
            return f"has a {resource} that is not a quantity"
        if resource == "memory":  # KubeSpawner's reading of K/M/G/T, as for singleuser.memory
            part = {key: as_kubespawner_bytes(value) or value for key, value in part.items()}
        if part:
            profile[resource] = part
    env = override.get("environment")
    if env is not None:
        if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and not is_secret_env(k, v)
            for k, v in env.items()
        ):
            return "has an environment that is not plain text (or holds a secret)"
        env = dict(env)
        # a values file this program rendered (helm get values of an Up2U stack) carries the
        # variable the stack sets itself: the slug it names is the profile's own
        ours = env.pop(PROFILE_ENV, profile["slug"])
        if ours != profile["slug"]:
            return f"sets {PROFILE_ENV}, which the stack sets to the profile's slug"
        if env.get(COLLABORATION_ENV) == "1":
            del env[COLLABORATION_ENV]
            profile["collaboration"] = True
        if env:
            profile["extraEnv"] = env
    return profile


def _slug(text: Any, index: int, taken: set[str]) -> str:
    """A DNS label for a profile, unique in the list."""
    base = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:56].strip("-")
    slug, n = base or f"profile-{index}", 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug
