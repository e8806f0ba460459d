"""Cluster sizing for a stack: what its activeServerLimit users need, and how many nodes fit it."""

import argparse
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from .args import add_stack_arguments, quantity
from .errors import EXIT_OK
from .quantity import parse_quantity
from .settings import LimitGuarantee, ResourceRequirements, Settings
from .stackfile import load_stack

DEFAULT_NODE_CPU = "4"
DEFAULT_NODE_MEMORY = "16Gi"


@dataclass
class ProfileFigures:
    """One server profile's needs: per user, and for every active user on it."""

    slug: str
    cpu_guarantee: Decimal
    cpu_limit: Decimal | None
    memory_guarantee: Decimal
    memory_limit: Decimal | None
    users_per_node: int | None
    nodes: int | None


@dataclass
class Capacity:
    """The figures, in cores and bytes; ``users`` is None when the stack sets no limit.

    With server profiles, the totals are the worst case: every active user on the profile
    that needs the most nodes (``worst_profile``); ``profiles`` has each one's figures.
    """

    users: int | None
    cpu_guarantee: Decimal
    cpu_limit: Decimal | None
    memory_guarantee: Decimal
    memory_limit: Decimal | None
    storage: Decimal
    hub_cpu: Decimal
    hub_memory: Decimal
    proxy_cpu: Decimal
    proxy_memory: Decimal
    node_cpu: Decimal
    node_memory: Decimal
    nodes: int | None
    users_per_node: int | None
    warnings: list[str] = field(default_factory=list)
    profiles: list[ProfileFigures] = field(default_factory=list)
    worst_profile: str | None = None


def plan(
    settings: Settings, node_cpu: str = DEFAULT_NODE_CPU, node_memory: str = DEFAULT_NODE_MEMORY
) -> Capacity:
    """Size the cluster for the stack's concurrent users (per user when there is no limit)."""
    users = settings.hub.active_server_limit
    count = users or 1
    node_c, node_m = parse_quantity(node_cpu), parse_quantity(node_memory)
    hub_c, hub_m = _requests(settings.hub.resources)
    proxy_c, proxy_m = _requests(settings.proxy.resources)
    warnings = []
    if users is None:
        warnings.append(
            "no hub.activeServerLimit: any number of users can start servers, so no cluster size "
            "is enough; the figures below are per user"
        )
    user = settings.singleuser
    shapes: list[tuple[str, LimitGuarantee, LimitGuarantee]] = [("", user.cpu, user.memory)]
    if settings.profiles:
        shapes = [(p.slug, *settings.profile_resources(p)) for p in settings.profiles]
    figures: list[ProfileFigures] = []
    for slug, cpu, memory in shapes:
        who = f"profile {slug}: " if slug else ""
        cpu_g = Decimal(str(cpu.guarantee or 0))
        mem_g = parse_quantity(memory.guarantee) if memory.guarantee else Decimal(0)
        cpu_l = Decimal(str(cpu.limit)) if cpu.limit else None
        mem_l = parse_quantity(memory.limit) if memory.limit else None
        if cpu_l is not None and cpu_l > node_c:
            warnings.append(
                f"{who}one user's CPU limit ({_num(cpu_l)} cores) is more than a node has "
                f"({_num(node_c)})"
            )
        if mem_l is not None and mem_l > node_m:
            warnings.append(
                f"{who}one user's memory limit ({_bytes(mem_l)}) is more than a node has "
                f"({_bytes(node_m)})"
            )
        if cpu_g == 0 or mem_g == 0:
            warnings.append(
                f"{who}a user guarantee of 0 (cpu or memory) lets the scheduler pack users "
                "without bound"
            )
        per_node = _fits(node_c, node_m, cpu_g, mem_g)
        first = _fits(node_c - hub_c - proxy_c, node_m - hub_m - proxy_m, cpu_g, mem_g)
        nodes = None
        if users is not None and per_node:
            on_first = per_node if first is None else first
            nodes = 1 + math.ceil(max(0, users - on_first) / per_node)
        elif users is not None and per_node == 0:
            warnings.append(f"{who}one user's guarantees do not fit on a node of this size")
        figures.append(ProfileFigures(slug, cpu_g, cpu_l, mem_g, mem_l, per_node, nodes))
    worst = max(figures, key=_weight)
    return Capacity(
        users=users,
        cpu_guarantee=worst.cpu_guarantee * count,
        cpu_limit=worst.cpu_limit * count if worst.cpu_limit is not None else None,
        memory_guarantee=worst.memory_guarantee * count,
        memory_limit=worst.memory_limit * count if worst.memory_limit is not None else None,
        storage=parse_quantity(user.storage.capacity) * count,
        hub_cpu=hub_c,
        hub_memory=hub_m,
        proxy_cpu=proxy_c,
        proxy_memory=proxy_m,
        node_cpu=node_c,
        node_memory=node_m,
        nodes=worst.nodes,
        users_per_node=worst.users_per_node,
        warnings=warnings,
        profiles=figures if settings.profiles else [],
        worst_profile=worst.slug if settings.profiles else None,
    )


