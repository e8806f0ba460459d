"""The stack config contract (namespace ``up2u-jupyter:``): the pydantic models and their rules.

Everything a stack can say is declared here, once, with its default; the field types are in
``fields.py`` and the translation of validation errors into operator lines in ``problems.py``.
"""

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, model_validator
from pydantic.alias_generators import to_camel

from .. import authenticators, authkeys, chart, credentials
from ..quantity import parse_quantity
from ..secretrule import url_has_secret
from .base import Model
from .classes import Classroom, NonNegativeInt, class_advice, class_problems
from .dataprotection import DataProtection
from .dataprotection import problems as data_protection_problems
from .fields import (
    HIDDEN_VALUE,
    AuthType,
    Cores,
    DnsLabel,
    Email,
    Hostname,
    HttpsUrl,
    NonEmptyStr,
    PositiveInt,
    PositiveNumber,
    Quantity,
    Ratio,
    ReleaseName,
    RuleError,
    Seconds,
    _dns_label,
    _https_url,
    _labels,
)
from .registry import PullSecretName

# --- the contract ------------------------------------------------------------------------------


class Chart(Model):
    """Where the z2jh chart comes from; pinned so that a deploy is repeatable."""

    version: NonEmptyStr = chart.VERSION
    """The z2jh chart version deployed; the default is the one this project is built and tested
    for. Another makes `check` list what moving the stack to the default changes for its keys
    (see [Upgrading the chart](operate.md#upgrading-the-chart))."""
    repo: Annotated[str, AfterValidator(_https_url)] = chart.REPO
    """The chart repository."""


class Https(Model):
    """How HTTPS is terminated in front of the proxy."""

    mode: Literal["offload", "letsencrypt", "secret", "none"] = "offload"
    """Where HTTPS ends. `offload`: at the cloud load balancer in front of `proxy-public` (its
    port 443 forwards to the proxy's HTTP port); `letsencrypt`: the chart's autohttps (Traefik)
    gets a certificate for `domain`; `secret`: a TLS Secret you provide; `none`: plain HTTP."""
    contact_email: Email | None = None
    """Required for `letsencrypt`: the address Let's Encrypt writes to."""
    secret_name: DnsLabel | None = None
    """Required for `secret`: a `kubernetes.io/tls` Secret in `namespace` (a DNS label: no dots)."""
    extra_hosts: list[Hostname] = []
    """`letsencrypt` only: other public host names of the hub besides `domain`; Let's Encrypt
    keeps a certificate for each, as the chart's `proxy.https.hosts` did."""

    @model_validator(mode="after")
    def _extra_hosts_need_letsencrypt(self) -> "Https":
        if self.extra_hosts and self.mode != "letsencrypt":
            raise RuleError(
                "extraHosts",
                f"only used with https.mode letsencrypt (it requests their certificates), not "
                f"{self.mode}; remove it or set https.mode letsencrypt",
            )
        return self


class ResourceRequirements(Model):
    """Kubernetes container resources: requests and limits as quantities."""

    requests: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = {}
    """Requested `cpu`, `memory`, `ephemeral-storage` (quantities; each at or below its limit)."""
    limits: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = {}
    """Limits of `cpu`, `memory`, `ephemeral-storage` (quantities)."""

    @model_validator(mode="after")
    def _request_within_limit(self) -> "ResourceRequirements":
        for name, request in self.requests.items():
            limit = self.limits.get(name)
            if limit is not None and parse_quantity(request) > parse_quantity(limit):
                raise RuleError(
                    f"requests.{name}",
                    f"more than limits.{name} {limit!r}; lower the request or raise the limit",
                )
        return self


class Proxy(Model):
    """The public proxy Service (configurable-http-proxy)."""

    service_type: Literal["LoadBalancer", "ClusterIP", "NodePort"] = "LoadBalancer"
    """The type of the `proxy-public` Service."""
    resources: ResourceRequirements = ResourceRequirements()
    """The proxy container's resources."""


class Image(Model):
    """A container image; a missing tag means ``latest``, as it does in Kubernetes."""

    name: NonEmptyStr
    """The image name, with its registry."""
    tag: NonEmptyStr | None = None
    """The tag. None means `latest`, which is what Kubernetes would run; protected stacks must
    pin one build (not `latest`, not absent)."""

    @property
    def pinned(self) -> bool:
        """Whether the tag names one build (present and not ``latest``)."""
        return self.tag not in (None, "latest")


