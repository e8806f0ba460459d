"""Settings -> z2jh 4.4.0 Helm values: a pure function, no Pulumi.

Secrets enter as opaque values (Pulumi Outputs in the program, placeholder strings offline) and
are placed, never inspected. The OAuth client secret and the database password never enter the
values at all: Helm keeps values in its release history (and the chart copies them into its hub
Secret), so those reach the hub from a Kubernetes Secret through ``hub.extraEnv`` instead.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import authenticators, authkeys, credentials, hardening
from .chart import HUB_PORT, deep_merge
from .classes.values import classroom_values
from .pullsecrets import pull_secret_values
from .pupildata.helm import helm_values as data_protection_values
from .quantity import parse_quantity
from .settings import COLLABORATION_ENV, PROFILE_ENV, Image, Profile, ResourceRequirements, Settings

SECRET_OPTIONS_CONFIG = "up2u-auth-secret-options"
"""The hub.extraConfig entry that reads auth.secretOptions from the hub's environment."""
DUMMY_PASSWORD_CONFIG = "import os\nc.DummyAuthenticator.password = os.environ['DUMMY_PASSWORD']"
"""DummyAuthenticator has no environment default for its password: read it from the Secret."""


HEALTH_SERVICE = "health-check"
"""The hub service whose token the post-deploy health check uses."""


def health_check_scopes(user: str) -> list[str]:
    """Least privilege for the health check: one dedicated user, nothing else.

    ``admin:users`` limited to that user lets it create the user on first use (and nothing
    about anyone else); ``servers`` starts and stops that user's server; ``access:servers``
    reaches it through the proxy to run code.
    """
    return [f"admin:users!user={user}", f"servers!user={user}", f"access:servers!user={user}"]


METRICS_SERVICE = "metrics"
"""The hub service Prometheus scrapes ``/hub/metrics`` as (monitoring.enabled)."""
METRICS_SCOPES = ["read:metrics"]
"""Everything the metrics service may do: read the hub's metrics, nothing else."""
METRICS_TOKEN_ENV = "UP2U_METRICS_TOKEN"
"""The hub's environment variable holding the metrics service's token."""
METRICS_SECRET_KEY = "token"
"""The key of the token in the metrics Secret (the ServiceMonitor reads the same key)."""
PROXY_METRICS_PORT = 8002
"""Where configurable-http-proxy serves its Prometheus metrics (its own port, never public)."""
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
"""The labels of the Prometheus Operator's Prometheus pods (kube-prometheus-stack's too)."""
METRICS_SERVICE_CONFIG = (
    "import os\n"
    "c.JupyterHub.services.append(\n"
    f"    {{'name': '{METRICS_SERVICE}', 'api_token': os.environ['{METRICS_TOKEN_ENV}']}}\n"
    ")"
)
"""Registers the metrics service with its token read from the environment, not the values."""


@dataclass(frozen=True)
class ChartSecrets:
    """The generated secrets (opaque values): three the chart would make, and the check's token."""

    proxy_token: Any
    cookie_secret: Any
    crypt_key: Any
    health_token: Any = None
    checksums: Mapping[str, Any] = field(default_factory=dict, kw_only=True)
    """The hub pod's restart annotations (``restarts.py``): name -> keyed hash of a Secret."""


def metrics_secret_name(settings: Settings) -> str:
    """Name of the Kubernetes Secret holding the metrics service's token."""
    return f"{settings.release_name}-up2u-metrics"


def callback_url(settings: Settings) -> str | None:
    """The OAuth redirect URL operators register with the identity provider."""
    if settings.domain is None or not authenticators.is_oauth(settings.auth.type):
        return None
    return f"{public_scheme(settings)}://{settings.domain}/hub/oauth_callback"


def public_scheme(settings: Settings) -> str:
    """``https`` unless the stack explicitly serves plain HTTP."""
    return "http" if settings.https.mode == "none" else "https"


