"""Side-by-side timing: alternate the commands in one run, report medians and the ratio."""

import resource
import statistics
import subprocess
import time
from collections.abc import Sequence

CPU: dict[str, list[float]] = {}
"""CPU seconds (user + system) of each command's runs, filled by ``time_commands``: steadier
than wall time on a shared machine, where other work delays a process without costing it CPU."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_commands(
    commands: dict[str, Sequence[str]], runs: int, cwd: str
) -> dict[str, list[float]]:
    """Wall time of each command, run alternately ``runs`` times (after one warm-up each)."""
    for argv in commands.values():
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name in commands:
        CPU[name] = []
    for _ in range(runs):
        for name, argv in commands.items():
            started, cpu = time.perf_counter(), _cpu()
            subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
            CPU[name].append(_cpu() - cpu)
    return times


def summary(times: dict[str, list[float]], bases: int = 1) -> list[str]:
    """Median, min and max per command, then each command's median over each of the first
    ``bases`` commands' (the floors it is compared with)."""
    names = [name for name in times if times[name]]
    floors = names[:bases]
    lines = []
    for name in names:
        samples = times[name]
        median = statistics.median(samples)
        line = (
            f"{name}: median {median:.3f} s (min {min(samples):.3f}, max {max(samples):.3f}, "
            f"n={len(samples)})"
        )
        for floor in floors:
            line += f"; to {floor}: {median / statistics.median(times[floor]):.2f}"
            if CPU.get(name) and CPU.get(floor) and statistics.median(CPU[floor]):
                ratio = statistics.median(CPU[name]) / statistics.median(CPU[floor])
                line += f" (CPU {ratio:.2f})"
        if CPU.get(name):
            line += f"; CPU median {statistics.median(CPU[name]):.3f} s"
        lines.append(line)
    return lines