class HubDb(Model):
    """The hub database: SQLite on a volume (default) or an external PostgreSQL."""

    type: Literal["sqlite-pvc", "postgres"] = "sqlite-pvc"
    """The hub database: SQLite on a volume (kept when the release goes), or an external
    PostgreSQL."""
    storage: Quantity = "1Gi"
    """The size of the SQLite volume."""
    storage_class: NonEmptyStr | None = None
    """The storage class of the SQLite volume (the cluster's default when not set)."""
    url: NonEmptyStr | None = None
    """Required for `postgres`: `postgresql[+driver]://USER@HOST:PORT/DB`, without the password
    (that is `dbPassword`)."""

    @model_validator(mode="after")
    def _postgres_needs_url(self) -> "HubDb":
        if self.type == "postgres":
            if self.url is None:
                raise RuleError(
                    "url",
                    "type postgres needs a database URL; set it to "
                    "postgresql+psycopg2://USER@HOST:5432/DBNAME (the password goes in dbPassword)",
                )
            try:
                scheme = urlsplit(self.url).scheme
            except ValueError:
                scheme = ""
            if not scheme.startswith("postgresql"):
                raise RuleError(
                    "url", "not a PostgreSQL URL; use postgresql+psycopg2://USER@HOST:5432/DBNAME"
                )
            if url_has_secret(self.url):
                raise RuleError(
                    "url",
                    "contains a password, which would land in the Helm values; remove it "
                    "and run: pulumi config set --secret up2u-jupyter:dbPassword <password>",
                )
        elif self.url is not None:
            raise RuleError("url", "only used with type postgres; remove it or set type postgres")
        return self


class Hub(Model):
    """The JupyterHub pod."""

    image: Image | None = None
    """The hub image (the chart's `quay.io/jupyterhub/k8s-hub` when not set; Up2U's image adds
    the templates)."""
    active_server_limit: PositiveInt | None = None
    """The most user servers running at once (no limit when not set)."""
    concurrent_spawn_limit: PositiveInt = 64
    """The most servers starting at once (the chart's 64)."""
    template_paths: list[NonEmptyStr] = []
    """Folders of custom hub templates inside the hub image (Up2U's: `/opt/up2u/templates`)."""
    template_vars: dict[str, Any] = {}
    """Variables for those templates (Up2U's: `environment`, `supportUrl`)."""
    extra_config: dict[str, str] = {}
    """Extra `jupyterhub_config.py` code, name -> Python snippet, run in name order after
    everything else."""
    resources: ResourceRequirements = ResourceRequirements()
    """The hub container's resources."""
    db: HubDb = HubDb()
    """The hub database."""