def build_values(
    settings: Settings, secrets: ChartSecrets, secret_env: Collection[str] = ()
) -> dict[str, Any]:
    """The exact values the stack's Helm release gets: ours, then ``helmValues`` merged last.

    ``secret_env`` names the stack's secretEnv entries (names only: values stay in the
    credentials Secret, which the hub reads through ``hub.extraEnv``).
    """
    values = {
        "proxy": _proxy(settings, secrets),
        "hub": _hub(settings, secrets, secret_env),
        "singleuser": _singleuser(settings),
        "scheduling": {"userScheduler": {"enabled": settings.scheduling.user_scheduler}},
        "prePuller": {
            "hook": {"enabled": settings.pre_puller.hook},
            "continuous": {"enabled": settings.pre_puller.continuous},
        },
        "cull": {
            "enabled": settings.cull.enabled,
            "timeout": settings.cull.timeout,
            "every": settings.cull.every,
            "maxAge": settings.cull.max_age,
            "users": settings.cull.users,
        },
    }
    values = deep_merge(values, hardening.values())  # every pod passes settings.pod_security
    if settings.monitoring.enabled:
        values = deep_merge(values, _metrics(settings))
    values = deep_merge(values, data_protection_values(settings, values))
    values = deep_merge(values, pull_secret_values(settings))
    values = deep_merge(values, classroom_values(settings))
    return deep_merge(values, settings.helm_values)


def _metrics(settings: Settings) -> dict[str, Any]:
    """Let the cluster's Prometheus in: a metrics service, and one door in each NetworkPolicy.

    The token never enters the values (Helm would keep it in its release history): the hub
    reads it from the metrics Secret, the one the ServiceMonitor authorises with.
    """

    def from_prometheus(port: int) -> dict[str, Any]:
        monitoring_namespace = {"kubernetes.io/metadata.name": settings.monitoring.namespace}
        return {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": monitoring_namespace},
                    "podSelector": {"matchLabels": dict(PROMETHEUS_POD_LABELS)},
                }
            ],
            "ports": [{"protocol": "TCP", "port": port}],
        }

    return {
        "hub": {
            "extraEnv": {
                METRICS_TOKEN_ENV: {
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": metrics_secret_name(settings),
                            "key": METRICS_SECRET_KEY,
                        }
                    }
                }
            },
            "extraConfig": {"up2u-metrics-service": METRICS_SERVICE_CONFIG},
            "loadRoles": {
                METRICS_SERVICE: {
                    "description": "Prometheus reads the hub's metrics, nothing else",
                    "scopes": list(METRICS_SCOPES),
                    "services": [METRICS_SERVICE],
                }
            },
            "networkPolicy": {"ingress": [from_prometheus(HUB_PORT)]},
        },
        "proxy": {
            "chp": {
                # the metrics server listens on every interface unless --metrics-ip says else
                "extraCommandLineFlags": [f"--metrics-port={PROXY_METRICS_PORT}"],
                "networkPolicy": {"ingress": [from_prometheus(PROXY_METRICS_PORT)]},
            }
        },
    }


def _proxy(settings: Settings, secrets: ChartSecrets) -> dict[str, Any]:
    https: dict[str, Any] = {"enabled": settings.https.mode != "none"}
    mode = settings.https.mode
    if mode != "none":
        https["type"] = mode
    if mode in ("letsencrypt", "secret"):
        https["hosts"] = list(dict.fromkeys([settings.domain, *settings.https.extra_hosts]))
    if mode == "letsencrypt":
        https["letsencrypt"] = {"contactEmail": settings.https.contact_email}
    if mode == "secret":
        https["secret"] = {"name": settings.https.secret_name}
    return {
        "secretToken": secrets.proxy_token,
        "service": {"type": settings.proxy.service_type},
        "https": https,
        "chp": {"resources": _resources(settings.proxy.resources)},
    }


