"""The field types of the stack config: what one value may be, and the fix when it is not.

Each type is an ``Annotated`` pydantic type whose validator raises ``ValueError`` with a message
that names the fix; ``problems.py`` turns it into the line the operator sees. ``RuleError`` lets
a model's cross-field rule point at one of its fields.
"""

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from .. import authenticators
from ..errors import excerpt, shown_key
from ..quantity import QuantityError, parse_quantity
from ..secretrule import url_has_secret


class RuleError(ValueError):
    """A model rule's failure, located at one of the model's fields (for the error's key)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*"
)
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
        try:
            host = urlsplit(value if "://" in value else f"//{value}").hostname
        except ValueError:
            host = None
        example = host if host and _HOSTNAME.fullmatch(host) else "jupyter.up2u.example.org"
        raise ValueError(f"not a bare host name; set just the host, e.g. {example!r}")
    if not _HOSTNAME.fullmatch(value):
        raise ValueError(
            "not a valid host name; use lowercase DNS labels separated by dots "
            "(e.g. jupyter.up2u.example.org)"
        )
    return value


def _https_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        https = parts.scheme == "https" and bool(parts.hostname)
    except ValueError:
        https = False
    if not https:
        raise ValueError("not an https URL; use https://host/path")
    if url_has_secret(value):
        # these URLs reach Pulumi state, Helm values and alert annotations in plain text
        raise ValueError("contains credentials (a password or token); remove them from the URL")
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


def _auth_type(value: str) -> str:
    message = authenticators.unknown_type_message(value)
    if message is not None:
        raise ValueError(message)
    return value


AuthType = Annotated[str, AfterValidator(_auth_type)]
"""One of the five modelled types, or any authenticator the chart's hub image ships."""
_LABEL_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)")


def _labels(value: dict[str, str]) -> dict[str, str]:
    """Kubernetes labels: ``[prefix/]name`` keys and values of at most 63 characters."""
    if not value:
        raise ValueError(
            "empty; set the label your Prometheus selects on, e.g. release: kube-prometheus-stack"
        )
    for key, label in value.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and not _HOSTNAME.fullmatch(prefix)) or not _LABEL_NAME.fullmatch(name):
            raise ValueError(
                f"{excerpt(key)} is not a Kubernetes label key; use [prefix/]name, the name "
                "at most 63 letters, digits, '-', '_' or '.' (e.g. release)"
            )
        if label and not _LABEL_NAME.fullmatch(label):
            raise ValueError(
                f"{excerpt(label)} (label {shown_key(key)}) is not a Kubernetes label value; "
                "use at most 63 letters, digits, '-', '_' or '.' (e.g. kube-prometheus-stack)"
            )
    return value


def _ratio(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError("not a ratio; use a number more than 0 and at most 1 (0.9 is 90%)")
    return float(value)


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError("not a positive number; use a number more than 0 (e.g. 120)")
    return float(value)


Ratio = Annotated[float, BeforeValidator(_ratio)]
PositiveNumber = Annotated[float, BeforeValidator(_positive_number)]


class _Hidden:
    """Stands for a value an error must not show (it is, or may be, a secret)."""


HIDDEN_VALUE = _Hidden()
