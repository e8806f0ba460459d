"""Run a stack's hub on this machine: the same values, with only what cannot run locally swapped.

Real JupyterHub, configurable-http-proxy (npm), GenericOAuthenticator talking OpenID Connect to
a local provider (oidc-provider-mock: sign in as any ``sub``, or as a group member from its user
table), the idle culler as a hub service, and one JupyterLab per user started by a local spawner
(``previewspawner``). Everything listens on 127.0.0.1.
"""

# Settings, values and the stack file (pydantic) are imported only once the hub is starting:
# the command starts the hub first, so that their import overlaps JupyterHub's.
from __future__ import annotations

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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

# imported up front, not at stop time: stopping must not depend on anything loading late
import psutil

from . import credentials
from .args import add_stack_arguments, port
from .credentials import OAUTH_TYPES
from .errors import EXIT_CONFIG, EXIT_OK, printable
from .hubconfig import Z2JH_PATH, string_environment

if TYPE_CHECKING:
    from .settings import Settings

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "images" / "hub" / "templates"
IMAGE_TEMPLATES = "/opt/up2u/templates"
"""Where images/hub/Dockerfile puts TEMPLATES in the hub image (stacks name it in templatePaths)."""
USER_IMAGE = "jupyter/k8s-singleuser"
"""The images workflow pushes images/singleuser as ``<registry>/jupyter/k8s-singleuser``."""
THEME_OVERRIDES = REPO / "theme" / "overrides.json"
THEME_EXTENSION = "@up2u/jupyterlab-theme"
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
HOST = "127.0.0.1"
STARTUP_SECONDS = 90
PROVIDER_NICENESS = 5
STOP_SECONDS = 10
STOP_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)
PREVIEWABLE = ("generic-oauth", "dummy", "tmp")
"""Authenticators (the chart's ``authenticator_class`` names) whose sign-in runs locally."""
PINNED = {
    "JupyterHub": ("bind_url", "ip", "port", "hub_bind_url", "hub_ip", "hub_port",
                   "hub_connect_ip", "hub_connect_url", "db_url", "spawner_class",
                   "proxy_class"),
    "ConfigurableHTTPProxy": ("api_url", "command", "should_start"),
    "Spawner": ("ip", "port", "cmd"),
    "LocalProcessSpawner": ("ip", "port"),
    "PreviewSpawner": ("ip", "port"),
}  # fmt: skip
"""``hub.config`` keys the preview sets itself, after the stack's config (preview_config.py)."""


class PreviewError(Exception):
    """The preview cannot start or stopped; the message is the one line the operator sees."""


@dataclass
class Ports:
    """Where each piece listens, all on the plan's host."""

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
    host: str = HOST
    lab_theme: bool = False
    """JupyterLab gets the Up2U theme and theme/overrides.json (the user image is ours)."""
    provider_users: list[dict[str, Any]] = field(default_factory=list)
    """The local identity provider's user table: ``{"sub": ..., <claim>: ...}`` each."""
    oidc: bool = False
    """The stack signs in with OpenID Connect: the preview runs a local provider."""


