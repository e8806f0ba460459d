"""The first `make preview` on a fresh clone, at two commits, side by side in one run.

Each run clones the commit into a new folder (beside a link to this checkout's ../shared, so
both sides find the same chart files), runs `make preview STACK=dev PORT=<free port>` and times
it until the login page answers 200: building .venv, `npm ci` for the proxy, the theme wheel,
and the hub's start. Then it stops the preview (SIGTERM) and deletes the clone.

Cache policy, the same for both sides: pip's and npm's download caches are this benchmark's
own folders, warmed by one untimed run of each side before the timed ones. So every timed run
installs from a warm download cache: what is measured is the work a fresh clone does (resolve,
unpack, compile, build, start), not the network's speed that day. Sides alternate which goes
first in each pair.

    .venv/bin/python benchmarks/first_preview.py --before 1f25c7d --after HEAD --runs 3
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from up2u_jupyter.preview.processes import free_port  # noqa: E402

GOAL = 1 / 3
"""After/before: the first preview should take at most a third of what it took."""
TIMEOUT = 1200.0


def first_preview(commit: str, work: Path, caches: Path, log: Path) -> float:
    """Seconds from `make preview` to the login page in a fresh clone of ``commit``."""
    clone = work / "up2u-jupyter"
    (work / "shared").symlink_to((ROOT.parent / "shared").resolve())  # the clone's ../shared
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
    port = free_port()
    env = {
        **os.environ,
        "PIP_CACHE_DIR": str(caches / "pip"),
        "npm_config_cache": str(caches / "npm"),
        "CI": "",
    }
    with log.open("w") as output:
        started = time.perf_counter()
        make = subprocess.Popen(
            ["make", "preview", "STACK=dev", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            elapsed = _until_login_page(port, make, started)
        finally:
            _stop(make)
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    return elapsed


def _until_login_page(port: int, make: subprocess.Popen[bytes], started: float) -> float:
    url = f"http://127.0.0.1:{port}/hub/login"
    while time.perf_counter() - started < TIMEOUT:
        if make.poll() is not None:
            raise RuntimeError(f"make preview exited with {make.returncode} (see the log)")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"no login page after {TIMEOUT:.0f} s")


def _stop(make: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this benchmark started (make and the preview under it)."""
    try:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=60)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="the commit measured as today")
    parser.add_argument("--after", default="HEAD", help="the commit measured as the change")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side")
    args = parser.parse_args()
    sides = {
        name: subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for name, ref in (("before", args.before), ("after", args.after))
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(prefix="up2u-first-preview-") as tmp:
        top = Path(tmp)
        caches = top / "caches"
        logs = Path(tempfile.mkdtemp(prefix="up2u-first-preview-logs-"))
        print(f"sides: {sides}; logs in {logs}", flush=True)
        order = list(sides)
        for run in range(args.runs + 1):  # run 0 warms the caches, untimed
            for name in order if run % 2 == 0 else reversed(order):
                work = top / f"{name}-{run}"
                work.mkdir()
                seconds = first_preview(sides[name], work, caches, logs / f"{name}-{run}.log")
                label = "warm-up" if run == 0 else f"run {run}"
                print(f"  {label} {name} ({sides[name]}): {seconds:.1f} s", flush=True)
                if run:
                    times[name].append(seconds)
    before, after = (statistics.median(times[name]) for name in ("before", "after"))
    for name in sides:
        samples = times[name]
        print(f"{name} ({sides[name]}): median {statistics.median(samples):.1f} s "
              f"(min {min(samples):.1f}, max {max(samples):.1f}, n={len(samples)})")  # fmt: skip
    ratio = after / before
    print(f"after / before: {ratio:.2f} (goal: at most {GOAL:.2f})")


if __name__ == "__main__":
    main()
