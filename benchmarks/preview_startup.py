"""Start the dev stack's preview N times; report medians of two user-facing waits.

- start -> login page ready: from Preview.start() to GET /hub/login answering 200 (provider,
  hub, proxy and culler up);
- sign-in -> JupyterLab ready: from clicking "Authorize" at the local provider to JupyterLab
  showing with the Up2U theme (callback, spawn of a fresh JupyterLab, first load).

    .venv/bin/python benchmarks/preview_startup.py --runs 5
"""

import argparse
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from up2u_jupyter.preview import Preview, free_port
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config

ROOT = Path(__file__).resolve().parent.parent
USER = "0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org"


def one_run(browser) -> tuple[float, float]:
    settings = load_settings(read_stack_config(ROOT, "dev").values, "dev")
    started = time.perf_counter()
    with Preview(settings, "dev", port=free_port()) as preview:
        while True:
            try:
                with urllib.request.urlopen(preview.url + "login", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        login_ready = time.perf_counter() - started
        context = browser.new_context()
        page = context.new_page()
        page.goto(preview.url + "login")
        page.get_by_role("button", name="Sign in with eduTEAMS").click()
        page.get_by_placeholder("sub").fill(USER)
        clicked = time.perf_counter()
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_function(
            "document.body && document.body.dataset.jpThemeName === 'Up2U'", timeout=120_000
        )
        lab_ready = time.perf_counter() - clicked
        context.close()
    return login_ready, lab_ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        results = [one_run(browser) for _ in range(args.runs)]
        browser.close()
    login, lab = zip(*results, strict=True)
    print(f"runs: {args.runs}")
    print(f"start -> login page ready: median {statistics.median(login):.2f} s "
          f"(min {min(login):.2f}, max {max(login):.2f})")  # fmt: skip
    print(f"sign-in -> JupyterLab ready: median {statistics.median(lab):.2f} s "
          f"(min {min(lab):.2f}, max {max(lab):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
