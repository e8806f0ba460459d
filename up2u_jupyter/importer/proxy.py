"""``proxy``: the public Service, the proxy's resources and HTTPS (with each era's defaults)."""

from typing import Any
from urllib.parse import urlsplit

from .model import Conversion, kind

LETSENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"
"""The chart's default ACME server (every chart version that had the key)."""


def convert_proxy(c: Conversion) -> None:
    """proxy.secretToken, service type, chp resources, then HTTPS."""
    if c.take("proxy", "secretToken") is not None:
        c.rotate("proxy token", ("proxy", "secretToken"))
    service_type = c.take("proxy", "service", "type")
    if service_type in ("LoadBalancer", "ClusterIP", "NodePort"):
        c.put("proxy.serviceType", service_type, ("proxy", "service", "type"))
    elif service_type is not None:
        c.helm(("proxy", "service", "type"), service_type, ("proxy", "service", "type"))
    resources = c.get("proxy", "chp", "resources")
    if isinstance(resources, dict) and resources and _quantities(resources):
        c.put("proxy.resources", c.take("proxy", "chp", "resources"), ("proxy", "chp", "resources"))
    https = c.take("proxy", "https")
    if https is not None and not isinstance(https, dict):
        c.note(("proxy", "https"), "dropped", f"{kind(https)} where the chart expects a map")
        https = None
    convert_https(c, https or {})


def _quantities(resources: dict[str, Any]) -> bool:
    """Requests/limits of cpu/memory only (what the stack's typed key takes)."""
    allowed = {"cpu", "memory", "ephemeral-storage"}
    return set(resources) <= {"requests", "limits"} and all(
        isinstance(part, dict) and set(part) <= allowed and None not in part.values()
        for part in resources.values()
    )


def convert_https(c: Conversion, https: dict[str, Any]) -> None:
    """HTTPS as the old chart served it, with its era's default for a missing ``enabled``."""
    hosts = https.pop("hosts", None) or []
    if not isinstance(hosts, list):
        c.note(("proxy", "https", "hosts"), "dropped", f"{kind(hosts)} where a list is expected")
        hosts = []
    letsencrypt = https.pop("letsencrypt", None) or {}
    if not isinstance(letsencrypt, dict):
        c.note(("proxy", "https", "letsencrypt"), "dropped", f"{kind(letsencrypt)}, not a map")
        letsencrypt = {}
    email = letsencrypt.pop("contactEmail", None) or None
    acme = letsencrypt.pop("acmeServer", None) or None
    secret = https.pop("secret", None) or {}
    manual = https.pop("manual", None) or {}
    kind_ = https.pop("type", None) or "letsencrypt"
    enabled = https.pop("enabled", None)
    named = list(dict.fromkeys(h for h in hosts if isinstance(h, str) and h))
    if named:
        c.hint_domain(named[0])
    mode = _mode(c, enabled, kind_, hosts, email, manual)
    if mode == "letsencrypt" and len(named) > 1:
        c.out.https_hosts = named
        c.note(
            ("proxy", "https", "hosts"),
            "mapped",
            "-> domain (the first, unless --domain is given) and https.extraHosts (the "
            "others): Let's Encrypt keeps a certificate for each",
        )
    elif named:
        others = "; the others named certificates, which HTTPS here does not request" * (
            len(named) > 1
        )
        c.note(
            ("proxy", "https", "hosts"), "mapped", f"-> domain (unless --domain is given){others}"
        )
    ingress_tls = isinstance(c.get("ingress", "tls"), list) and bool(c.get("ingress", "tls"))
    if mode == "none" and ingress_tls:
        mode = "offload"
        c.note(
            "ingress.tls",
            "era",
            "HTTPS is terminated at the ingress (ingress.tls, passed "
            "through): https.mode offload keeps the public URL and callback on https",
        )
    c.put("https.mode", mode, "proxy.https.enabled/type", f"HTTPS served as {mode}")
    if mode == "letsencrypt":
        if email:
            c.put("https.contactEmail", email, ("proxy", "https", "letsencrypt", "contactEmail"))
        if acme and acme != LETSENCRYPT_PRODUCTION:
            c.helm(
                ("proxy", "https", "letsencrypt", "acmeServer"),
                acme,
                ("proxy", "https", "letsencrypt", "acmeServer"),
                "not the production server: kept so certificates still come from it",
            )
        elif acme:
            c.note(
                ("proxy", "https", "letsencrypt", "acmeServer"),
                "dropped",
                "the production server, which is the chart's default",
            )
    else:
        if email:
            c.note(
                ("proxy", "https", "letsencrypt", "contactEmail"),
                "dropped",
                f"only used by Let's Encrypt, and HTTPS here is {mode}",
            )
        if acme:
            c.note(
                ("proxy", "https", "letsencrypt", "acmeServer"),
                "dropped",
                f"only used by Let's Encrypt, and HTTPS here is {mode}",
            )
    if mode == "secret" and isinstance(secret, dict) and secret.get("name"):
        c.put("https.secretName", secret.pop("name"), ("proxy", "https", "secret", "name"))
    for key in letsencrypt:
        c.note(("proxy", "https", "letsencrypt", key), "dropped", "not a chart 4.4.0 option")
    for key, value in secret.items() if isinstance(secret, dict) else ():
        if key in ("key", "crt") and value in ("tls.key", "tls.crt"):
            c.note(("proxy", "https", "secret", key), "dropped", "the chart's default key name")
        elif key == "name" and not value:
            c.note(("proxy", "https", "secret", key), "dropped", "empty")
        else:
            c.helm(("proxy", "https", "secret", key), value, ("proxy", "https", "secret", key))
    for key in https:
        c.note(("proxy", "https", key), "dropped", "not an option of chart 4.4.0 proxy.https")


