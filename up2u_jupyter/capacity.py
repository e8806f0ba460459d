"""Cluster sizing for a stack: what its activeServerLimit users need, how many nodes fit it, and
how long a class starting together waits (``burst.py``).

A node's room for user servers is its size less what Kubernetes keeps for itself (the
allocatable reserve: by default GKE's published formula, close to EKS's and AKS's) and less the
DaemonSets every node runs (networking, logging; an assumed 200m and 256Mi unless given).
"""

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TextIO

from .args import add_stack_arguments, positive_seconds, quantity
from .burst import RETRY_RANGE, Burst, BurstResult, simulate
from .errors import EXIT_OK, UsageError
from .quantity import parse_quantity
from .settings import LimitGuarantee, ResourceRequirements, Settings
from .stackfile import load_stack

DEFAULT_NODE_CPU = "4"
DEFAULT_NODE_MEMORY = "16Gi"
DEFAULT_DAEMONSET_CPU = "200m"
DEFAULT_DAEMONSET_MEMORY = "256Mi"
GIB = Decimal(2**30)
EVICTION_MEMORY = 100 * Decimal(2**20)
"""The kubelet's hard eviction threshold, kept free besides the reserve (GKE: 100 MiB)."""
MEMORY_RESERVE = ((4, "0.25"), (4, "0.20"), (8, "0.10"), (112, "0.06"), (None, "0.02"))
"""GKE's memory reserve: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the
next 112, 2% of the rest (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes)."""
CPU_RESERVE = ((1, "0.06"), (1, "0.01"), (2, "0.005"), (None, "0.0025"))
"""GKE's CPU reserve: 6% of the first core, 1% of the next, 0.5% of the next 2, 0.25% above 4."""


def _tiered(amount: Decimal, tiers: Any, unit: Decimal) -> Decimal:
    reserved, left = Decimal(0), amount
    for size, share in tiers:
        step = left if size is None else min(left, size * unit)
        reserved += step * Decimal(share)
        left -= step
    return reserved


@dataclass(frozen=True)
class Node:
    """One node's size and what of it is not for user servers."""

    cpu: Decimal
    memory: Decimal
    reserved_cpu: Decimal = Decimal(0)
    reserved_memory: Decimal = Decimal(0)
    """The allocatable reserve (system, kubelet) and the eviction threshold."""
    daemonset_cpu: Decimal = Decimal(0)
    daemonset_memory: Decimal = Decimal(0)

    @property
    def free_cpu(self) -> Decimal:
        """Cores the scheduler can give user servers (and the hub and proxy)."""
        return self.cpu - self.reserved_cpu - self.daemonset_cpu

    @property
    def free_memory(self) -> Decimal:
        """Bytes the scheduler can give user servers (and the hub and proxy)."""
        return self.memory - self.reserved_memory - self.daemonset_memory


def node_of(
    cpu: str = DEFAULT_NODE_CPU,
    memory: str = DEFAULT_NODE_MEMORY,
    reserved_cpu: str | None = None,
    reserved_memory: str | None = None,
    daemonset_cpu: str = DEFAULT_DAEMONSET_CPU,
    daemonset_memory: str = DEFAULT_DAEMONSET_MEMORY,
) -> Node:
    """A node from quantities; an unset reserve is GKE's for the node's size."""
    node_c, node_m = parse_quantity(cpu), parse_quantity(memory)
    return Node(
        node_c,
        node_m,
        _tiered(node_c, CPU_RESERVE, Decimal(1)) if reserved_cpu is None
        else parse_quantity(reserved_cpu),
        _tiered(node_m, MEMORY_RESERVE, GIB) + EVICTION_MEMORY if reserved_memory is None
        else parse_quantity(reserved_memory),
        parse_quantity(daemonset_cpu),
        parse_quantity(daemonset_memory),
    )  # fmt: skip


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
    node: Node
    nodes: int | None
    users_per_node: int | None
    warnings: list[str] = field(default_factory=list)
    profiles: list[ProfileFigures] = field(default_factory=list)
    worst_profile: str | None = None