class Auth(Model):
    """How users sign in: single sign-on through OpenID Connect (eduTEAMS for Up2U) by default.

    ``type`` is any authenticator the hub image ships. The typed keys work for every class that
    inherits the trait they set (``authkeys``: ``clientId`` for every OAuth class); the rest of
    a class's traits go through ``options`` (checked against the catalogue) and
    ``secretOptions`` (read from secretEnv). Protected stacks cannot use dummy or tmp.
    """

    type: AuthType = "generic-oauth"
    """The authenticator: any `jupyterhub.authenticators` entry point of the z2jh hub image
    (`generic-oauth`, `github`, `azuread`, `cilogon`, `ldap`, `native`, `firstuse`, `dummy`,
    `tmp`, ...) or the import path of a class shipped without one (LTI 1.1/1.3, HMAC).
    `generic-oauth` (OpenID Connect, eduTEAMS) is Up2U's; `dummy` and `tmp` are for tests and
    workshops and refused when `protect` is true. A misspelt name gets the closest one."""
    login_service: NonEmptyStr | None = None
    """The login button says "Sign in with ..." this (`SSO` for generic-oauth when not set; the
    class's own otherwise)."""
    client_id: NonEmptyStr | None = None
    """OAuth types: the client id registered at the provider (required for every OAuth class)."""
    authorize_url: HttpsUrl | None = None
    """OAuth types: the provider's authorization endpoint (required for generic-oauth; the other
    classes know their provider's)."""
    token_url: HttpsUrl | None = None
    """OAuth types: the provider's token endpoint (required for generic-oauth)."""
    userdata_url: HttpsUrl | None = None
    """OAuth types: the provider's userinfo endpoint (required for generic-oauth)."""
    username_claim: NonEmptyStr | None = None
    """OAuth types: the userinfo claim that becomes the JupyterHub user name (`sub` for
    generic-oauth when not set; the class's own otherwise)."""
    scope: list[NonEmptyStr] | None = None
    """OAuth types: the scopes requested (`[openid]` for generic-oauth when not set). A claim is
    released only when a scope grants it: add `eduperson_entitlement` for `groupsClaim`."""
    userdata_params: dict[str, str] = {}
    """OAuth types: extra query parameters of the userinfo request."""
    allowed_organizations: list[NonEmptyStr] = []
    """github: GitHub organizations whose members are let in (an allow rule)."""
    hosted_domain: list[NonEmptyStr] = []
    """google: Google Workspace domains users must belong to."""
    allow_all: bool = False
    """Let every user who signs in through the provider in."""
    allowed_users: list[NonEmptyStr] = []
    """User names let in (for eduTEAMS the opaque `sub`)."""
    admin_users: list[NonEmptyStr] = []
    """Admins (also let in). JupyterHub only grants admin from this list: removing a name does
    not revoke a flag already in the database. At least one allow rule is required (`allowAll`,
    `allowedUsers`, `adminUsers`, `allowedGroups`/`adminGroups`, `allowedOrganizations`, or a
    non-empty `allowed_*`/`admin_groups` list in `options`), except for a class that lets
    everyone in by itself (`firstuse`)."""
    groups_claim: NonEmptyStr | None = None
    """OAuth types: the userinfo claim that lists a user's groups (eduTEAMS:
    `eduperson_entitlement`). Renders `auth_state_groups_key: <the class's user record>.<claim>`
    and `manage_groups: true` (OAuthenticator 17 honours group rules only with it; it also
    mirrors the groups into JupyterHub groups at each sign-in). Required by the group keys for
    generic-oauth; azuread reads its own `groups` claim when not set."""
    allowed_groups: list[NonEmptyStr] = []
    """OAuth types: members of any of these groups are let in (an allow rule). Exact strings,
    e.g. `urn:geant:eduteams.org:service:up2u:group:jupyter-dev#eduteams.org`."""
    admin_groups: list[NonEmptyStr] = []
    """OAuth types: members are let in as admins. When set, it decides admin status at every
    sign-in."""
    options: dict[str, Any] = {}
    """More traits of the chosen class, written into its `hub.config.<Class>` section
    (`tenant_id` for azuread, `server_address` for ldap). Checked offline against the hub
    image's classes: unknown names get the closest one, deprecated ones their replacement, wrong
    types are refused; code-valued traits belong in `hub.extraConfig`, a trait a typed key sets
    must use that key, and secret traits are refused here (options land in Helm values)."""
    secret_options: dict[str, str] = {}
    """Secret traits of the chosen class, each read from the `secretEnv` entry it names (trait
    -> environment variable NAME): renders `c.<Class>.<trait> = os.environ['NAME']` (parsed as
    JSON for a trait that is not a string)."""

    @property
    def oauth(self) -> bool:
        """Whether the type is an OAuthenticator class (a client id, and oauthClientSecret)."""
        return authenticators.is_oauth(self.type)

    @property
    def sections(self) -> tuple[str, ...]:
        """The config sections of the class ``type`` names, its own first."""
        return authenticators.class_of(self.type).sections

    def effective(self, field: str) -> Any:
        """A typed key's value: as set, else Up2U's default for this class (``authkeys``),
        else the field's own default."""
        if field in self.model_fields_set:
            return getattr(self, field)
        default = authkeys.default_for(authkeys.BY_FIELD[field], self.sections)
        return getattr(self, field) if default is None else default

    @property
    def effective_login_service(self) -> str | None:
        """The login button's provider name: ``SSO`` for generic-oauth unless set."""
        value: str | None = self.effective("login_service")
        return value

    @property
    def effective_scope(self) -> list[str] | None:
        """Scopes requested: ``[openid]`` for generic-oauth unless set."""
        value: list[str] | None = self.effective("scope")
        return value

    @property
    def effective_username_claim(self) -> str | None:
        """The claim that becomes the user name: ``sub`` for generic-oauth unless set."""
        value: str | None = self.effective("username_claim")
        return value

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> "Auth":
        sections = self.sections
        for name in sorted(self.model_fields_set):
            row = authkeys.BY_FIELD.get(name)
            if row is not None and not authkeys.applies(row, sections):
                raise RuleError(
                    to_camel(name),
                    f"sets {row.owner}.{'/'.join(row.traits)}, which auth.type {self.type} "
                    f"({sections[0]}) does not have; remove it",
                )
        return self

    @model_validator(mode="after")
    def _groups_need_their_claim(self) -> "Auth":
        if not (self.allowed_groups or self.admin_groups) or self.groups_claim is not None:
            return self
        cls = authenticators.class_of(self.type)
        if cls.groups_key_default is None or set(cls.sections) & set(
            authkeys.GROUPS_CLAIM_ASKED_BY
        ):
            raise RuleError(
                "groupsClaim",
                "auth.allowedGroups and auth.adminGroups need the userinfo claim that lists a "
                "user's groups; set it (eduTEAMS: eduperson_entitlement)",
            )
        return self

    @model_validator(mode="after")
    def _someone_can_log_in(self) -> "Auth":
        rules = [
            self.allow_all,
            self.allowed_users,
            self.admin_users,
            self.allowed_organizations,
            self.allowed_groups,
            self.admin_groups,
            authenticators.allow_rule_options(self.options),
        ]
        # no exception for tmp: TmpAuthenticator 1.0 keeps JupyterHub 5's allow_all=False, so
        # without auth.allowAll it refuses every throwaway user it makes
        if any(rules) or self._lets_everyone_in_by_default():
            return self
        groups = authkeys.applies(authkeys.BY_FIELD["allowed_groups"], self.sections)
        raise ValueError(
            "no allow rule, so nobody could log in; set auth.allowAll: true, "
            "or list users in auth.allowedUsers or auth.adminUsers"
            + (", or groups in auth.allowedGroups" if groups else "")
        )

    def _lets_everyone_in_by_default(self) -> bool:
        """A class whose own default is allow_all (firstuse). DummyAuthenticator's is too, but
        its password is shared: a dummy stack says who may sign in."""
        cls = authenticators.class_of(self.type)
        return cls.allow_all_by_default is True and cls.section != "DummyAuthenticator"


