"""What the preview runs: the stack's values, with only what cannot run locally swapped.

Every decision reads the values (what the chart's hub would read), not the settings, so that
values passed through ``helmValues`` count as they do on the cluster. The plan is written to a
file the preview hub's config (``config.py``) reads.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import credentials
from ..chart import string_environment
from .classroom import class_swaps, class_users
from .provider import provider_users

if TYPE_CHECKING:
    from ..settings import Settings

REPO = Path(__file__).resolve().parent.parent.parent
TEMPLATES = REPO / "images" / "hub" / "templates"
IMAGE_TEMPLATES = "/opt/up2u/templates"
"""Where images/hub/Dockerfile puts TEMPLATES in the hub image (stacks name it in templatePaths)."""
USER_IMAGE = "jupyter/k8s-singleuser"
"""The images workflow pushes images/singleuser as ``<registry>/jupyter/k8s-singleuser``."""
THEME_OVERRIDES = REPO / "theme" / "overrides.json"
USER_IMAGE_JUPYTER = REPO / "images" / "singleuser" / "jupyter"
"""The Up2U user image's JUPYTER_CONFIG_PATH folder (collaboration off unless a profile)."""
THEME_EXTENSION = "@up2u/jupyterlab-theme"
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
HOST = "127.0.0.1"
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
"""``hub.config`` keys the preview sets itself, after the stack's config (config.py)."""


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
    processes: list[Any] = field(default_factory=list)
    """What the stack runs beside the hub (``pupildata.preview.LocalProcess``: the backup
    sidecar and its object storage), started in order once the hub answers."""


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
    from ..authenticators import is_oauth, section_of
    from ..values import ChartSecrets, build_values

    # generated per run, as pulumi-random does per stack
    chart_secrets = ChartSecrets(*(secrets.token_hex(32) for _ in range(4)))
    env_names = secret_env or []
    values, defaults_line = _as_the_hub_reads(
        build_values(settings, chart_secrets, env_names), settings.chart.version
    )
    authenticator = values["hub"]["config"].get("JupyterHub", {}).get("authenticator_class")
    if authenticator not in PREVIEWABLE:
        known = isinstance(authenticator, str) and is_oauth(authenticator)
        where = f"at {authenticator.title()}" if known else "elsewhere"
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
        section = values["hub"]["config"].setdefault(section_of(authenticator), {})
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
        plan.provider_users = provider_users(section) + class_users(settings.classes, section)
    for spec in credentials.SECRETS:
        shown = spec.key != credentials.OAUTH_CLIENT_SECRET  # said with the provider above
        if spec.required(settings) and spec.preview is not None and shown:
            swaps.append(f"{spec.key} -> {spec.preview!r}")
    if env_names:
        swaps.append(f"secretEnv {', '.join(env_names)} -> local stand-ins (preview-<name>)")
    database = (values["hub"].get("db") or {}).get("type")
    if database not in (None, "sqlite-pvc", "sqlite-memory"):
        values["hub"]["db"] = {"type": "sqlite-pvc"}
        swaps.append(f"hub.db.type {database} -> SQLite")
    _swap_metrics(values, plan.env, swaps, ports)
    plan.processes = _swap_data_protection(values, plan.env, swaps)
    swaps += _singleuser_swaps(values) + class_swaps(settings)
    return plan


def _swap_data_protection(
    values: dict[str, Any], env: dict[str, str], swaps: list[str]
) -> list[Any]:
    """forget-user's token, retention's volumes and the backup sidecar (pupildata.preview)."""
    from ..pupildata.preview import swap

    return swap(values, env, swaps, str(REPO), free_port)


def _as_the_hub_reads(values: dict[str, Any], chart_version: str) -> tuple[dict[str, Any], str]:
    """The values the chart's hub reads on the cluster: the chart's own values.yaml under the
    stack's, merged as Helm merges them; and a line saying which, for the swap list.

    So ``get_config("cull.concurrency")`` in an extraConfig snippet answers the chart's default
    here too. The chart's values.yaml is read from beside its schema (``chart.schema``); without
    it the hub sees only the stack's own values, and the line says so.
    """
    from ..chart import coalesce
    from ..chart import schema as chartschema

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
    from ..chart import NAMESPACE_ENV, RELEASE_ENV, resource_prefix

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


SINGLEUSER_LOCALLY: dict[str, str | None] = {
    "defaultUrl": None,  # applied: Spawner.default_url
    "extraEnv": None,  # applied (plain values; the rest is said below)
    "profileList": None,  # applied as a form (said below)
    "image": None,  # decides the theme (_lab_theme)
    "cmd": "the image's command -> this machine's jupyterhub-singleuser",
    "cpu": "cpu limit and guarantee -> not applied to a local process",
    "memory": "memory limit and guarantee -> not applied to a local process",
    "storage": "the home volume -> a temporary folder per user",
    "cloudMetadata": None,  # no cloud metadata service on this machine: nothing to block
}
"""What the preview does with each ``singleuser`` key the stack renders: None when it applies
it (or says so elsewhere), else the swap-list line. A key missing here fails the tests: a new
user-server key needs its preview decision."""


def _singleuser_swaps(values: Mapping[str, Any]) -> list[str]:
    singleuser = values.get("singleuser") or {}
    swaps = [
        f"singleuser.{key}: {line}"
        for key, line in SINGLEUSER_LOCALLY.items()
        if line is not None and singleuser.get(key) not in (None, {}, [])
    ]
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
            "server-options form, by KubeSpawner's own code (its form, its refusals, profiles "
            "by group); each profile's environment reaches JupyterLab, its image, cpu, memory "
            "and other kubespawner_override keys do not apply locally"
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


def _swap_metrics(
    values: dict[str, Any], env: dict[str, str], swaps: list[str], ports: Ports
) -> None:
    """monitoring.enabled: a token for the metrics service, the proxy's metrics on 127.0.0.1."""
    from ..values import METRICS_TOKEN_ENV

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
