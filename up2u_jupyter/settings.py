"""The stack config contract (namespace ``up2u-jupyter:``): pydantic models, defaults and rules.

Everything a stack can say is declared here, once. ``load_settings`` turns the raw config of a
stack (from the stack file offline, or from the Pulumi runtime) into validated ``Settings`` or
raises a ``ConfigError`` listing every problem with its full key, the value and the fix.
"""

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from . import credentials
from .credentials import OAUTH_TYPES, PROJECT, SECRET_KEYS
from .dotted import MISSING, get_path
from .errors import ConfigError, Problem, excerpt, shown_key
from .quantity import QuantityError, parse_quantity
from .secretrule import is_secret_name, url_has_secret

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*"
)
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class RuleError(ValueError):
    """A model rule's failure, located at one of the model's fields (for the error's key)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- field types -------------------------------------------------------------------------------


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            "not a DNS-1123 label; use 1-63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit (e.g. jhub)"
        )
    return value


def _release_name(value: str) -> str:
    if len(value) > 53 or not _RELEASE_NAME.fullmatch(value):
        raise ValueError(
            "not a valid Helm release name; use at most 53 lowercase letters, "
            "digits, '-' and '.' (e.g. jhub)"
        )
    return value


def _hostname(value: str) -> str:
    if "://" in value or "/" in value or ":" in value:
        host = urlsplit(value if "://" in value else f"//{value}").hostname or value
        raise ValueError(f"not a bare host name; set just the host, e.g. {host!r}")
    if not _HOSTNAME.fullmatch(value):
        raise ValueError(
            "not a valid host name; use lowercase DNS labels separated by dots "
            "(e.g. jupyter.up2u.example.org)"
        )
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("not an https URL; use https://host/path")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("not an e-mail address; set e.g. ops@example.org")
    return value


def _quantity(value: Any) -> str:
    """Accept a Kubernetes quantity (string or number); keep it as written, as a string."""
    try:
        amount = parse_quantity(value)
    except QuantityError as error:
        raise ValueError(str(error)) from None
    if amount < 0:
        raise ValueError("negative; quantities here must be 0 or more")
    return str(value)


def _cpu_cores(value: Any) -> float:
    """CPU in cores: a number (0.5) or a quantity (500m); the chart wants a number."""
    try:
        cores = parse_quantity(value)
    except QuantityError:
        raise ValueError("not a CPU amount; use cores (0.5, 2) or millicores (500m)") from None
    if cores <= 0:
        raise ValueError("must be more than 0 cores")
    return float(cores)


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
ReleaseName = Annotated[str, AfterValidator(_release_name)]
Hostname = Annotated[str, AfterValidator(_hostname)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
Email = Annotated[str, AfterValidator(_email)]
Quantity = Annotated[str, BeforeValidator(_quantity)]
Cores = Annotated[float, BeforeValidator(_cpu_cores)]
Seconds = Annotated[int, Field(ge=0, strict=True)]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonEmptyStr = Annotated[str, Field(min_length=1)]


class Model(BaseModel):
    """Base for every config object: camelCase keys, unknown keys rejected, frozen."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)


# --- the contract ------------------------------------------------------------------------------


class Chart(Model):
    """Where the z2jh chart comes from; pinned so that a deploy is repeatable."""

    version: NonEmptyStr = "4.4.0"
    repo: Annotated[str, AfterValidator(_https_url)] = "https://hub.jupyter.org/helm-chart/"


class Https(Model):
    """How HTTPS is terminated in front of the proxy."""

    mode: Literal["offload", "letsencrypt", "secret", "none"] = "offload"
    contact_email: Email | None = None
    secret_name: DnsLabel | None = None


class ResourceRequirements(Model):
    """Kubernetes container resources: requests and limits as quantities."""

    requests: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = {}
    limits: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = {}

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
    resources: ResourceRequirements = ResourceRequirements()


class Image(Model):
    """A container image; a missing tag means ``latest``, as it does in Kubernetes."""

    name: NonEmptyStr
    tag: NonEmptyStr | None = None

    @property
    def pinned(self) -> bool:
        """Whether the tag names one build (present and not ``latest``)."""
        return self.tag not in (None, "latest")


class HubDb(Model):
    """The hub database: SQLite on a volume (default) or an external PostgreSQL."""

    type: Literal["sqlite-pvc", "postgres"] = "sqlite-pvc"
    storage: Quantity = "1Gi"
    storage_class: NonEmptyStr | None = None
    url: NonEmptyStr | None = None

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
    active_server_limit: PositiveInt | None = None
    concurrent_spawn_limit: PositiveInt = 64
    template_paths: list[NonEmptyStr] = []
    template_vars: dict[str, Any] = {}
    extra_config: dict[str, str] = {}
    resources: ResourceRequirements = ResourceRequirements()
    db: HubDb = HubDb()


