"""The data-retention hub service: users inactive longer than the retention period go, with
their home volumes under every naming scheme.

jupyterhub-idle-culler cannot do this: it deletes users through the hub API and never touches
volumes, so their files stay (``delete_pvc`` false) or only the current-scheme volume goes
(``delete_pvc`` true, kubespawner issue #924); and its one ``--timeout`` is also the server
culling timeout. So the hub runs this module as a managed service of its own
(``python3 -m up2u_jupyter.pupildata.retention``): its hub token (JUPYTERHUB_API_TOKEN) has only
the scopes it needs, and its Kubernetes token (a mounted ServiceAccount Secret) only the
persistentvolumeclaims of the namespace. Every deletion is logged with the user name and what
was removed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .erase import Eraser, Erasure
from .hubapi import HubAPI
from .names import LOG_FORMAT, RETENTION_SERVICE
from .volumes import Claims, FileClaims, KubernetesClaims, in_pod_configuration

ERROR_RETRY_SECONDS = 300

log = logging.getLogger(RETENTION_SERVICE)


def inactive(
    users: Sequence[dict[str, Any]], inactive_for: int, now: datetime, skip_admins: bool
) -> list[dict[str, Any]]:
    """The users whose last activity (else creation) is more than ``inactive_for`` ago.

    A user with a server starting or stopping is left for the next round.
    """
    found = []
    for user in users:
        if skip_admins and user.get("admin"):
            continue
        since = _time(user.get("last_activity")) or _time(user.get("created"))
        if since is None or (now - since).total_seconds() <= inactive_for:
            continue
        if any(s.get("pending") for s in (user.get("servers") or {}).values()):
            continue
        found.append(user)
    return found


async def sweep(
    hub: HubAPI, eraser: Eraser, inactive_for: int, skip_admins: bool, now: datetime | None = None
) -> list[Erasure]:
    """One round: erase every inactive user, logging each."""
    now = now or datetime.now(UTC)
    done = []
    for user in inactive(await hub.users(), inactive_for, now, skip_admins):
        erasure = await eraser.erase(user["name"], user)
        since = user.get("last_activity") or user.get("created")
        if erasure.complete:
            log.info("retention: erased %s (inactive since %s): %s",
                     user["name"], since, erasure.removed())  # fmt: skip
        else:
            log.error("retention: could not fully erase %s (inactive since %s): %s; %s",
                      user["name"], since, erasure.removed(),
                      "; ".join(erasure.failures))  # fmt: skip
        done.append(erasure)
    return done


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m up2u_jupyter.pupildata.retention")
    parser.add_argument("--inactive-for", type=int, required=True, help="seconds")
    parser.add_argument("--every", type=int, required=True, help="seconds between rounds")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--pvc-name-template", action="append", default=[])
    parser.add_argument("--include-admins", action="store_true")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--kube-token-dir", type=Path, help="a ServiceAccount token Secret")
    where.add_argument("--claims-file", type=Path, help="the local preview's volumes")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    """Sweep every ``--every`` seconds until stopped."""
    hub = HubAPI(os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
    claims: Claims
    if args.claims_file is not None:
        claims = FileClaims(args.claims_file)
        claims.namespace = args.namespace
    else:
        claims = KubernetesClaims(args.namespace, in_pod_configuration(args.kube_token_dir))
    eraser = Eraser(hub, claims, templates=args.pvc_name_template)
    log.info("retention: users inactive for more than %ss are erased, checked every %ss",
             args.inactive_for, args.every)  # fmt: skip
    while True:
        try:
            await sweep(hub, eraser, args.inactive_for, not args.include_admins)
            pause = args.every
        except Exception:  # keep the service up: the next round may work
            log.exception("retention: this round failed")
            pause = min(args.every, ERROR_RETRY_SECONDS)
        await asyncio.sleep(pause)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the managed service."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format=LOG_FORMAT)
    asyncio.run(run(_arguments(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
