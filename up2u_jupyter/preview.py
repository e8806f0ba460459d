"""Run a stack's hub on this machine: the same values, with only what cannot run locally swapped.

Real JupyterHub, configurable-http-proxy (npm), GenericOAuthenticator talking OpenID Connect to
a local provider (oidc-provider-mock: sign in as any ``sub``), the idle culler as a hub service,
and one JupyterLab per user started by a local spawner. Everything listens on 127.0.0.1.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# imported up front, not at stop time: stopping must not depend on anything loading late
import psutil

from . import credentials
from .args import add_stack_arguments, port
from .credentials import OAUTH_TYPES
from .errors import EXIT_CONFIG, EXIT_OK
from .settings import Settings
from .stackfile import load_stack
from .values import AUTHENTICATOR_CLASSES, METRICS_TOKEN_ENV, ChartSecrets, build_values

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "images" / "hub" / "templates"
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
HOST = "127.0.0.1"
STARTUP_SECONDS = 90


class PreviewError(Exception):
    """The preview cannot start; the message is the one line the operator sees."""


@dataclass
class Ports:
    """Where each piece listens, all on 127.0.0.1."""

    public: int
    hub: int
    proxy_api: int
    oidc: int
    proxy_metrics: int = 0


@dataclass
class Plan:
    """What the preview runs: the stack's values with local swaps, and the list of swaps."""

    values: dict[str, Any]
    swaps: list[str]
    env: dict[str, str]
    sign_in_as: list[str] = field(default_factory=list)


def local_plan(
    settings: Settings,
    ports: Ports,
    templates: Path = TEMPLATES,
    secret_env: list[str] | None = None,
) -> Plan:
    """The stack's own values (values.py), with what cannot exist locally swapped out."""
    auth = settings.auth
    if auth.type in OAUTH_TYPES and auth.type != "generic-oauth":
        raise PreviewError(
            f"auth.type {auth.type} signs in at {auth.type.title()}, which the preview cannot "
            "reach; preview a generic-oauth, dummy or tmp stack"
        )
    # generated per run, as pulumi-random does per stack
    chart_secrets = ChartSecrets(*(secrets.token_hex(32) for _ in range(4)))
    env_names = secret_env or []
    values = build_values(settings, chart_secrets, env_names)
    public = f"http://{HOST}:{ports.public}"
    swaps = [
        "KubeSpawner -> SimpleLocalProcessSpawner: one JupyterLab process per user in a "
        "temporary home (singleuser image, cpu/memory limits and volumes do not apply)",
        f"the chart's proxy pod -> configurable-http-proxy from npm on {HOST}:{ports.public}",
        "hub database -> SQLite in the temporary state folder",
        "chart secrets (proxy token, cookie secret, auth-state key) -> generated for this run",
        f"hub.templatePaths {values['hub']['templatePaths']} -> {[str(templates)]}",
        f"HTTPS ({settings.https.mode}) -> plain HTTP on {HOST}",
    ]
    values["hub"]["templatePaths"] = [str(templates)]
    env = credentials.preview_env(settings, env_names)
    section = values["hub"]["config"][AUTHENTICATOR_CLASSES[auth.type]]
    if auth.type == "generic-oauth":
        oidc = f"http://{HOST}:{ports.oidc}"
        section |= {
            "authorize_url": f"{oidc}/oauth2/authorize",
            "token_url": f"{oidc}/oauth2/token",
            "userdata_url": f"{oidc}/userinfo",
            "oauth_callback_url": f"{public}/hub/oauth_callback",
        }
        swaps.append(
            f"identity provider {auth.authorize_url} -> local OpenID Connect provider {oidc} "
            f"(sign in as any {auth.username_claim}); client secret -> a local one"
        )
    for spec in credentials.SECRETS:
        if spec.required(settings) and spec.preview is not None and spec.key != "oauthClientSecret":
            swaps.append(f"{spec.key} -> {spec.preview!r}")
    if env_names:
        swaps.append(f"secretEnv {', '.join(env_names)} -> local stand-ins (preview-<name>)")
    if settings.hub.db.type == "postgres":
        values["hub"]["db"] = {"type": "sqlite-pvc"}
        swaps.append("PostgreSQL -> SQLite")
    _swap_metrics(values, env, swaps, ports)
    return Plan(values, swaps, env, sign_in_as=[*auth.admin_users, *auth.allowed_users])


