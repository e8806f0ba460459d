"""Bounds that mean something: sizes a server can start with, durations Prometheus accepts, and
a health-check user that is nobody else.

1. Every user server's memory limit is at least ``MEMORY_LIMIT_FLOOR`` and a guarantee that is
   not 0 at least ``MEMORY_GUARANTEE_FLOOR``; KubeSpawner reads every size it gets (it takes a
   number of bytes, or K, M, G, T as powers of 1024, and refuses ``Gi``). A size far below the
   floor gets a "did you mean" (``limit: 1`` is one byte; ``256m`` is 0.256 bytes).
2. A CPU limit is at least ``CPU_LIMIT_FLOOR`` cores.
3. The alert rules' durations are within Prometheus' range: a ``for:`` or a range past
   ``PROMETHEUS_MAX_DURATION`` makes Prometheus reject the whole rule group.
4. The health-check user (``healthCheck.user``) is no admin and no listed user, and no role
   names it: its token has ``admin:users``, ``servers`` and ``access:servers`` on that user.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..credentials import PROJECT
from ..errors import excerpt
from ..quantity import QuantityError, parse_quantity
from ..values import HEALTH_SERVICE
from .model import Deployment, Finding, resolve

MEMORY_LIMIT_FLOOR = 64 * 2**20
"""64 MiB: JupyterLab alone takes about 100 MB, so a smaller limit kills every server as it
starts."""
MEMORY_GUARANTEE_FLOOR = 2**20
"""1 MiB: a non-zero request below it is a unit mistake, not a reservation."""
CPU_LIMIT_FLOOR = 0.05
"""50 millicores: below it a server takes minutes to start and the hub gives up."""
PROMETHEUS_MAX_DURATION = "292y24w3d23h47m16s854ms"
"""The longest duration Prometheus parses (2^63-1 ns cut to ms; prometheus/common
model.ParseDuration; promtool 2.42 refuses one millisecond more with "duration out of range")."""
PROMETHEUS_MAX_NS = 2**63 - 1
_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def kubespawner_bytes(value: Any) -> float | None:
    """A size as KubeSpawner's memory traits read it (JupyterHub 5.5's ``ByteSpecification``,
    traitlets.py:49-94: a number is bytes; a string is a number and one of K, M, G, T, powers
    of 1024); None where it refuses it, which fails every server start."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or value[-1:] not in _UNITS:
        return None
    try:
        amount = float(value[:-1]) * _UNITS[value[-1]]
    except ValueError:
        return None
    return amount if amount == amount and abs(amount) != float("inf") else None


def check(d: Deployment) -> list[Finding]:
    """The bounds invariants (see the module docstring)."""
    return [*_resources(d), *_durations(d), *_health_user(d)]


# --- 1-2. memory and CPU -------------------------------------------------------------------------


def _resource_sources(d: Deployment) -> Iterator[tuple[str, str, Any, str | None]]:
    """(key, trait, effective value, typed quantity text or None) for every user server."""
    settings = d.settings
    memory = settings.singleuser.memory
    cpu = settings.singleuser.cpu
    typed = {
        "mem_limit": memory.limit,
        "mem_guarantee": memory.guarantee,
        "cpu_limit": cpu.limit,
        "cpu_guarantee": cpu.guarantee,
    }
    for trait in typed:
        value, section = resolve(d.hub, ("KubeSpawner", "Spawner"), trait)
        if section is None:
            continue
        origin = d.hub.origins.get((section, trait), ())
        key = d.key(*origin)
        text = typed[trait] if key.startswith(f"{PROJECT}:singleuser.") else None
        yield key, trait, value, None if text is None else str(text)
    profiles = d.hub.get("KubeSpawner", "profile_list")
    origin = d.hub.origins.get(("KubeSpawner", "profile_list"), ("singleuser", "profileList"))
    for index, profile in enumerate(profiles if isinstance(profiles, list) else []):
        override = profile.get("kubespawner_override") if isinstance(profile, Mapping) else None
        if not isinstance(override, Mapping):
            continue
        own = settings.profiles[index] if index < len(settings.profiles) else None
        for trait in typed:
            if trait not in override:
                continue
            key = d.key(*origin, index, "kubespawner_override", trait)
            text = None
            if own is not None and key.startswith(f"{PROJECT}:profiles."):
                group = own.memory if trait.startswith("mem") else own.cpu
                text = getattr(group, trait.split("_")[1])
            yield key, trait, override[trait], None if text is None else str(text)


def _resources(d: Deployment) -> list[Finding]:
    found = []
    for key, trait, value, text in _resource_sources(d):
        problem = (_memory if trait.startswith("mem") else _cpu)(trait, value, text)
        if problem is not None:
            found.append(Finding(key, f"{excerpt(text if text is not None else value)}: {problem}"))
    return found


