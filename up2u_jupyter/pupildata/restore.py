"""``restore-hub-db --stack S --to FILE``: a stack's hub database backup, as a checked file.

Reads the stack's bucket and folder from its config and the object storage keys from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (boto3's own chain), downloads the newest backup (or
``--backup KEY``), checks it with SQLite's integrity check and says how many users and groups
it holds. The drill: ``preview --stack S --database FILE`` then runs a hub on it. Putting it
back on the cluster is the procedure in docs/pupils-data.md.
"""

import argparse
from pathlib import Path
from typing import Any, TextIO

from ..args import add_stack_arguments
from ..errors import EXIT_CONFIG, EXIT_OK, UsageError, printable


def register(commands: Any) -> None:
    """Add ``restore-hub-db``."""
    help_text = "download a stack's hub database backup (newest, or --backup) to a checked file"
    command = commands.add_parser("restore-hub-db", help=help_text, description=help_text)
    add_stack_arguments(command)
    command.add_argument("--to", type=Path, help="the file to write (it must not exist)")
    command.add_argument("--backup", help="the backup's key (default: the newest); see --list")
    command.add_argument("--list", action="store_true", help="list the backups and stop")
    command.add_argument(
        "--endpoint-url", help="object storage URL (default: dataProtection.backups.endpointUrl)"
    )
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """List the backups, or restore one to ``--to``."""
    from ..stackfile import load_stack
    from .backup import BackupError, Store, restore
    from .helm import backup_prefix

    _, settings = load_stack(args.project_dir, args.stack)
    backups = settings.data_protection.backups
    if not backups.enabled or backups.bucket is None:
        raise UsageError(f"stack {args.stack} has no backups (dataProtection.backups.enabled)")
    if not args.list and args.to is None:
        raise UsageError("pass --to FILE (where the database goes), or --list")
    store = Store(
        backups.bucket, backup_prefix(settings), args.endpoint_url or backups.endpoint_url,
        backups.region,
    )  # fmt: skip
    try:
        if args.list:
            for backup in store.backups():
                print(f"{backup.key}\t{backup.taken.isoformat()}\t{backup.size}", file=out)
            return EXIT_OK
        key, counts = restore(store, args.to, args.backup)
    except BackupError as error:
        print(f"error: {printable(str(error))}", file=err)
        return EXIT_CONFIG
    except Exception as error:  # boto3's errors: credentials, network, permissions
        first = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        print(f"error: object storage {store.bucket}: {printable(first)}", file=err)
        return EXIT_CONFIG
    print(f"restored {key} to {args.to}: {counts['users']} users, {counts['groups']} groups "
          "(integrity check ok)", file=out)  # fmt: skip
    print(f"drill: python -m up2u_jupyter preview --stack {args.stack} --database {args.to}",
          file=out)  # fmt: skip
    return EXIT_OK
