"""Side-by-side timing: alternate the commands in one run, report medians and the ratio."""

import statistics
import subprocess
import time
from collections.abc import Sequence


def time_commands(
    commands: dict[str, Sequence[str]], runs: int, cwd: str
) -> dict[str, list[float]]:
    """Wall time of each command, run alternately ``runs`` times (after one warm-up each)."""
    for argv in commands.values():
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    return times


def summary(times: dict[str, list[float]]) -> list[str]:
    """Median, min and max per command, then each command's median over the first one's."""
    names = list(times)
    base = statistics.median(times[names[0]])
    lines = []
    for name in names:
        samples = times[name]
        median = statistics.median(samples)
        lines.append(
            f"{name}: median {median:.3f} s (min {min(samples):.3f}, max {max(samples):.3f}, "
            f"n={len(samples)}), ratio to {names[0]}: {median / base:.2f}"
        )
    return lines
