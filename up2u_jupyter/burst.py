"""A class starting together: when the last pupil has a server (pure, used by ``capacity``).

A small event simulation of what the hub and the cluster do when ``pupils`` press Start within
``window`` seconds (evenly spread):

- JupyterHub lets ``spawn_limit`` starts be pending at once (``hub.concurrentSpawnLimit``); a
  press beyond it gets "Too many users trying to log in right now. Try again in N seconds", N
  drawn from ``spawn_throttle_retry_range`` (30-60 s), and the pupil presses again then;
- a pending start holds its place until the server answers: ``spawn_seconds`` on a node that has
  the image, plus ``pull_seconds`` on a node that must pull it first (every new node, and
  nodes the image pre-puller has not reached);
- a pod that fits no ready node waits for the autoscaler's new node (``node_seconds``), which the
  first such pod asks for and the next ``per_node - 1`` share; with a fixed cluster it would
  never start (reported as ``unplaced``).
"""

import heapq
import math
from dataclasses import dataclass, field

RETRY_RANGE = (30.0, 60.0)
"""JupyterHub 5's ``spawn_throttle_retry_range``: the wait it suggests after a 429."""


@dataclass(frozen=True)
class Burst:
    """A class pressing Start, and what the hub and the cluster can do about it."""

    pupils: int
    window: float
    spawn_limit: int
    spawn_seconds: float
    pull_seconds: float
    node_seconds: float
    per_node: int
    """How many of these pupils' servers fit one node's free room."""
    free_at_start: int
    """Pupils' servers that fit the nodes ready when the lesson starts."""
    pre_pulled: bool = True
    """Ready nodes already have the image (the chart's image pre-puller)."""
    autoscaling: bool = True
    retry: float = sum(RETRY_RANGE) / 2
    start_timeout: float = 300
    """KubeSpawner's ``start_timeout`` (``singleuser.startTimeout``): a longer start fails."""


@dataclass
class BurstResult:
    """When the last pupil had a server, and what it took."""

    last_ready: float
    """Seconds from the first press; ``inf`` when some pupils never get one."""
    throttled: int = 0
    """Presses refused (429) because ``spawn_limit`` starts were pending."""
    new_nodes: int = 0
    waited_for_nodes: int = 0
    """Pupils whose server waited for a new node."""
    unplaced: int = 0
    """Pupils whose server fits no node of a fixed cluster."""
    timed_out: int = 0
    """Starts longer than ``start_timeout``: KubeSpawner gives up on them."""
    ready_times: list[float] = field(default_factory=list)


def simulate(burst: Burst) -> BurstResult:
    """Run the burst; deterministic (every refused pupil retries after ``burst.retry``)."""
    result = BurstResult(last_ready=0.0)
    presses = [burst.window * i / burst.pupils for i in range(burst.pupils)]
    events: list[tuple[float, int, int]] = [(t, 1, i) for i, t in enumerate(presses)]
    heapq.heapify(events)  # (time, kind: 0 a start finishes, 1 a press, order)
    pending = 0
    free = burst.free_at_start
    pulled_at: float | None = 0.0 if burst.pre_pulled else None
    new_node_ready: list[float] = []  # one entry per free place on nodes being added
    while events:
        now, kind, _ = heapq.heappop(events)
        if kind == 0:
            pending -= 1
            continue
        if pending >= burst.spawn_limit:
            result.throttled += 1
            heapq.heappush(events, (now + burst.retry, 1, len(presses) + result.throttled))
            continue
        pending += 1
        if free > 0:  # a ready node
            free -= 1
            if pulled_at is None:
                pulled_at = now + burst.pull_seconds  # the first pod pulls; the rest wait for it
            ready = max(now, pulled_at) + burst.spawn_seconds
        elif burst.autoscaling:
            if not new_node_ready:
                node_up = now + burst.node_seconds
                new_node_ready = [node_up] * burst.per_node
                result.new_nodes += 1
            result.waited_for_nodes += 1
            ready = new_node_ready.pop() + burst.pull_seconds + burst.spawn_seconds
        else:
            result.unplaced += 1
            pending -= 1  # it fails at start_timeout; counted, not retried
            continue
        result.timed_out += ready - now > burst.start_timeout
        result.ready_times.append(ready)
        heapq.heappush(events, (ready, 0, -1))
    if result.unplaced:
        result.last_ready = math.inf
    elif result.ready_times:
        result.last_ready = max(result.ready_times)
    return result
