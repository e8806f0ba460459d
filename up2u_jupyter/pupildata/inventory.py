"""``data-inventory --stack S``: the personal data a stack's deployment holds, as Markdown.

For a school's data-protection impact assessment (DPIA): every kind of personal data, what it
is, where it lives, who can read it and how long it is kept, derived from the stack's config
and the Helm values it renders (so ``helmValues`` count): a stack with backups, auth state or
monitoring lists them; one without does not.
"""

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from ..args import add_stack_arguments
from ..errors import EXIT_OK
from ..settings import Settings
from ..settings.dataprotection import period

LOG_ROTATION = "the kubelet's log rotation (by default 5 files of 10 MiB per container)"
PROMETHEUS_RETENTION = "Prometheus' own retention (kube-prometheus-stack's default: 10 days)"


@dataclass(frozen=True)
class Item:
    """One kind of personal data."""

    what: str
    where: str
    who: str
    kept: str


def register(commands: Any) -> None:
    """Add ``data-inventory``."""
    help_text = "print the personal data a stack holds (what, where, who reads it, how long)"
    command = commands.add_parser("data-inventory", help=help_text, description=help_text)
    add_stack_arguments(command)
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the stack's inventory as Markdown."""
    from ..render import offline_values
    from ..stackfile import load_stack

    _, settings = load_stack(args.project_dir, args.stack)
    out.write(markdown(args.stack, settings, offline_values(settings)))
    return EXIT_OK


