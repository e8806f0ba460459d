"""The JupyterHub component: namespace, generated secrets, credentials Secret, Helm release.

With ``monitoring.enabled`` also what a Prometheus Operator needs: the metrics token's Secret,
a Service for the proxy's metrics, ServiceMonitors, a PrometheusRule and dashboard ConfigMaps.
"""

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_random as random
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.core.v1 import ConfigMap, Namespace, Secret, Service
from pulumi_kubernetes.helm.v3 import Release, ReleaseArgs, RepositoryOptsArgs

from . import chart, credentials, monitoring, restarts
from .chart import hub_url, proxy_public_service
from .deployment.podsecurity import namespace_labels
from .pupildata.resources import data_protection_resources
from .settings import Settings
from .values import (
    METRICS_SECRET_KEY,
    ChartSecrets,
    build_values,
    callback_url,
    metrics_secret_name,
    public_scheme,
)

MAX_HISTORY = 10
"""Helm revisions kept: enough to roll back a few deploys, few enough not to pile up Secrets."""
RELEASE_TIMEOUT_SECONDS = 900
"""The pre-puller hook waits for the user image on every node before the hub upgrades."""


@dataclass(frozen=True)
class JupyterHubArgs:
    """What the component needs: validated settings and the secrets from stack config."""

    settings: Settings
    secrets: Mapping[str, pulumi.Input[str] | None] = field(default_factory=dict)
    """Operator-supplied secrets by config key (credentials.SECRETS), e.g. oauthClientSecret."""
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """The secretEnv entries: environment variable name -> secret value."""


OUTPUTS = {
    "namespace": "namespace",
    "releaseName": "release_name",
    "chartVersion": "chart_version",
    "releaseStatus": "release_status",
    "hubUrl": "hub_url",
    "proxyEndpoint": "proxy_endpoint",
    "publicUrl": "public_url",
    "oauthCallbackUrl": "oauth_callback_url",
    "healthCheckToken": "health_check_token",
    "forgetUserToken": "forget_user_token",
}
"""Stack output name -> component attribute: the one list of what a stack exports."""