def _weight(figures: ProfileFigures) -> tuple[int, int, Decimal, Decimal]:
    """What makes a profile the largest: it fits no node, then the most nodes, then the
    biggest guarantees (memory first: it is what nodes run out of)."""
    return (
        int(figures.users_per_node == 0),
        figures.nodes or 0,
        figures.memory_guarantee,
        figures.cpu_guarantee,
    )


def report(capacity: Capacity, stack: str) -> list[str]:
    """The figures as lines for the terminal."""
    who = f"{capacity.users} concurrent users" if capacity.users else "one user"
    cpu_limit = "unlimited" if capacity.cpu_limit is None else f"{_num(capacity.cpu_limit)} cores"
    memory_limit = "unlimited" if capacity.memory_limit is None else _bytes(capacity.memory_limit)
    node = f"{_num(capacity.node_cpu)} cores / {_bytes(capacity.node_memory)}"
    lines = [f"stack {stack}: capacity for {who} (hub.activeServerLimit)"]
    if capacity.profiles:
        width = max(len(p.slug) for p in capacity.profiles)
        for figures in capacity.profiles:
            p_cpu = "no" if figures.cpu_limit is None else _num(figures.cpu_limit)
            p_mem = "none" if figures.memory_limit is None else _bytes(figures.memory_limit)
            line = (
                f"  profile {figures.slug:<{width}}  per user: guaranteed "
                f"{_num(figures.cpu_guarantee)} cores, {_bytes(figures.memory_guarantee)}; "
                f"limit {p_cpu} cores, {p_mem}"
            )
            if figures.nodes is not None:
                line += f"; all on it: {figures.nodes} nodes"
            lines.append(line)
        lines.append(f"  worst case: every user on profile {capacity.worst_profile}")
    lines += [
        f"  user CPU        guaranteed {_num(capacity.cpu_guarantee)} cores, limit {cpu_limit}",
        f"  user memory     guaranteed {_bytes(capacity.memory_guarantee)}, limit {memory_limit}",
        f"  user storage    {_bytes(capacity.storage)} (one volume per user who ever started; "
        "it stays when the server stops)",
        f"  hub requests    {_requested(capacity.hub_cpu, capacity.hub_memory, 'hub')}",
        f"  proxy requests  {_requested(capacity.proxy_cpu, capacity.proxy_memory, 'proxy')}",
    ]
    if capacity.nodes is not None:
        lines.append(
            f"  nodes           at least {capacity.nodes} of {node} "
            f"({capacity.users_per_node} users' guarantees fit on one)"
        )
    lines += [f"warning: {warning}" for warning in capacity.warnings]
    return lines


def _requested(cpu: Decimal, memory: Decimal, key: str) -> str:
    if cpu == 0 and memory == 0:
        return f"none set ({key}.resources.requests; the chart sets none)"
    return f"{_num(cpu)} cores, {_bytes(memory)}"


def _requests(resources: ResourceRequirements) -> tuple[Decimal, Decimal]:
    cpu = resources.requests.get("cpu")
    memory = resources.requests.get("memory")
    return (
        parse_quantity(cpu) if cpu else Decimal(0),
        parse_quantity(memory) if memory else Decimal(0),
    )


def _fits(cpu: Decimal, memory: Decimal, cpu_g: Decimal, mem_g: Decimal) -> int | None:
    """How many users' guarantees fit in cpu/memory (None: unbounded)."""
    if cpu < 0 or memory < 0:
        return 0
    bounds = []
    if cpu_g > 0:
        bounds.append(int(cpu // cpu_g))
    if mem_g > 0:
        bounds.append(int(memory // mem_g))
    return min(bounds) if bounds else None


def _num(amount: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 8, 0.5, 50."""
    return format(amount.normalize(), "f")


def _bytes(amount: Decimal) -> str:
    """Bytes in decimal gigabytes, with the binary figure beside it."""
    return f"{amount / Decimal(10**9):.1f} G ({amount / Decimal(2**30):.1f} Gi)"


def register(commands: Any) -> None:
    """Add ``capacity``."""
    help_text = "size the cluster for the stack's activeServerLimit users"
    command = commands.add_parser("capacity", help=help_text, description=help_text)
    command.add_argument(
        "--node-cpu", type=quantity, default=DEFAULT_NODE_CPU, help="cores per node (4)"
    )
    command.add_argument(
        "--node-memory", type=quantity, default=DEFAULT_NODE_MEMORY, help="memory per node (16Gi)"
    )
    add_stack_arguments(command)
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the stack's capacity plan."""
    _, settings = load_stack(args.project_dir, args.stack)
    print("\n".join(report(plan(settings, args.node_cpu, args.node_memory), args.stack)), file=out)
    return EXIT_OK
