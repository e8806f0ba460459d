"""``singleuser``: each user's server (image, resources, storage, environment, command)."""

from typing import Any

from ..quantity import QuantityError, parse_quantity
from ..secretrule import is_reference, is_secret_name, url_has_secret
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
    c.put(f"singleuser.{resource}.{part}", c.take(*path), path)


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
            if _secret(name, value):
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
            if isinstance(entry, dict) and _secret(entry.get("name"), entry.get("value")):
                env.pop(index)
                _user_secret(c, ("singleuser", "extraEnv", str(entry["name"])))


def _secret(name: Any, value: Any) -> bool:
    if value in (None, "") or is_reference(value) or not isinstance(name, str):
        return False
    return is_secret_name(name) or (isinstance(value, str) and url_has_secret(value))


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
    """0.x ``cloudMetadata.enabled`` (true: user pods may reach it) -> ``blockWithIptables``."""
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