def _mode(
    c: Conversion,
    enabled: Any,
    kind_: Any,
    hosts: list[Any],
    email: Any,
    manual: Any,
) -> str:
    """The https.mode that serves traffic as the old chart did."""
    where = ("proxy", "https", "enabled")
    if enabled is None:
        if c.era is None or c.era.https_enabled_by_default is None:
            # 0.7-0.9 defaulted to enabled, later charts to disabled: with hosts and an
            # e-mail the file asked for Let's Encrypt, so keep it rather than drop HTTPS.
            enabled = bool(hosts) and (kind_ != "letsencrypt" or bool(email))
            if enabled:
                c.note(
                    where,
                    "era",
                    "not set, and the file does not tell whether its chart was older than "
                    "0.10 (on by default) or not (off): it names hosts and a Let's Encrypt "
                    "e-mail, so HTTPS stays on; pass --from-chart VERSION to apply that "
                    "chart's default instead",
                )
        else:
            enabled = c.era.https_enabled_by_default
            c.note(
                where,
                "era",
                f"not set: chart {c.era.name} defaulted it to {'on' if enabled else 'off'}",
            )
    if kind_ == "offload":
        # "enabled: false, type: offload" meant "a load balancer terminates HTTPS": the
        # chart's offload mode is that, with port 443 on proxy-public.
        return "offload"
    if not enabled:
        return "none"
    if kind_ == "manual" or (manual and kind_ != "secret"):
        c.note(
            ("proxy", "https", "manual"),
            "secret",
            "certificate and key not copied: store them as a TLS Secret (kubectl create "
            "secret tls NAME --cert=... --key=... -n NAMESPACE) and pass "
            "--set https.secretName=NAME",
        )
        return "secret"
    if kind_ == "letsencrypt" and not hosts:
        # the chart requests certificates only for the hosts it is given: with none, its
        # proxy served plain HTTP (unless something in front terminated TLS: see ingress.tls
        # and the callback URL, which are checked later)
        c.note(
            where,
            "era",
            "on, but without proxy.https.hosts the old chart requested no "
            "certificate and its proxy served plain HTTP",
        )
        return "none"
    if kind_ in ("letsencrypt", "secret"):
        return str(kind_)
    c.note(
        ("proxy", "https", "type"),
        "dropped",
        "not a type chart 4.4.0 knows "
        "(letsencrypt, manual, secret, offload); HTTPS is served as offload",
    )
    return "offload"


def callback_scheme(url: Any) -> str | None:
    """The scheme of a callback URL, if it is one."""
    try:
        return urlsplit(str(url)).scheme or None
    except ValueError:
        return None