def plan(settings: Settings, node: Node | None = None) -> Capacity:
    """Size the cluster for the stack's concurrent users (per user when there is no limit)."""
    node = node or node_of()
    users = settings.hub.active_server_limit
    count = users or 1
    node_c, node_m = node.cpu, node.memory
    free_c, free_m = node.free_cpu, node.free_memory
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
        per_node = _fits(free_c, free_m, cpu_g, mem_g)
        first = _fits(free_c - hub_c - proxy_c, free_m - hub_m - proxy_m, cpu_g, mem_g)
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
        node=node,
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
    node = f"{_num(capacity.node.cpu)} cores / {_bytes(capacity.node.memory)}"
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
    free = capacity.node
    lines.append(
        f"  room per node   {_num(free.free_cpu)} cores, {_bytes(free.free_memory)} of {node} "
        f"(reserve {_num(free.reserved_cpu)} cores, {_bytes(free.reserved_memory)}; "
        f"DaemonSets {_num(free.daemonset_cpu)} cores, {_bytes(free.daemonset_memory)})"
    )
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


# --- a class starting together ------------------------------------------------------------


@dataclass(frozen=True)
class ClassStart:
    """The burst's inputs besides the stack: the class, the cluster, measured times."""

    pupils: int = 30
    window: float = 60
    profile: str | None = None
    """The profile the class starts (default: one offered to a class's pupils, else the
    default profile)."""
    spawn_seconds: float = 15
    pull_seconds: float = 60
    node_seconds: float = 180
    min_nodes: int | None = None
    """Nodes an autoscaling cluster keeps between lessons; None: a fixed cluster."""
    nodes: int | None = None
    """A fixed cluster's nodes (default: what the stack's activeServerLimit needs)."""
    running: int = 0
    """Servers already running when the class starts."""
    placeholders: int | None = None
    """scheduling.userPlaceholders to model (default: the stack's)."""


def _class_profile(settings: Settings, wanted: str | None) -> tuple[str, Any, Any]:
    """(name, cpu, memory) of the servers the class starts."""
    profiles = settings.profiles
    if wanted is not None:
        chosen = next((p for p in profiles if p.slug == wanted), None)
        if chosen is None:
            known = ", ".join(p.slug for p in profiles) or "none"
            raise UsageError(f"--class-profile {wanted!r} is not a profile (profiles: {known})")
    else:
        pupils = {c.pupils for c in settings.classes}
        chosen = next((p for p in profiles if pupils & set(p.groups)), None) or next(
            (p for p in profiles if p.default), profiles[0] if profiles else None
        )
    if chosen is None:
        return "singleuser", settings.singleuser.cpu, settings.singleuser.memory
    cpu, memory = settings.profile_resources(chosen)
    return f"profile {chosen.slug}", cpu, memory


def _guarantees(cpu: Any, memory: Any) -> tuple[Decimal, Decimal]:
    return (
        Decimal(str(cpu.guarantee or 0)),
        parse_quantity(memory.guarantee) if memory.guarantee else Decimal(0),
    )


@dataclass(frozen=True)
class _Lesson:
    """What the burst runs on: how many pupils are let in, how they fit, what is ready."""

    settings: Settings
    start: ClassStart
    admitted: int
    per_node: int
    first_node: int
    holder_per_node: int
    autoscaling: bool

    def room(self, nodes: int) -> int:
        """Pupils' servers that fit ``nodes`` ready nodes (placeholders give way)."""
        return max(0, self.first_node + (nodes - 1) * self.per_node - self.start.running)

    def ready_nodes(self, placeholders: int) -> int:
        """Nodes ready at the start: a fixed cluster's, or what the autoscaler keeps for the
        minimum, the running servers and the placeholders."""
        start = self.start
        if not self.autoscaling:
            nodes = start.nodes or math.ceil((start.pupils + start.running) / self.per_node)
            return nodes
        held = math.ceil((start.running + placeholders) / self.holder_per_node)
        return max(start.min_nodes or 1, held)

    def placeholders_for_all(self) -> int:
        """The fewest placeholders that keep room for the whole class between lessons."""
        nodes = 1
        while self.room(nodes) < self.admitted:
            nodes += 1
        return max(0, nodes * self.holder_per_node - self.start.running)

    def run(
        self, placeholders: int, retry: float | None = None, limit: int | None = None
    ) -> BurstResult:
        """The burst with ``placeholders``, a retry delay and a spawn limit (the stack's)."""
        start, settings = self.start, self.settings
        return simulate(
            Burst(
                pupils=self.admitted,
                window=start.window,
                spawn_limit=limit or settings.hub.concurrent_spawn_limit,
                spawn_seconds=start.spawn_seconds,
                pull_seconds=start.pull_seconds,
                node_seconds=start.node_seconds,
                per_node=self.per_node,
                free_at_start=self.room(self.ready_nodes(placeholders)),
                pre_pulled=settings.pre_puller.continuous or settings.pre_puller.hook,
                autoscaling=self.autoscaling,
                retry=sum(RETRY_RANGE) / 2 if retry is None else retry,
                start_timeout=_start_timeout(settings),
            )
        )


