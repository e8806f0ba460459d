"""The chart 4.4.0 templates' refusals, transcribed for the tests (helm is not installed here).

A second, independent model of what ``helm template`` refuses, written the way the templates
are (Go template truth, ``hasKey``, ``typeOf``) over the values the templates see: the chart's
own ``values.yaml`` coalesced with the user's values exactly as Helm does (a user null deletes
a key the defaults have; a null under a key the defaults lack stays, so ``hasKey`` sees it).
``up2u_jupyter.chart.rules`` is the product's model; tests show the two agree on every stack.
Sources: templates/NOTES.txt and templates/_helpers.tpl (jupyterhub.extraEnv,
jupyterhub.extraFiles.validate-file) of chart 4.4.0, quoted in /work/research/chart-4.4.0.md
section 3, and the pod templates that call them (hub, proxy, autohttps deployments).
"""

import copy
import re
from typing import Any


def helm_coalesce(defaults: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Helm 3's coalesceTablesFullKey(user, defaults): what ``.Values`` is in the templates."""
    merged = copy.deepcopy(user)
    for key, default in defaults.items():
        if key not in merged:
            merged[key] = copy.deepcopy(default)
        elif merged[key] is None:
            del merged[key]
        elif isinstance(merged[key], dict) and isinstance(default, dict):
            merged[key] = helm_coalesce(default, merged[key])
    return merged


def _truth(value: Any) -> bool:
    # text/template's truth: the zero value of its type (and nil) is false
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | dict | list):
        return len(value) > 0
    return True


def _dig(values: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(values, dict):
            return None
        values = values.get(part)
    return values


def _type_of(value: Any) -> str:
    if value is None:
        return "<nil>"
    return {bool: "bool", int: "float64", float: "float64", str: "string"}.get(
        type(value), "map[string]interface {}" if isinstance(value, dict) else "[]interface {}"
    )


def helm_template_failures(values: dict[str, Any]) -> list[str]:
    """The ``fail`` messages ``helm template`` would stop with, over coalesced ``values``."""
    failures: list[str] = []
    # templates/NOTES.txt: the breaking-changes block
    breaking = ""
    if "enabled" in (values.get("rbac") or {}):
        breaking += "\n\nCHANGED: rbac.enabled must as of version 2.0.0 ..."
    if "fsGid" in (values.get("hub") or {}):
        breaking += "\n\nCHANGED: hub.fsGid must as of version 2.0.0 ..."
    single = values.get("singleuser") or {}
    if _truth(_dig(single, "cloudMetadata", "blockWithIptables")) and (
        _truth(_dig(single, "networkPolicy", "enabled"))
        and _truth(_dig(single, "networkPolicy", "egressAllowRules", "cloudMetadataServer"))
    ):
        breaking += "\n\nCHANGED: singleuser.cloudMetadata.blockWithIptables must ..."
    if breaking:
        failures.append("BREAKING" + breaking)
    # hub/deployment.yaml, proxy/deployment.yaml and (if rendered) autohttps/deployment.yaml
    # include jupyterhub.extraEnv
    https = _dig(values, "proxy", "https") or {}
    environments = [_dig(values, "hub", "extraEnv"), _dig(values, "proxy", "chp", "extraEnv")]
    if (
        _truth(https.get("enabled"))
        and https.get("type") == "letsencrypt"
        and _truth(https.get("hosts"))
    ):
        environments.append(_dig(values, "proxy", "traefik", "extraEnv"))
    for env in environments:
        if _truth(env) and _type_of(env) == "map[string]interface {}":
            for key, value in env.items():
                if _type_of(value) not in ("map[string]interface {}", "string"):
                    failures.append(f"?.extraEnv.{key} had an unexpected type ({_type_of(value)})")
    # hub/secret.yaml and singleuser/secret.yaml: jupyterhub.extraFiles.validate-file
    for section in ("hub", "singleuser"):
        for key, details in (_dig(values, section, "extraFiles") or {}).items():
            if not _truth(details.get("mountPath")):
                failures.append(f"extraFiles entries ({key}) must contain the field 'mountPath'.")
                continue
            count = sum(_truth(details.get(f)) for f in ("data", "stringData", "binaryData"))
            if count != 1:
                failures.append(f"extraFiles entries ({key}) must only contain one of ...")
            elif _truth(details.get("data")) and not re.search(
                r"\.(yaml|yml|json|toml)$", details["mountPath"].rpartition("/")[2]
            ):
                failures.append(f"extraFiles entries with 'data' ({key} > ...) needs ...")
    return failures


def api_refusals(values: dict[str, Any]) -> list[str]:
    """Environment values the Kubernetes API refuses once rendered (EnvVar.value: string):
    list-form chart environments (copied by toYaml) and everything KubeSpawner passes on."""
    refused = []
    for path in (("hub", "extraEnv"), ("proxy", "chp", "extraEnv"), ("singleuser", "extraEnv")):
        env = _dig(values, *path)
        entries = (
            [{"name": k, "value": v} for k, v in env.items() if not isinstance(v, dict)]
            if isinstance(env, dict) and path[0] == "singleuser"
            else env
            if isinstance(env, list)
            else []
        )
        for entry in entries:
            if "value" in entry and not isinstance(entry["value"], str):
                refused.append(f"{'.'.join(path)}.{entry.get('name')}")
    for profile in _dig(values, "singleuser", "profileList") or []:
        environment = _dig(profile, "kubespawner_override", "environment") or {}
        refused += [
            name for name, value in environment.items() if not isinstance(value, str | dict)
        ]
    return refused