class JupyterHub(pulumi.ComponentResource):
    """Up2U's JupyterHub: the z2jh chart on Kubernetes, with everything it needs around it."""

    namespace: pulumi.Output[str]
    """The namespace the hub runs in."""
    release_name: pulumi.Output[str]
    """The Helm release name."""
    chart_version: pulumi.Output[str]
    """The z2jh chart version deployed."""
    release_status: pulumi.Output[str]
    """Helm's status of the release (``deployed`` when healthy)."""
    hub_url: pulumi.Output[str]
    """The hub's in-cluster URL."""
    proxy_endpoint: pulumi.Output[str]
    """The public proxy Service's address: load balancer IP or host name, else its cluster IP."""
    public_url: pulumi.Output[str]
    """Where users go."""
    oauth_callback_url: pulumi.Output[str]
    """The redirect URL to register with the identity provider."""
    health_check_token: pulumi.Output[str]
    """The health-check service's API token (secret; empty when the check is disabled)."""
    forget_user_token: pulumi.Output[str]
    """The forget-user service's API token (secret): erasure on request."""

    def __init__(
        self, name: str, args: JupyterHubArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("up2u:jupyter:JupyterHub", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        # Deleting the namespace or the release deletes the hub and its database volume claim
        # (and Kubernetes then the users' volumes in that namespace): protected stacks refuse.
        guarded = pulumi.ResourceOptions(parent=self, protect=settings.protect)

        # adopt: take over a namespace and release installed by hand (`helm upgrade --install`)
        # instead of creating them, so the first `pulumi up` upgrades the running release.
        adopted = adoption_ids(settings)
        metadata: dict[str, Any] = {"name": settings.namespace}
        if not settings.adopt:
            # Pod Security admission refuses any pod below this level (check judges every pod
            # template at it). Not on the adopting deploy: an import must match the namespace
            # as it is; the labels come with the next deploy, once adopt is removed.
            metadata["labels"] = namespace_labels(settings.pod_security)
        namespace = Namespace(
            f"{name}-namespace",
            metadata=metadata,
            opts=pulumi.ResourceOptions.merge(
                guarded, pulumi.ResourceOptions(import_=adopted.get("namespace"))
            ),
        )
        ns_name = namespace.metadata.name

        # RandomBytes, not RandomId: RandomId's resource id is the value itself, in plain text.
        parts = ["proxy-token", "cookie-secret", "crypt-key"]
        if settings.health_check.enabled:
            parts.append("health-token")
        generated = {
            part: pulumi.Output.secret(
                random.RandomBytes(f"{name}-{part}", length=32, opts=child).hex
            )
            for part in parts
        }
        secrets = ChartSecrets(
            proxy_token=generated["proxy-token"],
            cookie_secret=generated["cookie-secret"],
            crypt_key=generated["crypt-key"],
            health_token=generated.get("health-token"),
        )

        string_data = {
            key: pulumi.Output.secret(value)
            for key, value in credentials.string_data(
                settings, args.secrets, args.secret_env
            ).items()
        }
        depends_on: list[pulumi.Resource] = []
        if string_data:
            depends_on.append(
                Secret(
                    f"{name}-credentials",
                    metadata={
                        "name": credentials.secret_name(settings.release_name),
                        "namespace": ns_name,
                    },
                    type="Opaque",
                    string_data=string_data,
                    opts=child,
                )
            )

        metrics_secret, metrics_data = None, {}
        if settings.monitoring.enabled:
            # Only Kubernetes holds the token: the hub reads it from this Secret (extraEnv),
            # Prometheus authorises with it (the ServiceMonitor); it is no output, no value.
            token = random.RandomBytes(f"{name}-metrics-token", length=32, opts=child)
            metrics_data = {METRICS_SECRET_KEY: pulumi.Output.secret(token.hex)}
            metrics_secret = Secret(
                f"{name}-metrics-token",
                metadata={"name": metrics_secret_name(settings), "namespace": ns_name},
                type="Opaque",
                string_data=metrics_data,
                opts=child,
            )
            depends_on.append(metrics_secret)

        # forget-user's token and the claims-only identity of erasure (and retention)
        data_protection = data_protection_resources(name, settings, ns_name, child)
        depends_on += data_protection.before_release

        checksums = _restart_checksums(
            name,
            settings,
            args,
            {
                restarts.CREDENTIALS_ANNOTATION: string_data,
                restarts.METRICS_ANNOTATION: metrics_data,
                restarts.DATA_PROTECTION_ANNOTATION: data_protection.secret_data,
            },
            child,
        )
        secrets = dataclasses.replace(secrets, checksums=checksums)
        values = build_values(settings, secrets, secret_env=list(args.secret_env))
        release = Release(
            f"{name}-release",
            ReleaseArgs(
                name=settings.release_name,
                namespace=ns_name,
                chart=chart.NAME,
                version=settings.chart.version,
                repository_opts=RepositoryOptsArgs(repo=settings.chart.repo),
                values=values,
                # Nulls in helmValues remove chart defaults, as they do with `helm -f`.
                allow_null_values=True,
                cleanup_on_fail=True,
                max_history=MAX_HISTORY,
                timeout=RELEASE_TIMEOUT_SECONDS,
            ),
            # The hub reads the credentials Secret by name (secretKeyRef), which the
            # dependency graph cannot see: create it before the release starts the hub.
            opts=pulumi.ResourceOptions.merge(
                guarded,
                pulumi.ResourceOptions(depends_on=depends_on, import_=adopted.get("release")),
            ),
        )
        status = release.status
        if metrics_secret is not None:
            _monitoring_resources(name, settings, values, ns_name, metrics_secret, child)

        service_name = proxy_public_service(values, settings.release_name)
        proxy = Service.get(
            f"{name}-proxy-public",
            status.apply(lambda s: f"{_field(s, 'namespace')}/{service_name}"),
            opts=child,
        )

        self.namespace = status.apply(lambda s: _field(s, "namespace"))
        self.release_name = status.apply(lambda s: _field(s, "name"))
        self.chart_version = status.apply(lambda s: _field(s, "version"))
        self.release_status = status.apply(lambda s: _field(s, "status"))
        self.hub_url = pulumi.Output.from_input(
            hub_url(values, settings.release_name, settings.namespace)
        )
        self.proxy_endpoint = pulumi.Output.all(proxy.status, proxy.spec).apply(
            lambda parts: _service_address(*parts)
        )
        if settings.domain is not None:
            self.public_url = pulumi.Output.from_input(
                f"{public_scheme(settings)}://{settings.domain}/"
            )
        else:
            self.public_url = self.proxy_endpoint.apply(lambda host: f"http://{host}/")
        self.oauth_callback_url = pulumi.Output.from_input(callback_url(settings) or "")
        self.health_check_token = pulumi.Output.secret(generated.get("health-token", ""))
        self.forget_user_token = data_protection.forget_user_token
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The stack outputs by name (``OUTPUTS``); only the two tokens are secret."""
        return {name: getattr(self, attribute) for name, attribute in OUTPUTS.items()}


def _monitoring_resources(
    name: str,
    settings: Settings,
    values: dict[str, Any],
    namespace: pulumi.Output[str],
    token_secret: Secret,
    child: pulumi.ResourceOptions,
) -> None:
    """The Prometheus Operator's view of the stack, all in the stack's namespace."""

    def metadata(resource: str, **extra: Any) -> dict[str, Any]:
        return {"name": f"{settings.release_name}-up2u-{resource}", "namespace": namespace, **extra}

    labelled = monitoring.resource_labels(settings)
    Service(
        f"{name}-proxy-metrics",
        metadata={
            "name": monitoring.proxy_metrics_service_name(settings),
            "namespace": namespace,
            "labels": monitoring.proxy_metrics_service_labels(settings),
        },
        spec=monitoring.proxy_metrics_service(settings, values),
        opts=child,
    )
    # The Operator reads the token Secret by name, which the graph cannot see.
    after_secret = pulumi.ResourceOptions.merge(
        child, pulumi.ResourceOptions(depends_on=[token_secret])
    )
    for short, spec in monitoring.service_monitors(settings, values).items():
        CustomResource(
            f"{name}-{short}-monitor",
            api_version=monitoring.API_VERSION,
            kind="ServiceMonitor",
            metadata=metadata(f"{short}-metrics", labels=labelled),
            spec=spec,
            opts=after_secret,
        )
    CustomResource(
        f"{name}-alerts",
        api_version=monitoring.API_VERSION,
        kind="PrometheusRule",
        metadata=metadata("alerts", labels=labelled),
        spec=monitoring.prometheus_rule(settings, values),
        opts=child,
    )
    for short, dashboard in monitoring.dashboards(settings, values).items():
        ConfigMap(
            f"{name}-dashboard-{short}",
            metadata=metadata(
                f"dashboard-{short}",
                labels={**monitoring.PART_OF, **monitoring.DASHBOARD_LABEL},
                annotations={monitoring.FOLDER_ANNOTATION: monitoring.dashboard_folder(settings)},
            ),
            data={f"up2u-{settings.namespace}-{short}.json": json.dumps(dashboard, indent=1)},
            opts=child,
        )


def _restart_checksums(
    name: str,
    settings: Settings,
    args: JupyterHubArgs,
    data_by_annotation: Mapping[str, Mapping[str, pulumi.Output[str]]],
    child: pulumi.ResourceOptions,
) -> dict[str, pulumi.Output[str]]:
    """The hub pod's annotations that change when a Secret it reads at start does
    (``restarts.py``): keyed hashes, so that they reveal nothing of the data."""
    names = restarts.annotation_names(settings, list(args.secret_env))
    key = random.RandomBytes(f"{name}-checksum-key", length=32, opts=child).hex
    return {
        annotation: pulumi.Output.all(
            key, pulumi.Output.all(**data_by_annotation[annotation])
        ).apply(lambda parts: restarts.keyed_checksum(parts[0], parts[1]))
        for annotation in names
    }


def adoption_ids(settings: Settings) -> dict[str, str]:
    """The ids of the existing namespace and release to import when ``adopt`` is set."""
    if not settings.adopt:
        return {}
    return {
        "namespace": settings.namespace,
        "release": f"{settings.namespace}/{settings.release_name}",
    }


def _service_address(status: Any, spec: Any) -> str:
    for entry in _field(_field(status, "load_balancer"), "ingress") or []:
        address = _field(entry, "ip") or _field(entry, "hostname")
        if address:
            return str(address)
    return str(_field(spec, "cluster_ip") or "")


def _field(obj: Any, name: str) -> Any:
    # Output types arrive as typed objects from the engine and as plain dicts from lookups.
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