def _hub(settings: Settings, secrets: ChartSecrets, secret_env: Collection[str]) -> dict[str, Any]:
    hub = settings.hub
    db: dict[str, Any] = {"type": hub.db.type}
    if hub.db.type == "sqlite-pvc":
        # Keep the database volume when the release is uninstalled: it holds every user,
        # token and server record, and Helm would otherwise delete it with the release.
        db["pvc"] = {
            "storage": hub.db.storage,
            "annotations": {"helm.sh/resource-policy": "keep"},
        }
        if hub.db.storage_class is not None:
            db["pvc"]["storageClassName"] = hub.db.storage_class
    else:
        db["url"] = hub.db.url
    values: dict[str, Any] = {
        "cookieSecret": secrets.cookie_secret,
        "config": _hub_config(settings, secrets),
        "extraEnv": credentials.hub_env(
            settings, credentials.secret_name(settings.release_name), secret_env
        ),
        "db": db,
        "concurrentSpawnLimit": hub.concurrent_spawn_limit,
        "templatePaths": list(hub.template_paths),
        "templateVars": dict(hub.template_vars),
        "extraConfig": _extra_config(settings),
        "resources": _resources(hub.resources),
    }
    if secrets.checksums:
        values["annotations"] = dict(secrets.checksums)  # the chart puts them on the pod
    if hub.active_server_limit is not None:
        values["activeServerLimit"] = hub.active_server_limit
    if hub.image is not None:
        values["image"] = _image(hub.image)
    if settings.health_check.enabled:
        values["services"] = {HEALTH_SERVICE: {"apiToken": secrets.health_token}}
        values["loadRoles"] = {
            HEALTH_SERVICE: {
                "description": "Post-deploy health check of one dedicated user's server",
                "scopes": health_check_scopes(settings.health_check.user),
                "services": [HEALTH_SERVICE],
            }
        }
    return values


def _hub_config(settings: Settings, secrets: ChartSecrets) -> dict[str, Any]:
    auth = settings.auth
    return {
        "JupyterHub": {"authenticator_class": auth.type},
        "CryptKeeper": {"keys": [secrets.crypt_key]},
        "Authenticator": {"admin_users": list(auth.admin_users)},
        authenticators.section_of(auth.type): _authenticator(settings),
    }


def _authenticator(settings: Settings) -> dict[str, Any]:
    """The class's section: each typed key that applies to it (``authkeys``), then options.

    A key is written when the stack sets it, or when Up2U has a default for the class (scope
    ``[openid]`` for generic-oauth). The allow rules are written together as soon as the stack
    names any: then they, not a class default (firstuse lets everyone in), decide.
    """
    auth = settings.auth
    sections = auth.sections
    section: dict[str, Any] = {}
    states_rules = "allow_all" in auth.model_fields_set or any(
        getattr(auth, name) for name in authkeys.ALLOW_RULES
    )
    for row in authkeys.keys_for(sections):
        if row.attribute is None:
            if row.traits == ("oauth_callback_url",) and settings.domain is not None:
                section["oauth_callback_url"] = callback_url(settings)
            continue  # the client secret never enters the values
        if row.attribute == "admin_users":
            continue  # rendered in the Authenticator section, which every class reads
        if row.attribute in ("allow_all", "allowed_users"):
            if states_rules:
                section[row.attribute] = _plain(getattr(auth, row.attribute))
            continue
        if row.attribute in ("groups_claim", "allowed_groups", "admin_groups"):
            continue
        if row.attribute in auth.model_fields_set:
            section[row.traits[0]] = _plain(getattr(auth, row.attribute))
        elif (default := authkeys.default_for(row, sections)) is not None:
            section[row.traits[0]] = _plain(default)
    if auth.groups_claim is not None or auth.allowed_groups or auth.admin_groups:
        # group rules count only with manage_groups (OAuthenticator 17), which also mirrors
        # the provider's groups into JupyterHub groups at each sign-in
        section |= {
            "manage_groups": True,
            "allowed_groups": list(auth.allowed_groups),
            "admin_groups": list(auth.admin_groups),
        }
        if auth.groups_claim is not None:
            user_key = authenticators.class_of(auth.type).user_auth_state_key
            section["auth_state_groups_key"] = f"{user_key}.{auth.groups_claim}"
    return section | dict(auth.options)