AuthType = Literal["generic-oauth", "github", "google", "dummy", "tmp"]
_ONLY_FOR: dict[str, tuple[str, ...]] = {
    "client_id": OAUTH_TYPES,
    "authorize_url": ("generic-oauth",),
    "token_url": ("generic-oauth",),
    "userdata_url": ("generic-oauth",),
    "username_claim": ("generic-oauth",),
    "userdata_params": ("generic-oauth",),
    "scope": OAUTH_TYPES,
    "login_service": OAUTH_TYPES,
    "allowed_organizations": ("github",),
    "hosted_domain": ("google",),
}


class Auth(Model):
    """How users sign in: single sign-on through OpenID Connect (eduTEAMS for Up2U) by default.

    ``github``, ``google``, ``dummy`` and ``tmp`` are the chart's other built-in authenticators,
    there for stacks migrated from old values files; protected stacks cannot use dummy or tmp.
    """

    type: AuthType = "generic-oauth"
    login_service: NonEmptyStr | None = None
    client_id: NonEmptyStr | None = None
    authorize_url: HttpsUrl | None = None
    token_url: HttpsUrl | None = None
    userdata_url: HttpsUrl | None = None
    username_claim: NonEmptyStr = "sub"
    scope: list[NonEmptyStr] | None = None
    userdata_params: dict[str, str] = {}
    allowed_organizations: list[NonEmptyStr] = []
    hosted_domain: list[NonEmptyStr] = []
    allow_all: bool = False
    allowed_users: list[NonEmptyStr] = []
    admin_users: list[NonEmptyStr] = []

    @property
    def effective_login_service(self) -> str | None:
        """The login button's provider name: ``SSO`` for generic-oauth unless set."""
        if self.login_service is None and self.type == "generic-oauth":
            return "SSO"
        return self.login_service

    @property
    def effective_scope(self) -> list[str] | None:
        """Scopes requested: ``[openid]`` for generic-oauth unless set."""
        if self.scope is None and self.type == "generic-oauth":
            return ["openid"]
        return self.scope

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> "Auth":
        for name in sorted(self.model_fields_set):
            allowed_types = _ONLY_FOR.get(name)
            if allowed_types is not None and self.type not in allowed_types:
                raise RuleError(
                    to_camel(name),
                    f"only used with auth.type {' or '.join(allowed_types)}, not {self.type}; "
                    "remove it",
                )
        return self

    @model_validator(mode="after")
    def _someone_can_log_in(self) -> "Auth":
        rules = [self.allow_all, self.allowed_users, self.admin_users, self.allowed_organizations]
        if self.type != "tmp" and not any(rules):
            raise ValueError(
                "no allow rule, so nobody could log in; set auth.allowAll: true, "
                "or list users in auth.allowedUsers or auth.adminUsers"
            )
        return self


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
    guarantee: Cores | None = None


class Memory(LimitGuarantee):
    """Memory as quantities; the guarantee default is the chart's own."""

    limit: Quantity | None = None
    guarantee: Quantity | None = "1G"


class Storage(Model):
    """Each user's home volume, created by the spawner (not by Helm) on first start."""

    capacity: Quantity = "10Gi"
    storage_class: NonEmptyStr | None = None


class Singleuser(Model):
    """Each user's JupyterLab server pod."""

    image: Image | None = None
    default_url: NonEmptyStr = "/lab"
    cpu: Cpu = Cpu()
    memory: Memory = Memory()
    storage: Storage = Storage()
    extra_env: dict[str, str] = {}


class Scheduling(Model):
    """Pod scheduling."""

    user_scheduler: bool = True


class PrePuller(Model):
    """Pull the user image onto nodes before users need it."""

    hook: bool = True
    continuous: bool = True


class Cull(Model):
    """Stop idle user servers (jupyterhub-idle-culler), in seconds."""

    enabled: bool = True
    timeout: PositiveInt = 3600
    every: PositiveInt = 600
    max_age: Seconds = 0
    users: bool = False

    @model_validator(mode="after")
    def _checks_at_least_once_per_timeout(self) -> "Cull":
        if self.every > self.timeout:
            raise RuleError(
                "every",
                f"longer than cull.timeout ({self.timeout}s), so idle servers would outlive "
                "the timeout; set cull.every at or below cull.timeout",
            )
        return self


class HealthCheck(Model):
    """The post-deploy check: a hub service that runs code in one dedicated user's server."""

    enabled: bool = True
    user: Annotated[str, AfterValidator(_dns_label)] = "health-check"


