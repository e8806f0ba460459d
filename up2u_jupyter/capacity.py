"""Cluster sizing for a stack: what its activeServerLimit users need, and how many nodes fit it."""

import argparse
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from .args import add_stack_arguments, quantity
from .errors import EXIT_OK
from .quantity import parse_quantity
from .settings import ResourceRequirements, Settings
from .stackfile import load_stack

DEFAULT_NODE_CPU = "4"
DEFAULT_NODE_MEMORY = "16Gi"


@dataclass
class Capacity:
    """The figures, in cores and bytes; ``users`` is None when the stack sets no limit."""

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


def plan(
    settings: Settings, node_cpu: str = DEFAULT_NODE_CPU, node_memory: str = DEFAULT_NODE_MEMORY
) -> Capacity:
    """Size the cluster for the stack's concurrent users (per user when there is no limit)."""
    user = settings.singleuser
    users = settings.hub.active_server_limit
    count = users or 1
    cpu_g = Decimal(str(user.cpu.guarantee or 0))
    mem_g = parse_quantity(user.memory.guarantee) if user.memory.guarantee else Decimal(0)
    cpu_l = Decimal(str(user.cpu.limit)) if user.cpu.limit else None
    mem_l = parse_quantity(user.memory.limit) if user.memory.limit else None
    node_c, node_m = parse_quantity(node_cpu), parse_quantity(node_memory)
    hub_c, hub_m = _requests(settings.hub.resources)
    proxy_c, proxy_m = _requests(settings.proxy.resources)
    warnings = []
    if users is None:
        warnings.append(
            "no hub.activeServerLimit: any number of users can start servers, so no cluster size "
            "is enough; the figures below are per user"
        )
    if cpu_l is not None and cpu_l > node_c:
        warnings.append(
            f"one user's CPU limit ({_num(cpu_l)} cores) is more than a node has ({_num(node_c)})"
        )
    if mem_l is not None and mem_l > node_m:
        warnings.append(
            f"one user's memory limit ({_bytes(mem_l)}) is more than a node has ({_bytes(node_m)})"
        )
    if cpu_g == 0 or mem_g == 0:
        warnings.append(
            "a user guarantee of 0 (cpu or memory) lets the scheduler pack users without bound"
        )
    per_node = _fits(node_c, node_m, cpu_g, mem_g)
    first = _fits(node_c - hub_c - proxy_c, node_m - hub_m - proxy_m, cpu_g, mem_g)
    nodes = None
    if users is not None and per_node:
        on_first = per_node if first is None else first
        nodes = 1 + math.ceil(max(0, users - on_first) / per_node)
    elif users is not None and per_node == 0:
        warnings.append("one user's guarantees do not fit on a node of this size")
    return Capacity(
        users=users,
        cpu_guarantee=cpu_g * count,
        cpu_limit=cpu_l * count if cpu_l is not None else None,
        memory_guarantee=mem_g * count,
        memory_limit=mem_l * count if mem_l is not None else None,
        storage=parse_quantity(user.storage.capacity) * count,
        hub_cpu=hub_c,
        hub_memory=hub_m,
        proxy_cpu=proxy_c,
        proxy_memory=proxy_m,
        node_cpu=node_c,
        node_memory=node_m,
        nodes=nodes,
        users_per_node=per_node,
        warnings=warnings,
    )


def report(capacity: Capacity, stack: str) -> list[str]:
    """The figures as lines for the terminal."""
    who = f"{capacity.users} concurrent users" if capacity.users else "one user"
    cpu_limit = "unlimited" if capacity.cpu_limit is None else f"{_num(capacity.cpu_limit)} cores"
    memory_limit = "unlimited" if capacity.memory_limit is None else _bytes(capacity.memory_limit)
    lines = [
        f"stack {stack}: capacity for {who} (hub.activeServerLimit)",
        f"  user CPU        guaranteed {_num(capacity.cpu_guarantee)} cores, limit {cpu_limit}",
        f"  user memory     guaranteed {_bytes(capacity.memory_guarantee)}, limit {memory_limit}",
        f"  user storage    {_bytes(capacity.storage)} (one volume per user who ever started; "
        "it stays when the server stops)",
        f"  hub requests    {_requested(capacity.hub_cpu, capacity.hub_memory, 'hub')}",
        f"  proxy requests  {_requested(capacity.proxy_cpu, capacity.proxy_memory, 'proxy')}",
    ]
    node = f"{_num(capacity.node_cpu)} cores / {_bytes(capacity.node_memory)}"
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
