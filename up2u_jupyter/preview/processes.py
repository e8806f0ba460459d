"""The preview's processes: start the hub and the identity provider, watch them, stop them all.

Every process the preview starts, and everything they start (proxy, culler, user servers,
kernels), is found and stopped, whatever way the preview ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# imported up front, not at stop time: stopping must not depend on anything loading late
import psutil

from .hubconfig import Z2JH_PATH
from .plan import (
    CHP,
    HOST,
    REPO,
    THEME_EXTENSION,
    THEME_OVERRIDES,
    Plan,
    Ports,
    PreviewError,
    free_port,
    local_plan,
    require_free,
)

if TYPE_CHECKING:
    from ..settings import Settings

STARTUP_SECONDS = 90
PROVIDER_NICENESS = 5
STOP_SECONDS = 10
STOP_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)


def require_node() -> None:
    """Fail with one line when Node.js or the proxy is missing."""
    if shutil.which("node") is None:
        raise PreviewError(
            "Node.js not found on PATH; install it (apt-get install nodejs) to run the proxy"
        )
    if not CHP.exists():
        raise PreviewError(
            "configurable-http-proxy is not installed; run `npm ci` in the repository root"
        )


@dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


class Preview:
    """A running preview; use as a context manager (``with Preview(...) as preview``)."""

    def __init__(
        self,
        settings: Settings | Callable[[], Settings],
        stack: str,
        port: int = 8000,
        keep: bool = False,
        database: Path | None = None,
    ):
        """``settings`` may be a function that reads them: it runs once the hub is starting.

        ``database``: start the hub from a copy of this SQLite file (a restored backup).
        """
        if not 1 <= port <= 65535:  # before anything exists, so nothing can be left behind
            raise PreviewError(f"{port} is not a port; use 1 to 65535")
        self.settings = settings
        self.stack = stack
        self.keep = keep
        self.database = database
        self.ports = Ports(
            public=port,
            hub=free_port(),
            proxy_api=free_port(),
            oidc=free_port(),
            proxy_metrics=free_port(),
        )
        self.state = Path(tempfile.mkdtemp(prefix=f"up2u-preview-{stack}-"))
        self.children: list[_Child] = []
        self.plan: Plan | None = None
        self._seen: dict[int, psutil.Process] = {}
        """Every process of the preview seen so far, so that orphans are found at stop time."""
        self._proxy: psutil.Process | None = None

    @property
    def url(self) -> str:
        """The hub's public URL."""
        return f"http://{HOST}:{self.ports.public}/hub/"

    @property
    def oidc_url(self) -> str:
        """The local identity provider."""
        return f"http://{HOST}:{self.ports.oidc}"

    def __enter__(self) -> Preview:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start JupyterHub and the identity provider together; wait until both answer.

        The hub starts first, before the stack's settings are read and the plan is made: it
        spends its first seconds importing JupyterHub and reads the plan (which it waits for)
        only when it loads its config, so that work overlaps instead of adding up.
        """
        require_node()
        require_free(self.ports.public)
        plan_file = self.state / "plan.json"
        path = [str(REPO), str(Z2JH_PATH), os.environ.get("PYTHONPATH")]
        env = {
            **os.environ,
            "UP2U_PREVIEW_PLAN": str(plan_file),
            "UP2U_PREVIEW_PID": str(os.getpid()),
            "PYTHONPATH": os.pathsep.join(filter(None, path)),
        }
        config = Path(__file__).with_name("config.py")
        self._spawn("jupyterhub", [sys.executable, "-m", "jupyterhub", "-f", str(config)], env=env)
        if callable(self.settings):
            self.settings = self.settings()  # a config error stops the hub (__enter__)
        self.plan = plan = local_plan(self.settings, self.ports)
        if self.database is not None:  # before the plan: the hub opens it once it has the plan
            shutil.copyfile(self.database, self.state / "jupyterhub.sqlite")
        written = plan_file.with_suffix(".partial")
        written.write_text(
            json.dumps(
                {
                    "values": plan.values,
                    "env": plan.env,
                    "host": plan.host,
                    "ports": vars(self.ports),
                    "state": str(self.state),
                    "chp": str(CHP),
                    "lab_settings_dir": str(self._lab_settings(plan.lab_theme)),
                }
            )
        )
        written.replace(plan_file)  # whole or not at all: the hub is waiting for it
        waits = [(f"http://{HOST}:{self.ports.public}/hub/health", "jupyterhub")]
        if plan.oidc:
            users = [f"--user-claims={json.dumps(user)}" for user in plan.provider_users]
            provider = self._spawn(
                "oidc-provider",
                [sys.executable, "-m", "up2u_jupyter.preview.provider", "--host", plan.host,
                 "--port", str(self.ports.oidc), *users],
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                     os.environ.get("PYTHONPATH")]))},  # the launcher is this package's
            )  # fmt: skip
            # Needed only at sign-in: on a busy 2-core machine it yields the CPU to the hub
            # while both start (raising one's own niceness needs no privilege).
            with suppress(psutil.Error):
                provider.nice(PROVIDER_NICENESS)
            waits.append((f"{self.oidc_url}/.well-known/openid-configuration", "oidc-provider"))
        self._wait_http(waits)
        for process in plan.processes:  # in order: the backup needs its object storage up
            self._spawn(process.name, process.argv, env={**os.environ, **process.env})
            if process.ready_url:
                self._wait_http([(process.ready_url, process.name)])
        self._refresh()
        self._proxy = next(
            (p for p in self._seen.values() if "configurable-http-proxy" in _cmdline(p)), None
        )

    def _lab_settings(self, theme: bool) -> Path:
        """JupyterLab's settings folder: Up2U's overrides, or the theme turned off."""
        folder = self.state / "lab-settings"
        folder.mkdir()
        if theme:
            shutil.copy(THEME_OVERRIDES, folder / "overrides.json")
        else:
            (folder / "page_config.json").write_text(
                json.dumps({"disabledExtensions": [THEME_EXTENSION]})
            )
        return folder

    def stopped_child(self) -> str | None:
        """The name of a piece that has stopped (provider, hub or proxy), if any."""
        for child in self.children:
            if child.process.poll() is not None:
                return child.name
        if self._proxy is not None and not _alive(self._proxy):
            return "configurable-http-proxy"
        return None

    def last_line(self, name: str) -> str:
        """The last line of a piece's log (the proxy logs into the hub's)."""
        log = next((c.log for c in self.children if c.name == name), self.state / "jupyterhub.log")
        return _last_line(log)

    def processes(self) -> list[int]:
        """Every process of the preview now: its children and all their descendants."""
        self._refresh()
        return [pid for pid, proc in self._seen.items() if _alive(proc)]

    def stop(self) -> None:
        """Stop every process at once, wait for them together, then remove the state folder.

        Found three ways, so that nothing outlives the preview: the children it started and
        their descendants now, every descendant seen earlier (a dead hub's proxy and culler are
        no longer its children), and every process whose working folder is in the state folder
        (user servers and kernels started since). Signals wait until the stop is done.
        """
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for _ in range(2):  # again for anything a dying hub started meanwhile
                self._refresh()
                self._find_in_state()
                doomed = [p for p in self._seen.values() if _alive(p)]
                for proc in doomed:
                    with suppress(psutil.Error):
                        proc.terminate()
                _, left = psutil.wait_procs(doomed, timeout=STOP_SECONDS)
                for proc in left:
                    with suppress(psutil.Error):
                        proc.kill()
                psutil.wait_procs(left, timeout=5)
            for child in self.children:  # reap: no zombie of ours stays
                with suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=5)
            self.children.clear()
            self._seen.clear()
            self._proxy = None
            if not self.keep:
                shutil.rmtree(self.state, ignore_errors=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def describe(self) -> list[str]:
        """What is running and what was swapped, for the operator."""
        assert self.plan is not None
        lines = [f"Up2U Jupyter preview of stack {self.stack}: {self.url}"]
        for child in self.children:
            lines.append(f"  running {child.name} (pid {child.process.pid}, log {child.log})")
        lines.append(f"  running configurable-http-proxy 5.2.0 on {HOST}:{self.ports.public}")
        cull = self.plan.values.get("cull") or {}
        if cull.get("enabled", True):
            lines.append(
                f"  running jupyterhub-idle-culler (timeout {cull.get('timeout')}s, "
                f"every {cull.get('every')}s)"
            )
        lines += [f"  {p.name} serves {p.url}" for p in self.plan.processes if p.url]
        lines.append("swapped for local running:")
        lines += [f"  {swap}" for swap in self.plan.swaps]
        if self.plan.sign_in_as:
            lines.append(f"sign in as (allowed by the stack): {', '.join(self.plan.sign_in_as)}")
        for user in self.plan.provider_users:
            claims = {k: v for k, v in user.items() if k != "sub"}
            lines.append(f"sign in as group member {user['sub']} (claims {json.dumps(claims)})")
        lines.append(f"state: {self.state}" + (" (kept)" if self.keep else " (removed on exit)"))
        return lines

    def _spawn(
        self, name: str, argv: list[str], env: Mapping[str, str] | None = None
    ) -> psutil.Process:
        log = self.state / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.state,  # so that stop() finds whatever it leaves behind
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop them
            )
        self.children.append(_Child(name, process, log))
        self._seen[process.pid] = proc = psutil.Process(process.pid)
        return proc

    def _refresh(self) -> None:
        for child in self.children:
            with suppress(psutil.Error):
                for proc in psutil.Process(child.process.pid).children(recursive=True):
                    self._seen.setdefault(proc.pid, proc)

    def _find_in_state(self) -> None:
        state = os.path.realpath(self.state)
        for proc in psutil.process_iter(["cwd"]):
            cwd = proc.info.get("cwd") or ""
            if proc.pid != os.getpid() and (cwd == state or cwd.startswith(state + os.sep)):
                self._seen.setdefault(proc.pid, proc)

    def _wait_http(self, waits: list[tuple[str, str]]) -> None:
        """Wait until every URL answers; fail at once if any child exits meanwhile."""
        import urllib.error
        import urllib.request

        pending = dict(waits)
        deadline = time.monotonic() + STARTUP_SECONDS
        while pending and time.monotonic() < deadline:
            stopped = self.stopped_child()
            if stopped is not None:
                raise PreviewError(f"{stopped} exited at start: {self.last_line(stopped)}")
            for url in list(pending):
                with (
                    suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                    urllib.request.urlopen(url, timeout=2),
                ):
                    del pending[url]
            if pending:
                time.sleep(0.05)
        for url, name in pending.items():
            raise PreviewError(f"{name} did not answer at {url} within {STARTUP_SECONDS}s")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _last_line(log: Path) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "no output"
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