def class_start(settings: Settings, capacity: Capacity, start: ClassStart) -> list[str]:
    """The class burst's lines: time to the last server, nodes, placeholders and spawn limit."""
    node = capacity.node
    name, cpu, memory = _class_profile(settings, start.profile)
    cpu_g, mem_g = _guarantees(cpu, memory)
    per_node = _fits(node.free_cpu, node.free_memory, cpu_g, mem_g)
    lines = [
        f"class of {start.pupils} pressing Start within {_num(Decimal(start.window))} s "
        f"({name}: {_num(cpu_g)} cores, {_bytes(mem_g)} guaranteed)"
    ]
    if per_node == 0:
        return [*lines, "warning: one server of the class fits no node of this size"]
    per_node = per_node or start.pupils  # no guarantees: the scheduler packs without bound
    first = _fits(
        node.free_cpu - capacity.hub_cpu - capacity.proxy_cpu,
        node.free_memory - capacity.hub_memory - capacity.proxy_memory,
        cpu_g,
        mem_g,
    )
    active = settings.hub.active_server_limit
    holders = settings.scheduling.user_placeholders
    holders = holders if start.placeholders is None else start.placeholders
    holder_g = _guarantees(settings.singleuser.cpu, settings.singleuser.memory)
    lesson = _Lesson(
        settings,
        start,
        admitted=start.pupils
        if active is None
        else max(0, min(start.pupils, active - start.running)),
        per_node=per_node,
        first_node=per_node if first is None else first,
        holder_per_node=_fits(node.free_cpu, node.free_memory, *holder_g) or per_node,
        autoscaling=start.min_nodes is not None,
    )
    if not lesson.autoscaling and start.nodes is None and capacity.nodes is not None:
        lesson = replace(lesson, start=replace(start, nodes=capacity.nodes))
    result = lesson.run(holders)
    limit = settings.hub.concurrent_spawn_limit
    last = f"  last server     after {_seconds(result.last_ready)}"
    if result.throttled:
        times = sorted(lesson.run(holders, r).last_ready for r in (*RETRY_RANGE, None))
        last += f" (pressing again after 30 to 60 s: {_seconds(times[0])} to {_seconds(times[-1])})"
        enough = _fewest(
            range(limit + 1, lesson.admitted + 1),
            lambda n: not lesson.run(holders, limit=n).throttled,
        )
        lines.append(
            f'  hub.concurrentSpawnLimit {limit}: {result.throttled} presses refused ("try again '
            f'in 30-60 s"), each pressed again when told; {enough} would refuse none'
        )
    lines.append(last)
    ready = lesson.ready_nodes(holders)
    cluster = (
        f"autoscaling from {start.min_nodes}"
        if lesson.autoscaling
        else "a fixed cluster; --min-nodes N models an autoscaling one"
    )
    lines.append(
        f"  nodes           {ready} ready at the start ({cluster}), {result.new_nodes} added for "
        f"the class: {ready + result.new_nodes} needed ({per_node} of these servers fit one)"
    )
    if lesson.autoscaling and result.waited_for_nodes:
        wanted = lesson.placeholders_for_all()
        better = lesson.run(wanted)
        lines.append(
            f"  recommended     scheduling.userPlaceholders: {wanted} (room for the class kept "
            f"between lessons): the last server after {_seconds(better.last_ready)}"
        )
    lines.append(
        f"  assumed         a server starts in {_num(Decimal(start.spawn_seconds))} s on a node "
        f"with the image, a pull takes {_num(Decimal(start.pull_seconds))} s, a new node "
        f"{_num(Decimal(start.node_seconds))} s (--spawn-seconds, --pull-seconds, --node-seconds)"
    )
    return lines + [f"warning: {w}" for w in _burst_warnings(lesson, result, holders)]


def _fewest(candidates: range, enough: Callable[[int], bool]) -> int:
    """The first of ``candidates`` that is enough (``enough`` is monotonic), or the last."""
    low, high = 0, len(candidates) - 1
    while low < high:
        middle = (low + high) // 2
        if enough(candidates[middle]):
            high = middle
        else:
            low = middle + 1
    return candidates[low]