class LimitGuarantee(Model):
    """A resource's limit and guarantee (request) for each user server."""

    limit: float | str | None = None
    guarantee: float | str | None = None

    @model_validator(mode="after")
    def _guarantee_within_limit(self) -> "LimitGuarantee":
        limit, guarantee = self.limit, self.guarantee
        if (
            limit is not None
            and guarantee is not None
            and parse_quantity(guarantee) > parse_quantity(limit)
        ):
            raise RuleError(
                "guarantee",
                f"more than the limit {limit!r}; set a guarantee at or below the limit",
            )
        return self


class Cpu(LimitGuarantee):
    """CPU in cores."""

    limit: Cores | None = None
    """CPU limit per user, in cores (`0.5`) or millicores (`500m`)."""
    guarantee: Cores | None = None
    """CPU guarantee per user; at or below the limit."""


class Memory(LimitGuarantee):
    """Memory as quantities; the guarantee default is what the chart's default ``1G`` always
    meant to KubeSpawner (which reads G as 2^30): 1Gi."""

    limit: Quantity | None = None
    """Memory limit per user, a quantity (`2Gi`). Quantities mean what Kubernetes says (`2G` =
    2x10^9, `2Gi` = 2x2^30) and are rendered as bytes, because KubeSpawner reads the chart's
    value with a parser of its own that takes `G` as 2^30 and refuses `Gi`."""
    guarantee: Quantity | None = "1Gi"
    """Memory guarantee per user; at or below the limit. `1Gi` by default: what the chart's
    default `1G` always meant to KubeSpawner."""


class Storage(Model):
    """Each user's home volume, created by the spawner (not by Helm) on first start."""

    capacity: Quantity = "10Gi"
    """The size of each user's home volume."""
    storage_class: NonEmptyStr | None = None
    """The storage class of user volumes (the cluster's default when not set)."""


class Singleuser(Model):
    """Each user's JupyterLab server pod."""

    image: Image | None = None
    """The user server image (the chart's `quay.io/jupyterhub/k8s-singleuser-sample` when not
    set; Up2U's adds the theme)."""
    default_url: NonEmptyStr = "/lab"
    """Where users land."""
    cpu: Cpu = Cpu()
    """CPU per user server."""
    memory: Memory = Memory()
    """Memory per user server."""
    storage: Storage = Storage()
    """Each user's home volume, made by the spawner on first start."""
    extra_env: dict[str, str] = {}
    """Environment variables of user servers (name -> value)."""