def local_plan(
    settings: Settings,
    ports: Ports,
    templates: Path = TEMPLATES,
    secret_env: list[str] | None = None,
) -> Plan:
    """The stack's own values (values.py), with what cannot exist locally swapped out.

    Every decision reads the values (what the chart's hub would read), not the settings, so
    that values passed through ``helmValues`` count as they do on the cluster.
    """
    from .values import AUTHENTICATOR_CLASSES, ChartSecrets, build_values

    # generated per run, as pulumi-random does per stack
    chart_secrets = ChartSecrets(*(secrets.token_hex(32) for _ in range(4)))
    env_names = secret_env or []
    values, defaults_line = _as_the_hub_reads(
        build_values(settings, chart_secrets, env_names), settings.chart.version
    )
    authenticator = values["hub"]["config"].get("JupyterHub", {}).get("authenticator_class")
    if authenticator not in PREVIEWABLE:
        where = f"at {authenticator.title()}" if authenticator in OAUTH_TYPES else "elsewhere"
        raise PreviewError(
            f"auth.type {authenticator} signs in {where}, which the preview cannot reach; "
            "preview a generic-oauth, dummy or tmp stack"
        )
    public = f"http://{HOST}:{ports.public}"
    swaps = [
        "KubeSpawner -> a local spawner: one JupyterLab process per user in a temporary home "
        "(cpu/memory limits and volumes do not apply)",
        f"the chart's proxy pod -> configurable-http-proxy from npm on {HOST}:{ports.public}",
        "hub database -> SQLite in the temporary state folder",
        "chart secrets (proxy token, cookie secret, auth-state key) -> generated for this run",
        _templates_swap(values, templates),
        f"HTTPS ({_https_mode(values)}) -> plain HTTP on {HOST}",
        _listening_swap(values),
        defaults_line,
    ]
    env = credentials.preview_env(settings, env_names) | _pod_env(settings, values, ports)
    swaps.append(
        "the hub pod's environment (HELM_RELEASE_NAME, POD_NAMESPACE, the hub's and proxy's "
        f"*_SERVICE_HOST/PORT) -> the same names, pointing at {HOST}"
    )
    plan = Plan(values, swaps, env, sign_in_as=_named_users(values))
    plan.lab_theme, theme_swap = _lab_theme(values)
    swaps.append(theme_swap)
    if authenticator == "generic-oauth":
        section = values["hub"]["config"].setdefault(AUTHENTICATOR_CLASSES[authenticator], {})
        deployed_at = section.get("authorize_url")
        oidc = f"http://{HOST}:{ports.oidc}"
        section |= {
            "authorize_url": f"{oidc}/oauth2/authorize",
            "token_url": f"{oidc}/oauth2/token",
            "userdata_url": f"{oidc}/userinfo",
            "oauth_callback_url": f"{public}/hub/oauth_callback",
        }
        swaps.append(
            f"identity provider {deployed_at} -> local OpenID Connect provider {oidc} "
            f"(sign in as any {section.get('username_claim', 'preferred_username')}); "
            "client secret -> a local one"
        )
        plan.oidc = True
        plan.provider_users = provider_users(section)
    for spec in credentials.SECRETS:
        if spec.required(settings) and spec.preview is not None and spec.key != "oauthClientSecret":
            swaps.append(f"{spec.key} -> {spec.preview!r}")
    if env_names:
        swaps.append(f"secretEnv {', '.join(env_names)} -> local stand-ins (preview-<name>)")
    database = (values["hub"].get("db") or {}).get("type")
    if database not in (None, "sqlite-pvc", "sqlite-memory"):
        values["hub"]["db"] = {"type": "sqlite-pvc"}
        swaps.append(f"hub.db.type {database} -> SQLite")
    _swap_metrics(values, plan.env, swaps, ports)
    swaps += _singleuser_swaps(values)
    return plan


def _as_the_hub_reads(values: dict[str, Any], chart_version: str) -> tuple[dict[str, Any], str]:
    """The values the chart's hub reads on the cluster: the chart's own values.yaml under the
    stack's, merged as Helm merges them; and a line saying which, for the swap list.

    So ``get_config("cull.concurrency")`` in an extraConfig snippet answers the chart's default
    here too. The chart's values.yaml is read from beside its schema (``chartschema``); without
    it the hub sees only the stack's own values, and the line says so.
    """
    from . import chartschema
    from .values import coalesce

    schema = chartschema.schema_path(chart_version)
    defaults = chartschema.chart_defaults(schema) if schema is not None else None
    if schema is None or defaults is None:
        return values, (
            f"chart {chart_version} defaults (values.yaml) not found: the hub's z2jh "
            "get_config answers only the stack's own values"
        )
    merged = coalesce(defaults, values)
    # Helm's merge drops a key set to null, and the templates then see it unset; for the name
    # overrides unset is not the default ("") but "release-chart", so the null is kept
    merged |= {k: None for k in ("fullnameOverride", "nameOverride") if values.get(k, "") is None}
    return merged, (
        f"the chart's defaults ({schema.with_name('values.yaml')}) under the stack's values, "
        "as the chart's hub reads them"
    )


