"""The ``preview`` command: run a stack's hub on this machine until Ctrl-C, SIGTERM or SIGHUP.

Real JupyterHub, configurable-http-proxy (npm), GenericOAuthenticator talking OpenID Connect to
a local provider (oidc-provider-mock: sign in as any ``sub``, or as a group member from its user
table), the idle culler as a hub service, and one JupyterLab per user started by a local spawner
(``spawner.py``). Everything listens on 127.0.0.1.
"""

# Settings, values and the stack file (pydantic) are imported only once the hub is starting:
# the command starts the hub first, so that their import overlaps JupyterHub's.
from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..args import add_stack_arguments, port
from ..errors import EXIT_CONFIG, EXIT_OK, printable
from .plan import PreviewError
from .processes import STOP_SIGNALS, Preview

if TYPE_CHECKING:
    from ..settings import Settings


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGHUP (closed terminal), SIGINT and SIGTERM into one clean stop."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _say(out: TextIO, text: str) -> None:
    with suppress(OSError):  # after SIGHUP the terminal may be gone
        print(text, file=out, flush=True)


def register(commands: Any) -> None:
    """Add ``preview``."""
    help_text = "run the stack's hub locally (127.0.0.1) with a local sign-in provider"
    command = commands.add_parser("preview", help=help_text, description=help_text)
    command.add_argument("--port", type=port, default=8000, help="public port (8000)")
    command.add_argument(
        "--keep", action="store_true", help="keep the state folder (logs, database)"
    )
    command.add_argument(
        "--database",
        type=Path,
        help="start from a copy of this hub database (a restore drill: restore-hub-db --to)",
    )
    add_stack_arguments(command)
    command.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``preview``: the stack's hub on 127.0.0.1 until Ctrl-C, SIGTERM or SIGHUP."""

    def settings() -> Settings:
        from ..stackfile import load_stack

        return load_stack(args.project_dir, args.stack)[1]

    try:
        if args.database is not None and not args.database.is_file():
            raise PreviewError(f"--database {args.database}: no such file")
        run(settings, args.stack, args.port, args.keep, out, database=args.database)
    except PreviewError as error:
        # the message may quote a child's log line: never let it drive the terminal
        print(f"error: {printable(str(error))}", file=err)
        return EXIT_CONFIG
    return EXIT_OK


def run(
    settings: Settings | Callable[[], Settings],
    stack: str,
    public_port: int,
    keep: bool,
    out: TextIO,
    database: Path | None = None,
) -> None:
    """``preview``: start, print what runs, wait for a stop signal or a stopped piece."""
    with _stop_on_signals():
        try:
            with Preview(
                settings, stack, port=public_port, keep=keep, database=database
            ) as preview:
                _say(out, "\n".join(preview.describe()))
                _say(out, "Ctrl-C stops the preview.")
                while (stopped := preview.stopped_child()) is None:
                    time.sleep(0.2)
                raise PreviewError(f"{stopped} stopped: {preview.last_line(stopped)}")
        except KeyboardInterrupt:
            _say(out, "preview stopped")