class ProfileCpu(Model):
    """A profile's CPU in cores; what it leaves out is the singleuser value."""

    limit: Cores | None = None
    """The profile's CPU limit (`singleuser.cpu.limit` when not set)."""
    guarantee: Cores | None = None
    """The profile's CPU guarantee (`singleuser.cpu.guarantee` when not set); the effective
    guarantee must be at or below the effective limit."""


class ProfileMemory(Model):
    """A profile's memory as quantities; what it leaves out is the singleuser value."""

    limit: Quantity | None = None
    """The profile's memory limit (`singleuser.memory.limit` when not set), rendered as bytes."""
    guarantee: Quantity | None = None
    """The profile's memory guarantee (`singleuser.memory.guarantee` when not set)."""


PROFILE_ENV = "UP2U_PROFILE"
"""Set to the profile's slug in each profile's servers, so notebooks can tell which they run."""
COLLABORATION_ENV = "UP2U_COLLABORATION"
"""Set to 1 in a collaboration profile's servers: the user image's Jupyter config turns
real-time collaboration on for them (images/singleuser/jupyter/jupyter_config.py)."""


class Profile(Model):
    """One kind of user server offered on the spawn page (a KubeSpawner profile)."""

    slug: DnsLabel
    """The profile's id (unique): what `UP2U_PROFILE` holds in its servers."""
    display_name: NonEmptyStr
    """What the spawn page shows."""
    description: str = ""
    """The line under it on the spawn page."""
    default: bool = False
    """Preselected on the spawn page (at most one profile; without one, the first is)."""
    image: Image | None = None
    """The profile's user image (`singleuser.image` when not set); protected stacks must pin it."""
    cpu: ProfileCpu = ProfileCpu()
    """The profile's CPU."""
    memory: ProfileMemory = ProfileMemory()
    """The profile's memory."""
    extra_env: dict[str, str] = {}
    """Added to `singleuser.extraEnv` for this profile (KubeSpawner merges maps); `UP2U_PROFILE`
    is the program's."""
    groups: list[NonEmptyStr] = []
    """Offered to, and startable only by, members of these groups (enforced at each spawn);
    empty: offered to everyone. At least one profile must be offered to everyone."""
    collaboration: bool = False
    """Real-time collaboration (jupyter-collaboration) in this profile's servers: whoever opens
    a server (its owner, a teacher, someone it is shared with) edits the same notebook live."""

    @model_validator(mode="after")
    def _profile_env_is_ours(self) -> "Profile":
        if PROFILE_ENV in self.extra_env:
            raise RuleError(
                f"extraEnv.{PROFILE_ENV}", "set to the profile's slug by the program; remove it"
            )
        return self


class Scheduling(Model):
    """Pod scheduling."""

    user_scheduler: bool = True
    """Pack users onto few nodes (turn off if the cluster does not auto-scale)."""
    user_placeholders: NonNegativeInt = 0
    """Empty pods the size of one user server, holding room on an autoscaling cluster so that a
    class starting together does not wait for new nodes (users evict them; the autoscaler then
    adds a node for them). Renders `scheduling.userPlaceholder` and turns on `podPriority`;
    `capacity --min-nodes N` recommends a number."""


class PrePuller(Model):
    """Pull the user image onto nodes before users need it."""

    hook: bool = True
    """Pull the user image on all nodes before each upgrade completes."""
    continuous: bool = True
    """Pull it on nodes that join later."""


class Cull(Model):
    """Stop idle user servers (jupyterhub-idle-culler), in seconds."""

    enabled: bool = True
    """Stop idle user servers (jupyterhub-idle-culler, a hub service)."""
    timeout: PositiveInt = 3600
    """Seconds of inactivity before a server is stopped."""
    every: PositiveInt = 600
    """How often, in seconds, the culler looks; at most `timeout`, or idle servers live up to
    `every + timeout`."""
    max_age: Seconds = 0
    """Stop servers older than this many seconds even when active (0: no limit)."""
    users: bool = False
    """Also delete users whose servers were culled from the hub database. Their home volumes
    stay unless `dataProtection.deleteVolumeWithUser` (see [pupils-data.md](pupils-data.md))."""

    def advice(self) -> list[tuple[str, str]]:
        """Settings the chart accepts but that probably do not do what was meant."""
        if self.enabled and self.every > self.timeout:
            # the chart (and the culler) accept it; idle servers then live up to every+timeout
            return [
                (
                    "cull.every",
                    f"{self.every}s is longer than cull.timeout ({self.timeout}s), so idle "
                    f"servers can run up to {self.every + self.timeout}s; lower cull.every to "
                    "cull.timeout or less if that is not meant",
                )
            ]
        return []