class Settings(Model):
    """A stack's validated config: everything the program deploys, secrets excepted."""

    namespace: Annotated[str, AfterValidator(_dns_label)] = "jhub"
    release_name: ReleaseName = "jhub"
    chart: Chart = Chart()
    domain: Hostname | None = None
    https: Https = Https()
    proxy: Proxy = Proxy()
    hub: Hub = Hub()
    auth: Auth  # no default: single sign-on cannot work without the stack's own client and rules
    singleuser: Singleuser = Singleuser()
    scheduling: Scheduling = Scheduling()
    pre_puller: PrePuller = PrePuller()
    cull: Cull = Cull()
    health_check: HealthCheck = HealthCheck()
    helm_values: dict[str, Any] = {}
    protect: bool = False
    adopt: bool = False

    def required_secrets(self) -> list[str]:
        """The secret config keys this stack cannot deploy without (see credentials.SECRETS)."""
        return credentials.required(self)

    def secret_env_references(self) -> list[str]:
        """The secretEnv entries the stack's config reads (they must be set)."""
        return []

    def cross_field_problems(self) -> list[tuple[str, Any, str]]:
        """Rules that span several top-level keys, as (key, value, message) triples."""
        found: list[tuple[str, Any, str]] = []
        kind = self.auth.type
        if kind in OAUTH_TYPES and self.domain is None:
            found.append(
                (
                    "domain",
                    None,
                    f"auth.type {kind} needs the public host name for its "
                    "callback URL; set domain, e.g. jupyter.up2u.example.org",
                )
            )
        needed = {"generic-oauth": ("client_id", "authorize_url", "token_url", "userdata_url")}
        for field in needed.get(kind, ("client_id",) if kind in OAUTH_TYPES else ()):
            if getattr(self.auth, field) is None:
                key = f"auth.{to_camel(field)}"
                found.append((key, None, f"auth.type {kind} needs {key}; set it"))
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
        if self.protect:
            for key, image in (
                ("hub.image", self.hub.image),
                ("singleuser.image", self.singleuser.image),
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


# --- loading -----------------------------------------------------------------------------------


def load_settings(raw: Mapping[str, Any], stack: str) -> Settings:
    """Validate a stack's project config (keys without the ``up2u-jupyter:`` prefix).

    Secret keys must already be removed (see ``SECRET_KEYS``); raises ``ConfigError``.
    """
    try:
        settings = Settings.model_validate(dict(raw))
    except ValidationError as error:
        raise ConfigError(stack, [_problem_from_pydantic(e, raw) for e in error.errors()]) from None
    problems = [
        Problem(f"{PROJECT}:{key}", _with_value(value, message))
        for key, value, message in settings.cross_field_problems()
    ]
    if problems:
        raise ConfigError(stack, problems)
    return settings


def _with_value(value: Any, message: str) -> str:
    return f"{excerpt(value)}: {message}"


def _problem_from_pydantic(error: Any, raw: Mapping[str, Any]) -> Problem:
    loc = _data_path(error["loc"], raw)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, RuleError):
        loc += cause.field.split(".")
    kind = error["type"]
    key = f"{PROJECT}:{'.'.join(shown_key(part) for part in loc)}" if loc else PROJECT
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6) if loc else []
        hint = (
            f"did you mean {'.'.join([*loc[:-1], close[0]])}?"
            if close
            else (f"known keys here: {', '.join(sorted(known))}")
        )
        return Problem(key, f"unknown key; {hint}")
    value = get_path(raw, loc)
    secret = bool(loc) and is_secret_name(loc[-1])
    shown = "not set" if value is MISSING else excerpt(value, secret=secret)
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return Problem(key, "required but not set; set it")
    if kind in ("literal_error", "enum"):
        return Problem(key, f"{shown}: {message}")
    if (
        kind.endswith("_type")
        or kind.endswith("_parsing")
        or kind in ("greater_than", "greater_than_equal", "string_too_short")
    ):
        return Problem(key, f"{shown}: {message[0].lower()}{message[1:]}; fix the value")
    return Problem(key, f"{shown}: {message}")


def _data_path(loc: Any, raw: Mapping[str, Any]) -> list[str]:
    """The config keys of a pydantic error location, without pydantic's own tags.

    pydantic puts validator and union tags (``function-after[...]``, ``[key]``, ``int``) in
    locations; a part is kept when it is a key of the data there, or a field name.
    """
    path: list[str] = []
    node: Any = raw
    for part in loc:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "bool")):
            continue
        else:
            node = None  # a field that is not in the data (e.g. missing)
        path.append(str(part))
    return path


def _known_keys(loc: list[str]) -> list[str]:
    """The camelCase keys accepted at a location of the contract (for 'did you mean')."""
    model: Any = Settings
    for part in loc:
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        field = fields.get(part)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    keys = [f.alias or name for name, f in model.model_fields.items()]
    if model is Settings:
        keys += list(SECRET_KEYS)
    return keys


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


secret_set_command = credentials.set_command


__all__ = [
    "PROJECT",
    "SECRET_KEYS",
    "Settings",
    "load_settings",
    "secret_set_command",
]