def _pod_env(settings: Settings, values: Mapping[str, Any], ports: Ports) -> dict[str, str]:
    """What the chart's hub pod has in its environment without hub.extraEnv: the release and
    namespace (templates/hub/deployment.yaml), and Kubernetes' variables for the Services the
    hub talks to, here the local ports. extraConfig snippets read them (daskhub's does), and
    ``get_name_env("hub", "_SERVICE_PORT")`` needs them."""
    from .values import NAMESPACE_ENV, RELEASE_ENV, resource_prefix

    env = {RELEASE_ENV: settings.release_name, NAMESPACE_ENV: settings.namespace}
    prefix = resource_prefix(values, settings.release_name)
    for name, number in (("hub", ports.hub), ("proxy-api", ports.proxy_api),
                       ("proxy-public", ports.public)):  # fmt: skip
        variable = (prefix + name).upper().replace("-", "_")
        env[f"{variable}_SERVICE_HOST"] = HOST
        env[f"{variable}_SERVICE_PORT"] = str(number)
    return env


def _https_mode(values: Mapping[str, Any]) -> str:
    https = (values.get("proxy") or {}).get("https") or {}
    return str(https.get("type", "letsencrypt")) if https.get("enabled") else "none"


def _templates_swap(values: dict[str, Any], templates: Path) -> str:
    """Up2U's templates only where the stack's hub image would have them (its templatePaths)."""
    named = list(values["hub"].get("templatePaths") or [])
    if IMAGE_TEMPLATES in named:
        values["hub"]["templatePaths"] = [str(templates)]
        return f"hub.templatePaths {named} -> {[str(templates)]}"
    values["hub"]["templatePaths"] = []
    if named:
        return (
            f"hub.templatePaths {named} (not {IMAGE_TEMPLATES}, the Up2U hub image's) -> "
            "JupyterHub's stock pages"
        )
    return "no hub.templatePaths: JupyterHub's stock pages, as the stack shows"


def _listening_swap(values: Mapping[str, Any]) -> str:
    config = values["hub"].get("config") or {}
    overridden = [
        f"{section}.{key}"
        for section, keys in PINNED.items()
        for key in keys
        if isinstance(config.get(section), Mapping) and key in config[section]
    ]
    line = (
        f"every listening address -> {HOST} only, set after the stack's hub.config and "
        "hub.extraConfig"
    )
    return line + (f" (overrides {', '.join(overridden)})" if overridden else "")


def _lab_theme(values: Mapping[str, Any]) -> tuple[bool, str]:
    image = (values.get("singleuser") or {}).get("image") or {}
    name = str(image.get("name") or "")
    shown = f"{name}:{image.get('tag')}" if image.get("tag") else name
    if name.endswith(f"/{USER_IMAGE}"):
        return True, (
            f"singleuser.image {shown} (built from images/singleuser) -> this machine's "
            "JupyterLab with the Up2U theme and theme/overrides.json, as that image has them"
        )
    return False, (
        f"singleuser.image {shown or 'the chart default'} is not built from images/singleuser "
        f"(<registry>/{USER_IMAGE}) -> JupyterLab's stock look here; the stack's image decides "
        "what users see"
    )


def _singleuser_swaps(values: Mapping[str, Any]) -> list[str]:
    singleuser = values.get("singleuser") or {}
    swaps = []
    env = singleuser.get("extraEnv") or {}
    names = env.keys() if isinstance(env, Mapping) else [e.get("name") for e in env]
    skipped = sorted(set(map(str, names)) - set(string_environment(env)))
    if skipped:
        swaps.append(
            f"singleuser.extraEnv {', '.join(skipped)} (read from Kubernetes objects) -> not set"
        )
    profiles = singleuser.get("profileList") or []
    if profiles:
        swaps.append(
            f"singleuser.profileList ({len(profiles)} profiles) -> the same choice as a "
            "server-options form; each profile's environment and UP2U_PROFILE reach "
            "JupyterLab, its image, cpu, memory and other kubespawner_override keys do not "
            "apply locally"
        )
    return swaps


def _named_users(values: Mapping[str, Any]) -> list[str]:
    """The users the stack's config names: admins first, then the allowed."""
    config = values["hub"].get("config") or {}
    names: list[str] = []
    for section in config.values():
        if isinstance(section, Mapping):
            names += [n for n in section.get("admin_users") or [] if n not in names]
    for section in config.values():
        if isinstance(section, Mapping):
            names += [n for n in section.get("allowed_users") or [] if n not in names]
    return names