def _swap_metrics(
    values: dict[str, Any], env: dict[str, str], swaps: list[str], ports: Ports
) -> None:
    """monitoring.enabled: a token for the metrics service, the proxy's metrics on 127.0.0.1."""
    if METRICS_TOKEN_ENV in values["hub"].get("extraEnv", {}):
        env[METRICS_TOKEN_ENV] = secrets.token_hex(32)
        swaps.append("metrics service token (a Kubernetes Secret) -> generated for this run")
    chp = values["proxy"].setdefault("chp", {})
    flags = list(chp.get("extraCommandLineFlags", []))
    if any(flag.startswith("--metrics-port") for flag in flags):
        # the chart appends these flags last, so the last of a repeated flag wins
        chp["extraCommandLineFlags"] = [
            *flags,
            f"--metrics-ip={HOST}",
            f"--metrics-port={ports.proxy_metrics}",
        ]
        swaps.append(f"proxy metrics (every interface) -> {HOST}:{ports.proxy_metrics}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def require_free(port: int) -> None:
    """Fail with one line when something already listens on the port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise PreviewError(
                f"port {port} on {HOST} is busy; stop what uses it or pass --port"
            ) from None


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

    def __init__(self, settings: Settings, stack: str, port: int = 8000, keep: bool = False):
        self.settings = settings
        self.stack = stack
        self.keep = keep
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

    @property
    def url(self) -> str:
        """The hub's public URL."""
        return f"http://{HOST}:{self.ports.public}/hub/"

    @property
    def oidc_url(self) -> str:
        """The local identity provider."""
        return f"http://{HOST}:{self.ports.oidc}"

    def __enter__(self) -> "Preview":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the identity provider and JupyterHub (which starts the proxy and culler)."""
        require_node()
        require_free(self.ports.public)
        self.plan = local_plan(self.settings, self.ports)
        if self.settings.auth.type == "generic-oauth":
            self._spawn(
                "oidc-provider",
                [sys.executable, "-m", "oidc_provider_mock", "--host", HOST,
                 "--port", str(self.ports.oidc)],
            )  # fmt: skip
            self._wait_http(f"{self.oidc_url}/.well-known/openid-configuration", "oidc-provider")
        plan_file = self.state / "plan.json"
        plan_file.write_text(
            json.dumps(
                {
                    "values": self.plan.values,
                    "ports": vars(self.ports),
                    "state": str(self.state),
                    "chp": str(CHP),
                }
            )
        )
        env = {
            **os.environ,
            **self.plan.env,
            "UP2U_PREVIEW_PLAN": str(plan_file),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        config = Path(__file__).with_name("preview_config.py")
        self._spawn(
            "jupyterhub",
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            env=env,
            cwd=self.state,
        )
        self._wait_http(f"http://{HOST}:{self.ports.public}/hub/health", "jupyterhub")

    def processes(self) -> list[int]:
        """Every process of the preview now: its children and all their descendants."""
        pids = []
        for child in self.children:
            with suppress(psutil.NoSuchProcess):
                proc = psutil.Process(child.process.pid)
                pids.append(proc.pid)
                pids += [p.pid for p in proc.children(recursive=True)]
        return pids

    def stop(self) -> None:
        """Stop everything (hub first, so it stops the user servers), then remove the state."""
        doomed = self.processes()
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
                try:
                    child.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
        for pid in doomed:  # whatever outlived its parent (user servers, proxy)
            with suppress(psutil.NoSuchProcess):
                proc = psutil.Process(pid)
                proc.terminate()
                with suppress(psutil.TimeoutExpired):
                    proc.wait(timeout=5)
                if proc.is_running():
                    proc.kill()
        self.children.clear()
        if not self.keep:
            shutil.rmtree(self.state, ignore_errors=True)

    def describe(self) -> list[str]:
        """What is running and what was swapped, for the operator."""
        assert self.plan is not None
        lines = [f"Up2U Jupyter preview of stack {self.stack}: {self.url}"]
        for child in self.children:
            lines.append(f"  running {child.name} (pid {child.process.pid}, log {child.log})")
        lines.append(f"  running configurable-http-proxy 5.2.0 on {HOST}:{self.ports.public}")
        if self.settings.cull.enabled:
            lines.append(
                f"  running jupyterhub-idle-culler (timeout {self.settings.cull.timeout}s, "
                f"every {self.settings.cull.every}s)"
            )
        lines.append("swapped for local running:")
        lines += [f"  {swap}" for swap in self.plan.swaps]
        if self.plan.sign_in_as:
            lines.append(f"sign in as (allowed by the stack): {', '.join(self.plan.sign_in_as)}")
        lines.append(f"state: {self.state}" + (" (kept)" if self.keep else " (removed on exit)"))
        return lines

    def _spawn(self, name: str, argv: list[str], **kwargs: Any) -> None:
        log = self.state / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop them
                **kwargs,
            )
        self.children.append(_Child(name, process, log))

    def _wait_http(self, url: str, name: str) -> None:
        child = next(c for c in self.children if c.name == name)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise PreviewError(f"{name} exited at start: {_last_line(child.log)}")
            with (
                suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(url, timeout=2),
            ):
                return
            time.sleep(0.2)
        raise PreviewError(f"{name} did not answer at {url} within {STARTUP_SECONDS}s")


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so both end the preview the same clean way."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(commands: Any) -> None:
    """Add ``preview``."""
    help_text = "run the stack's hub locally (127.0.0.1) with a local sign-in provider"
    command = commands.add_parser("preview", help=help_text, description=help_text)
    command.add_argument("--port", type=port, default=8000, help="public port (8000)")
    command.add_argument(
        "--keep", action="store_true", help="keep the state folder (logs, database)"
    )
    add_stack_arguments(command)
    command.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``preview``: the stack's hub on 127.0.0.1 until Ctrl-C or SIGTERM."""
    _, settings = load_stack(args.project_dir, args.stack)
    try:
        run(settings, args.stack, args.port, args.keep, out)
    except PreviewError as error:
        print(f"error: {error}", file=err)
        return EXIT_CONFIG
    return EXIT_OK


def run(settings: Settings, stack: str, port: int, keep: bool, out: TextIO) -> None:
    """``preview``: start, print what runs, wait for Ctrl-C or SIGTERM, stop everything."""
    with _stop_on_signals():
        try:
            with Preview(settings, stack, port=port, keep=keep) as preview:
                print("\n".join(preview.describe()), file=out, flush=True)
                print("Ctrl-C stops the preview.", file=out, flush=True)
                while all(child.process.poll() is None for child in preview.children):
                    time.sleep(0.5)
                stopped = next(c for c in preview.children if c.process.poll() is not None)
                raise PreviewError(f"{stopped.name} stopped: {_last_line(stopped.log)}")
        except KeyboardInterrupt:
            print("preview stopped", file=out, flush=True)