def _plain(value: Any) -> Any:
    """A copy of a settings value as plain data (lists and maps of the frozen model)."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _extra_config(settings: Settings) -> dict[str, str]:
    extra = dict(settings.hub.extra_config)
    if settings.auth.type == "dummy":
        extra["up2u-dummy-password"] = DUMMY_PASSWORD_CONFIG
    if settings.auth.secret_options:
        extra[SECRET_OPTIONS_CONFIG] = secret_options_config(settings)
    return extra


def secret_options_config(settings: Settings) -> str:
    """Python for hub.extraConfig: each auth.secretOptions trait read from its secretEnv entry.

    A trait that takes a string gets the variable as it is; any other (a map such as LTI 1.1's
    ``consumers``) gets it parsed as JSON, so the secret can hold structured data.
    """
    auth = settings.auth
    section = authenticators.section_of(auth.type)
    cls = authenticators.load_catalogue().of(auth.type)
    assignments = []
    for trait, env in sorted(auth.secret_options.items()):
        kind = cls.traits[trait].type if cls is not None and trait in cls.traits else "str"
        read = f"os.environ[{env!r}]"
        value = read if "str" in kind.split("|") else f"json.loads({read})"
        assignments.append(f"c.{section}.{trait} = {value}")
    imports = ["import json"] if any("json.loads" in a for a in assignments) else []
    return "\n".join([*imports, "import os", "", *assignments]) + "\n"


def _singleuser(settings: Settings) -> dict[str, Any]:
    user = settings.singleuser
    values: dict[str, Any] = {
        "defaultUrl": user.default_url,
        "cpu": {"limit": user.cpu.limit, "guarantee": user.cpu.guarantee},
        # bytes, for the reason memory_bytes gives
        "memory": {
            "limit": _bytes_or_none(user.memory.limit),
            "guarantee": _bytes_or_none(user.memory.guarantee),
        },
        "storage": {"capacity": user.storage.capacity},
        "extraEnv": dict(user.extra_env),
    }
    if user.storage.storage_class is not None:
        values["storage"]["dynamic"] = {"storageClass": user.storage.storage_class}
    if user.image is not None:
        values["image"] = _image(user.image)
    if settings.profiles:
        values["profileList"] = [_profile(profile) for profile in settings.profiles]
    return values


def _profile(profile: Profile) -> dict[str, Any]:
    """A KubeSpawner 7 ``profile_list`` entry: what the profile sets, over the singleuser values.

    KubeSpawner replaces each overridden trait but merges dicts, so ``environment`` adds the
    profile's variables to ``singleuser.extraEnv`` instead of dropping them.
    """
    override: dict[str, Any] = {}
    if profile.image is not None:
        image = _image(profile.image)
        override["image"] = f"{image['name']}:{image['tag']}"
    for trait, value in (
        ("cpu_limit", profile.cpu.limit),
        ("cpu_guarantee", profile.cpu.guarantee),
    ):
        if value is not None:
            override[trait] = value
    for trait, quantity in (
        ("mem_limit", profile.memory.limit),
        ("mem_guarantee", profile.memory.guarantee),
    ):
        if quantity is not None:
            override[trait] = memory_bytes(quantity)
    override["environment"] = {**profile.extra_env, PROFILE_ENV: profile.slug}
    if profile.collaboration:
        override["environment"][COLLABORATION_ENV] = "1"
    entry: dict[str, Any] = {
        "slug": profile.slug,
        "display_name": profile.display_name,
        "description": profile.description,
        "kubespawner_override": override,
    }
    if profile.default:
        entry["default"] = True
    if profile.groups:  # read (and taken out) by the spawn rules, see classes/spawn_rules.py
        entry["allowed_groups"] = list(profile.groups)
    return entry


def _bytes_or_none(quantity: str | None) -> int | None:
    return None if quantity is None else memory_bytes(quantity)


def memory_bytes(quantity: str) -> int:
    """A memory quantity as whole bytes, as KubeSpawner's memory traits should get it.

    The chart hands ``singleuser.memory`` (and profile overrides) to KubeSpawner's
    ``mem_limit``/``mem_guarantee``, whose ByteSpecification reads ``G`` as 2**30 and refuses
    ``Gi`` (a hub that cannot spawn); bytes mean what the Kubernetes quantity in the stack says.
    """
    return int(parse_quantity(quantity))


def _image(image: Image) -> dict[str, str]:
    # An image named without a tag is what Kubernetes would run: latest. Leaving the tag out
    # here would silently pair the custom image with the chart's default tag instead.
    return {"name": image.name, "tag": image.tag or "latest"}


def _resources(resources: ResourceRequirements) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if resources.requests:
        out["requests"] = dict(resources.requests)
    if resources.limits:
        out["limits"] = dict(resources.limits)
    return out
