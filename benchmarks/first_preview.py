"""The first `make preview` on a fresh clone, at two commits, side by side in one run.

Each run clones the commit into a new folder (beside a link to this checkout's ../shared, so
both sides find the same chart files), runs `make preview STACK=dev PORT=<free port>` and times
it until the login page answers 200: building .venv, `npm ci` for the proxy, the theme wheel,
and the hub's start. Then it stops the preview (SIGTERM) and deletes the clone.

Cache policy, the same for every side: the download caches (pip's, uv's, npm's) are this
benchmark's own folders, warmed by one untimed run of each side before the timed ones, so every
timed run installs from a warm download cache: what is measured is the work a fresh clone does
(resolve, unpack, compile bytecode, build, start), not the network's speed that day. The
project's own build cache (the theme wheel, kept under UP2U_CACHE_DIR) is measured both ways:
"after" gets an empty one on every run, as on a machine that never built the theme;
"after, theme cached" keeps one across runs, as on a machine where another clone has. The sides
rotate which goes first.

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

from up2u_jupyter.preview.plan import free_port  # noqa: E402

GOAL = 1 / 3
"""After/before: the first preview should take at most a third of what it took."""
TIMEOUT = 1200.0


def first_preview(commit: str, work: Path, caches: Path, build_cache: Path, log: Path) -> float:
    """Seconds from `make preview` to the login page in a fresh clone of ``commit``."""
    clone = work / "up2u-jupyter"
    (work / "shared").symlink_to((ROOT.parent / "shared").resolve())  # the clone's ../shared
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
    port = free_port()
    env = {
        **os.environ,
        "PIP_CACHE_DIR": str(caches / "pip"),
        "UV_CACHE_DIR": str(caches / "uv"),
        "npm_config_cache": str(caches / "npm"),
        "UP2U_CACHE_DIR": str(build_cache),
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
    commits = {
        ref: subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for ref in (args.before, args.after)
    }
    sides = {  # name -> (commit, whether the theme's build cache is kept across runs)
        "before": (commits[args.before], False),
        "after": (commits[args.after], False),
        "after, theme cached": (commits[args.after], True),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(prefix="up2u-first-preview-") as tmp:
        top = Path(tmp)
        caches = top / "caches"
        logs = Path(tempfile.mkdtemp(prefix="up2u-first-preview-logs-"))
        print(f"sides: {sides}; logs in {logs}", flush=True)
        order = list(sides)
        for run in range(args.runs + 1):  # run 0 warms the caches, untimed
            for name in order[run % 3 :] + order[: run % 3]:
                commit, keep = sides[name]
                work = top / f"{name.replace(', ', '-').replace(' ', '-')}-{run}"
                work.mkdir()
                build_cache = caches / "kept" if keep else work / "build-cache"
                log = logs / f"{work.name}.log"
                seconds = first_preview(commit, work, caches, build_cache, log)
                label = "warm-up" if run == 0 else f"run {run}"
                print(f"  {label} {name} ({commit}): {seconds:.1f} s", flush=True)
                if run:
                    times[name].append(seconds)
    before = statistics.median(times["before"])
    for name in sides:
        samples = times[name]
        median = statistics.median(samples)
        spread = f"min {min(samples):.1f}, max {max(samples):.1f}, n={len(samples)}"
        ratio = median / before
        print(
            f"{name} ({sides[name][0]}): median {median:.1f} s ({spread}); to before: {ratio:.2f}"
        )
    print(f"goal: at most {GOAL:.2f} of before")


if __name__ == "__main__":
    main()
