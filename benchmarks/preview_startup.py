"""The preview beside a bare JupyterHub 5.5 from the same .venv, in paired runs.

The bare hub does the same job the simplest way: DummyAuthenticator, SimpleLocalProcessSpawner,
the same configurable-http-proxy and JupyterLab. Each pair runs both (alternating which goes
first) and times, from the outside, as a person would see it:

- launch -> login page: from starting the command (``python -m up2u_jupyter preview --stack
  dev`` / ``python -m jupyterhub -f bare.py``) to GET /hub/login answering 200;
- sign-in -> JupyterLab: from the click that signs in ("Authorize" at the local provider /
  "Sign in" on the bare hub's form) to JupyterLab drawn (main area and a theme applied);
- stop: from SIGTERM to the command's exit (every child stopped).

It prints medians, the median of the paired ratios (preview / bare) and the goals.

    .venv/bin/python benchmarks/preview_startup.py --runs 7
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from up2u_jupyter.preview.plan import CHP, free_port  # noqa: E402

USER = "0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org"  # one of dev's allowedUsers
GOALS = {"launch -> login page": 1.15, "sign-in -> JupyterLab": 0.95}
BARE_CONFIG = """
import os, sys
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{state}/users/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]
"""


def launch(kind: str, state: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the preview or the bare hub; its process and public URL."""
    port = free_port()
    if kind == "preview":
        argv = [sys.executable, "-m", "up2u_jupyter", "preview", "--stack", "dev",
                "--port", str(port)]  # fmt: skip
    else:
        config = state / "bare_config.py"
        config.write_text(BARE_CONFIG.format(public=port, hub=free_port(), api=free_port(),
                                             chp=str(CHP), state=state))  # fmt: skip
        argv = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
    process = subprocess.Popen(
        argv, cwd=state if kind == "bare" else ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}/hub/"


def wait_login(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the command exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "login", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer")


def sign_in(kind: str, page: Page, url: str) -> float:
    """Seconds from the signing-in click to JupyterLab drawn."""
    page.goto(url + "login")
    if kind == "preview":
        page.get_by_role("button", name="Sign in with eduTEAMS").click()
        page.get_by_placeholder("sub").fill(USER)
        button = page.get_by_role("button", name="Authorize")
    else:
        page.locator("#username_input").fill("student")
        page.locator("#password_input").fill("x")
        button = page.locator("#login_submit")
    clicked = time.perf_counter()
    button.click()
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    page.wait_for_function("document.body && document.body.dataset.jpThemeName", timeout=60_000)
    return time.perf_counter() - clicked


def one(kind: str, browser: Browser) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as folder:
        started = time.perf_counter()
        process, url = launch(kind, Path(folder))
        try:
            wait_login(url, process)
            times = {"launch -> login page": time.perf_counter() - started}
            context = browser.new_context()
            times["sign-in -> JupyterLab"] = sign_in(kind, context.new_page(), url)
            context.close()
        finally:
            stopping = time.perf_counter()
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
        times["stop"] = time.perf_counter() - stopping
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="pairs to run (7)")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"preview": [], "bare": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        one("bare", browser)  # warm-up: disk caches, compiled bytecode
        one("preview", browser)
        for run in range(args.runs):
            order = ("preview", "bare") if run % 2 == 0 else ("bare", "preview")
            for kind in order:
                results[kind].append(one(kind, browser))
        browser.close()
    print(f"pairs: {args.runs} (preview vs bare JupyterHub, alternating order)")
    for measure in ("launch -> login page", "sign-in -> JupyterLab", "stop"):
        print(summary(measure, results))


def summary(measure: str, results: dict[str, list[dict[str, Any]]]) -> str:
    preview = [r[measure] for r in results["preview"]]
    bare = [r[measure] for r in results["bare"]]
    ratio = statistics.median(p / b for p, b in zip(preview, bare, strict=True))
    goal = GOALS.get(measure)
    verdict = "" if goal is None else f"; goal <= {goal}: {'met' if ratio <= goal else 'NOT met'}"
    return (
        f"{measure}: preview median {statistics.median(preview):.2f} s "
        f"(min {min(preview):.2f}, max {max(preview):.2f}), bare median "
        f"{statistics.median(bare):.2f} s (min {min(bare):.2f}, max {max(bare):.2f}); "
        f"median paired ratio {ratio:.2f}{verdict}"
    )


if __name__ == "__main__":
    main()
