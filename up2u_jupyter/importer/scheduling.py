"""``scheduling``, ``prePuller`` and ``cull``: the switches the stack models."""

from typing import Any

from .model import Conversion


def convert_scheduling(c: Conversion) -> None:
    """The user scheduler and the image pullers (their other keys pass through)."""
    _switch(c, ("scheduling", "userScheduler", "enabled"), "scheduling.userScheduler")
    for key in ("hook", "continuous"):
        _switch(c, ("prePuller", key, "enabled"), f"prePuller.{key}")


def _switch(c: Conversion, path: tuple[str, ...], dest: str) -> None:
    if isinstance(c.get(*path), bool):
        c.put(dest, c.take(*path), path)


def convert_cull(c: Conversion) -> None:
    """The idle culler: enabled, timeout, every, maxAge, users (the rest passes through)."""
    for key, fits in (
        ("enabled", _bool),
        ("users", _bool),
        ("timeout", _positive),
        ("every", _positive),
        ("maxAge", _seconds),
    ):
        value = c.get("cull", key)
        if value is not None and fits(value):
            c.put(f"cull.{key}", c.take("cull", key), ("cull", key))
    timeout, every = (
        c.out.config.get("cull", {}).get("timeout"),
        c.out.config.get("cull", {}).get("every"),
    )
    if isinstance(timeout, int) and isinstance(every, int) and every > timeout:
        c.note(
            ("cull", "every"),
            "era",
            f"checks less often than cull.timeout ({every}s > "
            f"{timeout}s), so idle servers can live up to {every + timeout}s; the chart "
            "accepts it, and so does the stack (check warns)",
        )


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _seconds(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