def provider_users(oauth: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A user table for the local provider: one member of each allowed and each admin group.

    The groups reach the hub in the claim that ``auth_state_groups_key`` names
    (``oauth_user.<claim>``, a dotted path into the userinfo reply), so the stack's group
    rules run as they would against eduTEAMS.
    """
    key = oauth.get("auth_state_groups_key")
    if not isinstance(key, str) or not key.startswith("oauth_user."):
        return []
    path = key.removeprefix("oauth_user.").split(".")
    username_claim = oauth.get("username_claim", "preferred_username")
    users = []
    for role, groups in (("member", oauth.get("allowed_groups")),
                         ("admin", oauth.get("admin_groups"))):  # fmt: skip
        for number, group in enumerate(groups or [], start=1):
            sub = f"group-{role}-{number}"
            claims: dict[str, Any] = {"sub": sub}
            node = claims
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = [group]
            if isinstance(username_claim, str) and username_claim != "sub":
                claims[username_claim] = sub
            users.append(claims)
    return users


def _swap_metrics(
    values: dict[str, Any], env: dict[str, str], swaps: list[str], ports: Ports
) -> None:
    """monitoring.enabled: a token for the metrics service, the proxy's metrics on 127.0.0.1."""
    from .values import METRICS_TOKEN_ENV

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

    def __init__(
        self,
        settings: Settings | Callable[[], Settings],
        stack: str,
        port: int = 8000,
        keep: bool = False,
    ):
        """``settings`` may be a function that reads them: it runs once the hub is starting."""
        if not 1 <= port <= 65535:  # before anything exists, so nothing can be left behind
            raise PreviewError(f"{port} is not a port; use 1 to 65535")
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
        config = Path(__file__).with_name("preview_config.py")
        self._spawn("jupyterhub", [sys.executable, "-m", "jupyterhub", "-f", str(config)], env=env)
        if callable(self.settings):
            self.settings = self.settings()  # a config error stops the hub (__enter__)
        self.plan = plan = local_plan(self.settings, self.ports)
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
                [sys.executable, "-m", "oidc_provider_mock", "--host", plan.host,
                 "--port", str(self.ports.oidc), *users],
            )  # fmt: skip
            # Needed only at sign-in: on a busy 2-core machine it yields the CPU to the hub
            # while both start (raising one's own niceness needs no privilege).
            with suppress(psutil.Error):
                provider.nice(PROVIDER_NICENESS)
            waits.append((f"{self.oidc_url}/.well-known/openid-configuration", "oidc-provider"))
        self._wait_http(waits)
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


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGHUP (closed terminal), SIGINT and SIGTERM into one clean stop."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _say(out: TextIO, text: str) -> None:
    with suppress(OSError):  # after SIGHUP the terminal may be gone
        print(text, file=out, flush=True)


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
    """``preview``: the stack's hub on 127.0.0.1 until Ctrl-C, SIGTERM or SIGHUP."""

    def settings() -> Settings:
        from .stackfile import load_stack

        return load_stack(args.project_dir, args.stack)[1]

    try:
        run(settings, args.stack, args.port, args.keep, out)
    except PreviewError as error:
        # the message may quote a child's log line: never let it drive the terminal
        print(f"error: {printable(str(error))}", file=err)
        return EXIT_CONFIG
    return EXIT_OK


def run(
    settings: Settings | Callable[[], Settings],
    stack: str,
    public_port: int,
    keep: bool,
    out: TextIO,
) -> None:
    """``preview``: start, print what runs, wait for a stop signal or a stopped piece."""
    with _stop_on_signals():
        try:
            with Preview(settings, stack, port=public_port, keep=keep) as preview:
                _say(out, "\n".join(preview.describe()))
                _say(out, "Ctrl-C stops the preview.")
                while (stopped := preview.stopped_child()) is None:
                    time.sleep(0.2)
                raise PreviewError(f"{stopped} stopped: {preview.last_line(stopped)}")
        except KeyboardInterrupt:
            _say(out, "preview stopped")