def _auth(values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    config = values.get("hub", {}).get("config") or {}
    from ..authenticators import section_of

    kind = str((config.get("JupyterHub") or {}).get("authenticator_class", ""))
    section = config.get(section_of(kind)) if kind else None
    return kind, dict(section) if isinstance(section, Mapping) else {}


def items(settings: Settings, values: Mapping[str, Any]) -> list[Item]:
    """The inventory's rows, in the order a reader meets them."""
    data = settings.data_protection
    hub = values.get("hub", {})
    config = hub.get("config") or {}
    kind, auth = _auth(values)
    ns = settings.namespace
    claim = auth.get("username_claim", "sub") if kind == "generic-oauth" else None
    who_name = (
        f"the `{claim}` claim of the identity provider; eduTEAMS' is a pseudonymous, "
        "persistent identifier such as `5f2b…@eduteams.org`"
        if claim
        else f"the name the `{kind}` authenticator gives"
    )
    db = hub.get("db") or {}
    if db.get("type", "sqlite-pvc") == "sqlite-pvc":
        database = (
            f"the hub database: SQLite file on the volume claim `hub-db-dir` in namespace `{ns}`"
        )
    else:
        database = "the hub database: the external PostgreSQL of `hub.db.url`"
    admins = list((config.get("Authenticator") or {}).get("admin_users") or [])
    admin_groups = list(auth.get("admin_groups") or [])
    hub_admins = "hub admins on the admin page (" + ", ".join(
        filter(None, [f"{len(admins)} in `auth.adminUsers`" if admins else "",
                      "members of `auth.adminGroups`" if admin_groups else ""])
    ) + ")"  # fmt: skip
    hub_admins = hub_admins.replace(" ()", "")
    cluster = f"administrators of namespace `{ns}` on the cluster"
    deletion = _deletion(settings)
    delete_pvc = (config.get("KubeSpawner") or {}).get("delete_pvc", True)
    chosen = settings.singleuser.storage.storage_class
    storage_class = f"storage class `{chosen}`" if chosen else "the cluster's default storage class"

    found = [
        Item(
            f"**Account**: the user name ({who_name}); when the account was created, its last "
            "activity, the admin flag",
            database,
            f"{hub_admins}; {cluster}",
            deletion,
        )
    ]
    if auth.get("manage_groups"):
        claim_path = str(auth.get("auth_state_groups_key", "")).removeprefix("oauth_user.")
        found.append(
            Item(
                f"**Group memberships**: the user's groups from the `{claim_path}` claim "
                "(eduTEAMS entitlements), as JupyterHub groups, refreshed at each sign-in",
                database,
                f"{hub_admins}; {cluster}",
                f"{deletion}; a group the provider no longer releases is dropped at sign-in",
            )
        )
    if _auth_state(config, auth):
        found.append(
            Item(
                "**Auth state**: the provider's tokens and its whole userinfo reply (every "
                "released claim), encrypted with the stack's CryptKeeper key",
                database,
                "the hub (it holds the key, in the hub's Secret); admins with the "
                f"`admin:auth_state` scope; {cluster} (key and database)",
                f"replaced at each sign-in; {deletion}",
            )
        )
    found += [
        Item(
            "**Sessions and API tokens**: the server side of sign-in sessions (OAuth tokens, "
            "stored hashed) and any API tokens the user creates",
            database,
            f"the hub; {cluster}",
            f"until they expire, the user signs out or revokes them; {deletion}",
        ),
        Item(
            "**Server records**: which servers the user has, when they started and stopped, "
            "the name of their volume",
            database,
            f"{hub_admins}; {cluster}",
            deletion,
        ),
        Item(
            "**Files**: everything the user writes in JupyterLab (notebooks, data, outputs)",
            f"one volume per user, `claim-<user slug>` ({settings.singleuser.storage.capacity}, "
            f"{storage_class}) in namespace `{ns}`; on stacks migrated from chart 0.9 also "
            "`claim-<escaped name>`",
            "the user; hub admins, through the user's server (JupyterHub 5 admins may access "
            f"servers); {cluster}",
            _files_kept(settings, bool(delete_pvc)),
        ),
        Item(
            "**Logs**: user names in sign-in, server start/stop and culling events; request "
            "paths with user names; the proxy's and the hub's client addresses",
            "container logs of the hub, proxy and user pods on the nodes (`kubectl logs`), and "
            "any log collector the cluster runs",
            cluster,
            f"{LOG_ROTATION}; this deployment sets nothing longer",
        ),
    ]
    if settings.monitoring.enabled:
        found.append(
            Item(
                "**Metrics**: user volume names (`claim-<user slug>`) as the "
                "`persistentvolumeclaim` label of the kubelet's volume statistics (the hub's "
                "and the proxy's own metrics carry no user names)",
                f"the cluster's Prometheus (namespace `{settings.monitoring.namespace}`) and "
                "its Grafana dashboards",
                "whoever can query that Prometheus or see those dashboards",
                PROMETHEUS_RETENTION,
            )
        )
    if data.backups.enabled:
        from .helm import backup_prefix

        backups = data.backups
        endpoint = backups.endpoint_url or "Amazon S3"
        auth_state = ", auth state" if _auth_state(config, auth) else ""
        found.append(
            Item(
                f"**Backups of the hub database**: the accounts{auth_state}, tokens and server "
                "records above (and groups, if any), as they were at each backup",
                f"`s3://{backups.bucket}/{backup_prefix(settings)}` at {endpoint} (gzipped "
                f"SQLite, taken every {period(backups.every)})",
                "holders of the backup access keys (secretEnv "
                "`UP2U_BACKUP_S3_ACCESS_KEY_ID`); the storage provider; "
                f"{cluster} (the keys are in its credentials Secret)",
                f"the newest {backups.keep} backups, i.e. {period(backups.every * backups.keep)}:"
                " a deleted user stays in backups that long",
            )
        )
    listed = list(auth.get("allowed_users") or []) + admins
    if listed:
        names = f"{len(listed)} user name{'s' if len(listed) != 1 else ''}"
        found.append(
            Item(
                f"**Named users in the config**: {names} in `auth.adminUsers`/`auth.allowedUsers`",
                f"the stack file `Pulumi.<stack>.yaml` (git), the Pulumi state, Helm's "
                f"release history (Secrets `sh.helm.release.v1.*` in namespace `{ns}`)",
                f"everyone with the repository or the Pulumi backend; {cluster}",
                "until removed from the config (Helm keeps the last 10 releases)",
            )
        )
    scopes = auth.get("scope") or []
    if kind == "generic-oauth":
        kept = (
            "in the auth state above"
            if _auth_state(config, auth)
            else "not stored: read at sign-in, only the user name and groups are kept"
        )
        found.append(
            Item(
                f"**Userinfo at sign-in**: the claims released for the scopes "
                f"{', '.join(f'`{s}`' for s in scopes) or '(none)'}",
                "in transit between the identity provider and the hub",
                "the hub",
                kept,
            )
        )
    return found


def _auth_state(config: Mapping[str, Any], auth: Mapping[str, Any]) -> bool:
    return bool((config.get("Authenticator") or {}).get("enable_auth_state")) or bool(
        auth.get("enable_auth_state")
    )


def _deletion(settings: Settings) -> str:
    """How an account ends."""
    ways = ["an admin deletes the user", "`forget-user` (erasure on request)"]
    data = settings.data_protection
    if data.retention is not None:
        admins = " (admins excepted)" if data.retention_skips_admins else ""
        ways.append(f"the data-retention service after {period(data.retention)} of inactivity"
                    f"{admins}")  # fmt: skip
    if settings.cull.enabled and settings.cull.users:
        ways.append(f"the idle culler after {period(settings.cull.timeout)} idle (`cull.users`)")
    return "until " + ", or ".join(ways)


def _files_kept(settings: Settings, delete_pvc: bool) -> str:
    data = settings.data_protection
    erasers = ["`forget-user`"]
    if data.retention is not None:
        erasers.append(f"the data-retention service ({period(data.retention)} inactive)")
    by = " or ".join(erasers)
    if delete_pvc:
        return f"deleted with the user (`dataProtection.deleteVolumeWithUser`), or by {by}"
    return (
        "kept when the user is deleted (`dataProtection.deleteVolumeWithUser: false`), until "
        f"{by} erases them"
    )


def markdown(stack: str, settings: Settings, values: Mapping[str, Any]) -> str:
    """The inventory as a Markdown document."""
    rows = items(settings, values)
    lines = [
        f"# Personal data held by stack `{stack}` (namespace `{settings.namespace}`)",
        "",
        f"Derived from the stack's config (`python -m up2u_jupyter data-inventory --stack "
        f"{stack}`). The identity provider, the cluster's own logging and the pupils' "
        "browsers hold data of their own that this deployment does not control.",
        "",
        "| personal data | where it lives | who can read it | how long it is kept |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {i.what} | {i.where} | {i.who} | {i.kept} |" for i in rows]
    lines += [
        "",
        f"Erasure on request: `python -m up2u_jupyter forget-user NAME --stack {stack}` "
        "(account, servers and volumes under every naming scheme). Export on request: the "
        "pupil's own Download as archive in JupyterLab, or docs/pupils-data.md.",
        "",
    ]
    return "\n".join(lines)