class HealthCheck(Model):
    """The post-deploy check: a hub service that runs code in one dedicated user's server."""

    enabled: bool = True
    """Add the `health-check` hub service that `python -m up2u_jupyter health` signs in as."""
    user: Annotated[str, AfterValidator(_dns_label)] = "health-check"
    """The one user the health check may create, start and stop."""


class MonitoringThresholds(Model):
    """When the alerts fire. Defaults suit a school's service: page before users write in."""

    spawn_failure_ratio: Ratio = 0.2
    """Share of server starts in 15 minutes that failed."""
    spawn_duration_seconds: PositiveNumber = 120
    """90th percentile of successful server starts over 30 minutes."""
    volume_fill_ratio: Ratio = 0.9
    """How full a user's home volume (claim-*) may get."""
    hub_db_fill_ratio: Ratio = 0.8
    """How full the hub database volume (hub-db-dir, sqlite-pvc only) may get."""
    hub_down_minutes: PositiveInt = 5
    """How long the hub may be unreachable to Prometheus."""
    proxy_down_minutes: PositiveInt = 5
    """How long the proxy may be unreachable to Prometheus."""
    culler_missed_runs: PositiveInt = 3
    """Idle-culler runs (cull.every apart) that may pass without one."""


class Monitoring(Model):
    """Metrics, alerts and dashboards for a Prometheus Operator (kube-prometheus-stack)."""

    enabled: bool = False
    """Scrape targets, alerts and dashboards for the cluster's Prometheus Operator (see
    [monitoring.md](monitoring.md)); the cluster must have its CRDs."""
    release_label: Annotated[dict[str, str], AfterValidator(_labels)] = {
        "release": "kube-prometheus-stack"
    }
    """The labels the cluster's Prometheus selects ServiceMonitors and rules on."""
    namespace: DnsLabel = "monitoring"
    """The namespace Prometheus runs in (the hub's NetworkPolicy admits it)."""
    runbook_url: HttpsUrl | None = None
    """The address of docs/monitoring.md on your git host; alerts' runbook links point into it."""
    thresholds: MonitoringThresholds = MonitoringThresholds()
    """When the alerts fire."""


