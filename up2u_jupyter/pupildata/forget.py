"""``forget-user NAME --stack S [--dry-run]``: erasure on request.

Stops the user's servers, deletes their home volumes under every name a migrated deployment
may hold (KubeSpawner's own templates and escaping, current ``safe`` and legacy ``escape``,
plus the names the hub remembered), deletes the user from the hub, and prints what it deleted
and what it could not. Run ``--dry-run`` first.

It acts as two narrow identities the program creates:

- the hub service ``forget-user`` (token: ``pulumi stack output forgetUserToken
  --show-secrets``, in ``UP2U_HUB_TOKEN``): read users and their server state, stop servers,
  delete users;
- the ServiceAccount ``<releaseName>-up2u-data-protection`` (token: ``kubectl create token``,
  in ``UP2U_KUBE_TOKEN``): get, list and delete persistentvolumeclaims of the namespace,
  nothing else. Without ``UP2U_KUBE_TOKEN`` the kubeconfig context's own user is used.
"""

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any, TextIO

from ..args import add_stack_arguments
from ..errors import EXIT_CONFIG, EXIT_OK, UsageError, excerpt, printable

HUB_TOKEN_ENV = "UP2U_HUB_TOKEN"
"""The forget-user service's hub token (stack output forgetUserToken)."""
KUBE_TOKEN_ENV = "UP2U_KUBE_TOKEN"
"""A token of the data-protection ServiceAccount (``kubectl create token``), optional."""
MAX_NAME = 255


def register(commands: Any) -> None:
    """Add ``forget-user``."""
    help_text = (
        "erase a user: stop their servers, delete their home volumes under every naming scheme, "
        "delete them from the hub (--dry-run first)"
    )
    command = commands.add_parser("forget-user", help=help_text, description=help_text)
    command.add_argument("name", type=user_name, help="the user's hub name (eduTEAMS: the sub)")
    add_stack_arguments(command)
    command.add_argument(
        "--dry-run", action="store_true", help="say what would be deleted, delete nothing"
    )
    command.add_argument(
        "--hub-url", help="the hub's REST API (default: https://<domain>/hub/api of the stack)"
    )
    command.add_argument(
        "--context", help="kubeconfig context (default: the stack's kubernetes:context)"
    )
    command.add_argument(
        "--volumes-file",
        type=Path,
        help="a local preview's volumes.json instead of a cluster (the preview prints it)",
    )
    command.set_defaults(handler=run)


def user_name(text: str) -> str:
    """A hub user name as JupyterHub stores it (lowercased, as Authenticator normalizes)."""
    if not text or len(text) > MAX_NAME or not text.isprintable():
        raise argparse.ArgumentTypeError(
            f"{excerpt(text)} is not a user name; pass the name the admin page shows"
        )
    return text.lower()


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``forget-user``: erase one user, print the report; exit 1 when something could not go."""
    from ..stackfile import load_stack

    token = os.environ.get(HUB_TOKEN_ENV)
    if not token:
        raise UsageError(
            f"set {HUB_TOKEN_ENV} to the forget-user service's token: export {HUB_TOKEN_ENV}="
            f'"$(pulumi stack output forgetUserToken --show-secrets --stack {args.stack})"'
        )
    _, settings = load_stack(args.project_dir, args.stack)
    hub_url = args.hub_url or _public_api(settings)
    if hub_url is None:
        raise UsageError(f"stack {args.stack} has no domain; pass --hub-url http(s)://HOST/hub/api")
    try:
        erasure = asyncio.run(_erase(args, settings, hub_url, token))
    except _KubernetesError as error:
        print(f"error: {printable(str(error))}", file=err)
        return EXIT_CONFIG
    for line in erasure.lines():
        print(printable(line), file=out)
    if not erasure.complete:
        print(f"error: {args.name} is not fully erased; fix what could not be done and run "
              "forget-user again", file=err)  # fmt: skip
        return EXIT_CONFIG
    return EXIT_OK


class _KubernetesError(Exception):
    """The cluster cannot be reached as configured; one line."""


async def _erase(args: argparse.Namespace, settings: Any, hub_url: str, token: str) -> Any:
    from .erase import Eraser
    from .helm import pvc_templates
    from .hubapi import HubAPI
    from .volumes import Claims, FileClaims, KubernetesClaims, kubeconfig_configuration

    claims: Claims
    if args.volumes_file is not None:
        claims = FileClaims(args.volumes_file)
        claims.namespace = settings.namespace
    else:
        context = args.context or _stack_context(args.project_dir, args.stack)
        try:
            configuration = await kubeconfig_configuration(context, os.environ.get(KUBE_TOKEN_ENV))
        except Exception as error:  # kubeconfig errors come in several types
            raise _KubernetesError(
                f"kubeconfig context {context or '(current)'}: {str(error).splitlines()[0][:200]}"
                "; pass --context, or --volumes-file for a local preview"
            ) from None
        claims = KubernetesClaims(settings.namespace, configuration)
    eraser = Eraser(HubAPI(hub_url, token), claims, pvc_templates(settings), args.dry_run)
    return await eraser.erase(args.name)


def _public_api(settings: Any) -> str | None:
    from ..values import public_scheme

    if settings.domain is None:
        return None
    return f"{public_scheme(settings)}://{settings.domain}/hub/api"


def _stack_context(project_dir: Path, stack: str) -> str | None:
    """The stack file's ``kubernetes:context`` (what ``pulumi up`` deploys with), if any."""
    from ..stackfile import stack_file
    from ..yamlio import read_yaml_file

    document = read_yaml_file(stack_file(project_dir, stack))
    context = ((document or {}).get("config") or {}).get("kubernetes:context")
    return context if isinstance(context, str) else None