def _burst_warnings(lesson: _Lesson, result: BurstResult, holders: int) -> list[str]:
    start, settings = lesson.start, lesson.settings
    warnings = []
    if result.unplaced:
        warnings.append(
            f"{result.unplaced} pupils' servers fit no node of the fixed cluster: add nodes "
            "(--nodes) or let it autoscale"
        )
    if result.timed_out:
        warnings.append(
            f"{result.timed_out} starts take longer than singleuser.startTimeout "
            f"({_start_timeout(settings):g} s) and fail: add placeholders or raise it"
        )
    if lesson.admitted < start.pupils:
        warnings.append(
            f"hub.activeServerLimit {settings.hub.active_server_limit}: "
            f'{start.pupils - lesson.admitted} pupils are refused ("Active user limit '
            f'exceeded"); the times are for the other {lesson.admitted}'
        )
    if not lesson.autoscaling and holders:
        warnings.append(
            f"scheduling.userPlaceholders {holders} only take room on a fixed cluster: they "
            "help an autoscaling one (--min-nodes)"
        )
    return warnings


def _start_timeout(settings: Settings) -> float:
    """singleuser.startTimeout as the stack sets it (helmValues), else the chart's 300 s."""
    user = settings.helm_values.get("singleuser")
    value = user.get("startTimeout") if isinstance(user, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else 300.0


def _seconds(amount: float) -> str:
    if math.isinf(amount):
        return "never (see the warnings)"
    minutes, seconds = divmod(round(amount), 60)
    return f"{round(amount)} s" + (f" ({minutes} min {seconds} s)" if minutes else "")


def _amount(text: str) -> str:
    """A quantity of 0 or more (a reserve or DaemonSet total may be nothing)."""
    return "0" if text in ("0", "0m") else quantity(text)


def _count(text: str) -> int:
    """A whole number of 0 or more, at most 100000."""
    if not text.isdigit() or int(text) > 100_000:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a count; use 0 to 100000")
    return int(text)


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
    overhead = command.add_argument_group("node overhead")
    overhead.add_argument("--reserved-cpu", type=_amount, help="allocatable reserve (GKE's)")
    overhead.add_argument("--reserved-memory", type=_amount, help="allocatable reserve (GKE's)")
    overhead.add_argument(
        "--daemonset-cpu", type=_amount, default=DEFAULT_DAEMONSET_CPU, help="DaemonSets (200m)"
    )
    overhead.add_argument(
        "--daemonset-memory",
        type=_amount,
        default=DEFAULT_DAEMONSET_MEMORY,
        help="DaemonSets (256Mi)",
    )
    lesson = command.add_argument_group("a class starting together")
    defaults = ClassStart()
    lesson.add_argument("--class-size", type=_count, default=defaults.pupils, help="pupils (30)")
    lesson.add_argument(
        "--class-window", type=positive_seconds, default=defaults.window,
        help="seconds within which they press Start (60)",
    )  # fmt: skip
    lesson.add_argument("--class-profile", help="the profile they start (the class's)")
    for flag, value, what in (
        ("--spawn-seconds", defaults.spawn_seconds, "one server's start, image on the node"),
        ("--pull-seconds", defaults.pull_seconds, "the user image's pull on a new node"),
        ("--node-seconds", defaults.node_seconds, "the autoscaler's new node, until Ready"),
    ):
        lesson.add_argument(flag, type=positive_seconds, default=value, help=f"{what} ({value:g})")
    lesson.add_argument("--min-nodes", type=_count, help="the cluster autoscales from this many")
    lesson.add_argument("--nodes", type=_count, help="a fixed cluster's nodes")
    lesson.add_argument("--running", type=_count, default=0, help="servers already running (0)")
    lesson.add_argument("--placeholders", type=_count, help="placeholders (the stack's)")
    add_stack_arguments(command)
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the stack's capacity plan."""
    _, settings = load_stack(args.project_dir, args.stack)
    node = node_of(
        args.node_cpu,
        args.node_memory,
        args.reserved_cpu,
        args.reserved_memory,
        args.daemonset_cpu,
        args.daemonset_memory,
    )
    capacity = plan(settings, node)
    start = ClassStart(
        pupils=args.class_size,
        window=args.class_window,
        profile=args.class_profile,
        spawn_seconds=args.spawn_seconds,
        pull_seconds=args.pull_seconds,
        node_seconds=args.node_seconds,
        min_nodes=args.min_nodes,
        nodes=args.nodes,
        running=args.running,
        placeholders=args.placeholders,
    )
    lines = report(capacity, args.stack)
    if start.pupils:
        lines += class_start(settings, capacity, start)
    print("\n".join(lines), file=out)
    return EXIT_OK