class Settings(Model):
    """A stack's validated config: everything the program deploys, secrets excepted."""

    namespace: Annotated[str, AfterValidator(_dns_label)] = "jhub"
    """The namespace, created by the program."""
    release_name: ReleaseName = "jhub"
    """The Helm release name (lowercase, at most 53 characters)."""
    chart: Chart = Chart()
    """Where the z2jh chart comes from."""
    domain: Hostname | None = None
    """The public host name. Required by the OAuth types (callback URL) and by `https.mode`
    `letsencrypt`/`secret`."""
    https: Https = Https()
    """Where HTTPS ends."""
    proxy: Proxy = Proxy()
    """The public proxy (configurable-http-proxy)."""
    hub: Hub = Hub()
    """The JupyterHub pod."""
    auth: Auth  # no default: single sign-on cannot work without the stack's own client and rules
    """How users sign in. Required: single sign-on cannot work without the stack's own client
    and rules."""
    singleuser: Singleuser = Singleuser()
    """Each user's JupyterLab server pod."""
    profiles: list[Profile] = []
    """Server profiles users choose from on the spawn page (KubeSpawner's `profile_list`). Each
    profile changes only what it sets; the rest is `singleuser.*`. Every profile's servers get
    `UP2U_PROFILE=<slug>`. Empty: one kind of server."""
    classes: list[Classroom] = []
    """School classes: each a pupils group and a teachers group (see [Classes](classes.md))."""
    scheduling: Scheduling = Scheduling()
    """Pod scheduling."""
    pre_puller: PrePuller = PrePuller()
    """Pulling the user image onto nodes before users need it."""
    cull: Cull = Cull()
    """Stopping idle servers."""
    health_check: HealthCheck = HealthCheck()
    """The post-deploy check (see [Post-deploy health
    check](operate.md#post-deploy-health-check))."""
    monitoring: Monitoring = Monitoring()
    """Metrics, alerts and dashboards."""
    data_protection: DataProtection = DataProtection()
    """Pupils' data: kept when a user is deleted, erased after inactivity, backed up (see
    [pupils-data.md](pupils-data.md))."""
    image_pull_secrets: list[PullSecretName] = []
    """docker-registry Secrets in the stack's namespace for pulling the hub and user images from
    a private registry; the hub, every user server and the pre-puller get them
    (`hub.image.pullSecrets`, `singleuser.image.pullSecrets`). Create each with `kubectl create
    secret docker-registry` (see [Images from a private
    registry](operate.md#images-from-a-private-registry))."""
    helm_values: dict[str, Any] = {}
    """Raw z2jh values deep-merged last (maps merge, lists and scalars replace, `null` removes a
    chart default): the escape hatch for anything not modelled. `check` judges the result, not
    only the typed keys."""
    allowed_loader_env: list[NonEmptyStr] = []
    """Loader and interpreter variables (`LD_*`, `PYTHON*`, `PATH`, `NODE_OPTIONS`, `BASH_ENV`)
    that a plain environment of this stack sets on purpose, e.g. `[PYTHONPATH]`; any other such
    name is refused, and in `secretEnv` every one (an encrypted value no reviewer can read). See
    [What check guarantees](checks.md)."""
    pod_security: Literal["restricted", "baseline"] = "restricted"
    """The Pod Security Standard the namespace enforces (`pod-security.kubernetes.io/enforce`)
    and every pod the stack renders must pass: `restricted`, or `baseline` when a pod truly
    needs more (an NFS home, a root init container). See [What check guarantees](checks.md)."""
    protect: bool = False
    """Protect the namespace and release against deletion; also requires pinned image tags and
    real sign-in (not dummy/tmp)."""
    adopt: bool = False
    """Take over a namespace and Helm release installed by hand: the next `pulumi up` imports
    `<namespace>` and `<namespace>/<releaseName>` instead of creating them. Remove it after that
    deploy (see [migrate.md](migrate.md))."""

    def required_secrets(self) -> list[str]:
        """The secret config keys this stack cannot deploy without (see credentials.SECRETS)."""
        return credentials.required(self)

    def advice(self) -> list[tuple[str, str]]:
        """(key, text) for settings that are valid but probably not what was meant."""
        return self.cull.advice() + class_advice(self.classes, self.auth)

    def secret_env_references(self) -> list[str]:
        """The secretEnv entries the stack's config reads (they must be set)."""
        names = {*self.auth.secret_options.values(), *self.data_protection.secret_env_names()}
        return sorted(names)

    def cross_field_problems(self) -> list[tuple[str, Any, str]]:
        """Rules that span several top-level keys, as (key, value, message) triples."""
        found: list[tuple[str, Any, str]] = []
        kind = self.auth.type
        if authenticators.is_oauth(kind) and self.domain is None:
            found.append(
                (
                    "domain",
                    None,
                    f"auth.type {kind} needs the public host name for its "
                    "callback URL; set domain, e.g. jupyter.up2u.example.org",
                )
            )
        for row in authkeys.required_for(self.auth.sections):
            if row.attribute is not None and getattr(self.auth, row.attribute) is None:
                found.append((row.key, None, f"auth.type {kind} needs {row.key}; set it"))
        found += [
            (key, HIDDEN_VALUE if secret else value, message)
            for key, value, message, secret in authenticators.option_problems(
                kind, self.auth.options, self.auth.secret_options
            )
        ]
        if self.protect and kind in ("dummy", "tmp"):
            found.append(
                (
                    "auth.type",
                    kind,
                    "protected stacks need real sign-in; use generic-oauth (or github/google)",
                )
            )
        mode = self.https.mode
        if mode in ("letsencrypt", "secret") and self.domain is None:
            found.append(
                ("domain", None, f"https.mode {mode} needs domain; set the public host name")
            )
        if mode == "letsencrypt" and self.https.contact_email is None:
            found.append(
                (
                    "https.contactEmail",
                    None,
                    "https.mode letsencrypt needs a contact e-mail for Let's Encrypt; set it",
                )
            )
        if mode == "secret" and self.https.secret_name is None:
            found.append(
                (
                    "https.secretName",
                    None,
                    "https.mode secret needs the name of the TLS Secret in the namespace; set it",
                )
            )
        found += self._profile_problems()
        found += data_protection_problems(self)
        found += class_problems(self.classes, self.profiles)
        if self.protect:
            for key, image in (
                ("hub.image", self.hub.image),
                ("singleuser.image", self.singleuser.image),
                *((f"profiles.{i}.image", p.image) for i, p in enumerate(self.profiles)),
            ):
                if image is not None and not image.pinned:
                    found.append(
                        (
                            f"{key}.tag",
                            image.tag,
                            "protected stacks must pin images; set a tag that names one build "
                            "(e.g. v1.0.3), not latest or nothing",
                        )
                    )
        return found

    def profile_resources(self, profile: Profile) -> tuple[LimitGuarantee, LimitGuarantee]:
        """A profile's effective (cpu, memory): its own values, the singleuser ones otherwise."""
        return profile_resources(self.singleuser, profile)

    def _profile_problems(self) -> list[tuple[str, Any, str]]:
        return profile_problems(self.singleuser, self.profiles)