def _memory(trait: str, value: Any, text: str | None) -> str | None:
    if value is None:
        return None
    amount = kubespawner_bytes(value)
    if amount is None:
        return (
            "not a size KubeSpawner reads (a number of bytes, or a number and K, M, G or T, "
            "powers of 1024), so every server start would fail; write e.g. 2G"
        )
    limit = trait == "mem_limit"
    floor = MEMORY_LIMIT_FLOOR if limit else MEMORY_GUARANTEE_FLOOR
    if amount >= floor or (not limit and amount == 0 and _zero(text)):
        return None
    what = "limit" if limit else "guarantee"
    exact = _exact_bytes(text, amount)
    return (
        f"{exact}, below the {what} a JupyterLab server can start with "
        f"({floor >> 20} MiB){_did_you_mean_memory(text, amount)}"
    )


def _zero(text: str | None) -> bool:
    try:
        return text is None or parse_quantity(text) == 0
    except QuantityError:
        return False


def _exact_bytes(text: str | None, amount: float) -> str:
    try:
        exact = float(parse_quantity(text)) if text is not None else amount
    except QuantityError:
        exact = amount
    unit = "byte" if exact == 1 else "bytes"
    milli = " ('m' is milli)" if text is not None and text.strip().endswith("m") else ""
    return f"{exact:g} {unit}{milli}"


def _did_you_mean_memory(text: str | None, amount: float) -> str:
    number = re.match(r"\s*(\d+(?:\.\d+)?)", text or f"{amount:g}")
    if number is None:
        return "; set a size such as 1Gi"
    n = float(number[1])
    guess = f"{n:g}Gi" if n <= 64 else f"{n:g}Mi"
    return f"; did you mean {guess}?"


def _cpu(trait: str, value: Any, text: str | None) -> str | None:
    if trait != "cpu_limit" or value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float):
        return "not a number of cores, which KubeSpawner needs; write e.g. 0.5"
    if value >= CPU_LIMIT_FLOOR:
        return None
    guess = f"{value * 1000:g}" if value * 1000 <= 64 else "0.5"
    return (
        f"{value:g} cores, below what a JupyterLab server starts with ({CPU_LIMIT_FLOOR:g}); "
        f"did you mean {guess}?"
    )


# --- 3. Prometheus durations ---------------------------------------------------------------------


def _durations(d: Deployment) -> list[Finding]:
    monitoring = d.settings.monitoring
    if not monitoring.enabled:
        return []
    found = []
    limit_minutes = PROMETHEUS_MAX_NS // (60 * 10**9)
    for field in ("hubDownMinutes", "proxyDownMinutes"):
        minutes = getattr(monitoring.thresholds, _snake(field))
        if minutes > limit_minutes:
            found.append(
                Finding(
                    f"{PROJECT}:monitoring.thresholds.{field}",
                    f"{excerpt(minutes)}: renders an alert's for: {minutes}m, past Prometheus' "
                    f"longest duration ({PROMETHEUS_MAX_DURATION}, {limit_minutes} minutes), "
                    "so Prometheus would reject every alert of the stack; use minutes such as 5",
                )
            )
    if d.settings.cull.enabled:
        window = monitoring.thresholds.culler_missed_runs * d.settings.cull.every
        limit_seconds = PROMETHEUS_MAX_NS // 10**9
        if window > limit_seconds:
            found.append(
                Finding(
                    f"{PROJECT}:monitoring.thresholds.cullerMissedRuns",
                    f"{excerpt(monitoring.thresholds.culler_missed_runs)}: times cull.every "
                    f"({d.settings.cull.every}s) renders a {window}s range, past Prometheus' "
                    f"longest duration ({PROMETHEUS_MAX_DURATION}), so Prometheus would reject "
                    "every alert of the stack; use a few runs, such as 3",
                )
            )
    return found


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), camel)


# --- 4. the health-check user --------------------------------------------------------------------


def _health_user(d: Deployment) -> list[Finding]:
    check = d.settings.health_check
    if not check.enabled:
        return []
    user = check.user
    sections = d.auth_sections()
    found = []
    for trait, typed in (
        ("admin_users", "auth.adminUsers"),
        ("allowed_users", "auth.allowedUsers"),
    ):
        value, _ = resolve(d.hub, sections, trait)
        if isinstance(value, list | set | tuple) and user in value:
            found.append(
                Finding(
                    f"{PROJECT}:healthCheck.user",
                    f"{excerpt(user)}: also in {typed}, so the health-check token would get "
                    "admin:users, servers and access:servers on a real person; name a user "
                    "of its own (the default: health-check)",
                )
            )
    roles = d.hub.get("JupyterHub", "load_roles")
    for role in roles if isinstance(roles, list) else []:
        if not isinstance(role, Mapping) or role.get("name") == HEALTH_SERVICE:
            continue
        if user in (role.get("users") or []):
            found.append(
                Finding(
                    f"{PROJECT}:healthCheck.user",
                    f"{excerpt(user)}: role {excerpt(role.get('name'))} gives this user more "
                    "scopes, which the health-check token would reach; name a user of its own",
                )
            )
    return found