def top_level_string_keys() -> list[str]:
    """The top-level config keys whose value is a string (Pulumi passes them unquoted)."""

    def is_str(annotation: Any) -> bool:
        # str, Annotated[str, ...] (its __origin__ is str), or either of them | None
        if getattr(annotation, "__origin__", annotation) is str:
            return True
        args = getattr(annotation, "__args__", ())
        return bool(args) and all(is_str(a) or a is type(None) for a in args)

    return sorted(
        field.alias or name
        for name, field in Settings.model_fields.items()
        if is_str(field.annotation)
    )


def profile_resources(user: Singleuser, profile: Profile) -> tuple[LimitGuarantee, LimitGuarantee]:
    """A profile's effective (cpu, memory): its own values, the singleuser ones otherwise."""
    cpu = LimitGuarantee.model_construct(
        limit=user.cpu.limit if profile.cpu.limit is None else profile.cpu.limit,
        guarantee=user.cpu.guarantee if profile.cpu.guarantee is None else profile.cpu.guarantee,
    )
    memory = LimitGuarantee.model_construct(
        limit=user.memory.limit if profile.memory.limit is None else profile.memory.limit,
        guarantee=(
            user.memory.guarantee if profile.memory.guarantee is None else profile.memory.guarantee
        ),
    )
    return cpu, memory


def profile_problems(user: Singleuser, profiles: list[Profile]) -> list[tuple[str, Any, str]]:
    """Rules across profiles and singleuser: unique slugs, one default, guarantee <= limit."""
    found: list[tuple[str, Any, str]] = []
    seen: dict[str, int] = {}
    for index, profile in enumerate(profiles):
        key = f"profiles.{index}"
        if profile.slug in seen:
            found.append(
                (
                    f"{key}.slug",
                    profile.slug,
                    f"also the slug of profiles.{seen[profile.slug]}; give each profile "
                    "its own slug",
                )
            )
        seen.setdefault(profile.slug, index)
        cpu, memory = profile_resources(user, profile)
        for name, effective, own_limit, own_guarantee in (
            ("cpu", cpu, profile.cpu.limit, profile.cpu.guarantee),
            ("memory", memory, profile.memory.limit, profile.memory.guarantee),
        ):
            limit, guarantee = effective.limit, effective.guarantee
            if limit is None or guarantee is None:
                continue
            if parse_quantity(guarantee) <= parse_quantity(limit):
                continue
            if own_guarantee is not None:
                found.append(
                    (
                        f"{key}.{name}.guarantee",
                        own_guarantee,
                        f"more than the limit {limit!r}"
                        + ("" if own_limit is not None else f" (singleuser.{name}.limit)")
                        + "; set a guarantee at or below the limit",
                    )
                )
            else:
                found.append(
                    (
                        f"{key}.{name}.limit",
                        own_limit,
                        f"less than the guarantee {guarantee!r} (singleuser.{name}."
                        f"guarantee); raise the limit or set {key}.{name}.guarantee",
                    )
                )
    defaults = [i for i, p in enumerate(profiles) if p.default]
    if len(defaults) > 1:
        found.append(
            (
                f"profiles.{defaults[1]}.default",
                True,
                f"profiles.{defaults[0]} is already the default; at most one profile can be",
            )
        )
    return found
